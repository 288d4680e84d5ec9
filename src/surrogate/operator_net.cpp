// Branch nets, the MIONet combination and the model factory.

#include "surrogate/operator_net.hpp"

namespace heatop::surrogate {

BranchNet::BranchNet(int in, const std::vector<int>& widths, int out) {
  std::vector<int> dims{in};
  dims.insert(dims.end(), widths.begin(), widths.end());
  dims.push_back(out);
  for (std::size_t l = 0; l + 1 < dims.size(); ++l)
    layers_.push_back(
        register_module("linear" + std::to_string(l), torch::nn::Linear(dims[l], dims[l + 1])));
}

torch::Tensor BranchNet::forward(const torch::Tensor& x) {
  torch::Tensor h = x;
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    h = layers_[l]->forward(h);
    if (l + 1 < layers_.size()) h = torch::tanh(h);
  }
  return h;
}

OperatorNet::OperatorNet(const NetworkConfig& cfg, const std::vector<int>& input_dims)
    : rank_(cfg.rank) {
  for (std::size_t i = 0; i < input_dims.size(); ++i)
    branches_.push_back(
        register_module("branch" + std::to_string(i),
                        std::make_shared<BranchNet>(input_dims[i], cfg.branch_widths, cfg.rank)));
}

torch::Tensor OperatorNet::coefficients(const std::vector<torch::Tensor>& inputs) {
  TORCH_CHECK(inputs.size() == branches_.size(), "expected ", branches_.size(),
              " input tensors, got ", inputs.size());
  torch::Tensor beta = branches_[0]->forward(inputs[0]);
  for (std::size_t i = 1; i < inputs.size(); ++i) beta = beta * branches_[i]->forward(inputs[i]);
  return beta;
}

torch::Tensor separable_contract(const torch::Tensor& beta, const torch::Tensor& x,
                                 const torch::Tensor& y, const torch::Tensor& z) {
  const int64_t b = beta.size(0), r = beta.size(1), nx = x.size(0), ny = y.size(0), nz = z.size(0);
  // XY[(i,j), r] (outer product of two axes), BZ[r, (b,k)] = beta[b,r] Z[k,r]; one GEMM.
  const torch::Tensor xy = (x.unsqueeze(1) * y.unsqueeze(0)).reshape({nx * ny, r});
  const torch::Tensor bz = (beta.t().unsqueeze(2) * z.t().unsqueeze(1)).reshape({r, b * nz});
  return torch::mm(xy, bz).view({nx, ny, b, nz}).permute({2, 0, 1, 3});
}

std::shared_ptr<OperatorNet> make_operator_net(const NetworkConfig& cfg,
                                               const std::vector<int>& input_dims) {
  std::shared_ptr<OperatorNet> net;
  if (cfg.model == "pointwise")
    net = std::make_shared<PointwiseDeepONet>(cfg, input_dims);
  else
    net = std::make_shared<SeparableDeepONet>(cfg, input_dims);
  net->to(cfg.dtype == "float64" ? torch::kFloat64 : torch::kFloat32);
  return net;
}

}  // namespace heatop::surrogate
