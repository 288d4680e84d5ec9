#pragma once
// A terminal progress bar for long loops (training, optimization): done/total, a bar, a free
// text (loss, best value), rate and ETA, redrawn in place on stderr at most every 0.1 s. When
// stderr is not a terminal it prints a plain line every ~10 % instead.

#include <chrono>
#include <string>

namespace heatop::io {

class ProgressBar {
 public:
  ProgressBar(std::string label, long total, std::string unit = "it");
  /// Updates the bar; `info` is shown after the counts (e.g. "best 312.41 K").
  void update(long done, const std::string& info = "");
  /// Draws the final state and ends the line.
  void finish(const std::string& info = "");

 private:
  void draw(long done, const std::string& info, bool force);
  std::string label_, unit_;
  long total_;
  bool tty_;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace heatop::io
