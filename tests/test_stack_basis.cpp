// The depth functions of a layered stack (surrogate/stack_basis.hpp): each must solve its layer's
// equation Z'' = rho^2 Z (- 1 in its source layer) inside every layer, with Z and w Z'
// continuous across interfaces and the face values of its kind; derivatives are checked against
// finite differences. Plain C++: runs without LibTorch.

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "surrogate/stack_basis.hpp"

using namespace heatop::surrogate;

namespace {

// A C2-like stack in the resistance coordinate (w equal: Z' continuous), and a 4-layer stack
// with unequal flux weights, two powered layers and one layer much thinner than the rest.
StackProfile c2_like() {
  StackProfile p;
  p.xi = {-1, -0.978, -0.758, 1};
  p.c = {0.0046, 0.0046 * 0.05, 0.0046 * 0.05};  // rho per unit wavenumber, per layer
  for (double& c : p.c) c *= 1e3;
  p.w = {1, 1, 1};
  p.sources = {1};
  p.rate_min = M_PI;
  p.rate_max = 84;
  return p;
}

StackProfile four_layers() {
  StackProfile p;
  p.xi = {-1, -0.4, -0.39, 0.3, 1};
  p.c = {2.0, 7.0, 0.5, 1.5};
  p.w = {1.0, 20.0, 0.3, 2.0};
  p.sources = {0, 2};
  p.rate_min = 1;
  p.rate_max = 200;
  return p;
}

struct Point {
  double v, d1, d2;
};

std::vector<Point> eval(const StackBasis& b, double x) {
  std::vector<double> v, d1, d2;
  b.evaluate({x}, v, d1, d2);
  std::vector<Point> r;
  for (int f = 0; f < b.size(); ++f) r.push_back({v[f], d1[f], d2[f]});
  return r;
}

void check_basis(const StackProfile& p, const std::vector<double>& rates) {
  const StackBasis b(p, rates);
  const int L = static_cast<int>(p.c.size());
  ASSERT_EQ(b.size(), static_cast<int>(rates.size() * (2 + p.sources.size())));
  for (int f = 0; f < b.size(); ++f) {
    SCOPED_TRACE("function " + std::to_string(f) + " rate " + std::to_string(b.rate(f)) + " kind " +
                 std::to_string(b.kind(f)));
    // Face values: 1 (times the scale) at its own face for a homogeneous function, 0 at the
    // other; 0 at both for a source function, whose peak is 1.
    const double bottom = eval(b, -1)[f].v, top = eval(b, 1)[f].v, scale = b.scale(f);
    ASSERT_GT(scale, 0);
    double peak = 0;
    for (int k = 0; k <= 4000; ++k) peak = std::max(peak, std::abs(eval(b, -1 + k / 2000.0)[f].v));
    if (b.kind(f) < 2) {
      EXPECT_NEAR(b.kind(f) == 0 ? bottom : top, scale, 1e-12 * scale);
      EXPECT_NEAR(b.kind(f) == 0 ? top : bottom, 0, 1e-12 * scale);
      EXPECT_NEAR(scale, 1 / (1 + b.rate(f) / 2), 1e-12);
    } else {
      EXPECT_NEAR(top, 0, 1e-12);
      EXPECT_NEAR(bottom, 0, 1e-12);
      EXPECT_NEAR(peak, 1, 1e-3);
    }
    const int source = b.kind(f) >= 2 ? p.sources[b.kind(f) - 2] : -1;
    // Inside every layer: the equation, and derivatives against central differences.
    for (int j = 0; j < L; ++j) {
      const double D = p.xi[j + 1] - p.xi[j], rho = b.rate(f) * p.c[j];
      for (double frac : {0.13, 0.5, 0.87}) {
        const double x = p.xi[j] + frac * D, h = 1e-4 * D;
        const Point c = eval(b, x)[f], m = eval(b, x - h)[f], q = eval(b, x + h)[f];
        const double tol = 1e-9 * scale * (1 + rho * rho) + 1e-12;
        EXPECT_NEAR(c.d2, rho * rho * c.v - (j == source ? scale : 0), tol) << "layer " << j;
        EXPECT_NEAR(c.d1, (q.v - m.v) / (2 * h), 1e-5 * (std::abs(c.d1) + scale / D) + 1e-12)
            << "layer " << j;
        EXPECT_NEAR(c.d2, (q.d1 - m.d1) / (2 * h), 1e-5 * (std::abs(c.d2) + scale / D / D) + 1e-12)
            << "layer " << j;
        EXPECT_TRUE(std::isfinite(c.v) && std::isfinite(c.d1) && std::isfinite(c.d2));
      }
    }
    // Across every interface: Z and w Z' continuous (limits from both sides).
    for (int i = 1; i < L; ++i) {
      const double e = 1e-9 * std::min(p.xi[i] - p.xi[i - 1], p.xi[i + 1] - p.xi[i]);
      const Point lo = eval(b, p.xi[i] - e)[f], hi = eval(b, p.xi[i] + e)[f];
      const double flux = std::max(std::abs(p.w[i - 1] * lo.d1), std::abs(p.w[i] * hi.d1));
      EXPECT_NEAR(lo.v, hi.v, 1e-7 * scale) << "interface " << i;
      EXPECT_NEAR(p.w[i - 1] * lo.d1, p.w[i] * hi.d1, 1e-6 * (flux + scale)) << "interface " << i;
    }
  }
}

}  // namespace

