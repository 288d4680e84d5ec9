// Kolmogorov-Arnold trunks: Chebyshev KAN (DeepOHeat-v1) and cubic B-spline KAN. Both apply,
// per layer, tanh to squash the inputs into (-1, 1), expand each input into basis features and
// combine all (input, basis) features linearly; LayerNorm sits between layers. Everything goes
// through the Taylor operations, so derivatives are exact (up to rounding) for any depth.

#include <cmath>

#include "surrogate/trunks.hpp"

namespace heatop::surrogate {

namespace {

// Stacks per-basis Taylor tensors [N, in] into [N, in * nb] (input-major, basis fastest).
Taylor stack_features(const std::vector<Taylor>& basis) {
  auto st = [&](auto get) {
    std::vector<torch::Tensor> parts;
    for (const auto& b : basis) parts.push_back(get(b));
    torch::Tensor s = torch::stack(parts, -1);  // [N, in, nb]
    return s.reshape({s.size(0), -1});
  };
  Taylor r;
  r.v = st([](const Taylor& b) { return b.v; });
  if (basis.front().has_derivatives()) {
    r.d1 = st([](const Taylor& b) { return b.d1; });
    r.d2 = st([](const Taylor& b) { return b.d2; });
  }
  return r;
}

// Chebyshev features T_0..T_degree of t (|t| < 1) by the three-term recurrence.
Taylor chebyshev_features(const Taylor& t, int degree) {
  std::vector<Taylor> T;
  T.push_back(Taylor::constant(torch::ones_like(t.v), t.has_derivatives()));
  T.push_back(t);
  for (int n = 2; n <= degree; ++n) T.push_back(sub(scale(mul(t, T[n - 1]), 2.0), T[n - 2]));
  return stack_features(T);
}

// Cubic cardinal B-spline N(u) on [0, 4) with N'(u), N''(u); zero outside.
void cardinal_cubic(const torch::Tensor& u, torch::Tensor& n, torch::Tensor& n1,
                    torch::Tensor& n2) {
  const torch::Tensor u2 = u * u, u3 = u2 * u, w = 4 - u;
  const torch::Tensor in0 = (u >= 0) & (u < 1), in1 = (u >= 1) & (u < 2), in2 = (u >= 2) & (u < 3),
                      in3 = (u >= 3) & (u < 4);
  const torch::Tensor zero = torch::zeros_like(u);
  n = torch::where(in0, u3 / 6,
                   torch::where(in1, (-3 * u3 + 12 * u2 - 12 * u + 4) / 6,
                                torch::where(in2, (3 * u3 - 24 * u2 + 60 * u - 44) / 6,
                                             torch::where(in3, w * w * w / 6, zero))));
  n1 = torch::where(
      in0, u2 / 2,
      torch::where(in1, -1.5 * u2 + 4 * u - 2,
                   torch::where(in2, 1.5 * u2 - 8 * u + 10, torch::where(in3, -w * w / 2, zero))));
  n2 = torch::where(
      in0, u,
      torch::where(in1, -3 * u + 4, torch::where(in2, 3 * u - 8, torch::where(in3, w, zero))));
}

// Cubic B-spline features of t on `grid` uniform intervals of [-1, 1]: grid + 3 functions.
Taylor bspline_features(const Taylor& t, int grid) {
  const double h = 2.0 / grid;
  std::vector<Taylor> B;
  for (int g = 0; g < grid + 3; ++g) {
    const double left = -1.0 - 3 * h + g * h;
    const torch::Tensor u = (t.v - left) / h;
    torch::Tensor n, n1, n2;
    cardinal_cubic(u, n, n1, n2);
    if (!t.has_derivatives()) {
      B.push_back({n, {}, {}});
      continue;
    }
    // du/dx = t'/h, d2u/dx2 = t''/h.
    B.push_back(chain({u, t.d1 / h, t.d2 / h}, n, n1, n2));
  }
  return stack_features(B);
}

class KanTrunk : public Trunk {
 public:
  KanTrunk(const TrunkConfig& cfg, int in, int out, bool chebyshev)
      : Trunk(in, out), chebyshev_(chebyshev), degree_(cfg.degree), grid_(cfg.grid) {
    std::vector<int> dims{in};
    dims.insert(dims.end(), cfg.widths.begin(), cfg.widths.end());
    dims.push_back(out);
    const int nb = chebyshev ? degree_ + 1 : grid_ + 3;
    for (std::size_t l = 0; l + 1 < dims.size(); ++l) {
      const int din = dims[l], dout = dims[l + 1];
      const std::string s = std::to_string(l);
      const double std_c = chebyshev ? 1.0 / (din * nb) : 0.5 / std::sqrt(4.0 * din);
      coeffs_.push_back(register_parameter("coeffs" + s, torch::randn({dout, din * nb}) * std_c));
      if (!chebyshev)
        base_.push_back(register_parameter(
            "base" + s, (torch::rand({dout, din}) * 2 - 1) / std::sqrt(double(din))));
      if (l + 2 < dims.size()) {
        gamma_.push_back(register_parameter("ln_gamma" + s, torch::ones({dout})));
        beta_.push_back(register_parameter("ln_beta" + s, torch::zeros({dout})));
      }
    }
  }

  Taylor taylor(const torch::Tensor& x, bool derivatives) override {
    TORCH_CHECK(in_ == 1, "Taylor mode needs a scalar-input trunk");
    return run(Taylor::input(x, derivatives));
  }

  torch::Tensor forward(const torch::Tensor& x) override { return run({x, {}, {}}).v; }

 private:
  Taylor run(Taylor h) {
    for (std::size_t l = 0; l < coeffs_.size(); ++l) {
      const Taylor t = tanh(h);
      const Taylor f = chebyshev_ ? chebyshev_features(t, degree_) : bspline_features(t, grid_);
      h = linear(f, coeffs_[l], {});
      if (!chebyshev_) {
        const Taylor b = linear(t, base_[l], {});
        h = {h.v + b.v, h.has_derivatives() ? h.d1 + b.d1 : torch::Tensor(),
             h.has_derivatives() ? h.d2 + b.d2 : torch::Tensor()};
      }
      if (l < gamma_.size()) h = layer_norm(h, gamma_[l], beta_[l]);
    }
    return h;
  }

  bool chebyshev_;
  int degree_, grid_;
  std::vector<torch::Tensor> coeffs_, base_, gamma_, beta_;
};

}  // namespace

std::shared_ptr<Trunk> make_chebykan_trunk(const TrunkConfig& cfg, int in, int out) {
  return std::make_shared<KanTrunk>(cfg, in, out, true);
}

std::shared_ptr<Trunk> make_bspline_kan_trunk(const TrunkConfig& cfg, int in, int out) {
  return std::make_shared<KanTrunk>(cfg, in, out, false);
}

}  // namespace heatop::surrogate
