// Depth functions computed from a layered stack (stack_basis.hpp).

#include "surrogate/stack_basis.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace heatop::surrogate {

namespace {

// The shape functions of one layer of width D at t = xi - xi_bottom, u = xi_top - xi with rate
// rho: a = sinh(rho u) / sinh(rho D) (1 at the bottom, 0 at the top), b = sinh(rho t) /
// sinh(rho D), and the bubble B = (1 - a - b) / rho^2 (B'' = rho^2 B - 1, B = 0 at both ends),
// written with exponentials of non-positive arguments and expm1 so that neither large nor small
// rho D loses precision; rho = 0 gives the linear and quadratic limits.
struct Shape {
  double a, a1, b, b1, B, B1;
};

Shape shape(double rho, double t, double u, double D) {
  if (rho == 0) return {u / D, -1 / D, t / D, 1 / D, t * u / 2, (u - t) / 2};
  const double E = -std::expm1(-2 * rho * D), et = std::exp(-rho * t), eu = std::exp(-rho * u);
  const double den = 1 + std::exp(-rho * D), mt = std::expm1(-rho * t), mu = std::expm1(-rho * u);
  return {et * -std::expm1(-2 * rho * u) / E, -rho * et * (1 + eu * eu) / E,
          eu * -std::expm1(-2 * rho * t) / E, rho * eu * (1 + et * et) / E,
          mt * mu / (rho * rho * den),        (mt - mu) / (rho * den)};
}

// rho coth(rho D), rho csch(rho D) and tanh(rho D / 2) / rho: the end fluxes of a, b and B.
void end_fluxes(double rho, double D, double& K, double& S, double& tau) {
  if (rho == 0) {
    K = S = 1 / D;
    tau = D / 2;
    return;
  }
  const double E = -std::expm1(-2 * rho * D), e = std::exp(-rho * D);
  K = rho * (1 + e * e) / E;
  S = rho * 2 * e / E;
  tau = -std::expm1(-rho * D) / (rho * (1 + e));
}

// Where a point lies in the stack: layer j, distance t from its bottom and u to its top (both
// within [0, D]), the layer's width D.
struct Where {
  int j;
  double t, u, D;
};

Where locate(const StackProfile& p, double x) {
  const int L = static_cast<int>(p.c.size());
  int j = static_cast<int>(std::upper_bound(p.xi.begin(), p.xi.end(), x) - p.xi.begin()) - 1;
  j = std::clamp(j, 0, L - 1);
  const double D = p.xi[j + 1] - p.xi[j];
  return {j, std::clamp(x - p.xi[j], 0.0, D), std::clamp(p.xi[j + 1] - x, 0.0, D), D};
}

// Unscaled value and derivatives of the function with interface values h (and a source in
// source_layer, or -1) in layer j, where its rate is rho and the layer's shape at the point is s.
void combine(const std::vector<double>& h, int source_layer, int j, double rho, const Shape& s,
             double& v, double& d1, double& d2) {
  v = h[j] * s.a + h[j + 1] * s.b;
  d1 = h[j] * s.a1 + h[j + 1] * s.b1;
  d2 = rho * rho * v;
  if (j == source_layer) {
    v += s.B;
    d1 += s.B1;
    d2 += rho * rho * s.B - 1;
  }
}

}  // namespace

void StackProfile::validate() const {
  const std::size_t L = c.size();
  if (L == 0 || xi.size() != L + 1 || w.size() != L)
    throw std::invalid_argument("stack basis: " + std::to_string(xi.size()) + " interfaces, " +
                                std::to_string(c.size()) + " rate factors and " +
                                std::to_string(w.size()) +
                                " flux weights do not describe one stack");
  for (std::size_t j = 0; j < L; ++j) {
    if (!(xi[j + 1] > xi[j]))
      throw std::invalid_argument("stack basis: layer " + std::to_string(j) +
                                  " has no thickness in the trunk coordinate");
    if (!(c[j] >= 0) || !(w[j] > 0))
      throw std::invalid_argument("stack basis: layer " + std::to_string(j) +
                                  " has a negative rate factor or a non-positive flux weight");
  }
  if (!source_strength.empty() && source_strength.size() != sources.size())
    throw std::invalid_argument("stack basis: one source strength per source layer");
  for (int s : sources)
    if (s < 0 || s >= static_cast<int>(L))
      throw std::invalid_argument("stack basis: source layer " + std::to_string(s) +
                                  " is not a layer of the stack");
}

std::vector<double> StackBasis::geometric_rates(const StackProfile& p, int count) {
  std::vector<double> r{0.0};
  for (int j = 0; j < count; ++j)
    r.push_back(count == 1 ? p.rate_min
                           : p.rate_min * std::pow(p.rate_max / p.rate_min,
                                                   static_cast<double>(j) / (count - 1)));
  return r;
}

