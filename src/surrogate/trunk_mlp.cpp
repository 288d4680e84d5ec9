// MLP and Fourier-feature MLP trunks.

#include <cmath>
#include <list>
#include <mutex>

#include "surrogate/solved_operator.hpp"
#include "surrogate/trunks.hpp"

namespace heatop::surrogate {

namespace {

class MlpTrunk : public Trunk {
 public:
  MlpTrunk(const TrunkConfig& cfg, int in, int out) : Trunk(in, out) {
    int width = in;
    if (cfg.type == TrunkType::fourier_mlp) {
      // Fixed (not trained) frequencies, part of the state so checkpoints restore them.
      freqs_ =
          register_buffer("freqs", torch::randn({in, cfg.fourier_features}) * cfg.fourier_scale);
      width = in + 2 * cfg.fourier_features;
    }
    std::vector<int> dims{width};
    dims.insert(dims.end(), cfg.widths.begin(), cfg.widths.end());
    dims.push_back(out);
    for (std::size_t l = 0; l + 1 < dims.size(); ++l)
      layers_.push_back(
          register_module("linear" + std::to_string(l), torch::nn::Linear(dims[l], dims[l + 1])));
  }

  Taylor taylor(const torch::Tensor& x, bool derivatives) override {
    TORCH_CHECK(in_ == 1, "Taylor mode needs a scalar-input trunk");
    Taylor h = Taylor::input(x, derivatives);
    if (freqs_.defined()) {
      const Taylor z = linear(h, (M_PI * freqs_).t(), {});
      h = cat({h, sin(z), cos(z)});
    }
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      h = linear(h, layers_[l]->weight, layers_[l]->bias);
      if (l + 1 < layers_.size()) h = tanh(h);
    }
    return h;
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    torch::Tensor h = x;
    if (freqs_.defined()) {
      const torch::Tensor z = torch::mm(x, M_PI * freqs_);
      h = torch::cat({x, torch::sin(z), torch::cos(z)}, -1);
    }
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      h = layers_[l]->forward(h);
      if (l + 1 < layers_.size()) h = torch::tanh(h);
    }
    return h;
  }

 private:
  torch::Tensor freqs_;
  std::vector<torch::nn::Linear> layers_;
};

// Fixed cosine modes cos(a_k (xi + 1)), a_k = k pi / 2, optionally mixed by a learnable matrix.
class CosineTrunk : public Trunk {
 public:
  CosineTrunk(const TrunkConfig& cfg, int in, int out) : Trunk(in, out) {
    TORCH_CHECK(in == 1, "the cosine trunk is an axis basis (one input)");
    std::vector<double> a, s;
    for (int k = 0; k < cfg.modes; ++k) {
      // Mode k scaled by 1 / (1 + a_k) (solved_operator.hpp): coefficients of every mode are of
      // one size, so high modes do not dominate the PDE residual's curvature (Adam moves every
      // coefficient by about the learning rate).
      a.push_back(cosine_mode_rate(k));
      s.push_back(cosine_mode_scale(k));
    }
    rates_ = register_buffer("rates", torch::tensor(a, torch::kFloat32).view({-1, 1}));
    scale_ = register_buffer("scale", torch::tensor(s, torch::kFloat32));
    if (out != cfg.modes)
      mix_ = register_parameter(
          "mix", torch::randn({out, cfg.modes}) / std::sqrt(static_cast<double>(cfg.modes)));
  }

  Taylor taylor(const torch::Tensor& x, bool derivatives) override {
    Taylor h = cos(linear(Taylor::input(x, derivatives), rates_, rates_.view({-1})));
    h = Taylor{h.v * scale_, h.has_derivatives() ? h.d1 * scale_ : torch::Tensor(),
               h.has_derivatives() ? h.d2 * scale_ : torch::Tensor()};
    if (mix_.defined()) h = linear(h, mix_, {});
    return h;
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    torch::Tensor h = torch::cos(torch::addmm(rates_.view({-1}), x, rates_.t())) * scale_;
    return mix_.defined() ? torch::mm(h, mix_.t()) : h;
  }