TEST(StackBasis, FunctionsSolveTheLayerEquationsWithContinuousFlux) {
  check_basis(c2_like(), {0, M_PI, 20, 84});
  check_basis(four_layers(), {0, 1, 30, 200});
}

TEST(StackBasis, OneLayerGivesTheHyperbolicFunctions) {
  // One layer on [-1, 1] with rho = rate: the bottom function is sinh(rho (1 - x)) / sinh(2 rho),
  // the source function (1 - cosh(rho x) / cosh(rho)) / rho^2, each scaled as documented.
  StackProfile p;
  p.xi = {-1, 1};
  p.c = {1};
  p.w = {1};
  p.sources = {0};
  p.rate_min = p.rate_max = 1;
  const double rho = 2.5;
  const StackBasis b(p, {0, rho});
  ASSERT_EQ(b.size(), 6);  // rate 0: bottom, top, source; rate 2.5: the same
  for (double x : {-1.0, -0.3, 0.4, 1.0}) {
    const auto v = eval(b, x);
    EXPECT_NEAR(v[0].v, (1 - x) / 2, 1e-14);
    EXPECT_NEAR(v[1].v, (1 + x) / 2, 1e-14);
    EXPECT_NEAR(v[2].v, (1 - x * x), 1e-12);  // (1 - x^2) / 2 scaled to a peak of 1
    EXPECT_NEAR(v[3].v, std::sinh(rho * (1 - x)) / std::sinh(2 * rho) / (1 + rho / 2), 1e-12);
    EXPECT_NEAR(v[4].v, std::sinh(rho * (1 + x)) / std::sinh(2 * rho) / (1 + rho / 2), 1e-12);
    const double bubble = 1 - std::cosh(rho * x) / std::cosh(rho);
    EXPECT_NEAR(v[5].v, bubble / (1 - 1 / std::cosh(rho)), 1e-12);
  }
}

// With source strengths given, a source function is the solution for that source strength (times
// the rate's extra factor) instead of being scaled to a peak of 1.
TEST(StackBasis, SourceStrengthSetsTheSourceFunctionsScale) {
  StackProfile p = four_layers();
  p.source_strength = {3.0, 0.5};
  const StackBasis b(p, {0, 30}, {1.0, 7.0});
  for (int f = 0; f < b.size(); ++f) {
    if (b.kind(f) < 2) continue;
    const int s = b.kind(f) - 2, layer = p.sources[s];
    const double want = p.source_strength[s] * (b.rate(f) == 0 ? 1.0 : 7.0);
    EXPECT_NEAR(b.scale(f), want, 1e-12 * want);
    const double x = 0.5 * (p.xi[layer] + p.xi[layer + 1]), rho = b.rate(f) * p.c[layer];
    const Point v = eval(b, x)[f];
    EXPECT_NEAR(v.d2 - rho * rho * v.v, -want, 1e-9 * want * (1 + rho * rho));
  }
  p.source_strength = {1.0};
  EXPECT_THROW(StackBasis(p, {0.0}), std::invalid_argument);
  EXPECT_THROW(StackBasis(four_layers(), {0.0, 1.0}, {1.0}), std::invalid_argument);
}

TEST(StackBasis, SteepRatesStayFinite) {
  // rho D up to 2e5: no overflow, the far face untouched.
  StackProfile p = four_layers();
  const StackBasis b(p, {1e4});
  for (double x : {-1.0, -0.5, -0.395, 0.0, 0.99, 1.0})
    for (const Point& v : eval(b, x))
      EXPECT_TRUE(std::isfinite(v.v) && std::isfinite(v.d1) && std::isfinite(v.d2)) << x;
}

TEST(StackBasis, InconsistentProfilesAreErrors) {
  StackProfile p = four_layers();
  p.w.pop_back();
  EXPECT_THROW(StackBasis(p, {1.0}), std::invalid_argument);
  p = four_layers();
  p.xi[2] = p.xi[1];
  EXPECT_THROW(StackBasis(p, {1.0}), std::invalid_argument);
  p = four_layers();
  p.sources = {7};
  EXPECT_THROW(StackBasis(p, {1.0}), std::invalid_argument);
  EXPECT_THROW(StackBasis(four_layers(), {-1.0}), std::invalid_argument);
}
