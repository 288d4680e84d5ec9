#include "solve/linear.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace heatop::solve {

void IdentityPreconditioner::apply(const double* r, double* z) const {
  std::memcpy(z, r, n_ * sizeof(double));
}

void SolveOptions::validate() const {
  if (!(rel_tol > 0 && rel_tol < 1))
    throw std::invalid_argument("solver.tol must lie in (0, 1), got " + std::to_string(rel_tol));
  if (max_iterations < 1)
    throw std::invalid_argument("solver.max_iterations must be >= 1, got " +
                                std::to_string(max_iterations));
  if (restart < 1)
    throw std::invalid_argument("solver.restart must be >= 1, got " + std::to_string(restart));
}

std::string SolveReport::summary() const {
  char buf[256];
  std::snprintf(buf, sizeof(buf), "%s+%s: %s after %d iterations, rel. residual %.2e, %.3f s",
                method.c_str(), preconditioner.c_str(),
                converged ? "converged" : ("NOT converged (" + reason + ")").c_str(), iterations,
                rel_residual, seconds);
  return buf;
}

double dot(std::size_t n, const double* a, const double* b) {
  double s = 0;
  const std::ptrdiff_t m = static_cast<std::ptrdiff_t>(n);
#pragma omp parallel for if (n >= kMinParallelNodes) reduction(+ : s) schedule(static)
  for (std::ptrdiff_t i = 0; i < m; ++i) s += a[i] * b[i];
  return s;
}

double LinearOperator::apply_dot(const double* x, double* y) const {
  apply(x, y);
  return dot(size(), x, y);
}

double norm2(std::size_t n, const double* a) { return std::sqrt(dot(n, a, a)); }

bool all_finite(std::size_t n, const double* a) {
  int bad = 0;
  const std::ptrdiff_t m = static_cast<std::ptrdiff_t>(n);
#pragma omp parallel for if (n >= kMinParallelNodes) reduction(+ : bad) schedule(static)
  for (std::ptrdiff_t i = 0; i < m; ++i) bad += std::isfinite(a[i]) ? 0 : 1;
  return bad == 0;
}

}  // namespace heatop::solve
