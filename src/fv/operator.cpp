#include "fv/operator.hpp"

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
                                 std::vector<double> cell_kz, std::array<FaceBc, 6> bc)
    : nx_(static_cast<int>(x.size())),
      ny_(static_cast<int>(y.size())),
      nz_(static_cast<int>(z.size())),
      x_(std::move(x)),
      y_(std::move(y)),
      z_(std::move(z)),
      cell_kxy_(std::move(cell_kxy)),
      cell_kz_(std::move(cell_kz)),
      bc_(bc) {
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
}

void LayeredOperator::inplane_factors(int i, int j, double g[4], double* sum) const {
  const double wy = wy_[j], wx = wx_[i];
  const double gw = i > 0 ? wy * inv_dx_[i - 1] : 0.0;
  const double ge = i + 1 < nx_ ? wy * inv_dx_[i] : 0.0;
  const double gs = j > 0 ? wx * inv_dy_[j - 1] : 0.0;
  const double gn = j + 1 < ny_ ? wx * inv_dy_[j] : 0.0;
  *sum = gw + ge + gs + gn;
  g[0] = i > 0 ? gw * mask_x_[i - 1] : 0.0;
  g[1] = i + 1 < nx_ ? ge * mask_x_[i] : 0.0;
  g[2] = j > 0 ? gs * mask_y_[j - 1] : 0.0;
  g[3] = j + 1 < ny_ ? gn * mask_y_[j] : 0.0;
}

double LayeredOperator::side_h_factor(int i, int j) const {
  double s = 0;
  if (i == 0) s += bc_[0].h * wy_[j];
  if (i == nx_ - 1) s += bc_[1].h * wy_[j];
  if (j == 0) s += bc_[2].h * wx_[i];
  if (j == ny_ - 1) s += bc_[3].h * wx_[i];
  return s;
}

void LayeredOperator::line_matrix(int i, int j, double* lower, double* diag, double* upper) const {
  double g[4], gsum;
  inplane_factors(i, j, g, &gsum);
  const double hs = side_h_factor(i, j);
  const double axy = wx_[i] * wy_[j];
  for (int k = 0; k < nz_; ++k) {
    const double gdown = k > 0 ? axy * gz_[k - 1] : 0.0;
    const double gup = k + 1 < nz_ ? axy * gz_[k] : 0.0;
    double d = kxy_cv_[k] * gsum + gdown + gup + hs * wz_[k];
    if (k == 0) d += bc_[4].h * axy;
    if (k == nz_ - 1) d += bc_[5].h * axy;
    diag[k] = d;
    lower[k] = k > 0 ? -gdown * mask_z_[k - 1] : 0.0;
    upper[k] = k + 1 < nz_ ? -gup * mask_z_[k] : 0.0;
  }
  // A node on a fixed face keeps only its diagonal.
  const bool col_fixed = (i == 0 && bc_[0].fixed) || (i == nx_ - 1 && bc_[1].fixed) ||
                         (j == 0 && bc_[2].fixed) || (j == ny_ - 1 && bc_[3].fixed);
  if (col_fixed) {
    for (int k = 0; k < nz_; ++k) lower[k] = upper[k] = 0.0;
  }
}

void LayeredOperator::add_inplane_coupling(int i, int j, const double* x, double* rhs) const {
  double g[4], gsum;
  inplane_factors(i, j, g, &gsum);
  const bool col_fixed = (i == 0 && bc_[0].fixed) || (i == nx_ - 1 && bc_[1].fixed) ||
                         (j == 0 && bc_[2].fixed) || (j == ny_ - 1 && bc_[3].fixed);
  if (col_fixed) return;
  const double* xc = x + index(i, j, 0);
  const double* xw = i > 0 ? x + index(i - 1, j, 0) : xc;
  const double* xe = i + 1 < nx_ ? x + index(i + 1, j, 0) : xc;
  const double* xs = j > 0 ? x + index(i, j - 1, 0) : xc;
  const double* xn = j + 1 < ny_ ? x + index(i, j + 1, 0) : xc;
  const double* kc = kxy_cv_.data();
  // z-fixed end nodes have masked z links but keep in-plane links only if not fixed themselves.
  const int k0 = bc_[4].fixed ? 1 : 0;
  const int k1 = bc_[5].fixed ? nz_ - 1 : nz_;
#pragma omp simd
  for (int k = k0; k < k1; ++k)
    rhs[k] += kc[k] * (g[0] * xw[k] + g[1] * xe[k] + g[2] * xs[k] + g[3] * xn[k]);
}

