#pragma once
// Line plots and floorplan pictures (PNG, cairo).

#include <functional>
#include <string>
#include <vector>

namespace heatop::plot {

struct Series {
  std::string label;
  std::vector<double> x, y;
  bool markers = false;  // points (scatter) instead of a line
  int colour = -1;       // palette index; -1 = the series' position
};

struct Panel {
  std::string title, x_label, y_label;
  std::vector<Series> series;
  bool log_axes = false;  // log10 on both axes (positive data only)
  /// Vertical marks at these x values (e.g. the power changes of a transient run), drawn under
  /// the series: up to kMaxMarkLines as dashed grey lines across the panel, more as short light
  /// ticks along the top edge. marks_label names them in the legend (empty: no entry).
  std::vector<double> x_marks{};
  std::string marks_label{};
};

inline constexpr std::size_t kMaxMarkLines = 100;

/// Panels side by side in one PNG; each panel gets axes with nice ticks and a legend.
void write_line_plot_png(const std::string& path, const std::vector<Panel>& panels,
                         int width_px = 1100, int height_px = 460);

struct FloorplanRect {
  std::string label;  // drawn inside the rectangle
  double x, y, w, h;  // m
  double power_W = 0;
  bool keep_out = false;
  bool fixed = false;
};

/// A die of lx x ly (m) with labelled rectangles, axes in mm; blocks are shaded by power density.
void write_floorplan_png(const std::string& path, double lx, double ly,
                         const std::vector<FloorplanRect>& rects, const std::string& title,
                         int width_px = 640, int height_px = 640);

/// Runs picture jobs (each draws one picture into its own file) on OpenMP's threads and returns
/// when all have finished; if any threw, the first such job's exception (in job order) is
/// rethrown. Jobs must not share state: paths come from the caller, decided before.
void draw_all(const std::vector<std::function<void()>>& jobs);

}  // namespace heatop::plot
