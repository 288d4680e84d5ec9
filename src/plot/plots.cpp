#include "plot/plots.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <stdexcept>

#include "plot/plot_util.hpp"

namespace heatop::plot {

using namespace plot;

namespace {

struct Frame {
  double x0, y0, w, h;  // plot area in pixels
  double lo_x, hi_x, lo_y, hi_y;
  double px(double v) const { return x0 + (v - lo_x) / (hi_x - lo_x) * w; }
  double py(double v) const { return y0 + h - (v - lo_y) / (hi_y - lo_y) * h; }
};

void axes(cairo_t* cr, const Frame& f, const Ticks& xt, const Ticks& yt, const std::string& xl,
          const std::string& yl) {
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, f.x0, f.y0, f.w, f.h);
  cairo_stroke(cr);
  set_font(cr, 11);
  for (double t : xt.at) {
    const double x = f.px(t);
    cairo_move_to(cr, x, f.y0 + f.h);
    cairo_line_to(cr, x, f.y0 + f.h + 4);
    cairo_stroke(cr);
    draw_text(cr, fixed(t, xt.decimals), x, f.y0 + f.h + 14, HAlign::kCenter);
  }
  for (double t : yt.at) {
    const double y = f.py(t);
    cairo_move_to(cr, f.x0 - 4, y);
    cairo_line_to(cr, f.x0, y);
    cairo_stroke(cr);
    draw_text(cr, fixed(t, yt.decimals), f.x0 - 7, y, HAlign::kRight);
  }
  set_font(cr, 12);
  draw_text(cr, xl, f.x0 + f.w / 2, f.y0 + f.h + 34, HAlign::kCenter);
  cairo_save(cr);
  cairo_translate(cr, f.x0 - 62, f.y0 + f.h / 2);
  cairo_rotate(cr, -M_PI / 2);
  draw_text(cr, yl, 0, 0, HAlign::kCenter);
  cairo_restore(cr);
}

const double kColours[][3] = {{0.12, 0.47, 0.71},
                              {0.84, 0.15, 0.16},
                              {0.17, 0.63, 0.17},
                              {0.58, 0.40, 0.74},
                              {1.00, 0.50, 0.05}};

}  // namespace