 private:
  torch::Tensor rates_, scale_, mix_;
};

// Fixed decaying exponentials from both ends of the axis, exp(-m_j (1 - xi)) and
// exp(-m_j (1 + xi)) for geometric rates m_j, plus 1 and xi; optionally mixed by a learnable
// matrix. Along z, a cosine mode (a, b) of the lateral axes has the depth profile
// A exp(-l z) + B exp(l z), l = pi sqrt(a^2/Lx^2 + b^2/Ly^2): a combination of these functions
// with rates near l. Steep profiles (high lateral modes, boundary layers under small hot spots)
// are there from the first step instead of being learned slowly by an MLP.
class ExponentialTrunk : public Trunk {
 public:
  ExponentialTrunk(const TrunkConfig& cfg, int in, int out) : Trunk(in, out) {
    TORCH_CHECK(in == 1, "the exponential trunk is an axis basis (one input)");
    std::vector<double> m;
    for (int j = 0; j < cfg.modes; ++j)
      m.push_back(cfg.modes == 1
                      ? cfg.rate_min
                      : cfg.rate_min * std::pow(cfg.rate_max / cfg.rate_min,
                                                static_cast<double>(j) / (cfg.modes - 1)));
    rates_ = register_buffer("rates", torch::tensor(m, torch::kFloat32).view({1, -1}));
    // Each exponential scaled by 1 / (1 + m_j), as the cosine modes: its flux at its wall is
    // then about 1 and its curvature about m_j.
    scale_ = register_buffer("scale", 1.0 / (1.0 + rates_));
    const int n = 2 * cfg.modes + 2;
    if (out != n)
      mix_ = register_parameter("mix", torch::randn({out, n}) / std::sqrt(static_cast<double>(n)));
  }

  Taylor taylor(const torch::Tensor& x, bool derivatives) override {
    const torch::Tensor top = torch::exp(-rates_ * (1 - x)) * scale_,
                        bottom = torch::exp(-rates_ * (1 + x)) * scale_;
    Taylor h;
    h.v = torch::cat({torch::ones_like(x), x, top, bottom}, 1);
    if (derivatives) {
      const torch::Tensor r2 = rates_ * rates_;
      h.d1 = torch::cat({torch::zeros_like(x), torch::ones_like(x), top * rates_, -bottom * rates_},
                        1);
      h.d2 = torch::cat({torch::zeros_like(x), torch::zeros_like(x), top * r2, bottom * r2}, 1);
    }
    if (mix_.defined()) h = linear(h, mix_, {});
    return h;
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    const torch::Tensor h =
        torch::cat({torch::ones_like(x), x, torch::exp(-rates_ * (1 - x)) * scale_,
                    torch::exp(-rates_ * (1 + x)) * scale_},
                   1);
    return mix_.defined() ? torch::mm(h, mix_.t()) : h;
  }

 private:
  torch::Tensor rates_, scale_, mix_;
};

// The rates of a stack trunk: every mode's own (modal core), or geometric ones.
std::vector<double> rates_for(const TrunkConfig& cfg) {
  if (!cfg.modal_rates.empty()) return cfg.modal_rates;
  StackProfile p = *cfg.stack;
  if (cfg.rates_given) {
    p.rate_min = cfg.rate_min;
    p.rate_max = cfg.rate_max;
  }
  return StackBasis::geometric_rates(p, cfg.modes);
}

// The depth functions of the design's stack (stack_basis.hpp), computed in double precision on
// the host and handed over in the model's dtype and device; optionally mixed by a learnable
// matrix.
class StackTrunk : public Trunk {
 public:
  StackTrunk(const TrunkConfig& cfg, int in, int out)
      : Trunk(in, out), basis_(*cfg.stack, rates_for(cfg), cfg.modal_source_scale) {
    TORCH_CHECK(in == 1, "the stack trunk is an axis basis (one input)");
    // A buffer, so that the basis's size is part of the checkpoint and a model can only load
    // the state of one built on the same stack.
    rates_ = register_buffer("function_rates", torch::empty({basis_.size()}, torch::kFloat64));
    for (int f = 0; f < basis_.size(); ++f) rates_[f] = basis_.rate(f);
    TORCH_CHECK(cfg.modal_rates.empty() || out == basis_.size(),
                "a modal stack trunk gives every mode its own functions: no mixing");
    if (out != basis_.size())
      mix_ = register_parameter("mix", torch::randn({out, basis_.size()}) /
                                           std::sqrt(static_cast<double>(basis_.size())));
  }

