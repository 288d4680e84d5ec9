#include "solve/multigrid.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace heatop::solve {

namespace {

// Interpolation along one axis from a coarse subset of nodes to all fine nodes.
struct Transfer1D {
  std::vector<int> c0, c1;  // per fine node: bracketing coarse nodes
  std::vector<double> w0;   // weight of c0 (c1 gets 1 - w0)
  std::vector<std::vector<std::pair<int, double>>> contrib;  // per coarse node: (fine, weight)
};

// Coarsening along one axis: a node is dropped (its two intervals merged) when the merged
// interval is at most `h_max` and the previous node is kept; both ends and the `keep`
// coordinates (material edges, so that every level sees the same geometry) always stay.
// The caller's h_max (see the constructor) makes short intervals merge first on stretched or
// anisotropic grids: semi-coarsening in the strongly coupled direction, which point (column)
// relaxation alone cannot smooth.
Transfer1D make_transfer(const std::vector<double>& fine, const std::vector<double>& keep,
                         double h_max, std::vector<double>* coarse) {
  const int n = static_cast<int>(fine.size());
  const double tol = 1e-9 * (fine.back() - fine.front());
  auto is_kept = [&](int i) {
    for (double e : keep)
      if (std::abs(fine[i] - e) <= tol) return true;
    return false;
  };
  std::vector<int> sel{0};
  for (int i = 1; i < n - 1; ++i) {
    const bool mergeable =
        !is_kept(i) && sel.back() == i - 1 && fine[i + 1] - fine[i - 1] <= h_max * (1 + 1e-9);
    if (!mergeable) sel.push_back(i);
  }
  if (sel.back() != n - 1) sel.push_back(n - 1);
  coarse->clear();
  for (int s : sel) coarse->push_back(fine[s]);
  Transfer1D t;
  t.c0.resize(n);
  t.c1.resize(n);
  t.w0.resize(n);
  t.contrib.resize(sel.size());
  std::size_t c = 0;
  for (int i = 0; i < n; ++i) {
    while (c + 1 < sel.size() && sel[c + 1] <= i) ++c;
    if (sel[c] == i) {
      t.c0[i] = t.c1[i] = static_cast<int>(c);
      t.w0[i] = 1.0;
      t.contrib[c].push_back({i, 1.0});
    } else {
      const double xa = (*coarse)[c], xb = (*coarse)[c + 1];
      t.c0[i] = static_cast<int>(c);
      t.c1[i] = static_cast<int>(c + 1);
      t.w0[i] = (xb - fine[i]) / (xb - xa);
      t.contrib[c].push_back({i, t.w0[i]});
      t.contrib[c + 1].push_back({i, 1.0 - t.w0[i]});
    }
  }
  return t;
}

// Tridiagonal solve (Thomas); lower[0] and upper[n-1] are ignored. Overwrites rhs with x.
// Stable here: the line matrices are diagonally dominant.
void thomas(int n, const double* lower, const double* diag, const double* upper, double* rhs,
            double* work) {
  double beta = diag[0];
  rhs[0] /= beta;
  for (int k = 1; k < n; ++k) {
    work[k] = upper[k - 1] / beta;
    beta = diag[k] - lower[k] * work[k];
    rhs[k] = (rhs[k] - lower[k] * rhs[k - 1]) / beta;
  }
  for (int k = n - 2; k >= 0; --k) rhs[k] -= work[k + 1] * rhs[k + 1];
}

}  // namespace

void MultigridOptions::validate() const {
  if (pre_smooth < 0 || post_smooth < 0 || pre_smooth + post_smooth < 1)
    throw std::invalid_argument("multigrid: pre_smooth + post_smooth must be >= 1");
  if (pre_smooth != post_smooth)
    throw std::invalid_argument(
        "multigrid: pre_smooth must equal post_smooth so that the cycle is symmetric");
  if (max_coarse_columns < 4)
    throw std::invalid_argument("multigrid: max_coarse_columns must be >= 4");
}

