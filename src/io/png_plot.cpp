#include "io/png_plot.hpp"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <stdexcept>

namespace heatop::io {

namespace {

constexpr double kMmPerM = 1e3;

// --- colour map ---------------------------------------------------------------------------
// A dark-purple -> red -> yellow -> pale-yellow ramp with roughly linear lightness, in the
// spirit of "inferno"; linear in RGB between these control points.
struct ColourStop {
  double t, r, g, b;  // r, g, b in 0..255
};
constexpr ColourStop kRamp[] = {
    {0.000, 0, 0, 4},      {0.125, 31, 12, 72},   {0.250, 85, 15, 109},
    {0.375, 136, 34, 106}, {0.500, 186, 54, 85},  {0.625, 227, 89, 51},
    {0.750, 249, 140, 10}, {0.875, 249, 201, 50}, {1.000, 252, 255, 164},
};
constexpr int kNumStops = sizeof(kRamp) / sizeof(kRamp[0]);

struct Rgb {
  double r, g, b;  // 0..1
};

Rgb colour_at(double t) {
  t = std::clamp(t, 0.0, 1.0);
  int s = 1;
  while (s < kNumStops - 1 && kRamp[s].t < t) ++s;
  const ColourStop& a = kRamp[s - 1];
  const ColourStop& b = kRamp[s];
  const double u = (t - a.t) / (b.t - a.t);
  return {(a.r + u * (b.r - a.r)) / 255, (a.g + u * (b.g - a.g)) / 255,
          (a.b + u * (b.b - a.b)) / 255};
}

// --- ticks --------------------------------------------------------------------------------
struct Ticks {
  std::vector<double> at;
  int decimals = 0;
};

// Fewest decimals that print every multiple of `step` exactly.
int decimals_for(double step) {
  for (int d = 0; d < 12; ++d) {
    const double s = step * std::pow(10.0, d);
    if (std::abs(s - std::round(s)) < 1e-6 * std::max(1.0, s)) return d;
  }
  return 12;
}

// Multiples of `step` within [lo, hi] (with a hair of slack for rounding).
std::vector<double> multiples(double lo, double hi, double step) {
  std::vector<double> out;
  const double eps = 1e-9 * (hi - lo);
  for (double k = std::ceil((lo - eps) / step); k * step <= hi + eps; k += 1) {
    out.push_back(std::abs(k) < 0.5 ? 0.0 : k * step);
    if (out.size() > 100) break;
  }
  return out;
}

// Nice ticks (1, 2, 2.5, 5 x 10^k) in [lo, hi] whose count lies in [min_n, max_n], closest to
// `want`; evenly spaced ticks at both ends if no nice step fits.
Ticks nice_ticks(double lo, double hi, int min_n, int want, int max_n) {
  const double span = hi - lo;
  Ticks best;
  int best_miss = std::numeric_limits<int>::max();
  const int e0 = static_cast<int>(std::floor(std::log10(span))) - 2;
  for (int e = e0; e <= e0 + 3; ++e) {
    for (double m : {1.0, 2.0, 2.5, 5.0}) {
      const double step = m * std::pow(10.0, e);
      const std::vector<double> at = multiples(lo, hi, step);
      const int n = static_cast<int>(at.size());
      if (n < min_n || n > max_n) continue;
      const int miss = std::abs(n - want);
      if (miss < best_miss) {
        best_miss = miss;
        best.at = at;
        best.decimals = decimals_for(step);
      }
    }
  }
  if (best.at.empty()) {
    for (int n = 0; n < want; ++n) best.at.push_back(lo + span * n / (want - 1));
    best.decimals = std::clamp(2 - static_cast<int>(std::floor(std::log10(span / want))), 0, 12);
  }
  return best;
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// --- cairo helpers ------------------------------------------------------------------------
struct SurfaceDeleter {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct ContextDeleter {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
};
using Surface = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;
using Context = std::unique_ptr<cairo_t, ContextDeleter>;

enum class HAlign { kLeft, kCenter, kRight };

void set_font(cairo_t* cr, double size, bool bold = false) {
  cairo_select_font_face(cr, "sans", CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

double text_width(cairo_t* cr, const std::string& s) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  return e.x_advance;
}

// Draws `s` aligned horizontally at x and vertically centred on y (by the font's cap height).
void draw_text(cairo_t* cr, const std::string& s, double x, double y, HAlign align) {
  const double w = text_width(cr, s);
  cairo_font_extents_t fe;
  cairo_font_extents(cr, &fe);
  const double dx = align == HAlign::kLeft ? 0 : align == HAlign::kCenter ? -w / 2 : -w;
  cairo_move_to(cr, x + dx, y + 0.35 * fe.ascent * 1.0);
  cairo_show_text(cr, s.c_str());
}

// --- data ---------------------------------------------------------------------------------
struct Range {
  double lo, hi;
};

void check_axis(const std::vector<double>& v, const char* name, const std::string& path) {
  if (v.size() < 2)
    throw std::invalid_argument("heat map '" + path + "': needs at least 2 " + name +
                                " nodes, got " + std::to_string(v.size()));
  for (std::size_t n = 0; n < v.size(); ++n)
    if (!std::isfinite(v[n]) || (n > 0 && !(v[n] > v[n - 1])))
      throw std::invalid_argument("heat map '" + path + "': " + name +
                                  " coordinates must be finite and strictly increasing (entry " +
                                  std::to_string(n) + ")");
}

Range colour_range(const std::vector<double>& values, const HeatmapOptions& opt,
                   const std::string& path) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (!(lo <= hi)) lo = hi = 0;  // no finite value at all
  if (std::isfinite(opt.vmin)) lo = opt.vmin;
  if (std::isfinite(opt.vmax)) hi = opt.vmax;
  if (lo > hi)
    throw std::invalid_argument("heat map '" + path + "': colour range vmin " + fixed(lo, 6) +
                                " is above vmax " + fixed(hi, 6));
  if (hi - lo <= 1e-12 * std::max(1.0, std::abs(lo))) {
    // A constant field: centre it in a small range so the bar still has ticks.
    const double pad = std::max(0.5, 1e-3 * std::abs(lo));
    lo -= pad;
    hi += pad;
  }
  return {lo, hi};
}

// Index of the cell of an increasing axis containing v and the weight of its upper node.
void locate(const std::vector<double>& a, double v, std::size_t* i, double* t) {
  const auto it = std::upper_bound(a.begin(), a.end(), v);
  *i = std::clamp<std::size_t>(static_cast<std::size_t>(it - a.begin()), 1, a.size() - 1) - 1;
  *t = std::clamp((v - a[*i]) / (a[*i + 1] - a[*i]), 0.0, 1.0);
}

// Renders the bilinearly interpolated field into a w x h image, row 0 at the top (y max).
Surface render_field(const std::vector<double>& x, const std::vector<double>& y,
                     const std::vector<double>& values, Range r, int w, int h) {
  Surface img(cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h));
  cairo_surface_flush(img.get());
  unsigned char* data = cairo_image_surface_get_data(img.get());
  const int stride = cairo_image_surface_get_stride(img.get());
  const std::size_t ny = y.size();
  std::vector<std::size_t> ix(w);
  std::vector<double> tx(w);
  for (int px = 0; px < w; ++px)
    locate(x, x.front() + (px + 0.5) / w * (x.back() - x.front()), &ix[px], &tx[px]);
  for (int py = 0; py < h; ++py) {
    std::size_t j;
    double ty;
    locate(y, y.back() - (py + 0.5) / h * (y.back() - y.front()), &j, &ty);
    auto* row = reinterpret_cast<std::uint32_t*>(data + py * stride);
    for (int px = 0; px < w; ++px) {
      const std::size_t i = ix[px];
      const double u = tx[px];
      const double v = (1 - u) * ((1 - ty) * values[i * ny + j] + ty * values[i * ny + j + 1]) +
                       u * ((1 - ty) * values[(i + 1) * ny + j] + ty * values[(i + 1) * ny + j + 1]);
      const Rgb c = std::isfinite(v) ? colour_at((v - r.lo) / (r.hi - r.lo)) : Rgb{0.6, 0.6, 0.6};
      row[px] = (static_cast<std::uint32_t>(std::lround(c.r * 255)) << 16) |
                (static_cast<std::uint32_t>(std::lround(c.g * 255)) << 8) |
                static_cast<std::uint32_t>(std::lround(c.b * 255));
    }
  }
  cairo_surface_mark_dirty(img.get());
  return img;
}

// --- layout -------------------------------------------------------------------------------
constexpr double kTitleFont = 17, kLabelFont = 14, kTickFont = 12, kNoteFont = 12;
constexpr double kTickLen = 5, kPad = 12, kBarWidth = 20;

struct Box {
  double x, y, w, h;  // pixels, y down
};

void draw_axes(cairo_t* cr, Box p, Range xr, Range yr, const Ticks& xt, const Ticks& yt) {
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, p.x - 0.5, p.y - 0.5, p.w + 1, p.h + 1);
  cairo_stroke(cr);
  set_font(cr, kTickFont);
  for (double t : xt.at) {
    const double px = std::round(p.x + (t - xr.lo) / (xr.hi - xr.lo) * p.w) + 0.5;
    cairo_move_to(cr, px, p.y + p.h + 0.5);
    cairo_line_to(cr, px, p.y + p.h + kTickLen);
    cairo_stroke(cr);
    draw_text(cr, fixed(t, xt.decimals), px, p.y + p.h + kTickLen + 4 + kTickFont / 2,
              HAlign::kCenter);
  }
  for (double t : yt.at) {
    const double py = std::round(p.y + p.h - (t - yr.lo) / (yr.hi - yr.lo) * p.h) + 0.5;
    cairo_move_to(cr, p.x - 0.5, py);
    cairo_line_to(cr, p.x - kTickLen, py);
    cairo_stroke(cr);
    draw_text(cr, fixed(t, yt.decimals), p.x - kTickLen - 4, py, HAlign::kRight);
  }
}

void draw_colour_bar(cairo_t* cr, Box b, Range r, const Ticks& ct, const std::string& unit) {
  cairo_pattern_t* grad = cairo_pattern_create_linear(0, b.y + b.h, 0, b.y);
  for (const ColourStop& s : kRamp)
    cairo_pattern_add_color_stop_rgb(grad, s.t, s.r / 255, s.g / 255, s.b / 255);
  cairo_rectangle(cr, b.x, b.y, b.w, b.h);
  cairo_set_source(cr, grad);
  cairo_fill(cr);
  cairo_pattern_destroy(grad);
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, b.x - 0.5, b.y - 0.5, b.w + 1, b.h + 1);
  cairo_stroke(cr);
  set_font(cr, kTickFont);
  for (double t : ct.at) {
    const double py = std::round(b.y + b.h - (t - r.lo) / (r.hi - r.lo) * b.h) + 0.5;
    cairo_move_to(cr, b.x + b.w + 0.5, py);
    cairo_line_to(cr, b.x + b.w + kTickLen, py);
    cairo_stroke(cr);
    draw_text(cr, fixed(t, ct.decimals), b.x + b.w + kTickLen + 4, py, HAlign::kLeft);
  }
  if (!unit.empty()) {
    set_font(cr, kLabelFont);
    draw_text(cr, unit, b.x + b.w / 2, b.y - 14, HAlign::kCenter);
  }
}

// A circled cross at the maximum and a boxed label beside it, kept inside the picture.
void draw_hotspot(cairo_t* cr, double px, double py, const std::string& label, double img_w,
                  double img_h, Box plot) {
  const double rad = 8;
  for (int pass = 0; pass < 2; ++pass) {  // dark halo, then white, so it shows on any colour
    cairo_set_line_width(cr, pass == 0 ? 4 : 2);
    if (pass == 0) cairo_set_source_rgb(cr, 0, 0, 0);
    else cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_new_sub_path(cr);
    cairo_arc(cr, px, py, rad, 0, 2 * M_PI);
    cairo_move_to(cr, px - rad - 5, py);
    cairo_line_to(cr, px + rad + 5, py);
    cairo_move_to(cr, px, py - rad - 5);
    cairo_line_to(cr, px, py + rad + 5);
    cairo_stroke(cr);
  }
  set_font(cr, kNoteFont);
  const double tw = text_width(cr, label), th = kNoteFont + 8, gap = rad + 8;
  double bx = px + gap, by = py - gap - th;
  if (bx + tw + 10 > plot.x + plot.w) bx = px - gap - tw - 10;  // flip left
  if (by < plot.y) by = py + gap;                               // flip below
  bx = std::clamp(bx, 2.0, std::max(2.0, img_w - tw - 12));
  by = std::clamp(by, 2.0, std::max(2.0, img_h - th - 2));
  cairo_rectangle(cr, bx, by, tw + 10, th);
  cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
  cairo_fill_preserve(cr);
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_set_line_width(cr, 1);
  cairo_stroke(cr);
  draw_text(cr, label, bx + 5, by + th / 2, HAlign::kLeft);
}

}  // namespace

