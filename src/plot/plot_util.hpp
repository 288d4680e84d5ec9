#pragma once
// Drawing helpers shared by the PNG writers (cairo): nice axis ticks, fonts, aligned text.

#include <cairo.h>

#include <memory>
#include <string>
#include <vector>

namespace heatop::plot {

struct Ticks {
  std::vector<double> at;
  int decimals = 0;
};

/// Fewest decimals that print every multiple of `step` exactly.
int decimals_for(double step);
/// Nice ticks in [lo, hi] (count in [min_n, max_n], closest to want); with snap the range may
/// grow by up to 5 % to round numbers, returned in *lo, *hi.
Ticks nice_ticks(double* lo, double* hi, int min_n, int want, int max_n, bool snap);
Ticks nice_ticks(double lo, double hi, int min_n, int want, int max_n);
std::string fixed(double v, int decimals);

struct SurfaceDeleter {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct ContextDeleter {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
};
using Surface = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;
using Context = std::unique_ptr<cairo_t, ContextDeleter>;

enum class HAlign { kLeft, kCenter, kRight };
void set_font(cairo_t* cr, double size, bool bold = false);
double text_width(cairo_t* cr, const std::string& s);
/// Draws s aligned horizontally at x and vertically centred on y.
void draw_text(cairo_t* cr, const std::string& s, double x, double y, HAlign align);
/// Writes the surface as PNG; throws std::runtime_error naming the path on failure.
void save_png(cairo_surface_t* s, const std::string& path);

}  // namespace heatop::plot
