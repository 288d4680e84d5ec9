// Trained operator -> hybrid objective predictors.

#include "surrogate/predictors.hpp"

#include <utility>
#include <vector>

#include "surrogate/drivers.hpp"
#include "surrogate/solved_predictors.hpp"

namespace heatop::surrogate {

optimize::SurrogatePredictors hybrid_predictors(std::shared_ptr<SurrogateModel> m) {
  return operator_predictors(std::move(m));
}

optimize::SurrogatePredictors load_hybrid_predictors(const std::string& dir,
                                                     const model::Design& design) {
  const KeepOpenMpThreads keep;
  std::shared_ptr<SurrogateModel> m = SurrogateModel::load(dir, torch::kCPU);
  m->problem().inputs_of(design);  // a model of another chip is refused here, before any work
  optimize::SurrogatePredictors p = hybrid_predictors(m);
  // The FV work of the hybrid search runs in the same thread between predictions.
  optimize::FieldPredictor fields = [f = p.fields](const std::vector<model::Design>& ds,
                                                   const model::Grid& grid) {
    const KeepOpenMpThreads keep;
    return f(ds, grid);
  };
  optimize::PeakPredictor peaks;
  if (p.peaks)
    peaks = [f = p.peaks](const std::vector<model::Design>& ds, const model::Grid& grid) {
      const KeepOpenMpThreads keep;
      return f(ds, grid);
    };
  return optimize::SurrogatePredictors(fields, peaks);
}

}  // namespace heatop::surrogate
