// Operator configurations built from a design (auto_config.hpp).

#include "surrogate/auto_config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "io/design_file.hpp"

namespace heatop::surrogate {

namespace {

std::string num(double v) {
  std::ostringstream o;
  o.precision(4);
  o << v;
  return o.str();
}

// Thermal resistance (m^2 K / W) from the middle of layer `from` (or from a face) to the
// ambient through face `face` (kTop or kBottom): the layers in between in series with 1 / h;
// infinite for an adiabatic face, no 1 / h for a fixed one.
double resistance_to(const model::Design& d, double z_from, int face) {
  const model::Boundary& b = d.faces[face];
  double r = 0;
  if (b.type == model::BcType::kAdiabatic || (b.type == model::BcType::kPower && b.h <= 0))
    return INFINITY;
  if (b.type != model::BcType::kFixed) r += 1 / b.h;
  double z0 = 0;
  for (const auto& l : d.layers) {
    const double z1 = z0 + l.thickness;
    const double lo = face == model::kTop ? std::max(z0, z_from) : z0;
    const double hi = face == model::kTop ? z1 : std::min(z1, z_from);
    if (hi > lo) r += (hi - lo) / l.k_z;
    z0 = z1;
  }
  return r;
}

}  // namespace

std::string solved_core_obstacle(const model::Design& d, const std::vector<bool>& layer_is_input,
                                 const std::vector<bool>& face_is_input) {
  for (int f : {model::kWest, model::kEast, model::kSouth, model::kNorth})
    if (d.faces[f].type != model::BcType::kAdiabatic)
      return std::string("the ") + model::face_name(f) +
             " side is not adiabatic (the lateral cosine modes assume adiabatic sides)";
  const double t_ref = model::reference_temperature(d);
  auto same = [&](double t) { return std::abs(t - t_ref) <= 1e-9 * t_ref; };
  for (int f : {model::kBottom, model::kTop}) {
    const model::Boundary& b = d.faces[f];
    if (b.type == model::BcType::kFixed && !same(b.t_fixed))
      return std::string("the ") + model::face_name(f) +
             " face is fixed at another temperature than the ambient (the operator has no "
             "offset term)";
    if (b.type != model::BcType::kFixed && b.type != model::BcType::kAdiabatic && b.h > 0 &&
        !same(b.t_amb))
      return "the faces' ambient temperatures differ (the operator has no offset term)";
    if (!face_is_input[f] && b.type == model::BcType::kPower && b.power.total() != 0)
      return std::string("the ") + model::face_name(f) +
             " face carries power that is not an input; make it an input or remove it";
  }
  for (std::size_t l = 0; l < d.layers.size(); ++l)
    if (!layer_is_input[l] && d.layers[l].power.total() != 0)
      return "layer '" + d.layers[l].name +
             "' carries power that is not an input (the operator has no term for fixed power); "
             "make it an input or remove it";
  return "";
}

std::string auto_operator_config(const model::Design& d, const std::string& design_path,
                                 const std::vector<std::string>& targets) {
  if (targets.empty())
    throw std::invalid_argument(
        "name what varies: --input top, --input bottom or --input layer:NAME");
  // Layers with footprints (a die on a wider spreader): no cosine modes over the die describe
  // them, so the core is the FV responses of the modes (response_operator.hpp).
  bool footprints = false;
  for (const auto& l : d.layers) footprints |= l.has_footprint();
  struct Input {
    std::string target, name;
    const model::PowerMap* map = nullptr;
    double watts = 0, rho = 0, z = 0;  // W, W/mm^2, source height
    int tx = 20, ty = 20;              // tiles of the generators (and, by default, sensors)
    int sx = 0, sy = 0;                // sensors, where they differ from the tiles (0: the tiles)
    int layer = -1, face = -1;         // what the input drives
    double lx = 0, ly = 0;  // the extent its maps span (m): the layer's footprint or the die
  };
  std::vector<Input> ins;
  double rise = 0;
  for (const std::string& t : targets) {
    Input in;
    in.target = t;
    for (const Input& o : ins)
      if (o.target == t) throw std::invalid_argument("--input " + t + " is given twice");
    if (t == "top" || t == "bottom") {
      const int face = t == "top" ? model::kTop : model::kBottom;
      if (d.faces[face].type != model::BcType::kPower)
        throw std::invalid_argument("--input " + t + ": the design's " + t + " face is '" +
                                    model::bc_type_name(d.faces[face].type) +
                                    "', not 'power': make it a power face in the design file");
      in.map = &d.faces[face].power;
      in.face = face;
      in.z = face == model::kTop ? d.lz() : 0;
      in.name = t + "_power";
    } else if (t.rfind("layer:", 0) == 0) {
      const std::string ln = t.substr(6);
      double z0 = 0;
      std::string names;
      for (const auto& l : d.layers) {
        if (l.name == ln) {
          in.map = &l.power;
          in.layer = static_cast<int>(&l - d.layers.data());
          in.z = z0 + l.thickness / 2;
        }
        z0 += l.thickness;
        names += (names.empty() ? "" : ", ") + l.name;
      }
      if (!in.map)
        throw std::invalid_argument("--input " + t + ": the design has no layer '" + ln +
                                    "'; its layers are " + names);
      in.name = ln + "_power";
      const model::Layer& L = d.layers[in.layer];
      if (L.has_footprint()) {
        in.lx = L.footprint[2];
        in.ly = L.footprint[3];
      }
    } else {
      throw std::invalid_argument("--input '" + t +
                                  "' is not valid; use top, bottom or layer:NAME");
    }
    if (!(in.lx > 0)) {
      in.lx = d.lx;
      in.ly = d.ly;
    }
    const double lx = in.lx, ly = in.ly, area = lx * ly;
    // Density scale: the design's own power per footprint area, or 1 W/mm^2 if it has none.
    in.watts = in.map->total();
    in.rho = in.watts > 0 ? in.watts / area * 1e-6 : 1.0;
    // Tiles: the design's own tile grid, else (no tiles, or a uniform `power_W`, which is one
    // tile) 20 along the wider side.
    if (!in.map->tile_watts.empty() && in.map->cols >= 4 && in.map->rows >= 4) {
      in.tx = in.map->cols;
      in.ty = in.map->rows;
    } else if (lx > ly) {
      in.ty = std::max(4, static_cast<int>(std::lround(20 * ly / lx)));
    } else if (ly > lx) {
      in.tx = std::max(4, static_cast<int>(std::lround(20 * lx / ly)));
    }
    // Temperature scale: the mean rise of uniform maps by 1D resistances to the two faces.
    const double r_top = resistance_to(d, in.z, model::kTop),
                 r_bottom = resistance_to(d, in.z, model::kBottom);
    const double r = std::isinf(r_top)      ? r_bottom
                     : std::isinf(r_bottom) ? r_top
                                            : 1 / (1 / r_top + 1 / r_bottom);
    if (std::isinf(r))
      throw std::invalid_argument(
          "the design has no path for heat to leave: both faces adiabatic (a steady state needs "
          "a convective or fixed face)");
    rise += in.rho * 1e6 * r;
    ins.push_back(in);
  }
  // The core is solved from the stack: nothing to train, every mode exact, so more modes cost
  // no training (48 resolve C4's block edges to 0.3 K).
  std::vector<bool> layer_in(d.layers.size(), false), face_in(model::kNumFaces, false);
  for (const Input& in : ins) {
    if (in.layer >= 0) layer_in[in.layer] = true;
    if (in.face >= 0) face_in[in.face] = true;
  }
  // What the solved core cannot model, the trained modal core cannot either (cosine modes, no
  // offset term): refused rather than trained into a model that cannot be right.
  const std::string obstacle = footprints ? "" : solved_core_obstacle(d, layer_in, face_in);
  if (!obstacle.empty())
    throw std::invalid_argument("cannot build an operator for this design from its stack: " +
                                obstacle);
  int modes = 48;
  if (footprints) {
    // As many modes as sensors (a map that varies only between sensors is then exact), within
    // 256 MiB of stored responses (float): each mode of each input is one field of the grid.
    const double nodes = static_cast<double>(model::build_grid(d, false).size());
    const double budget = 256.0 * 1024 * 1024 / sizeof(float);
    modes = 0;
    for (const Input& in : ins) modes = std::max({modes, in.tx, in.ty});
    modes = std::min(modes, 20);  // 400 solves per input at most
    while (modes > 4 && static_cast<double>(ins.size()) * modes * modes * nodes > budget) --modes;
    if (static_cast<double>(ins.size()) * modes * modes * nodes > budget)
      throw std::invalid_argument(
          "the design's grid (" + std::to_string(static_cast<long>(nodes)) +
          " nodes) is too fine for a response model (layers with footprints): even 4 x 4 modes "
          "per input would store more than 256 MiB; coarsen the grid");
    // Fewer modes than tiles: the model cannot be exact on tile maps anyway, and truncating
    // the cosine series of a finely read map is closer than averaging it over coarser sensors
    // (HotSpot's EV6 floorplan at 18 modes: 64 sensors 0.94 % / 1.5 K, 20 sensors 1.5 % /
    // 3.2 K; bench/README.md). So the sensors read 64 along the wider side.
    for (Input& in : ins)
      if (modes < std::max(in.tx, in.ty)) {
        const double wide = std::max(in.lx, in.ly);
        in.sx = std::max(in.tx, static_cast<int>(std::lround(64 * in.lx / wide)));
        in.sy = std::max(in.ty, static_cast<int>(std::lround(64 * in.ly / wide)));
      }
  }
  std::ostringstream y;
  y << "# Built by heatop from " << design_path << " for input";
  for (const Input& in : ins) y << " " << in.target;
  if (footprints)
    y << ":\n# layers with footprints: the response operator (docs/surrogate.md), one FV solve\n"
      << "# per mode on the design's grid, generators scaled to the design's power density.\n";
  else
    y << ":\n# the modal spectral operator (docs/surrogate.md), depth functions from the stack,\n"
      << "# generators scaled to the design's power density per input.\n";
  y << "design: '" << design_path << "'\n"
    << "inputs:\n";
  for (const Input& in : ins) {
    const double rho = in.rho;
    y << "  - name: " << in.name << "\n"
      << "    type: power_map\n"
      << "    target: '" << in.target << "'\n"
      << "    sensors: [" << (in.sx ? in.sx : in.tx) << ", " << (in.sy ? in.sy : in.ty) << "]\n"
      << "    sensor_layout: cells\n"
      << "    generator:\n"
      << "      type: mixture\n"
      << "      tiles: [" << in.tx << ", " << in.ty << "]\n"
      << "      grf_fraction: 0.35\n"
      << "      noise_fraction: 0.3\n"
      << "      # " << (in.watts > 0 ? "the design's " : "an assumed ") << num(rho) << " W/mm^2 ("
      << num(in.watts) << " W over " << num(in.lx * in.ly * 1e6) << " mm^2)\n"
      << "      noise: {density_W_per_mm2: [0.0, " << num(6 * rho) << "]}\n"
      << "      grf: {mean_W_per_mm2: " << num(rho) << ", std_W_per_mm2: " << num(0.6 * rho)
      << ", length_scale_mm: " << num(0.15 * std::max(in.lx, in.ly) * 1e3)
      << ", clip_nonnegative: true}\n"
      << "      blocks: {count: [1, 6], size_tiles: [2, " << std::max(2, std::max(in.tx, in.ty) / 2)
      << "], density_W_per_mm2: [" << num(0.3 * rho) << ", " << num(6 * rho)
      << "], background_W_per_mm2: [0.0, " << num(1.2 * rho) << "]}\n";
  }
  y << "network:\n"
    << "  model: separable\n"
    << "  core: modal\n"
    << (footprints
            ? "  modal_core: response          # FV responses of the modes on the design's grid\n"
            : "  modal_core: solved            # from the stack: the training section is used "
              "only\n                                # with --set network.modal_core=trained\n")
    << "  branch: {type: separable, init: cosine}\n";
  if (ins.size() > 1) y << "  combine: sum                 # superposition of the inputs' rises\n";
  y << "  trunk: {type: cosine, modes: " << modes << "}\n"
    << "  trunk_z: {type: stack}\n"
    << "normalisation: {delta_T_K: " << num(std::max(1.0, std::round(rise))) << "}\n"
    << "training:\n"
    << "  steps: 1000\n"
    << "  functions_per_step: 50\n"
    << "  collocation: [21, 21, 12]\n"
    << "  power_residual: modes\n"
    << "  quadrature_points: 4\n"
    << "  seed: 1\n"
    << "  learning_rate: 1.0e-2\n"
    << "  decay_rate: 0.7\n"
    << "  decay_steps: 200\n"
    << "  validate_every: 250\n"
    << "  validation_functions: 4\n"
    << "  validation_grid: [41, 41, 23]\n"
    << "  checkpoint_every: 500\n"
    // The loss falls to ~1e-7 (float32 rounding of the residuals): a noisy batch is then
    // 1e4 times the best so far without anything going wrong.
    << "  divergence_factor: 1.0e6\n"
    << "device: cpu\n";
  return y.str();
}

OperatorConfig training_config(const std::string& path, const std::vector<std::string>& inputs,
                               const std::vector<std::string>& overrides) {
  namespace fs = std::filesystem;
  if (inputs.empty()) {
    // A design file given without inputs: say what is missing rather than "unknown key layers".
    YAML::Node n;
    try {
      n = YAML::LoadFile(path);
    } catch (const std::exception&) {
      // load_operator_config reports unreadable and malformed files.
    }
    if (n.IsMap() && n["layers"] && !n["inputs"])
      throw std::invalid_argument(path +
                                  " is a design file: name what the operator takes as input with "
                                  "--input top, --input bottom or --input layer:NAME (or give an "
                                  "operator configuration)");
    return load_operator_config(path, overrides);
  }
  const io::LoadedDesign ld = io::load_design(path);
  const std::string abs = fs::absolute(path).lexically_normal().string();
  return parse_operator_config(auto_operator_config(ld.design, abs, inputs),
                               "the configuration built for " + path,
                               fs::path(abs).parent_path().string(), overrides);
}

}  // namespace heatop::surrogate
