#include "optimize/fv_objective.hpp"

#include <memory>
#include <stdexcept>

#include "fv/system.hpp"

namespace heatop::optimize {

model::Design design_on_grid(model::Design d, const FvObjectiveOptions& opt) {
  d.grid.nx = opt.nx;
  d.grid.ny = opt.ny;
  d.grid.nz = opt.nz;
  d.grid.x_nodes.clear();
  d.grid.y_nodes.clear();
  d.grid.z_nodes.clear();
  for (auto& l : d.layers) l.cells = 0;
  return d;
}

double fv_peak(const PlacementProblem& prob, const Placement& p, const FvObjectiveOptions& opt,
               std::vector<double>* field, std::vector<double>* warm) {
  const model::Design d = design_on_grid(prob.design_for(p), opt);
  const fv::System sys = fv::discretize(d);
  std::vector<double> t;
  if (warm && warm->size() == sys.grid.size()) {
    t = *warm;
  } else {
    t.assign(sys.grid.size(), model::reference_temperature(d));
  }
  const auto rep = solve::solve_system(*sys.op, sys.rhs.data(), t.data(), opt.solver);
  if (!rep.converged) throw std::runtime_error("FV evaluation did not converge: " + rep.summary());
  double peak = -1e300;
  for (double v : t) peak = std::max(peak, v);
  if (warm) *warm = t;
  if (field) *field = std::move(t);
  return peak;
}

BatchObjective fv_objective(const PlacementProblem& prob, const FvObjectiveOptions& opt,
                            int* count) {
  auto warm = std::make_shared<std::vector<double>>();
  return [&prob, opt, count, warm](const std::vector<Placement>& batch) {
    std::vector<double> out;
    for (const auto& p : batch) {
      out.push_back(fv_peak(prob, p, opt, nullptr, warm.get()));
      if (count) ++*count;
    }
    return out;
  };
}

}  // namespace heatop::optimize
