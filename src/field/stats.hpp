#pragma once
// Statistics of a temperature field on a design's node grid: extremes, the volume-weighted mean,
// the hot spot and per-layer extremes. NaN values (nodes in void regions) are skipped.

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "field/field.hpp"
#include "model/design.hpp"
#include "model/grid.hpp"

namespace heatop::field {

struct LayerStats {
  std::string name;
  double t_max = 0, t_min = 0;  // K, over the layer's nodes (both interfaces included)
  double power_W = 0;           // the layer's volumetric power
};

struct FieldStats {
  double t_max = 0, t_min = 0, t_mean = 0;  // K (t_mean volume-weighted)
  std::array<double, 3> hotspot_m{};        // where t_max sits
  std::array<int, 3> hotspot_node{};        // its node (i, j, k)
  std::vector<LayerStats> layers;           // in design order (bottom first)
};

FieldStats field_stats(const Field3D& f, const model::Grid& grid, const model::Design& d);

/// What field_stats gathers over a part of the grid: the x nodes [i0, i1) and y nodes [j0, j1),
/// all z nodes, `values` over that block (z fastest, i slowest). Parts of a field spread over
/// MPI ranks are combined by combine_stats; as_doubles / from_doubles carry one over MPI.
struct PartStats {
  double t_max = -1e300, t_min = 1e300, t_sum = 0, v_sum = 0;  // t_sum: sum of T * volume
  std::array<int, 3> hotspot_node{-1, -1, -1};
  std::vector<double> layer_max, layer_min;  // per design layer
  std::vector<double> as_doubles() const;
  static PartStats from_doubles(const double* v, std::size_t layers);
};
PartStats part_stats(const double* values, int i0, int i1, int j0, int j1, const model::Grid& grid,
                     const model::Design& d);
/// The statistics of the whole field from its parts (any order: ties of the maximum go to the
/// first node in the grid's order, as field_stats gives them).
FieldStats combine_stats(const std::vector<PartStats>& parts, const model::Grid& grid,
                         const model::Design& d);

/// The largest value of every node plane k over a part (NaN skipped; -1e300 if none).
std::vector<double> plane_maxima(const double* values, int i0, int i1, int j0, int j1, int nz);

/// The z node range [k0, k1] of layer l (both interfaces included); {-1, -1} if it has no cells.
std::pair<int, int> layer_nodes(const model::Grid& g, int l);

/// The x-y slice at node plane k, row-major in (i, j).
std::vector<double> plane(const Field3D& f, int k);

}  // namespace heatop::field
