#pragma once
// Small interfaces of the linear solvers: an operator applies, a preconditioner applies, a solver
// takes both plus options and returns a report. Vectors are contiguous arrays of size().

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fv/operator.hpp"
#include "model/names.hpp"

namespace heatop::solve {

using fv::kMinParallelNodes;

/// solver.method: how A x = b is solved.
enum class Method { cg, gmres, multigrid };
inline constexpr NameTable<Method, 3> kMethodNames{
    {{Method::cg, "cg",
      "conjugate gradients (the operator is symmetric positive definite), preconditioned by "
      "`solver.preconditioner`"},
     {Method::gmres, "gmres",
      "restarted GMRES(m), m = `solver.restart`, preconditioned by `solver.preconditioner`"},
     {Method::multigrid, "multigrid",
      "stand-alone multigrid V-cycles (`solver.preconditioner` does not apply)"}}};

/// solver.preconditioner of cg and gmres.
enum class PreconditionerKind { multigrid, jacobi, none };
inline constexpr NameTable<PreconditionerKind, 3> kPreconditionerNames{
    {{PreconditionerKind::multigrid, "multigrid",
      "one geometric multigrid V-cycle (z-line relaxation, x/y coarsening)"},
     {PreconditionerKind::jacobi, "jacobi", "the inverse of the operator's diagonal"},
     {PreconditionerKind::none, "none", "no preconditioning"}}};

class LinearOperator {
 public:
  virtual ~LinearOperator() = default;
  virtual std::size_t size() const = 0;
  /// y = A x
  virtual void apply(const double* x, double* y) const = 0;
  /// y = A x, returning x . y (operators may fuse the two passes into one).
  virtual double apply_dot(const double* x, double* y) const;
};

/// n doubles left uninitialized when allocated, so that the pages of a large vector are first
/// touched by the parallel loop that writes it rather than zero-filled by one thread.
class Workspace {
 public:
  explicit Workspace(std::size_t n) : data_(new double[n]), n_(n) {}
  double* data() { return data_.get(); }
  const double* data() const { return data_.get(); }
  double& operator[](std::size_t i) { return data_[i]; }
  double operator[](std::size_t i) const { return data_[i]; }
  std::size_t size() const { return n_; }

 private:
  std::unique_ptr<double[]> data_;
  std::size_t n_;
};

class Preconditioner {
 public:
  virtual ~Preconditioner() = default;
  /// z ~= A^{-1} r. Must be linear and, for CG, symmetric positive definite.
  virtual void apply(const double* r, double* z) const = 0;
  virtual std::string name() const = 0;
};

/// The identity, for unpreconditioned runs.
class IdentityPreconditioner : public Preconditioner {
 public:
  explicit IdentityPreconditioner(std::size_t n) : n_(n) {}
  void apply(const double* r, double* z) const override;
  std::string name() const override {
    return heatop::name(kPreconditionerNames, PreconditionerKind::none);
  }

 private:
  std::size_t n_;
};

/// Called after each iteration with (iteration, relative residual); return false to stop.
using IterationCallback = std::function<bool(int, double)>;

struct SolveOptions {
  double rel_tol = 1e-8;     // stop when ||b - A x|| / ||b|| <= rel_tol
  int max_iterations = 500;  // per solve (GMRES: inner iterations in total)
  int restart = 30;          // GMRES(m) restart length
  IterationCallback callback;
  /// CG only: a second stopping test, max_i weights[i] |r_i| <= weighted_tol (with weights =
  /// 1 / (A 1) for an M-matrix this bounds the error max_i |x_i - x*_i|). Null: off.
  const double* residual_weights = nullptr;
  double weighted_tol = 0;
  /// Throws std::invalid_argument naming the bad field.
  void validate() const;
};

struct SolveReport {
  std::string method;          // a name of kMethodNames ("cg", "gmres", "multigrid")
  std::string preconditioner;  // a name of kPreconditionerNames ("multigrid", "jacobi", "none")
  bool converged = false;
  int iterations = 0;
  double rel_residual = 0;  // true final relative residual ||b - A x|| / ||b||
  double initial_rel_residual = 0;
  std::vector<double> history;  // relative residual per iteration (entry 0 = initial)
  double seconds = 0;
  std::string reason;  // "converged", "max iterations", "nan", "breakdown", "stopped"
  /// One line: "cg+multigrid: converged in 9 iterations, rel. residual 3.1e-09, 0.42 s".
  std::string summary() const;
};

// Vector helpers (OpenMP; reductions are deterministic for a fixed thread count).
double dot(std::size_t n, const double* a, const double* b);
double norm2(std::size_t n, const double* a);
bool all_finite(std::size_t n, const double* a);

}  // namespace heatop::solve
