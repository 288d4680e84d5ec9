#pragma once
// The tensor-product node grid of the vertex-centred finite-volume method. Every layer interface
// is a z node plane. Node (i, j, k) has linear index (i * ny + j) * nz + k: z is the fastest
// axis, which keeps z lines contiguous for line relaxation.

#include <cstddef>
#include <vector>

#include "model/design.hpp"

namespace heatop::model {

struct Grid {
  std::vector<double> x, y, z;  // node coordinates, m
  std::vector<int> cell_layer;  // layer index of z cell k (between z[k] and z[k+1])

  int nx() const { return static_cast<int>(x.size()); }
  int ny() const { return static_cast<int>(y.size()); }
  int nz() const { return static_cast<int>(z.size()); }
  std::size_t size() const { return x.size() * y.size() * z.size(); }
  std::size_t index(int i, int j, int k) const {
    return (static_cast<std::size_t>(i) * y.size() + j) * z.size() + k;
  }
};

/// Uniform nodes 0..n-1 over [0, length].
std::vector<double> uniform_nodes(int n, double length);

/// Control-volume widths of nodes: half intervals at both ends.
std::vector<double> control_widths(const std::vector<double>& nodes);

/// Builds the grid of a design: uniform in x and y; in z each layer is split uniformly into its
/// `cells` (or cells derived from grid.nz in proportion to thickness, at least one per layer), or
/// the explicit grid.z_nodes are used. Throws std::invalid_argument on inconsistent requests,
/// and (check_grid_memory) on grids whose native solve does not fit in this machine's memory;
/// `check_memory` false leaves that check to the caller (an MPI run checks each rank's part).
Grid build_grid(const Design& design, bool check_memory = true);

/// Bytes the solver needs for a grid of n nodes (fields, Krylov vectors, multigrid hierarchy).
std::size_t estimated_solver_bytes(std::size_t n);

/// The number of nodes build_grid(design) makes, computed without allocating anything
/// (saturates at SIZE_MAX).
std::size_t grid_node_count(const Design& design);

/// The one memory rule of every command (solve, transient, optimize, predict, eval): refuses a
/// grid of `nodes` nodes whose solve would need more than the available memory, with a
/// std::invalid_argument that names the size, the need and grid.nx/ny/nz. build_grid applies it
/// before allocating anything.
void check_grid_memory(std::size_t nodes);

/// Physical memory currently available to this process (MemAvailable), in bytes; 0 if unknown.
std::size_t available_memory_bytes();

}  // namespace heatop::model
