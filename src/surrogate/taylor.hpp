#pragma once
// Forward-mode (Taylor) propagation of a value and its first and second derivatives with respect
// to ONE scalar input, through the operations the axis trunks use. Every axis trunk of the
// separable DeepONet maps a scalar coordinate x to R basis values, so (f, df/dx, d2f/dx2) on all
// N nodes of an axis costs one forward pass over N points instead of reverse-mode sweeps.
//
// A Taylor holds three tensors of the same shape [N, width]: v = f(x), d1 = df/dx,
// d2 = d2f/dx2, row n belonging to the scalar input x[n]. d1 and d2 may be undefined ("order 0"):
// then only values are propagated (prediction).

#include <torch/torch.h>

namespace heatop::surrogate {

struct Taylor {
  torch::Tensor v, d1, d2;

  bool has_derivatives() const { return d1.defined(); }

  /// The seed of the input coordinate x [N, 1]: (x, 1, 0), or (x, -, -) for order 0.
  static Taylor input(const torch::Tensor& x, bool derivatives) {
    if (!derivatives) return {x, {}, {}};
    return {x, torch::ones_like(x), torch::zeros_like(x)};
  }
  /// A quantity that does not depend on x (derivatives zero when requested).
  static Taylor constant(const torch::Tensor& c, bool derivatives) {
    if (!derivatives) return {c, {}, {}};
    return {c, torch::zeros_like(c), torch::zeros_like(c)};
  }
};

/// y = x W^T + b (b may be undefined).
inline Taylor linear(const Taylor& x, const torch::Tensor& w, const torch::Tensor& b) {
  Taylor y;
  y.v = b.defined() ? torch::addmm(b, x.v, w.t()) : torch::mm(x.v, w.t());
  if (x.has_derivatives()) {
    y.d1 = torch::mm(x.d1, w.t());
    y.d2 = torch::mm(x.d2, w.t());
  }
  return y;
}

/// Elementwise y = f(x) given f(x), f'(x), f''(x): y' = f' x', y'' = f'' x'^2 + f' x''.
inline Taylor chain(const Taylor& x, torch::Tensor f, const torch::Tensor& fp,
                    const torch::Tensor& fpp) {
  if (!x.has_derivatives()) return {std::move(f), {}, {}};
  return {std::move(f), fp * x.d1, fpp * x.d1 * x.d1 + fp * x.d2};
}

inline Taylor tanh(const Taylor& x) {
  torch::Tensor t = torch::tanh(x.v);
  if (!x.has_derivatives()) return {t, {}, {}};
  torch::Tensor fp = 1 - t * t;
  return chain(x, t, fp, -2 * t * fp);
}

inline Taylor sin(const Taylor& x) {
  if (!x.has_derivatives()) return {torch::sin(x.v), {}, {}};
  torch::Tensor s = torch::sin(x.v);
  return chain(x, s, torch::cos(x.v), -s);
}

inline Taylor cos(const Taylor& x) {
  if (!x.has_derivatives()) return {torch::cos(x.v), {}, {}};
  torch::Tensor c = torch::cos(x.v);
  return chain(x, c, -torch::sin(x.v), -c);
}

/// Product rule (broadcasting like the tensors do).
inline Taylor mul(const Taylor& a, const Taylor& b) {
  if (!a.has_derivatives()) return {a.v * b.v, {}, {}};
  return {a.v * b.v, a.d1 * b.v + a.v * b.d1, a.d2 * b.v + 2 * a.d1 * b.d1 + a.v * b.d2};
}

inline Taylor scale(const Taylor& a, double s) {
  if (!a.has_derivatives()) return {a.v * s, {}, {}};
  return {a.v * s, a.d1 * s, a.d2 * s};
}

inline Taylor sub(const Taylor& a, const Taylor& b) {
  if (!a.has_derivatives()) return {a.v - b.v, {}, {}};
  return {a.v - b.v, a.d1 - b.d1, a.d2 - b.d2};
}

/// Concatenation along the feature dimension.
inline Taylor cat(const std::vector<Taylor>& parts) {
  std::vector<torch::Tensor> v, d1, d2;
  for (const auto& p : parts) {
    v.push_back(p.v);
    if (p.has_derivatives()) {
      d1.push_back(p.d1);
      d2.push_back(p.d2);
    }
  }
  if (d1.empty()) return {torch::cat(v, -1), {}, {}};
  return {torch::cat(v, -1), torch::cat(d1, -1), torch::cat(d2, -1)};
}

/// LayerNorm over the last dimension with affine gamma, beta, differentiated as a function of
/// the whole feature vector: mean and variance depend on x too.
inline Taylor layer_norm(const Taylor& x, const torch::Tensor& gamma, const torch::Tensor& beta,
                         double eps = 1e-5) {
  torch::Tensor c = x.v - x.v.mean(-1, true);
  torch::Tensor var = (c * c).mean(-1, true) + eps;
  torch::Tensor s = torch::rsqrt(var);
  Taylor y;
  y.v = c * s * gamma + beta;
  if (!x.has_derivatives()) return y;
  torch::Tensor c1 = x.d1 - x.d1.mean(-1, true);
  torch::Tensor c2 = x.d2 - x.d2.mean(-1, true);
  torch::Tensor var1 = 2 * (c * c1).mean(-1, true);
  torch::Tensor var2 = 2 * (c1 * c1 + c * c2).mean(-1, true);
  torch::Tensor s1 = -0.5 * s / var * var1;
  torch::Tensor s2 = 0.75 * s / (var * var) * var1 * var1 - 0.5 * s / var * var2;
  y.d1 = (c1 * s + c * s1) * gamma;
  y.d2 = (c2 * s + 2 * c1 * s1 + c * s2) * gamma;
  return y;
}

}  // namespace heatop::surrogate
