// Trunk factory.

#include "surrogate/trunks.hpp"

namespace heatop::surrogate {

std::shared_ptr<Trunk> make_trunk(const TrunkConfig& cfg, int in, int out) {
  cfg.validate();
  if (cfg.type == "mlp" || cfg.type == "fourier-mlp") return make_mlp_trunk(cfg, in, out);
  if (cfg.type == "chebykan") return make_chebykan_trunk(cfg, in, out);
  if (cfg.type == "cosine") return make_cosine_trunk(cfg, in, out);
  if (cfg.type == "exponential") return make_exponential_trunk(cfg, in, out);
  return make_bspline_kan_trunk(cfg, in, out);
}

}  // namespace heatop::surrogate
