// The non-dimensional operator problem of a design family.

#include "surrogate/problem.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace heatop::surrogate {

namespace {

bool close(double a, double b) {
  return std::abs(a - b) <= 1e-9 * std::max({std::abs(a), std::abs(b), 1e-300});
}

int face_of(const std::string& target) { return target == "top" ? model::kTop : model::kBottom; }

bool same_map(const model::PowerMap& a, const model::PowerMap& b) {
  if (a.rows != b.rows || a.cols != b.cols || a.tile_watts.size() != b.tile_watts.size() ||
      a.blocks.size() != b.blocks.size())
    return false;
  for (std::size_t i = 0; i < a.tile_watts.size(); ++i)
    if (!close(a.tile_watts[i], b.tile_watts[i])) return false;
  for (std::size_t i = 0; i < a.blocks.size(); ++i) {
    const auto &p = a.blocks[i], &q = b.blocks[i];
    if (!close(p.x, q.x) || !close(p.y, q.y) || !close(p.w, q.w) || !close(p.h, q.h) ||
        !close(p.power, q.power))
      return false;
  }
  return true;
}

nlohmann::json map_json(const model::PowerMap& m) {
  nlohmann::json blocks = nlohmann::json::array();
  for (const auto& b : m.blocks)
    blocks.push_back(
        {{"name", b.name}, {"x", b.x}, {"y", b.y}, {"w", b.w}, {"h", b.h}, {"power", b.power}});
  return {{"rows", m.rows},
          {"cols", m.cols},
          {"tile_watts", m.tile_watts},
          {"blocks", blocks},
          {"source", m.source}};
}

// Checked reads of the design JSON: each names the field's path and what is wrong
// (std::invalid_argument), so a damaged checkpoint is refused by name rather than converted.
const nlohmann::json& at(const nlohmann::json& j, const std::string& where, const char* key) {
  if (!j.is_object() || !j.contains(key))
    throw std::invalid_argument(where + ": the field '" + key + "' is missing");
  return j[key];
}

double number(const nlohmann::json& j, const std::string& where, const char* key) {
  const nlohmann::json& v = at(j, where, key);
  if (!v.is_number()) throw std::invalid_argument(where + "." + key + " is not a number");
  return v.get<double>();
}

int whole(const nlohmann::json& j, const std::string& where, const char* key, int lo, int hi) {
  const double v = number(j, where, key);
  if (!(v >= lo && v <= hi && v == std::floor(v)))
    throw std::invalid_argument(where + "." + key + " = " + at(j, where, key).dump() +
                                " is not a whole number in [" + std::to_string(lo) + ", " +
                                std::to_string(hi) + "]");
  return static_cast<int>(v);
}

std::string text(const nlohmann::json& j, const std::string& where, const char* key) {
  const nlohmann::json& v = at(j, where, key);
  if (!v.is_string()) throw std::invalid_argument(where + "." + key + " is not a string");
  return v.get<std::string>();
}

const nlohmann::json& array(const nlohmann::json& j, const std::string& where, const char* key) {
  const nlohmann::json& v = at(j, where, key);
  if (!v.is_array()) throw std::invalid_argument(where + "." + key + " is not a list");
  return v;
}

constexpr int kMaxCount = 1 << 30;

model::PowerMap map_from(const nlohmann::json& j, const std::string& where) {
  model::PowerMap m;
  m.rows = whole(j, where, "rows", 0, kMaxCount);
  m.cols = whole(j, where, "cols", 0, kMaxCount);
  const nlohmann::json& tiles = array(j, where, "tile_watts");
  if (tiles.size() != static_cast<std::size_t>(m.rows) * static_cast<std::size_t>(m.cols))
    throw std::invalid_argument(where + ".tile_watts holds " + std::to_string(tiles.size()) +
                                " values for " + std::to_string(m.rows) + " x " +
                                std::to_string(m.cols) + " tiles");
  for (const auto& t : tiles) {
    if (!t.is_number())
      throw std::invalid_argument(where + ".tile_watts holds " + t.dump() + ", not a number");
    m.tile_watts.push_back(t.get<double>());
  }
  const nlohmann::json& blocks = array(j, where, "blocks");
  for (std::size_t n = 0; n < blocks.size(); ++n) {
    const std::string w = where + ".blocks[" + std::to_string(n) + "]";
    const auto& b = blocks[n];
    m.blocks.push_back({text(b, w, "name"), number(b, w, "x"), number(b, w, "y"), number(b, w, "w"),
                        number(b, w, "h"), number(b, w, "power")});
  }
  m.source = text(j, where, "source");
  return m;
}

// The extent (m) a power map of layer `layer` spans: its footprint, or the die (also for -1, a
// face's map).
std::array<double, 2> extent_of(const model::Design& d, int layer) {
  if (layer >= 0 && d.layers[layer].has_footprint())
    return {d.layers[layer].footprint[2], d.layers[layer].footprint[3]};
  return {d.lx, d.ly};
}

}  // namespace

