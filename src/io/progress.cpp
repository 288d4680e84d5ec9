#include "io/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace heatop::io {

ProgressBar::ProgressBar(std::string label, long total, std::string unit)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(std::max(1L, total)),
      tty_(isatty(fileno(stderr)) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_ - std::chrono::seconds(1)) {}

void ProgressBar::update(long done, const std::string& info) { draw(done, info, false); }

void ProgressBar::finish(const std::string& info) {
  draw(total_, info, true);
  if (tty_) std::fputc('\n', stderr);
  std::fflush(stderr);
}

void ProgressBar::draw(long done, const std::string& info, bool force) {
  const auto now = std::chrono::steady_clock::now();
  const double el = std::chrono::duration<double>(now - start_).count();
  const double frac = std::clamp(static_cast<double>(done) / total_, 0.0, 1.0);
  const double rate = el > 0 ? done / el : 0.0;
  const double eta = rate > 0 ? (total_ - done) / rate : 0.0;
  if (tty_) {
    if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    constexpr int kWidth = 24;
    const int fill = static_cast<int>(frac * kWidth);
    std::string bar(fill, '#');
    bar += std::string(kWidth - fill, '-');
    std::fprintf(stderr, "\r%s [%s] %ld/%ld %s | %.1f %s/s | %.0fs, ETA %.0fs  ", label_.c_str(),
                 bar.c_str(), done, total_, info.c_str(), rate, unit_.c_str(), el, eta);
  } else {
    const int decile = static_cast<int>(frac * 10);
    if (!force && decile == last_decile_) return;
    last_decile_ = decile;
    std::fprintf(stderr, "%s %ld/%ld %s | %.1f %s/s | %.0fs, ETA %.0fs\n", label_.c_str(), done,
                 total_, info.c_str(), rate, unit_.c_str(), el, eta);
  }
  std::fflush(stderr);
}

}  // namespace heatop::io
