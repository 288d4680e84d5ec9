#pragma once
// Preconditioned conjugate gradients and right-preconditioned restarted GMRES(m). Both start
// from the x they are given (warm start) and report rather than throw on non-convergence.

#include <vector>

#include "solve/linear.hpp"

namespace heatop::solve {

/// Work vectors that a caller solving many systems of one size keeps between solves, so that
/// each solve neither allocates nor faults in fresh pages (a 4 MB vector is a fresh mapping for
/// glibc's allocator after every free). One solve at a time per workspace.
class KrylovWorkspace {
 public:
  /// Vector i of n doubles: allocated (uninitialized) on first use or when n changes, else the
  /// same memory as in the previous solve.
  double* vector(std::size_t i, std::size_t n);

 private:
  std::vector<Workspace> v_;
};

/// Solves A x = b for SPD A with an SPD preconditioner M. x holds the initial guess. `work`, if
/// given, holds the three work vectors between calls.
SolveReport cg(const LinearOperator& a, const Preconditioner& m, const double* b, double* x,
               const SolveOptions& opt, KrylovWorkspace* work = nullptr);

/// Solves A x = b with GMRES(opt.restart), right preconditioning (A M^{-1} y = b, x = M^{-1} y).
SolveReport gmres(const LinearOperator& a, const Preconditioner& m, const double* b, double* x,
                  const SolveOptions& opt);

}  // namespace heatop::solve
