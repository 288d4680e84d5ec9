#include "solve/fv_solver.hpp"

#include <chrono>

#include "solve/krylov.hpp"

namespace heatop::solve {

namespace {

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

FvSolver::FvSolver(const fv::LayeredOperator& op, SolverConfig cfg)
    : op_(op), cfg_(std::move(cfg)) {
  cfg_.validate();
  const auto t0 = std::chrono::steady_clock::now();
  if (cfg_.method == Method::multigrid || cfg_.preconditioner == PreconditionerKind::multigrid)
    pre_ = std::make_unique<Multigrid>(op_, cfg_.multigrid);
  else if (cfg_.preconditioner == PreconditionerKind::jacobi)
    pre_ = std::make_unique<JacobiPreconditioner>(op_);
  else
    pre_ = std::make_unique<IdentityPreconditioner>(op_.size());
  setup_seconds_ = since(t0);
}

FvSolver::~FvSolver() = default;

void FvSolver::update_capacity_shift() {
  const auto t0 = std::chrono::steady_clock::now();
  if (auto* mg = dynamic_cast<Multigrid*>(pre_.get()))
    mg->update_capacity_shift();
  else if (cfg_.preconditioner == PreconditionerKind::jacobi && cfg_.method != Method::multigrid)
    pre_ = std::make_unique<JacobiPreconditioner>(op_);
  setup_seconds_ += since(t0);
}

const Multigrid* FvSolver::multigrid() const { return dynamic_cast<const Multigrid*>(pre_.get()); }

SolveReport FvSolver::solve(const double* b, double* x) const { return solve(b, x, cfg_.options); }

SolveReport FvSolver::solve(const double* b, double* x, const SolveOptions& options) const {
  options.validate();
  const auto t0 = std::chrono::steady_clock::now();
  SolveReport rep;
  if (cfg_.method == Method::multigrid) {
    rep = multigrid()->solve(b, x, options);
  } else {
    FvOperator a(op_);
    rep = cfg_.method == Method::cg ? cg(a, *pre_, b, x, options, &work_)
                                    : gmres(a, *pre_, b, x, options);
  }
  rep.seconds = since(t0);
  ++solves_;
  return rep;
}

}  // namespace heatop::solve
