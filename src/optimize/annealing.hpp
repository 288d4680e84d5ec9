#pragma once
// Batched simulated annealing over tile placements: every round proposes a population of
// random feasible neighbours of the current placement, evaluates them together (one batch for
// a surrogate, or one solve each for the finite-volume baseline), and moves to the best of them
// by the Metropolis rule at a geometrically falling temperature.

#include <functional>
#include <vector>

#include "optimize/placement.hpp"

namespace heatop::optimize {

/// Objective values (peak temperature, K) of a batch of placements.
using BatchObjective = std::function<std::vector<double>(const std::vector<Placement>&)>;

struct AnnealingOptions {
  int evaluations = 400;  // objective evaluations in total (the budget)
  int population = 8;     // candidates per round
  unsigned long seed = 1;
  double t_start_K = 2.0;  // Metropolis temperature at the start, in objective units (K)
  double t_end_K = 0.01;   // ... and at the end
  void validate() const;
};

struct TracePoint {
  int evaluations = 0;
  double seconds = 0;
  double best = 0;  // best objective so far
};

struct AnnealingResult {
  Placement best;
  double best_value = 0;
  int evaluations = 0;
  std::vector<TracePoint> trace;
};

/// Called after each round with (evaluations so far, budget, best value); return false to stop.
using AnnealingProgress = std::function<bool(int, int, double)>;

/// Minimises `f` from `start` (which must be feasible). Constraints hold for every evaluated
/// placement. The first evaluation is `start` itself.
AnnealingResult anneal(const PlacementProblem& prob, const Placement& start,
                       const BatchObjective& f, const AnnealingOptions& opt,
                       const AnnealingProgress& progress = {});

}  // namespace heatop::optimize
