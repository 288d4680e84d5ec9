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

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double max_of(const std::vector<double>& v) {
  double m = -std::numeric_limits<double>::infinity();
  for (double x : v) m = std::max(m, x);
  return m;
}

}  // namespace

void HybridOptions::validate() const {
  if (!(tolerance_K > 0))
    throw std::invalid_argument("hybrid tolerance must be > 0 K, got " +
                                std::to_string(tolerance_K));
  if (shortlist < 1 || shortlist > 100)
    throw std::invalid_argument("hybrid shortlist must be 1 to 100, got " +
                                std::to_string(shortlist));
}

/// What a strategy works with: the surrogate, the shared FV evaluator and the counters.
struct StrategyContext {
  const PlacementProblem& prob;
  const SurrogatePredictors& predict;
  const HybridOptions& opt;
  HybridCounters& counters;
  FvEvaluator& fv;
};

class CheckStrategy {
 public:
  explicit CheckStrategy(StrategyContext c) : c_(c) {}
  virtual ~CheckStrategy() = default;
  /// Turns the surrogate's peaks of a batch into the values the optimizer sees. `fields` holds
  /// full fields where the surrogate already produced them (else empty vectors).
  virtual void check(const std::vector<Placement>& batch, const std::vector<model::Design>& designs,
                     std::vector<std::vector<double>>& fields, std::vector<double>& peaks) = 0;
  /// After the search.
  virtual HybridPick finish(const AnnealingResult& r) { return {r.best, r.best_value, {}, {}}; }

 protected:
  StrategyContext c_;
};

namespace {

// best and corrected: a candidate matters if it would be a new best, so check it with the
// solver. When a check raises its value, the next-best candidate of the batch may now be the
// would-be best, so repeat until the batch's best is either checked or no new best: no
// unchecked surrogate answer ever becomes the optimizer's best.
class NewBestChecks : public CheckStrategy {
 public:
  NewBestChecks(StrategyContext c, bool corrected) : CheckStrategy(c), corrected_(corrected) {}

  void check(const std::vector<Placement>& batch, const std::vector<model::Design>& designs,
             std::vector<std::vector<double>>& fields, std::vector<double>& peaks) override {
    std::vector<char> checked(peaks.size(), 0);
    (void)batch;
    while (true) {
      std::size_t bi = 0;
      for (std::size_t c = 1; c < peaks.size(); ++c)
        if (peaks[c] < peaks[bi]) bi = c;
      if (!(peaks[bi] < best_) || checked[bi]) {
        if (checked[bi]) best_ = std::min(best_, peaks[bi]);
        break;
      }
      checked[bi] = 1;
      peaks[bi] = checked_value(designs[bi], fields[bi]);
    }
  }

 private:
  double checked_value(const model::Design& d, std::vector<double>& field) {
    auto t0 = Clock::now();
    if (field.empty()) field = c_.predict.fields({d}, c_.fv.grid()).at(0);
    c_.counters.surrogate_seconds += since(t0);
    t0 = Clock::now();
    const fv::System& sys = c_.fv.system_for_design(d);
    trust::ConfidenceOptions co;
    co.tolerance_K = c_.opt.tolerance_K;
    // V-cycles, not the coarse estimate: with the hierarchy already built they cost a fraction
    // of a solve, and `corrected` uses T + e as the FV field, which needs e to a few digits.
    co.method = trust::ErrorEstimate::vcycles;
    const auto conf = trust::estimate_confidence(sys, field, co, c_.fv.solver().multigrid());
    ++c_.counters.estimates;
    c_.counters.max_est_error_K = std::max(c_.counters.max_est_error_K, conf.est_max_error_K);
    double value = max_of(field);
    if (corrected_) {
      // The estimate is the multigrid solution of A e = r: T + e is the FV field to a few
      // 1e-4 of |e| (bench/README.md, calibration), so its peak stands in for a solve.
      value = -std::numeric_limits<double>::infinity();
      for (std::size_t i = 0; i < field.size(); ++i)
        value = std::max(value, field[i] + conf.error_field[i]);
      ++c_.counters.corrected;
    } else if (!conf.trusted) {
      std::vector<double> t = field;
      c_.fv.solve(t);
      ++c_.counters.refined;
      value = max_of(t);
    }
    c_.counters.fv_seconds += since(t0);
    return value;
  }

  bool corrected_;
  double best_ = std::numeric_limits<double>::infinity();
};

// final: the search sees the surrogate's peaks; the strategy keeps the best distinct
// placements and FV-solves them at the end.
class ShortlistChecks : public CheckStrategy {
 public:
  using CheckStrategy::CheckStrategy;

