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

}  // namespace heatop::surrogate
