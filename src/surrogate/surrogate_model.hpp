#pragma once
// A trained (or fresh) operator with everything needed to use it: configuration, design
// family, normalisation and network, on a device. Predicts temperature fields on any grid of
// the family's box, in batches.

#include <torch/torch.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "field/field.hpp"
#include "model/grid.hpp"
#include "surrogate/batch.hpp"
#include "surrogate/checkpoint_file.hpp"
#include "surrogate/operator_model.hpp"
#include "surrogate/operator_net.hpp"
#include "surrogate/problem.hpp"
#include "surrogate/solved_operator.hpp"

namespace heatop::surrogate {

/// "cpu" or "cuda" (or "cuda:N") as a torch::Device; throws std::invalid_argument with a
/// clear message when CUDA is requested but this LibTorch has no CUDA device.
torch::Device parse_device(const std::string& name);

class SurrogateModel : public OperatorModel {
 public:
  /// A fresh model: parameters drawn from cfg.training.seed.
  SurrogateModel(const OperatorConfig& cfg, const model::Design& base, torch::Device device);
  /// A model from a checkpoint file, or from a model folder holding model.hnop.
  static std::unique_ptr<SurrogateModel> load(const std::string& path, torch::Device device);

  const Problem& problem() const override { return *problem_; }
  OperatorNet& net() { return *net_; }
  std::shared_ptr<OperatorNet> net_ptr() { return net_; }
  torch::Device device() const { return device_; }
  const TensorOptions& tensor_options() const { return to_; }
  /// The checkpoint header this model came from (empty for a fresh model).
  const nlohmann::json& info() const override { return info_; }
  void set_info(nlohmann::json j) { info_ = std::move(j); }

  /// The checkpoint header describing this model at training step `step`.
  nlohmann::json header(long step) const;

  /// Temperatures (K) for each input set on `grid`, evaluated `batch` designs at a time. A solved
  /// modal core on the CPU predicts through its SolvedOperator (plain BLAS, double precision).
  std::vector<field::Field3D> predict(const std::vector<InputValues>& inputs,
                                      const model::Grid& grid, int batch = 16) override;
  /// The temperature of one design on its own grid (any resolution). Throws
  /// std::invalid_argument when the design is not of the model's family.
  field::Field3D predict(const model::Design& d, const model::Grid& grid) override;
  /// The peak temperature (K) of each design on `grid`, without forming full fields where the
  /// physics allows: only the node planes where the maximum can lie are evaluated (peak_planes
  /// in solved_operator.hpp; on the device, no copy).
  std::vector<double> predict_peaks(const std::vector<InputValues>& inputs, const model::Grid& grid,
                                    int batch = 64) override;

 private:
  std::unique_ptr<Problem> problem_;
  std::shared_ptr<OperatorNet> net_;
  torch::Device device_;
  TensorOptions to_;
  nlohmann::json info_;
  std::shared_ptr<const SolvedOperator> solved_;  // network.modal_core solved
};

}  // namespace heatop::surrogate
