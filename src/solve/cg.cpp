#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include "solve/krylov.hpp"

namespace heatop::solve {

namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}
}  // namespace

double* KrylovWorkspace::vector(std::size_t i, std::size_t n) {
  if (!v_.empty() && v_.front().size() != n) v_.clear();
  while (v_.size() <= i) v_.emplace_back(n);
  return v_[i].data();
}

SolveReport cg(const LinearOperator& a, const Preconditioner& m, const double* b, double* x,
               const SolveOptions& opt, KrylovWorkspace* work) {
  opt.validate();
  const auto t0 = Clock::now();
  const std::size_t n = a.size();
  const std::ptrdiff_t sn = static_cast<std::ptrdiff_t>(n);
  SolveReport rep;
  rep.method = name(kMethodNames, Method::cg);
  rep.preconditioner = m.name();
  KrylovWorkspace local;
  KrylovWorkspace& ws = work ? *work : local;
  // z = M r and q = A p share a vector: q is last read by r's update, before the preconditioner
  // writes z, and z last by p's update, before the next product writes q. Three work vectors
  // besides x instead of four (8 bytes less per node).
  double *r = ws.vector(0, n), *p = ws.vector(1, n), *z = ws.vector(2, n), *q = z;

  double bnorm = norm2(n, b);
  if (bnorm == 0) bnorm = 1;  // b = 0: measure the absolute residual
  a.apply(x, q);
#pragma omp parallel for if (n >= kMinParallelNodes) schedule(static)
  for (std::ptrdiff_t i = 0; i < sn; ++i) r[i] = b[i] - q[i];
  double rel = norm2(n, r) / bnorm;
  const double* wts = opt.residual_weights;
  auto weighted_max = [&]() {
    double m = 0;
#pragma omp parallel for if (n >= kMinParallelNodes) reduction(max : m) schedule(static)
    for (std::ptrdiff_t i = 0; i < sn; ++i) m = std::max(m, wts[i] * std::abs(r[i]));
    return m;
  };
  rep.initial_rel_residual = rel;
  rep.history.push_back(rel);
  if (!std::isfinite(rel)) {
    rep.reason = "nan";
    rep.rel_residual = rel;
    rep.seconds = seconds_since(t0);
    return rep;
  }
  if (rel <= opt.rel_tol || (wts && weighted_max() <= opt.weighted_tol)) {
    rep.converged = true;
    rep.reason = "converged";
    rep.rel_residual = rel;
    rep.seconds = seconds_since(t0);
    return rep;
  }
  m.apply(r, z);
  double rz = 0;
#pragma omp parallel for if (n >= kMinParallelNodes) reduction(+ : rz) schedule(static)
  for (std::ptrdiff_t i = 0; i < sn; ++i) {
    p[i] = z[i];
    rz += r[i] * z[i];
  }
  rep.reason = "max iterations";
  for (int it = 1; it <= opt.max_iterations; ++it) {
    const double pq = a.apply_dot(p, q);
    if (!(pq > 0) || !std::isfinite(pq)) {
      rep.reason = std::isfinite(pq) ? "breakdown (operator or preconditioner not SPD)" : "nan";
      break;
    }
    const double alpha = rz / pq;
    double rr = 0;
#pragma omp parallel for if (n >= kMinParallelNodes) reduction(+ : rr) schedule(static)
    for (std::ptrdiff_t i = 0; i < sn; ++i) {
      x[i] += alpha * p[i];
      r[i] -= alpha * q[i];
      rr += r[i] * r[i];
    }
    rel = std::sqrt(rr) / bnorm;
    rep.iterations = it;
    rep.history.push_back(rel);
    if (!std::isfinite(rel)) {
      rep.reason = "nan";
      break;
    }
    if (opt.callback && !opt.callback(it, rel)) {
      rep.reason = "stopped";
      break;
    }
    if (rel <= opt.rel_tol || (wts && weighted_max() <= opt.weighted_tol)) {
      rep.converged = true;
      rep.reason = "converged";
      break;
    }
    m.apply(r, z);
    const double rz_new = dot(n, r, z);
    const double beta = rz_new / rz;
    rz = rz_new;
#pragma omp parallel for if (n >= kMinParallelNodes) schedule(static)
    for (std::ptrdiff_t i = 0; i < sn; ++i) p[i] = z[i] + beta * p[i];
  }
  // Report the true residual, not the recursively updated one.
  a.apply(x, q);
#pragma omp parallel for if (n >= kMinParallelNodes) schedule(static)
  for (std::ptrdiff_t i = 0; i < sn; ++i) r[i] = b[i] - q[i];
  rep.rel_residual = norm2(n, r) / bnorm;
  if (!std::isfinite(rep.rel_residual)) {
    rep.converged = false;
    rep.reason = "nan";
  } else if (rep.converged && rep.rel_residual > 10 * opt.rel_tol &&
             !(wts && weighted_max() <= 10 * opt.weighted_tol)) {
    rep.converged = false;
    rep.reason = "true residual above tolerance (loss of accuracy)";
  }
  rep.seconds = seconds_since(t0);
  return rep;
}

}  // namespace heatop::solve