StackBasis::StackBasis(const StackProfile& p, const std::vector<double>& rates,
                       const std::vector<double>& source_scale)
    : p_(p) {
  p_.validate();
  if (!source_scale.empty() && source_scale.size() != rates.size())
    throw std::invalid_argument("stack basis: one source scale per rate");
  for (double r : rates)
    if (!(r >= 0) || !std::isfinite(r))
      throw std::invalid_argument("stack basis: rates must be finite and >= 0");
  const int L = static_cast<int>(p_.c.size());
  for (std::size_t ri = 0; ri < rates.size(); ++ri) {
    const double rate = rates[ri];
    // Per layer: the end fluxes of the shape functions, times the flux weight.
    std::vector<double> K(L), S(L), tau(L);
    for (int j = 0; j < L; ++j) {
      end_fluxes(rate * p_.c[j], p_.xi[j + 1] - p_.xi[j], K[j], S[j], tau[j]);
      K[j] *= p_.w[j];
      S[j] *= p_.w[j];
      tau[j] *= p_.w[j];
    }
    const int kinds = 2 + static_cast<int>(p_.sources.size());
    for (int kind = 0; kind < kinds; ++kind) {
      Function f;
      f.rate = rate;
      f.kind = kind;
      f.source_layer = kind >= 2 ? p_.sources[kind - 2] : -1;
      f.h.assign(L + 1, 0.0);
      if (kind == 0) f.h[0] = 1;
      if (kind == 1) f.h[L] = 1;
      // Continuity of w Z_xi at interfaces 1 .. L-1: a diagonally dominant tridiagonal system
      // -S_{i-1} h_{i-1} + (K_{i-1} + K_i) h_i - S_i h_{i+1} = (source flux), Thomas algorithm.
      const int n = L - 1;
      if (n > 0) {
        std::vector<double> lo(n), di(n), up(n), rhs(n, 0.0);
        for (int i = 1; i <= n; ++i) {
          lo[i - 1] = -S[i - 1];
          di[i - 1] = K[i - 1] + K[i];
          up[i - 1] = -S[i];
          if (f.source_layer >= 0 && (i == f.source_layer || i == f.source_layer + 1))
            rhs[i - 1] += tau[f.source_layer];
        }
        rhs[0] += S[0] * f.h[0];
        rhs[n - 1] += S[L - 1] * f.h[L];
        for (int i = 1; i < n; ++i) {
          const double m = lo[i] / di[i - 1];
          di[i] -= m * up[i - 1];
          rhs[i] -= m * rhs[i - 1];
        }
        f.h[n] = rhs[n - 1] / di[n - 1];
        for (int i = n - 2; i >= 0; --i) f.h[i + 1] = (rhs[i] - up[i] * f.h[i + 2]) / di[i];
      }
      // Scale: homogeneous functions to a peak of 1 / (1 + rate / 2), as the lateral cosine
      // modes (whose rate in their own trunk coordinate is rate / 2), so that a unit change of
      // any coefficient moves the flux by about as much; they peak at their own face (1):
      // Z'' = rho^2 Z has no interior maximum. Source functions: the given strength, or else a
      // peak of 1 (found by sampling).
      if (kind < 2) {
        f.scale = 1 / (1 + rate / 2);
      } else if (!p_.source_strength.empty()) {
        f.scale = p_.source_strength[kind - 2] * (source_scale.empty() ? 1.0 : source_scale[ri]);
      } else {
        double peak = 0, v, d1, d2;
        for (int k = 0; k <= 2000; ++k) {
          point(f, -1 + k / 1000.0, v, d1, d2);
          peak = std::max(peak, std::abs(v));
        }
        for (double x : p_.xi) {
          point(f, x, v, d1, d2);
          peak = std::max(peak, std::abs(v));
        }
        f.scale = 1 / peak;
      }
      fn_.push_back(f);
    }
  }
}

void StackBasis::point(const Function& f, double x, double& v, double& d1, double& d2) const {
  const Where w = locate(p_, x);
  const double rho = f.rate * p_.c[w.j];
  combine(f.h, f.source_layer, w.j, rho, shape(rho, w.t, w.u, w.D), v, d1, d2);
}

void StackBasis::evaluate(const std::vector<double>& points, std::vector<double>& v,
                          std::vector<double>& d1, std::vector<double>& d2) const {
  evaluate(points, v, &d1, &d2);
}

void StackBasis::evaluate(const std::vector<double>& points, std::vector<double>& v) const {
  evaluate(points, v, nullptr, nullptr);
}

