// Branch nets, the MIONet combination and the model factory.

#include "surrogate/operator_net.hpp"

#include <cmath>

#include "surrogate/branch_values.hpp"

namespace heatop::surrogate {

BranchNet::BranchNet(int in, const std::vector<int>& widths, int out, bool linear)
    : linear_(linear) {
  std::vector<int> dims{in};
  dims.insert(dims.end(), widths.begin(), widths.end());
  dims.push_back(out);
  for (std::size_t l = 0; l + 1 < dims.size(); ++l)
    layers_.push_back(
        register_module("linear" + std::to_string(l), torch::nn::Linear(dims[l], dims[l + 1])));
  if (linear_) {
    // A linear branch starts from the zero field: with many outputs (a Tucker core) a random
    // last layer starts from a field whose residuals are 1e8 times the answer's.
    torch::NoGradGuard ng;
    layers_.back()->weight.zero_();
    layers_.back()->bias.zero_();
  }
}

namespace {

// The cosine transform (solved_operator.hpp) as a float tensor [r, s].
torch::Tensor cosine_transform_tensor(int r, int s, bool cells) {
  std::vector<double> t = cosine_transform(r, s, cells);
  return torch::from_blob(t.data(), {r, s}, torch::kFloat64).to(torch::kFloat32);
}

}  // namespace

BranchNet::BranchNet(int sx, int sy, int rx, int ry, int rz, bool cosine, bool cells)
    : sx_(sx), sy_(sy) {
  // A learned transform starting as the cosine one trains faster than a fixed one: A and B can
  // grow, so D reaches its values in fewer Adam steps of a given size.
  a_ =
      register_parameter("a", cosine ? cosine_transform_tensor(rx, sx, cells)
                                     : torch::randn({rx, sx}) / std::sqrt(static_cast<double>(sx)));
  b_ =
      register_parameter("b", cosine ? cosine_transform_tensor(ry, sy, cells)
                                     : torch::randn({ry, sy}) / std::sqrt(static_cast<double>(sy)));
  // D starts at zero: the zero field (A and B still receive gradients through D's).
  d_ = register_parameter("d", torch::zeros({rx, ry, rz}));
}

torch::Tensor BranchNet::transform(const torch::Tensor& x) {
  TORCH_CHECK(d_.defined(), "transform: not a separable branch");
  const torch::Tensor q = x.view({x.size(0), sx_, sy_});
  return torch::matmul(torch::matmul(a_, q), b_.t());  // [B, rx, ry]
}

torch::Tensor BranchNet::forward(const torch::Tensor& x) {
  if (d_.defined()) {
    const torch::Tensor q = x.view({x.size(0), sx_, sy_});
    const torch::Tensor p = torch::matmul(torch::matmul(a_, q), b_.t());  // [B, rx, ry]
    return (p.unsqueeze(-1) * d_).reshape({x.size(0), -1});
  }
  torch::Tensor h = x;
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    h = layers_[l]->forward(h);
    if (l + 1 < layers_.size() && !linear_) h = torch::tanh(h);
  }
  return h;
}

OperatorNet::OperatorNet(const NetworkConfig& cfg, const std::vector<InputShape>& inputs)
    : rank_(cfg.branch_outputs()), sum_(cfg.combine == Combine::sum) {
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const InputShape& in = inputs[i];
    const bool sep = cfg.branch_type == BranchType::separable && in.sy > 0;
    branches_.push_back(register_module(
        "branch" + std::to_string(i),
        sep ? std::make_shared<BranchNet>(in.sx, in.sy, cfg.tucker_ranks[0], cfg.tucker_ranks[1],
                                          cfg.tucker_ranks[2],
                                          cfg.branch_init == BranchInit::cosine, in.cells)
            : std::make_shared<BranchNet>(in.dim(), cfg.branch_widths, rank_,
                                          cfg.branch_activation == BranchActivation::linear)));
  }
}

void OperatorNet::set_solved(std::shared_ptr<const SolvedOperator> solved) {
  solved_ = std::move(solved);
  for (torch::Tensor& t : parameters()) t.set_requires_grad(false);
}

