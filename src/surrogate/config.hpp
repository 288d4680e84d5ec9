#pragma once
// The operator configuration file (YAML): which design family the operator learns, how its
// input functions are generated, the network, the training schedule and the device. Every key,
// its unit and its default are listed in docs/surrogate.md. Unknown keys are errors that list
// the valid keys at that place. Options with a closed set of values are enums with one name
// table each (model/names.hpp): the files, the checkpoints and the docs tables use the names.

#include <memory>
#include <string>
#include <vector>

#include "model/names.hpp"
#include "surrogate/stack_basis.hpp"

namespace heatop::surrogate {

/// network.trunk.type: the functions of an axis trunk (trunks.hpp).
enum class TrunkType { mlp, fourier_mlp, chebykan, bspline_kan, cosine, exponential, stack };
inline constexpr NameTable<TrunkType, 7> kTrunkTypeNames{
    {{TrunkType::mlp, "mlp", "tanh MLP on ξ (`widths`)"},
     {TrunkType::fourier_mlp, "fourier-mlp",
      "tanh MLP on [ξ, sin πbξ, cos πbξ] with fixed random frequencies b (`fourier_features`, "
      "`fourier_scale`)"},
     {TrunkType::chebykan, "chebykan",
      "per layer: tanh, Chebyshev T₀…T_d by recurrence, LayerNorm between layers (`widths`, "
      "`degree`)"},
     {TrunkType::bspline_kan, "bspline-kan",
      "per layer: tanh, cubic B-splines on `grid` uniform intervals plus a linear base term "
      "(`widths`, `grid`)"},
     {TrunkType::cosine, "cosine",
      "fixed modes cos(kπ(ξ+1)/2)/(1 + kπ/2), k = 0 … `modes`−1; separable models only"},
     {TrunkType::exponential, "exponential",
      "fixed functions 1, ξ, e^(−m_j(1−ξ))/(1+m_j) and e^(−m_j(1+ξ))/(1+m_j) for `modes` decay "
      "`rates` m_j; separable models only"},
     {TrunkType::stack, "stack",
      "z only: the depth profiles of the design's own stack (stack_basis.hpp) for lateral "
      "wavenumber 0 and `modes` geometric `rates` (per die width; default: the lateral cosine "
      "modes' range): per rate the solutions that are 1 at the bottom or top face, and one per "
      "powered layer for a unit source in it, each exact in every layer with T and flux "
      "continuous across interfaces; (modes + 1)·(2 + powered layers) functions. Under core "
      "`modal`: these functions at every cosine mode's own wavenumber instead"}},
    "unknown trunk type '{got}'; valid types: {valid}"};

/// An axis trunk (trunks.hpp).
struct TrunkConfig {
  TrunkType type = TrunkType::chebykan;
  std::vector<int> widths{32, 32};       // hidden layer widths
  int degree = 4;                        // chebykan: Chebyshev degree
  int grid = 8;                          // bspline-kan: intervals on [-1, 1]
  int modes = 24;                        // cosine: cos(k pi (xi + 1) / 2), k = 0 .. modes - 1;
                                         // exponential: number of decay rates
  double rate_min = 0.5, rate_max = 32;  // exponential: geometric decay rates in 1/xi units;
                                         // stack: lateral wavenumbers per die width
  bool rates_given = false;              // `rates` was in the file (stack: else from the design)
  /// stack: the design's stack in the trunk coordinate, set by the model from its Problem.
  std::shared_ptr<const StackProfile> stack;
  /// stack under a modal core: the wavenumber of every lateral mode (a, b), a-major, set by the
  /// model; the trunk then gives each mode its own functions.
  std::vector<double> modal_rates;
  /// With modal_rates: a factor on each mode's source functions, so that a unit map mode needs
  /// a coefficient of about 1 (the lateral trunks' 1/(1 + k pi/2) and the cosine transform's
  /// normalisation undone).
  std::vector<double> modal_source_scale;
  int fourier_features = 16;   // fourier-mlp: number of frequencies
  double fourier_scale = 2.0;  // fourier-mlp: standard deviation of the frequencies
  /// Throws std::invalid_argument naming the bad key and the valid values.
  void validate() const;
};

/// Gaussian random field with Gaussian (squared-exponential) covariance
/// C(r) = std^2 exp(-r^2 / (2 l^2)), sampled at tile centres. Values are power densities in W
/// per mm^2 of footprint (for a layer map: per mm^2, spread through the layer's thickness).
struct GrfConfig {
  double mean_W_per_mm2 = 2.0;
  double std_W_per_mm2 = 1.5;
  double length_scale_mm = 0.15;
  bool clip_nonnegative = true;
};

/// Random rectangular blocks on the tile grid: a uniform number of blocks in [count_min,
/// count_max], sides in [size_min, size_max] tiles, each with a uniform power density in
/// [density_min, density_max] W/mm^2 (overlaps add), on a uniform background in
/// [background_min, background_max] W/mm^2.
struct BlocksConfig {
  int count_min = 1, count_max = 6;
  int size_min_tiles = 2, size_max_tiles = 8;
  double density_min_W_per_mm2 = 0.5, density_max_W_per_mm2 = 10.0;
  double background_min_W_per_mm2 = 0.0, background_max_W_per_mm2 = 0.5;
};

/// Independent tiles: every tile's density uniform in [min, max] W/mm^2. White noise on the
/// tile grid: every spatial frequency the grid carries gets the same share of the power.
struct NoiseConfig {
  double min_W_per_mm2 = 0.0, max_W_per_mm2 = 10.0;
};

/// inputs[i].generator.type: how training power maps are drawn.
enum class GeneratorType { grf, blocks, noise, mixture };
inline constexpr NameTable<GeneratorType, 4> kGeneratorTypeNames{
    {{GeneratorType::grf, "grf", "Gaussian random field (`grf`)"},
     {GeneratorType::blocks, "blocks", "random rectangular blocks on a background (`blocks`)"},
     {GeneratorType::noise, "noise", "independent uniform tiles: white noise (`noise`)"},
     {GeneratorType::mixture, "mixture",
      "each draw a GRF with probability `grf_fraction`, noise with `noise_fraction`, else "
      "blocks"}},
    "unknown generator '{got}'; valid: {valid}"};

struct GeneratorConfig {
  GeneratorType type = GeneratorType::mixture;
  int tiles_x = 20, tiles_y = 20;  // tile grid the functions are drawn on
  double grf_fraction = 0.5;       // mixture: probability of a GRF draw
  double noise_fraction = 0.0;     // mixture: probability of a noise draw (the rest: blocks)
  NoiseConfig noise;
  GrfConfig grf;
  BlocksConfig blocks;
};

/// inputs[i].type: what an input function drives.
enum class InputType { power_map, htc };
inline constexpr NameTable<InputType, 2> kInputTypeNames{
    {{InputType::power_map, "power_map",
      "a power map on a `power` face (`top`, `bottom`) or in a layer (`layer:NAME`)"},
     {InputType::htc, "htc", "the heat-transfer coefficient of a convective face"}},
    "unknown input type '{got}'; valid: {valid}"};

/// inputs[i].sensor_layout: where the branch net of a power map reads it.
enum class SensorLayout { nodes, cells };
inline constexpr NameTable<SensorLayout, 2> kSensorLayoutNames{
    {{SensorLayout::nodes, "nodes",
      "sensors on a uniform node grid including the die edges (DeepOHeat's layout), each "
      "reading the mean power density over its control volume; nodes on tile edges average the "
      "neighbouring tiles"},
     {SensorLayout::cells, "cells",
      "sensors at the centres of a uniform `sensors` cell grid, each reading its cell's mean "
      "power density (a tile map on that grid comes through exactly, e.g. `sensors: [20, 20]` "
      "for C1's tiles)"}},
    "unknown layout '{got}'; valid: {valid}"};

/// One input function of the operator (one branch net).
struct InputConfig {
  std::string name;
  InputType type = InputType::power_map;
  std::string target;  // power_map: "top", "bottom" or "layer:NAME"; htc: "top" or "bottom"
  int sensors_x = 21, sensors_y = 21;  // power_map: sensor node grid the branch net reads
  SensorLayout sensor_layout = SensorLayout::nodes;
  GeneratorConfig generator;                            // power_map
  double htc_min_W_per_m2K = 0, htc_max_W_per_m2K = 0;  // htc: uniform range
};

/// network.model: how the trunks see the coordinates.
enum class NetworkModel { separable, pointwise };
inline constexpr NameTable<NetworkModel, 2> kNetworkModelNames{
    {{NetworkModel::separable, "separable", "one trunk per axis, GEMMs, Taylor-mode derivatives"},
     {NetworkModel::pointwise, "pointwise",
      "PI-DeepONet baseline: one trunk on (x, y, z), autograd double backward"}},
    "unknown model '{got}'; valid: {valid}"};

/// network.core: how a separable model combines its axis trunks.
enum class Core { cp, tucker, modal };
inline constexpr NameTable<Core, 3> kCoreNames{
    {{Core::cp, "cp", "u = Σ_r β_r X_r Y_r Z_r, r = 1 … `rank` (DeepOHeat-v1)"},
     {Core::tucker, "tucker",
      "u = Σ_abc β_abc X_a Y_b Z_c with a, b, c up to `tucker_ranks` [Rx, Ry, Rz]; the branch "
      "nets output the Rx·Ry·Rz core (separable models only)"},
     {Core::modal, "modal",
      "u = Σ_abk β_abk X_a Y_b Z_abk: cosine x/y modes a, b and, for each mode, its own depth "
      "functions k from the `stack` z trunk at that mode's wavenumber — every mode's profile "
      "exact; the core is modes × modes × (2 + powered layers), derived from the design "
      "(`tucker_ranks` is not used)"}},
    "unknown core '{got}'; valid: {valid}"};

/// network.modal_core: where a modal core's per-mode depth weights D come from.
enum class ModalCore { trained, solved, response };
inline constexpr NameTable<ModalCore, 3> kModalCoreNames{
    {{ModalCore::trained, "trained", "D is learned from the physics loss (training.steps steps)"},
     {ModalCore::solved, "solved",
      "D is computed from the stack: every mode's source coefficient is the map's cosine "
      "coefficient and its two face coefficients solve that mode's bottom and top conditions "
      "(a 2x2 system; an htc input enters it per design), so each retained mode is exact and "
      "nothing is trained; the inputs' fields add whatever `combine` says; needs the separable "
      "branch with cosine init and a design whose only power is the inputs'"},
     {ModalCore::response, "response",
      "the field is the base design's plus, per input, the map's cosine coefficients (over the "
      "sensors, `trunk.modes` per axis) times each mode's response, solved by the FV solver on "
      "the design's grid when the model is built and stored with it; for any linear stack, "
      "layer footprints included; predicts on that grid only; power-map inputs only"}},
    "'{got}' is not valid; use {either}"};

/// network.branch.type: the branch net of a power-map input (HTC inputs always use an mlp).
enum class BranchType { mlp, separable };
inline constexpr NameTable<BranchType, 2> kBranchTypeNames{
    {{BranchType::mlp, "mlp", "an MLP on the sensors (`widths`, `activation`)"},
     {BranchType::separable, "separable",
      "core `tucker` or `modal`: β_abc = D_abc·(A Q Bᵀ)_ab with Q the sensor grid and A [Rx × sx], "
      "B [Ry × sy], D [Rx × Ry × Rz] learned (a learned separable transform of the map, a "
      "learned DCT say, and a per-mode depth weighting) — linear in the power, a few thousand "
      "parameters"}},
    "'{got}' is not valid; use {either}"};

/// network.branch.init: how the separable branch's sensor transforms A and B start.
enum class BranchInit { random, cosine };
inline constexpr NameTable<BranchInit, 2> kBranchInitNames{
    {{BranchInit::random, "random", "A and B Gaussian, scaled by 1/√sensors"},
     {BranchInit::cosine, "cosine",
      "row a of A is the a-th cosine mode's mean over each sensor's tile (cells layout) or its "
      "value at each sensor node times the trapezoid weight (nodes layout): the branch starts "
      "as the map's cosine transform, the modes of the lateral cosine trunk, and training "
      "refines it and learns D"}},
    "'{got}' is not valid; use {either}"};

/// network.combine: how the branch outputs of several inputs make one set of coefficients.
enum class Combine { product, sum };
inline constexpr NameTable<Combine, 2> kCombineNames{
    {{Combine::product, "product",
      "β = Π_i β_i, elementwise (MIONet): for inputs that act together, such as a power map and "
      "a heat-transfer coefficient"},
     {Combine::sum, "sum",
      "β = Σ_i β_i: power maps only; the rise of several power maps is the sum of each one's "
      "(superposition), which a product cannot represent"}},
    "'{got}' is not valid; use {either}"};

/// network.branch.activation of the mlp branches.
enum class BranchActivation { tanh, linear };
inline constexpr NameTable<BranchActivation, 2> kBranchActivationNames{
    {{BranchActivation::tanh, "tanh", "tanh between layers"},
     {BranchActivation::linear, "linear",
      "no activation: the operator is affine in its inputs, exact for problems whose "
      "temperature rise is linear in the power (fixed k and h); the last layer starts at zero"}},
    "'{got}' is not valid; use {either}"};

/// network.resistance_coordinate: the z trunk's input.
enum class ResistanceCoordinate { automatic, on, off };
inline constexpr NameTable<ResistanceCoordinate, 3> kResistanceCoordinateNames{
    {{ResistanceCoordinate::automatic, "auto", "`on` when k_z jumps between layers, else `off`"},
     {ResistanceCoordinate::on, "on", "feed the z trunk the thermal-resistance coordinate"},
     {ResistanceCoordinate::off, "off", "feed the z trunk the height z"}},
    "'{got}' is not valid; use {either}"};

/// network.dtype: the floating-point type of the parameters and of the computation.
enum class DType { float32, float64 };
inline constexpr NameTable<DType, 2> kDTypeNames{{{DType::float32, "float32", "single precision"},
                                                  {DType::float64, "float64", "double precision"}},
                                                 "'{got}' is not valid; use {either}"};

struct NetworkConfig {
  NetworkModel model = NetworkModel::separable;
  int rank = 64;  // R, basis functions per trunk (core cp)
  Core core = Core::cp;
  ModalCore modal_core = ModalCore::trained;
  int tucker_ranks[3] = {24, 24, 12};
  std::vector<int> branch_widths{128, 128};
  BranchActivation branch_activation = BranchActivation::tanh;
  /// Branch of a power-map input (HTC inputs always use an mlp branch).
  BranchType branch_type = BranchType::mlp;
  BranchInit branch_init = BranchInit::random;
  Combine combine = Combine::product;
  /// Outputs of the axis-a trunk and of the branch nets.
  int trunk_outputs(int axis) const { return core != Core::cp ? tucker_ranks[axis] : rank; }
  /// "separable DeepONet, mlp trunks, cp rank 64" or "separable DeepONet, cosine x/y and mlp z
  /// trunks, tucker core 20x20x10, separable branch": for messages and summaries.
  std::string describe() const;
  int branch_outputs() const {
    return core != Core::cp ? tucker_ranks[0] * tucker_ranks[1] * tucker_ranks[2] : rank;
  }
  TrunkConfig trunk;    // every axis (the joint trunk of a pointwise model)
  TrunkConfig trunk_z;  // the z axis of a separable model (= trunk unless given)
  bool separate_trunk_z = false;
  ResistanceCoordinate resistance_coordinate = ResistanceCoordinate::automatic;
  DType dtype = DType::float32;
};

struct LossWeights {
  double pde = 1, adiabatic = 1, convective = 1, power = 1, fixed = 1, interface = 1;
};

/// training.collocation_sampling: where the collocation nodes are.
enum class CollocationSampling { random, grid };
inline constexpr NameTable<CollocationSampling, 2> kCollocationSamplingNames{
    {{CollocationSampling::random, "random",
      "every interior node jittered by up to 0.45 of its gap each step"},
     {CollocationSampling::grid, "grid", "fixed nodes"}},
    "'{got}' is not valid; use {either}"};

/// training.power_residual: how a power map enters the loss.
enum class PowerResidual { cells, modes, points };
inline constexpr NameTable<PowerResidual, 3> kPowerResidualNames{
    {{PowerResidual::cells, "cells",
      "the flux −k ∂u/∂n averaged over each tile of the input's generator grid, or of the "
      "face's fixed tile map, by Gauss quadrature (`quadrature_points`), against the tile's "
      "power: one residual per tile, no sampling noise from the map's discontinuities; for a "
      "power-map input that drives a layer, the layer's PDE residual averaged over each tile at "
      "each of its nodes"},
     {PowerResidual::modes, "modes",
      "Galerkin: the same residual at the same Gauss points, projected onto the first K "
      "(`residual_modes`) cosine modes per axis with orthonormal weights, the tiles' power "
      "projected exactly; the loss term is the sum of squared coefficients, the residual's mean "
      "square over the face by Parseval. A model with K lateral modes then learns the L2-best "
      "truncation of the flux, where matching tile means pushes the flux of the modes it lacks "
      "into the ones it has — 1/sinc² too much in the highest; layers as in `cells`"},
     {PowerResidual::points, "points",
      "−k ∂u/∂n − q at the collocation nodes of the face; the source at the nodes of a layer"}},
    "'{got}' is not valid; use {either}"};

struct TrainingConfig {
  int steps = 2000;
  int functions_per_step = 50;
  int collocation_x = 21, collocation_y = 21, collocation_z = 11;
  CollocationSampling collocation_sampling = CollocationSampling::random;
  /// g >= 1: the z collocation nodes of the layer under a powered top face (above a powered
  /// bottom face) move toward that face, t -> 1 - (1 - t)^g across the layer, where the
  /// fields vary fastest; 1 = uniform.
  double collocation_grading = 1.0;
  PowerResidual power_residual = PowerResidual::points;
  /// power_residual `modes`: the face residual (flux against power, sampled at the Gauss points
  /// of every tile) is projected onto the first K cosine modes per axis (a Galerkin residual):
  /// a model with K lateral modes then takes the L2-best truncation of the flux instead of
  /// matching tile means, which pushes the flux of the missing modes into lower ones. 0 = the
  /// lateral cosine trunk's modes, or the tile count for other trunks.
  int residual_modes = 0;
  int quadrature_points = 3;  // cells: Gauss-Legendre points per tile and axis
  unsigned long long seed = 1;
  double learning_rate = 1e-3;
  double decay_rate = 0.9;  // lr = learning_rate * decay_rate^(step / decay_steps)
  int decay_steps = 500;
  LossWeights weights;
  int log_every = 10;        // rows of train_log.csv
  int validate_every = 200;  // steps between validations against FV (0 = never)
  int validation_functions = 4;
  int validation_x = 41, validation_y = 41, validation_z = 21;
  int checkpoint_every = 500;      // steps between checkpoints (the last step always writes one)
  double divergence_factor = 1e4;  // stop when loss > factor * best loss so far
};

/// device: where training runs (`--device` overrides).
enum class DeviceKind { cpu, cuda };
inline constexpr NameTable<DeviceKind, 2> kDeviceNames{
    {{DeviceKind::cpu, "cpu", "the CPU (OpenMP threads)"},
     {DeviceKind::cuda, "cuda", "the first CUDA GPU (needs a CUDA build of LibTorch)"}},
    "'{got}' is not valid; use {either}"};

struct OperatorConfig {
  std::string design;  // base design file (resolved path)
  std::vector<InputConfig> inputs;
  NetworkConfig network;
  double delta_T_K = 25.0;  // temperature scale of u = (T - T_amb) / delta_T
  TrainingConfig training;
  DeviceKind device = DeviceKind::cpu;
  std::string yaml;  // the effective configuration as YAML (for checkpoints, manifests)

  /// Throws std::invalid_argument naming the bad key and value; also when training the network
  /// would need more memory than the machine has (estimated_parameters()).
  void validate() const;
  /// The network's learnable parameters, estimated from the configuration: the weights and
  /// biases of the branch and trunk layers (KAN layers: one weight per basis function), the
  /// bases' mixing matrices and the separable branch's factors (layer norms are left out).
  double estimated_parameters() const;
};

/// Reads an operator configuration; relative paths resolve against the file's folder.
/// `overrides` ("training.steps=2000", as `heatop train --set`) are applied to the YAML tree
/// before it is read, with the design files' rule (io::apply_override), so they are checked like
/// the file's own keys and appear in the effective configuration (OperatorConfig::yaml). Throws
/// std::invalid_argument (bad values, unknown keys) or std::runtime_error (I/O, malformed YAML).
OperatorConfig load_operator_config(const std::string& path,
                                    const std::vector<std::string>& overrides = {});
/// The same from text (base_dir resolves relative paths; name is used in messages).
OperatorConfig parse_operator_config(const std::string& text, const std::string& name,
                                     const std::string& base_dir,
                                     const std::vector<std::string>& overrides = {});

}  // namespace heatop::surrogate
