// The LibTorch payload of versioned checkpoint files.

#include "surrogate/checkpoint.hpp"

#include <sstream>
#include <stdexcept>

#include "io/output_dir.hpp"

namespace heatop::surrogate {

void save_checkpoint(const std::string& path, const nlohmann::json& header,
                     torch::nn::Module& model, torch::optim::Optimizer* optimizer) {
  torch::serialize::OutputArchive archive, model_ar;
  model.save(model_ar);
  archive.write("model", model_ar);
  if (optimizer) {
    torch::serialize::OutputArchive opt_ar;
    optimizer->save(opt_ar);
    archive.write("optimizer", opt_ar);
  }
  std::ostringstream payload;
  archive.save_to(payload);
  io::write_file_atomically(path, checkpoint_bytes(header.dump(), payload.str()));
}

void load_checkpoint_state(const std::string& path, torch::nn::Module& model,
                           torch::optim::Optimizer* optimizer, torch::Device device) {
  const CheckpointParts p = read_checkpoint_parts(path);
  std::istringstream in(p.payload);
  torch::serialize::InputArchive archive, model_ar;
  archive.load_from(in, device);
  archive.read("model", model_ar);
  model.load(model_ar);
  if (optimizer) {
    torch::serialize::InputArchive opt_ar;
    if (!archive.try_read("optimizer", opt_ar))
      throw std::runtime_error(path + ": the checkpoint holds no optimizer state; cannot resume");
    optimizer->load(opt_ar);
  }
}

}  // namespace heatop::surrogate
