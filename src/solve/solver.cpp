#include "solve/solver.hpp"

#include <chrono>
#include <memory>
#include <stdexcept>

#include "solve/krylov.hpp"

namespace heatop::solve {

void SolverConfig::validate() const {
  if (method != "cg" && method != "gmres" && method != "multigrid")
    throw std::invalid_argument("solver.method: unknown value '" + method +
                                "'; valid: cg, gmres, multigrid");
  if (preconditioner != "multigrid" && preconditioner != "jacobi" && preconditioner != "none")
    throw std::invalid_argument("solver.preconditioner: unknown value '" + preconditioner +
                                "'; valid: multigrid, jacobi, none");
  options.validate();
  multigrid.validate();
}

SolveReport solve_system(const fv::LayeredOperator& op, const double* b, double* x,
                         const SolverConfig& cfg) {
  cfg.validate();
  const auto t0 = std::chrono::steady_clock::now();
  FvOperator a(op);
  SolveReport rep;
  if (cfg.method == "multigrid") {
    Multigrid mg(op, cfg.multigrid);
    rep = mg.solve(b, x, cfg.options);
  } else {
    std::unique_ptr<Preconditioner> m;
    if (cfg.preconditioner == "multigrid")
      m = std::make_unique<Multigrid>(op, cfg.multigrid);
    else if (cfg.preconditioner == "jacobi")
      m = std::make_unique<JacobiPreconditioner>(op);
    else
      m = std::make_unique<IdentityPreconditioner>(op.size());
    rep = cfg.method == "cg" ? cg(a, *m, b, x, cfg.options) : gmres(a, *m, b, x, cfg.options);
  }
  // Include the setup (hierarchy, factorization) in the reported time.
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

}  // namespace heatop::solve
