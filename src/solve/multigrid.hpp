#pragma once
// Geometric multigrid for the layered finite-volume operator, robust on thin, high-contrast
// layers: z-line relaxation (a tridiagonal solve per (x, y) column, red-black over columns)
// combined with coarsening in x and y only. Every level is the finite-volume operator
// rediscretized on a subset of the x and y nodes with the same z nodes and materials, so the
// layer structure and the conductance contrasts are preserved exactly on every level; the z
// direction, where cells are thin and couplings strong, is solved exactly by the smoother.
// Transfer: bilinear interpolation in (x, y), restriction its transpose. The coarsest level is
// solved directly (banded Cholesky). Usable as CG/GMRES preconditioner (the V-cycle is symmetric)
// and as a stand-alone solver.
// Memory traffic decides the speed on large grids: the red-black sweep runs as a wavefront over
// x rows (one read of the level per sweep), the line matrices of operators without footprints
// are factored once per column class (fv::LayeredOperator::AxisTerms), and the restriction
// computes the residual row by row, so no level stores a whole residual vector.

#include <memory>
#include <vector>

#include "fv/operator.hpp"
#include "solve/linear.hpp"

namespace heatop::solve {

struct MultigridOptions {
  int pre_smooth = 1;           // red-black z-line sweeps before the coarse correction
  int post_smooth = 1;          // ... and after (reverse colour order, keeps the cycle symmetric)
  int max_coarse_columns = 16;  // stop coarsening when nx * ny is at most this
  int max_levels = 30;
  void validate() const;
};

/// Adapts an fv::LayeredOperator to the solver interface.
class FvOperator : public LinearOperator {
 public:
  explicit FvOperator(const fv::LayeredOperator& op) : op_(op) {}
  std::size_t size() const override { return op_.size(); }
  void apply(const double* x, double* y) const override { op_.apply(x, y); }
  double apply_dot(const double* x, double* y) const override { return op_.apply_dot(x, y); }

 private:
  const fv::LayeredOperator& op_;
};

class JacobiPreconditioner : public Preconditioner {
 public:
  explicit JacobiPreconditioner(const fv::LayeredOperator& op);
  void apply(const double* r, double* z) const override;
  std::string name() const override {
    return heatop::name(kPreconditionerNames, PreconditionerKind::jacobi);
  }

 private:
  std::vector<double> inv_diag_;
};

class Multigrid : public Preconditioner {
 public:
  /// Keeps a reference to `fine`, which must outlive this object.
  Multigrid(const fv::LayeredOperator& fine, MultigridOptions opt = {});
  ~Multigrid() override;

  /// One V-cycle from a zero initial guess: z = V(r).
  void apply(const double* r, double* z) const override;
  std::string name() const override {
    return heatop::name(kPreconditionerNames, PreconditionerKind::multigrid);
  }

  /// The coarse part of a V-cycle on A e = b - A x from e = 0, without the finest level's
  /// smoothing: z = P V(R (b - A x)), with V the cycle of the next level. About a quarter of
  /// apply()'s work, and the residual is never stored: it is restricted row by row. With
  /// fine_sweeps > 0, that many red-black z-line sweeps on A e = b - A x follow on the finest
  /// level, from z (the residual is then formed once more and stored): the grid-scale part of
  /// e, which the next level cannot hold. Returns ||b - A x||; with rel_residual, also
  /// ||b - A x|| / ||b|| (1 for b = 0 as denominator).
  double coarse_correction(const double* b, const double* x, double* z,
                           double* rel_residual = nullptr, int fine_sweeps = 0) const;

  /// coarse_correction in two parts, for a caller that wants z row by row without storing it
  /// (the trust layer's statistics of e): coarse_solve restricts b - A x and runs the next
  /// level's V-cycle, leaving its solution on that level (returns ||b - A x||, rel_residual as
  /// above); prolong_row then writes x row i of P times it (ny * nz values, the fine layout)
  /// into `row`, and may be called from several threads at once. Valid until the next call of
  /// any other member. Needs levels() >= 2 (a one-level hierarchy solves directly: use
  /// coarse_correction).
  double coarse_solve(const double* b, const double* x, double* rel_residual = nullptr) const;
  void prolong_row(int i, double* row) const;

  /// Stand-alone solver: V-cycles on A x = b from the given x.
  SolveReport solve(const double* b, double* x, const SolveOptions& opt) const;

  /// Transient runs: takes over the fine operator's current capacity shift (a in A + a C) on
  /// every coarse level and refactors the coarsest one, without rebuilding the hierarchy.
  void update_capacity_shift();

  int levels() const;
  /// Lateral node counts per level, finest first (for reports).
  std::vector<std::pair<int, int>> level_sizes() const;

 private:
  struct Level;
  void vcycle(std::size_t l) const;
  /// Level l + 1's right-hand side: the restriction of level l's residual b - A x. With row_r2
  /// and row_b2 (nx values each), also the squared norms of the residual and of b per x row.
  void restrict_residual(std::size_t l, double* row_r2, double* row_b2) const;
  /// Level l's x += P (level l + 1's x); x = P (...) when assign.
  void prolong(std::size_t l, bool assign) const;
  void prolong_row(std::size_t l, int i, double* row, bool assign) const;
  /// Red-black z-line sweeps; zero_start: the level's x is taken as 0 (and need not be set).
  void smooth(std::size_t l, int sweeps, bool forward, bool zero_start) const;
  void relax_row(std::size_t l, int i, int colour, bool zero_start, double* work) const;
  void factor_coarsest();
  void factor_lines();
  void factor_line_classes();
  MultigridOptions opt_;
  bool cache_lines_ = false;
  std::vector<std::unique_ptr<Level>> levels_;
};

}  // namespace heatop::solve
