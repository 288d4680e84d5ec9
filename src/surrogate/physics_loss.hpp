#pragma once
// The physics-informed loss of an operator on a collocation grid, from the same model::Design
// as the FV solver (docs/surrogate.md), in the non-dimensional variables of problem.hpp:
//   pde         k^_xy (u_xx + u_yy) + k^_z u_zz + q^_v = 0 at every node inside a layer
//               (layer-interface nodes excluded);
//   per face,   -k^ du/dn = Bi (u - u_amb) - q^ (n the outward normal), grouped by the face's
//               boundary-condition type: adiabatic, convective, power (surface power map, with
//               optional h), fixed (u = u_fixed);
//   interface   with the plain z coordinate on a stack with conductivity jumps:
//               (k^_below - k^_above) u_z = 0 at interface nodes, the flux continuity a smooth
//               z trunk can only meet with u_z = 0. With the thermal-resistance coordinate the
//               flux is continuous by construction and this term is absent.
// Each term is a mean of squares; the total is their weighted sum (training.loss_weights).

#include <torch/torch.h>

#include <array>
#include <map>
#include <string>
#include <vector>

#include "model/grid.hpp"
#include "surrogate/batch.hpp"
#include "surrogate/operator_net.hpp"
#include "surrogate/problem.hpp"

namespace heatop::surrogate {

class FieldSource;  // physics_loss.cpp: where residuals read the field from

/// Fields for the tile-averaged residuals, derivatives in trunk coordinates:
/// face[f] on the quadrature points of a face's power cells (PhysicsLoss::cell_xi),
/// [B, nqx, nqy, 1], u undefined for faces without cells; `volume[v]` on the quadrature points of
/// source layer v's tiles at its z nodes (volume_xi, volume_z), [B, nqx, nqy, nk], with
/// second derivatives.
struct CellFields {
  std::array<GridFields, 6> face;
  std::vector<GridFields> volume;
  GridFields& operator[](int f) { return face[f]; }
  const GridFields& operator[](int f) const { return face[f]; }
};

struct LossValue {
  torch::Tensor total;                  // weighted sum, differentiable
  std::map<std::string, double> terms;  // each term's mean square (unweighted)
};

class PhysicsLoss {
 public:
  PhysicsLoss(const Problem& p, const model::Grid& collocation, const TensorOptions& to);

  const model::Grid& grid() const { return grid_; }
  /// Trunk coordinates of the collocation nodes, [n] per axis.
  const torch::Tensor& xi(int axis) const { return xi_[axis]; }
  /// The names of the terms this problem has, in a fixed order.
  const std::vector<std::string>& term_names() const { return names_; }

  /// Loss of a model's fields, whose derivatives are with respect to the trunk coordinates.
  LossValue evaluate(const GridFields& f_xi, const PhysicsBatch& batch,
                     const CellFields& cells = {}) const;
  /// Faces whose power residual is averaged over cells (training.power_residual: cells), the
  /// trunk coordinates of their quadrature points along x (axis 0) and y (axis 1), and the z
  /// node index of the face. The caller evaluates the model there (CellFields).
  bool has_cells(int face) const { return cell_xi_[face][0].defined(); }
  const torch::Tensor& cell_xi(int face, int axis) const { return cell_xi_[face][axis]; }
  int64_t face_node(int face) const { return face == model::kTop ? grid_.nz() - 1 : 0; }
  /// The source layers whose PDE residual is averaged over tiles (batch.hpp volume_cells): for
  /// each, the quadrature trunk coordinates along x and y and the trunk z coordinates of its
  /// nodes.
  int volume_layers() const { return static_cast<int>(vol_.size()); }
  const torch::Tensor& volume_xi(int v, int axis) const { return vol_[v].xi[axis]; }
  const torch::Tensor& volume_z(int v) const { return vol_[v].z; }
  /// Loss of a separable model straight from its factors (trunk coordinates): the PDE residual
  /// as one GEMM of rank 2R, boundary residuals from face planes only. Same value as the
  /// grid path (tested), at a fraction of the work.
  LossValue evaluate(const SeparableFactors& s, const PhysicsBatch& batch,
                     const CellFields& cells = {}) const;
  /// Loss of fields whose derivatives are with respect to x^ = x / L (tests: exact solutions).
  LossValue evaluate_physical(const GridFields& f, const PhysicsBatch& batch,
                              const CellFields& cells = {}) const;
  /// Chain rule from trunk coordinates to x^ (d2 xi / dx^2 = 0 inside layers).
  GridFields to_physical(const GridFields& f_xi) const;

 private:
  LossValue assemble(const FieldSource& src, const PhysicsBatch& batch,
                     const CellFields& cells) const;
  const Problem& p_;
  model::Grid grid_;
  TensorOptions to_;
  torch::Tensor xi_[3], dxi_[3];       // [n] each
  torch::Tensor kxy_, kz_, pde_mask_;  // [nz]
  std::vector<int> interfaces_;        // interior interface node indices
  // Power cells per face: quadrature trunk coordinates (x, y) and the averaging matrices
  // [cells, cells * q] that turn point values into cell means (rows sum to 1).
  std::array<std::array<torch::Tensor, 2>, 6> cell_xi_, cell_avg_;
  /// power_residual modes: the Galerkin projection of point values [K, cells * nq] and of
  /// tile values [K, cells] onto K cosine modes per axis.
  std::array<std::array<torch::Tensor, 2>, 6> mode_proj_, tile_proj_;
  struct Volume {
    torch::Tensor proj[2], tile_proj[2];          // as mode_proj_, tile_proj_ for the layer's tiles
    torch::Tensor xi[2], avg[2], z, kxy, kz, dz;  // [nk] per node
  };
  std::vector<Volume> vol_;  // per source layer averaged over tiles
  std::vector<std::string> names_;
  LossWeights w_;
};

}  // namespace heatop::surrogate