void StackBasis::evaluate(const std::vector<double>& points, std::vector<double>& v,
                          std::vector<double>* d1, std::vector<double>* d2) const {
  const std::size_t n = points.size(), m = fn_.size();
  // Every entry is written below (on the threads that own the points).
  v.resize(n * m);
  if (d1) d1->resize(n * m);
  if (d2) d2->resize(n * m);
  // A whole grid's depth axis is about a third of a million evaluations. A mode's functions
  // (consecutive, one per kind) share its rate, so each point's layer shape is computed once
  // per mode, and the points are shared among the threads.
  const auto points_n = static_cast<std::ptrdiff_t>(n);
#pragma omp parallel for schedule(static) if (n * m >= 65536)
  for (std::ptrdiff_t i = 0; i < points_n; ++i) {
    const Where w = locate(p_, points[i]);
    double rho = 0;
    Shape s{};
    for (std::size_t f = 0; f < m; ++f) {
      const Function& F = fn_[f];
      if (f == 0 || F.rate != fn_[f - 1].rate) {
        rho = F.rate * p_.c[w.j];
        s = shape(rho, w.t, w.u, w.D);
      }
      double a, b, c;
      combine(F.h, F.source_layer, w.j, rho, s, a, b, c);
      v[i * m + f] = a * F.scale;
      if (d1) (*d1)[i * m + f] = b * F.scale;
      if (d2) (*d2)[i * m + f] = c * F.scale;
    }
  }
}

ModalFaceSystem modal_face_system(const StackBasis& basis, const DepthFaceCondition& bottom,
                                  const DepthFaceCondition& top) {
  const StackProfile& p = basis.profile();
  const int kinds = basis.kinds(), n = basis.size() / kinds, m = basis.size();
  std::vector<double> v, d1, d2;
  basis.evaluate({-1.0, 1.0}, v, d1, d2);
  const double w[2] = {p.w.front(), p.w.back()};
  // Condition c (0 bottom, 1 top) applied to function f, and its factor of a further bi.
  auto row = [&](int c, int f, double& fixed_part, double& bi_part) {
    const DepthFaceCondition& fc = c == 0 ? bottom : top;
    const double val = v[c * m + f], der = d1[c * m + f];
    if (fc.fixed) {
      fixed_part = val;
      bi_part = 0;
    } else {
      const double sign = c == 0 ? -1 : 1;  // w u_xi - bi u (bottom), w u_xi + bi u (top)
      fixed_part = w[c] * der + sign * fc.bi * val;
      bi_part = val;
    }
  };
  ModalFaceSystem s;
  for (auto* x : {&s.a0, &s.a1, &s.b, &s.c, &s.d0, &s.d1}) x->resize(n);
  for (int r = 0; r < n; ++r) {
    const int f0 = r * kinds;
    double unused;
    row(0, f0, s.a0[r], s.a1[r]);
    row(0, f0 + 1, s.b[r], unused);  // the top function is 0 at the bottom face
    row(1, f0, s.c[r], unused);      // and the bottom function 0 at the top face
    row(1, f0 + 1, s.d0[r], s.d1[r]);
  }
  return s;
}

void modal_drive(const StackBasis& basis, const DepthFaceCondition& bottom,
                 const DepthFaceCondition& top, int source, int power_face,
                 const std::vector<double>& sigma, std::vector<double>& r0,
                 std::vector<double>& r1) {
  const StackProfile& p = basis.profile();
  const int kinds = basis.kinds(), n = basis.size() / kinds, m = basis.size();
  if (static_cast<int>(sigma.size()) != n)
    throw std::invalid_argument("solved modal weights: one sigma per rate");
  if (source >= static_cast<int>(p.sources.size()) ||
      (source < 0 && power_face != 0 && power_face != 1))
    throw std::invalid_argument("solved modal weights: no such source or face");
  std::vector<double> v, d1, d2;
  basis.evaluate({-1.0, 1.0}, v, d1, d2);
  r0.assign(n, 0.0);
  r1.assign(n, 0.0);
  for (int r = 0; r < n; ++r) {
    if (source >= 0) {
      // The source function is 0 at both faces: only its flux enters a Robin condition, and
      // nothing enters a fixed one. Its weight is 1; it moves to the right-hand side.
      const int f = r * kinds + 2 + source;
      if (!bottom.fixed) r0[r] = -p.w.front() * d1[f];
      if (!top.fixed) r1[r] = -p.w.back() * d1[m + f];
    } else if (power_face == 0) {
      r0[r] = -sigma[r];  // w u_xi - bi u = -q at the bottom
    } else {
      r1[r] = sigma[r];  // w u_xi + bi u = q at the top
    }
  }
}

}  // namespace heatop::surrogate