struct Multigrid::Level {
  const fv::LayeredOperator* op = nullptr;
  std::unique_ptr<fv::LayeredOperator> owned;
  std::vector<double> x_store, b_store, r;
  double* x = nullptr;
  const double* b = nullptr;
  Transfer1D tx, ty;  // to the next coarser level
  // Coarsest level: banded Cholesky factor in the order (k, i, j), bandwidth bw.
  int bw = 0;
  std::vector<double> chol;
  std::vector<double> work;
  std::vector<double> band0;  // transient: the assembled band before factorization ...
  double band0_shift = 0;     // ... and the capacity shift it holds
  // Transient: the z-line matrices factored once per capacity shift (Thomas: the lower
  // coefficient, the eliminated upper one and the inverse pivot of every node), so that the
  // smoother does not rebuild and re-eliminate them on every sweep. Empty: not cached.
  std::vector<double> line_lo, line_up, line_inv;
};

Multigrid::Multigrid(const fv::LayeredOperator& fine, MultigridOptions opt) : opt_(opt) {
  opt_.validate();
  auto lvl = std::make_unique<Level>();
  lvl->op = &fine;
  levels_.push_back(std::move(lvl));
  while (true) {
    Level& f = *levels_.back();
    const auto& o = *f.op;
    // Material edges must stay grid lines on every level.
    std::vector<double> keep_x, keep_y;
    for (const auto& fp : o.cell_footprint())
      if (fp[2] > fp[0]) {
        keep_x.insert(keep_x.end(), {fp[0], fp[2]});
        keep_y.insert(keep_y.end(), {fp[1], fp[3]});
      }
    // Intervals merge while the merged length stays within 2x the lower-quartile interval
    // (over both lateral axes): uniform grids coarsen by 2 everywhere, graded or anisotropic
    // ones merge their short intervals first (semi-coarsening where the coupling is strong),
    // so coarse levels become progressively uniform. The quartile, not the minimum: one short
    // end interval must not stop the rest. If nothing can merge, the bound grows.
    std::vector<double> h;
    for (const auto* v : {&o.x(), &o.y()})
      for (std::size_t i = 0; i + 1 < v->size(); ++i) h.push_back((*v)[i + 1] - (*v)[i]);
    std::nth_element(h.begin(), h.begin() + h.size() / 4, h.end());
    const double span = std::max(o.x().back() - o.x().front(), o.y().back() - o.y().front());
    std::vector<double> xc = o.x(), yc = o.y();
    for (double h_max = 2 * h[h.size() / 4]; h_max <= 2 * span; h_max *= 1.5) {
      if (o.nx() > 2) f.tx = make_transfer(o.x(), keep_x, h_max, &xc);
      if (o.ny() > 2) f.ty = make_transfer(o.y(), keep_y, h_max, &yc);
      if (xc.size() < o.x().size() || yc.size() < o.y().size()) break;
    }
    const bool can_x = xc.size() < o.x().size(), can_y = yc.size() < o.y().size();
    if (static_cast<long>(o.nx()) * o.ny() <= opt_.max_coarse_columns || (!can_x && !can_y) ||
        static_cast<int>(levels_.size()) >= opt_.max_levels)
      break;
    // Identity transfer along an axis that is not coarsened.
    auto identity = [](int n) {
      Transfer1D t;
      for (int i = 0; i < n; ++i) {
        t.c0.push_back(i);
        t.c1.push_back(i);
        t.w0.push_back(1.0);
        t.contrib.push_back({{i, 1.0}});
      }
      return t;
    };
    if (!can_x) f.tx = identity(o.nx());
    if (!can_y) f.ty = identity(o.ny());
    f.r.resize(o.size());
    auto c = std::make_unique<Level>();
    if (!can_x) xc = o.x();
    if (!can_y) yc = o.y();
    c->owned = std::make_unique<fv::LayeredOperator>(xc, yc, o.z(), o.cell_kxy(), o.cell_kz(),
                                                     o.bc(), o.cell_footprint());
    if (!o.capacity_z().empty()) {  // transient: the same a C on every level
      c->owned->set_capacity(o.capacity_z());
      c->owned->set_capacity_shift(o.capacity_shift());
    }
    c->op = c->owned.get();
    c->x_store.resize(c->op->size());
    c->b_store.resize(c->op->size());
    c->r.resize(c->op->size());
    c->x = c->x_store.data();
    c->b = c->b_store.data();
    levels_.push_back(std::move(c));
  }
  factor_coarsest();
  // Transient operators change only their capacity shift between solves: cache the line
  // factorizations (3 values per node and level; steady solves keep their memory footprint).
  cache_lines_ = !fine.capacity_z().empty();
  if (cache_lines_) factor_lines();
}

