#pragma once
// DeepONet models of the temperature field u(x, y, z) for a design's inputs.
//
// Branch nets (tanh MLPs) read each input function (a power map at its sensor nodes, or a
// scaled HTC); their R outputs are multiplied elementwise (MIONet) or added (network.combine),
// giving beta [B, R].
//   separable  one trunk per axis, u[b,i,j,k] = sum_r beta[b,r] X[i,r] Y[j,r] Z[k,r], evaluated
//              as GEMMs; derivatives on the whole grid by Taylor-mode trunks (N per axis).
//   pointwise  one trunk on (x, y, z) jointly, u[b,p] = sum_r beta[b,r] T(p)[r] for every
//              (function, point) pair; derivatives by autograd double backward (PI-DeepONet).

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "surrogate/config.hpp"
#include "surrogate/solved_operator.hpp"
#include "surrogate/trunks.hpp"

namespace heatop::surrogate {

/// The field and its derivatives with respect to the trunk coordinates xi (not x^), each
/// [B, nx, ny, nz]. Derivative members are undefined for order-0 evaluations.
struct GridFields {
  torch::Tensor u, ux, uy, uz, uxx, uyy, uzz;
};

/// The parts of a separable model's output: beta and per-axis trunk values with derivatives in
/// the trunk coordinates. cp: beta [B, R], axes [n, R] each. tucker: beta [B, Rx, Ry, Rz], axis a
/// [n, R_a].
struct SeparableFactors {
  torch::Tensor beta;
  Taylor x, y, z;
  bool tucker = false;
  /// Modal core: beta [B, Rx, Ry, K], z [n, Rx * Ry * K] (each mode's own depth functions).
  bool modal = false;
};

/// The shape of one input: a power map read on an sx x sy sensor grid, or a vector of sx
/// values (sy = 0; an HTC is one value).
struct InputShape {
  InputShape(int n) : sx(n), sy(0) {}  // NOLINT: a plain vector input
  InputShape(int x, int y, bool c = false) : sx(x), sy(y), cells(c) {}
  int sx, sy;
  bool cells = false;  // sensors at tile centres (SensorLayout::cells), else nodes
  int dim() const { return sy > 0 ? sx * sy : sx; }
};

class BranchNet : public torch::nn::Module {
 public:
  /// An MLP (tanh, or linear throughout) from `in` inputs to `out` outputs.
  BranchNet(int in, const std::vector<int>& widths, int out, bool linear = false);
  /// The separable branch (NetworkConfig::branch_type) of a sensor grid sx x sy onto a
  /// Tucker core rx x ry x rz; `cosine`: A and B start as the cosine transform of the sensor
  /// grid (tile means for `cells` sensors, trapezoid-weighted node values otherwise).
  BranchNet(int sx, int sy, int rx, int ry, int rz, bool cosine = false, bool cells = false);
  torch::Tensor forward(const torch::Tensor& x);  // [B, in] -> [B, out]
  /// Separable branch only: the map's transform A Q B^T, [B, rx, ry].
  torch::Tensor transform(const torch::Tensor& x);

 private:
  std::vector<torch::nn::Linear> layers_;
  bool linear_ = false;
  torch::Tensor a_, b_, d_;  // separable branch
  int sx_ = 0, sy_ = 0;
};

class OperatorNet : public torch::nn::Module {
 public:
  /// beta [B, R]: the product of the branch outputs; inputs[i] is [B, input_dims[i]].
  torch::Tensor coefficients(const std::vector<torch::Tensor>& inputs);
  /// u (and, with `derivatives`, its first and second derivatives along each axis) on the
  /// tensor grid xi_x [nx] x xi_y [ny] x xi_z [nz] for every input in the batch.
  virtual GridFields fields(const std::vector<torch::Tensor>& inputs, const torch::Tensor& xi_x,
                            const torch::Tensor& xi_y, const torch::Tensor& xi_z,
                            bool derivatives) = 0;
  int rank() const { return rank_; }
  BranchNet& branch(std::size_t i) { return *branches_.at(i); }
  /// From now on the coefficients come from `solved` (each map's cosine transform by the branch,
  /// then SolvedOperator::weights) and no parameter learns.
  void set_solved(std::shared_ptr<const SolvedOperator> solved);

