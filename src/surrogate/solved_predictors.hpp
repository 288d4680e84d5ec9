#pragma once
// A solved modal model as the hybrid placement objective uses it (optimize/hybrid.hpp), without
// LibTorch: `heatop optimize --model DIR` takes this path when DIR holds a solved model
// (network.modal_core: solved), and loads the neural-operator module only for other models.

#include <string>

#include "model/design.hpp"
#include "optimize/hybrid.hpp"

namespace heatop::surrogate {

/// Whether the checkpoint in `model_dir` (a folder or a .hnop file) holds a solved modal model.
/// Throws std::runtime_error naming the file when it is not a readable heatop checkpoint.
bool is_solved_model(const std::string& model_dir);

/// The predictors of the solved model in `model_dir` for designs of `design`'s family: full
/// fields and peak-only answers (SolvedOperator). Throws std::invalid_argument when `design` is
/// not of the model's family (Problem::inputs_of), before any work.
optimize::SurrogatePredictors solved_predictors(const std::string& model_dir,
                                                const model::Design& design);

}  // namespace heatop::surrogate
