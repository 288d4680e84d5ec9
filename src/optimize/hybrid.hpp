#pragma once
// The hybrid objective of design.md §6: a surrogate answers for whole batches; candidates that
// matter (a new best) get an FV error estimate, and when the estimate exceeds the tolerance
// they are refined by a warm-started FV solve whose answer replaces the surrogate's. The
// surrogate enters as a callback, so this module does not depend on LibTorch.

#include <functional>
#include <vector>

#include "model/grid.hpp"
#include "optimize/annealing.hpp"
#include "optimize/fv_objective.hpp"

namespace heatop::optimize {

/// Temperature fields (K, solver layout on `grid`) of a batch of designs.
using FieldPredictor = std::function<std::vector<std::vector<double>>(
    const std::vector<model::Design>&, const model::Grid&)>;

struct HybridOptions {
  FvObjectiveOptions eval;   // grid on which predictions are checked and refined
  double tolerance_K = 0.5;  // refine when the estimated max error exceeds this
};

struct HybridCounters {
  int surrogate = 0;  // placements answered by the surrogate
  int estimates = 0;  // FV error estimates (residual + multigrid cycles)
  int refined = 0;    // warm-started FV refinements
  double max_est_error_K = 0;
};

BatchObjective hybrid_objective(const PlacementProblem& prob, FieldPredictor predict,
                                const HybridOptions& opt, HybridCounters* counters);

}  // namespace heatop::optimize
