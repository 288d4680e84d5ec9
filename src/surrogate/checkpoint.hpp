#pragma once
// The LibTorch payload of operator checkpoints; the container and header (format, checks) are
// in checkpoint_file.hpp.

#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>

#include "surrogate/checkpoint_file.hpp"

namespace heatop::surrogate {

/// Writes a checkpoint atomically (to path + ".tmp", then renamed). `optimizer` may be null.
/// Throws std::runtime_error if the file cannot be written.
void save_checkpoint(const std::string& path, const nlohmann::json& header,
                     torch::nn::Module& model, torch::optim::Optimizer* optimizer);

/// Loads the model (and, when given, the optimizer) state from a checkpoint onto `device`.
void load_checkpoint_state(const std::string& path, torch::nn::Module& model,
                           torch::optim::Optimizer* optimizer, torch::Device device);

}  // namespace heatop::surrogate
