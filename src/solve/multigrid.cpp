#include "solve/multigrid.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <tuple>

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

// Thomas factorization of one z line for repeated solves: the lower coefficient, the
// eliminated upper one (Thomas' work[k]) and the inverse pivot of every node.
void factor_line(int nz, const double* lo, const double* di, const double* up, double* lw,
                 double* uw, double* iv) {
  double beta = di[0];
  iv[0] = 1.0 / beta;
  lw[0] = uw[0] = 0.0;
  for (int k = 1; k < nz; ++k) {
    uw[k] = up[k - 1] / beta;
    beta = di[k] - lo[k] * uw[k];
    lw[k] = lo[k];
    iv[k] = 1.0 / beta;
  }
}

// One z line of a relaxation: its unknowns x (holding the right-hand side) and either its
// factorization (factor_line: a = lower, b = eliminated upper, c = inverse pivots) or its matrix
// (a = lower, b = diagonal, c = upper; lower[0] and upper[nz - 1] are ignored) with Thomas' work
// array w.
struct Line {
  const double* a;
  const double* b;
  const double* c;
  double* w;
  double* x;
};

// Solves M lines in place, interleaved. One line's solve is a recurrence, a chain of dependent
// operations (its speed is their latency, the longer for Thomas' divisions); M independent chains
// side by side keep the processor's units busy. Each line gets the arithmetic it would get alone,
// so the result does not depend on how lines are grouped. The line matrices are diagonally
// dominant, so Thomas' elimination without pivoting is stable.
template <int M>
void solve_factored_lines(int nz, const Line* l) {
  double p[M];
  for (int q = 0; q < M; ++q) l[q].x[0] = p[q] = l[q].x[0] * l[q].c[0];
  for (int k = 1; k < nz; ++k)
    for (int q = 0; q < M; ++q) l[q].x[k] = p[q] = (l[q].x[k] - l[q].a[k] * p[q]) * l[q].c[k];
  for (int k = nz - 2; k >= 0; --k)
    for (int q = 0; q < M; ++q) l[q].x[k] = p[q] = l[q].x[k] - l[q].b[k + 1] * p[q];
}

template <int M>
void thomas_lines(int nz, const Line* l) {
  double beta[M];
  for (int q = 0; q < M; ++q) {
    beta[q] = l[q].b[0];
    l[q].x[0] /= beta[q];
  }
  for (int k = 1; k < nz; ++k)
    for (int q = 0; q < M; ++q) {
      l[q].w[k] = l[q].c[k - 1] / beta[q];
      beta[q] = l[q].b[k] - l[q].a[k] * l[q].w[k];
      l[q].x[k] = (l[q].x[k] - l[q].a[k] * l[q].x[k - 1]) / beta[q];
    }
  for (int k = nz - 2; k >= 0; --k)
    for (int q = 0; q < M; ++q) l[q].x[k] -= l[q].w[k + 1] * l[q].x[k + 1];
}

// Up to kLineGroup z lines of one colour (which do not couple), solved together.
constexpr int kLineGroup = 4;
class LineGroup {
 public:
  explicit LineGroup(bool factored) : factored_(factored) {}
  void add(int nz, const Line& l) {
    lines_[n_] = l;
    if (++n_ == kLineGroup) flush(nz);
  }
  void flush(int nz) {
    switch (n_) {
      case 4:
        solve<4>(nz);
        break;
      case 3:
        solve<3>(nz);
        break;
      case 2:
        solve<2>(nz);
        break;
      case 1:
        solve<1>(nz);
        break;
      default:
        break;
    }
    n_ = 0;
  }
  /// Space for the next line's matrix and work array (four nz blocks) in `work`, which holds
  /// 4 nz kLineGroup values.
  double* slot(double* work, int nz) const { return work + static_cast<std::size_t>(4 * nz) * n_; }