void Multigrid::update_capacity_shift() {
  const double a = levels_[0]->op->capacity_shift();
  for (std::size_t l = 1; l < levels_.size(); ++l) levels_[l]->owned->set_capacity_shift(a);
  factor_coarsest();
  if (cache_lines_) factor_lines();
}

void Multigrid::factor_lines() {
  for (std::size_t l = 0; l + 1 < levels_.size(); ++l) {
    Level& L = *levels_[l];
    const auto& o = *L.op;
    const int nx = o.nx(), ny = o.ny(), nz = o.nz();
    L.line_lo.resize(o.size());
    L.line_up.resize(o.size());
    L.line_inv.resize(o.size());
#pragma omp parallel if (o.size() >= fv::kMinParallelNodes)
    {
      std::vector<double> lo(nz), di(nz), up(nz);
#pragma omp for schedule(static)
      for (int i = 0; i < nx; ++i)
        for (int j = 0; j < ny; ++j) {
          const std::size_t base = o.index(i, j, 0);
          o.line_matrix(i, j, lo.data(), di.data(), up.data());
          double* lw = L.line_lo.data() + base;
          double* uw = L.line_up.data() + base;
          double* iv = L.line_inv.data() + base;
          double beta = di[0];
          iv[0] = 1.0 / beta;
          lw[0] = uw[0] = 0.0;
          for (int k = 1; k < nz; ++k) {
            uw[k] = up[k - 1] / beta;  // the eliminated upper coefficient (Thomas' work[k])
            beta = di[k] - lo[k] * uw[k];
            lw[k] = lo[k];
            iv[k] = 1.0 / beta;
          }
        }
    }
  }
}

void Multigrid::factor_coarsest() {
  // Direct factorization of the coarsest level, assembled by probing the operator.
  Level& cl = *levels_.back();
  const auto& co = *cl.op;
  const int nx = co.nx(), ny = co.ny(), nz = co.nz();
  const int n = static_cast<int>(co.size());
  if (static_cast<double>(n) * n > 4e9)
    throw std::invalid_argument("multigrid: coarsest level too large for a direct solve (" +
                                std::to_string(n) + " unknowns); raise max_levels");
  cl.bw = nx * ny;
  const int w = cl.bw + 1;
  auto order = [&](int i, int j, int k) { return (k * nx + i) * ny + j; };
  std::vector<double> a;
  if (!cl.band0.empty()) {
    // A new capacity shift only moves the diagonal: reuse the probed band.
    a = cl.band0;
    const double da = co.capacity_shift() - cl.band0_shift;
    for (int i = 0; i < nx; ++i)
      for (int j = 0; j < ny; ++j)
        for (int k = 0; k < nz; ++k)
          a[static_cast<std::size_t>(order(i, j, k)) * w] += da * co.node_capacity(i, j, k);
  } else {
    a.assign(static_cast<std::size_t>(n) * w, 0.0);
    std::vector<double> e(n, 0.0), col(n);
    for (int i = 0; i < nx; ++i)
      for (int j = 0; j < ny; ++j)
        for (int k = 0; k < nz; ++k) {
          const std::size_t q = co.index(i, j, k);
          e[q] = 1.0;
          co.apply(e.data(), col.data());
          e[q] = 0.0;
          const int pq = order(i, j, k);
          for (int i2 = 0; i2 < nx; ++i2)
            for (int j2 = 0; j2 < ny; ++j2)
              for (int k2 = 0; k2 < nz; ++k2) {
                const double v = col[co.index(i2, j2, k2)];
                const int pr = order(i2, j2, k2);
                if (v != 0 && pr >= pq) a[static_cast<std::size_t>(pr) * w + (pr - pq)] = v;
              }
        }
    if (!co.capacity_z().empty()) {  // transient: keep the band for later shifts
      cl.band0 = a;
      cl.band0_shift = co.capacity_shift();
    }
  }
  // Banded Cholesky: L(r, c) stored at r * w + (r - c).
  auto L = [&](int r, int c) -> double& { return a[static_cast<std::size_t>(r) * w + (r - c)]; };
  for (int j = 0; j < n; ++j) {
    double d = L(j, j);
    for (int k = std::max(0, j - cl.bw); k < j; ++k) d -= L(j, k) * L(j, k);
    if (!(d > 0))
      throw std::runtime_error(
          "multigrid: coarse operator is not positive definite (is there a "
          "convective or fixed face?)");
    d = std::sqrt(d);
    L(j, j) = d;
    for (int r = j + 1; r <= std::min(n - 1, j + cl.bw); ++r) {
      double s = L(r, j);
      for (int k = std::max(0, r - cl.bw); k < j; ++k) s -= L(r, k) * L(j, k);
      L(r, j) = s / d;
    }
  }
  cl.chol = std::move(a);
  cl.work.resize(n);
}