  void check(const std::vector<Placement>& batch, const std::vector<model::Design>&,
             std::vector<std::vector<double>>&, std::vector<double>& peaks) override {
    for (std::size_t c = 0; c < batch.size(); ++c) {
      bool seen = false;
      for (const auto& e : list_)
        seen |= e.second.x == batch[c].x && e.second.y == batch[c].y &&
                e.second.rotated == batch[c].rotated;
      if (seen) continue;
      list_.emplace_back(peaks[c], batch[c]);
      std::sort(list_.begin(), list_.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      if (static_cast<int>(list_.size()) > c_.opt.shortlist) list_.pop_back();
    }
  }

  // Each shortlisted placement is FV-solved; the first starts from its prediction, each later
  // one from the previous FV solution plus the surrogate's predicted change,
  // T_fv(prev) + S(this) - S(prev): the surrogate's error then enters only through the
  // difference of two similar placements. The fields (a grid's size each) are moved, never
  // copied: the pick's pair, the last placement's when it is not the pick, and the current one.
  HybridPick finish(const AnnealingResult&) override {
    if (list_.empty()) throw std::logic_error("hybrid final checks: the search kept no placements");
    HybridPick pick;
    pick.value_K = std::numeric_limits<double>::infinity();
    std::vector<double> last_fv, last_sur;  // the previous placement's, when it is not the pick
    const std::vector<double>* prev_fv = nullptr;  // the previous placement's fields
    const std::vector<double>* prev_sur = nullptr;
    for (const auto& [sur, p] : list_) {
      const model::Design d = c_.fv.design_for(p);
      auto t0 = Clock::now();
      auto s = c_.predict.fields({d}, c_.fv.grid()).at(0);
      c_.counters.surrogate_seconds += since(t0);
      t0 = Clock::now();
      std::vector<double> t;
      if (prev_fv && prev_fv->size() == s.size()) {
        if (prev_fv == &last_fv) {
          t = std::move(last_fv);  // written in place: each entry reads only its own
          for (std::size_t i = 0; i < t.size(); ++i) t[i] = t[i] + (s[i] - last_sur[i]);
        } else {
          t.resize(s.size());
          for (std::size_t i = 0; i < t.size(); ++i) t[i] = (*prev_fv)[i] + (s[i] - (*prev_sur)[i]);
        }
      } else {
        t = s;
      }
      c_.fv.system_for_design(d);
      c_.fv.solve(t);
      c_.counters.fv_seconds += since(t0);
      ++c_.counters.refined;
      const double m = max_of(t);
      if (m < pick.value_K) {
        pick = {p, m, std::move(t), std::move(s)};
        prev_fv = &pick.fv_field;
        prev_sur = &pick.surrogate_field;
      } else {
        last_fv = std::move(t);
        last_sur = std::move(s);
        prev_fv = &last_fv;
        prev_sur = &last_sur;
      }
    }
    return pick;
  }

 private:
  std::vector<std::pair<double, Placement>> list_;  // (surrogate peak, placement), best first
};

}  // namespace

HybridSearch::HybridSearch(const PlacementProblem& prob, SurrogatePredictors predict,
                           HybridOptions opt, FvEvaluator* shared)
    : prob_(prob), predict_(std::move(predict)), opt_(std::move(opt)), fv_(shared) {
  if (!predict_.fields) throw std::invalid_argument("hybrid search: no field predictor");
  opt_.validate();
  if (fv_ && !same_setup(fv_->options(), opt_.eval))
    throw std::invalid_argument(
        "hybrid search: the shared FV evaluator has other grid or solver "
        "settings than the search's");
  if (!fv_) {
    own_fv_ = std::make_unique<FvEvaluator>(prob_, opt_.eval);
    fv_ = own_fv_.get();
  }
  const StrategyContext ctx{prob_, predict_, opt_, counters_, *fv_};
  switch (opt_.checks) {
    case Checks::best:
      strategy_ = std::make_unique<NewBestChecks>(ctx, false);
      break;
    case Checks::corrected:
      strategy_ = std::make_unique<NewBestChecks>(ctx, true);
      break;
    case Checks::final:
      strategy_ = std::make_unique<ShortlistChecks>(ctx);
      break;
  }
}

HybridSearch::~HybridSearch() = default;

std::vector<double> HybridSearch::screen(const std::vector<Placement>& batch) {
  std::vector<model::Design> designs;
  for (const auto& p : batch) designs.push_back(fv_->design_for(p));
  const model::Grid& grid = fv_->grid();
  std::vector<std::vector<double>> fields(batch.size());
  std::vector<double> peaks;
  const auto t0 = Clock::now();
  if (predict_.peaks) {
    peaks = predict_.peaks(designs, grid);
  } else {
    fields = predict_.fields(designs, grid);
    if (fields.size() != batch.size())
      throw std::runtime_error("surrogate returned " + std::to_string(fields.size()) +
                               " fields for " + std::to_string(batch.size()) + " designs");
    for (const auto& f : fields) peaks.push_back(max_of(f));
  }
  if (peaks.size() != batch.size())
    throw std::runtime_error("surrogate returned " + std::to_string(peaks.size()) + " peaks for " +
                             std::to_string(batch.size()) + " designs");
  counters_.surrogate += static_cast<int>(batch.size());
  counters_.surrogate_seconds += since(t0);
  strategy_->check(batch, designs, fields, peaks);
  return peaks;
}

BatchObjective HybridSearch::objective() {
  return [this](const std::vector<Placement>& batch) { return screen(batch); };
}

HybridPick HybridSearch::finish(const AnnealingResult& search) { return strategy_->finish(search); }

}  // namespace heatop::optimize
