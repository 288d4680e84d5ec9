#include <chrono>
#include <cmath>
#include <vector>

#include "solve/krylov.hpp"

namespace heatop::solve {

namespace {
using Clock = std::chrono::steady_clock;

void axpy(std::size_t n, double a, const double* x, double* y) {
  const std::ptrdiff_t sn = static_cast<std::ptrdiff_t>(n);
#pragma omp parallel for if (n >= kMinParallelNodes) schedule(static)
  for (std::ptrdiff_t i = 0; i < sn; ++i) y[i] += a * x[i];
}
}  // namespace

SolveReport gmres(const LinearOperator& a, const Preconditioner& m, const double* b, double* x,
                  const SolveOptions& opt) {
  opt.validate();
  const auto t0 = Clock::now();
  const std::size_t n = a.size();
  const int mr = opt.restart;
  SolveReport rep;
  rep.method = name(kMethodNames, Method::gmres);
  rep.preconditioner = m.name();
  rep.reason = "max iterations";

  double bnorm = norm2(n, b);
  if (bnorm == 0) bnorm = 1;
  std::vector<std::vector<double>> v(mr + 1, std::vector<double>(n));
  std::vector<double> w(n), z(n);
  std::vector<double> h((mr + 1) * mr), cs(mr), sn(mr), g(mr + 1), y(mr);
  auto H = [&](int i, int j) -> double& { return h[static_cast<std::size_t>(j) * (mr + 1) + i]; };

  auto true_residual = [&](double* r) {
    a.apply(x, w.data());
    for (std::size_t i = 0; i < n; ++i) r[i] = b[i] - w[i];
    return norm2(n, r) / bnorm;
  };

  double rel = true_residual(v[0].data());
  rep.initial_rel_residual = rel;
  rep.history.push_back(rel);
  int total = 0;
  bool done = !std::isfinite(rel) || rel <= opt.rel_tol;
  if (!std::isfinite(rel)) rep.reason = "nan";
  while (!done && total < opt.max_iterations) {
    double beta = norm2(n, v[0].data());
    for (auto& e : v[0]) e /= beta;
    std::fill(g.begin(), g.end(), 0.0);
    g[0] = beta;
    int k = 0;
    for (; k < mr && total < opt.max_iterations; ++k) {
      m.apply(v[k].data(), z.data());
      a.apply(z.data(), w.data());
      // Modified Gram-Schmidt.
      for (int i = 0; i <= k; ++i) {
        H(i, k) = dot(n, w.data(), v[i].data());
        axpy(n, -H(i, k), v[i].data(), w.data());
      }
      H(k + 1, k) = norm2(n, w.data());
      if (H(k + 1, k) > 0)
        for (std::size_t i = 0; i < n; ++i) v[k + 1][i] = w[i] / H(k + 1, k);
      for (int i = 0; i < k; ++i) {  // apply earlier rotations
        const double t = cs[i] * H(i, k) + sn[i] * H(i + 1, k);
        H(i + 1, k) = -sn[i] * H(i, k) + cs[i] * H(i + 1, k);
        H(i, k) = t;
      }
      const double d = std::hypot(H(k, k), H(k + 1, k));
      cs[k] = d > 0 ? H(k, k) / d : 1.0;
      sn[k] = d > 0 ? H(k + 1, k) / d : 0.0;
      H(k, k) = d;
      H(k + 1, k) = 0;
      g[k + 1] = -sn[k] * g[k];
      g[k] = cs[k] * g[k];
      ++total;
      rel = std::abs(g[k + 1]) / bnorm;
      rep.history.push_back(rel);
      rep.iterations = total;
      if (!std::isfinite(rel)) {
        rep.reason = "nan";
        done = true;
        ++k;
        break;
      }
      if (opt.callback && !opt.callback(total, rel)) {
        rep.reason = "stopped";
        done = true;
        ++k;
        break;
      }
      if (rel <= opt.rel_tol || H(k, k) == 0) {
        ++k;
        break;
      }
    }
    // Solve the small triangular system and update x = x + M^{-1} V y.
    for (int i = k - 1; i >= 0; --i) {
      double s = g[i];
      for (int j = i + 1; j < k; ++j) s -= H(i, j) * y[j];
      y[i] = H(i, i) != 0 ? s / H(i, i) : 0.0;
    }
    std::fill(w.begin(), w.end(), 0.0);
    for (int i = 0; i < k; ++i) axpy(n, y[i], v[i].data(), w.data());
    m.apply(w.data(), z.data());
    axpy(n, 1.0, z.data(), x);
    rel = true_residual(v[0].data());
    if (!std::isfinite(rel)) {
      rep.reason = "nan";
      done = true;
    } else if (rel <= opt.rel_tol) {
      rep.converged = true;
      rep.reason = "converged";
      done = true;
    }
  }
  if (!rep.converged && rep.iterations == 0 && rel <= opt.rel_tol) {
    rep.converged = true;
    rep.reason = "converged";
  }
  rep.rel_residual = rel;
  rep.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return rep;
}

}  // namespace heatop::solve