void LayeredOperator::apply(const double* x, double* y) const {
#pragma omp parallel
  {
    std::vector<double> lo(nz_), di(nz_), up(nz_);
#pragma omp for schedule(static)
    for (int i = 0; i < nx_; ++i) {
      for (int j = 0; j < ny_; ++j) {
        line_matrix(i, j, lo.data(), di.data(), up.data());
        const std::size_t base = index(i, j, 0);
        const double* xc = x + base;
        double* yc = y + base;
        for (int k = 0; k < nz_; ++k) yc[k] = di[k] * xc[k];
        for (int k = 1; k < nz_; ++k) yc[k] += lo[k] * xc[k - 1];
        for (int k = 0; k + 1 < nz_; ++k) yc[k] += up[k] * xc[k + 1];
        // y -= in-plane coupling
        double g[4], gsum;
        inplane_factors(i, j, g, &gsum);
        (void)gsum;
        const bool col_fixed = (i == 0 && bc_[0].fixed) || (i == nx_ - 1 && bc_[1].fixed) ||
                               (j == 0 && bc_[2].fixed) || (j == ny_ - 1 && bc_[3].fixed);
        if (col_fixed) continue;
        const double* xw = i > 0 ? x + index(i - 1, j, 0) : xc;
        const double* xe = i + 1 < nx_ ? x + index(i + 1, j, 0) : xc;
        const double* xs = j > 0 ? x + index(i, j - 1, 0) : xc;
        const double* xn = j + 1 < ny_ ? x + index(i, j + 1, 0) : xc;
        const double* kc = kxy_cv_.data();
        const int k0 = bc_[4].fixed ? 1 : 0;
        const int k1 = bc_[5].fixed ? nz_ - 1 : nz_;
#pragma omp simd
        for (int k = k0; k < k1; ++k)
          yc[k] -= kc[k] * (g[0] * xw[k] + g[1] * xe[k] + g[2] * xs[k] + g[3] * xn[k]);
      }
    }
  }
}

void LayeredOperator::residual(const double* b, const double* x, double* r) const {
  apply(x, r);
  const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(size());
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t p = 0; p < n; ++p) r[p] = b[p] - r[p];
}

