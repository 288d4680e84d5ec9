#include "transient/series.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>

#include "interop/export_formats.hpp"
#include "transient/simulation.hpp"

namespace heatop::transient {

namespace fs = std::filesystem;

namespace {

struct Rect {
  double x0, y0, x1, y1;
};

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

int layer_index(const model::Design& d, const std::string& name) {
  for (std::size_t l = 0; l < d.layers.size(); ++l)
    if (d.layers[l].name == name) return static_cast<int>(l);
  return -1;
}

// Blocks of a layer grouped by name (order of first appearance), absolute coordinates.
std::vector<std::pair<std::string, std::vector<Rect>>> elements(const model::Layer& l) {
  const double ox = l.has_footprint() ? l.footprint[0] : 0.0;
  const double oy = l.has_footprint() ? l.footprint[1] : 0.0;
  std::vector<std::pair<std::string, std::vector<Rect>>> out;
  for (const auto& b : l.power.blocks) {
    auto it =
        std::find_if(out.begin(), out.end(), [&](const auto& e) { return e.first == b.name; });
    if (it == out.end()) {
      out.push_back({b.name, {}});
      it = out.end() - 1;
    }
    it->second.push_back({ox + b.x, oy + b.y, ox + b.x + b.w, oy + b.y + b.h});
  }
  return out;
}

// Cell centres of a uniform grid of cells dx x dy over [0, lx] x [0, ly].
struct CellGrid {
  double dx = 0, dy = 0;
  int cols = 0, rows = 0;
  double cx(int c) const { return (c + 0.5) * dx; }
  double cy(int r) const { return (r + 0.5) * dy; }
};

// The layer-average plane of one layer, computed once per instant.
class Planes {
 public:
  Planes(const model::Grid& g) : g_(g) {}
  void reset(const std::vector<double>* t) {
    t_ = t;
    cache_.clear();
  }
  const std::vector<double>& operator()(int layer) {
    auto it = cache_.find(layer);
    if (it == cache_.end())
      it = cache_.emplace(layer, interop::layer_average(g_, *t_, layer)).first;
    return it->second;
  }
  double at(int layer, double x, double y) {
    return interop::plane_at(g_.x, g_.y, (*this)(layer), x, y);
  }
  double mean(int layer, const std::vector<Rect>& rs) {
    double s = 0, a = 0;
    for (const auto& r : rs) {
      const double w = (r.x1 - r.x0) * (r.y1 - r.y0);
      const double v = interop::rect_mean(g_.x, g_.y, (*this)(layer), r.x0, r.y0, r.x1, r.y1);
      if (std::isnan(v)) continue;
      s += w * v;
      a += w;
    }
    return a > 0 ? s / a : std::nan("");
  }
  // Minimum and maximum over the cell centres inside the rectangles (the mean if none).
  std::pair<double, double> extremes(int layer, const std::vector<Rect>& rs, const CellGrid& cg) {
    double lo = 1e300, hi = -1e300;
    for (const auto& r : rs) {
      const int c0 = std::max(0, static_cast<int>(std::floor(r.x0 / cg.dx - 0.5)));
      const int c1 = std::min(cg.cols - 1, static_cast<int>(std::ceil(r.x1 / cg.dx)));
      const int r0 = std::max(0, static_cast<int>(std::floor(r.y0 / cg.dy - 0.5)));
      const int r1 = std::min(cg.rows - 1, static_cast<int>(std::ceil(r.y1 / cg.dy)));
      for (int c = c0; c <= c1; ++c)
        for (int q = r0; q <= r1; ++q) {
          const double px = cg.cx(c), py = cg.cy(q);
          if (px < r.x0 || px >= r.x1 || py < r.y0 || py >= r.y1) continue;
          const double v = at(layer, px, py);
          lo = std::min(lo, v);
          hi = std::max(hi, v);
        }
    }
    if (lo > hi) lo = hi = mean(layer, rs);
    return {lo, hi};
  }

