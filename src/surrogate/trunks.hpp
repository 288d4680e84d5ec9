#pragma once
// Axis trunk networks of the separable DeepONet: each maps a scalar trunk coordinate
// xi in [-1, 1] (one axis of the box, see problem.hpp) to R basis values, and can propagate
// (value, d/dxi, d2/dxi2) forward (Taylor mode, taylor.hpp). The pointwise baseline uses the same
// types on 3 inputs (then only values, derivatives by autograd).
//
// Types (TrunkConfig::type):
//   mlp          tanh MLP
//   fourier-mlp  tanh MLP on [xi, sin(pi b xi), cos(pi b xi)] with fixed random frequencies b
//   chebykan     Chebyshev KAN: per layer tanh-squashed inputs, Chebyshev features T_0..T_degree,
//                one learnable coefficient per (input, degree, output); LayerNorm between layers
//                (the form of the DeepOHeat-v1 code)
//   bspline-kan  B-spline KAN: per layer tanh-squashed inputs, cubic B-splines on `grid` uniform
//                intervals of [-1, 1] plus a linear base term; LayerNorm between layers
//   cosine       the fixed basis cos(k pi (xi + 1) / 2), k = 0 .. modes - 1: the eigenfunctions
//                of an axis between two adiabatic walls (no parameters when out == modes;
//                otherwise a learnable linear map to `out` functions). heatop's spectral trunk
//                for the lateral axes.
//   exponential  fixed functions 1, xi and decaying exponentials from both ends (depth)
//   stack        the depth functions of the design's own layered stack (stack_basis.hpp); needs
//                TrunkConfig::stack, which SurrogateModel fills in from its Problem

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "surrogate/config.hpp"
#include "surrogate/taylor.hpp"

namespace heatop::surrogate {

class Trunk : public torch::nn::Module {
 public:
  /// Values and (when `derivatives`) first and second derivatives with respect to a scalar
  /// input: x is [N, 1]; each member of the result is [N, out].
  virtual Taylor taylor(const torch::Tensor& x, bool derivatives) = 0;
  /// Values only: x is [N, in], result [N, out] (differentiable by autograd).
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
  int in_features() const { return in_; }
  int out_features() const { return out_; }

 protected:
  Trunk(int in, int out) : in_(in), out_(out) {}
  int in_, out_;
};

/// Builds a trunk of the configured type with `in` inputs and `out` outputs. Parameters are
/// initialised from LibTorch's global generator (seed it with torch::manual_seed).
std::shared_ptr<Trunk> make_trunk(const TrunkConfig& cfg, int in, int out);

// Implementations, one per file (trunk_mlp.cpp, trunk_kan.cpp).
std::shared_ptr<Trunk> make_mlp_trunk(const TrunkConfig& cfg, int in, int out);
std::shared_ptr<Trunk> make_chebykan_trunk(const TrunkConfig& cfg, int in, int out);
std::shared_ptr<Trunk> make_bspline_kan_trunk(const TrunkConfig& cfg, int in, int out);
std::shared_ptr<Trunk> make_cosine_trunk(const TrunkConfig& cfg, int in, int out);
std::shared_ptr<Trunk> make_exponential_trunk(const TrunkConfig& cfg, int in, int out);
std::shared_ptr<Trunk> make_stack_trunk(const TrunkConfig& cfg, int in, int out);

}  // namespace heatop::surrogate
