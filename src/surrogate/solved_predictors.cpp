// Solved modal model -> hybrid objective predictors, without LibTorch.

#include "surrogate/solved_predictors.hpp"

#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "surrogate/checkpoint_file.hpp"
#include "surrogate/response_operator.hpp"
#include "surrogate/solved_operator.hpp"

namespace heatop::surrogate {

bool is_solved_model(const std::string& model_dir) {
  // The header only: a response model's payload can be large.
  const OperatorConfig cfg = read_checkpoint_setup(model_file(model_dir), false).config;
  return SolvedOperator::describes(cfg) || ResponseOperator::describes(cfg);
}

optimize::SurrogatePredictors operator_predictors(std::shared_ptr<OperatorModel> m) {
  auto inputs = [m](const std::vector<model::Design>& ds) {
    std::vector<InputValues> in;
    for (const auto& d : ds) in.push_back(m->problem().inputs_of(d));
    return in;
  };
  optimize::FieldPredictor fields = [m, inputs](const std::vector<model::Design>& ds,
                                                const model::Grid& grid) {
    std::vector<std::vector<double>> out;
    for (auto& f : m->predict(inputs(ds), grid, 32)) out.push_back(std::move(f.values));
    return out;
  };
  optimize::PeakPredictor peaks = [m, inputs](const std::vector<model::Design>& ds,
                                              const model::Grid& grid) {
    return m->predict_peaks(inputs(ds), grid);
  };
  return {fields, peaks};
}

optimize::SurrogatePredictors solved_predictors(const std::string& model_dir,
                                                const model::Design& design) {
  std::shared_ptr<OperatorModel> m = load_linear_model(model_dir);
  if (!m) throw std::invalid_argument(model_file(model_dir) + ": not a solved or response model");
  m->problem().inputs_of(design);  // a model of another chip is refused here
  return operator_predictors(std::move(m));
}

optimize::SurrogatePredictors model_predictors(const std::string& model_dir,
                                               const model::Design& design,
                                               const optimize::PredictorFactory& load_trained) {
  if (is_solved_model(model_dir)) return solved_predictors(model_dir, design);
  if (!load_trained)
    throw std::runtime_error(
        "optimize --model: " + model_file(model_dir) +
        " is a trained model, which needs the neural-operator module (LibTorch); this build of "
        "heatop has none. Solved models (network.modal_core: solved) need no LibTorch; or use "
        "--fd-only");
  return load_trained(model_dir, design);
}

}  // namespace heatop::surrogate