 private:
  const model::Grid& g_;
  const std::vector<double>* t_ = nullptr;
  std::map<int, std::vector<double>> cache_;
};

// heatop's own cells over the die (uniform approximation of the node spacing).
CellGrid own_cells(const model::Design& d, const model::Grid& g) {
  CellGrid c;
  c.cols = std::max(1, g.nx() - 1);
  c.rows = std::max(1, g.ny() - 1);
  c.dx = d.lx / c.cols;
  c.dy = d.ly / c.rows;
  return c;
}

std::vector<double> instants_for(const std::string& when, const interop::ice3d::Stack& s, double t0,
                                 double t_end) {
  if (when == "step") return every(t0, t_end, s.step > 0 ? s.step : t_end - t0);
  if (when == "slot") return every(t0, t_end, s.slot > 0 ? s.slot : t_end - t0);
  return {t_end};
}

}  // namespace

void SeriesWriter::open(std::vector<double> instants, const std::string& name,
                        const std::string& path, const std::string& header) {
  instants_ = std::move(instants);
  name_ = name;
  out_.open(path);
  if (!out_) throw std::runtime_error("cannot write " + path);
  out_ << header;
}

namespace {

class Ice3dPoint : public SeriesWriter {
 public:
  Ice3dPoint(const model::Grid& g, int layer, double px, double py, std::vector<double> inst,
             const std::string& name, const std::string& path, const std::string& header)
      : planes_(g), layer_(layer), px_(px), py_(py) {
    open(std::move(inst), name, path, header);
  }
  void write(double t, const std::vector<double>& T) override {
    planes_.reset(&T);
    out_ << fmt("%.6f", t) << " \t " << fmt("%.6f", planes_.at(layer_, px_, py_)) << "\n";
    out_.flush();
  }

 private:
  Planes planes_;
  int layer_;
  double px_, py_;
};

// Tflp (every element of a layer) or Tflpel (one element): quantity 0 min, 1 max, 2 average.
class ElementStats : public SeriesWriter {
 public:
  ElementStats(const model::Grid& g, int layer,
               std::vector<std::pair<std::string, std::vector<Rect>>> els, int quantity,
               CellGrid cells, std::vector<double> inst, const std::string& name,
               const std::string& path, const std::string& header, const char* value_fmt)
      : planes_(g),
        layer_(layer),
        els_(std::move(els)),
        q_(quantity),
        cells_(cells),
        fmt_(value_fmt) {
    open(std::move(inst), name, path, header);
  }
  void write(double t, const std::vector<double>& T) override {
    planes_.reset(&T);
    out_ << fmt("%.6f", t) << " \t ";
    for (const auto& [n, rs] : els_) {
      double v;
      if (q_ == 2) {
        v = planes_.mean(layer_, rs);
      } else {
        const auto [lo, hi] = planes_.extremes(layer_, rs, cells_);
        v = q_ == 0 ? lo : hi;
      }
      out_ << fmt(fmt_, v) << " \t ";
    }
    out_ << "\n";
    out_.flush();
  }

 private:
  Planes planes_;
  int layer_;
  std::vector<std::pair<std::string, std::vector<Rect>>> els_;
  int q_;
  CellGrid cells_;
  const char* fmt_;
};

class Ice3dMap : public SeriesWriter {
 public:
  Ice3dMap(const model::Grid& g, int layer, CellGrid cells, std::vector<double> inst,
           const std::string& name, const std::string& path, const std::string& header)
      : planes_(g), layer_(layer), cells_(cells) {
    open(std::move(inst), name, path, header);
  }
  void write(double t, const std::vector<double>& T) override {
    planes_.reset(&T);
    if (instants_.size() > 1) out_ << "% Time(s) " << fmt("%.6f", t) << "\n";
    for (int r = 0; r < cells_.rows; ++r) {
      for (int c = 0; c < cells_.cols; ++c)
        out_ << fmt("%.3f", planes_.at(layer_, cells_.cx(c), cells_.cy(r))) << "  ";
      out_ << "\n";
    }
    if (instants_.size() > 1) out_ << "\n";
    out_.flush();
  }