void write_heatmap_png(const std::string& path, const std::vector<double>& x_m,
                       const std::vector<double>& y_m, const std::vector<double>& values,
                       const HeatmapOptions& opt) {
  check_axis(x_m, "x", path);
  check_axis(y_m, "y", path);
  if (values.size() != x_m.size() * y_m.size())
    throw std::invalid_argument("heat map '" + path + "': " + std::to_string(values.size()) +
                                " values for a " + std::to_string(x_m.size()) + " x " +
                                std::to_string(y_m.size()) + " grid");
  if (opt.width_px < 240 || opt.height_px < 200 || opt.width_px > 20000 || opt.height_px > 20000)
    throw std::invalid_argument("heat map '" + path + "': picture size " +
                                std::to_string(opt.width_px) + " x " +
                                std::to_string(opt.height_px) +
                                " px is outside 240 x 200 .. 20000 x 20000");
  const Range cr_range = colour_range(values, opt, path);
  const Range xr{x_m.front() * kMmPerM, x_m.back() * kMmPerM};
  const Range yr{y_m.front() * kMmPerM, y_m.back() * kMmPerM};
  const double img_w = opt.width_px, img_h = opt.height_px;

  Surface surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, opt.width_px, opt.height_px));
  Context ctx(cairo_create(surface.get()));
  cairo_t* cr = ctx.get();
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);

  // Margins from the text they must hold.
  const Ticks ct = nice_ticks(cr_range.lo, cr_range.hi, 5, 6, 7);
  set_font(cr, kTickFont);
  double bar_label_w = 0;
  for (double t : ct.at) bar_label_w = std::max(bar_label_w, text_width(cr, fixed(t, ct.decimals)));
  const double top = kPad + (opt.title.empty() ? 0 : kTitleFont + 10) + kLabelFont + 10;
  const double bottom = kTickLen + 4 + kTickFont + 10 + kLabelFont + kPad;
  const double right = 28 + kBarWidth + kTickLen + 4 + bar_label_w + kPad;
  // The y tick labels' width depends on the ticks, which depend on the plot height; one
  // estimate with a generous height is close enough for the margin.
  const Ticks yt_est = nice_ticks(yr.lo, yr.hi, 3, std::max(3, static_cast<int>(img_h / 90)), 11);
  double ylab_w = 0;
  for (double t : yt_est.at) ylab_w = std::max(ylab_w, text_width(cr, fixed(t, yt_est.decimals)));
  const double left = kPad + kLabelFont + 10 + ylab_w + kTickLen + 4;

  const double avail_w = img_w - left - right, avail_h = img_h - top - bottom;
  if (avail_w < 40 || avail_h < 40)
    throw std::invalid_argument("heat map '" + path + "': picture " +
                                std::to_string(opt.width_px) + " x " +
                                std::to_string(opt.height_px) + " px is too small for its labels");
  const double scale = std::min(avail_w / (xr.hi - xr.lo), avail_h / (yr.hi - yr.lo));
  Box plot{0, 0, std::max(1.0, std::round((xr.hi - xr.lo) * scale)),
           std::max(1.0, std::round((yr.hi - yr.lo) * scale))};
  plot.x = std::round(left + (avail_w - plot.w) / 2);
  plot.y = std::round(top + (avail_h - plot.h) / 2);

  Surface field = render_field(x_m, y_m, values, cr_range, static_cast<int>(plot.w),
                               static_cast<int>(plot.h));
  cairo_set_source_surface(cr, field.get(), plot.x, plot.y);
  cairo_paint(cr);

  const Ticks xt = nice_ticks(xr.lo, xr.hi, 2, std::max(2, static_cast<int>(plot.w / 90)), 11);
  const Ticks yt = nice_ticks(yr.lo, yr.hi, 2, std::max(2, static_cast<int>(plot.h / 70)), 11);
  draw_axes(cr, plot, xr, yr, xt, yt);
  set_font(cr, kLabelFont);
  draw_text(cr, "x (mm)", plot.x + plot.w / 2, img_h - kPad - kLabelFont / 2, HAlign::kCenter);
  cairo_save(cr);
  cairo_translate(cr, kPad + kLabelFont / 2, plot.y + plot.h / 2);
  cairo_rotate(cr, -M_PI / 2);
  draw_text(cr, "y (mm)", 0, 0, HAlign::kCenter);
  cairo_restore(cr);

  const double bar_h = std::max(plot.h, std::min(avail_h, 240.0));
  const Box bar{plot.x + plot.w + 28, std::round(plot.y + plot.h / 2 - bar_h / 2), kBarWidth,
                bar_h};
  draw_colour_bar(cr, bar, cr_range, ct, opt.unit);

  if (!opt.title.empty()) {
    double size = kTitleFont;
    set_font(cr, size, true);
    while (size > 8 && text_width(cr, opt.title) > img_w - 2 * kPad) set_font(cr, --size, true);
    draw_text(cr, opt.title, img_w / 2, kPad + kTitleFont / 2, HAlign::kCenter);
  }

  if (opt.mark_hotspot) {
    std::size_t best = values.size();
    for (std::size_t n = 0; n < values.size(); ++n)
      if (std::isfinite(values[n]) && (best == values.size() || values[n] > values[best])) best = n;
    if (best < values.size()) {
      const double xm = x_m[best / y_m.size()] * kMmPerM, ym = y_m[best % y_m.size()] * kMmPerM;
      const int vd = std::clamp(std::max(2, ct.decimals + 1), 0, 12);
      const int pd = std::clamp(std::max(2, std::max(xt.decimals, yt.decimals) + 1), 0, 12);
      const std::string label = "max " + fixed(values[best], vd) +
                                (opt.unit.empty() ? "" : " " + opt.unit) + " at (" +
                                fixed(xm, pd) + ", " + fixed(ym, pd) + ") mm";
      draw_hotspot(cr, plot.x + (xm - xr.lo) / (xr.hi - xr.lo) * plot.w,
                   plot.y + plot.h - (ym - yr.lo) / (yr.hi - yr.lo) * plot.h, label, img_w, img_h,
                   plot);
    }
  }

  cairo_surface_flush(surface.get());
  cairo_status_t st = cairo_status(cr);
  if (st == CAIRO_STATUS_SUCCESS) st = cairo_surface_write_to_png(surface.get(), path.c_str());
  if (st != CAIRO_STATUS_SUCCESS)
    throw std::runtime_error("heat map '" + path + "': cannot write PNG (" +
                             cairo_status_to_string(st) + ")");
}

}  // namespace heatop::io