void write_line_plot_png(const std::string& path, const std::vector<Panel>& panels, int width_px,
                         int height_px) {
  if (panels.empty()) throw std::invalid_argument("write_line_plot_png: no panels for " + path);
  Surface s(cairo_image_surface_create(CAIRO_FORMAT_RGB24, width_px, height_px));
  Context ctx(cairo_create(s.get()));
  cairo_t* cr = ctx.get();
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  const double pw = static_cast<double>(width_px) / panels.size();
  for (std::size_t p = 0; p < panels.size(); ++p) {
    Panel pan = panels[p];
    if (pan.log_axes) {  // plot log10 of the data; tick labels then read as powers of ten
      for (auto& sr : pan.series) {
        for (auto& v : sr.x) v = v > 0 ? std::log10(v) : NAN;
        for (auto& v : sr.y) v = v > 0 ? std::log10(v) : NAN;
      }
      pan.x_label = "log10 " + pan.x_label;
      pan.y_label = "log10 " + pan.y_label;
    }
    double lx = 1e300, hx = -1e300, ly = 1e300, hy = -1e300;
    for (const auto& sr : pan.series)
      for (std::size_t i = 0; i < sr.x.size() && i < sr.y.size(); ++i) {
        if (!std::isfinite(sr.x[i]) || !std::isfinite(sr.y[i])) continue;
        lx = std::min(lx, sr.x[i]);
        hx = std::max(hx, sr.x[i]);
        ly = std::min(ly, sr.y[i]);
        hy = std::max(hy, sr.y[i]);
      }
    if (lx > hx) lx = 0, hx = 1, ly = 0, hy = 1;
    if (hx - lx <= 0) hx = lx + 1;
    if (hy - ly <= 1e-12 * std::max(1.0, std::abs(hy))) ly -= 0.5, hy += 0.5;
    const double pad = 0.05 * (hy - ly);
    ly -= pad;
    hy += pad;
    Ticks xt = nice_ticks(&lx, &hx, 4, 6, 8, true);
    Ticks yt = nice_ticks(&ly, &hy, 4, 6, 8, true);
    Frame f{p * pw + 85, 45, pw - 115, height_px - 100.0, lx, hx, ly, hy};
    set_font(cr, 14, true);
    cairo_set_source_rgb(cr, 0, 0, 0);
    draw_text(cr, pan.title, f.x0 + f.w / 2, 22, HAlign::kCenter);
    axes(cr, f, xt, yt, pan.x_label, pan.y_label);
    cairo_save(cr);
    cairo_rectangle(cr, f.x0, f.y0, f.w, f.h);
    cairo_clip(cr);
    const bool mark_lines = pan.x_marks.size() <= kMaxMarkLines;
    if (!pan.x_marks.empty()) {
      cairo_save(cr);
      cairo_set_source_rgb(cr, mark_lines ? 0.55 : 0.7, mark_lines ? 0.55 : 0.7,
                           mark_lines ? 0.55 : 0.7);
      cairo_set_line_width(cr, 1);
      const double dash[2] = {4, 3};
      if (mark_lines) cairo_set_dash(cr, dash, 2, 0);
      for (double m : pan.x_marks) {
        const double v = pan.log_axes ? (m > 0 ? std::log10(m) : NAN) : m;
        if (!std::isfinite(v) || v < lx || v > hx) continue;
        const double x = std::round(f.px(v)) + 0.5;  // crisp one-pixel lines
        cairo_move_to(cr, x, f.y0);
        cairo_line_to(cr, x, mark_lines ? f.y0 + f.h : f.y0 + 8);
      }
      cairo_stroke(cr);
      cairo_restore(cr);
    }
    for (std::size_t k = 0; k < pan.series.size(); ++k) {
      const auto& sr = pan.series[k];
      const double* c = kColours[(sr.colour >= 0 ? sr.colour : static_cast<int>(k)) % 5];
      cairo_set_source_rgb(cr, c[0], c[1], c[2]);
      cairo_set_line_width(cr, 2);
      if (sr.markers) {
        for (std::size_t i = 0; i < sr.x.size() && i < sr.y.size(); ++i) {
          if (!std::isfinite(sr.x[i]) || !std::isfinite(sr.y[i])) continue;
          cairo_new_sub_path(cr);
          cairo_arc(cr, f.px(sr.x[i]), f.py(sr.y[i]), 3.0, 0, 2 * M_PI);
        }
        cairo_fill(cr);
        continue;
      }
      bool started = false;
      for (std::size_t i = 0; i < sr.x.size() && i < sr.y.size(); ++i) {
        if (!std::isfinite(sr.x[i]) || !std::isfinite(sr.y[i])) continue;
        if (!started)
          cairo_move_to(cr, f.px(sr.x[i]), f.py(sr.y[i]));
        else
          cairo_line_to(cr, f.px(sr.x[i]), f.py(sr.y[i]));
        started = true;
      }
      cairo_stroke(cr);
    }
    cairo_restore(cr);
    set_font(cr, 11);
    int row = 0;
    for (std::size_t k = 0; k < pan.series.size(); ++k) {
      if (pan.series[k].label.empty()) continue;  // unlabelled series stay out of the legend
      const int ci = pan.series[k].colour >= 0 ? pan.series[k].colour : static_cast<int>(k);
      const double* c = kColours[ci % 5];
      const double yy = f.y0 + 14 + 16 * row++;
      cairo_set_source_rgb(cr, c[0], c[1], c[2]);
      cairo_rectangle(cr, f.x0 + f.w - 150, yy - 5, 18, 4);
      cairo_fill(cr);
      cairo_set_source_rgb(cr, 0, 0, 0);
      draw_text(cr, pan.series[k].label, f.x0 + f.w - 126, yy - 3, HAlign::kLeft);
    }
    if (!pan.x_marks.empty() && !pan.marks_label.empty()) {
      const double yy = f.y0 + 14 + 16 * row++;
      cairo_set_source_rgb(cr, 0.55, 0.55, 0.55);
      cairo_set_line_width(cr, 1);
      cairo_move_to(cr, f.x0 + f.w - 141.5, yy - 9);
      cairo_line_to(cr, f.x0 + f.w - 141.5, yy + 3);
      cairo_stroke(cr);
      cairo_set_source_rgb(cr, 0, 0, 0);
      draw_text(cr, pan.marks_label, f.x0 + f.w - 126, yy - 3, HAlign::kLeft);
    }
  }
  save_png(s.get(), path);
}

