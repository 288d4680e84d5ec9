#pragma once
// The hybrid objective: a surrogate answers for whole batches, and a check strategy decides
// how the finite-volume solver keeps it honest (docs/placement-file.md):
//   best       every would-be new best gets an FV error estimate; when the estimate exceeds the
//              tolerance it is refined by a warm-started FV solve whose answer replaces the
//              surrogate's;
//   corrected  as best, but a checked candidate's value is the peak of the prediction plus its
//              estimated error field (no refinement solve);
//   final      the search runs on the surrogate alone and keeps a shortlist of its best distinct
//              placements; finish() FV-solves each and picks the solver's best.
// The surrogate enters as callbacks, so this module does not depend on LibTorch. All FV work of
// a search shares one FvEvaluator (operator and multigrid hierarchy built once).

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "model/grid.hpp"
#include "model/names.hpp"
#include "optimize/annealing.hpp"
#include "optimize/fv_objective.hpp"

namespace heatop::optimize {

/// Temperature fields (K, solver layout on `grid`) of a batch of designs.
using FieldPredictor = std::function<std::vector<std::vector<double>>(
    const std::vector<model::Design>&, const model::Grid&)>;

/// Peak temperatures (K) of a batch of designs on `grid` (a surrogate can find them without
/// forming full fields).
using PeakPredictor =
    std::function<std::vector<double>(const std::vector<model::Design>&, const model::Grid&)>;

/// A surrogate as the hybrid objective uses it: full fields (for the candidates it checks)
/// and, optionally, a cheaper peak-only answer for screening whole batches.
struct SurrogatePredictors {
  SurrogatePredictors(FieldPredictor f, PeakPredictor p = {})  // NOLINT: fields alone convert
      : fields(std::move(f)), peaks(std::move(p)) {}
  FieldPredictor fields;
  PeakPredictor peaks;  // may be empty: peaks are then taken from full fields
};

/// Builds the predictors of a trained model (directory) for a problem's design.
using PredictorFactory =
    std::function<SurrogatePredictors(const std::string& model_dir, const model::Design&)>;

/// How the hybrid search uses the FV solver (see the top of this file).
enum class Checks { best, corrected, final };
inline constexpr NameTable<Checks, 3> kChecksNames{
    {{Checks::best, "best",
      "every would-be new best gets an FV error estimate and, above `--tol`, a warm-started "
      "FV refinement"},
     {Checks::corrected, "corrected",
      "as best, but a checked candidate takes the peak of prediction + estimated error "
      "instead of a refinement solve"},
     {Checks::final, "final",
      "surrogate-only search; its `--shortlist` best distinct placements are FV-solved at the "
      "end"}}};

struct HybridOptions {
  FvObjectiveOptions eval;   // grid on which predictions are checked and refined
  double tolerance_K = 0.5;  // best: refine when the estimated max error exceeds this
  Checks checks = Checks::best;
  int shortlist = 5;  // final: placements kept and FV-solved
  void validate() const;
};

struct HybridCounters {
  int surrogate = 0;  // placements answered by the surrogate
  int estimates = 0;  // FV error estimates (residual + multigrid cycles)
  int refined = 0;    // warm-started FV solves (refinements and shortlist verifications)
  int corrected = 0;  // corrected: values replaced by the peak of prediction + estimate
  double max_est_error_K = 0;
  double surrogate_seconds = 0;  // wall time in the surrogate's predictions
  double fv_seconds = 0;         // wall time in FV estimates, refinements and verifications
};

/// The outcome of a hybrid search after its strategy's last step.
struct HybridPick {
  Placement placement;
  double value_K = 0;  // the value the search ends with (final: the shortlist's FV peak)
  /// final: the converged FV field of the pick on the search's FV grid and the surrogate's field
  /// there (empty for best and corrected).
  std::vector<double> fv_field, surrogate_field;
};

/// A check strategy (one per Checks value).
class CheckStrategy;

/// One hybrid search: objective() goes to the optimizer, finish() ends the search.
class HybridSearch {
 public:
  /// `prob` must outlive the search. Throws std::invalid_argument for bad options or a
  /// missing field predictor. `shared`, when given, is an evaluator on opt.eval's grid that the
  /// search uses instead of building its own (it must outlive the search).
  HybridSearch(const PlacementProblem& prob, SurrogatePredictors predict, HybridOptions opt,
               FvEvaluator* shared = nullptr);
  ~HybridSearch();
  HybridSearch(const HybridSearch&) = delete;
  HybridSearch& operator=(const HybridSearch&) = delete;

  /// The batch objective; valid while this object lives.
  BatchObjective objective();
  /// After the optimizer: the strategy's pick (final: the FV-solved shortlist's best).
  HybridPick finish(const AnnealingResult& search);
  const HybridCounters& counters() const { return counters_; }
  const HybridOptions& options() const { return opt_; }

 private:
  std::vector<double> screen(const std::vector<Placement>& batch);
  const PlacementProblem& prob_;
  SurrogatePredictors predict_;
  HybridOptions opt_;
  HybridCounters counters_;
  std::unique_ptr<FvEvaluator> own_fv_;
  FvEvaluator* fv_ = nullptr;
  std::unique_ptr<CheckStrategy> strategy_;
};

}  // namespace heatop::optimize
