// FV reference solves and error metrics.

#include "surrogate/evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "api/solve.hpp"
#include "fv/system.hpp"
#include "solve/solver.hpp"

namespace heatop::surrogate {

field::Field3D fv_reference(const model::Design& d, const model::Grid& grid) {
  fv::System sys = fv::discretize(d, grid);
  std::vector<double> t(grid.size(), model::reference_temperature(d));
  solve::SolverConfig sc;
  sc.options.rel_tol = 1e-10;
  const solve::SolveReport rep = solve::solve_system(*sys.op, sys.rhs.data(), t.data(), sc);
  if (!rep.converged)
    throw std::runtime_error("FV reference solve of '" + d.name +
                             "' did not converge: " + rep.summary());
  api::mask_void_nodes(*sys.op, sys.op->box(), t.data());
  return field::Field3D{grid.x, grid.y, grid.z, std::move(t), "T", "K"};
}

ErrorMetrics compare(const std::vector<double>& t, const std::vector<double>& ref, double t_amb_K) {
  if (t.size() != ref.size() || t.empty())
    throw std::invalid_argument("compare: fields of different sizes");
  ErrorMetrics m;
  double num = 0, den = 0, tmax = -1e300, rmax = -1e300;
  std::size_t counted = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (std::isnan(ref[i])) continue;  // a void node (no material) of the reference
    ++counted;
    const double e = t[i] - ref[i];
    num += e * e;
    den += (ref[i] - t_amb_K) * (ref[i] - t_amb_K);
    m.max_abs_K = std::max(m.max_abs_K, std::abs(e));
    m.mape += std::abs(e) / ref[i];
    m.pape = std::max(m.pape, std::abs(e) / ref[i]);
    tmax = std::max(tmax, t[i]);
    rmax = std::max(rmax, ref[i]);
  }
  m.rel_l2_rise = std::sqrt(num / std::max(den, 1e-300));
  m.peak_err_K = tmax - rmax;
  m.mape *= 100.0 / static_cast<double>(std::max<std::size_t>(counted, 1));
  m.pape *= 100.0;
  return m;
}

}  // namespace heatop::surrogate
