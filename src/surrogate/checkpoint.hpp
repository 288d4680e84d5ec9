#pragma once
// heatop operator checkpoints (.hnop files), format in docs/checkpoint-format.md:
//   magic "HEATOPNO" (8 bytes) | format version (uint32 LE) |
//   header length (uint64 LE) | header (UTF-8 JSON) |
//   payload length (uint64 LE) | payload (LibTorch archive: "model" and, optionally,
//   "optimizer" sub-archives) | FNV-1a 64 checksum of header and payload (uint64 LE).
// The header holds the heatop version, the effective operator configuration (YAML), the base
// design (JSON), the normalisation, the training step and the run's loss history summary.

#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>

namespace heatop::surrogate {

constexpr char kCheckpointMagic[9] = "HEATOPNO";
constexpr std::uint32_t kCheckpointVersion = 1;

/// Writes a checkpoint atomically (to path + ".tmp", then renamed). `optimizer` may be null.
/// Throws std::runtime_error if the file cannot be written.
void save_checkpoint(const std::string& path, const nlohmann::json& header,
                     torch::nn::Module& model, torch::optim::Optimizer* optimizer);

/// Reads and checks magic, version and checksum; returns the header. Throws std::runtime_error
/// naming the file and what is wrong (not a heatop checkpoint, newer format, corrupted).
nlohmann::json read_checkpoint_header(const std::string& path);

/// Loads the model (and, when given, the optimizer) state from a checkpoint onto `device`.
void load_checkpoint_state(const std::string& path, torch::nn::Module& model,
                           torch::optim::Optimizer* optimizer, torch::Device device);

}  // namespace heatop::surrogate
