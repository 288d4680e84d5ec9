// Trained operator -> hybrid objective predictors.

#include "surrogate/predictors.hpp"

#include <utility>
#include <vector>

namespace heatop::surrogate {

optimize::SurrogatePredictors hybrid_predictors(std::shared_ptr<SurrogateModel> m) {
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

}  // namespace heatop::surrogate
