#pragma once
// One entry point that picks a method and a preconditioner (kMethodNames, kPreconditionerNames
// in linear.hpp: cg | gmres | multigrid and multigrid | jacobi | none).

#include "fv/operator.hpp"
#include "solve/linear.hpp"
#include "solve/multigrid.hpp"

namespace heatop::solve {

struct SolverConfig {
  Method method = Method::cg;
  PreconditionerKind preconditioner = PreconditionerKind::multigrid;  // of cg and gmres
  SolveOptions options;
  MultigridOptions multigrid;
  /// Throws std::invalid_argument naming the bad field.
  void validate() const;
};

/// Solves A x = b for the finite-volume operator; x holds the initial guess.
SolveReport solve_system(const fv::LayeredOperator& op, const double* b, double* x,
                         const SolverConfig& cfg);

}  // namespace heatop::solve
