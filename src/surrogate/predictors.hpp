#pragma once
// A trained operator as the hybrid placement objective uses it (optimize/hybrid.hpp): full
// fields for the candidates it checks, peak-only answers for screening whole batches.

#include <memory>

#include "optimize/hybrid.hpp"
#include "surrogate/surrogate_model.hpp"

namespace heatop::surrogate {

/// Predictors backed by `model` (batches of 32 for fields, SurrogateModel::predict_peaks for
/// peaks). The designs must belong to the model's family (inputs_of throws otherwise).
optimize::SurrogatePredictors hybrid_predictors(std::shared_ptr<SurrogateModel> model);

/// The predictors `heatop optimize --model DIR` uses for a problem's design: the model on the
/// CPU, batched. Throws std::invalid_argument when the design is not of the model's family.
optimize::SurrogatePredictors load_hybrid_predictors(const std::string& model_dir,
                                                     const model::Design& design);

}  // namespace heatop::surrogate