 protected:
  OperatorNet(const NetworkConfig& cfg, const std::vector<InputShape>& input_dims);
  int rank_;          // branch outputs (R, or Rx*Ry*Rz for a Tucker core)
  bool sum_ = false;  // NetworkConfig::combine
  std::vector<std::shared_ptr<BranchNet>> branches_;
  std::shared_ptr<const SolvedOperator> solved_;
};

class SeparableDeepONet : public OperatorNet {
 public:
  SeparableDeepONet(const NetworkConfig& cfg, const std::vector<InputShape>& input_dims);
  GridFields fields(const std::vector<torch::Tensor>& inputs, const torch::Tensor& xi_x,
                    const torch::Tensor& xi_y, const torch::Tensor& xi_z,
                    bool derivatives) override;
  SeparableFactors factors(const std::vector<torch::Tensor>& inputs, const torch::Tensor& xi_x,
                           const torch::Tensor& xi_y, const torch::Tensor& xi_z, bool derivatives);
  /// The trunk of axis 0 (x), 1 (y) or 2 (z).
  Trunk& trunk(int axis) { return *trunks_[axis]; }

 private:
  std::shared_ptr<Trunk> trunks_[3];
  bool tucker_, modal_;
  int core_[3];
};

class PointwiseDeepONet : public OperatorNet {
 public:
  PointwiseDeepONet(const NetworkConfig& cfg, const std::vector<InputShape>& input_dims);
  GridFields fields(const std::vector<torch::Tensor>& inputs, const torch::Tensor& xi_x,
                    const torch::Tensor& xi_y, const torch::Tensor& xi_z,
                    bool derivatives) override;
  Trunk& trunk() { return *trunk_; }

 private:
  std::shared_ptr<Trunk> trunk_;
};

/// sum_r beta[b,r] X[i,r] Y[j,r] Z[k,r] -> [B, nx, ny, nz]: the outer product of the x and y
/// factors, then one GEMM against beta (x) Z.
torch::Tensor separable_contract(const torch::Tensor& beta, const torch::Tensor& x,
                                 const torch::Tensor& y, const torch::Tensor& z);

/// Tucker contraction sum_abc G[b,a,b',c] A[i,a] B[j,b'] C[k,c] -> [B, na, nb, nc]: three
/// batched GEMMs, innermost axis first.
torch::Tensor tucker_contract(const torch::Tensor& core, const torch::Tensor& a,
                              const torch::Tensor& b, const torch::Tensor& c);

/// The modal contraction without its last step (over the x modes): [B, Rx, ny, nz].
torch::Tensor modal_partial(const torch::Tensor& core, const torch::Tensor& y,
                            const torch::Tensor& z);
/// Modal contraction sum_abk G[b,a,b',k] A[i,a] B[j,b'] C[l,(a,b',k)] -> [B, na, nb, nc]: each
/// mode's depth functions weighted by its core entries, then two batched GEMMs.
torch::Tensor modal_contract(const torch::Tensor& core, const torch::Tensor& a,
                             const torch::Tensor& b, const torch::Tensor& c);

/// The contraction the factors call for (cp, Tucker or modal).
torch::Tensor contract(const SeparableFactors& s, const torch::Tensor& x, const torch::Tensor& y,
                       const torch::Tensor& z);

/// Builds the configured model (cfg.model) in cfg.dtype on the CPU; move it with ->to(device).
/// Parameters come from LibTorch's global generator (seed it first).
std::shared_ptr<OperatorNet> make_operator_net(const NetworkConfig& cfg,
                                               const std::vector<InputShape>& input_dims);

}  // namespace heatop::surrogate
