#pragma once
// DeepONet models of the temperature field u(x, y, z) for a design's inputs.
//
// Branch nets (tanh MLPs) read each input function (a power map at its sensor nodes, or a
// scaled HTC); their R outputs are multiplied elementwise (MIONet), giving beta [B, R].
//   separable  one trunk per axis, u[b,i,j,k] = sum_r beta[b,r] X[i,r] Y[j,r] Z[k,r], evaluated
//              as GEMMs; derivatives on the whole grid by Taylor-mode trunks (N per axis).
//   pointwise  one trunk on (x, y, z) jointly, u[b,p] = sum_r beta[b,r] T(p)[r] for every
//              (function, point) pair; derivatives by autograd double backward (PI-DeepONet).

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "surrogate/config.hpp"
#include "surrogate/trunks.hpp"

namespace heatop::surrogate {

/// The field and its derivatives with respect to the trunk coordinates xi (not x^), each
/// [B, nx, ny, nz]. Derivative members are undefined for order-0 evaluations.
struct GridFields {
  torch::Tensor u, ux, uy, uz, uxx, uyy, uzz;
};

/// The parts of a separable model's output: beta [B, R] and per-axis trunk values with
/// derivatives in the trunk coordinates, [n, R] each.
struct SeparableFactors {
  torch::Tensor beta;
  Taylor x, y, z;
};

class BranchNet : public torch::nn::Module {
 public:
  BranchNet(int in, const std::vector<int>& widths, int out);
  torch::Tensor forward(const torch::Tensor& x);  // [B, in] -> [B, out]

 private:
  std::vector<torch::nn::Linear> layers_;
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

 protected:
  OperatorNet(const NetworkConfig& cfg, const std::vector<int>& input_dims);
  int rank_;
  std::vector<std::shared_ptr<BranchNet>> branches_;
};

class SeparableDeepONet : public OperatorNet {
 public:
  SeparableDeepONet(const NetworkConfig& cfg, const std::vector<int>& input_dims);
  GridFields fields(const std::vector<torch::Tensor>& inputs, const torch::Tensor& xi_x,
                    const torch::Tensor& xi_y, const torch::Tensor& xi_z,
                    bool derivatives) override;
  SeparableFactors factors(const std::vector<torch::Tensor>& inputs, const torch::Tensor& xi_x,
                           const torch::Tensor& xi_y, const torch::Tensor& xi_z, bool derivatives);
  /// The trunk of axis 0 (x), 1 (y) or 2 (z).
  Trunk& trunk(int axis) { return *trunks_[axis]; }

 private:
  std::shared_ptr<Trunk> trunks_[3];
};

class PointwiseDeepONet : public OperatorNet {
 public:
  PointwiseDeepONet(const NetworkConfig& cfg, const std::vector<int>& input_dims);
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

/// Builds the configured model (cfg.model) in cfg.dtype on the CPU; move it with ->to(device).
/// Parameters come from LibTorch's global generator (seed it first).
std::shared_ptr<OperatorNet> make_operator_net(const NetworkConfig& cfg,
                                               const std::vector<int>& input_dims);

}  // namespace heatop::surrogate