  Taylor taylor(const torch::Tensor& x, bool derivatives) override {
    const torch::Tensor xc = x.detach().to(torch::kCPU, torch::kFloat64).contiguous().view({-1});
    std::vector<double> pts(xc.data_ptr<double>(), xc.data_ptr<double>() + xc.numel());
    Taylor h = cached(std::move(pts), x.options(), derivatives);
    if (mix_.defined()) h = linear(h, mix_, {});
    return h;
  }

  torch::Tensor forward(const torch::Tensor& x) override { return taylor(x, false).v; }

 private:
  // The functions at a set of points depend on nothing that trains, so the last few point sets'
  // values are kept (prediction asks for the same grid again and again; training for its
  // collocation planes). Entries are keyed by the exact points, dtype and device, and handed out
  // as clones, so no caller's in-place change can reach a later call. Training's shares call
  // from several threads, hence the lock.
  struct Entry {
    std::vector<double> points;
    torch::TensorOptions options;
    Taylor values;
  };

  Taylor cached(std::vector<double> pts, const torch::TensorOptions& opt, bool derivatives) {
    auto clone = [derivatives](const Taylor& t) {
      return derivatives ? Taylor{t.v.clone(), t.d1.clone(), t.d2.clone()}
                         : Taylor{t.v.clone(), {}, {}};
    };
    std::lock_guard<std::mutex> lock(cache_mutex_);
    for (auto it = cache_.begin(); it != cache_.end(); ++it)
      if (it->points == pts && it->options.dtype() == opt.dtype() &&
          it->options.device() == opt.device()) {
        cache_.splice(cache_.begin(), cache_, it);
        return clone(cache_.front().values);
      }
    std::vector<double> v, d1, d2;
    basis_.evaluate(pts, v, d1, d2);
    const auto n = static_cast<int64_t>(pts.size()), m = static_cast<int64_t>(basis_.size());
    auto tensor = [&](std::vector<double>& a) {
      return torch::from_blob(a.data(), {n, m}, torch::kFloat64).to(opt, false, true);
    };
    cache_.push_front(Entry{std::move(pts), opt, Taylor{tensor(v), tensor(d1), tensor(d2)}});
    if (cache_.size() > kCacheEntries) cache_.pop_back();
    return clone(cache_.front().values);
  }

  static constexpr std::size_t kCacheEntries = 8;
  StackBasis basis_;
  torch::Tensor rates_, mix_;
  std::mutex cache_mutex_;
  std::list<Entry> cache_;
};

}  // namespace

std::shared_ptr<Trunk> make_stack_trunk(const TrunkConfig& cfg, int in, int out) {
  if (!cfg.stack)
    throw std::invalid_argument(
        "network.trunk_z: the stack trunk is computed from a design's layers; build the model "
        "through its design (SurrogateModel), not from a configuration alone");
  return std::make_shared<StackTrunk>(cfg, in, out);
}

std::shared_ptr<Trunk> make_exponential_trunk(const TrunkConfig& cfg, int in, int out) {
  return std::make_shared<ExponentialTrunk>(cfg, in, out);
}

std::shared_ptr<Trunk> make_cosine_trunk(const TrunkConfig& cfg, int in, int out) {
  return std::make_shared<CosineTrunk>(cfg, in, out);
}

std::shared_ptr<Trunk> make_mlp_trunk(const TrunkConfig& cfg, int in, int out) {
  return std::make_shared<MlpTrunk>(cfg, in, out);
}

}  // namespace heatop::surrogate
