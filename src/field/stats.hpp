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

/// The z node range [k0, k1] of layer l (both interfaces included); {-1, -1} if it has no cells.
std::pair<int, int> layer_nodes(const model::Grid& g, int l);

/// The x-y slice at node plane k, row-major in (i, j).
std::vector<double> plane(const Field3D& f, int k);

}  // namespace heatop::field