void write_floorplan_png(const std::string& path, double lx, double ly,
                         const std::vector<FloorplanRect>& rects, const std::string& title,
                         int width_px, int height_px) {
  if (!(lx > 0) || !(ly > 0)) throw std::invalid_argument("write_floorplan_png: bad die size");
  Surface s(cairo_image_surface_create(CAIRO_FORMAT_RGB24, width_px, height_px));
  Context ctx(cairo_create(s.get()));
  cairo_t* cr = ctx.get();
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  const double avail_w = width_px - 110.0, avail_h = height_px - 110.0;
  const double scale = std::min(avail_w / lx, avail_h / ly);
  double x0 = 0, x1 = lx * 1e3, y0 = 0, y1 = ly * 1e3;
  const Ticks xt = nice_ticks(x0, x1, 4, 6, 8), yt = nice_ticks(y0, y1, 4, 6, 8);
  Frame f{85 + (avail_w - lx * scale) / 2, 50, lx * scale, ly * scale, x0, x1, y0, y1};
  double dmax = 0;
  for (const auto& r : rects)
    if (!r.keep_out) dmax = std::max(dmax, r.power_W / (r.w * r.h));
  cairo_set_source_rgb(cr, 0.93, 0.93, 0.93);
  cairo_rectangle(cr, f.x0, f.y0, f.w, f.h);
  cairo_fill(cr);
  for (const auto& r : rects) {
    const double px = f.px(r.x * 1e3), py = f.py((r.y + r.h) * 1e3);
    const double w = r.w * scale, h = r.h * scale;
    if (r.keep_out) {
      cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
      cairo_rectangle(cr, px, py, w, h);
      cairo_fill(cr);
      cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
      for (double d = -h; d < w; d += 8) {  // hatching
        cairo_move_to(cr, px + std::max(0.0, d), py + std::max(0.0, -d));
        cairo_line_to(cr, px + std::min(w, d + h),
                      py + std::min(h, h - (d + h - std::min(w, d + h))));
      }
      cairo_set_line_width(cr, 0.8);
      cairo_stroke(cr);
    } else {
      const double t = dmax > 0 ? r.power_W / (r.w * r.h) / dmax : 0;
      cairo_set_source_rgb(cr, 1.0, 0.9 - 0.55 * t, 0.6 - 0.5 * t);
      cairo_rectangle(cr, px, py, w, h);
      cairo_fill(cr);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, r.fixed ? 2.5 : 1.2);
    cairo_rectangle(cr, px, py, w, h);
    cairo_stroke(cr);
    if (!r.label.empty()) {
      set_font(cr, std::clamp(std::min(w, h) / 3.2, 8.0, 13.0), true);
      draw_text(cr, r.label, px + w / 2, py + h / 2 - (r.keep_out ? 0 : 6), HAlign::kCenter);
      if (!r.keep_out) {
        set_font(cr, std::clamp(std::min(w, h) / 4.0, 7.0, 11.0));
        draw_text(cr, fixed(r.power_W, 2) + " W", px + w / 2, py + h / 2 + 8, HAlign::kCenter);
      }
    }
  }
  set_font(cr, 14, true);
  cairo_set_source_rgb(cr, 0, 0, 0);
  draw_text(cr, title, width_px / 2.0, 22, HAlign::kCenter);
  axes(cr, f, xt, yt, "x (mm)", "y (mm)");
  save_png(s.get(), path);
}

void draw_all(const std::vector<std::function<void()>>& jobs) {
  std::vector<std::exception_ptr> failed(jobs.size());
  const int n = static_cast<int>(jobs.size());
  // Pictures are independent (cairo and libpng keep no shared drawing state between surfaces),
  // so a results folder's few PNGs take the time of the slowest rather than of all together.
#pragma omp parallel for schedule(dynamic, 1) if (n > 1)
  for (int i = 0; i < n; ++i) {
    try {
      jobs[i]();
    } catch (...) {
      failed[i] = std::current_exception();
    }
  }
  for (const auto& e : failed)
    if (e) std::rethrow_exception(e);
}

}  // namespace heatop::plot
