#pragma once
// The finite-volume objective: peak temperature of a placement, by a full solve. Placements of
// one problem differ only in their power, so one FvEvaluator discretizes the design and builds
// the solver (multigrid hierarchy) once and then only re-assembles the sources per placement.

#include <memory>

#include "fv/system.hpp"
#include "optimize/annealing.hpp"
#include "solve/fv_solver.hpp"
#include "solve/solver.hpp"

namespace heatop::optimize {

struct FvObjectiveOptions {
  int nx = 101, ny = 101, nz = 51;  // grid of every evaluation; all 0: the design's own grid
  solve::SolverConfig solver;       // tolerance etc.
};

/// Whether two option sets give the same grid and the same solver (so one evaluator serves
/// both).
bool same_setup(const FvObjectiveOptions& a, const FvObjectiveOptions& b);

/// The design re-gridded to opt's nx x ny x nz (explicit node lists and layer cells dropped);
/// unchanged when they are 0 (the design's own grid).
model::Design design_on_grid(model::Design d, const FvObjectiveOptions& opt);

/// Solves placements of one problem on one grid with one reusable solver.
class FvEvaluator {
 public:
  /// `prob` must outlive the evaluator.
  FvEvaluator(const PlacementProblem& prob, const FvObjectiveOptions& opt);
  /// The system with placement p's sources (valid until the next call).
  const fv::System& system_for(const Placement& p);
  /// The system with the sources of `design` (the problem's design on this grid with other
  /// power maps).
  const fv::System& system_for_design(const model::Design& design);
  /// Peak temperature (K) of placement p, its field if `field` is given. `warm`: the initial
  /// guess when it has the grid's size (else the reference temperature); receives the solution.
  double peak(const Placement& p, std::vector<double>* field = nullptr,
              std::vector<double>* warm = nullptr);
  /// Solves the current system from `t` in place (warm start), throwing when it does not converge.
  solve::SolveReport solve(std::vector<double>& t);
  const model::Grid& grid() const { return sys_.grid; }
  const FvObjectiveOptions& options() const { return opt_; }
  const solve::FvSolver& solver() const { return *solver_; }
  /// The design of placement p on this evaluator's grid.
  model::Design design_for(const Placement& p) const;

 private:
  const PlacementProblem& prob_;
  FvObjectiveOptions opt_;
  fv::System sys_;
  std::unique_ptr<solve::FvSolver> solver_;
  std::vector<double> scratch_;  // peak()'s field when the caller keeps none
};

/// Peak temperature (K) of one placement, and its field if `field` is given.
double fv_peak(const PlacementProblem& prob, const Placement& p, const FvObjectiveOptions& opt,
               std::vector<double>* field = nullptr, std::vector<double>* warm = nullptr);

/// A batch objective that runs one FV solve per placement (warm-started from the previous
/// solution, one FvEvaluator for the whole search) and counts the solves in *count.
BatchObjective fv_objective(const PlacementProblem& prob, const FvObjectiveOptions& opt,
                            int* count);

}  // namespace heatop::optimize