Problem::Problem(const model::Design& base, const OperatorConfig& cfg) : base_(base), cfg_(cfg) {
  base_.validate();
  norm_.length_m = base.lx;
  norm_.delta_T_K = cfg.delta_T_K;
  // The smallest k_z: Biot numbers of weakly cooled faces on conductive substrates stay O(1)
  // rather than tiny, which keeps the temperature level well conditioned in the loss.
  double kmin = INFINITY;
  for (const auto& l : base.layers) kmin = std::min(kmin, l.k_z);
  norm_.k_ref_W_per_mK = kmin;
  norm_.t_amb_K = model::reference_temperature(base);
  if (cfg.network.modal_core != ModalCore::response)
    for (const auto& l : base.layers)
      if (l.has_footprint())
        throw std::invalid_argument(
            "layer '" + l.name +
            "' has a footprint (void regions): the modal operators' lateral cosine modes need "
            "layers that span the die; use network.modal_core: response (heatop train DESIGN "
            "--input ... chooses it for such designs)");
  bool jumps = false;
  for (const auto& l : base.layers) jumps |= !close(l.k_z, base.layers.front().k_z);
  const ResistanceCoordinate rc = cfg.network.resistance_coordinate;
  resistance_ = rc == ResistanceCoordinate::on || (rc == ResistanceCoordinate::automatic && jumps);
  if (cfg.network.trunk_z.type == TrunkType::stack && jumps && !resistance_)
    throw std::invalid_argument(
        "network.trunk_z: the stack trunk on a stack whose k_z jumps needs "
        "network.resistance_coordinate auto or on (its functions' flux is continuous there)");

  for (std::size_t i = 0; i < cfg.inputs.size(); ++i) {
    const InputConfig& in = cfg.inputs[i];
    int layer = -1, face = -1;
    const std::string w = "inputs[" + std::to_string(i) + "] (" + in.name + ")";
    if (in.type == InputType::power_map && in.target.rfind("layer:", 0) == 0) {
      const std::string name = in.target.substr(6);
      std::string names;
      for (std::size_t l = 0; l < base.layers.size(); ++l) {
        if (base.layers[l].name == name) layer = static_cast<int>(l);
        names += (l ? ", " : "") + base.layers[l].name;
      }
      if (layer < 0)
        throw std::invalid_argument(w + ": the design has no layer '" + name +
                                    "'; its layers are " + names);
    } else {
      face = face_of(in.target);
      const model::Boundary& b = base.faces[face];
      if (in.type == InputType::power_map && b.type != model::BcType::kPower)
        throw std::invalid_argument(w + ": the design's " + in.target + " face is '" +
                                    model::bc_type_name(b.type) +
                                    "', not 'power': the power map has nowhere "
                                    "to enter. Make it a power face in the design file.");
      if (in.type == InputType::htc && b.type != model::BcType::kConvective &&
          !(b.type == model::BcType::kPower && b.h > 0))
        throw std::invalid_argument(w + ": the design's " + in.target + " face is '" +
                                    model::bc_type_name(b.type) +
                                    "', which has no heat-transfer coefficient");
    }
    if (in.type == InputType::power_map) {
      // The sensor grid must resolve the design's footprint at a useful density: with the
      // die's aspect ratio, sensor spacing may differ by at most 4x between x and y.
      const int gaps = in.sensor_layout == SensorLayout::cells ? 0 : 1;
      const std::array<double, 2> ext = extent_of(base, layer);
      const double hx = ext[0] / (in.sensors_x - gaps), hy = ext[1] / (in.sensors_y - gaps);
      if (hx > 4 * hy || hy > 4 * hx)
        throw std::invalid_argument(
            w + ".sensors: [" + std::to_string(in.sensors_x) + ", " + std::to_string(in.sensors_y) +
            "] does not match the input's " + std::to_string(ext[0] * 1e3) + " x " +
            std::to_string(ext[1] * 1e3) + " mm map (node spacing " + std::to_string(hx * 1e3) +
            " vs " + std::to_string(hy * 1e3) + " mm); use sensors in the map's aspect ratio");
    }
    input_layer_.push_back(layer);
    input_face_.push_back(face);
  }
}

