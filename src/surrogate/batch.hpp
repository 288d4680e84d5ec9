#pragma once
// Turning input values (power maps, HTCs) into tensors:
// - branch inputs: each power map as its mean power density over the control volume of every
//   sensor node (exact for tiles and blocks, fv::integrate_map) or, with sensor_layout: cells,
//   over every sensor cell, scaled by q_ref, flattened row-major (i along x, j along y); each
//   HTC as (h - mid) / half-range of its training range;
// - physics data on a collocation grid: surface flux per face, Biot number per face and the
//   volumetric source at every node, all non-dimensional (problem.hpp). Power maps are
//   sampled at the points (the mean of the adjacent tiles on a tile edge): the residuals are
//   pointwise.

#include <torch/torch.h>

#include <array>
#include <vector>

#include "model/grid.hpp"
#include "surrogate/branch_values.hpp"
#include "surrogate/problem.hpp"

namespace heatop::surrogate {

struct TensorOptions {
  torch::Device device = torch::kCPU;
  torch::Dtype dtype = torch::kFloat32;
  torch::TensorOptions options() const {
    return torch::TensorOptions().device(device).dtype(dtype);
  }
};

/// Branch inputs of a batch of designs: one tensor [B, d_i] per input (branch_values).
std::vector<torch::Tensor> branch_inputs(const Problem& p, const std::vector<InputValues>& batch,
                                         const TensorOptions& to);

/// Physics data of a batch on a collocation grid. Undefined tensors mean "zero".
struct PhysicsBatch {
  std::vector<torch::Tensor> branch;
  std::array<torch::Tensor, 6> q;   // surface flux entering, [B or 1, n_a, n_b] face nodes
  std::array<torch::Tensor, 6> bi;  // Biot number, [B or 1, 1, 1]
  torch::Tensor source;             // volumetric power at nodes, [B or 1, nx, ny, nz]
  /// training.power_residual = cells: mean flux over each cell of flux_cells(face),
  /// [B or 1, cx, cy] (undefined where the face's power enters pointwise).
  std::array<torch::Tensor, 6> q_cells;
  /// training.power_residual = cells or modes and power-map inputs drive layers
  /// (volume_cells): per such layer, in volume_cells' order, its non-dimensional source averaged
  /// over each tile, [B, cx, cy]; those layers' point sources are then left out of `source`.
  std::vector<torch::Tensor> source_cells;
};

/// A layer (and its tile grid) whose volumetric source is averaged over tiles.
struct VolumeCells {
  int layer = -1, cx = 0, cy = 0;
};
/// The layers driven by power-map inputs, in input order, when training.power_residual is
/// `cells` or `modes` (none for `points`).
std::vector<VolumeCells> volume_cells(const Problem& p);

/// The cell grid (cx, cy) over which the power residual of a top or bottom face is averaged
/// (or, for `modes`, whose Gauss points it is projected from) when training.power_residual is
/// `cells` or `modes`: the generator's tile grid of the input driving the
/// face, or the tile grid of the face's fixed tile map; {0, 0} where the power enters at points.
std::array<int, 2> flux_cells(const Problem& p, int face);

/// Gauss-Legendre nodes (on [-1, 1]) and weights (sum 2) of an n-point rule, n in 1..8.
void gauss_legendre(int n, std::vector<double>& nodes, std::vector<double>& weights);

PhysicsBatch physics_batch(const Problem& p, const model::Grid& grid,
                           const std::vector<InputValues>& batch, const TensorOptions& to);

}  // namespace heatop::surrogate
