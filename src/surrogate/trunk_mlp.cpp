// MLP and Fourier-feature MLP trunks.

#include <cmath>

#include "surrogate/trunks.hpp"

namespace heatop::surrogate {

namespace {

class MlpTrunk : public Trunk {
 public:
  MlpTrunk(const TrunkConfig& cfg, int in, int out) : Trunk(in, out) {
    int width = in;
    if (cfg.type == "fourier-mlp") {
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

}  // namespace

std::shared_ptr<Trunk> make_mlp_trunk(const TrunkConfig& cfg, int in, int out) {
  return std::make_shared<MlpTrunk>(cfg, in, out);
}

}  // namespace heatop::surrogate
