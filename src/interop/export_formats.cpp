#include "interop/export_formats.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <stdexcept>

namespace heatop::interop {

namespace {

// Index of the interval [v[i], v[i+1]] holding p (clamped).
std::size_t interval(const std::vector<double>& v, double p) {
  const auto it = std::upper_bound(v.begin(), v.end(), p);
  const std::size_t i = it == v.begin() ? 0 : static_cast<std::size_t>(it - v.begin()) - 1;
  return std::min(i, v.size() - 2);
}

// Cell edges over [a, b]: heatop's node lines there when they start at a and end at b,
// otherwise as many uniform cells as there are node intervals inside.
std::vector<double> region_edges(const std::vector<double>& nodes, double a, double b) {
  const double tol = 1e-9 * std::max(std::abs(b), std::abs(b - a));
  std::vector<double> e;
  for (double x : nodes)
    if (x >= a - tol && x <= b + tol) e.push_back(x);
  if (e.size() >= 2 && std::abs(e.front() - a) <= tol && std::abs(e.back() - b) <= tol) {
    e.front() = a;
    e.back() = b;
    return e;
  }
  const int n = std::max<int>(1, static_cast<int>(e.size()) - 1);
  e.clear();
  for (int c = 0; c <= n; ++c) e.push_back(a + (b - a) * c / n);
  return e;
}

struct Rect {
  double x0, y0, x1, y1;
};

// A layer's blocks in absolute coordinates (blocks are relative to the footprint corner).
std::vector<std::pair<std::string, Rect>> abs_blocks(const model::Layer& l) {
  const double ox = l.has_footprint() ? l.footprint[0] : 0.0;
  const double oy = l.has_footprint() ? l.footprint[1] : 0.0;
  std::vector<std::pair<std::string, Rect>> out;
  for (const auto& b : l.power.blocks)
    out.push_back({b.name, {ox + b.x, oy + b.y, ox + b.x + b.w, oy + b.y + b.h}});
  return out;
}

Rect layer_region(const model::Design& d, const model::Layer& l) {
  if (l.has_footprint())
    return {l.footprint[0], l.footprint[1], l.footprint[0] + l.footprint[2],
            l.footprint[1] + l.footprint[3]};
  return {0, 0, d.lx, d.ly};
}

void write_or_throw(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string f3(double v) {
  char b[32];
  std::snprintf(b, sizeof(b), "%.3f", v);
  return b;
}

class Exporter {
 public:
  Exporter(const model::Design& d, const model::Grid& g, const std::vector<double>& t,
           const std::function<std::string(const std::string&)>& file)
      : d_(d), g_(g), t_(t), file_(file) {}

  std::vector<std::string> hotspot();
  std::vector<std::string> ice3d();

 private:
  const std::vector<double>& plane(int l) {
    auto it = planes_.find(l);
    if (it == planes_.end()) it = planes_.emplace(l, layer_average(g_, t_, l)).first;
    return it->second;
  }
  double mean(int l, const Rect& r) {
    return rect_mean(g_.x, g_.y, plane(l), r.x0, r.y0, r.x1, r.y1);
  }
  void emit(const std::string& name, const std::string& text) {
    write_or_throw(file_(name), text);
    written_.push_back(name);
  }

  const model::Design& d_;
  const model::Grid& g_;
  const std::vector<double>& t_;
  const std::function<std::string(const std::string&)>& file_;
  std::map<int, std::vector<double>> planes_;
  std::vector<std::string> written_;
};

std::vector<std::string> Exporter::hotspot() {
  const int nl = static_cast<int>(d_.layers.size());
  std::vector<int> fl;  // layers with a floorplan
  for (int l = 0; l < nl; ++l)
    if (!d_.layers[l].power.blocks.empty()) fl.push_back(l);
  if (fl.empty())
    throw std::invalid_argument(
        "--export hotspot needs floorplan blocks (power_blocks) in at "
        "least one layer; this design has none");
  std::string steady;
  Rect die{1e300, 1e300, -1e300, -1e300};
  for (std::size_t n = 0; n < fl.size(); ++n) {
    const std::string prefix = fl.size() == 1 ? "" : "layer_" + std::to_string(n) + "_";
    for (const auto& [name, r] : abs_blocks(d_.layers[fl[n]])) {
      steady += prefix + name + "\t" + f3(mean(fl[n], r)) + "\n";
      die = {std::min(die.x0, r.x0), std::min(die.y0, r.y0), std::max(die.x1, r.x1),
             std::max(die.y1, r.y1)};
    }
  }
  if (fl.size() == 1) {
    const std::map<std::string, std::string> prefixes = {
        {"interface", "iface_"}, {"spreader", "hsp_"}, {"sink", "hsink_"}};
    for (int l = fl[0] + 1; l < nl; ++l) {
      const auto p = prefixes.find(d_.layers[l].name);
      if (p == prefixes.end()) continue;
      for (const auto& [name, r] : abs_blocks(d_.layers[fl[0]]))
        steady += p->second + name + "\t" + f3(mean(l, r)) + "\n";
    }
  }
  emit(d_.name + ".steady", steady);

  const auto xe = region_edges(g_.x, die.x0, die.x1), ye = region_edges(g_.y, die.y0, die.y1);
  const int cols = static_cast<int>(xe.size()) - 1, rows = static_cast<int>(ye.size()) - 1;
  std::string grid;
  grid.reserve(static_cast<std::size_t>(nl) * rows * cols * 16);
  for (int l = 0; l < nl; ++l) {
    grid += "Layer " + std::to_string(l) + ":\n";
    for (int r = 0; r < rows; ++r) {
      const int j = rows - 1 - r;  // row 0 = top edge
      for (int c = 0; c < cols; ++c)
        grid += std::to_string(r * cols + c) + "\t" +
                f3(mean(l, {xe[c], ye[j], xe[c + 1], ye[j + 1]})) + "\n";
    }
  }
  emit(d_.name + ".grid.steady", grid);
  return written_;
}

std::vector<std::string> Exporter::ice3d() {
  bool axes = false;
  for (int l = 0; l < static_cast<int>(d_.layers.size()); ++l) {
    const model::Layer& layer = d_.layers[l];
    if (layer.power.empty()) continue;
    const Rect reg = layer_region(d_, layer);
    const auto xe = region_edges(g_.x, reg.x0, reg.x1), ye = region_edges(g_.y, reg.y0, reg.y1);
    const int cols = static_cast<int>(xe.size()) - 1, rows = static_cast<int>(ye.size()) - 1;
    std::vector<double> cell(static_cast<std::size_t>(rows) * cols);
    std::string tmap =
        "% Thermal map for layer " + layer.name +
        " (heatop; please find axis information in \"xaxis.txt\" and \"yaxis.txt\")\n";
    for (int j = 0; j < rows; ++j) {  // row 0 = south
      for (int c = 0; c < cols; ++c) {
        cell[j * cols + c] = mean(l, {xe[c], ye[j], xe[c + 1], ye[j + 1]});
        tmap += f3(cell[j * cols + c]) + "  ";
      }
      tmap += "\n";
    }
    emit("Tmap_" + layer.name + ".txt", tmap);
    if (!axes) {
      std::string xs, ys;
      for (int c = 0; c < cols; ++c) xs += f3(0.5e6 * (xe[c] + xe[c + 1])) + "\n";
      for (int j = 0; j < rows; ++j) ys += f3(0.5e6 * (ye[j] + ye[j + 1])) + "\n";
      emit("xaxis.txt", xs);
      emit("yaxis.txt", ys);
      axes = true;
    }
    if (layer.power.blocks.empty()) continue;
    // Elements: blocks grouped by name, in order of first appearance.
    std::vector<std::string> names;
    std::map<std::string, std::vector<Rect>> rects;
    for (const auto& [name, r] : abs_blocks(layer)) {
      if (!rects.count(name)) names.push_back(name);
      rects[name].push_back(r);
    }
    std::map<std::string, std::array<double, 3>> stats;  // min, max, avg
    for (const auto& name : names) {
      double lo = 1e300, hi = -1e300, sum = 0, area = 0;
      for (int j = 0; j < rows; ++j)
        for (int c = 0; c < cols; ++c) {
          const double px = 0.5 * (xe[c] + xe[c + 1]), py = 0.5 * (ye[j] + ye[j + 1]);
          bool in = false;
          for (const auto& r : rects[name])
            in = in || (px >= r.x0 && px < r.x1 && py >= r.y0 && py < r.y1);
          if (!in) continue;
          const double v = cell[j * cols + c], a = (xe[c + 1] - xe[c]) * (ye[j + 1] - ye[j]);
          lo = std::min(lo, v);
          hi = std::max(hi, v);
          sum += v * a;
          area += a;
        }
      if (area == 0) {  // smaller than a cell: the mean over its rectangles
        for (const auto& r : rects[name]) {
          const double a = (r.x1 - r.x0) * (r.y1 - r.y0);
          sum += mean(l, r) * a;
          area += a;
        }
        lo = hi = sum / area;
      }
      stats[name] = {lo, hi, sum / area};
    }
    const char* kinds[3] = {"minimum", "maximum", "average"};
    const char* titles[3] = {"Minimum", "Maximum", "Average"};
    for (int q = 0; q < 3; ++q) {
      std::string s = std::string("% ") + titles[q] +
                      " temperatures for the floorplan of the die " + layer.name +
                      "\n% Time(s) \t ";
      for (const auto& n : names) s += n + "(K) \t ";
      s += "\n0.000 \t ";
      for (const auto& n : names) s += f3(stats[n][q]) + " \t ";
      s += "\n";
      emit("Tflp_" + layer.name + "_" + kinds[q] + ".txt", s);
    }
  }
  if (written_.empty())
    throw std::invalid_argument(
        "--export 3d-ice needs at least one layer with power (a source layer)");
  return written_;
}

}  // namespace

const std::vector<std::string>& export_formats() {
  static const std::vector<std::string> f = {"hotspot", "3d-ice"};
  return f;
}

void check_export_format(const std::string& format) {
  for (const auto& f : export_formats())
    if (f == format) return;
  throw std::invalid_argument("--export: unknown format '" + format + "'; valid: hotspot, 3d-ice");
}

std::vector<std::string> write_exports(const std::string& format, const model::Design& design,
                                       const model::Grid& grid, const std::vector<double>& t,
                                       const std::function<std::string(const std::string&)>& file) {
  check_export_format(format);
  if (t.size() != grid.size())
    throw std::invalid_argument("write_exports: the field has " + std::to_string(t.size()) +
                                " values, the grid " + std::to_string(grid.size()) + " nodes");
  Exporter e(design, grid, t, file);
  return format == "hotspot" ? e.hotspot() : e.ice3d();
}

std::vector<double> layer_average(const model::Grid& g, const std::vector<double>& t, int layer) {
  const int nx = g.nx(), ny = g.ny(), nz = g.nz();
  std::vector<double> out(static_cast<std::size_t>(nx) * ny, 0.0);
  double thick = 0;
  for (int k = 0; k + 1 < nz; ++k)
    if (g.cell_layer[k] == layer) thick += g.z[k + 1] - g.z[k];
  if (thick <= 0)
    throw std::invalid_argument("layer_average: layer " + std::to_string(layer) + " has no cells");
  for (int i = 0; i < nx; ++i)
    for (int j = 0; j < ny; ++j) {
      double s = 0;
      for (int k = 0; k + 1 < nz; ++k)
        if (g.cell_layer[k] == layer)
          s += 0.5 * (g.z[k + 1] - g.z[k]) * (t[g.index(i, j, k)] + t[g.index(i, j, k + 1)]);
      out[static_cast<std::size_t>(i) * ny + j] = s / thick;
    }
  return out;
}

double plane_at(const std::vector<double>& x, const std::vector<double>& y,
                const std::vector<double>& p, double px, double py) {
  const std::size_t ny = y.size();
  px = std::clamp(px, x.front(), x.back());
  py = std::clamp(py, y.front(), y.back());
  const std::size_t i = interval(x, px), j = interval(y, py);
  const double u = (px - x[i]) / (x[i + 1] - x[i]), v = (py - y[j]) / (y[j + 1] - y[j]);
  return (1 - u) * (1 - v) * p[i * ny + j] + u * (1 - v) * p[(i + 1) * ny + j] +
         (1 - u) * v * p[i * ny + j + 1] + u * v * p[(i + 1) * ny + j + 1];
}

double rect_mean(const std::vector<double>& x, const std::vector<double>& y,
                 const std::vector<double>& p, double x0, double y0, double x1, double y1) {
  x0 = std::max(x0, x.front());
  y0 = std::max(y0, y.front());
  x1 = std::min(x1, x.back());
  y1 = std::min(y1, y.back());
  if (!(x1 > x0) || !(y1 > y0)) return plane_at(x, y, p, 0.5 * (x0 + x1), 0.5 * (y0 + y1));
  // The mean of a bilinear function over a rectangle is its value at the centre.
  const double tiny = 1e-12 * (x1 - x0) * (y1 - y0);
  double sum = 0, area = 0;
  for (std::size_t i = interval(x, x0); i + 1 < x.size() && x[i] < x1; ++i) {
    const double a = std::max(x0, x[i]), b = std::min(x1, x[i + 1]);
    if (b <= a) continue;
    for (std::size_t j = interval(y, y0); j + 1 < y.size() && y[j] < y1; ++j) {
      const double c = std::max(y0, y[j]), d = std::min(y1, y[j + 1]);
      if (d <= c) continue;
      // Slivers from rounding and void (NaN) parts outside a footprint do not count.
      const double w = (b - a) * (d - c);
      const double v = plane_at(x, y, p, 0.5 * (a + b), 0.5 * (c + d));
      if (w <= tiny || std::isnan(v)) continue;
      sum += w * v;
      area += w;
    }
  }
  return area > 0 ? sum / area : std::nan("");
}

}  // namespace heatop::interop