 private:
  template <int M>
  void solve(int nz) const {
    if (factored_)
      solve_factored_lines<M>(nz, lines_);
    else
      thomas_lines<M>(nz, lines_);
  }
  bool factored_;
  int n_ = 0;
  Line lines_[kLineGroup];
};

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
  std::vector<double> x_store, b_store;
  int ring_rows = 1;  // the most fine x rows one coarse row gathers (restriction)
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
  // Operators without footprints: column (i, j) has the z-line block wx wy S with S one of a
  // few matrices (fv::LayeredOperator::AxisTerms): S is factored once per column class,
  // cls_x[i] * ncls_y + cls_y[j], in the same three arrays of nz values per class. Empty when
  // the grid has too many distinct columns (graded spacing) or the operator has footprints.
  std::vector<int> cls_x, cls_y;
  int ncls_y = 0;
  std::vector<double> cls_lo, cls_up, cls_inv, inv_wx, inv_wy;
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
    f.ring_rows = 1;
    for (const auto& c : f.tx.contrib)
      f.ring_rows = std::max(f.ring_rows, static_cast<int>(c.size()));
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
    c->x = c->x_store.data();
    c->b = c->b_store.data();
    levels_.push_back(std::move(c));
  }
  factor_coarsest();
  factor_line_classes();
  // Transient operators change only their capacity shift between solves: levels without
  // column classes cache their line factorizations (3 values per node; steady solves keep
  // their memory footprint).
  cache_lines_ = !fine.capacity_z().empty();
  if (cache_lines_) factor_lines();
}

namespace {

// Groups the nodes of one axis by their terms (p, u, fixed), equal to a relative 1e-10 (grid
// coordinates computed by arithmetic give spacings that differ in the last bits). Returns the
// group of every node and one representative node per group.
std::vector<int> group_axis(const fv::LayeredOperator::AxisTerms& t, std::vector<int>* reps) {
  const int n = static_cast<int>(t.p.size());
  std::vector<int> order(n), cls(n);
  for (int i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return std::make_tuple(t.fixed[a], t.u[a], t.p[a]) <
           std::make_tuple(t.fixed[b], t.u[b], t.p[b]);
  });
  auto close = [](double a, double b) {
    return std::abs(a - b) <= 1e-10 * std::max(std::abs(a), std::abs(b));
  };
  reps->clear();
  for (int i : order) {
    const int r = reps->empty() ? -1 : reps->back();
    if (r >= 0 && t.fixed[r] == t.fixed[i] && close(t.p[r], t.p[i]) && close(t.u[r], t.u[i])) {
      cls[i] = static_cast<int>(reps->size()) - 1;
    } else {
      cls[i] = static_cast<int>(reps->size());
      reps->push_back(i);
    }
  }
  return cls;
}

}  // namespace

void Multigrid::factor_line_classes() {
  for (std::size_t l = 0; l + 1 < levels_.size(); ++l) {
    Level& L = *levels_[l];
    const auto& o = *L.op;
    L.cls_x.clear();
    L.cls_lo.clear();
    L.cls_up.clear();
    L.cls_inv.clear();
    if (o.has_footprints()) continue;
    std::vector<int> rx, ry;
    std::vector<int> cx = group_axis(o.axis_x(), &rx), cy = group_axis(o.axis_y(), &ry);
    const std::size_t classes = rx.size() * ry.size();
    const std::size_t columns = static_cast<std::size_t>(o.nx()) * o.ny();
    if (classes > std::max<std::size_t>(16, columns / 8)) continue;
    const int nz = o.nz();
    L.cls_lo.resize(classes * nz);
    L.cls_up.resize(classes * nz);
    L.cls_inv.resize(classes * nz);
    std::vector<double> lo(nz), di(nz), up(nz);
    for (std::size_t a = 0; a < rx.size(); ++a)
      for (std::size_t b = 0; b < ry.size(); ++b) {
        const auto &X = o.axis_x(), &Y = o.axis_y();
        const int i = rx[a], j = ry[b];
        o.scaled_line_matrix(X.p[i] + Y.p[j], X.u[i] + Y.u[j], X.fixed[i] || Y.fixed[j], lo.data(),
                             di.data(), up.data());
        const std::size_t base = (a * ry.size() + b) * nz;
        factor_line(nz, lo.data(), di.data(), up.data(), L.cls_lo.data() + base,
                    L.cls_up.data() + base, L.cls_inv.data() + base);
      }
    L.cls_x = std::move(cx);
    L.cls_y = std::move(cy);
    L.ncls_y = static_cast<int>(ry.size());
    L.inv_wx.resize(o.nx());
    L.inv_wy.resize(o.ny());
    for (int i = 0; i < o.nx(); ++i) L.inv_wx[i] = 1.0 / o.wx()[i];
    for (int j = 0; j < o.ny(); ++j) L.inv_wy[j] = 1.0 / o.wy()[j];
  }
}

void Multigrid::update_capacity_shift() {
  const double a = levels_[0]->op->capacity_shift();
  for (std::size_t l = 1; l < levels_.size(); ++l) levels_[l]->owned->set_capacity_shift(a);
  factor_coarsest();
  factor_line_classes();
  if (cache_lines_) factor_lines();
}

