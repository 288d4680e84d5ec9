// Trunk factory.

#include "surrogate/trunks.hpp"

namespace heatop::surrogate {

std::shared_ptr<Trunk> make_trunk(const TrunkConfig& cfg, int in, int out) {
  cfg.validate();
  switch (cfg.type) {
    case TrunkType::mlp:
    case TrunkType::fourier_mlp:
      return make_mlp_trunk(cfg, in, out);
    case TrunkType::chebykan:
      return make_chebykan_trunk(cfg, in, out);
    case TrunkType::cosine:
      return make_cosine_trunk(cfg, in, out);
    case TrunkType::exponential:
      return make_exponential_trunk(cfg, in, out);
    case TrunkType::stack:
      return make_stack_trunk(cfg, in, out);
    case TrunkType::bspline_kan:
      break;
  }
  return make_bspline_kan_trunk(cfg, in, out);
}

}  // namespace heatop::surrogate
