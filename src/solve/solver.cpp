#include "solve/solver.hpp"

#include <chrono>
#include <memory>
#include <stdexcept>

#include "solve/krylov.hpp"

namespace heatop::solve {

void SolverConfig::validate() const {
  options.validate();
  multigrid.validate();
}

SolveReport solve_system(const fv::LayeredOperator& op, const double* b, double* x,
                         const SolverConfig& cfg) {
  cfg.validate();
  const auto t0 = std::chrono::steady_clock::now();
  FvOperator a(op);
  SolveReport rep;
  if (cfg.method == Method::multigrid) {
    Multigrid mg(op, cfg.multigrid);
    rep = mg.solve(b, x, cfg.options);
  } else {
    std::unique_ptr<Preconditioner> m;
    if (cfg.preconditioner == PreconditionerKind::multigrid)
      m = std::make_unique<Multigrid>(op, cfg.multigrid);
    else if (cfg.preconditioner == PreconditionerKind::jacobi)
      m = std::make_unique<JacobiPreconditioner>(op);
    else
      m = std::make_unique<IdentityPreconditioner>(op.size());
    rep = cfg.method == Method::cg ? cg(a, *m, b, x, cfg.options) : gmres(a, *m, b, x, cfg.options);
  }
  // Include the setup (hierarchy, factorization) in the reported time.
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

}  // namespace heatop::solve