std::array<double, 2> Problem::input_extent(std::size_t input) const {
  return extent_of(base_, input_layer_.at(input));
}

model::Grid Problem::grid(int nx, int ny, int nz) const {
  model::Design d = base_;
  d.grid = model::GridSpec{};
  d.grid.nx = nx;
  d.grid.ny = ny;
  // Cells in proportion to thickness, but at least 2 per layer, so every layer (a thin powered
  // one above all) has interior nodes where the PDE and its source act; the thickest layer
  // gives cells back where it can.
  const double lz = base_.lz();
  int total = 0;
  std::size_t thickest = 0;
  for (std::size_t l = 0; l < d.layers.size(); ++l) {
    auto& L = d.layers[l];
    L.cells = std::max(2, static_cast<int>(std::lround((nz - 1) * L.thickness / lz)));
    total += L.cells;
    if (L.thickness > d.layers[thickest].thickness) thickest = l;
  }
  auto& big = d.layers[thickest].cells;
  big = std::max(2, big - std::max(0, total - (nz - 1)));
  total = 0;
  for (const auto& L : d.layers) total += L.cells;
  d.grid.nz = total + 1;
  return model::build_grid(d);
}

model::Grid Problem::collocation_grid() const {
  const TrainingConfig& t = cfg_.training;
  model::Grid g = grid(t.collocation_x, t.collocation_y, t.collocation_z);
  const double gr = t.collocation_grading;
  if (gr == 1.0) return g;
  const int nz = g.nz();
  for (int face : {model::kTop, model::kBottom}) {
    if (base_.faces[face].type != model::BcType::kPower) continue;
    // The nodes of the layer next to the face: [k0, k1].
    const int layer = face == model::kTop ? g.cell_layer.back() : g.cell_layer.front();
    int k0 = 0, k1 = nz - 1;
    while (g.cell_layer[k0] != layer) ++k0;
    k1 = k0;
    while (k1 < nz - 1 && g.cell_layer[k1] == layer) ++k1;
    const double z0 = g.z[k0], z1 = g.z[k1];
    for (int k = k0 + 1; k < k1; ++k) {
      double s = (g.z[k] - z0) / (z1 - z0);  // 0 .. 1 across the layer
      s = face == model::kTop ? 1 - std::pow(1 - s, gr) : std::pow(s, gr);
      g.z[k] = z0 + s * (z1 - z0);
    }
  }
  return g;
}

AxisMap Problem::x_axis(const std::vector<double>& x_m) const {
  AxisMap a;
  for (double x : x_m) {
    a.xi.push_back(2 * x / base_.lx - 1);
    a.dxi.push_back(2 * norm_.length_m / base_.lx);
  }
  return a;
}

AxisMap Problem::y_axis(const std::vector<double>& y_m) const {
  AxisMap a;
  for (double y : y_m) {
    a.xi.push_back(2 * y / base_.ly - 1);
    a.dxi.push_back(2 * norm_.length_m / base_.ly);
  }
  return a;
}

int Problem::node_layer(const model::Grid& grid, int k) {
  return grid.cell_layer[std::min(k, grid.nz() - 2)];
}

AxisMap Problem::z_axis(const model::Grid& grid) const {
  AxisMap a;
  const double lz = base_.lz(), L = norm_.length_m;
  if (!resistance_) {
    for (double z : grid.z) {
      a.xi.push_back(2 * z / lz - 1);
      a.dxi.push_back(2 * L / lz);
    }
    return a;
  }
  // s(z) = integral_0^z dz' / k_z, accumulated layer by layer.
  std::vector<double> z0{0.0};
  for (const auto& l : base_.layers) z0.push_back(z0.back() + l.thickness);
  auto s_of = [&](double z) {
    double s = 0;
    for (std::size_t l = 0; l < base_.layers.size(); ++l) {
      const double top = std::min(z, z0[l + 1]);
      if (top > z0[l]) s += (top - z0[l]) / base_.layers[l].k_z;
    }
    return s;
  };
  const double total = s_of(lz);
  for (int k = 0; k < grid.nz(); ++k) {
    a.xi.push_back(2 * s_of(grid.z[k]) / total - 1);
    // d xi / d z^ = 2 L / (k_z total).
    a.dxi.push_back(2 * L / (base_.layers[node_layer(grid, k)].k_z * total));
  }
  return a;
}