 private:
  Planes planes_;
  int layer_;
  CellGrid cells_;
};

class Ttrace : public SeriesWriter {
 public:
  Ttrace(const model::Grid& g, std::vector<std::pair<int, std::vector<Rect>>> blocks,
         const std::vector<std::string>& names, std::vector<double> inst, const std::string& name,
         const std::string& path)
      : planes_(g), blocks_(std::move(blocks)) {
    std::string header;
    for (std::size_t b = 0; b < names.size(); ++b) header += (b ? "\t" : "") + names[b];
    open(std::move(inst), name, path, header + "\n");
  }
  void write(double, const std::vector<double>& T) override {
    planes_.reset(&T);
    for (std::size_t b = 0; b < blocks_.size(); ++b)
      out_ << (b ? "\t" : "") << fmt("%.2f", planes_.mean(blocks_[b].first, blocks_[b].second));
    out_ << "\n";
    out_.flush();
  }

 private:
  Planes planes_;
  std::vector<std::pair<int, std::vector<Rect>>> blocks_;
};

std::string unique_name(std::set<std::string>& used, const std::string& want) {
  std::string n = fs::path(want).filename().string();
  if (n.empty()) n = "output.txt";
  std::string base = n;
  for (int k = 2; used.count(n); ++k) n = std::to_string(k) + "_" + base;
  used.insert(n);
  return n;
}

}  // namespace

std::vector<std::unique_ptr<SeriesWriter>> ice3d_series(const interop::ice3d::Stack& s,
                                                        const model::Design& d,
                                                        const model::Grid& g, double t0,
                                                        double t_end, const FileFn& file,
                                                        std::vector<std::string>* notes) {
  using interop::ice3d::OutputRequest;
  std::vector<std::unique_ptr<SeriesWriter>> out;
  std::set<std::string> used;
  CellGrid cells;
  cells.dx = s.dx > 0 ? s.dx : d.lx;
  cells.dy = s.dy > 0 ? s.dy : d.ly;
  cells.cols = std::max(1, static_cast<int>(std::lround(s.lx / cells.dx)));
  cells.rows = std::max(1, static_cast<int>(std::lround(s.ly / cells.dy)));
  auto where = [&](const OutputRequest& o) { return s.path + ":" + std::to_string(o.line) + ": "; };
  for (const OutputRequest& o : s.outputs) {
    if (o.kind == OutputRequest::kOther) continue;  // noted by the parser
    const int layer = layer_index(d, o.id);
    if (layer < 0) {
      if (notes)
        notes->push_back(where(o) + "output for '" + o.id +
                         "' skipped: no die or layer of that id in the stack");
      continue;
    }
    const auto inst = instants_for(o.when, s, t0, t_end);
    const std::string name = unique_name(used, o.file);
    const std::string path = file(name);
    if (o.kind == OutputRequest::kT) {
      const int c =
          std::clamp(static_cast<int>(std::floor(o.x / cells.dx + 1e-9)), 0, cells.cols - 1);
      const int r =
          std::clamp(static_cast<int>(std::floor(o.y / cells.dy + 1e-9)), 0, cells.rows - 1);
      const std::string header =
          "% Cell temperature for the location [" + o.id + ", x=" + fmt("%.3f", o.x * 1e6) +
          ",y=" + fmt("%.3f", o.y * 1e6) + "]\n% Nearest [column, row] indices found= [" +
          std::to_string(c) + "," + std::to_string(r) +
          "] (locations [x=" + fmt("%.3f", c * cells.dx * 1e6) +
          ",y=" + fmt("%.3f", r * cells.dy * 1e6) + "])\n% Time(s) \t Temperature(K)\n";
      out.push_back(std::make_unique<Ice3dPoint>(g, layer, cells.cx(c), cells.cy(r), inst, name,
                                                 path, header));
    } else if (o.kind == OutputRequest::kTmap) {
      out.push_back(std::make_unique<Ice3dMap>(
          g, layer, cells, inst, name, path,
          "% Thermal map for layer " + o.id +
              " (heatop: cell centres of the stack's cells, row 0 = south)\n"));
    } else {
      auto els = elements(d.layers[layer]);
      if (o.kind == OutputRequest::kTflpel) {
        const auto it = std::find_if(els.begin(), els.end(),
                                     [&](const auto& e) { return e.first == o.element; });
        if (it == els.end()) {
          if (notes)
            notes->push_back(where(o) + "Tflpel: die '" + o.id + "' has no floorplan element '" +
                             o.element + "'; skipped");
          continue;
        }
        els = {*it};
      }
      if (els.empty()) {
        if (notes) notes->push_back(where(o) + "'" + o.id + "' has no floorplan; skipped");
        continue;
      }
      const int q = o.quantity == "minimum" ? 0 : o.quantity == "maximum" ? 1 : 2;
      const char* title[3] = {"Minimum", "Maximum", "Average"};
      std::string header = std::string("% ") + title[q] + " temperatures for the floorplan ";
      if (o.kind == OutputRequest::kTflpel) {
        header += "element " + o.element + " of the die " + o.id + "\n% Time(s) \t " + o.id + "." +
                  o.element + "(K)\n";
      } else {
        header += "of the die " + o.id + "\n% Time(s) \t ";
        for (const auto& e : els) header += e.first + "(K) \t ";
        header += "\n";
      }
      out.push_back(std::make_unique<ElementStats>(g, layer, els, q, cells, inst, name, path,
                                                   header, "%.6f"));
    }
  }
  return out;
}

std::vector<std::unique_ptr<SeriesWriter>> ice3d_tflp_series(const model::Design& d,
                                                             const model::Grid& g,
                                                             std::vector<double> instants,
                                                             const FileFn& file) {
  std::vector<std::unique_ptr<SeriesWriter>> out;
  const CellGrid cells = own_cells(d, g);
  const char* kinds[3] = {"minimum", "maximum", "average"};
  const char* titles[3] = {"Minimum", "Maximum", "Average"};
  for (std::size_t l = 0; l < d.layers.size(); ++l) {
    const auto els = elements(d.layers[l]);
    if (els.empty()) continue;
    for (int q = 0; q < 3; ++q) {
      std::string header = std::string("% ") + titles[q] +
                           " temperatures for the floorplan of the die " + d.layers[l].name +
                           "\n% Time(s) \t ";
      for (const auto& e : els) header += e.first + "(K) \t ";
      header += "\n";
      const std::string name = "Tflp_" + d.layers[l].name + "_" + kinds[q] + ".txt";
      out.push_back(std::make_unique<ElementStats>(g, static_cast<int>(l), els, q, cells, instants,
                                                   name, file(name), header, "%.3f"));
    }
  }
  if (out.empty())
    throw std::invalid_argument(
        "--export 3d-ice needs floorplan blocks (power_blocks) in at least one layer; this "
        "design has none");
  return out;
}

std::unique_ptr<SeriesWriter> hotspot_ttrace(const model::Design& d, const model::Grid& g,
                                             std::vector<double> instants, const FileFn& file) {
  std::vector<std::pair<int, std::vector<Rect>>> blocks;
  std::vector<std::string> names, layer_of;
  std::vector<int> fl;
  for (std::size_t l = 0; l < d.layers.size(); ++l)
    if (!d.layers[l].power.blocks.empty()) fl.push_back(static_cast<int>(l));
  if (fl.empty())
    throw std::invalid_argument(
        "--export hotspot needs floorplan blocks (power_blocks) in at least one layer; this "
        "design has none");
  std::set<std::string> seen;
  bool clash = false;
  for (std::size_t f = 0; f < fl.size(); ++f)
    for (const auto& [n, rs] : elements(d.layers[fl[f]])) {
      clash = clash || !seen.insert(n).second;
      blocks.push_back({fl[f], rs});
      names.push_back(n);
      layer_of.push_back(std::to_string(f));
    }
  if (clash)  // names repeat across layers: HotSpot's LCF prefix
    for (std::size_t b = 0; b < names.size(); ++b)
      names[b] = "layer_" + layer_of[b] + "_" + names[b];
  const std::string name = d.name + ".ttrace";
  return std::make_unique<Ttrace>(g, std::move(blocks), names, std::move(instants), name,
                                  file(name));
}

}  // namespace heatop::transient
