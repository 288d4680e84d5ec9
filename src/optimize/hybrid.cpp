#include "optimize/hybrid.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <memory>
#include <stdexcept>

#include "fv/system.hpp"
#include "trust/confidence.hpp"

namespace heatop::optimize {

namespace {

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

BatchObjective hybrid_objective(const PlacementProblem& prob, SurrogatePredictors predict,
                                const HybridOptions& opt, HybridCounters* counters) {
  if (!predict.fields) throw std::invalid_argument("hybrid_objective: no field predictor");
  if (opt.checks != "best" && opt.checks != "corrected" && opt.checks != "final")
    throw std::invalid_argument("hybrid checks '" + opt.checks +
                                "' is not valid; use best, corrected or final");
  auto best = std::make_shared<double>(std::numeric_limits<double>::infinity());
  return [&prob, predict, opt, counters, best](const std::vector<Placement>& batch) {
    std::vector<model::Design> designs;
    for (const auto& p : batch) designs.push_back(design_on_grid(prob.design_for(p), opt.eval));
    const model::Grid grid = model::build_grid(designs.front());
    std::vector<std::vector<double>> fields(batch.size());
    std::vector<double> peaks;
    auto t0 = std::chrono::steady_clock::now();
    if (predict.peaks) {
      peaks = predict.peaks(designs, grid);
    } else {
      fields = predict.fields(designs, grid);
      if (fields.size() != batch.size())
        throw std::runtime_error("surrogate returned " + std::to_string(fields.size()) +
                                 " fields for " + std::to_string(batch.size()) + " designs");
      for (const auto& f : fields) {
        double m = -std::numeric_limits<double>::infinity();
        for (double v : f) m = std::max(m, v);
        peaks.push_back(m);
      }
    }
    if (peaks.size() != batch.size())
      throw std::runtime_error("surrogate returned " + std::to_string(peaks.size()) +
                               " peaks for " + std::to_string(batch.size()) + " designs");
    counters->surrogate += static_cast<int>(batch.size());
    counters->surrogate_seconds += since(t0);
    if (opt.checks == "final") {
      auto& sl = counters->shortlist;
      for (std::size_t c = 0; c < batch.size(); ++c) {
        bool seen = false;
        for (const auto& e : sl)
          seen |= e.second.x == batch[c].x && e.second.y == batch[c].y &&
                  e.second.rotated == batch[c].rotated;
        if (seen) continue;
        sl.emplace_back(peaks[c], batch[c]);
        std::sort(sl.begin(), sl.end(),
                  [](const auto& a, const auto& b) { return a.first < b.first; });
        if (static_cast<int>(sl.size()) > opt.shortlist) sl.pop_back();
      }
      return peaks;
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
      t0 = std::chrono::steady_clock::now();
      if (fields[bi].empty()) fields[bi] = predict.fields({designs[bi]}, grid).at(0);
      counters->surrogate_seconds += since(t0);
      t0 = std::chrono::steady_clock::now();
      const fv::System sys = fv::discretize(designs[bi], grid);
      trust::ConfidenceOptions co;
      co.tolerance_K = opt.tolerance_K;
      const auto conf = trust::estimate_confidence(sys, fields[bi], co);
      ++counters->estimates;
      counters->max_est_error_K = std::max(counters->max_est_error_K, conf.est_max_error_K);
      if (opt.checks == "corrected") {
        // The estimate is the multigrid solution of A e = r: T + e is the FV field to a few
        // 1e-4 of |e| (bench/README.md, calibration), so its peak stands in for a solve.
        double m = -std::numeric_limits<double>::infinity();
        for (std::size_t i = 0; i < fields[bi].size(); ++i)
          m = std::max(m, fields[bi][i] + conf.error_field[i]);
        peaks[bi] = m;
        ++counters->corrected;
      } else if (!conf.trusted) {
        auto t = fields[bi];
        trust::refine(sys, t, opt.eval.solver);
        ++counters->refined;
        double m = -std::numeric_limits<double>::infinity();
        for (double v : t) m = std::max(m, v);
        peaks[bi] = m;
      }
      counters->fv_seconds += since(t0);
    }
    return peaks;
  };
}

Placement verify_shortlist(const PlacementProblem& prob, const SurrogatePredictors& predict,
                           const HybridOptions& opt, HybridCounters* counters, double* fv_peak_K) {
  if (counters->shortlist.empty())
    throw std::logic_error("verify_shortlist: the search kept no placements");
  double best = std::numeric_limits<double>::infinity();
  Placement pick;
  // The first placement starts from its prediction; each later one from the previous FV
  // solution plus the surrogate's predicted change, T_fv(prev) + S(this) - S(prev): the
  // surrogate's error then enters only through the difference of two similar placements.
  std::vector<double> prev_fv, prev_sur;
  for (const auto& [sur, p] : counters->shortlist) {
    const model::Design d = design_on_grid(prob.design_for(p), opt.eval);
    const model::Grid grid = model::build_grid(d);
    auto t0 = std::chrono::steady_clock::now();
    auto s = predict.fields({d}, grid).at(0);
    counters->surrogate_seconds += since(t0);
    t0 = std::chrono::steady_clock::now();
    std::vector<double> t = s;
    if (prev_fv.size() == t.size())
      for (std::size_t i = 0; i < t.size(); ++i) t[i] = prev_fv[i] + (s[i] - prev_sur[i]);
    trust::refine(fv::discretize(d, grid), t, opt.eval.solver);
    counters->fv_seconds += since(t0);
    ++counters->refined;
    const double m = *std::max_element(t.begin(), t.end());
    if (m < best) {
      best = m;
      pick = p;
    }
    prev_fv = std::move(t);
    prev_sur = std::move(s);
  }
  *fv_peak_K = best;
  return pick;
}

}  // namespace heatop::optimize
