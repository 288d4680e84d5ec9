#include "optimize/hybrid.hpp"

#include <limits>
#include <memory>
#include <stdexcept>

#include "fv/system.hpp"
#include "trust/confidence.hpp"

namespace heatop::optimize {

BatchObjective hybrid_objective(const PlacementProblem& prob, FieldPredictor predict,
                                const HybridOptions& opt, HybridCounters* counters) {
  auto best = std::make_shared<double>(std::numeric_limits<double>::infinity());
  return [&prob, predict, opt, counters, best](const std::vector<Placement>& batch) {
    std::vector<model::Design> designs;
    for (const auto& p : batch) designs.push_back(design_on_grid(prob.design_for(p), opt.eval));
    const model::Grid grid = model::build_grid(designs.front());
    auto fields = predict(designs, grid);
    if (fields.size() != batch.size())
      throw std::runtime_error("surrogate returned " + std::to_string(fields.size()) +
                               " fields for " + std::to_string(batch.size()) + " designs");
    counters->surrogate += static_cast<int>(batch.size());
    std::vector<double> peaks;
    for (const auto& f : fields) {
      double m = -std::numeric_limits<double>::infinity();
      for (double v : f) m = std::max(m, v);
      peaks.push_back(m);
    }
    // A candidate matters if it would be a new best: check it with the solver. When a check
    // raises its value, the next-best candidate of the batch may now be the would-be best, so
    // repeat until the batch's best is either checked or no new best: no unchecked surrogate
    // answer ever becomes the optimizer's best.
    std::vector<char> checked(peaks.size(), 0);
    while (true) {
      std::size_t bi = 0;
      for (std::size_t c = 1; c < peaks.size(); ++c)
        if (peaks[c] < peaks[bi]) bi = c;
      if (!(peaks[bi] < *best) || checked[bi]) {
        if (checked[bi]) *best = std::min(*best, peaks[bi]);
        break;
      }
      checked[bi] = 1;
      const fv::System sys = fv::discretize(designs[bi], grid);
      trust::ConfidenceOptions co;
      co.tolerance_K = opt.tolerance_K;
      const auto conf = trust::estimate_confidence(sys, fields[bi], co);
      ++counters->estimates;
      counters->max_est_error_K = std::max(counters->max_est_error_K, conf.est_max_error_K);
      if (!conf.trusted) {
        auto t = fields[bi];
        trust::refine(sys, t, opt.eval.solver);
        ++counters->refined;
        double m = -std::numeric_limits<double>::infinity();
        for (double v : t) m = std::max(m, v);
        peaks[bi] = m;
      }
    }
    return peaks;
  };
}

}  // namespace heatop::optimize
