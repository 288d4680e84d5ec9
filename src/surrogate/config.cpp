// Reading and checking operator configuration files.

#include "surrogate/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "io/design_file.hpp"
#include "io/yaml_util.hpp"
#include "model/grid.hpp"

namespace heatop::surrogate {

namespace fs = std::filesystem;

namespace {

using io::yaml::join;

// Messages name the file, the line and the dotted key.
struct Reader {
  std::string file;

  [[noreturn]] void fail(const YAML::Node& n, const std::string& key,
                         const std::string& msg) const {
    const int line = n.Mark().line >= 0 ? n.Mark().line + 1 : 0;
    throw std::invalid_argument(file + (line ? ":" + std::to_string(line) : "") + ": " + key +
                                ": " + msg);
  }
  // The design files' rule (io::yaml::check_keys): a mapping, plain names as keys, each valid.
  void keys(const YAML::Node& n, const std::string& where,
            const std::vector<std::string>& valid) const {
    io::yaml::check_keys(io::yaml::Ctx{file, "", {}}, n, where, valid);
  }
  static std::string sub(const std::string& where, const std::string& key) {
    return where.empty() ? key : where + "." + key;
  }
  double num(const YAML::Node& p, const std::string& key, const std::string& where,
             double fallback) const {
    const YAML::Node n = p[key];
    if (!n) return fallback;
    return scalar(n, sub(where, key));
  }
  // The finite number at node n (the key `full` in messages).
  double scalar(const YAML::Node& n, const std::string& full) const {
    double v;
    try {
      v = n.as<double>();
    } catch (const std::exception&) {
      fail(n, full, "expected a number, got '" + n.Scalar() + "'");
    }
    if (!std::isfinite(v)) fail(n, full, "must be finite");
    return v;
  }
  int integer(const YAML::Node& p, const std::string& key, const std::string& where,
              int fallback) const {
    const double v = num(p, key, where, fallback);
    if (v != std::floor(v) || std::abs(v) > 2e9)
      fail(p[key], sub(where, key), "expected an integer, got " + p[key].Scalar());
    return static_cast<int>(v);
  }
  std::string str(const YAML::Node& p, const std::string& key, const std::string& where,
                  const std::string& fallback) const {
    const YAML::Node n = p[key];
    if (!n) return fallback;
    if (!n.IsScalar()) fail(n, sub(where, key), "expected a string");
    return n.Scalar();
  }
  // A name of `table` (model/names.hpp); an unknown one fails with the table's message.
  template <class E, std::size_t N>
  E named(const YAML::Node& p, const std::string& key, const std::string& where,
          const NameTable<E, N>& table, E fallback) const {
    if (!p[key]) return fallback;
    const std::string text = str(p, key, where, "");
    if (const Name<E>* e = find(table, text)) return e->value;
    fail(p[key], sub(where, key), unknown_name_message(table, text));
  }
  bool boolean(const YAML::Node& p, const std::string& key, const std::string& where,
               bool fallback) const {
    const YAML::Node n = p[key];
    if (!n) return fallback;
    try {
      return n.as<bool>();
    } catch (const std::exception&) {
      fail(n, sub(where, key), "expected true or false, got '" + n.Scalar() + "'");
    }
  }
  // A list of exactly `count` numbers (count 0: any length >= 1).
  std::vector<double> list(const YAML::Node& p, const std::string& key, const std::string& where,
                           std::size_t count) const {
    const YAML::Node n = p[key];
    if (!n.IsSequence() || n.size() == 0 || (count && n.size() != count))
      fail(n, sub(where, key),
           count ? "expected a list of " + std::to_string(count) + " numbers"
                 : "expected a list of numbers");
    // Element by element (a copy of each element into a new node merges yaml-cpp's node memory
    // every time: quadratic in the list's length).
    std::vector<double> v;
    std::size_t i = 0;
    for (const YAML::Node& e : n)
      v.push_back(scalar(e, sub(where, key) + "[" + std::to_string(i++) + "]"));
    return v;
  }
  // A list of whole numbers that fit an int (checked before the conversion, which is undefined
  // for values out of range).
  std::vector<int> ints(const YAML::Node& p, const std::string& key, const std::string& where,
                        std::size_t count) const {
    std::vector<int> out;
    for (double v : list(p, key, where, count)) out.push_back(whole(p[key], sub(where, key), v));
    return out;
  }
  int whole(const YAML::Node& n, const std::string& key, double v) const {
    if (v != std::floor(v) || std::abs(v) > 2e9)
      fail(n, key, "expected whole numbers, got " + std::to_string(v));
    return static_cast<int>(v);
  }
  // A [min, max] pair.
  void range(const YAML::Node& p, const std::string& key, const std::string& where, double& lo,
             double& hi) const {
    if (!p[key]) return;
    const auto v = list(p, key, where, 2);
    if (v[0] > v[1]) fail(p[key], sub(where, key), "expected [min, max] with min <= max");
    lo = v[0];
    hi = v[1];
  }
};

void parse_generator(const Reader& r, const YAML::Node& n, const std::string& w,
                     GeneratorConfig& g) {
  r.keys(n, w, {"type", "tiles", "grf_fraction", "noise_fraction", "grf", "blocks", "noise"});
  g.type = r.named(n, "type", w, kGeneratorTypeNames, g.type);
  if (n["tiles"]) {
    const auto t = r.ints(n, "tiles", w, 2);
    g.tiles_x = t[0];
    g.tiles_y = t[1];
  }
  g.grf_fraction = r.num(n, "grf_fraction", w, g.grf_fraction);
  g.noise_fraction = r.num(n, "noise_fraction", w, g.noise_fraction);
  if (const YAML::Node f = n["noise"]) {
    const std::string fw = w + ".noise";
    r.keys(f, fw, {"density_W_per_mm2"});
    r.range(f, "density_W_per_mm2", fw, g.noise.min_W_per_mm2, g.noise.max_W_per_mm2);
  }
  if (const YAML::Node f = n["grf"]) {
    const std::string fw = w + ".grf";
    r.keys(f, fw, {"mean_W_per_mm2", "std_W_per_mm2", "length_scale_mm", "clip_nonnegative"});
    g.grf.mean_W_per_mm2 = r.num(f, "mean_W_per_mm2", fw, g.grf.mean_W_per_mm2);
    g.grf.std_W_per_mm2 = r.num(f, "std_W_per_mm2", fw, g.grf.std_W_per_mm2);
    g.grf.length_scale_mm = r.num(f, "length_scale_mm", fw, g.grf.length_scale_mm);
    g.grf.clip_nonnegative = r.boolean(f, "clip_nonnegative", fw, g.grf.clip_nonnegative);
  }
  if (const YAML::Node b = n["blocks"]) {
    const std::string bw = w + ".blocks";
    r.keys(b, bw, {"count", "size_tiles", "density_W_per_mm2", "background_W_per_mm2"});
    double lo = g.blocks.count_min, hi = g.blocks.count_max;
    r.range(b, "count", bw, lo, hi);
    g.blocks.count_min = r.whole(b["count"], bw + ".count", lo);
    g.blocks.count_max = r.whole(b["count"], bw + ".count", hi);
    lo = g.blocks.size_min_tiles;
    hi = g.blocks.size_max_tiles;
    r.range(b, "size_tiles", bw, lo, hi);
    g.blocks.size_min_tiles = r.whole(b["size_tiles"], bw + ".size_tiles", lo);
    g.blocks.size_max_tiles = r.whole(b["size_tiles"], bw + ".size_tiles", hi);
    r.range(b, "density_W_per_mm2", bw, g.blocks.density_min_W_per_mm2,
            g.blocks.density_max_W_per_mm2);
    r.range(b, "background_W_per_mm2", bw, g.blocks.background_min_W_per_mm2,
            g.blocks.background_max_W_per_mm2);
  }
}

void parse_network(const Reader& r, const YAML::Node& n, NetworkConfig& net) {
  const std::string w = "network";
  r.keys(n, w,
         {"model", "rank", "core", "modal_core", "tucker_ranks", "branch", "combine", "trunk",
          "trunk_z", "resistance_coordinate", "dtype"});
  net.model = r.named(n, "model", w, kNetworkModelNames, net.model);
  net.rank = r.integer(n, "rank", w, net.rank);
  net.core = r.named(n, "core", w, kCoreNames, net.core);
  net.modal_core = r.named(n, "modal_core", w, kModalCoreNames, net.modal_core);
  net.combine = r.named(n, "combine", w, kCombineNames, net.combine);
  if (n["tucker_ranks"]) {
    const std::vector<int> tr = r.ints(n, "tucker_ranks", w, 3);
    for (int a = 0; a < 3; ++a) net.tucker_ranks[a] = tr[a];
  }
  net.resistance_coordinate =
      r.named(n, "resistance_coordinate", w, kResistanceCoordinateNames, net.resistance_coordinate);
  net.dtype = r.named(n, "dtype", w, kDTypeNames, net.dtype);
  if (const YAML::Node b = n["branch"]) {
    r.keys(b, "network.branch", {"type", "widths", "activation", "init"});
    net.branch_type = r.named(b, "type", "network.branch", kBranchTypeNames, net.branch_type);
    net.branch_init = r.named(b, "init", "network.branch", kBranchInitNames, net.branch_init);
    net.branch_activation =
        r.named(b, "activation", "network.branch", kBranchActivationNames, net.branch_activation);
    if (b["widths"]) {
      net.branch_widths.clear();
      // [] is allowed: the branch is then one linear map from the sensors to the outputs.
      if (!(b["widths"].IsSequence() && b["widths"].size() == 0))
        net.branch_widths = r.ints(b, "widths", "network.branch", 0);
    }
  }
  auto parse_trunk = [&](const YAML::Node& t, const std::string& tw, TrunkConfig& tc) {
    r.keys(t, tw,
           {"type", "widths", "degree", "grid", "modes", "rates", "fourier_features",
            "fourier_scale"});
    tc.type = r.named(t, "type", tw, kTrunkTypeNames, tc.type);
    if (t["widths"]) {
      tc.widths.clear();
      if (!(t["widths"].IsSequence() && t["widths"].size() == 0))
        tc.widths = r.ints(t, "widths", tw, 0);
    }
    tc.degree = r.integer(t, "degree", tw, tc.degree);
    tc.grid = r.integer(t, "grid", tw, tc.grid);
    tc.modes = r.integer(t, "modes", tw, tc.modes);
    r.range(t, "rates", tw, tc.rate_min, tc.rate_max);
    tc.rates_given = static_cast<bool>(t["rates"]);
    tc.fourier_features = r.integer(t, "fourier_features", tw, tc.fourier_features);
    tc.fourier_scale = r.num(t, "fourier_scale", tw, tc.fourier_scale);
  };
  if (const YAML::Node t = n["trunk"]) parse_trunk(t, "network.trunk", net.trunk);
  net.trunk_z = net.trunk;
  net.separate_trunk_z = false;
  if (const YAML::Node t = n["trunk_z"]) {
    parse_trunk(t, "network.trunk_z", net.trunk_z);
    net.separate_trunk_z = true;
  }
  // A modal core's size follows from the lateral modes (and, per mode, bottom, top and one
  // source function per powered layer: the model sets the last from the design; 3 here, one
  // powered layer, for the size checks and the memory estimate).
  if (net.core == Core::modal) {
    net.tucker_ranks[0] = net.tucker_ranks[1] = net.trunk.modes;
    net.tucker_ranks[2] = 3;
  }
}

void parse_training(const Reader& r, const YAML::Node& n, TrainingConfig& t) {
  const std::string w = "training";
  r.keys(
      n, w,
      {"steps", "functions_per_step", "collocation", "collocation_sampling", "collocation_grading",
       "power_residual", "residual_modes", "quadrature_points", "seed", "learning_rate",
       "decay_rate", "decay_steps", "loss_weights", "log_every", "validate_every",
       "validation_functions", "validation_grid", "checkpoint_every", "divergence_factor"});
  t.steps = r.integer(n, "steps", w, t.steps);
  t.functions_per_step = r.integer(n, "functions_per_step", w, t.functions_per_step);
  if (n["collocation"]) {
    const auto c = r.ints(n, "collocation", w, 3);
    t.collocation_x = c[0];
    t.collocation_y = c[1];
    t.collocation_z = c[2];
  }
  t.collocation_sampling =
      r.named(n, "collocation_sampling", w, kCollocationSamplingNames, t.collocation_sampling);
  t.power_residual = r.named(n, "power_residual", w, kPowerResidualNames, t.power_residual);
  t.collocation_grading = r.num(n, "collocation_grading", w, t.collocation_grading);
  t.quadrature_points = r.integer(n, "quadrature_points", w, t.quadrature_points);
  t.residual_modes = r.integer(n, "residual_modes", w, t.residual_modes);
  const double seed = r.num(n, "seed", w, static_cast<double>(t.seed));
  if (seed < 0 || seed != std::floor(seed) || seed >= 1.8e19)
    r.fail(n["seed"], "training.seed", "expected an integer >= 0");
  t.seed = static_cast<unsigned long long>(seed);
  t.learning_rate = r.num(n, "learning_rate", w, t.learning_rate);
  t.decay_rate = r.num(n, "decay_rate", w, t.decay_rate);
  t.decay_steps = r.integer(n, "decay_steps", w, t.decay_steps);
  if (const YAML::Node lw = n["loss_weights"]) {
    const std::string ww = "training.loss_weights";
    r.keys(lw, ww, {"pde", "adiabatic", "convective", "power", "fixed", "interface"});
    LossWeights& x = t.weights;
    x.pde = r.num(lw, "pde", ww, x.pde);
    x.adiabatic = r.num(lw, "adiabatic", ww, x.adiabatic);
    x.convective = r.num(lw, "convective", ww, x.convective);
    x.power = r.num(lw, "power", ww, x.power);
    x.fixed = r.num(lw, "fixed", ww, x.fixed);
    x.interface = r.num(lw, "interface", ww, x.interface);
  }
  t.log_every = r.integer(n, "log_every", w, t.log_every);
  t.validate_every = r.integer(n, "validate_every", w, t.validate_every);
  t.validation_functions = r.integer(n, "validation_functions", w, t.validation_functions);
  if (n["validation_grid"]) {
    const auto c = r.ints(n, "validation_grid", w, 3);
    t.validation_x = c[0];
    t.validation_y = c[1];
    t.validation_z = c[2];
  }
  t.checkpoint_every = r.integer(n, "checkpoint_every", w, t.checkpoint_every);
  t.divergence_factor = r.num(n, "divergence_factor", w, t.divergence_factor);
}

// A number as a message shows it: 0.5, 32, 1e-06 (not 0.500000).
std::string short_number(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

void check(bool ok, const std::string& msg) {
  if (!ok) throw std::invalid_argument(msg);
}

// Weights and biases of dense layers in -> widths... -> out, each weight times `per_weight`
// (the basis functions of a KAN layer); in doubles, as the sizes may be absurd.
double dense_parameters(double in, const std::vector<int>& widths, double out,
                        double per_weight = 1) {
  double n = 0, d = in;
  for (int w : widths) {
    n += d * w * per_weight + w;
    d = w;
  }
  return n + d * out * per_weight + out;
}

double trunk_parameters(const TrunkConfig& t, double in, double out) {
  switch (t.type) {
    case TrunkType::mlp:
      return dense_parameters(in, t.widths, out);
    case TrunkType::fourier_mlp:
      return dense_parameters(in + 2.0 * t.fourier_features, t.widths, out);
    case TrunkType::chebykan:
      return dense_parameters(in, t.widths, out, t.degree + 1.0);
    case TrunkType::bspline_kan:
      return dense_parameters(in, t.widths, out, t.grid + 4.0);
    // Fixed bases: a learnable mixing matrix only when the output count differs.
    case TrunkType::cosine:
      return out == t.modes ? 0 : out * t.modes;
    case TrunkType::exponential:
      return out == 2.0 * t.modes + 2 ? 0 : out * (2.0 * t.modes + 2);
    case TrunkType::stack:
      return out == 3.0 * (t.modes + 1) ? 0 : out * 3.0 * (t.modes + 1);  // one powered layer
  }
  return 0;
}

}  // namespace

void TrunkConfig::validate() const {
  const bool basis =
      type == TrunkType::cosine || type == TrunkType::exponential || type == TrunkType::stack;
  check(basis || !widths.empty(),
        "network.trunk.widths: give at least one hidden width, e.g. [32, 32]");
  check(!basis || (modes >= 1 && modes <= 512),
        "network.trunk.modes: " + std::to_string(modes) + " is not in 1..512");
  check(type != TrunkType::exponential || (rate_min > 0 && rate_max >= rate_min && rate_max <= 200),
        "network.trunk.rates: [" + short_number(rate_min) + ", " + short_number(rate_max) +
            "] must satisfy 0 < min <= max <= 200");
  check(type != TrunkType::stack || !rates_given ||
            (rate_min > 0 && rate_max >= rate_min && rate_max <= 1e4),
        "network.trunk_z.rates: [" + short_number(rate_min) + ", " + short_number(rate_max) +
            "] must satisfy 0 < min <= max <= 10000 (lateral wavenumbers per die width)");
  for (int w : widths)
    check(w >= 1 && w <= 4096, "network.trunk.widths: " + std::to_string(w) + " is not in 1..4096");
  check(type != TrunkType::chebykan || (degree >= 1 && degree <= 32),
        "network.trunk.degree: " + std::to_string(degree) + " is not in 1..32");
  check(type != TrunkType::bspline_kan || (grid >= 1 && grid <= 256),
        "network.trunk.grid: " + std::to_string(grid) + " is not in 1..256");
  check(type != TrunkType::fourier_mlp || (fourier_features >= 1 && fourier_scale > 0),
        "network.trunk.fourier_features must be >= 1 and fourier_scale > 0");
}

std::string NetworkConfig::describe() const {
  const std::string xy = heatop::name(kTrunkTypeNames, trunk.type),
                    z = heatop::name(kTrunkTypeNames, trunk_z.type);
  std::string d = heatop::name(kNetworkModelNames, model) + std::string(" DeepONet, ");
  d += separate_trunk_z && trunk_z.type != trunk.type ? xy + " x/y and " + z + " z trunks"
                                                      : xy + " trunks";
  if (core == Core::modal)
    d += ", modal core (" + std::to_string(trunk.modes) + "x" + std::to_string(trunk.modes) +
         " modes, each with its own depth functions" +
         (modal_core == ModalCore::solved     ? std::string(", solved from the stack")
          : modal_core == ModalCore::response ? std::string(", FV responses of the modes")
                                              : std::string()) +
         ")";
  else if (core == Core::tucker)
    d += ", tucker core " + std::to_string(tucker_ranks[0]) + "x" +
         std::to_string(tucker_ranks[1]) + "x" + std::to_string(tucker_ranks[2]);
  else
    d += ", rank " + std::to_string(rank);
  d += ", " +
       (branch_type == BranchType::separable
            ? std::string("separable")
            : heatop::name(kBranchActivationNames, branch_activation) + std::string(" mlp")) +
       " branch";
  return d;
}

double OperatorConfig::estimated_parameters() const {
  const NetworkConfig& n = network;
  double p = 0;
  for (const InputConfig& in : inputs) {
    if (n.branch_type == BranchType::separable && in.type == InputType::power_map)
      p += static_cast<double>(n.tucker_ranks[0]) * in.sensors_x +
           static_cast<double>(n.tucker_ranks[1]) * in.sensors_y +
           static_cast<double>(n.branch_outputs());
    else
      p += dense_parameters(
          in.type == InputType::htc ? 1.0 : static_cast<double>(in.sensors_x) * in.sensors_y,
          n.branch_widths, n.branch_outputs());
  }
  if (n.model == NetworkModel::separable) {
    for (int a = 0; a < 3; ++a)
      // (A modal core's stack trunk has no mixing matrix: every mode uses its own functions.)
      if (!(a == 2 && n.core == Core::modal))
        p += trunk_parameters(a == 2 ? n.trunk_z : n.trunk, 1, n.trunk_outputs(a));
  } else {
    p += trunk_parameters(n.trunk, 3, n.rank);
  }
  return p;
}

void OperatorConfig::validate() const {
  check(!design.empty(), "design: the base design file is required");
  check(!inputs.empty(), "inputs: list at least one input (a power_map or an htc)");
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const InputConfig& in = inputs[i];
    const std::string w = "inputs[" + std::to_string(i) + "] (" + in.name + ")";
    if (in.type == InputType::power_map) {
      check(in.target == "top" || in.target == "bottom" || in.target.rfind("layer:", 0) == 0,
            w + ".target: '" + in.target + "' is not valid; use top, bottom or layer:NAME");
      check(in.sensors_x >= 2 && in.sensors_y >= 2 && in.sensors_x <= 1024 && in.sensors_y <= 1024,
            w + ".sensors: [" + std::to_string(in.sensors_x) + ", " + std::to_string(in.sensors_y) +
                "] must be 2..1024 nodes per axis");
      const GeneratorConfig& g = in.generator;
      check(g.tiles_x >= 1 && g.tiles_y >= 1, w + ".generator.tiles must be >= 1");
      check(g.grf_fraction >= 0 && g.grf_fraction <= 1,
            w + ".generator.grf_fraction must be in [0, 1]");
      check(g.noise_fraction >= 0 && g.grf_fraction + g.noise_fraction <= 1,
            w + ".generator.noise_fraction must be >= 0 and grf_fraction + noise_fraction <= 1");
      check(
          g.noise.min_W_per_mm2 >= 0 && g.noise.max_W_per_mm2 >= g.noise.min_W_per_mm2,
          w + ".generator.noise.density_W_per_mm2 must be a range [min, max] with 0 <= min <= max");
      check(g.grf.std_W_per_mm2 >= 0 && g.grf.length_scale_mm > 0,
            w + ".generator.grf: std_W_per_mm2 must be >= 0 and length_scale_mm > 0");
      const BlocksConfig& b = g.blocks;
      check(b.count_min >= 0 && b.size_min_tiles >= 1 &&
                b.size_max_tiles <= std::max(g.tiles_x, g.tiles_y),
            w + ".generator.blocks: count must be >= 0 and size_tiles within 1.." +
                std::to_string(std::max(g.tiles_x, g.tiles_y)));
      check(b.density_min_W_per_mm2 >= 0 && b.background_min_W_per_mm2 >= 0,
            w + ".generator.blocks: densities must be >= 0");
    } else {
      check(in.target == "top" || in.target == "bottom",
            w + ".target: '" + in.target + "' is not valid for an htc; use top or bottom");
      check(in.htc_min_W_per_m2K > 0 && in.htc_max_W_per_m2K >= in.htc_min_W_per_m2K,
            w + ".range_W_per_m2K: expected [min, max] with 0 < min <= max");
    }
    for (std::size_t j = 0; j < i; ++j)
      check(inputs[j].target != in.target || inputs[j].type != in.type,
            w + ": two inputs drive the same " + heatop::name(kInputTypeNames, in.type) + " of " +
                in.target);
  }
  check(network.rank >= 1 && network.rank <= 4096,
        "network.rank: " + std::to_string(network.rank) + " is not in 1..4096");
  check(network.core == Core::cp || network.model == NetworkModel::separable,
        "network.core: tucker needs network.model: separable");
  for (int a = 0; a < 3; ++a)
    check(network.tucker_ranks[a] >= 1 && network.tucker_ranks[a] <= 256,
          "network.tucker_ranks: " + std::to_string(network.tucker_ranks[a]) + " is not in 1..256");
  check(static_cast<long>(network.tucker_ranks[0]) * network.tucker_ranks[1] *
                network.tucker_ranks[2] <=
            65536,
        "network.tucker_ranks: the core Rx*Ry*Rz must be <= 65536");
  check(network.branch_type == BranchType::mlp || network.core != Core::cp,
        "network.branch.type: separable needs network.core: tucker or modal");
  check(network.core != Core::modal ||
            (network.model == NetworkModel::separable && network.trunk.type == TrunkType::cosine &&
             network.trunk_z.type == TrunkType::stack),
        "network.core: modal needs network.model: separable, trunk type cosine and trunk_z type "
        "stack (each cosine mode gets the stack's depth functions at its own wavenumber)");
  if (network.modal_core == ModalCore::response) {
    check(network.core == Core::modal, "network.modal_core: response needs network.core: modal");
    for (const InputConfig& in : inputs)
      check(in.type == InputType::power_map,
            "network.modal_core: response takes power-map inputs only (input '" + in.name +
                "' is an htc: the field is not linear in h); use modal_core: solved");
    check(network.trunk.modes >= 1 && network.trunk.modes <= 64,
          "network.trunk.modes: a response core has 1..64 modes per axis (each mode costs an FV "
          "solve and a stored field)");
  }
  if (network.modal_core == ModalCore::solved) {
    check(network.core == Core::modal, "network.modal_core: solved needs network.core: modal");
    check(network.branch_type == BranchType::separable && network.branch_init == BranchInit::cosine,
          "network.modal_core: solved needs network.branch {type: separable, init: cosine} (the "
          "branch is then the map's cosine transform)");
    bool map = false;
    for (const InputConfig& in : inputs) map |= in.type == InputType::power_map;
    check(map, "network.modal_core: solved needs at least one power-map input");
  }
  for (int w : network.branch_widths)
    check(w >= 1 && w <= 8192,
          "network.branch.widths: " + std::to_string(w) + " is not in 1..8192");
  network.trunk.validate();
  network.trunk_z.validate();
  // Training holds the weights, their gradients and Adam's two moments: refuse a network that
  // does not fit before LibTorch allocates it.
  const double params = estimated_parameters();
  const double need = params * (network.dtype == DType::float64 ? 8 : 4) * 4;
  const std::size_t avail = model::available_memory_bytes();
  if (avail > 0 && need > static_cast<double>(avail)) {
    char buf[200];
    std::snprintf(buf, sizeof(buf),
                  "about %.3g parameters need about %.1f GiB to train (weights, gradients, Adam's "
                  "moments), but only %.1f GiB are available",
                  params, need / 1073741824.0, static_cast<double>(avail) / 1073741824.0);
    throw std::invalid_argument(std::string("network too large for this machine: ") + buf +
                                "; reduce network.rank, network.branch.widths, "
                                "network.trunk.widths or inputs[].sensors");
  }
  for (const InputConfig& in : inputs)
    check(network.combine == Combine::product || in.type == InputType::power_map,
          "network.combine: sum adds the responses of power maps; input '" + in.name +
              "' is not a power map (use product)");
  check(network.trunk.type != TrunkType::stack,
        "network.trunk.type: stack is a depth basis computed from the design's layers; use it as "
        "network.trunk_z (with a lateral trunk such as cosine)");
  check(!network.separate_trunk_z || network.model == NetworkModel::separable,
        "network.trunk_z: a separate z trunk needs network.model: separable");
  for (const TrunkConfig* t : {&network.trunk, &network.trunk_z})
    check(network.model == NetworkModel::separable ||
              (t->type != TrunkType::cosine && t->type != TrunkType::exponential &&
               t->type != TrunkType::stack),
          "network.trunk.type: " + std::string(heatop::name(kTrunkTypeNames, t->type)) +
              " is an axis basis; it needs network.model: separable");
  check(delta_T_K > 0, "normalisation.delta_T_K must be > 0");
  const TrainingConfig& t = training;
  check(t.steps >= 1, "training.steps: " + std::to_string(t.steps) +
                          " is not valid; train for at least 1 step, e.g. steps: 2000");
  check(t.functions_per_step >= 1, "training.functions_per_step must be >= 1");
  check(t.collocation_x >= 2 && t.collocation_y >= 2 && t.collocation_z >= 2,
        "training.collocation: every axis needs >= 2 nodes, e.g. [21, 21, 11]");
  check(t.residual_modes >= 0 && t.residual_modes <= 512,
        "training.residual_modes: " + std::to_string(t.residual_modes) + " is not in 0..512");
  check(t.collocation_grading >= 1 && t.collocation_grading <= 4,
        "training.collocation_grading must be in [1, 4] (1 = uniform)");
  check(t.quadrature_points >= 1 && t.quadrature_points <= 8,
        "training.quadrature_points: " + std::to_string(t.quadrature_points) + " is not in 1..8");
  check(t.learning_rate > 0, "training.learning_rate must be > 0");
  check(t.decay_rate > 0 && t.decay_rate <= 1, "training.decay_rate must be in (0, 1]");
  check(t.decay_steps >= 1, "training.decay_steps must be >= 1");
  check(t.log_every >= 1 && t.validate_every >= 0 && t.checkpoint_every >= 0,
        "training: log_every must be >= 1, validate_every and checkpoint_every >= 0");
  check(t.validation_functions >= 0, "training.validation_functions must be >= 0");
  check(t.validation_x >= 2 && t.validation_y >= 2 && t.validation_z >= 2,
        "training.validation_grid: every axis needs >= 2 nodes");
  check(t.divergence_factor > 1, "training.divergence_factor must be > 1");
}

OperatorConfig parse_operator_config(const std::string& text, const std::string& name,
                                     const std::string& base_dir,
                                     const std::vector<std::string>& overrides) {
  const Reader r{name};
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(name + ":" + std::to_string(e.mark.line + 1) +
                             ": malformed YAML: " + e.msg);
  }
  if (!root || !root.IsMap()) throw std::invalid_argument(name + ": expected a mapping of keys");
  for (const auto& o : overrides) io::apply_override(root, o);
  r.keys(root, "", {"design", "inputs", "network", "normalisation", "training", "device"});
  OperatorConfig c;
  c.design = r.str(root, "design", "", "");
  if (c.design.empty()) r.fail(root, "design", "the base design file is required");
  if (fs::path(c.design).is_relative())
    c.design = (fs::path(base_dir) / c.design).lexically_normal().string();
  const YAML::Node ins = root["inputs"];
  if (!ins || !ins.IsSequence() || ins.size() == 0)
    r.fail(ins ? ins : root, "inputs", "expected a list of inputs (power_map or htc)");
  for (std::size_t i = 0; i < ins.size(); ++i) {
    const std::string w = "inputs[" + std::to_string(i) + "]";
    const YAML::Node n = ins[i];
    r.keys(n, w,
           {"name", "type", "target", "sensors", "sensor_layout", "generator", "range_W_per_m2K"});
    InputConfig in;
    if (!n["type"]) r.fail(n, w + ".type", "is required; valid: " + join_names(kInputTypeNames));
    in.type = r.named(n, "type", w, kInputTypeNames, in.type);
    in.target = r.str(n, "target", w, in.type == InputType::htc ? "bottom" : "top");
    in.name =
        r.str(n, "name", w, heatop::name(kInputTypeNames, in.type) + std::string("_") + in.target);
    if (n["sensors"]) {
      const auto s = r.ints(n, "sensors", w, 2);
      in.sensors_x = s[0];
      in.sensors_y = s[1];
    }
    in.sensor_layout = r.named(n, "sensor_layout", w, kSensorLayoutNames, in.sensor_layout);
    if (n["generator"]) parse_generator(r, n["generator"], w + ".generator", in.generator);
    r.range(n, "range_W_per_m2K", w, in.htc_min_W_per_m2K, in.htc_max_W_per_m2K);
    if (in.type == InputType::htc && !n["range_W_per_m2K"])
      r.fail(n, w + ".range_W_per_m2K", "is required for an htc input");
    c.inputs.push_back(in);
  }
  if (root["network"]) parse_network(r, root["network"], c.network);
  if (const YAML::Node nm = root["normalisation"]) {
    r.keys(nm, "normalisation", {"delta_T_K"});
    c.delta_T_K = r.num(nm, "delta_T_K", "normalisation", c.delta_T_K);
  }
  if (root["training"]) parse_training(r, root["training"], c.training);
  c.device = r.named(root, "device", "", kDeviceNames, c.device);
  YAML::Node eff = YAML::Clone(root);
  eff["design"] = c.design;
  YAML::Emitter e;
  e << eff;
  c.yaml = e.c_str();
  try {
    c.validate();
  } catch (const std::invalid_argument& ex) {
    throw std::invalid_argument(name + ": " + ex.what());
  }
  return c;
}

OperatorConfig load_operator_config(const std::string& path,
                                    const std::vector<std::string>& overrides) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error(path + ": cannot read the operator configuration file");
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_operator_config(ss.str(), path, fs::path(path).parent_path().string(), overrides);
}

}  // namespace heatop::surrogate
