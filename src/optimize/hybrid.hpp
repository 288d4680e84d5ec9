#pragma once
// The hybrid objective (docs/placement-file.md): a surrogate answers for whole batches;
// candidates that matter (a new best) get an FV error estimate, and when the estimate exceeds the
// tolerance they are refined by a warm-started FV solve whose answer replaces the surrogate's.
// The surrogate enters as a callback, so this module does not depend on LibTorch.

#include <functional>
#include <utility>
#include <vector>

#include "model/grid.hpp"
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

struct HybridOptions {
  FvObjectiveOptions eval;   // grid on which predictions are checked and refined
  double tolerance_K = 0.5;  // refine when the estimated max error exceeds this
  /// `best`: check every would-be new best during the search (estimate, refine when the
  /// estimate exceeds the tolerance). `final`: the search runs on the surrogate alone and
  /// keeps a shortlist of its best distinct placements; verify_shortlist() then solves each
  /// with FV (warm-started from the prediction) and picks the solver's best.
  /// `corrected`: as `best`, but every checked candidate's value becomes the peak of the
  /// prediction plus the estimated error field (no refinement solve).
  std::string checks = "best";
  int shortlist = 5;  // `final`: placements kept
};

struct HybridCounters {
  int surrogate = 0;  // placements answered by the surrogate
  int estimates = 0;  // FV error estimates (residual + multigrid cycles)
  int refined = 0;    // warm-started FV refinements
  int corrected = 0;  // `corrected`: values replaced by the peak of prediction + estimate
  double max_est_error_K = 0;
  double surrogate_seconds = 0;  // wall time in the surrogate's predictions
  double fv_seconds = 0;         // wall time in FV estimates, refinements and verifications
  std::vector<std::pair<double, Placement>> shortlist;  // `final`: (surrogate peak, placement)
};

/// `final` checks: FV-refines every shortlisted placement on opt.eval's grid and returns the
/// one with the lowest FV peak (its value in *fv_peak_K). Throws when the shortlist is empty.
Placement verify_shortlist(const PlacementProblem& prob, const SurrogatePredictors& predict,
                           const HybridOptions& opt, HybridCounters* counters, double* fv_peak_K);

BatchObjective hybrid_objective(const PlacementProblem& prob, SurrogatePredictors predict,
                                const HybridOptions& opt, HybridCounters* counters);

}  // namespace heatop::optimize