torch::Tensor OperatorNet::coefficients(const std::vector<torch::Tensor>& inputs) {
  TORCH_CHECK(inputs.size() == branches_.size(), "expected ", branches_.size(),
              " input tensors, got ", inputs.size());
  if (solved_) {
    // Per design: each map's cosine coefficients from its branch, then the weights from the
    // stack (SolvedOperator::weights, on the host in double precision).
    const SolvedOperator& op = *solved_;
    const std::vector<InputConfig>& cfg = op.problem().config().inputs;
    const int64_t bs = inputs[0].size(0), nr = static_cast<int64_t>(op.modes()) * op.modes();
    std::vector<torch::Tensor> p(inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i)
      p[i] = (cfg[i].type == InputType::htc ? inputs[i] : branches_[i]->transform(inputs[i]))
                 .detach()
                 .to(torch::kCPU, torch::kFloat64)
                 .contiguous()
                 .reshape({bs, -1});
    torch::Tensor beta = torch::empty({bs, nr * op.kinds()}, torch::kFloat64);
    std::vector<const double*> ptr(inputs.size(), nullptr);
    for (int64_t b = 0; b < bs; ++b) {
      double bi[2] = {0, 0};
      for (std::size_t i = 0; i < inputs.size(); ++i)
        if (cfg[i].type != InputType::htc) ptr[i] = p[i].data_ptr<double>() + b * nr;
      for (int s = 0; s < 2; ++s)
        if (op.htc_input(s) >= 0)
          bi[s] =
              op.biot(htc_of_branch(cfg[op.htc_input(s)], p[op.htc_input(s)][b][0].item<double>()));
      op.weights(ptr, bi[0], bi[1], beta.data_ptr<double>() + b * nr * op.kinds());
    }
    return beta.to(inputs[0].options());
  }
  torch::Tensor beta = branches_[0]->forward(inputs[0]);
  for (std::size_t i = 1; i < inputs.size(); ++i)
    beta = sum_ ? beta + branches_[i]->forward(inputs[i]) : beta * branches_[i]->forward(inputs[i]);
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

torch::Tensor tucker_contract(const torch::Tensor& core, const torch::Tensor& a,
                              const torch::Tensor& b, const torch::Tensor& c) {
  const int64_t bs = core.size(0), ra = core.size(1), rb = core.size(2), rc = core.size(3);
  const int64_t nc = c.size(0);
  // [B*Ra*Rb, Rc] x [Rc, nc] -> [B, Ra, Rb, nc]
  torch::Tensor t = torch::mm(core.reshape({bs * ra * rb, rc}), c.t()).view({bs, ra, rb, nc});
  // contract Rb: [B, Ra, nc, Rb] x [Rb, nb] -> [B, Ra, nc, nb]
  t = torch::matmul(t.transpose(2, 3), b.t());
  // contract Ra: [B, nc, nb, Ra] x [Ra, na] -> [B, nc, nb, na]
  t = torch::matmul(t.permute({0, 2, 3, 1}), a.t());
  return t.permute({0, 3, 2, 1});
}

torch::Tensor modal_partial(const torch::Tensor& core, const torch::Tensor& b,
                            const torch::Tensor& c) {
  const int64_t ra = core.size(1), rb = core.size(2), k = core.size(3), nc = c.size(0);
  // W[B, Ra, Rb, nc] = sum_k G[B, a, b, k] C[l, a, b, k]
  const torch::Tensor w =
      (core.unsqueeze(3) * c.view({nc, ra, rb, k}).permute({1, 2, 0, 3}).unsqueeze(0)).sum(-1);
  return torch::matmul(b, w).contiguous();  // [B, Ra, nb, nc]
}

torch::Tensor modal_contract(const torch::Tensor& core, const torch::Tensor& a,
                             const torch::Tensor& b, const torch::Tensor& c) {
  const int64_t bs = core.size(0), ra = core.size(1), na = a.size(0), nb = b.size(0),
                nc = c.size(0);
  const torch::Tensor t = modal_partial(core, b, c);
  // The largest GEMM (over Ra) comes last and writes [B, na, nb, nc] where it belongs. A bmm, not
  // a broadcast matmul: that one computes the transpose and copies the whole field once more.
  if (at::GradMode::is_enabled())
    return torch::bmm(a.expand({bs, na, ra}), t.view({bs, ra, nb * nc})).view({bs, na, nb, nc});
  // Without gradients, one BLAS GEMM per design into its slice of the output: LibTorch's bmm
  // runs these shapes on one thread, and the BLAS runs its threads faster with A column-major
  // (measured at 257 x 48 x 13 621: 6.2 ms against 15 ms for the bmm, two threads).
  const torch::Tensor out = torch::empty({bs, na, nb * nc}, t.options());
  const torch::Tensor ac = a.t().contiguous().t();
  for (int64_t i = 0; i < bs; ++i) {
    torch::Tensor slice = out[i];
    at::mm_out(slice, ac, t[i].view({ra, nb * nc}));
  }
  return out.view({bs, na, nb, nc});
}

torch::Tensor contract(const SeparableFactors& s, const torch::Tensor& x, const torch::Tensor& y,
                       const torch::Tensor& z) {
  if (s.modal) return modal_contract(s.beta, x, y, z);
  return s.tucker ? tucker_contract(s.beta, x, y, z) : separable_contract(s.beta, x, y, z);
}

std::shared_ptr<OperatorNet> make_operator_net(const NetworkConfig& cfg,
                                               const std::vector<InputShape>& input_dims) {
  std::shared_ptr<OperatorNet> net;
  if (cfg.model == NetworkModel::pointwise)
    net = std::make_shared<PointwiseDeepONet>(cfg, input_dims);
  else
    net = std::make_shared<SeparableDeepONet>(cfg, input_dims);
  net->to(cfg.dtype == DType::float64 ? torch::kFloat64 : torch::kFloat32);
  return net;
}

}  // namespace heatop::surrogate