StackProfile Problem::stack_profile() const {
  // One z node per interface (and face) of a grid whose every layer has one cell.
  model::Grid g;
  g.z.push_back(0);
  for (std::size_t l = 0; l < base_.layers.size(); ++l) {
    g.z.push_back(g.z.back() + base_.layers[l].thickness);
    g.cell_layer.push_back(static_cast<int>(l));
  }
  const AxisMap a = z_axis(g);
  StackProfile s;
  s.xi = a.xi;
  s.xi.front() = -1;
  s.xi.back() = 1;
  for (std::size_t l = 0; l < base_.layers.size(); ++l) {
    const model::Layer& L = base_.layers[l];
    const double dxi = a.dxi[l];  // d xi / d z^ in layer l
    s.c.push_back(std::sqrt(L.k_xy / L.k_z) / dxi);
    s.w.push_back(L.k_z / norm_.k_ref_W_per_mK * dxi);
    bool powered = !L.power.empty();
    for (int in : input_layer_) powered |= in == static_cast<int>(l);
    if (powered) {
      s.sources.push_back(static_cast<int>(l));
      // A unit input (areal density q_ref through the layer) is q^_v = L / t; in xi units the
      // equation's source is q^_v / (k^_z (d xi / d z^)^2).
      s.source_strength.push_back(norm_.length_m / L.thickness /
                                  (L.k_z / norm_.k_ref_W_per_mK * dxi * dxi));
    }
  }
  // The lateral modes' wavenumbers per die width L: pi L / max(Lx, Ly) .. the highest mode.
  const TrunkConfig& t = cfg_.network.trunk;
  const int m = t.type == TrunkType::cosine ? t.modes : 20;
  const double L = norm_.length_m;
  s.rate_min = M_PI * L / std::max(base_.lx, base_.ly);
  s.rate_max = std::max(s.rate_min, M_PI * L * std::hypot((m - 1) / base_.lx, (m - 1) / base_.ly));
  return s;
}

model::Design Problem::design_with(const InputValues& v) const {
  model::Design d = base_;
  for (std::size_t i = 0; i < cfg_.inputs.size(); ++i) {
    if (cfg_.inputs[i].type == InputType::htc) {
      d.faces[input_face_[i]].h = v.htc[i];
    } else if (input_layer_[i] >= 0) {
      d.layers[input_layer_[i]].power = v.maps[i];
    } else {
      d.faces[input_face_[i]].power = v.maps[i];
    }
  }
  return d;
}

