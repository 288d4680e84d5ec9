#pragma once
// The finite-volume objective: peak temperature of a placement, by a full solve.

#include "optimize/annealing.hpp"
#include "solve/solver.hpp"

namespace heatop::optimize {

struct FvObjectiveOptions {
  int nx = 101, ny = 101, nz = 51;  // grid of every evaluation
  solve::SolverConfig solver;       // tolerance etc.
};

/// The design re-gridded to opt's nx x ny x nz (explicit node lists and layer cells dropped).
model::Design design_on_grid(model::Design d, const FvObjectiveOptions& opt);

/// Peak temperature (K) of one placement, and its field if `field` is given.
double fv_peak(const PlacementProblem& prob, const Placement& p, const FvObjectiveOptions& opt,
               std::vector<double>* field = nullptr, std::vector<double>* warm = nullptr);

/// A batch objective that runs one FV solve per placement (warm-started from the previous
/// solution) and counts the solves in *count.
BatchObjective fv_objective(const PlacementProblem& prob, const FvObjectiveOptions& opt,
                            int* count);

}  // namespace heatop::optimize