Multigrid::~Multigrid() = default;

int Multigrid::levels() const { return static_cast<int>(levels_.size()); }

std::vector<std::pair<int, int>> Multigrid::level_sizes() const {
  std::vector<std::pair<int, int>> s;
  for (const auto& l : levels_) s.push_back({l->op->nx(), l->op->ny()});
  return s;
}

void Multigrid::smooth(std::size_t l, int sweeps, bool forward) const {
  Level& L = *levels_[l];
  const auto& o = *L.op;
  const int nx = o.nx(), ny = o.ny(), nz = o.nz();
  for (int s = 0; s < sweeps; ++s) {
    for (int pass = 0; pass < 2; ++pass) {
      const int colour = forward ? pass : 1 - pass;
#pragma omp parallel if (o.size() >= fv::kMinParallelNodes)
      {
        std::vector<double> lo(nz), di(nz), up(nz), work(nz);
#pragma omp for schedule(static)
        for (int i = 0; i < nx; ++i) {
          for (int j = (i + colour) % 2; j < ny; j += 2) {
            const std::size_t base = o.index(i, j, 0);
            double* xc = L.x + base;
            std::memcpy(xc, L.b + base, nz * sizeof(double));
            o.add_inplane_coupling(i, j, L.x, xc);
            if (cache_lines_) {
              const double* lw = L.line_lo.data() + base;
              const double* uw = L.line_up.data() + base;
              const double* iv = L.line_inv.data() + base;
              xc[0] *= iv[0];
              for (int k = 1; k < nz; ++k) xc[k] = (xc[k] - lw[k] * xc[k - 1]) * iv[k];
              for (int k = nz - 2; k >= 0; --k) xc[k] -= uw[k + 1] * xc[k + 1];
              continue;
            }
            o.line_matrix(i, j, lo.data(), di.data(), up.data());
            thomas(nz, lo.data(), di.data(), up.data(), xc, work.data());
          }
        }
      }
    }
  }
}

