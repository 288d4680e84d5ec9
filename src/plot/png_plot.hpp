#pragma once
// Heat-map pictures of 2D fields (e.g. a die's top-surface temperature) as PNG, drawn with cairo.
//
// The picture shows the field with y up (y = 0 at the bottom) and the die's true aspect ratio,
// shaded bilinearly between nodes with a perceptual dark-to-bright colour map; axes labelled in
// mm; a colour bar with 5-7 ticks in the field's unit; an optional title; and optionally the
// maximum marked with a circled cross and a label "max 315.65 K at (0.52, 0.48) mm".
// Non-finite values are drawn grey and ignored for the range.

#include <cmath>
#include <string>
#include <vector>

namespace heatop::plot {

struct HeatmapOptions {
  std::string title;         // drawn above the map; empty = none
  std::string unit = "K";    // unit of the values, shown on the colour bar and the max label
  bool mark_hotspot = true;  // mark and label the maximum
  int width_px = 760;        // picture size in pixels (at least 240 x 200)
  int height_px = 620;
  double vmin = NAN, vmax = NAN;  // colour range; NAN = the data's min / max
};

/// Writes a heat map of `values` on the node grid x_m (nx) by y_m (ny), in m, to `path`.
/// values[i * ny + j] is the value at (x_m[i], y_m[j]) (i along x). Coordinates must be finite
/// and strictly increasing with at least two nodes per axis. Throws std::invalid_argument for
/// bad inputs or options and std::runtime_error if the PNG cannot be written.
void write_heatmap_png(const std::string& path, const std::vector<double>& x_m,
                       const std::vector<double>& y_m, const std::vector<double>& values,
                       const HeatmapOptions& opt);

}  // namespace heatop::plot