void LayeredOperator::diagonal(double* d) const {
#pragma omp parallel
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

void LayeredOperator::add_boundary_rhs(double* b) const {
  std::vector<double> lo(nz_), di(nz_), up(nz_);
  // Convective faces: h A T_amb.
  for (int i = 0; i < nx_; ++i)
    for (int j = 0; j < ny_; ++j) {
      const std::size_t base = index(i, j, 0);
      const double axy = wx_[i] * wy_[j];
      for (int k = 0; k < nz_; ++k) {
        double s = 0;
        if (i == 0) s += bc_[0].h * bc_[0].t_amb * wy_[j] * wz_[k];
        if (i == nx_ - 1) s += bc_[1].h * bc_[1].t_amb * wy_[j] * wz_[k];
        if (j == 0) s += bc_[2].h * bc_[2].t_amb * wx_[i] * wz_[k];
        if (j == ny_ - 1) s += bc_[3].h * bc_[3].t_amb * wx_[i] * wz_[k];
        if (k == 0) s += bc_[4].h * bc_[4].t_amb * axy;
        if (k == nz_ - 1) s += bc_[5].h * bc_[5].t_amb * axy;
        b[base + k] += s;
      }
    }
  bool any_fixed = false;
  for (const auto& f : bc_) any_fixed = any_fixed || f.fixed;
  if (!any_fixed) return;
  // Fixed faces: the node equation becomes d T = d T_fixed, and the removed couplings lift the
  // neighbours' right-hand sides. Computed as b += (A_full - A) T_fixed restricted to free nodes.
  std::vector<double> tf(size(), 0.0);
  std::vector<char> fixed(size(), 0);
  for (int i = 0; i < nx_; ++i)
    for (int j = 0; j < ny_; ++j)
      for (int k = 0; k < nz_; ++k) {
        double t;
        if (is_fixed(i, j, k, &t)) {
          tf[index(i, j, k)] = t;
          fixed[index(i, j, k)] = 1;
        }
      }
  auto full_coupling = [&](int i, int j, int k) {
    // sum over unmasked links of G * T_fixed(neighbour) for neighbours that are fixed
    double s = 0;
    const double axy = wx_[i] * wy_[j];
    auto add = [&](int ii, int jj, int kk, double g) {
      const std::size_t q = index(ii, jj, kk);
      if (fixed[q]) s += g * tf[q];
    };
    if (i > 0) add(i - 1, j, k, kxy_cv_[k] * wy_[j] * inv_dx_[i - 1]);
    if (i + 1 < nx_) add(i + 1, j, k, kxy_cv_[k] * wy_[j] * inv_dx_[i]);
    if (j > 0) add(i, j - 1, k, kxy_cv_[k] * wx_[i] * inv_dy_[j - 1]);
    if (j + 1 < ny_) add(i, j + 1, k, kxy_cv_[k] * wx_[i] * inv_dy_[j]);
    if (k > 0) add(i, j, k - 1, axy * gz_[k - 1]);
    if (k + 1 < nz_) add(i, j, k + 1, axy * gz_[k]);
    return s;
  };
  for (int i = 0; i < nx_; ++i)
    for (int j = 0; j < ny_; ++j) {
      line_matrix(i, j, lo.data(), di.data(), up.data());
      for (int k = 0; k < nz_; ++k) {
        const std::size_t p = index(i, j, k);
        if (fixed[p])
          b[p] = di[k] * tf[p];  // replaces power and convection: the temperature is imposed
        else
          b[p] += full_coupling(i, j, k);
      }
    }
}

std::array<double, 6> LayeredOperator::heat_out(const double* t, const double* power) const {
  std::array<double, 6> out{};
  // Convective faces.
  for (int i = 0; i < nx_; ++i)
    for (int j = 0; j < ny_; ++j)
      for (int k = 0; k < nz_; ++k) {
        const double tp = t[index(i, j, k)];
        const double axy = wx_[i] * wy_[j];
        if (i == 0) out[0] += bc_[0].h * wy_[j] * wz_[k] * (tp - bc_[0].t_amb);
        if (i == nx_ - 1) out[1] += bc_[1].h * wy_[j] * wz_[k] * (tp - bc_[1].t_amb);
        if (j == 0) out[2] += bc_[2].h * wx_[i] * wz_[k] * (tp - bc_[2].t_amb);
        if (j == ny_ - 1) out[3] += bc_[3].h * wx_[i] * wz_[k] * (tp - bc_[3].t_amb);
        if (k == 0) out[4] += bc_[4].h * axy * (tp - bc_[4].t_amb);
        if (k == nz_ - 1) out[5] += bc_[5].h * axy * (tp - bc_[5].t_amb);
      }
  // Fixed faces: each fixed node absorbs its power plus what its neighbours conduct to it.
  for (int i = 0; i < nx_; ++i)
    for (int j = 0; j < ny_; ++j)
      for (int k = 0; k < nz_; ++k) {
        if (!is_fixed(i, j, k)) continue;
        const bool on[6] = {i == 0, i == nx_ - 1, j == 0, j == ny_ - 1, k == 0, k == nz_ - 1};
        int face = 0;
        while (!(on[face] && bc_[face].fixed)) ++face;
        const std::size_t p = index(i, j, k);
        const double axy = wx_[i] * wy_[j];
        double q = power ? power[p] : 0.0;
        auto link = [&](int ii, int jj, int kk, double g) { q += g * (t[index(ii, jj, kk)] - t[p]); };
        if (i > 0) link(i - 1, j, k, kxy_cv_[k] * wy_[j] * inv_dx_[i - 1]);
        if (i + 1 < nx_) link(i + 1, j, k, kxy_cv_[k] * wy_[j] * inv_dx_[i]);
        if (j > 0) link(i, j - 1, k, kxy_cv_[k] * wx_[i] * inv_dy_[j - 1]);
        if (j + 1 < ny_) link(i, j + 1, k, kxy_cv_[k] * wx_[i] * inv_dy_[j]);
        if (k > 0) link(i, j, k - 1, axy * gz_[k - 1]);
        if (k + 1 < nz_) link(i, j, k + 1, axy * gz_[k]);
        // Convection on other faces of this node was already counted above.
        for (int f = 0; f < 6; ++f) {
          if (!on[f] || bc_[f].h == 0) continue;
          const double area = f < 2 ? wy_[j] * wz_[k] : (f < 4 ? wx_[i] * wz_[k] : axy);
          q -= bc_[f].h * area * (t[p] - bc_[f].t_amb);
        }
        out[face] += q;
      }
  return out;
}

}  // namespace heatop::fv
