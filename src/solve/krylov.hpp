#pragma once
// Preconditioned conjugate gradients and right-preconditioned restarted GMRES(m). Both start
// from the x they are given (warm start) and report rather than throw on non-convergence.

#include "solve/linear.hpp"

namespace heatop::solve {

/// Solves A x = b for SPD A with an SPD preconditioner M. x holds the initial guess.
SolveReport cg(const LinearOperator& a, const Preconditioner& m, const double* b, double* x,
               const SolveOptions& opt);

/// Solves A x = b with GMRES(opt.restart), right preconditioning (A M^{-1} y = b, x = M^{-1} y).
SolveReport gmres(const LinearOperator& a, const Preconditioner& m, const double* b, double* x,
                  const SolveOptions& opt);

}  // namespace heatop::solve
