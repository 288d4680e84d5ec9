#include "trust/confidence.hpp"

#include <chrono>
#include <cmath>
#include <memory>
#include <stdexcept>

#include "solve/multigrid.hpp"

namespace heatop::trust {

void ConfidenceOptions::validate() const {
  if (!(tolerance_K > 0) || !std::isfinite(tolerance_K))
    throw std::invalid_argument("confidence tolerance must be a positive number of kelvin, got " +
                                std::to_string(tolerance_K));
  if (cycles < 1 || cycles > 100)
    throw std::invalid_argument("confidence cycles must lie in 1..100, got " +
                                std::to_string(cycles));
  if (fine_sweeps < 0 || fine_sweeps > 4)
    throw std::invalid_argument("confidence fine sweeps must lie in 0..4, got " +
                                std::to_string(fine_sweeps));
}

double confidence_score(double e, double tol) {
  if (!std::isfinite(e)) return 0.0;
  const double q = e / tol;
  return 1.0 / (1.0 + q * q);
}

Confidence estimate_confidence(const fv::System& sys, const std::vector<double>& t,
                               const ConfidenceOptions& opt, const solve::Multigrid* reuse) {
  opt.validate();
  const auto& op = *sys.op;
  const std::size_t n = op.size();
  if (t.size() != n)
    throw std::invalid_argument("estimate_confidence: the field has " + std::to_string(t.size()) +
                                " values but the grid has " + std::to_string(n) + " nodes");
  Confidence c;
  c.tolerance_K = opt.tolerance_K;
  c.method = opt.method;
  std::unique_ptr<solve::Multigrid> own;
  if (!reuse) own = std::make_unique<solve::Multigrid>(op);
  const solve::Multigrid& mg = reuse ? *reuse : *own;
  // Without the field, the coarse estimate's e is interpolated one x row at a time and reduced
  // at once (never stored); otherwise e is formed whole first.
  const bool by_rows = !opt.error_field && opt.method == ErrorEstimate::coarse &&
                       opt.fine_sweeps == 0 && mg.levels() >= 2;
  std::vector<double> e;
  if (by_rows) {
    mg.coarse_solve(sys.rhs.data(), t.data(), &c.rel_residual);
  } else {
    e.assign(n, 0.0);
    if (opt.method == ErrorEstimate::coarse) {
      // The smooth part of e, which is what decides the max error of a smooth prediction: the
      // next level's V-cycle on the restricted residual, interpolated; with fine_sweeps, the
      // grid-scale part too.
      mg.coarse_correction(sys.rhs.data(), t.data(), e.data(), &c.rel_residual, opt.fine_sweeps);
    } else {
      // e <- e + V(r - A e), a few times: multigrid as a stand-alone solver on A e = r.
      std::vector<double> r(n), d(n), ar(n);
      op.residual(sys.rhs.data(), t.data(), r.data());
      const double bn = solve::norm2(n, sys.rhs.data());
      c.rel_residual = solve::norm2(n, r.data()) / (bn > 0 ? bn : 1.0);
      for (int it = 0; it < opt.cycles; ++it) {
        op.residual(r.data(), e.data(), ar.data());
        mg.apply(ar.data(), d.data());
        for (std::size_t p = 0; p < n; ++p) e[p] += d[p];
      }
    }
  }
  c.fine_sweeps = opt.method == ErrorEstimate::coarse ? opt.fine_sweeps : 0;
  // Max and mean of |e| over material nodes, per x plane in parallel and then combined in plane
  // order, so the result does not depend on the thread count. A NaN is kept as the maximum.
  struct Plane {
    double max = -1, sum = 0;
    std::size_t at = 0, count = 0;
  };
  std::vector<Plane> planes(op.nx());
  // With footprints, void nodes are left out by the operator's active mask.
  const unsigned char* active = op.has_footprints() ? op.active_mask().data() : nullptr;
  const std::size_t nyz = static_cast<std::size_t>(op.ny()) * op.nz();
#pragma omp parallel if (n >= fv::kMinParallelNodes)
  {
    std::vector<double> row(by_rows ? nyz : 0);
#pragma omp for schedule(static)
    for (int i = 0; i < op.nx(); ++i) {
      Plane& pl = planes[i];
      const std::size_t p0 = static_cast<std::size_t>(i) * nyz;
      const double* ei = e.data() + (by_rows ? 0 : p0);
      if (by_rows) {
        mg.prolong_row(i, row.data());
        ei = row.data();
      }
      // Vector passes over the plane (the sum carries a NaN), the location found after.
      const unsigned char* act = active ? active + p0 : nullptr;
      double sum = 0, mx = 0;
      std::size_t count = nyz;
      if (!act) {
#pragma omp simd reduction(+ : sum) reduction(max : mx)
        for (std::size_t q = 0; q < nyz; ++q) {
          const double a = std::abs(ei[q]);
          sum += a;
          mx = std::max(mx, a);
        }
      } else {
        count = 0;
#pragma omp simd reduction(+ : sum, count) reduction(max : mx)
        for (std::size_t q = 0; q < nyz; ++q) {
          const double a = act[q] ? std::abs(ei[q]) : 0.0;
          sum += a;
          mx = std::max(mx, a);
          count += act[q];
        }
      }
      pl.sum = sum;
      pl.count = count;
      if (count == 0) continue;
      const bool nan = std::isnan(sum);  // a NaN: report the first
      for (std::size_t q = 0; q < nyz; ++q) {
        if (act && !act[q]) continue;
        const double a = std::abs(ei[q]);
        if (nan ? std::isnan(a) : a == mx) {
          pl.max = a;
          pl.at = p0 + q;
          break;
        }
      }
    }
  }
  double emax = -1, esum = 0;
  std::size_t count = 0, pmax = 0;
  for (const Plane& pl : planes) {
    if (pl.count && (pl.max > emax || (std::isnan(pl.max) && !std::isnan(emax))))
      emax = pl.max, pmax = pl.at;
    esum += pl.sum;
    count += pl.count;
  }
  if (count) {
    const int i = static_cast<int>(pmax / nyz), j = static_cast<int>(pmax % nyz / op.nz()),
              k = static_cast<int>(pmax % op.nz());
    c.est_max_at_m = {op.x()[i], op.y()[j], op.z()[k]};
  }
  c.est_max_error_K = emax;
  c.est_mean_error_K = count ? esum / count : 0.0;
  c.score = confidence_score(emax, opt.tolerance_K);
  c.trusted = std::isfinite(emax) && emax <= opt.tolerance_K;
  c.error_field = std::move(e);  // empty when not kept
  return c;
}

ConfidenceChecker::ConfidenceChecker(const model::Design& base, const model::Grid& grid,
                                     const ConfidenceOptions& opt)
    : opt_(opt) {
  opt_.validate();
  const auto t0 = std::chrono::steady_clock::now();
  sys_ = fv::discretize(base, grid);
  mg_ = std::make_unique<solve::Multigrid>(*sys_.op);
  setup_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

ConfidenceChecker::~ConfidenceChecker() = default;

Confidence ConfidenceChecker::check(const model::Design& design, const std::vector<double>& t) {
  fv::set_power(sys_, design);
  return estimate_confidence(sys_, t, opt_, mg_.get());
}

namespace {

void check_refine_method(solve::Method m) {
  const char* n = name(solve::kMethodNames, m);
  if (!find(kRefineMethodNames, n))
    throw std::invalid_argument("refine: " + unknown_name_message(kRefineMethodNames, n));
}

}  // namespace

RefineResult refine(const fv::System& sys, std::vector<double>& t, const solve::SolverConfig& cfg,
                    double cold_start_K) {
  check_refine_method(cfg.method);
  RefineResult res;
  if (cold_start_K > 0) {
    std::vector<double> cold(t.size(), cold_start_K);
    res.cold = solve::solve_system(*sys.op, sys.rhs.data(), cold.data(), cfg);
    res.has_cold = true;
  }
  res.warm = solve::solve_system(*sys.op, sys.rhs.data(), t.data(), cfg);
  return res;
}

solve::SolveReport refine(const fv::System& sys, std::vector<double>& t,
                          const solve::FvSolver& solver) {
  if (t.size() != sys.rhs.size())
    throw std::invalid_argument("refine: the field has " + std::to_string(t.size()) +
                                " values but the grid has " + std::to_string(sys.rhs.size()) +
                                " nodes");
  return solver.solve(sys.rhs.data(), t.data());
}

RefineToErrorResult refine_to_error(const fv::System& sys, std::vector<double>& t,
                                    const solve::SolverConfig& cfg, double tol_K,
                                    double cold_start_K) {
  if (!(tol_K > 0)) throw std::invalid_argument("refinement tolerance must be > 0 K");
  check_refine_method(cfg.method);
  const auto t0 = std::chrono::steady_clock::now();
  RefineToErrorResult r;
  // One solver, so one multigrid hierarchy serves every stage's solve and estimate and the
  // cold comparison.
  const solve::FvSolver solver(*sys.op, cfg);
  r.setup_seconds = solver.setup_seconds();
  ConfidenceOptions co;
  co.tolerance_K = tol_K;
  co.method = ErrorEstimate::vcycles;  // it decides when to stop: the accurate estimate
  double est = estimate_confidence(sys, t, co, solver.multigrid()).est_max_error_K;
  double rel = 1e-4;
  while (!(est <= tol_K) && rel >= 1e-12) {
    solve::SolveOptions o = cfg.options;
    o.rel_tol = rel;
    const auto rep = solver.solve(sys.rhs.data(), t.data(), o);
    r.iterations += rep.iterations;
    r.solve_seconds += rep.seconds;
    r.rel_tol_reached = rel;
    est = estimate_confidence(sys, t, co, solver.multigrid()).est_max_error_K;
    rel *= 1e-2;
  }
  r.est_max_error_K = est;
  r.reached = est <= tol_K;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (cold_start_K > 0) {
    std::vector<double> cold(t.size(), cold_start_K);
    solve::SolveOptions o = cfg.options;
    o.rel_tol = r.rel_tol_reached > 0 ? r.rel_tol_reached : 1e-4;
    r.cold = solver.solve(sys.rhs.data(), cold.data(), o);  // the same set-up: solve time only
    r.has_cold = true;
  }
  return r;
}

}  // namespace heatop::trust