void Multigrid::factor_lines() {
  for (std::size_t l = 0; l + 1 < levels_.size(); ++l) {
    Level& L = *levels_[l];
    if (!L.cls_x.empty()) continue;  // factored per column class
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
          factor_line(nz, lo.data(), di.data(), up.data(), L.line_lo.data() + base,
                      L.line_up.data() + base, L.line_inv.data() + base);
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
    // The operator couples a node to its six neighbours only, so one product probes every
    // node whose indices agree modulo 3 (27 products, not one per node): two such nodes lie at
    // least 3 apart along some axis, so no row sees both, and the rows around each node hold
    // its column alone (the same sums as a probe with that node only).
    a.assign(static_cast<std::size_t>(n) * w, 0.0);
    std::vector<double> e(n, 0.0), col(n);
    auto each_node = [](int n0, int n1, int n2, int c0, int c1, int c2, auto&& f) {
      for (int i = c0; i < n0; i += 3)
        for (int j = c1; j < n1; j += 3)
          for (int k = c2; k < n2; k += 3) f(i, j, k);
    };
    for (int ci = 0; ci < std::min(nx, 3); ++ci)
      for (int cj = 0; cj < std::min(ny, 3); ++cj)
        for (int ck = 0; ck < std::min(nz, 3); ++ck) {
          each_node(nx, ny, nz, ci, cj, ck, [&](int i, int j, int k) { e[co.index(i, j, k)] = 1; });
          co.apply(e.data(), col.data());
          each_node(nx, ny, nz, ci, cj, ck, [&](int i, int j, int k) {
            e[co.index(i, j, k)] = 0;
            const int pq = order(i, j, k);
            auto take = [&](int i2, int j2, int k2) {
              if (i2 < 0 || i2 >= nx || j2 < 0 || j2 >= ny || k2 < 0 || k2 >= nz) return;
              const double v = col[co.index(i2, j2, k2)];
              const int pr = order(i2, j2, k2);
              if (v != 0 && pr >= pq) a[static_cast<std::size_t>(pr) * w + (pr - pq)] = v;
            };
            take(i, j, k);
            take(i - 1, j, k);
            take(i + 1, j, k);
            take(i, j - 1, k);
            take(i, j + 1, k);
            take(i, j, k - 1);
            take(i, j, k + 1);
          });
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

// One column of z-line relaxation: x_c = T_c^-1 (b_c + in-plane coupling to the neighbours).
void Multigrid::relax_row(std::size_t l, int i, int colour, bool zero_start, double* work) const {
  const Level& L = *levels_[l];
  const auto& o = *L.op;
  const int ny = o.ny(), nz = o.nz();
  // A column's line is solved after the next ones' in-plane terms are added; those read only
  // columns of the other colour, which this pass does not change.
  LineGroup factored(true), matrices(false);
  if (!L.cls_x.empty()) {
    const auto &X = o.axis_x(), &Y = o.axis_y();
    const double* kin = o.inplane_z().data();
    const int nx = o.nx();
    const std::size_t plane = static_cast<std::size_t>(ny) * nz;
    for (int j = (i + colour) % 2; j < ny; j += 2) {
      const std::size_t base = o.index(i, j, 0);
      const std::size_t c = (static_cast<std::size_t>(L.cls_x[i]) * L.ncls_y + L.cls_y[j]) * nz;
      const double* lw = L.cls_lo.data() + c;
      const double* uw = L.cls_up.data() + c;
      const double* iv = L.cls_inv.data() + c;
      const double s = L.inv_wx[i] * L.inv_wy[j];
      double* xc = L.x + base;
      const double* bc = L.b + base;
      if (zero_start || X.fixed[i] || Y.fixed[j]) {
        for (int k = 0; k < nz; ++k) xc[k] = bc[k] * s;
      } else {
        const double gw = o.wy()[j] * X.lo[i], ge = o.wy()[j] * X.hi[i];
        const double gs = o.wx()[i] * Y.lo[j], gn = o.wx()[i] * Y.hi[j];
        // A missing neighbour has a zero factor; it reads b (this column's x may not be set
        // yet after a zero start, and 0 * NaN would not vanish).
        const double* xw = i > 0 ? xc - plane : bc;
        const double* xe = i + 1 < nx ? xc + plane : bc;
        const double* xs = j > 0 ? xc - nz : bc;
        const double* xn = j + 1 < ny ? xc + nz : bc;
#pragma omp simd
        for (int k = 0; k < nz; ++k)
          xc[k] = (bc[k] + kin[k] * (gw * xw[k] + ge * xe[k] + gs * xs[k] + gn * xn[k])) * s;
      }
      factored.add(nz, {lw, uw, iv, nullptr, xc});
    }
    factored.flush(nz);
    return;
  }
  for (int j = (i + colour) % 2; j < ny; j += 2) {
    const std::size_t base = o.index(i, j, 0);
    double* xc = L.x + base;
    std::memcpy(xc, L.b + base, nz * sizeof(double));
    if (!zero_start) o.add_inplane_coupling(i, j, L.x, xc);
    if (cache_lines_) {
      factored.add(nz, {L.line_lo.data() + base, L.line_up.data() + base, L.line_inv.data() + base,
                        nullptr, xc});
      continue;
    }
    double* m = matrices.slot(work, nz);
    o.line_matrix(i, j, m, m + nz, m + 2 * nz);
    matrices.add(nz, {m, m + nz, m + 2 * nz, m + 3 * nz, xc});
  }
  factored.flush(nz);
  matrices.flush(nz);
}

// Red-black z-line Gauss-Seidel. A sweep relaxes every column of the first colour, then every
// column of the other; columns of one colour do not couple, so the order within a colour does
// not change the result. Each thread takes a block of x rows and runs the two colours as a
// wavefront (first colour on row i, then the second on row i - 1, whose neighbours of the first
// colour are then final), so that a row is read from memory once per sweep instead of twice;
// the second colour's rows at the block edges follow after a barrier.
void Multigrid::smooth(std::size_t l, int sweeps, bool forward, bool zero_start) const {
  const Level& L = *levels_[l];
  const auto& o = *L.op;
  const int nx = o.nx(), nz = o.nz();
  const int c0 = forward ? 0 : 1, c1 = 1 - c0;
  for (int s = 0; s < sweeps; ++s) {
    const bool zero = zero_start && s == 0;
#pragma omp parallel if (o.size() >= fv::kMinParallelNodes)
    {
      std::vector<double> work(4 * nz * kLineGroup);  // relax_row's line matrices
      const int nt = omp_get_num_threads(), t = omp_get_thread_num();
      const int i0 = static_cast<int>(static_cast<long>(nx) * t / nt);
      const int i1 = static_cast<int>(static_cast<long>(nx) * (t + 1) / nt);
      for (int i = i0; i < i1; ++i) {
        relax_row(l, i, c0, zero, work.data());
        if (i - 1 > i0) relax_row(l, i - 1, c1, false, work.data());
      }
#pragma omp barrier
      if (i1 > i0) relax_row(l, i0, c1, false, work.data());
      if (i1 - 1 > i0) relax_row(l, i1 - 1, c1, false, work.data());
    }
  }
}

void Multigrid::restrict_residual(std::size_t l, double* row_r2, double* row_b2) const {
  Level& L = *levels_[l];
  const auto& o = *L.op;
  const std::size_t n = o.size();
  // Restriction (the transpose of bilinear interpolation) of r = b - A x, one coarse x row at
  // a time: coarse row I gathers the fine rows of tx.contrib[I], an ascending range that shares
  // at most its first row with row I - 1's. Each thread computes those fine residual rows into
  // a ring of L.ring_rows rows, so the fine residual is never stored whole.
  Level& C = *levels_[l + 1];
  const auto& co = *C.op;
  const int cnx = co.nx(), cny = co.ny(), nz = o.nz();
  double* cb = C.b_store.data();
  const std::size_t row = static_cast<std::size_t>(o.ny()) * nz;
#pragma omp parallel if (n >= fv::kMinParallelNodes)
  {
    std::vector<double> ring(L.ring_rows * row);
    const int nt = omp_get_num_threads(), t = omp_get_thread_num();
    const int I0 = static_cast<int>(static_cast<long>(cnx) * t / nt);
    const int I1 = static_cast<int>(static_cast<long>(cnx) * (t + 1) / nt);
    int last = -1;  // the highest fine row in the ring
    auto slot = [&](int i) {
      return ring.data() + static_cast<std::size_t>(i % L.ring_rows) * row;
    };
    for (int I = I0; I < I1; ++I) {
      for (const auto& [i, wi] : L.tx.contrib[I])
        if (i > last) {
          const double* bi = L.b + o.index(i, 0, 0);
          o.residual_row(i, L.b, L.x, slot(i));
          // Squared norms per fine row: a row two threads both compute gets the same value.
          if (row_r2) {
            const double* ri = slot(i);
            double sr = 0, sb = 0;
#pragma omp simd reduction(+ : sr, sb)
            for (std::size_t q = 0; q < row; ++q) sr += ri[q] * ri[q], sb += bi[q] * bi[q];
            row_r2[i] = sr;
            row_b2[i] = sb;
          }
          last = i;
        }
      for (int J = 0; J < cny; ++J) {
        double* dst = cb + co.index(I, J, 0);
        std::fill(dst, dst + nz, 0.0);
        for (const auto& [i, wi] : L.tx.contrib[I]) {
          const double* src_row = slot(i);
          for (const auto& [j, wj] : L.ty.contrib[J]) {
            const double w = wi * wj;
            const double* src = src_row + static_cast<std::size_t>(j) * nz;
#pragma omp simd
            for (int k = 0; k < nz; ++k) dst[k] += w * src[k];
          }
        }
      }
    }
  }
}

void Multigrid::prolong(std::size_t l, bool assign) const {
  const Level& L = *levels_[l];
  const auto& o = *L.op;
  const int nx = o.nx();
  // Prolongation: x += P x_coarse (x = P x_coarse when assign).
#pragma omp parallel for if (o.size() >= fv::kMinParallelNodes) schedule(static)
  for (int i = 0; i < nx; ++i) prolong_row(l, i, L.x + o.index(i, 0, 0), assign);
}

void Multigrid::prolong_row(std::size_t l, int i, double* row, bool assign) const {
  const Level& L = *levels_[l];
  const auto& o = *L.op;
  const Level& C = *levels_[l + 1];
  const auto& co = *C.op;
  const int nz = o.nz(), ny = o.ny();
  const int ci[2] = {L.tx.c0[i], L.tx.c1[i]};
  const double wi[2] = {L.tx.w0[i], 1.0 - L.tx.w0[i]};
  for (int j = 0; j < ny; ++j) {
    double* dst = row + static_cast<std::size_t>(j) * nz;
    if (assign) std::fill(dst, dst + nz, 0.0);
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
  if (opt_.pre_smooth == 0) std::memset(L.x, 0, n * sizeof(double));
  smooth(l, opt_.pre_smooth, true, true);
  restrict_residual(l, nullptr, nullptr);
  vcycle(l + 1);
  prolong(l, false);
  smooth(l, opt_.post_smooth, false, false);
}

void Multigrid::apply(const double* r, double* z) const {
  Level& f = *levels_[0];
  f.b = r;
  f.x = z;
  vcycle(0);
}

double Multigrid::coarse_solve(const double* b, const double* x, double* rel_residual) const {
  if (levels_.size() < 2)
    throw std::logic_error("multigrid: coarse_solve needs two levels or more");
  Level& f = *levels_[0];
  const auto& o = *f.op;
  f.b = b;
  f.x = const_cast<double*>(x);  // read only: the restriction computes b - A x row by row
  std::vector<double> row_r2(o.nx()), row_b2(o.nx());
  restrict_residual(0, row_r2.data(), row_b2.data());
  f.b = nullptr;
  f.x = nullptr;
  double r2 = 0, b2 = 0;
  for (int i = 0; i < o.nx(); ++i) r2 += row_r2[i], b2 += row_b2[i];
  vcycle(1);
  if (rel_residual) *rel_residual = std::sqrt(r2) / (b2 > 0 ? std::sqrt(b2) : 1.0);
  return std::sqrt(r2);
}

void Multigrid::prolong_row(int i, double* row) const { prolong_row(0, i, row, true); }

double Multigrid::coarse_correction(const double* b, const double* x, double* z,
                                    double* rel_residual, int fine_sweeps) const {
  Level& f = *levels_[0];
  const auto& o = *f.op;
  const std::size_t n = o.size();
  if (levels_.size() == 1) {  // the coarsest level is solved exactly
    std::vector<double> r(n);
    o.residual(b, x, r.data());
    const double r2 = dot(n, r.data(), r.data()), b2 = dot(n, b, b);
    f.b = r.data();
    f.x = z;
    vcycle(0);
    f.b = nullptr;
    f.x = nullptr;
    if (rel_residual) *rel_residual = std::sqrt(r2) / (b2 > 0 ? std::sqrt(b2) : 1.0);
    return std::sqrt(r2);
  }
  const double rn = coarse_solve(b, x, rel_residual);
  f.x = z;
  prolong(0, true);
  if (fine_sweeps > 0) {
    std::vector<double> r(n);
    o.residual(b, x, r.data());
    f.b = r.data();
    smooth(0, fine_sweeps, false, false);
  }
  f.b = nullptr;
  f.x = nullptr;
  return rn;
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
