// Trained operator -> hybrid objective predictors.

#include "surrogate/predictors.hpp"

#include <utility>
#include <vector>

#include "surrogate/drivers.hpp"

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
