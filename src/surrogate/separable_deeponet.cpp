// The separable DeepONet: one Taylor-mode trunk per axis, GEMM contraction.

#include "surrogate/operator_net.hpp"

namespace heatop::surrogate {

SeparableDeepONet::SeparableDeepONet(const NetworkConfig& cfg, const std::vector<int>& input_dims)
    : OperatorNet(cfg, input_dims) {
  const char* names[3] = {"trunk_x", "trunk_y", "trunk_z"};
  for (int a = 0; a < 3; ++a)
    trunks_[a] = register_module(names[a], make_trunk(cfg.trunk, 1, cfg.rank));
}

SeparableFactors SeparableDeepONet::factors(const std::vector<torch::Tensor>& inputs,
                                            const torch::Tensor& xi_x, const torch::Tensor& xi_y,
                                            const torch::Tensor& xi_z, bool derivatives) {
  return {coefficients(inputs), trunks_[0]->taylor(xi_x.reshape({-1, 1}), derivatives),
          trunks_[1]->taylor(xi_y.reshape({-1, 1}), derivatives),
          trunks_[2]->taylor(xi_z.reshape({-1, 1}), derivatives)};
}

GridFields SeparableDeepONet::fields(const std::vector<torch::Tensor>& inputs,
                                     const torch::Tensor& xi_x, const torch::Tensor& xi_y,
                                     const torch::Tensor& xi_z, bool derivatives) {
  const SeparableFactors s = factors(inputs, xi_x, xi_y, xi_z, derivatives);
  const torch::Tensor& beta = s.beta;
  const Taylor &x = s.x, &y = s.y, &z = s.z;
  GridFields f;
  f.u = separable_contract(beta, x.v, y.v, z.v);
  if (!derivatives) return f;
  f.ux = separable_contract(beta, x.d1, y.v, z.v);
  f.uy = separable_contract(beta, x.v, y.d1, z.v);
  f.uz = separable_contract(beta, x.v, y.v, z.d1);
  f.uxx = separable_contract(beta, x.d2, y.v, z.v);
  f.uyy = separable_contract(beta, x.v, y.d2, z.v);
  f.uzz = separable_contract(beta, x.v, y.v, z.d2);
  return f;
}

}  // namespace heatop::surrogate
