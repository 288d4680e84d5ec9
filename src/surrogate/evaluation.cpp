// FV reference solves and error metrics.

#include "surrogate/evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

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
  return field::Field3D{grid.x, grid.y, grid.z, std::move(t), "T", "K"};
}

ErrorMetrics compare(const std::vector<double>& t, const std::vector<double>& ref, double t_amb_K) {
  if (t.size() != ref.size() || t.empty())
    throw std::invalid_argument("compare: fields of different sizes");
  ErrorMetrics m;
  double num = 0, den = 0, tmax = -1e300, rmax = -1e300;
  for (std::size_t i = 0; i < t.size(); ++i) {
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
  m.mape *= 100.0 / t.size();
  m.pape *= 100.0;
  return m;
}

}  // namespace heatop::surrogate
