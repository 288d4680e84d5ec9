#include "plot/png_plot.hpp"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <stdexcept>

#include "plot/plot_util.hpp"

namespace heatop::plot {

namespace {

using namespace plot;

constexpr double kMmPerM = 1e3;
constexpr double kPi = 3.14159265358979323846;

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
      const double v =
          (1 - u) * ((1 - ty) * values[i * ny + j] + ty * values[i * ny + j + 1]) +
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
constexpr double kTickLen = 5, kPad = 12, kBarWidth = 20, kBarGap = 28, kMinBarHeight = 240;

struct Box {
  double x, y, w, h;  // pixels, y down
};

// Where everything goes. The plot keeps the die's aspect ratio; plot and colour bar share a
// horizontal mid-line, and the whole group (title, plot, labels, bar) is centred in the picture.
struct Layout {
  Box plot, bar;
  double title_y = 0, group_cx = 0;  // title centre line and the group's horizontal centre
  double ylabel_x = 0;               // centre of the rotated "y (mm)"
  double caption_y = 0;              // centre line of the max label when it is a caption
};

double widest(cairo_t* cr, const Ticks& t) {
  set_font(cr, kTickFont);
  double w = 0;
  for (double v : t.at) w = std::max(w, text_width(cr, fixed(v, t.decimals)));
  return w;
}

// Ticks for an axis `pixels` long: about one per `px_per_tick`, fewer if neighbouring labels
// would come closer than `gap` pixels (the label width along x; its height along y).
Ticks axis_ticks(cairo_t* cr, Range r, double pixels, double px_per_tick, bool along_x) {
  Ticks t;
  for (int want = std::max(3, static_cast<int>(pixels / px_per_tick)); want >= 2; --want) {
    t = nice_ticks(r.lo, r.hi, 2, want, want + 1);
    if (t.at.size() < 2) continue;
    const double spacing = (t.at[1] - t.at[0]) / (r.hi - r.lo) * pixels;
    const double need = along_x ? widest(cr, t) + 10 : kTickFont + 4;
    if (spacing >= need) return t;
  }
  return t;
}

// `caption` reserves a line under the x-axis label for the max label.
Layout make_layout(double img_w, double img_h, Range xr, Range yr, bool has_title, double ylab_w,
                   double bar_label_w, bool caption, const std::string& path) {
  const double title_h = has_title ? kTitleFont + 12 : 0;
  const double top = kPad + title_h + kLabelFont + 10;  // the unit sits above the bar
  const double xlabel_h = kTickLen + 4 + kTickFont + 10 + kLabelFont;
  const double bottom = xlabel_h + (caption ? kNoteFont + 18 : 0) + kPad;
  const double left = kPad + kLabelFont + 10 + ylab_w + kTickLen + 4;
  const double right = kBarGap + kBarWidth + kTickLen + 4 + bar_label_w + kPad;
  const double avail_w = img_w - left - right, avail_h = img_h - top - bottom;
  if (avail_w < 40 || avail_h < 40)
    throw std::invalid_argument(
        "heat map '" + path + "': a picture of " + std::to_string(static_cast<int>(img_w)) + " x " +
        std::to_string(static_cast<int>(img_h)) + " px is too small for its labels");
  const double scale = std::min(avail_w / (xr.hi - xr.lo), avail_h / (yr.hi - yr.lo));
  Layout l;
  l.plot.w = std::max(1.0, std::round((xr.hi - xr.lo) * scale));
  l.plot.h = std::max(1.0, std::round((yr.hi - yr.lo) * scale));
  l.bar.w = kBarWidth;
  l.bar.h = std::max(l.plot.h, std::min(avail_h, kMinBarHeight));
  const double content_h = std::max(l.plot.h, l.bar.h);
  const double y0 = (img_h - (top + content_h + bottom)) / 2;
  const double x0 = (img_w - (left + l.plot.w + right)) / 2;
  const double mid = y0 + top + content_h / 2;
  l.plot.x = std::round(x0 + left);
  l.plot.y = std::round(mid - l.plot.h / 2);
  l.bar.x = l.plot.x + l.plot.w + kBarGap;
  l.bar.y = std::round(mid - l.bar.h / 2);
  l.title_y = y0 + kPad + kTitleFont / 2;
  l.group_cx = x0 + (left + l.plot.w + right) / 2;
  l.ylabel_x = x0 + kPad + kLabelFont / 2;
  l.caption_y = l.plot.y + l.plot.h + xlabel_h + 10 + kNoteFont / 2 + 4;
  return l;
}

void draw_axes(cairo_t* cr, const Layout& l, Range xr, Range yr, const Ticks& xt, const Ticks& yt) {
  const Box& p = l.plot;
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
  set_font(cr, kLabelFont);
  draw_text(cr, "x (mm)", p.x + p.w / 2, p.y + p.h + kTickLen + 4 + kTickFont + 10 + kLabelFont / 2,
            HAlign::kCenter);
  cairo_save(cr);
  cairo_translate(cr, l.ylabel_x, p.y + p.h / 2);
  cairo_rotate(cr, -kPi / 2);
  draw_text(cr, "y (mm)", 0, 0, HAlign::kCenter);
  cairo_restore(cr);
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

// Centred on cx unless that would push the text off the picture.
void draw_centred_inside(cairo_t* cr, const std::string& s, double cx, double cy, double img_w) {
  const double half = text_width(cr, s) / 2;
  cx = std::clamp(cx, kPad + half, std::max(kPad + half, img_w - kPad - half));
  draw_text(cr, s, cx, cy, HAlign::kCenter);
}

void draw_title(cairo_t* cr, const std::string& title, double cx, double cy, double img_w) {
  double size = kTitleFont;
  set_font(cr, size, true);
  while (size > 8 && text_width(cr, title) > img_w - 2 * kPad) set_font(cr, --size, true);
  draw_centred_inside(cr, title, cx, cy, img_w);
}

void draw_marker(cairo_t* cr, double px, double py) {
  const double rad = 8;
  for (int pass = 0; pass < 2; ++pass) {  // dark halo, then white, so it shows on any colour
    cairo_set_line_width(cr, pass == 0 ? 4 : 2);
    if (pass == 0) {
      cairo_set_source_rgb(cr, 0, 0, 0);
    } else {
      cairo_set_source_rgb(cr, 1, 1, 1);
    }
    cairo_new_sub_path(cr);
    cairo_arc(cr, px, py, rad, 0, 2 * kPi);
    cairo_move_to(cr, px - rad - 5, py);
    cairo_line_to(cr, px + rad + 5, py);
    cairo_move_to(cr, px, py - rad - 5);
    cairo_line_to(cr, px, py + rad + 5);
    cairo_stroke(cr);
  }
}

// The maximum: where it is (pixels) and its label.
struct Hotspot {
  double px = 0, py = 0;
  std::string label;
  bool found = false;
};

Hotspot find_hotspot(const std::vector<double>& x_m, const std::vector<double>& y_m,
                     const std::vector<double>& values, const std::string& unit, const Layout& l,
                     Range xr, Range yr, int value_decimals, int mm_decimals) {
  Hotspot h;
  std::size_t best = values.size();
  for (std::size_t n = 0; n < values.size(); ++n)
    if (std::isfinite(values[n]) && (best == values.size() || values[n] > values[best])) best = n;
  if (best == values.size()) return h;  // nothing finite to mark
  const double xm = x_m[best / y_m.size()] * kMmPerM, ym = y_m[best % y_m.size()] * kMmPerM;
  h.found = true;
  h.px = l.plot.x + (xm - xr.lo) / (xr.hi - xr.lo) * l.plot.w;
  h.py = l.plot.y + l.plot.h - (ym - yr.lo) / (yr.hi - yr.lo) * l.plot.h;
  h.label = "max " + fixed(values[best], value_decimals) + (unit.empty() ? "" : " " + unit) +
            " at (" + fixed(xm, mm_decimals) + ", " + fixed(ym, mm_decimals) + ") mm";
  return h;
}

// A box for the label beside the marker and inside the plot: above-right, above-left,
// below-right or below-left, whichever fits first. False if none fits.
bool label_box(cairo_t* cr, const Hotspot& h, const Box& plot, Box* box) {
  set_font(cr, kNoteFont);
  const double w = text_width(cr, h.label) + 10, ht = kNoteFont + 8, gap = 16;
  for (int q = 0; q < 4; ++q) {
    const double bx = q % 2 == 0 ? h.px + gap : h.px - gap - w;
    const double by = q < 2 ? h.py - gap - ht : h.py + gap;
    if (bx >= plot.x + 2 && bx + w <= plot.x + plot.w - 2 && by >= plot.y + 2 &&
        by + ht <= plot.y + plot.h - 2) {
      *box = {std::round(bx), std::round(by), std::round(w), ht};
      return true;
    }
  }
  return false;
}

void draw_label_box(cairo_t* cr, const std::string& label, const Box& b) {
  cairo_rectangle(cr, b.x + 0.5, b.y + 0.5, b.w, b.h);
  cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
  cairo_fill_preserve(cr);
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_set_line_width(cr, 1);
  cairo_stroke(cr);
  set_font(cr, kNoteFont);
  draw_text(cr, label, b.x + 5.5, b.y + 0.5 + b.h / 2, HAlign::kLeft);
}

void check_inputs(const std::string& path, const std::vector<double>& x_m,
                  const std::vector<double>& y_m, const std::vector<double>& values,
                  const HeatmapOptions& opt) {
  check_axis(x_m, "x", path);
  check_axis(y_m, "y", path);
  if (values.size() != x_m.size() * y_m.size())
    throw std::invalid_argument("heat map '" + path + "': " + std::to_string(values.size()) +
                                " values for a " + std::to_string(x_m.size()) + " x " +
                                std::to_string(y_m.size()) + " grid");
  if (opt.width_px < 240 || opt.height_px < 200 || opt.width_px > 20000 || opt.height_px > 20000)
    throw std::invalid_argument(
        "heat map '" + path + "': picture size " + std::to_string(opt.width_px) + " x " +
        std::to_string(opt.height_px) + " px is outside 240 x 200 .. 20000 x 20000");
}

}  // namespace

void write_heatmap_png(const std::string& path, const std::vector<double>& x_m,
                       const std::vector<double>& y_m, const std::vector<double>& values,
                       const HeatmapOptions& opt) {
  check_inputs(path, x_m, y_m, values, opt);
  Range vr = colour_range(values, opt, path);
  const bool snap = !std::isfinite(opt.vmin) && !std::isfinite(opt.vmax);
  const Ticks ct = nice_ticks(&vr.lo, &vr.hi, 5, 6, 7, snap);
  const Range xr{x_m.front() * kMmPerM, x_m.back() * kMmPerM};
  const Range yr{y_m.front() * kMmPerM, y_m.back() * kMmPerM};
  const double img_w = opt.width_px, img_h = opt.height_px;

  Surface surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, opt.width_px, opt.height_px));
  Context ctx(cairo_create(surface.get()));
  cairo_t* cr = ctx.get();
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);

  // The y tick labels set the left margin but depend on the plot height: lay out with labels
  // for the full height, then again if the real ones are wider. The max label goes beside its
  // marker if it fits inside the plot, else in a caption line that needs one more layout.
  const double bar_label_w = widest(cr, ct);
  double ylab_w = widest(cr, axis_ticks(cr, yr, img_h, 70, false));
  bool caption = false;
  Layout l;
  Ticks xt, yt;
  Hotspot hot;
  Box hot_box{};
  for (int pass = 0; pass < 3; ++pass) {
    l = make_layout(img_w, img_h, xr, yr, !opt.title.empty(), ylab_w, bar_label_w, caption, path);
    yt = axis_ticks(cr, yr, l.plot.h, 70, false);
    xt = axis_ticks(cr, xr, l.plot.w, 90, true);
    if (opt.mark_hotspot)
      hot = find_hotspot(x_m, y_m, values, opt.unit, l, xr, yr,
                         std::min(12, std::max(2, ct.decimals + 1)),
                         std::min(12, std::max({2, xt.decimals, yt.decimals})));
    const bool need_caption = hot.found && !caption && !label_box(cr, hot, l.plot, &hot_box);
    if (widest(cr, yt) <= ylab_w && !need_caption) break;
    ylab_w = std::max(ylab_w, widest(cr, yt));
    caption = caption || need_caption;
  }

  Surface field =
      render_field(x_m, y_m, values, vr, static_cast<int>(l.plot.w), static_cast<int>(l.plot.h));
  cairo_set_source_surface(cr, field.get(), l.plot.x, l.plot.y);
  cairo_paint(cr);
  draw_axes(cr, l, xr, yr, xt, yt);
  draw_colour_bar(cr, l.bar, vr, ct, opt.unit);
  if (!opt.title.empty()) draw_title(cr, opt.title, l.group_cx, l.title_y, img_w);
  if (hot.found) {
    draw_marker(cr, hot.px, hot.py);
    if (caption) {
      set_font(cr, kNoteFont);
      cairo_set_source_rgb(cr, 0, 0, 0);
      draw_centred_inside(cr, hot.label, l.plot.x + l.plot.w / 2, l.caption_y, img_w);
    } else {
      draw_label_box(cr, hot.label, hot_box);
    }
  }

  const cairo_status_t st = cairo_status(cr);
  if (st != CAIRO_STATUS_SUCCESS)
    throw std::runtime_error("heat map '" + path + "': cannot draw (" + cairo_status_to_string(st) +
                             ")");
  save_png(surface.get(), path);
}

}  // namespace heatop::plot