void Multigrid::vcycle(std::size_t l) const {
  Level& L = *levels_[l];
  const auto& o = *L.op;
  const std::size_t n = o.size();
  if (l + 1 == levels_.size()) {
    const int nx = o.nx(), ny = o.ny(), nz = o.nz();
    const int w = L.bw + 1;
    std::vector<double>& y = L.work;
    for (int i = 0; i < nx; ++i)
      for (int j = 0; j < ny; ++j)
        for (int k = 0; k < nz; ++k) y[(k * nx + i) * ny + j] = L.b[o.index(i, j, k)];
    const int m = static_cast<int>(n);
    const double* a = L.chol.data();
    for (int r = 0; r < m; ++r) {
      double s = y[r];
      for (int c = std::max(0, r - L.bw); c < r; ++c)
        s -= a[static_cast<std::size_t>(r) * w + (r - c)] * y[c];
      y[r] = s / a[static_cast<std::size_t>(r) * w];
    }
    for (int r = m - 1; r >= 0; --r) {
      double s = y[r];
      for (int c = r + 1; c <= std::min(m - 1, r + L.bw); ++c)
        s -= a[static_cast<std::size_t>(c) * w + (c - r)] * y[c];
      y[r] = s / a[static_cast<std::size_t>(r) * w];
    }
    for (int i = 0; i < nx; ++i)
      for (int j = 0; j < ny; ++j)
        for (int k = 0; k < nz; ++k) L.x[o.index(i, j, k)] = y[(k * nx + i) * ny + j];
    return;
  }
  std::memset(L.x, 0, n * sizeof(double));
  smooth(l, opt_.pre_smooth, true);
  o.residual(L.b, L.x, L.r.data());
  Level& C = *levels_[l + 1];
  const auto& co = *C.op;
  const int cnx = co.nx(), cny = co.ny(), nz = o.nz();
  double* cb = C.b_store.data();
  // Restriction: transpose of bilinear interpolation.
#pragma omp parallel for if (co.size() >= fv::kMinParallelNodes) schedule(static)
  for (int I = 0; I < cnx; ++I)
    for (int J = 0; J < cny; ++J) {
      double* dst = cb + co.index(I, J, 0);
      std::fill(dst, dst + nz, 0.0);
      for (const auto& [i, wi] : L.tx.contrib[I])
        for (const auto& [j, wj] : L.ty.contrib[J]) {
          const double w = wi * wj;
          const double* src = L.r.data() + o.index(i, j, 0);
#pragma omp simd
          for (int k = 0; k < nz; ++k) dst[k] += w * src[k];
        }
    }
  vcycle(l + 1);
  // Prolongation: x += P x_coarse.
  const int nx = o.nx(), ny = o.ny();
#pragma omp parallel for if (o.size() >= fv::kMinParallelNodes) schedule(static)
  for (int i = 0; i < nx; ++i)
    for (int j = 0; j < ny; ++j) {
      double* dst = L.x + o.index(i, j, 0);
      const int ci[2] = {L.tx.c0[i], L.tx.c1[i]};
      const double wi[2] = {L.tx.w0[i], 1.0 - L.tx.w0[i]};
      const int cj[2] = {L.ty.c0[j], L.ty.c1[j]};
      const double wj[2] = {L.ty.w0[j], 1.0 - L.ty.w0[j]};
      for (int a = 0; a < 2; ++a)
        for (int b = 0; b < 2; ++b) {
          const double w = wi[a] * wj[b];
          if (w == 0) continue;
          const double* src = C.x + co.index(ci[a], cj[b], 0);
#pragma omp simd
          for (int k = 0; k < nz; ++k) dst[k] += w * src[k];
        }
    }
  smooth(l, opt_.post_smooth, false);
}

void Multigrid::apply(const double* r, double* z) const {
  Level& f = *levels_[0];
  f.b = r;
  f.x = z;
  vcycle(0);
}

SolveReport Multigrid::solve(const double* b, double* x, const SolveOptions& opt) const {
  opt.validate();
  const auto t0 = std::chrono::steady_clock::now();
  const auto& o = *levels_[0]->op;
  const std::size_t n = o.size();
  SolveReport rep;
  rep.method = heatop::name(kMethodNames, Method::multigrid);
  rep.preconditioner = heatop::name(kPreconditionerNames, PreconditionerKind::none);
  rep.reason = "max iterations";
  std::vector<double> r(n), e(n);
  double bnorm = norm2(n, b);
  if (bnorm == 0) bnorm = 1;
  o.residual(b, x, r.data());
  double rel = norm2(n, r.data()) / bnorm;
  rep.initial_rel_residual = rel;
  rep.history.push_back(rel);
  if (!std::isfinite(rel))
    rep.reason = "nan";
  else if (rel <= opt.rel_tol) {
    rep.converged = true;
    rep.reason = "converged";
  }
  for (int it = 1; !rep.converged && std::isfinite(rel) && it <= opt.max_iterations; ++it) {
    apply(r.data(), e.data());
    const std::ptrdiff_t sn = static_cast<std::ptrdiff_t>(n);
#pragma omp parallel for if (n >= fv::kMinParallelNodes) schedule(static)
    for (std::ptrdiff_t p = 0; p < sn; ++p) x[p] += e[p];
    o.residual(b, x, r.data());
    rel = norm2(n, r.data()) / bnorm;
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
    if (rel <= opt.rel_tol) {
      rep.converged = true;
      rep.reason = "converged";
    }
  }
  rep.rel_residual = rel;
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

JacobiPreconditioner::JacobiPreconditioner(const fv::LayeredOperator& op) : inv_diag_(op.size()) {
  op.diagonal(inv_diag_.data());
  for (auto& d : inv_diag_) d = 1.0 / d;
}

void JacobiPreconditioner::apply(const double* r, double* z) const {
  const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(inv_diag_.size());
#pragma omp parallel for if (inv_diag_.size() >= fv::kMinParallelNodes) schedule(static)
  for (std::ptrdiff_t p = 0; p < n; ++p) z[p] = inv_diag_[p] * r[p];
}

}  // namespace heatop::solve
