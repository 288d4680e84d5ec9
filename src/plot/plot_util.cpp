#include "plot/plot_util.hpp"

#include <cairo-ft.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace heatop::plot {

namespace {
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

}  // namespace

// --- ticks --------------------------------------------------------------------------------

// Fewest decimals that print every multiple of `step` exactly.
int decimals_for(double step) {
  for (int d = 0; d < 12; ++d) {
    const double s = step * std::pow(10.0, d);
    if (std::abs(s - std::round(s)) < 1e-6 * std::max(1.0, s)) return d;
  }
  return 12;
}

// Nice ticks in [lo, hi]: steps of 1, 2, 2.5 or 5 x 10^k, else 1.5, 3, 4, 6 or 7.5 x 10^k,
// with a count in [min_n, max_n] and closest to `want` (together these give 5..7 ticks for any
// range). With `snap`, [lo, hi] may first grow by up to 5% of its span to the nearest multiples
// of the step, so 300.0001 .. 320 K gets ticks 300, 305, ..., 320; the range actually used is
// returned in *lo and *hi. If no step fits, the count may be one outside [min_n, max_n], and
// evenly spaced ticks between the ends are the last resort.
Ticks nice_ticks(double* lo, double* hi, int min_n, int want, int max_n, bool snap) {
  const double span = *hi - *lo;
  const int e0 = static_cast<int>(std::floor(std::log10(span))) - 2;
  for (int relax = 0; relax <= 1; ++relax) {
    Ticks best;
    double best_cost = std::numeric_limits<double>::infinity(), best_lo = *lo, best_hi = *hi;
    for (int e = e0; e <= e0 + 3; ++e) {
      for (double m : {1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.5}) {
        const double step = m * std::pow(10.0, e);
        for (int snapped = 0; snapped <= (snap ? 1 : 0); ++snapped) {
          double a = *lo, b = *hi;
          if (snapped) {
            a = std::floor(a / step) * step;
            b = std::ceil(b / step) * step;
            if ((*lo - a) + (b - *hi) > 0.05 * span) continue;
          }
          const std::vector<double> at = multiples(a, b, step);
          const int n = static_cast<int>(at.size());
          if (n < min_n - relax || n > max_n + relax) continue;
          // Prefer the data's own range, then 1, 2, 2.5 or 5 x 10^k (any count in range), then
          // the count closest to `want`.
          const bool plain = m == 1.0 || m == 2.0 || m == 2.5 || m == 5.0;
          const double cost = std::abs(n - want) + (snapped ? 1.5 : 0) + (plain ? 0 : 3);
          if (cost < best_cost) {
            best_cost = cost;
            best.at = at;
            best.decimals = decimals_for(step);
            best_lo = a;
            best_hi = b;
          }
        }
      }
    }
    if (!best.at.empty()) {
      *lo = best_lo;
      *hi = best_hi;
      return best;
    }
  }
  Ticks even;
  for (int n = 0; n < want; ++n) even.at.push_back(*lo + span * n / (want - 1));
  even.decimals = std::clamp(2 - static_cast<int>(std::floor(std::log10(span / want))), 0, 12);
  return even;
}

