#pragma once
// One entry point that picks a method and preconditioner by name, as design files and the CLI
// do: method cg | gmres | multigrid, preconditioner multigrid | jacobi | none.

#include <string>

#include "fv/operator.hpp"
#include "solve/linear.hpp"
#include "solve/multigrid.hpp"

namespace heatop::solve {

struct SolverConfig {
  std::string method = "cg";
  std::string preconditioner = "multigrid";
  SolveOptions options;
  MultigridOptions multigrid;
  /// Throws std::invalid_argument naming the bad field and the valid values.
  void validate() const;
};

/// Solves A x = b for the finite-volume operator; x holds the initial guess.
SolveReport solve_system(const fv::LayeredOperator& op, const double* b, double* x,
                         const SolverConfig& cfg);

}  // namespace heatop::solve
