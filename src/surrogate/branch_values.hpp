#pragma once
// What an operator's branches read: each power-map input as its mean power density over the
// control volume of every sensor node (exact for tiles and blocks, fv::integrate_map) or, with
// sensor_layout: cells, over every sensor cell, scaled by q_ref and flattened row-major (i along
// x, j along y); each HTC as (h - mid) / half-range of its training range. No LibTorch here:
// batch.hpp turns these values into tensors, and the solved modal operator
// (solved_operator.hpp) reads them directly.

#include <vector>

#include "model/design.hpp"
#include "surrogate/config.hpp"
#include "surrogate/problem.hpp"

namespace heatop::surrogate {

/// The sensor node coordinates (m) of a power-map input: uniform over the die or the layer.
std::vector<double> sensor_nodes(int n, double length_m);

/// Mean power density (W/m^2) of a map over each cell of a uniform cx x cy grid, [cx * cy] with
/// y fastest; exact (overlap areas of tiles and blocks with the cells).
std::vector<double> cell_density(const model::PowerMap& m, double lx, double ly, int cx, int cy);

/// The number of values input `in` gives its branch (sensors, or 1 for an HTC).
int input_dim(const InputConfig& in);

/// The heat-transfer coefficient (W/(m^2 K)) of an HTC input's branch value (the inverse of
/// branch_values' normalisation).
double htc_of_branch(const InputConfig& in, double value);

/// The branch values of a batch of designs: per input, [B * input_dim] row-major.
std::vector<std::vector<double>> branch_values(const Problem& p,
                                               const std::vector<InputValues>& batch);

}  // namespace heatop::surrogate
