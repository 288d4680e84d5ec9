#include "optimize/fv_objective.hpp"

#include <memory>
#include <stdexcept>

#include "fv/system.hpp"

namespace heatop::optimize {

bool same_setup(const FvObjectiveOptions& a, const FvObjectiveOptions& b) {
  const solve::SolverConfig &sa = a.solver, &sb = b.solver;
  return a.nx == b.nx && a.ny == b.ny && a.nz == b.nz && sa.method == sb.method &&
         sa.preconditioner == sb.preconditioner && sa.options.rel_tol == sb.options.rel_tol &&
         sa.options.max_iterations == sb.options.max_iterations &&
         sa.options.restart == sb.options.restart &&
         sa.multigrid.pre_smooth == sb.multigrid.pre_smooth &&
         sa.multigrid.post_smooth == sb.multigrid.post_smooth &&
         sa.multigrid.max_coarse_columns == sb.multigrid.max_coarse_columns &&
         sa.multigrid.max_levels == sb.multigrid.max_levels;
}

model::Design design_on_grid(model::Design d, const FvObjectiveOptions& opt) {
  if (opt.nx == 0 && opt.ny == 0 && opt.nz == 0) return d;  // the design's own grid
  d.grid.nx = opt.nx;
  d.grid.ny = opt.ny;
  d.grid.nz = opt.nz;
  d.grid.x_nodes.clear();
  d.grid.y_nodes.clear();
  d.grid.z_nodes.clear();
  for (auto& l : d.layers) l.cells = 0;
  return d;
}

FvEvaluator::FvEvaluator(const PlacementProblem& prob, const FvObjectiveOptions& opt)
    : prob_(prob), opt_(opt) {
  const model::Design d = design_for(prob.corner_packed());
  sys_ = fv::discretize(d);
  solver_ = std::make_unique<solve::FvSolver>(*sys_.op, opt_.solver);
}

model::Design FvEvaluator::design_for(const Placement& p) const {
  return design_on_grid(prob_.design_for(p), opt_);
}

const fv::System& FvEvaluator::system_for_design(const model::Design& d) {
  fv::set_power(sys_, d);
  return sys_;
}

const fv::System& FvEvaluator::system_for(const Placement& p) {
  return system_for_design(design_for(p));
}

solve::SolveReport FvEvaluator::solve(std::vector<double>& t) {
  const auto rep = solver_->solve(sys_.rhs.data(), t.data());
  if (!rep.converged) throw std::runtime_error("FV evaluation did not converge: " + rep.summary());
  return rep;
}

double FvEvaluator::peak(const Placement& p, std::vector<double>* field,
                         std::vector<double>* warm) {
  system_for(p);
  // The solve runs in the vector that is to hold its solution (the warm start, else the field),
  // so a search's evaluations allocate nothing.
  std::vector<double>& t = warm ? *warm : field ? *field : scratch_;
  if (!(warm && warm->size() == sys_.grid.size()))
    t.assign(sys_.grid.size(), model::reference_temperature(design_for(p)));
  solve(t);
  double peak = -1e300;
  for (double v : t) peak = std::max(peak, v);
  if (warm && field) *field = t;
  return peak;
}

double fv_peak(const PlacementProblem& prob, const Placement& p, const FvObjectiveOptions& opt,
               std::vector<double>* field, std::vector<double>* warm) {
  FvEvaluator ev(prob, opt);
  return ev.peak(p, field, warm);
}

BatchObjective fv_objective(const PlacementProblem& prob, const FvObjectiveOptions& opt,
                            int* count) {
  auto warm = std::make_shared<std::vector<double>>();
  auto ev = std::make_shared<FvEvaluator>(prob, opt);
  return [ev, count, warm](const std::vector<Placement>& batch) {
    std::vector<double> out;
    for (const auto& p : batch) {
      out.push_back(ev->peak(p, nullptr, warm.get()));
      if (count) ++*count;
    }
    return out;
  };
}

}  // namespace heatop::optimize
