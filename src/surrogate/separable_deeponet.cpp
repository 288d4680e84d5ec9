// The separable DeepONet: one Taylor-mode trunk per axis, GEMM contraction.

#include "surrogate/operator_net.hpp"

namespace heatop::surrogate {

SeparableDeepONet::SeparableDeepONet(const NetworkConfig& cfg,
                                     const std::vector<InputShape>& input_dims)
    : OperatorNet(cfg, input_dims), tucker_(cfg.core != Core::cp), modal_(cfg.core == Core::modal) {
  const char* names[3] = {"trunk_x", "trunk_y", "trunk_z"};
  for (int a = 0; a < 3; ++a) core_[a] = cfg.trunk_outputs(a);
  for (int a = 0; a < 3; ++a) {
    // A modal core's z trunk has the depth functions of every (x, y) mode pair.
    const int out = a == 2 && modal_ ? core_[0] * core_[1] * core_[2] : core_[a];
    trunks_[a] = register_module(names[a], make_trunk(a == 2 ? cfg.trunk_z : cfg.trunk, 1, out));
  }
}

SeparableFactors SeparableDeepONet::factors(const std::vector<torch::Tensor>& inputs,
                                            const torch::Tensor& xi_x, const torch::Tensor& xi_y,
                                            const torch::Tensor& xi_z, bool derivatives) {
  torch::Tensor beta = coefficients(inputs);
  if (tucker_) beta = beta.view({beta.size(0), core_[0], core_[1], core_[2]});
  return {beta,
          trunks_[0]->taylor(xi_x.reshape({-1, 1}), derivatives),
          trunks_[1]->taylor(xi_y.reshape({-1, 1}), derivatives),
          trunks_[2]->taylor(xi_z.reshape({-1, 1}), derivatives),
          tucker_,
          modal_};
}

GridFields SeparableDeepONet::fields(const std::vector<torch::Tensor>& inputs,
                                     const torch::Tensor& xi_x, const torch::Tensor& xi_y,
                                     const torch::Tensor& xi_z, bool derivatives) {
  const SeparableFactors s = factors(inputs, xi_x, xi_y, xi_z, derivatives);
  const Taylor &x = s.x, &y = s.y, &z = s.z;
  GridFields f;
  f.u = contract(s, x.v, y.v, z.v);
  if (!derivatives) return f;
  f.ux = contract(s, x.d1, y.v, z.v);
  f.uy = contract(s, x.v, y.d1, z.v);
  f.uz = contract(s, x.v, y.v, z.d1);
  f.uxx = contract(s, x.d2, y.v, z.v);
  f.uyy = contract(s, x.v, y.d2, z.v);
  f.uzz = contract(s, x.v, y.v, z.d2);
  return f;
}

}  // namespace heatop::surrogate
