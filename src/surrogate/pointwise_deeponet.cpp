// The pointwise PI-DeepONet baseline: the trunk sees (x, y, z) of every (function, point) pair;
// derivatives come from reverse-mode autograd, second derivatives from double backward.

#include "surrogate/operator_net.hpp"

namespace heatop::surrogate {

PointwiseDeepONet::PointwiseDeepONet(const NetworkConfig& cfg,
                                     const std::vector<InputShape>& input_dims)
    : OperatorNet(cfg, input_dims) {
  trunk_ = register_module("trunk", make_trunk(cfg.trunk, 3, cfg.rank));
}

GridFields PointwiseDeepONet::fields(const std::vector<torch::Tensor>& inputs,
                                     const torch::Tensor& xi_x, const torch::Tensor& xi_y,
                                     const torch::Tensor& xi_z, bool derivatives) {
  const torch::Tensor beta = coefficients(inputs);
  const int64_t b = beta.size(0), nx = xi_x.numel(), ny = xi_y.numel(), nz = xi_z.numel();
  const auto mesh = torch::meshgrid({xi_x.reshape(-1), xi_y.reshape(-1), xi_z.reshape(-1)}, "ij");
  torch::Tensor pts = torch::stack({mesh[0], mesh[1], mesh[2]}, -1).reshape({1, -1, 3});
  // One copy of the points per function: the PI-DeepONet evaluates every pair.
  pts = pts.expand({b, nx * ny * nz, 3}).reshape({-1, 3}).detach().clone();
  if (derivatives) pts.requires_grad_(true);
  const torch::Tensor t = trunk_->forward(pts).view({b, nx * ny * nz, -1});
  const torch::Tensor u = (t * beta.unsqueeze(1)).sum(-1);
  GridFields f;
  const std::vector<int64_t> shape{b, nx, ny, nz};
  f.u = u.view(shape);
  if (!derivatives) return f;
  const torch::Tensor g =
      torch::autograd::grad({u.sum()}, {pts}, {}, /*retain_graph=*/true, /*create_graph=*/true)[0];
  torch::Tensor second[3];
  for (int a = 0; a < 3; ++a)
    second[a] =
        torch::autograd::grad({g.select(1, a).sum()}, {pts}, {}, true, true)[0].select(1, a);
  f.ux = g.select(1, 0).reshape(shape);
  f.uy = g.select(1, 1).reshape(shape);
  f.uz = g.select(1, 2).reshape(shape);
  f.uxx = second[0].reshape(shape);
  f.uyy = second[1].reshape(shape);
  f.uzz = second[2].reshape(shape);
  return f;
}

}  // namespace heatop::surrogate
