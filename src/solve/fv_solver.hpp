#pragma once
// A reusable solver for one finite-volume operator: the preconditioner (the multigrid hierarchy
// with its rediscretized levels and coarse factorization, or Jacobi) is built once, then any
// number of right-hand sides are solved with it. Placement search, trust checks, evaluation of
// many maps and time stepping reuse it when only the power changes.

#include <memory>

#include "solve/krylov.hpp"
#include "solve/solver.hpp"

namespace heatop::solve {

class FvSolver {
 public:
  /// Builds the preconditioner of cfg for `op`, which must outlive this object.
  FvSolver(const fv::LayeredOperator& op, SolverConfig cfg);
  ~FvSolver();
  FvSolver(const FvSolver&) = delete;
  FvSolver& operator=(const FvSolver&) = delete;

  /// Solves A x = b from the x given, with the configuration's options. The report's seconds
  /// count this solve only (setup_seconds() holds the one-time setup). The solver keeps its work
  /// vectors (the multigrid levels', CG's) between solves: one solve at a time per solver.
  SolveReport solve(const double* b, double* x) const;
  /// The same with other options (tolerance, iteration limit, callback).
  SolveReport solve(const double* b, double* x, const SolveOptions& options) const;

  /// Transient runs: takes over the operator's current capacity shift (a in A + a C) in the
  /// preconditioner (multigrid coarse levels and coarse factorization, or Jacobi's diagonal)
  /// without rebuilding the hierarchy. Call after op.set_capacity_shift().
  void update_capacity_shift();

  /// The multigrid hierarchy when the configuration uses one (method or preconditioner), else
  /// null: error estimates can run V-cycles on it.
  const Multigrid* multigrid() const;
  const fv::LayeredOperator& op() const { return op_; }
  const SolverConfig& config() const { return cfg_; }
  double setup_seconds() const { return setup_seconds_; }
  /// Right-hand sides solved so far.
  int solves() const { return solves_; }

 private:
  const fv::LayeredOperator& op_;
  SolverConfig cfg_;
  std::unique_ptr<Preconditioner> pre_;
  mutable KrylovWorkspace work_;  // CG's vectors, kept between solves
  double setup_seconds_ = 0;
  mutable int solves_ = 0;
};

}  // namespace heatop::solve
