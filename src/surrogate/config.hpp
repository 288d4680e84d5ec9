#pragma once
// The operator configuration file (YAML): which design family the operator learns, how its
// input functions are generated, the network, the training schedule and the device. Every key,
// its unit and its default are listed in docs/surrogate.md. Unknown keys are errors that list
// the valid keys at that place.

#include <string>
#include <vector>

namespace heatop::surrogate {

/// An axis trunk (trunks.hpp). Types: mlp, fourier-mlp, chebykan, bspline-kan, cosine,
/// exponential.
struct TrunkConfig {
  std::string type = "chebykan";
  std::vector<int> widths{32, 32};       // hidden layer widths
  int degree = 4;                        // chebykan: Chebyshev degree
  int grid = 8;                          // bspline-kan: intervals on [-1, 1]
  int modes = 24;                        // cosine: cos(k pi (xi + 1) / 2), k = 0 .. modes - 1;
                                         // exponential: number of decay rates
  double rate_min = 0.5, rate_max = 32;  // exponential: geometric decay rates in 1/xi units
  int fourier_features = 16;             // fourier-mlp: number of frequencies
  double fourier_scale = 2.0;            // fourier-mlp: standard deviation of the frequencies
  /// Throws std::invalid_argument naming the bad key and the valid values.
  void validate() const;
};

/// The valid trunk types, for messages.
const std::vector<std::string>& trunk_types();

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

struct GeneratorConfig {
  std::string type = "mixture";    // grf | blocks | noise | mixture
  int tiles_x = 20, tiles_y = 20;  // tile grid the functions are drawn on
  double grf_fraction = 0.5;       // mixture: probability of a GRF draw
  double noise_fraction = 0.0;     // mixture: probability of a noise draw (the rest: blocks)
  NoiseConfig noise;
  GrfConfig grf;
  BlocksConfig blocks;
};

/// One input function of the operator (one branch net).
struct InputConfig {
  std::string name;
  std::string type;    // power_map | htc
  std::string target;  // power_map: "top", "bottom" or "layer:NAME"; htc: "top" or "bottom"
  int sensors_x = 21, sensors_y = 21;  // power_map: sensor node grid the branch net reads
  /// "nodes": sensors on a uniform node grid including the die edges (DeepOHeat), each reading
  /// the mean density over its control volume; "cells": sensors at the centres of a uniform
  /// cell grid, each reading its cell's mean density (a tile map on the same grid exactly).
  std::string sensor_layout = "nodes";
  GeneratorConfig generator;                            // power_map
  double htc_min_W_per_m2K = 0, htc_max_W_per_m2K = 0;  // htc: uniform range
};

struct NetworkConfig {
  std::string model = "separable";  // separable | pointwise
  int rank = 64;                    // R, basis functions per trunk (core cp)
  /// How a separable model combines its axis trunks:
  ///   cp      u = sum_r beta_r X_r Y_r Z_r (DeepOHeat-v1; R = rank)
  ///   tucker  u = sum_abc beta_abc X_a Y_b Z_c with a in 1..Rx, b in 1..Ry, c in 1..Rz
  ///           (tucker_ranks); the branch nets output the Rx*Ry*Rz core.
  std::string core = "cp";
  int tucker_ranks[3] = {24, 24, 12};
  std::vector<int> branch_widths{128, 128};
  /// tanh | linear. A linear branch (no activation) makes the operator linear in its inputs,
  /// exact for problems whose temperature rise is linear in the power (fixed k and h).
  std::string branch_activation = "tanh";
  /// Branch of a power-map input: `mlp` (widths, activation) or `separable` (Tucker core only):
  /// beta[a,b,c] = D[a,b,c] * (A Q B^T)[a,b] with Q the sensor grid, A [Rx, sx], B [Ry, sy] and
  /// D [Rx, Ry, Rz] learned: a separable linear transform of the map (a learned DCT, say) and a
  /// per-mode depth weighting. Linear in the power, with Rx*Ry*Rz independent outputs for a
  /// few thousand parameters. HTC inputs always use an mlp branch.
  std::string branch_type = "mlp";
  /// Outputs of the axis-a trunk and of the branch nets.
  int trunk_outputs(int axis) const { return core == "tucker" ? tucker_ranks[axis] : rank; }
  /// "separable DeepONet, mlp trunks, cp rank 64" or "separable DeepONet, cosine x/y and mlp z
  /// trunks, tucker core 20x20x10, separable branch": for messages and summaries.
  std::string describe() const;
  int branch_outputs() const {
    return core == "tucker" ? tucker_ranks[0] * tucker_ranks[1] * tucker_ranks[2] : rank;
  }
  TrunkConfig trunk;    // every axis (the joint trunk of a pointwise model)
  TrunkConfig trunk_z;  // the z axis of a separable model (= trunk unless given)
  bool separate_trunk_z = false;
  std::string resistance_coordinate = "auto";  // auto | on | off (z trunk input, docs/surrogate.md)
  std::string dtype = "float32";               // float32 | float64
};

struct LossWeights {
  double pde = 1, adiabatic = 1, convective = 1, power = 1, fixed = 1, interface = 1;
};

struct TrainingConfig {
  int steps = 2000;
  int functions_per_step = 50;
  int collocation_x = 21, collocation_y = 21, collocation_z = 11;
  std::string collocation_sampling = "random";  // random (jittered every step) | grid (fixed)
  /// g >= 1: the z collocation nodes of the layer under a powered top face (above a powered
  /// bottom face) move toward that face, t -> 1 - (1 - t)^g across the layer, where the
  /// fields vary fastest; 1 = uniform.
  double collocation_grading = 1.0;
  /// How a surface power map enters the loss: `cells` compares the model's flux averaged over
  /// each tile of the input's tile grid (Gauss quadrature) with the tile's power, `points` at
  /// the collocation nodes (a discontinuous map sampled at jittered points: a noisy term).
  std::string power_residual = "points";
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

struct OperatorConfig {
  std::string design;  // base design file (resolved path)
  std::vector<InputConfig> inputs;
  NetworkConfig network;
  double delta_T_K = 25.0;  // temperature scale of u = (T - T_amb) / delta_T
  TrainingConfig training;
  std::string device = "cpu";  // cpu | cuda
  std::string yaml;            // the effective configuration as YAML (for checkpoints, manifests)

  /// Throws std::invalid_argument naming the bad key and value.
  void validate() const;
};

/// Reads an operator configuration; relative paths resolve against the file's folder. Throws
/// std::invalid_argument (bad values, unknown keys) or std::runtime_error (I/O, malformed YAML).
OperatorConfig load_operator_config(const std::string& path);
/// The same from text (base_dir resolves relative paths; name is used in messages).
OperatorConfig parse_operator_config(const std::string& text, const std::string& name,
                                     const std::string& base_dir);

}  // namespace heatop::surrogate
