#pragma once
// Discretizes a model::Design into the linear system A T = b of the finite-volume method.

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "fv/operator.hpp"
#include "model/design.hpp"
#include "model/grid.hpp"

namespace heatop::fv {

/// Fraction of the interval [a, b] that falls into each node's control volume (sums to 1 when
/// [a, b] lies inside the node range). Exact for piecewise-constant sources.
std::vector<double> overlap_fractions(const std::vector<double>& nodes, double a, double b);

/// Integrates a 2D power map over the control volumes of the (x, y) node grid: watts per node
/// column, row-major in (i, j), size x.size() * y.size(). Tiles and blocks are integrated exactly.
std::vector<double> integrate_map(const model::PowerMap& map, double lx, double ly,
                                  const std::vector<double>& x, const std::vector<double>& y);

struct System {
  model::Grid grid;
  std::unique_ptr<LayeredOperator> op;  // the whole grid's operator
  /// The columns the arrays below cover: the whole grid, or one MPI rank's part of it.
  Box part;
  std::vector<double> power;  // W per node (volumetric and surface sources)
  std::vector<double> rhs;    // b = power + boundary terms
  double power_in = 0;        // W, sum of power (over part)
  /// With fixed-temperature faces, the boundary terms of b alone (b - power off the fixed
  /// nodes); empty without them: b is then power plus the convective terms, which compose_rhs
  /// adds on the boundary nodes (no grid-sized array).
  std::vector<double> boundary_rhs;
  std::vector<char> fixed_node;  // nodes whose temperature is imposed (empty: none)
  /// b from power and the boundary terms (a fixed node's row ignores its power).
  void compose_rhs();
};

/// The boundary terms of a system's b alone (convection h A T_amb, and with fixed faces their
/// imposed temperatures and the lift of their neighbours), over sys.part.
std::vector<double> boundary_terms(const System& sys);

/// The nodal power (W per node) of a design's volumetric and surface sources on a grid.
std::vector<double> assemble_power(const model::Design& design, const model::Grid& grid);
/// The same for the nodes of `part` only, ordered as part.index() numbers them.
std::vector<double> assemble_power(const model::Design& design, const model::Grid& grid,
                                   const Box& part);

/// Replaces the sources of `sys` by those of `design`, keeping the operator: for solving many
/// designs that differ only in their power (placement search, batches of maps, time steps).
/// Throws std::invalid_argument when `design` differs from the system's in anything but power
/// (boundary data; the grid, layers and materials are the caller's contract: the same base
/// design with other power maps).
void set_power(System& sys, const model::Design& design);

/// Builds the system of a validated design on its grid. Throws std::invalid_argument on
/// inconsistent input.
System discretize(const model::Design& design);
/// The same on a given grid.
System discretize(const model::Design& design, const model::Grid& grid);
/// The same with the node arrays (power, rhs, boundary terms) for the columns of `part` only:
/// what one MPI rank needs. The operator is the whole grid's (its size is O(nx + ny + nz),
/// or O(N) for layers with footprints).
System discretize(const model::Design& design, const model::Grid& grid, const Box& part);

/// The heat capacity per unit area of every z node's control volume (J/(m^2 K)): each layer's
/// volumetric heat capacity integrated over the node's z control width (see
/// LayeredOperator::set_capacity). Throws std::invalid_argument naming the layers that have no
/// c_J_per_m3K.
std::vector<double> capacity_per_area(const model::Design& design, const model::Grid& grid);

/// Boundary data of the design's faces, in model::Face order.
std::array<FaceBc, 6> face_bcs(const model::Design& design);

struct EnergyBalance {
  double power_in = 0;               // W
  std::array<double, 6> heat_out{};  // W per face (model::Face order)
  double total_out = 0;              // W
  double rel_mismatch = 0;           // |in - out| / max(in, tiny)
};
/// For a system over the whole grid.
EnergyBalance energy_balance(const System& sys, const std::vector<double>& t);
/// From the power in and the heat out through each face (summed over parts, e.g. MPI ranks).
EnergyBalance energy_balance(double power_in, const std::array<double, 6>& heat_out);

}  // namespace heatop::fv
