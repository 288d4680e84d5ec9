#pragma once
// The non-dimensional problem an operator learns (docs/surrogate.md), built from the same
// model::Design the finite-volume solver reads:
//   lengths x^ = x / L (L = die width), temperature u = (T - T_amb) / dT_ref,
//   conductivities k^ = k / k_ref (k_ref = smallest k_z of the stack),
//   surface flux q^ = q L / (k_ref dT_ref), volumetric power q^_v = q_v L^2 / (k_ref dT_ref),
//   Biot numbers Bi = h L / k_ref.
// Trunk coordinates xi in [-1, 1]: x and y linear; z linear, or through the thermal-resistance
// coordinate s(z) = integral dz / k_z (normalised to [-1, 1]) in which the 1D conduction profile
// of a layered stack is smooth and flux continuity across interfaces holds by construction.
// No LibTorch here.

#include <array>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "model/design.hpp"
#include "model/grid.hpp"
#include "surrogate/config.hpp"

namespace heatop::surrogate {

struct Normalisation {
  double length_m = 1e-3;
  double delta_T_K = 25;
  double t_amb_K = 298.15;
  double k_ref_W_per_mK = 1;
  /// Flux scale q_ref = k_ref dT_ref / L, W/m^2.
  double q_ref() const { return k_ref_W_per_mK * delta_T_K / length_m; }
};

/// Trunk coordinates of the nodes of one axis and d xi / d x^ at each node (x^ = x / L). At a
/// layer interface node of the resistance coordinate the derivative is that of the layer above
/// (of the layer below at the top face).
struct AxisMap {
  std::vector<double> xi, dxi;
};

/// The value of every input of the operator for one design.
struct InputValues {
  std::vector<model::PowerMap> maps;  // per input (empty map for htc inputs)
  std::vector<double> htc;            // per input, W/(m^2 K) (0 for power-map inputs)
};

class Problem {
 public:
  /// Checks that the configuration's inputs exist in the base design (a power_map input needs
  /// a `power` face or the named layer; an htc input a convective or power face); throws
  /// std::invalid_argument otherwise.
  Problem(const model::Design& base, const OperatorConfig& cfg);

  const model::Design& base() const { return base_; }
  const OperatorConfig& config() const { return cfg_; }
  const Normalisation& norm() const { return norm_; }
  bool resistance_coordinate() const { return resistance_; }
  int input_layer(std::size_t input) const { return input_layer_[input]; }
  int input_face(std::size_t input) const { return input_face_[input]; }
  /// The extent (m, x and y) that power-map input `input`'s maps span: its layer's footprint,
  /// or the die (tiles span it; block coordinates are relative to its corner).
  std::array<double, 2> input_extent(std::size_t input) const;
  /// The scales as checkpoints record them ("normalisation" in docs/checkpoint-format.md).
  nlohmann::json normalisation_json() const;

  /// The grid of the base design with the given node counts (interfaces stay node planes). Every
  /// layer gets at least 2 cells, so nz can exceed the request on stacks of many thin layers.
  model::Grid grid(int nx, int ny, int nz) const;
  /// The training collocation grid: grid() with training.collocation_grading applied.
  model::Grid collocation_grid() const;
  AxisMap x_axis(const std::vector<double>& x_m) const;
  AxisMap y_axis(const std::vector<double>& y_m) const;
  AxisMap z_axis(const model::Grid& grid) const;
  /// The stack in the z trunk coordinate, for the `stack` trunk: interface positions, each
  /// layer's rate factor and flux weight, the layers that carry volumetric power (inputs or
  /// fixed maps), and the lateral wavenumbers (per die width) of the lateral trunk's modes.
  StackProfile stack_profile() const;
  /// Layer of z node k: the cell above it, the cell below for the top node.
  static int node_layer(const model::Grid& grid, int k);

  /// The base design with these inputs in place (what the FV solver checks the operator on).
  model::Design design_with(const InputValues& v) const;
  /// The inputs a design gives this operator. Throws std::invalid_argument, naming every
  /// difference, when the design is not of this operator's family (other die, stack,
  /// boundary-condition types, or fixed values that differ from the training design).
  InputValues inputs_of(const model::Design& d) const;

 private:
  model::Design base_;
  OperatorConfig cfg_;
  Normalisation norm_;
  bool resistance_ = false;
  std::vector<int> input_layer_, input_face_;  // -1 where not applicable
};

/// The grid with every node that is not on a face or a layer interface moved by a uniform random
/// fraction in (-0.45, 0.45) of its smaller neighbour gap (order and layers are kept). Training
/// draws fresh collocation points this way every step, so a network cannot satisfy the residuals
/// at a fixed set of nodes while oscillating between them.
model::Grid jitter_grid(const model::Grid& g, std::mt19937_64& rng);

/// A design as JSON (every field, power maps included) and back: checkpoints carry the base
/// design this way, independent of the files it was read from.
nlohmann::json design_to_json(const model::Design& d);
model::Design design_from_json(const nlohmann::json& j);

}  // namespace heatop::surrogate