Ticks nice_ticks(double lo, double hi, int min_n, int want, int max_n) {
  return nice_ticks(&lo, &hi, min_n, want, max_n, false);
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// --- cairo helpers ------------------------------------------------------------------------

namespace {

// The pictures' two faces, DejaVu Sans and DejaVu Sans Bold (the fonts-dejavu-core package),
// loaded once from their files with FreeType. Asking cairo's toy API for "sans" starts
// fontconfig, which reads its configuration and font caches first: about 20 ms, most of the time
// a results folder's pictures took. On a system without these files, both stay null and the toy
// API's "sans" (whatever fontconfig makes of it) is used instead. The faces live as long as the
// process.
struct Faces {
  cairo_font_face_t* regular = nullptr;
  cairo_font_face_t* bold = nullptr;
};

const Faces& file_faces() {
  static const Faces faces = [] {
    Faces f;
    FT_Library lib = nullptr;
    if (FT_Init_FreeType(&lib) != 0) return f;
    auto load = [lib](const char* path) -> cairo_font_face_t* {
      FT_Face face = nullptr;
      if (FT_New_Face(lib, path, 0, &face) != 0) return nullptr;
      cairo_font_face_t* ff = cairo_ft_font_face_create_for_ft_face(face, 0);
      if (cairo_font_face_status(ff) != CAIRO_STATUS_SUCCESS) {
        cairo_font_face_destroy(ff);
        FT_Done_Face(face);
        return nullptr;
      }
      return ff;
    };
    const std::string dir = "/usr/share/fonts/truetype/dejavu/";
    f.regular = load((dir + "DejaVuSans.ttf").c_str());
    f.bold = load((dir + "DejaVuSans-Bold.ttf").c_str());
    if (!f.regular || !f.bold) {  // both from the files, or both from fontconfig
      if (f.regular) cairo_font_face_destroy(f.regular);
      if (f.bold) cairo_font_face_destroy(f.bold);
      f = Faces{};
    }
    return f;
  }();
  return faces;
}

}  // namespace

void set_font(cairo_t* cr, double size, bool bold) {
  const Faces& f = file_faces();
  if (f.regular) {
    cairo_set_font_face(cr, bold ? f.bold : f.regular);
    cairo_font_options_t* o = cairo_font_options_create();
    cairo_font_options_set_hint_style(o, CAIRO_HINT_STYLE_SLIGHT);
    cairo_set_font_options(cr, o);
    cairo_font_options_destroy(o);
  } else
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

namespace {

// libpng reports errors by longjmp: everything that needs cleaning up lives outside the frames
// it jumps over.
bool encode_rgb(FILE* f, const std::vector<png_bytep>& rows, int w, int h) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (!png) return false;
  png_infop info = png_create_info_struct(png);
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, info ? &info : nullptr);
    return false;
  }
  png_init_io(png, f);
  // Plots are flat colours and text: the fastest deflate level makes files about as small as
  // the default (cairo's) in a fraction of the time.
  png_set_compression_level(png, 1);
  png_set_filter(png, 0, PNG_FILTER_SUB);
  png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_write_image(png, const_cast<png_bytepp>(rows.data()));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

}  // namespace

void save_png(cairo_surface_t* s, const std::string& path) {
  cairo_surface_flush(s);
  if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS ||
      cairo_image_surface_get_format(s) != CAIRO_FORMAT_RGB24)
    throw std::runtime_error("cannot write PNG file: " + path + " (no RGB image to write)");
  const int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s),
            stride = cairo_image_surface_get_stride(s);
  const unsigned char* data = cairo_image_surface_get_data(s);
  // Cairo's RGB24 pixels are native-endian 32-bit words 0x00RRGGBB.
  std::vector<unsigned char> rgb(static_cast<std::size_t>(w) * h * 3);
  std::vector<png_bytep> rows(h);
  for (int y = 0; y < h; ++y) {
    const auto* src =
        reinterpret_cast<const std::uint32_t*>(data + static_cast<std::size_t>(y) * stride);
    unsigned char* dst = rgb.data() + static_cast<std::size_t>(y) * w * 3;
    for (int x = 0; x < w; ++x) {
      dst[3 * x] = static_cast<unsigned char>(src[x] >> 16);
      dst[3 * x + 1] = static_cast<unsigned char>(src[x] >> 8);
      dst[3 * x + 2] = static_cast<unsigned char>(src[x]);
    }
    rows[y] = dst;
  }
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot write PNG file: " + path);
  const bool ok = encode_rgb(f, rows, w, h);
  if (std::fclose(f) != 0 || !ok) {
    std::remove(path.c_str());
    throw std::runtime_error("cannot write PNG file: " + path);
  }
}

}  // namespace heatop::plot