InputValues Problem::inputs_of(const model::Design& d) const {
  std::vector<std::string> diff;
  auto num = [&](const std::string& what, double a, double b) {
    if (!close(a, b)) {
      std::ostringstream s;
      s << what << " " << b << " (model) vs " << a << " (design)";
      diff.push_back(s.str());
    }
  };
  num("die width m", d.lx, base_.lx);
  num("die length m", d.ly, base_.ly);
  if (d.layers.size() != base_.layers.size()) {
    diff.push_back("number of layers " + std::to_string(base_.layers.size()) + " (model) vs " +
                   std::to_string(d.layers.size()) + " (design)");
  } else {
    for (std::size_t l = 0; l < d.layers.size(); ++l) {
      const std::string w = "layer " + std::to_string(l) + " ";
      num(w + "thickness m", d.layers[l].thickness, base_.layers[l].thickness);
      num(w + "k_xy W/(m K)", d.layers[l].k_xy, base_.layers[l].k_xy);
      num(w + "k_z W/(m K)", d.layers[l].k_z, base_.layers[l].k_z);
      for (int c = 0; c < 4; ++c)
        num(w + "footprint[" + std::to_string(c) + "] m", d.layers[l].footprint[c],
            base_.layers[l].footprint[c]);
      bool varies = false;
      for (std::size_t i = 0; i < cfg_.inputs.size(); ++i) varies |= input_layer_[i] == int(l);
      if (!varies && !same_map(d.layers[l].power, base_.layers[l].power))
        diff.push_back(w + "power (fixed in the model's family)");
    }
  }
  for (int f = 0; f < model::kNumFaces; ++f) {
    const model::Boundary &a = d.faces[f], &b = base_.faces[f];
    const std::string w = std::string(model::face_name(f)) + " face ";
    if (a.type != b.type) {
      diff.push_back(w + "type " + model::bc_type_name(b.type) + " (model) vs " +
                     model::bc_type_name(a.type) + " (design)");
      continue;
    }
    bool h_varies = false, q_varies = false;
    for (std::size_t i = 0; i < cfg_.inputs.size(); ++i)
      if (input_face_[i] == f) (cfg_.inputs[i].type == InputType::htc ? h_varies : q_varies) = true;
    if (!h_varies) num(w + "h W/(m^2 K)", a.h, b.h);
    num(w + "T_amb K", a.t_amb, b.t_amb);
    if (a.type == model::BcType::kFixed) num(w + "T K", a.t_fixed, b.t_fixed);
    if (!q_varies && !same_map(a.power, b.power))
      diff.push_back(w + "power (fixed in the model's family)");
  }
  if (!diff.empty()) {
    std::string msg = "the design '" + d.name +
                      "' is not of the family this model was trained on ('" + base_.name + "'): ";
    for (std::size_t i = 0; i < diff.size(); ++i) msg += (i ? "; " : "") + diff[i];
    throw std::invalid_argument(msg + ". Train a model for this design or use one of its family.");
  }
  InputValues v;
  for (std::size_t i = 0; i < cfg_.inputs.size(); ++i) {
    const InputConfig& in = cfg_.inputs[i];
    if (in.type == InputType::htc) {
      const double h = d.faces[input_face_[i]].h;
      if (h < in.htc_min_W_per_m2K * 0.999 || h > in.htc_max_W_per_m2K * 1.001)
        throw std::invalid_argument("the design's " + in.target + " h = " + std::to_string(h) +
                                    " W/(m^2 K) lies outside the model's training range [" +
                                    std::to_string(in.htc_min_W_per_m2K) + ", " +
                                    std::to_string(in.htc_max_W_per_m2K) + "]");
      v.maps.emplace_back();
      v.htc.push_back(h);
    } else {
      v.maps.push_back(input_layer_[i] >= 0 ? d.layers[input_layer_[i]].power
                                            : d.faces[input_face_[i]].power);
      v.htc.push_back(0);
    }
  }
  return v;
}

nlohmann::json Problem::normalisation_json() const {
  return {{"length_m", norm_.length_m},      {"delta_T_K", norm_.delta_T_K},
          {"T_amb_K", norm_.t_amb_K},        {"k_ref_W_per_mK", norm_.k_ref_W_per_mK},
          {"q_ref_W_per_m2", norm_.q_ref()}, {"resistance_coordinate", resistance_}};
}

model::Grid jitter_grid(const model::Grid& g, std::mt19937_64& rng) {
  model::Grid out = g;
  std::uniform_real_distribution<double> u(-0.45, 0.45);
  auto jitter = [&](const std::vector<double>& in, std::vector<double>& v, auto fixed) {
    for (std::size_t k = 1; k + 1 < in.size(); ++k) {
      if (fixed(k)) continue;
      v[k] = in[k] + u(rng) * std::min(in[k] - in[k - 1], in[k + 1] - in[k]);
    }
  };
  jitter(g.x, out.x, [](std::size_t) { return false; });
  jitter(g.y, out.y, [](std::size_t) { return false; });
  jitter(g.z, out.z, [&](std::size_t k) { return g.cell_layer[k - 1] != g.cell_layer[k]; });
  return out;
}

