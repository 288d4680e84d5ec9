#pragma once
// A solved modal model as the hybrid placement objective uses it (optimize/hybrid.hpp), without
// LibTorch: `heatop optimize --model DIR` takes this path when DIR holds a solved model
// (network.modal_core: solved), and loads the neural-operator module only for other models.

#include <memory>
#include <string>

#include "model/design.hpp"
#include "optimize/hybrid.hpp"
#include "surrogate/operator_model.hpp"

namespace heatop::surrogate {

/// Whether the checkpoint in `model_dir` (a folder or a .hnop file) holds a model that predicts
/// without LibTorch: a solved modal one or a response one (response_operator.hpp).
/// Throws std::runtime_error naming the file when it is not a readable heatop checkpoint.
bool is_solved_model(const std::string& model_dir);

/// Predictors backed by `model` (batches of 32 for fields, OperatorModel::predict_peaks for
/// peaks). The designs must belong to the model's family (inputs_of throws otherwise).
optimize::SurrogatePredictors operator_predictors(std::shared_ptr<OperatorModel> model);

/// The predictors of the solved model in `model_dir` for designs of `design`'s family: full
/// fields and peak-only answers (SolvedOperator). Throws std::invalid_argument when `design` is
/// not of the model's family (Problem::inputs_of), before any work.
optimize::SurrogatePredictors solved_predictors(const std::string& model_dir,
                                                const model::Design& design);

/// The predictors `optimize --model` uses (the CLI and the Python module): a solved model's own
/// (solved_predictors, no LibTorch); any other model's from `load_trained`, which loads LibTorch.
/// Throws std::runtime_error, naming what is missing, when the model is not solved and
/// `load_trained` is empty (a build without LibTorch).
optimize::SurrogatePredictors model_predictors(const std::string& model_dir,
                                               const model::Design& design,
                                               const optimize::PredictorFactory& load_trained);

}  // namespace heatop::surrogate
