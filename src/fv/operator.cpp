#include "fv/operator.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "model/grid.hpp"

namespace heatop::fv {

namespace {
std::vector<double> inverse_spacing(const std::vector<double>& v) {
  std::vector<double> out(v.size() - 1);
  for (std::size_t i = 0; i + 1 < v.size(); ++i) out[i] = 1.0 / (v[i + 1] - v[i]);
  return out;
}
std::vector<double> link_mask(std::size_t n, bool fixed_lo, bool fixed_hi) {
  std::vector<double> m(n - 1, 1.0);
  if (fixed_lo) m.front() = 0.0;
  if (fixed_hi) m.back() = 0.0;
  return m;
}
}  // namespace

LayeredOperator::LayeredOperator(std::vector<double> x, std::vector<double> y,
                                 std::vector<double> z, std::vector<double> cell_kxy,
                                 std::vector<double> cell_kz, std::array<FaceBc, 6> bc,
                                 std::vector<std::array<double, 4>> cell_footprint)
    : nx_(static_cast<int>(x.size())),
      ny_(static_cast<int>(y.size())),
      nz_(static_cast<int>(z.size())),
      x_(std::move(x)),
      y_(std::move(y)),
      z_(std::move(z)),
      cell_kxy_(std::move(cell_kxy)),
      cell_kz_(std::move(cell_kz)),
      bc_(bc),
      footprint_(std::move(cell_footprint)) {
  if (nx_ < 2 || ny_ < 2 || nz_ < 2)
    throw std::invalid_argument("LayeredOperator: need at least 2 nodes per axis");
  if (cell_kxy_.size() != z_.size() - 1 || cell_kz_.size() != z_.size() - 1)
    throw std::invalid_argument("LayeredOperator: one conductivity per z cell expected");
  wx_ = model::control_widths(x_);
  wy_ = model::control_widths(y_);
  wz_ = model::control_widths(z_);
  inv_dx_ = inverse_spacing(x_);
  inv_dy_ = inverse_spacing(y_);
  gz_.resize(nz_ - 1);
  kxy_cv_.assign(nz_, 0.0);
  for (int k = 0; k + 1 < nz_; ++k) {
    const double dz = z_[k + 1] - z_[k];
    gz_[k] = cell_kz_[k] / dz;
    kxy_cv_[k] += 0.5 * dz * cell_kxy_[k];
    kxy_cv_[k + 1] += 0.5 * dz * cell_kxy_[k];
  }
  mask_x_ = link_mask(nx_, bc_[0].fixed, bc_[1].fixed);
  mask_y_ = link_mask(ny_, bc_[2].fixed, bc_[3].fixed);
  mask_z_ = link_mask(nz_, bc_[4].fixed, bc_[5].fixed);
  if (!footprint_.empty() && footprint_.size() != z_.size() - 1)
    throw std::invalid_argument("LayeredOperator: one footprint per z cell expected");
  for (std::size_t k = 0; k + 1 < z_.size(); ++k) {
    ci0_.push_back(0);
    ci1_.push_back(nx_ - 1);
    cj0_.push_back(0);
    cj1_.push_back(ny_ - 1);
    if (footprint_.empty() || footprint_[k][2] <= footprint_[k][0]) continue;
    // Cells whose centre lies inside the footprint are material.
    auto range = [](const std::vector<double>& v, double a, double b, int* lo, int* hi) {
      *lo = static_cast<int>(v.size()) - 1;
      *hi = 0;
      for (std::size_t c = 0; c + 1 < v.size(); ++c) {
        const double mid = 0.5 * (v[c] + v[c + 1]);
        if (mid > a && mid < b) {
          *lo = std::min(*lo, static_cast<int>(c));
          *hi = std::max(*hi, static_cast<int>(c) + 1);
        }
      }
      if (*hi <= *lo) *lo = *hi = 0;
    };
    range(x_, footprint_[k][0], footprint_[k][2], &ci0_[k], &ci1_[k]);
    range(y_, footprint_[k][1], footprint_[k][3], &cj0_[k], &cj1_[k]);
    if (ci0_[k] != 0 || ci1_[k] != nx_ - 1 || cj0_[k] != 0 || cj1_[k] != ny_ - 1)
      has_footprints_ = any_void_ = true;
  }
  for (std::size_t i = 0; i + 1 < x_.size(); ++i) hx_.push_back(x_[i + 1] - x_[i]);
  for (std::size_t j = 0; j + 1 < y_.size(); ++j) hy_.push_back(y_[j + 1] - y_[j]);
  for (std::size_t k = 0; k + 1 < z_.size(); ++k) hz_.push_back(z_[k + 1] - z_[k]);
  if (has_footprints_) build_general_cache();
  build_layered_terms();
}

void LayeredOperator::build_layered_terms() {
  auto axis = [](const std::vector<double>& w, const std::vector<double>& inv_h,
                 const std::vector<double>& mask, const FaceBc& lo_face, const FaceBc& hi_face) {
    const int n = static_cast<int>(w.size());
    AxisTerms t;
    t.lo.assign(n, 0.0);
    t.hi.assign(n, 0.0);
    t.p.assign(n, 0.0);
    t.u.assign(n, 0.0);
    t.fixed.assign(n, 0);
    for (int i = 0; i < n; ++i) {
      const double lo = i > 0 ? inv_h[i - 1] : 0.0, hi = i + 1 < n ? inv_h[i] : 0.0;
      t.lo[i] = i > 0 ? lo * mask[i - 1] : 0.0;
      t.hi[i] = i + 1 < n ? hi * mask[i] : 0.0;
      t.p[i] = (lo + hi) / w[i];
      if (i == 0) t.u[i] += lo_face.h / w[i];
      if (i == n - 1) t.u[i] += hi_face.h / w[i];
      t.fixed[i] = (i == 0 && lo_face.fixed) || (i == n - 1 && hi_face.fixed);
    }
    return t;
  };
  ax_ = axis(wx_, inv_dx_, mask_x_, bc_[0], bc_[1]);
  ay_ = axis(wy_, inv_dy_, mask_y_, bc_[2], bc_[3]);
  const int k0 = bc_[4].fixed ? 1 : 0;
  const int k1 = bc_[5].fixed ? nz_ - 1 : nz_;
  kin_.assign(nz_, 0.0);
  zd0_.assign(nz_, 0.0);
  zlo_.assign(nz_, 0.0);
  zup_.assign(nz_, 0.0);
  for (int k = 0; k < nz_; ++k) {
    if (k >= k0 && k < k1) kin_[k] = kxy_cv_[k];
    if (k > 0) {
      zd0_[k] += gz_[k - 1];
      zlo_[k] = gz_[k - 1] * mask_z_[k - 1];
    }
    if (k + 1 < nz_) {
      zd0_[k] += gz_[k];
      zup_[k] = gz_[k] * mask_z_[k];
    }
  }
  zd0_[0] += bc_[4].h;
  zd0_[nz_ - 1] += bc_[5].h;
  update_shift_terms();
}

void LayeredOperator::update_shift_terms() {
  zd_ = zd0_;
  if (shift_ == 0) return;
  // Transient: + a C, except on fixed faces (imposed temperature).
  const int k0 = bc_[4].fixed ? 1 : 0;
  const int k1 = bc_[5].fixed ? nz_ - 1 : nz_;
  for (int k = k0; k < k1; ++k) zd_[k] += shift_ * cap_z_[k];
}

void LayeredOperator::scaled_line_matrix(double p, double u, bool fixed, double* lower,
                                         double* diag, double* upper) const {
  const double* zd = fixed ? zd0_.data() : zd_.data();
  for (int k = 0; k < nz_; ++k) {
    diag[k] = scaled_diag(k, p, u, zd);
    lower[k] = fixed ? 0.0 : -zlo_[k];
    upper[k] = fixed ? 0.0 : -zup_[k];
  }
}

void LayeredOperator::set_capacity(std::vector<double> cz) {
  if (cz.size() != static_cast<std::size_t>(nz_))
    throw std::invalid_argument("LayeredOperator: one capacity per z node expected");
  cap_z_ = std::move(cz);
  if (has_footprints_) build_capacity_cache();
}

void LayeredOperator::build_capacity_cache() {
  // Boxes with footprints: a node holds 1/8 of the volume of each adjacent cell that has
  // material. The volumetric capacity of z cell k follows from cz (cz[k] = hz[k-1] c[k-1] / 2 +
  // hz[k] c[k] / 2), so that full boxes get exactly wx wy cz.
  std::vector<double> cell_c(nz_ - 1, 0.0);
  double below = 0;  // hz[k-1] c[k-1] / 2
  for (int k = 0; k + 1 < nz_; ++k) {
    cell_c[k] = std::max(0.0, 2 * (cap_z_[k] - below) / hz_[k]);
    below = 0.5 * hz_[k] * cell_c[k];
  }
  gcap_.assign(size(), 0.0);
#pragma omp parallel for schedule(static)  // per node, as a serial loop would
  for (int i = 0; i < nx_; ++i)
    for (int j = 0; j < ny_; ++j)
      for (int k = 0; k < nz_; ++k) {
        if (node_fixed(i, j, k)) continue;
        double c = 0;
        for (int ci = i - 1; ci <= i; ++ci)
          for (int cj = j - 1; cj <= j; ++cj)
            for (int ck = k - 1; ck <= k; ++ck) {
              if (ci < 0 || ci >= nx_ - 1 || cj < 0 || cj >= ny_ - 1 || ck < 0 || ck >= nz_ - 1)
                continue;
              if (!cell_active(ci, cj, ck)) continue;
              c += cell_c[ck] * 0.125 * hx_[ci] * hy_[cj] * hz_[ck];
            }
        gcap_[index(i, j, k)] = c;
      }
}

void LayeredOperator::set_capacity_shift(double a) {
  if (a != 0 && cap_z_.empty())
    throw std::logic_error("LayeredOperator: set_capacity before set_capacity_shift");
  if (!(a >= 0) || !std::isfinite(a))
    throw std::invalid_argument("LayeredOperator: the capacity shift must be >= 0 and finite");
  shift_ = a;
  update_shift_terms();
}

double LayeredOperator::node_capacity(int i, int j, int k) const {
  if (cap_z_.empty() || node_fixed(i, j, k)) return 0.0;
  if (has_footprints_) return gcap_[index(i, j, k)];
  return wx_[i] * wy_[j] * cap_z_[k];
}

bool LayeredOperator::column_fixed(int i, int j) const {
  return (i == 0 && bc_[0].fixed) || (i == nx_ - 1 && bc_[1].fixed) || (j == 0 && bc_[2].fixed) ||
         (j == ny_ - 1 && bc_[3].fixed);
}

bool LayeredOperator::touches_material(int i, int j, int k) const {
  for (int ck = std::max(0, k - 1); ck <= std::min(nz_ - 2, k); ++ck)
    for (int ci = std::max(0, i - 1); ci <= std::min(nx_ - 2, i); ++ci)
      for (int cj = std::max(0, j - 1); cj <= std::min(ny_ - 2, j); ++cj)
        if (cell_active(ci, cj, ck)) return true;
  return false;
}

double LayeredOperator::face_area(int f, int i, int j, int k) const {
  const bool on[6] = {i == 0, i == nx_ - 1, j == 0, j == ny_ - 1, k == 0, k == nz_ - 1};
  if (!on[f]) return 0.0;
  if (!has_footprints_) {
    if (f < 2) return wy_[j] * wz_[k];
    if (f < 4) return wx_[i] * wz_[k];
    return wx_[i] * wy_[j];
  }
  // Sum the quarter faces of the adjacent material cells.
  double a = 0;
  const int ci = f == 0 ? 0 : (f == 1 ? nx_ - 2 : -1);
  const int cj = f == 2 ? 0 : (f == 3 ? ny_ - 2 : -1);
  const int ck = f == 4 ? 0 : (f == 5 ? nz_ - 2 : -1);
  for (int c3 = (ck >= 0 ? ck : std::max(0, k - 1)); c3 <= (ck >= 0 ? ck : std::min(nz_ - 2, k));
       ++c3)
    for (int c1 = (ci >= 0 ? ci : std::max(0, i - 1)); c1 <= (ci >= 0 ? ci : std::min(nx_ - 2, i));
         ++c1)
      for (int c2 = (cj >= 0 ? cj : std::max(0, j - 1));
           c2 <= (cj >= 0 ? cj : std::min(ny_ - 2, j)); ++c2) {
        if (!cell_active(c1, c2, c3)) continue;
        if (f < 2)
          a += 0.25 * hy_[c2] * hz_[c3];
        else if (f < 4)
          a += 0.25 * hx_[c1] * hz_[c3];
        else
          a += 0.25 * hx_[c1] * hy_[c2];
      }
  return a;
}

double LayeredOperator::link(int d, int i, int j, int k) const {
  // The link crosses one cell index along its direction and the (up to) four cells around it
  // in the other two; each contributes conductivity times a quarter of the face.
  double g = 0;
  if (d < 2) {
    const int ci = d == 0 ? i - 1 : i;
    if (ci < 0 || ci > nx_ - 2) return 0.0;
    for (int ck = std::max(0, k - 1); ck <= std::min(nz_ - 2, k); ++ck)
      for (int cj = std::max(0, j - 1); cj <= std::min(ny_ - 2, j); ++cj)
        if (cell_active(ci, cj, ck)) g += cell_kxy_[ck] * 0.25 * hy_[cj] * hz_[ck];
    return g / hx_[ci];
  }
  if (d < 4) {
    const int cj = d == 2 ? j - 1 : j;
    if (cj < 0 || cj > ny_ - 2) return 0.0;
    for (int ck = std::max(0, k - 1); ck <= std::min(nz_ - 2, k); ++ck)
      for (int ci = std::max(0, i - 1); ci <= std::min(nx_ - 2, i); ++ci)
        if (cell_active(ci, cj, ck)) g += cell_kxy_[ck] * 0.25 * hx_[ci] * hz_[ck];
    return g / hy_[cj];
  }
  const int ck = d == 4 ? k - 1 : k;
  if (ck < 0 || ck > nz_ - 2) return 0.0;
  for (int ci = std::max(0, i - 1); ci <= std::min(nx_ - 2, i); ++ci)
    for (int cj = std::max(0, j - 1); cj <= std::min(ny_ - 2, j); ++cj)
      if (cell_active(ci, cj, ck)) g += cell_kz_[ck] * 0.25 * hx_[ci] * hy_[cj];
  return g / hz_[ck];
}

void LayeredOperator::build_general_cache() {
  // Per-node conductances of the east, north and upper links, and the diagonal, so that the
  // hot loops do not re-derive them from the cells around every node.
  const std::size_t n = size();
  ge_.resize(n);
  gn_.resize(n);
  gu_.resize(n);
  gdiag_.resize(n);
  active_.resize(n);
  // Every node's terms are its own: computed in parallel, each exactly as a serial loop would.
  // First the east, north and upper links; a node's west, south and lower links are its
  // neighbours' east, north and upper ones (the same cells, summed in the same order), so the
  // diagonal then sums the six in link() direction order without deriving any again.
  const std::size_t sx = static_cast<std::size_t>(ny_) * nz_, sy = nz_;
#pragma omp parallel for schedule(static)
  for (int i = 0; i < nx_; ++i)
    for (int j = 0; j < ny_; ++j)
      for (int k = 0; k < nz_; ++k) {
        const std::size_t p = index(i, j, k);
        ge_[p] = link(1, i, j, k);
        gn_[p] = link(3, i, j, k);
        gu_[p] = link(5, i, j, k);
        active_[p] = touches_material(i, j, k) ? 1 : 0;
      }
#pragma omp parallel for schedule(static)
  for (int i = 0; i < nx_; ++i)
    for (int j = 0; j < ny_; ++j)
      for (int k = 0; k < nz_; ++k) {
        const std::size_t p = index(i, j, k);
        double d = 0;
        d += i > 0 ? ge_[p - sx] : 0.0;
        d += ge_[p];
        d += j > 0 ? gn_[p - sy] : 0.0;
        d += gn_[p];
        d += k > 0 ? gu_[p - 1] : 0.0;
        d += gu_[p];
        for (int f = 0; f < 6; ++f)
          if (bc_[f].h > 0) d += bc_[f].h * face_area(f, i, j, k);
        gdiag_[p] = d == 0 ? 1.0 : d;  // no material around this node: decouple it
      }
}

void LayeredOperator::line_matrix_general(int i, int j, double* lower, double* diag,
                                          double* upper) const {
  const bool col_fixed = column_fixed(i, j);
  const std::size_t base = index(i, j, 0);
  for (int k = 0; k < nz_; ++k) {
    diag[k] = gdiag_[base + k];
    if (shift_ != 0) diag[k] += shift_ * gcap_[base + k];  // 0 on fixed faces
    lower[k] = (k > 0 && !col_fixed) ? -gu_[base + k - 1] * mask_z_[k - 1] : 0.0;
    upper[k] = (k + 1 < nz_ && !col_fixed) ? -gu_[base + k] * mask_z_[k] : 0.0;
  }
}

void LayeredOperator::add_inplane_general(int i, int j, const double* x, double* rhs) const {
  if (column_fixed(i, j)) return;
  const int k0 = bc_[4].fixed ? 1 : 0;
  const int k1 = bc_[5].fixed ? nz_ - 1 : nz_;
  const double mw = i > 0 ? mask_x_[i - 1] : 0.0, me = i + 1 < nx_ ? mask_x_[i] : 0.0;
  const double ms = j > 0 ? mask_y_[j - 1] : 0.0, mn = j + 1 < ny_ ? mask_y_[j] : 0.0;
  const std::size_t p0 = index(i, j, 0);
  const std::size_t pw = i > 0 ? index(i - 1, j, 0) : p0,
                    pe = i + 1 < nx_ ? index(i + 1, j, 0) : p0;
  const std::size_t ps = j > 0 ? index(i, j - 1, 0) : p0,
                    pn = j + 1 < ny_ ? index(i, j + 1, 0) : p0;
  for (int k = k0; k < k1; ++k) {
    rhs[k] += mw * ge_[pw + k] * x[pw + k] + me * ge_[p0 + k] * x[pe + k] +
              ms * gn_[ps + k] * x[ps + k] + mn * gn_[p0 + k] * x[pn + k];
  }
}

void LayeredOperator::line_matrix(int i, int j, double* lower, double* diag, double* upper) const {
  if (has_footprints_) return line_matrix_general(i, j, lower, diag, upper);
  scaled_line_matrix(ax_.p[i] + ay_.p[j], ax_.u[i] + ay_.u[j], ax_.fixed[i] || ay_.fixed[j], lower,
                     diag, upper);
  const double a = wx_[i] * wy_[j];
  for (int k = 0; k < nz_; ++k) {
    lower[k] *= a;
    diag[k] *= a;
    upper[k] *= a;
  }
}

void LayeredOperator::add_inplane_coupling(int i, int j, const double* x, double* rhs) const {
  if (has_footprints_) return add_inplane_general(i, j, x, rhs);
  if (ax_.fixed[i] || ay_.fixed[j]) return;
  const double gw = wy_[j] * ax_.lo[i], ge = wy_[j] * ax_.hi[i];
  const double gs = wx_[i] * ay_.lo[j], gn = wx_[i] * ay_.hi[j];
  const double* xc = x + index(i, j, 0);
  const double* xw = i > 0 ? x + index(i - 1, j, 0) : xc;
  const double* xe = i + 1 < nx_ ? x + index(i + 1, j, 0) : xc;
  const double* xs = j > 0 ? x + index(i, j - 1, 0) : xc;
  const double* xn = j + 1 < ny_ ? x + index(i, j + 1, 0) : xc;
  const double* kin = kin_.data();
#pragma omp simd
  for (int k = 0; k < nz_; ++k)
    rhs[k] += kin[k] * (gw * xw[k] + ge * xe[k] + gs * xs[k] + gn * xn[k]);
}

void LayeredOperator::inplane_links(int i, int j, double* w, double* e, double* s,
                                    double* n) const {
  for (int k = 0; k < nz_; ++k) w[k] = e[k] = s[k] = n[k] = 0.0;
  if (column_fixed(i, j)) return;
  const int k0 = bc_[4].fixed ? 1 : 0;
  const int k1 = bc_[5].fixed ? nz_ - 1 : nz_;
  if (has_footprints_) {
    const double mw = i > 0 ? mask_x_[i - 1] : 0.0, me = i + 1 < nx_ ? mask_x_[i] : 0.0;
    const double ms = j > 0 ? mask_y_[j - 1] : 0.0, mn = j + 1 < ny_ ? mask_y_[j] : 0.0;
    const std::size_t p0 = index(i, j, 0);
    const std::size_t pw = i > 0 ? index(i - 1, j, 0) : p0;
    const std::size_t ps = j > 0 ? index(i, j - 1, 0) : p0;
    for (int k = k0; k < k1; ++k) {
      w[k] = mw * ge_[pw + k];
      e[k] = me * ge_[p0 + k];
      s[k] = ms * gn_[ps + k];
      n[k] = mn * gn_[p0 + k];
    }
    return;
  }
  for (int k = k0; k < k1; ++k) {
    w[k] = kin_[k] * wy_[j] * ax_.lo[i];
    e[k] = kin_[k] * wy_[j] * ax_.hi[i];
    s[k] = kin_[k] * wx_[i] * ay_.lo[j];
    n[k] = kin_[k] * wx_[i] * ay_.hi[j];
  }
}

// One x row of A x (kResidual: of b - A x) into out (ny * nz values), returning the dot product
// of x and out over the row. Without footprints, line_matrix and add_inplane_coupling fused
// into one pass over each column's nodes from the separable terms; with them, per column
// through those two functions (one code path with the smoother).
template <bool kResidual>
double LayeredOperator::row_kernel(int i, const double* x, const double* b, double* out) const {
  const int nz = nz_;
  double dot = 0;
  if (has_footprints_) {
    std::vector<double> lo(nz), di(nz), up(nz);
    for (int j = 0; j < ny_; ++j) {
      line_matrix(i, j, lo.data(), di.data(), up.data());
      const double* xc = x + index(i, j, 0);
      double* yc = out + static_cast<std::size_t>(j) * nz;
      for (int k = 0; k < nz; ++k) yc[k] = 0.0;
      add_inplane_coupling(i, j, x, yc);  // y = -(in-plane part) ...
      for (int k = 0; k < nz; ++k) {
        double v = di[k] * xc[k] - yc[k];  // ... + the z-line block
        if (k > 0) v += lo[k] * xc[k - 1];
        if (k + 1 < nz) v += up[k] * xc[k + 1];
        if (kResidual) v = b[index(i, j, k)] - v;
        yc[k] = v;
        dot += xc[k] * v;
      }
    }
    return dot;
  }
  const double* kin = kin_.data();
  const double *zlo = zlo_.data(), *zup = zup_.data();
  const std::size_t plane = static_cast<std::size_t>(ny_) * nz;
  for (int j = 0; j < ny_; ++j) {
    const double a = wx_[i] * wy_[j];
    const double p = ax_.p[i] + ay_.p[j], u = ax_.u[i] + ay_.u[j];
    const std::size_t base = index(i, j, 0);
    const double* xc = x + base;
    const double* bc = kResidual ? b + base : nullptr;
    double* yc = out + static_cast<std::size_t>(j) * nz;
    if (ax_.fixed[i] || ay_.fixed[j]) {  // only the diagonal, without the capacity shift
      const double* zd0 = zd0_.data();
      for (int k = 0; k < nz; ++k) {
        double v = a * scaled_diag(k, p, u, zd0) * xc[k];
        if (kResidual) v = bc[k] - v;
        yc[k] = v;
        dot += xc[k] * v;
      }
      continue;
    }
    const double* zd = zd_.data();
    const double gw = wy_[j] * ax_.lo[i], ge = wy_[j] * ax_.hi[i];
    const double gs = wx_[i] * ay_.lo[j], gn = wx_[i] * ay_.hi[j];
    const double* xw = i > 0 ? xc - plane : xc;
    const double* xe = i + 1 < nx_ ? xc + plane : xc;
    const double* xs = j > 0 ? xc - nz : xc;
    const double* xn = j + 1 < ny_ ? xc + nz : xc;
    auto inplane = [&](int k) { return gw * xw[k] + ge * xe[k] + gs * xs[k] + gn * xn[k]; };
    // The diagonal is rounded as line_matrix rounds it, (a S_kk) x_k, so that a node on a
    // fixed z face (no links) reproduces its right-hand side d T_fixed exactly.
    auto diag = [&](int k) { return a * scaled_diag(k, p, u, zd); };
    auto put = [&](int k, double v) {
      if (kResidual) v = bc[k] - v;
      yc[k] = v;
      return xc[k] * v;
    };
    dot += put(0, diag(0) * xc[0] - a * (zup[0] * xc[1]) - kin[0] * inplane(0));
#pragma omp simd reduction(+ : dot)
    for (int k = 1; k < nz - 1; ++k)
      dot += put(
          k, diag(k) * xc[k] - a * (zlo[k] * xc[k - 1] + zup[k] * xc[k + 1]) - kin[k] * inplane(k));
    const int t = nz - 1;
    dot += put(t, diag(t) * xc[t] - a * (zlo[t] * xc[t - 1]) - kin[t] * inplane(t));
  }
  return dot;
}

void LayeredOperator::apply(const double* x, double* y) const { apply_dot(x, y); }

double LayeredOperator::apply_dot(const double* x, double* y) const {
  double dot = 0;
#pragma omp parallel for if (size() >= kMinParallelNodes) reduction(+ : dot) schedule(static)
  for (int i = 0; i < nx_; ++i) dot += row_kernel<false>(i, x, nullptr, y + index(i, 0, 0));
  return dot;
}

void LayeredOperator::residual(const double* b, const double* x, double* r) const {
#pragma omp parallel for if (size() >= kMinParallelNodes) schedule(static)
  for (int i = 0; i < nx_; ++i) row_kernel<true>(i, x, b, r + index(i, 0, 0));
}

void LayeredOperator::residual_row(int i, const double* b, const double* x, double* r_row) const {
  row_kernel<true>(i, x, b, r_row);
}

void LayeredOperator::diagonal(double* d) const {
#pragma omp parallel if (size() >= kMinParallelNodes)
  {
    std::vector<double> lo(nz_), up(nz_);
#pragma omp for schedule(static)
    for (int i = 0; i < nx_; ++i)
      for (int j = 0; j < ny_; ++j) line_matrix(i, j, lo.data(), d + index(i, j, 0), up.data());
  }
}

bool LayeredOperator::is_fixed(int i, int j, int k, double* t) const {
  const bool on[6] = {i == 0, i == nx_ - 1, j == 0, j == ny_ - 1, k == 0, k == nz_ - 1};
  for (int f = 0; f < 6; ++f) {
    if (on[f] && bc_[f].fixed) {
      if (t) *t = bc_[f].t_fixed;
      return true;
    }
  }
  return false;
}

void LayeredOperator::add_boundary_rhs(double* b, const Box& part) const {
  // Convective faces: h A T_amb, one sum per node (x rows on the threads: their nodes differ).
#pragma omp parallel for schedule(static) if (part.size() >= kMinParallelNodes)
  for (int i = part.i0; i < part.i1; ++i)
    for (int j = part.j0; j < part.j1; ++j) {
      // Inside the side faces only the bottom and top nodes of the column lie on a face.
      const bool side = i == 0 || i == nx_ - 1 || j == 0 || j == ny_ - 1;
      const int step = side ? 1 : std::max(1, nz_ - 1);
      for (int k = 0; k < nz_; k += step) {
        double s = 0;
        for (int f = 0; f < 6; ++f)
          if (bc_[f].h > 0) s += bc_[f].h * bc_[f].t_amb * face_area(f, i, j, k);
        b[part.index(i, j, k)] += s;
      }
    }
  bool any_fixed = false;
  for (const auto& f : bc_) any_fixed = any_fixed || f.fixed;
  if (!any_fixed) return;
  // Fixed faces: the node equation becomes d T = d T_fixed, and the removed couplings lift the
  // neighbours' right-hand sides by G T_fixed.
  static const int di[6] = {-1, 1, 0, 0, 0, 0}, dj[6] = {0, 0, -1, 1, 0, 0},
                   dk[6] = {0, 0, 0, 0, -1, 1};
  std::vector<double> lo(nz_), dg(nz_), up(nz_);
  for (int i = part.i0; i < part.i1; ++i)
    for (int j = part.j0; j < part.j1; ++j) {
      line_matrix(i, j, lo.data(), dg.data(), up.data());
      for (int k = 0; k < nz_; ++k) {
        const std::size_t p = part.index(i, j, k);
        double t;
        if (is_fixed(i, j, k, &t)) {
          b[p] = dg[k] * t;  // replaces power and convection: the temperature is imposed
          continue;
        }
        for (int d = 0; d < 6; ++d) {
          const int ii = i + di[d], jj = j + dj[d], kk = k + dk[d];
          if (ii < 0 || ii >= nx_ || jj < 0 || jj >= ny_ || kk < 0 || kk >= nz_) continue;
          if (is_fixed(ii, jj, kk, &t)) b[p] += link(d, i, j, k) * t;
        }
      }
    }
}

std::array<double, 6> LayeredOperator::heat_out(const double* t, const Box& tbox,
                                                const double* power, const Box& part) const {
  std::array<double, 6> out{};
  static const int di[6] = {-1, 1, 0, 0, 0, 0}, dj[6] = {0, 0, -1, 1, 0, 0},
                   dk[6] = {0, 0, 0, 0, -1, 1};
  for (int i = part.i0; i < part.i1; ++i)
    for (int j = part.j0; j < part.j1; ++j) {
      // Boundary nodes only: a whole side column, else the bottom and top node of the column.
      const bool side = i == 0 || i == nx_ - 1 || j == 0 || j == ny_ - 1;
      const int kstep = side || nz_ < 2 ? 1 : nz_ - 1;
      for (int k = 0; k < nz_; k += kstep) {
        const double tp = t[tbox.index(i, j, k)];
        // Convection on every face the node touches.
        double conv = 0;
        for (int f = 0; f < 6; ++f) {
          if (bc_[f].h == 0) continue;
          const double q = bc_[f].h * face_area(f, i, j, k) * (tp - bc_[f].t_amb);
          out[f] += q;
          conv += q;
        }
        if (!is_fixed(i, j, k)) continue;
        // A fixed node absorbs its power plus what its neighbours conduct to it, less what it
        // already lost by convection; booked on the first fixed face it lies on.
        const bool on[6] = {i == 0, i == nx_ - 1, j == 0, j == ny_ - 1, k == 0, k == nz_ - 1};
        int face = 0;
        while (!(on[face] && bc_[face].fixed)) ++face;
        double q = (power ? power[part.index(i, j, k)] : 0.0) - conv;
        for (int d = 0; d < 6; ++d) {
          const int ii = i + di[d], jj = j + dj[d], kk = k + dk[d];
          if (ii < 0 || ii >= nx_ || jj < 0 || jj >= ny_ || kk < 0 || kk >= nz_) continue;
          q += link(d, i, j, k) * (t[tbox.index(ii, jj, kk)] - tp);
        }
        out[face] += q;
      }
    }
  return out;
}

}  // namespace heatop::fv