nlohmann::json design_to_json(const model::Design& d) {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : d.layers)
    layers.push_back({{"name", l.name},
                      {"thickness", l.thickness},
                      {"k_xy", l.k_xy},
                      {"k_z", l.k_z},
                      {"cells", l.cells},
                      {"power", map_json(l.power)},
                      {"footprint", l.footprint}});
  nlohmann::json faces = nlohmann::json::array();
  for (const auto& f : d.faces)
    faces.push_back({{"type", static_cast<int>(f.type)},
                     {"h", f.h},
                     {"t_amb", f.t_amb},
                     {"t_fixed", f.t_fixed},
                     {"power", map_json(f.power)}});
  nlohmann::json grid{{"nx", d.grid.nx}, {"ny", d.grid.ny}, {"nz", d.grid.nz}};
  // Explicit nodes (imported designs' graded grids) only where the design has them.
  if (!d.grid.x_nodes.empty()) grid["x_nodes"] = d.grid.x_nodes;
  if (!d.grid.y_nodes.empty()) grid["y_nodes"] = d.grid.y_nodes;
  if (!d.grid.z_nodes.empty()) grid["z_nodes"] = d.grid.z_nodes;
  return {{"name", d.name},   {"lx", d.lx},     {"ly", d.ly},
          {"layers", layers}, {"faces", faces}, {"grid", grid}};
}

model::Design design_from_json(const nlohmann::json& j) {
  model::Design d;
  const std::string w = "design";
  d.name = text(j, w, "name");
  d.lx = number(j, w, "lx");
  d.ly = number(j, w, "ly");
  const nlohmann::json& layers = array(j, w, "layers");
  for (std::size_t n = 0; n < layers.size(); ++n) {
    const std::string lw = w + ".layers[" + std::to_string(n) + "]";
    const auto& l = layers[n];
    model::Layer L;
    L.name = text(l, lw, "name");
    L.thickness = number(l, lw, "thickness");
    L.k_xy = number(l, lw, "k_xy");
    L.k_z = number(l, lw, "k_z");
    L.cells = whole(l, lw, "cells", 0, kMaxCount);
    L.power = map_from(at(l, lw, "power"), lw + ".power");
    const nlohmann::json& f = array(l, lw, "footprint");
    if (f.size() != 4)
      throw std::invalid_argument(lw + ".footprint must hold 4 numbers, holds " +
                                  std::to_string(f.size()));
    for (std::size_t i = 0; i < 4; ++i) {
      if (!f[i].is_number()) throw std::invalid_argument(lw + ".footprint holds a non-number");
      L.footprint[i] = f[i].get<double>();
    }
    d.layers.push_back(L);
  }
  const nlohmann::json& faces = array(j, w, "faces");
  if (faces.size() != static_cast<std::size_t>(model::kNumFaces))
    throw std::invalid_argument(w + ".faces must hold " + std::to_string(model::kNumFaces) +
                                " faces, holds " + std::to_string(faces.size()));
  for (int f = 0; f < model::kNumFaces; ++f) {
    const std::string fw = w + ".faces[" + std::to_string(f) + "]";
    const auto& x = faces[static_cast<std::size_t>(f)];
    d.faces[f].type = static_cast<model::BcType>(
        whole(x, fw, "type", 0, static_cast<int>(model::BcType::kPower)));
    d.faces[f].h = number(x, fw, "h");
    d.faces[f].t_amb = number(x, fw, "t_amb");
    d.faces[f].t_fixed = number(x, fw, "t_fixed");
    d.faces[f].power = map_from(at(x, fw, "power"), fw + ".power");
  }
  const nlohmann::json& g = at(j, w, "grid");
  d.grid.nx = whole(g, w + ".grid", "nx", 0, kMaxCount);
  d.grid.ny = whole(g, w + ".grid", "ny", 0, kMaxCount);
  d.grid.nz = whole(g, w + ".grid", "nz", 0, kMaxCount);
  for (const auto& [key, nodes] :
       {std::pair<const char*, std::vector<double>*>{"x_nodes", &d.grid.x_nodes},
        {"y_nodes", &d.grid.y_nodes},
        {"z_nodes", &d.grid.z_nodes}}) {
    if (!g.contains(key)) continue;
    const nlohmann::json& a = array(g, w + ".grid", key);
    if (a.size() > static_cast<std::size_t>(kMaxCount))
      throw std::invalid_argument(w + ".grid." + key + " holds too many nodes");
    for (std::size_t n = 0; n < a.size(); ++n) {
      if (!a[n].is_number() || !std::isfinite(a[n].get<double>()))
        throw std::invalid_argument(w + ".grid." + key + "[" + std::to_string(n) +
                                    "] = " + a[n].dump() + " is not a finite number");
      nodes->push_back(a[n].get<double>());
    }
  }
  d.validate();
  return d;
}

}  // namespace heatop::surrogate
