// Tests of the finite-volume discretization and the linear solvers:
// - second-order convergence against a manufactured solution on a layered, non-uniform grid;
// - exactness of the 1D slab profile, energy conservation, mirror symmetry, operator symmetry;
// - agreement of the solver / preconditioner combinations and multigrid iteration counts;
// - non-convergence and NaN reported, not thrown; independence of the thread count;
// - case C1 against the commercial (Celsius 3D) reference shipped in tests/data/celsius.
// Every number a test judges is printed, so the test log doubles as a validation record.

#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "field/field.hpp"
#include "field/stats.hpp"
#include "fv/system.hpp"
#include "io/power_files.hpp"
#include "io/probes.hpp"
#include "model/design.hpp"
#include "model/grid.hpp"
#include "solve/multigrid.hpp"
#include "solve/solver.hpp"

namespace heatop {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kMm = 1e-3;  // m per mm

solve::SolverConfig make_config(const std::string& method, const std::string& precond, double tol,
                                int max_iterations = 500) {
  solve::SolverConfig cfg;
  cfg.method = parse(solve::kMethodNames, method, "method");
  cfg.preconditioner = parse(solve::kPreconditionerNames, precond, "preconditioner");
  cfg.options.rel_tol = tol;
  cfg.options.max_iterations = max_iterations;
  return cfg;
}

/// Solves the system from a uniform initial guess t0 and returns the field and the report.
std::vector<double> solve_field(const fv::System& sys, const solve::SolverConfig& cfg, double t0,
                                solve::SolveReport* report = nullptr) {
  std::vector<double> t(sys.op->size(), t0);
  const auto rep = solve::solve_system(*sys.op, sys.rhs.data(), t.data(), cfg);
  EXPECT_TRUE(rep.converged) << rep.summary();
  if (report) *report = rep;
  return t;
}

model::Layer make_layer(const std::string& name, double thickness, double k_xy, double k_z,
                        int cells) {
  model::Layer l;
  l.name = name;
  l.thickness = thickness;
  l.k_xy = k_xy;
  l.k_z = k_z;
  l.cells = cells;
  return l;
}

model::Boundary convective(double h, double t_amb) {
  model::Boundary b;
  b.type = model::BcType::kConvective;
  b.h = h;
  b.t_amb = t_amb;
  return b;
}

model::Boundary fixed_face(double t) {
  model::Boundary b;
  b.type = model::BcType::kFixed;
  b.t_fixed = t;
  return b;
}

/// A rows x cols tile map of seeded uniform random watts in [lo, hi].
model::PowerMap random_tiles(int rows, int cols, double lo, double hi, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  model::PowerMap m;
  m.rows = rows;
  m.cols = cols;
  m.source = "random";
  for (int n = 0; n < rows * cols; ++n) m.tile_watts.push_back(u(gen));
  return m;
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double e = 0;
  for (std::size_t p = 0; p < a.size(); ++p) e = std::max(e, std::abs(a[p] - b[p]));
  return e;
}

// ---------------------------------------------------------------------------------------------
// a. Manufactured solution on a layered, anisotropic, non-uniform grid.
//
// T = T_amb + sum_m cos(ax_m x) cos(by_m y) Z_m(z). In layer l, Z_m is a cubic in the local
// coordinate sigma = (z - z_l) / t_l; consecutive layers are joined so that Z and k_z dZ/dz are
// continuous, i.e. T and the normal flux are continuous at every interface. cos modes satisfy the
// adiabatic sides. The source q = -div(k grad T) and the inhomogeneous Robin data on the top and
// bottom faces (-k dT/dn = h (T - T_amb) - g) are integrated exactly over every control volume.

struct Cubic {  // Z(sigma) = a + b sigma + c sigma^2 + d sigma^3 on a layer of thickness t
  double a, b, c, d, t;
  double value(double s) const {
    const double q = s / t;
    return a + q * (b + q * (c + q * d));
  }
  double slope(double s) const {  // dZ/dz
    const double q = s / t;
    return (b + q * (2 * c + q * 3 * d)) / t;
  }
  double integral(double s) const {  // int_0^s Z dz
    const double q = s / t;
    return t * q * (a + q * (b / 2 + q * (c / 3 + q * d / 4)));
  }
};

struct Mode {
  double ax = 0, by = 0;  // wave numbers, 1/m
  std::vector<Cubic> z;   // one per layer
};

struct MmsProblem {
  model::Design design;
  std::vector<double> z_bottom;  // bottom coordinate of each layer
  std::vector<Mode> modes;
  double t_amb = 300;
};

/// Joins per-layer curvature terms (c, d) into a flux-continuous piecewise cubic.
std::vector<Cubic> flux_continuous_profile(const std::vector<model::Layer>& layers, double a0,
                                           double b0,
                                           const std::vector<std::array<double, 2>>& cd) {
  std::vector<Cubic> z;
  double a = a0, b = b0;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const Cubic c{a, b, cd[l][0], cd[l][1], layers[l].thickness};
    z.push_back(c);
    if (l + 1 < layers.size()) {
      a = c.value(c.t);
      const double flux = layers[l].k_z * c.slope(c.t);
      b = flux / layers[l + 1].k_z * layers[l + 1].thickness;
    }
  }
  return z;
}

MmsProblem make_mms_problem() {
  MmsProblem p;
  auto& d = p.design;
  d.name = "mms";
  d.lx = 1.0 * kMm;
  d.ly = 0.8 * kMm;
  d.layers = {make_layer("base", 0.15 * kMm, 60, 60, 0), make_layer("aniso", 0.05 * kMm, 20, 4, 0),
              make_layer("cap", 0.25 * kMm, 150, 150, 0)};
  d.faces[model::kBottom] = convective(2e4, p.t_amb);
  d.faces[model::kTop] = convective(1e5, p.t_amb);
  double z = 0;
  for (const auto& l : d.layers) {
    p.z_bottom.push_back(z);
    z += l.thickness;
  }
  p.modes.resize(3);
  p.modes[0].z =
      flux_continuous_profile(d.layers, 2.0, 1.0, {{{0.5, 0.2}}, {{-0.3, 0.1}}, {{0.8, -0.4}}});
  p.modes[1].ax = kPi / d.lx;
  p.modes[1].by = kPi / d.ly;
  p.modes[1].z =
      flux_continuous_profile(d.layers, 1.5, -0.5, {{{0.7, -0.3}}, {{0.2, 0.4}}, {{-0.6, 0.3}}});
  p.modes[2].ax = 2 * kPi / d.lx;
  p.modes[2].z =
      flux_continuous_profile(d.layers, 0.7, 0.4, {{{-0.4, 0.3}}, {{0.5, -0.2}}, {{0.3, 0.2}}});
  return p;
}

/// Smoothly graded z nodes: `cells` per layer, sigma -> sigma - 0.5 sin(2 pi sigma) / (2 pi)
/// (local spacing varies by 3x inside each layer).
std::vector<double> graded_z_nodes(const MmsProblem& p, const std::vector<int>& cells) {
  std::vector<double> z{0.0};
  for (std::size_t l = 0; l < cells.size(); ++l) {
    const double t = p.design.layers[l].thickness;
    for (int c = 1; c <= cells[l]; ++c) {
      const double s = static_cast<double>(c) / cells[l];
      const double phi = c == cells[l] ? 1.0 : s - 0.5 * std::sin(2 * kPi * s) / (2 * kPi);
      z.push_back(p.z_bottom[l] + t * phi);
    }
  }
  return z;
}

/// int of cos(w x) over [lo, hi].
double cos_integral(double w, double lo, double hi) {
  return w == 0 ? hi - lo : (std::sin(w * hi) - std::sin(w * lo)) / w;
}

/// Control-volume bounds of each node (midpoints; the domain ends at the boundary nodes).
std::vector<std::array<double, 2>> cv_bounds(const std::vector<double>& n) {
  std::vector<std::array<double, 2>> b(n.size());
  for (std::size_t i = 0; i < n.size(); ++i) {
    b[i][0] = i == 0 ? n[0] : 0.5 * (n[i - 1] + n[i]);
    b[i][1] = i + 1 == n.size() ? n.back() : 0.5 * (n[i] + n[i + 1]);
  }
  return b;
}

/// int over [lo, hi] in z of the z factor of q for one mode: k_xy kappa^2 Z - k_z Z''.
double source_z_integral(const MmsProblem& p, const Mode& m, double lo, double hi) {
  const double kappa2 = m.ax * m.ax + m.by * m.by;
  double s = 0;
  for (std::size_t l = 0; l < m.z.size(); ++l) {
    const double z0 = p.z_bottom[l], z1 = z0 + m.z[l].t;
    const double a = std::max(lo, z0), b = std::min(hi, z1);
    if (!(b > a)) continue;
    const auto& layer = p.design.layers[l];
    const Cubic& c = m.z[l];
    s += layer.k_xy * kappa2 * (c.integral(b - z0) - c.integral(a - z0));
    s -= layer.k_z * (c.slope(b - z0) - c.slope(a - z0));
  }
  return s;
}

/// Nodal power (W): q over each control volume plus the Robin data g over the top and bottom
/// face areas.
std::vector<double> mms_power(const MmsProblem& p, const model::Grid& g) {
  const auto bx = cv_bounds(g.x), by = cv_bounds(g.y), bz = cv_bounds(g.z);
  const int nz = g.nz();
  const auto& layers = p.design.layers;
  const double h_bot = p.design.faces[model::kBottom].h, h_top = p.design.faces[model::kTop].h;
  std::vector<double> power(g.size(), 0.0);
  for (const auto& m : p.modes) {
    std::vector<double> iz(nz);
    for (int k = 0; k < nz; ++k) iz[k] = source_z_integral(p, m, bz[k][0], bz[k][1]);
    const Cubic& cb = m.z.front();
    const Cubic& ct = m.z.back();
    iz[0] += h_bot * cb.value(0) - layers.front().k_z * cb.slope(0);
    iz[nz - 1] += h_top * ct.value(ct.t) + layers.back().k_z * ct.slope(ct.t);
    for (int i = 0; i < g.nx(); ++i) {
      const double ix = cos_integral(m.ax, bx[i][0], bx[i][1]);
      for (int j = 0; j < g.ny(); ++j) {
        const double ixy = ix * cos_integral(m.by, by[j][0], by[j][1]);
        for (int k = 0; k < nz; ++k) power[g.index(i, j, k)] += ixy * iz[k];
      }
    }
  }
  return power;
}

double mms_exact(const MmsProblem& p, double x, double y, double z) {
  std::size_t l = 0;
  while (l + 1 < p.z_bottom.size() && z > p.z_bottom[l + 1]) ++l;
  double t = p.t_amb;
  for (const auto& m : p.modes)
    t += std::cos(m.ax * x) * std::cos(m.by * y) * m.z[l].value(z - p.z_bottom[l]);
  return t;
}

/// Max-norm nodal error of the FV solution with `lateral` cells in x (3/4 of it in y) and
/// `cells` z cells per layer.
double mms_error(const MmsProblem& base, int lateral, const std::vector<int>& cells) {
  MmsProblem p = base;
  p.design.grid.nx = lateral + 1;
  p.design.grid.ny = lateral * 3 / 4 + 1;
  p.design.grid.z_nodes = graded_z_nodes(p, cells);
  p.design.validate();
  fv::System sys = fv::discretize(p.design);
  sys.power = mms_power(p, sys.grid);
  sys.power_in = 0;
  for (double w : sys.power) sys.power_in += w;
  sys.rhs = sys.power;
  sys.op->add_boundary_rhs(sys.rhs.data());
  const auto t = solve_field(sys, make_config("cg", "multigrid", 1e-12), p.t_amb);
  const auto& g = sys.grid;
  double err = 0;
  for (int i = 0; i < g.nx(); ++i)
    for (int j = 0; j < g.ny(); ++j)
      for (int k = 0; k < g.nz(); ++k)
        err = std::max(err, std::abs(t[g.index(i, j, k)] - mms_exact(p, g.x[i], g.y[j], g.z[k])));
  return err;
}

TEST(Manufactured, SecondOrderOnLayeredAnisotropicNonUniformGrid) {
  const MmsProblem p = make_mms_problem();
  // Sanity of the construction: T and k_z dT/dz continuous at both interfaces.
  for (const auto& m : p.modes)
    for (std::size_t l = 0; l + 1 < m.z.size(); ++l) {
      const Cubic &lo = m.z[l], &hi = m.z[l + 1];
      EXPECT_NEAR(lo.value(lo.t), hi.value(0), 1e-12);
      EXPECT_NEAR(p.design.layers[l].k_z * lo.slope(lo.t), p.design.layers[l + 1].k_z * hi.slope(0),
                  1e-9 * std::abs(hi.slope(0)) + 1e-9);
    }
  const std::vector<int> base_cells{3, 2, 4};  // unequal cells per layer
  std::vector<double> err;
  for (int r = 0; r < 4; ++r) {
    const int f = 1 << r;
    std::vector<int> cells;
    for (int c : base_cells) cells.push_back(c * f);
    err.push_back(mms_error(p, 8 * f, cells));
    std::printf("[mms] level %d: %d x %d lateral cells, z cells %d+%d+%d, max error %.4e K", r,
                8 * f, 6 * f, cells[0], cells[1], cells[2], err.back());
    if (r > 0)
      std::printf(", ratio %.3f, order %.3f", err[r - 1] / err[r], std::log2(err[r - 1] / err[r]));
    std::printf("\n");
  }
  for (int r = 1; r < 4; ++r) {
    const double order = std::log2(err[r - 1] / err[r]);
    EXPECT_GE(order, 1.8) << "refinement " << r;
    EXPECT_LE(order, 2.2) << "refinement " << r;
  }
}

// ---------------------------------------------------------------------------------------------
// b. 1D slab: uniform flux in at the top, convective bottom, two layers. The exact profile is
// linear in each layer, which the scheme reproduces to rounding.

TEST(Slab1D, TwoLayerLinearProfileIsExact) {
  model::Design d;
  d.lx = 1.0 * kMm;
  d.ly = 0.7 * kMm;
  d.layers = {make_layer("a", 0.2 * kMm, 50, 50, 0), make_layer("b", 0.3 * kMm, 10, 200, 0)};
  const double t_amb = 298.15, h = 2e4, watts = 0.8;
  d.faces[model::kBottom] = convective(h, t_amb);
  auto& top = d.faces[model::kTop];
  top.type = model::BcType::kPower;
  top.h = 0;
  top.power.rows = top.power.cols = 1;
  top.power.tile_watts = {watts};
  d.grid.nx = 9;
  d.grid.ny = 6;
  d.grid.z_nodes = {0,          0.02 * kMm, 0.07 * kMm, 0.2 * kMm,
                    0.25 * kMm, 0.4 * kMm,  0.43 * kMm, 0.5 * kMm};
  d.validate();
  const fv::System sys = fv::discretize(d);
  const auto t = solve_field(sys, make_config("cg", "multigrid", 1e-12, 100), t_amb);

  const double q = watts / (d.lx * d.ly);  // W/m^2
  auto exact = [&](double z) {
    const double t0 = t_amb + q / h;
    return z <= 0.2 * kMm ? t0 + q * z / 50 : t0 + q * 0.2 * kMm / 50 + q * (z - 0.2 * kMm) / 200;
  };
  const auto& g = sys.grid;
  double err = 0;
  for (int i = 0; i < g.nx(); ++i)
    for (int j = 0; j < g.ny(); ++j)
      for (int k = 0; k < g.nz(); ++k)
        err = std::max(err, std::abs(t[g.index(i, j, k)] - exact(g.z[k])));
  std::printf("[slab] bottom %.9f K, top %.9f K (exact %.9f, %.9f), max error %.3e K\n",
              t[g.index(0, 0, 0)], t[g.index(0, 0, g.nz() - 1)], exact(0), exact(0.5 * kMm), err);
  EXPECT_LT(err, 1e-7);
}

// ---------------------------------------------------------------------------------------------
// c. Energy conservation.

model::Design two_layer_design(int nx, int ny) {
  model::Design d;
  d.lx = 1.2 * kMm;
  d.ly = 0.9 * kMm;
  d.layers = {make_layer("active", 0.1 * kMm, 120, 120, 4),
              make_layer("bulk", 0.3 * kMm, 30, 10, 6)};
  d.layers[0].power = random_tiles(5, 7, 0.0, 0.02, 11);
  d.grid.nx = nx;
  d.grid.ny = ny;
  return d;
}

TEST(Energy, ConvectiveTopAndBottomBalanceThePower) {
  model::Design d = two_layer_design(17, 13);
  auto& top = d.faces[model::kTop];
  top.type = model::BcType::kPower;  // surface power plus convection
  top.h = 1.2e4;
  top.t_amb = 300;
  top.power = random_tiles(4, 4, 0.0, 0.05, 12);
  d.faces[model::kBottom] = convective(3e3, 290);
  d.validate();
  const fv::System sys = fv::discretize(d);
  const auto t = solve_field(sys, make_config("cg", "multigrid", 1e-10), 300);
  const auto e = fv::energy_balance(sys, t);
  std::printf("[energy] in %.9f W, out top %.9f W + bottom %.9f W, rel. mismatch %.3e\n",
              e.power_in, e.heat_out[model::kTop], e.heat_out[model::kBottom], e.rel_mismatch);
  EXPECT_NEAR(e.power_in, d.total_power(), 1e-12 * d.total_power());
  EXPECT_LT(e.rel_mismatch, 1e-7);
  for (int f : {model::kWest, model::kEast, model::kSouth, model::kNorth})
    EXPECT_EQ(e.heat_out[f], 0.0) << model::face_name(f);
}

// b = power + the boundary terms. With convection only the system keeps no array of them and
// composes b on the boundary nodes; with a fixed face it keeps them (fixed nodes take them
// alone). Either way b is exactly what the terms give, also after set_power.
TEST(Energy, RightHandSideIsPowerPlusTheBoundaryTerms) {
  model::Design conv = two_layer_design(13, 11);
  conv.faces[model::kTop] = convective(1.2e4, 300);
  conv.faces[model::kBottom] = convective(3e3, 290);
  conv.faces[model::kWest] = convective(50, 295);  // side nodes: several faces' terms per node
  conv.layers.back().power = random_tiles(4, 4, 0.0, 0.05, 3);
  conv.validate();
  model::Design fixed = conv;
  fixed.faces[model::kBottom] = fixed_face(310);
  fixed.validate();
  for (const model::Design* d : {&conv, &fixed}) {
    fv::System sys = fv::discretize(*d);
    EXPECT_EQ(sys.boundary_rhs.empty(), d == &conv);
    for (int pass = 0; pass < 2; ++pass) {
      const std::vector<double> terms = fv::boundary_terms(sys);
      std::size_t convective_nodes = 0;
      for (std::size_t q = 0; q < terms.size(); ++q) {
        const double want =
            sys.fixed_node.empty() || !sys.fixed_node[q] ? sys.power[q] + terms[q] : terms[q];
        ASSERT_EQ(sys.rhs[q], want) << (d == &conv ? "convective" : "fixed") << " node " << q;
        convective_nodes += terms[q] != 0;
      }
      EXPECT_GT(convective_nodes, 2u * 13 * 11);  // top, bottom and the west side
      model::Design other = *d;
      other.layers.back().power = random_tiles(4, 4, 0.0, 0.08, 4);
      fv::set_power(sys, other);  // the second pass checks b after set_power
    }
  }
}

TEST(Energy, FixedFaceAbsorbsAllThePower) {
  model::Design d = two_layer_design(15, 11);
  d.faces[model::kBottom] = fixed_face(310);  // power also sits on the fixed nodes
  d.validate();
  const fv::System sys = fv::discretize(d);
  // Solved to 1e-12, not 1e-10: the residual is relative to ||b||, and the lifting of the fixed
  // face (conductance x 310 K in the rows next to it) makes ||b|| ~500x the power here, so the
  // mismatch is ~1e3 x the tolerance (1.3e-7 at 1e-10, 6e-10 at 1e-12 when this was written).
  const auto t = solve_field(sys, make_config("cg", "multigrid", 1e-12), 310);
  const auto e = fv::energy_balance(sys, t);
  std::printf("[energy fixed] in %.9f W, absorbed by the fixed bottom %.9f W, rel. mismatch %.3e\n",
              e.power_in, e.heat_out[model::kBottom], e.rel_mismatch);
  EXPECT_LT(e.rel_mismatch, 1e-7);
  EXPECT_NEAR(e.heat_out[model::kBottom], e.power_in, 1e-7 * e.power_in);
  const auto& g = sys.grid;
  for (int i = 0; i < g.nx(); ++i)
    for (int j = 0; j < g.ny(); ++j) EXPECT_EQ(t[g.index(i, j, 0)], 310.0);
}

// An MPI rank's part of the grid (fv::Box): the part's arrays are the whole grid's entries, and
// the parts' shares of the heat out add up to the whole's (fixed faces read neighbours that lie
// in other parts).
TEST(Energy, PartsOfTheGridAddUpToTheWhole) {
  model::Design d = two_layer_design(15, 11);
  auto& top = d.faces[model::kTop];
  top.type = model::BcType::kPower;
  top.h = 1.2e4;
  top.t_amb = 300;
  top.power = random_tiles(4, 4, 0.0, 0.05, 7);
  d.faces[model::kWest] = fixed_face(305);  // power on fixed nodes, links across parts
  d.faces[model::kSouth] = convective(2e3, 295);
  d.validate();
  const fv::System sys = fv::discretize(d);
  const auto t = solve_field(sys, make_config("cg", "multigrid", 1e-12), 300);
  const fv::EnergyBalance whole = fv::energy_balance(sys, t);
  const model::Grid& g = sys.grid;
  const int nz = g.nz(), cut_i[3] = {0, 6, g.nx()}, cut_j[3] = {0, 4, g.ny()};
  std::array<double, 6> out{};
  double power_in = 0;
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) {
      const fv::Box part{cut_i[a], cut_i[a + 1], cut_j[b], cut_j[b + 1], nz};
      const fv::System ps = fv::discretize(d, g, part);
      ASSERT_EQ(ps.rhs.size(), part.size());
      for (int i = part.i0; i < part.i1; ++i)
        for (int j = part.j0; j < part.j1; ++j)
          for (int k = 0; k < nz; ++k) {
            ASSERT_EQ(ps.power[part.index(i, j, k)], sys.power[g.index(i, j, k)]);
            ASSERT_EQ(ps.rhs[part.index(i, j, k)], sys.rhs[g.index(i, j, k)]);
            ASSERT_EQ(ps.fixed_node[part.index(i, j, k)], sys.fixed_node[g.index(i, j, k)]);
          }
      // The temperature over the part and one column around it (as PETSc's ghosts give it).
      const fv::Box tb{std::max(part.i0 - 1, 0), std::min(part.i1 + 1, g.nx()),
                       std::max(part.j0 - 1, 0), std::min(part.j1 + 1, g.ny()), nz};
      std::vector<double> tp(tb.size());
      for (int i = tb.i0; i < tb.i1; ++i)
        for (int j = tb.j0; j < tb.j1; ++j)
          for (int k = 0; k < nz; ++k) tp[tb.index(i, j, k)] = t[g.index(i, j, k)];
      const auto q = sys.op->heat_out(tp.data(), tb, ps.power.data(), part);
      for (int f = 0; f < 6; ++f) out[f] += q[f];
      power_in += ps.power_in;
    }
  const fv::EnergyBalance sum = fv::energy_balance(power_in, out);
  std::printf("[parts] in %.12f W (whole %.12f), west absorbs %.12f W (whole %.12f)\n", power_in,
              whole.power_in, out[model::kWest], whole.heat_out[model::kWest]);
  EXPECT_GT(whole.heat_out[model::kWest], 0.1 * whole.power_in);  // the fixed face matters
  EXPECT_NEAR(sum.power_in, whole.power_in, 1e-13 * whole.power_in);
  for (int f = 0; f < 6; ++f)
    EXPECT_NEAR(out[f], whole.heat_out[f], 1e-12 * whole.power_in) << model::face_name(f);
  EXPECT_NEAR(sum.rel_mismatch, whole.rel_mismatch, 1e-10);
  EXPECT_THROW(fv::discretize(d, g, fv::Box{0, g.nx() + 1, 0, g.ny(), nz}), std::invalid_argument);
}

// The statistics of a field spread over parts (MPI ranks) combine to those of the whole field,
// whatever the order of the parts: the hot spot on a tie is the first node in the grid's order.
TEST(Energy, StatisticsOfPartsCombineToTheWhole) {
  const model::Design d = two_layer_design(15, 11);
  const model::Grid g = model::build_grid(d);
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> u(300, 320);
  std::vector<double> t(g.size());
  for (double& v : t) v = u(rng);
  for (std::size_t n = 0; n < t.size(); n += 7) t[n] = NAN;  // void nodes
  t[g.index(9, 2, 1)] = t[g.index(3, 8, 2)] = 330;           // a tie across parts
  const field::Field3D f{g.x, g.y, g.z, t, "T", "K"};
  const field::FieldStats whole = field::field_stats(f, g, d);
  const int nz = g.nz(), ci[3] = {0, 5, g.nx()}, cj[3] = {0, 6, g.ny()};
  std::vector<field::PartStats> parts;
  for (int a = 1; a >= 0; --a)  // the later columns first
    for (int b = 1; b >= 0; --b) {
      const fv::Box part{ci[a], ci[a + 1], cj[b], cj[b + 1], nz};
      std::vector<double> v(part.size());
      for (int i = part.i0; i < part.i1; ++i)
        for (int j = part.j0; j < part.j1; ++j)
          for (int k = 0; k < nz; ++k) v[part.index(i, j, k)] = t[g.index(i, j, k)];
      const field::PartStats p =
          field::part_stats(v.data(), part.i0, part.i1, part.j0, part.j1, g, d);
      parts.push_back(field::PartStats::from_doubles(p.as_doubles().data(), d.layers.size()));
    }
  const field::FieldStats sum = field::combine_stats(parts, g, d);
  EXPECT_EQ(whole.t_max, 330.0);
  EXPECT_EQ(whole.hotspot_node, (std::array<int, 3>{3, 8, 2}));
  EXPECT_EQ(sum.hotspot_node, whole.hotspot_node);
  EXPECT_EQ(sum.t_max, whole.t_max);
  EXPECT_EQ(sum.t_min, whole.t_min);
  EXPECT_NEAR(sum.t_mean, whole.t_mean, 1e-12 * whole.t_mean);
  ASSERT_EQ(sum.layers.size(), whole.layers.size());
  for (std::size_t l = 0; l < whole.layers.size(); ++l) {
    EXPECT_EQ(sum.layers[l].t_max, whole.layers[l].t_max);
    EXPECT_EQ(sum.layers[l].t_min, whole.layers[l].t_min);
  }
}

// ---------------------------------------------------------------------------------------------
// d. Symmetry of the solution and of the operator.

TEST(Symmetry, MirrorSymmetricMapGivesMirrorSymmetricField) {
  for (int nx : {16, 17}) {  // even and odd node counts
    model::Design d = two_layer_design(nx, 12);
    model::PowerMap m = random_tiles(5, 8, 0.0, 0.02, 21);
    for (int r = 0; r < m.rows; ++r)
      for (int c = 0; c < m.cols / 2; ++c)
        m.tile_watts[r * m.cols + (m.cols - 1 - c)] = m.tile_watts[r * m.cols + c];
    d.layers[0].power = m;
    d.faces[model::kTop] = convective(1e4, 300);
    d.faces[model::kBottom] = convective(2e3, 300);
    d.validate();
    const fv::System sys = fv::discretize(d);
    const auto t = solve_field(sys, make_config("cg", "multigrid", 1e-12), 300);
    const auto& g = sys.grid;
    double asym = 0, rise = 0;
    for (int i = 0; i < g.nx(); ++i)
      for (int j = 0; j < g.ny(); ++j)
        for (int k = 0; k < g.nz(); ++k) {
          const double a = t[g.index(i, j, k)], b = t[g.index(g.nx() - 1 - i, j, k)];
          asym = std::max(asym, std::abs(a - b));
          rise = std::max(rise, a - 300);
        }
    std::printf(
        "[mirror] nx = %d: max |T(x) - T(Lx - x)| = %.3e K, max rise %.4f K, relative %.3e\n", nx,
        asym, rise, asym / rise);
    EXPECT_GT(rise, 0.1);
    EXPECT_LE(asym, 1e-9 * rise);
  }
}

double operator_asymmetry(const fv::LayeredOperator& op) {
  const std::size_t n = op.size();
  std::mt19937 gen(5);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<double> x(n), y(n), ax(n), ay(n);
  for (std::size_t p = 0; p < n; ++p) {
    x[p] = u(gen);
    y[p] = u(gen);
  }
  op.apply(x.data(), ax.data());
  op.apply(y.data(), ay.data());
  double xay = 0, yax = 0, scale = 0;
  for (std::size_t p = 0; p < n; ++p) {
    xay += x[p] * ay[p];
    yax += y[p] * ax[p];
    scale += std::abs(x[p] * ay[p]) + std::abs(y[p] * ax[p]);
  }
  return std::abs(xay - yax) / scale;
}

TEST(Symmetry, OperatorIsSymmetricWithConvectiveAndFixedFaces) {
  model::Design conv = two_layer_design(9, 7);
  conv.faces[model::kTop] = convective(1e4, 300);
  conv.faces[model::kBottom] = convective(2e3, 310);
  conv.faces[model::kEast] = convective(5e3, 305);
  conv.faces[model::kSouth] = convective(7e2, 295);
  model::Design fixed = conv;
  fixed.faces[model::kBottom] = fixed_face(320);
  fixed.faces[model::kWest] = fixed_face(330);
  fixed.grid.z_nodes = {0, 0.01 * kMm, 0.04 * kMm, 0.1 * kMm, 0.12 * kMm, 0.3 * kMm, 0.4 * kMm};
  for (const auto* d : {&conv, &fixed}) {
    d->validate();
    const fv::System sys = fv::discretize(*d);
    const double a = operator_asymmetry(*sys.op);
    std::printf("[operator] %s: |x'Ay - y'Ax| / sum|terms| = %.3e\n",
                d == &conv ? "convective faces" : "fixed bottom and west", a);
    EXPECT_LT(a, 1e-14);
  }
}

// With a footprint on the upper cells, a node is active exactly when a material cell touches
// it (the cached mask against the geometry), and the void nodes' rows are identity rows.
TEST(Footprint, ActiveNodesAreThoseTouchingMaterial) {
  std::vector<double> x, y, z;
  for (int i = 0; i <= 10; ++i) x.push_back(i * 0.1e-3), y.push_back(i * 0.1e-3);
  for (int k = 0; k <= 4; ++k) z.push_back(k * 0.05e-3);
  std::array<fv::FaceBc, 6> bc{};
  bc[4].h = 1e4;  // bottom: convection, so that the operator is definite
  // Cells 2 and 3 (z) hold material only where their centre lies in 0.3-0.6 mm: x and y
  // cells 3, 4 and 5, so nodes 3..6 touch them.
  const std::array<double, 4> die{0.3e-3, 0.3e-3, 0.6e-3, 0.6e-3}, whole{0, 0, 0, 0};
  fv::LayeredOperator op(x, y, z, {400, 400, 100, 100}, {400, 400, 100, 100}, bc,
                         {whole, whole, die, die});
  ASSERT_TRUE(op.has_footprints());
  ASSERT_EQ(op.active_mask().size(), op.size());
  const std::size_t n = op.size();
  std::vector<double> v(n), av(n);
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(-1, 1);
  for (auto& a : v) a = u(rng);
  op.apply(v.data(), av.data());
  int active = 0;
  for (int i = 0; i < op.nx(); ++i)
    for (int j = 0; j < op.ny(); ++j)
      for (int k = 0; k < op.nz(); ++k) {
        const bool expected = k <= 2 || (i >= 3 && i <= 6 && j >= 3 && j <= 6);
        EXPECT_EQ(op.node_active(i, j, k), expected) << i << " " << j << " " << k;
        const std::size_t p = op.index(i, j, k);
        EXPECT_EQ(op.active_mask()[p], expected ? 1 : 0);
        if (!expected) {
          EXPECT_EQ(av[p], v[p]) << "void node " << p << " is not decoupled";
        }
        active += expected;
      }
  EXPECT_EQ(active, 3 * 11 * 11 + 2 * 4 * 4);
  // Without footprints every node is active and no mask is kept.
  fv::LayeredOperator full(x, y, z, {400, 400, 100, 100}, {400, 400, 100, 100}, bc);
  EXPECT_FALSE(full.has_footprints());
  EXPECT_TRUE(full.active_mask().empty());
  EXPECT_TRUE(full.node_active(0, 0, 4));
}

// The operator without footprints is applied, and smoothed by multigrid, from separable x and
// y terms (column classes, a red-black wavefront); the general per-node path computes every
// coefficient from the cells around each node. Both must agree to rounding on a design with
// convective and fixed faces, graded lateral spacing and a transient capacity shift.
TEST(Symmetry, SeparableFastPathEqualsTheGeneralPath) {
  model::Design d = two_layer_design(13, 9);
  d.faces[model::kTop] = convective(1e4, 300);
  d.faces[model::kEast] = convective(5e3, 305);
  d.faces[model::kSouth] = convective(7e2, 295);
  d.faces[model::kBottom] = fixed_face(320);
  d.faces[model::kWest] = fixed_face(330);
  for (bool graded : {false, true}) {
    model::Design dd = d;
    if (graded) {  // explicit lateral nodes, closer towards x = 0
      dd.grid.x_nodes.clear();
      for (int i = 0; i < 13; ++i) dd.grid.x_nodes.push_back(dd.lx * std::pow(i / 12.0, 1.5));
    }
    dd.validate();
    const fv::System sys = fv::discretize(dd);
    for (double shift : {0.0, 2e3}) {
      fv::LayeredOperator fast = *sys.op, general = *sys.op;
      if (shift != 0) {
        std::vector<double> cz(fast.nz());  // 1.6 MJ/(m^3 K) throughout
        for (int k = 0; k < fast.nz(); ++k) cz[k] = 1.6e6 * fast.wz()[k];
        for (auto* o : {&fast, &general}) {
          o->set_capacity(cz);
          o->set_capacity_shift(shift);
        }
      }
      general.use_general_path(true);
      ASSERT_FALSE(fast.has_footprints());
      const std::size_t n = fast.size();
      std::mt19937 rng(7);
      std::uniform_real_distribution<double> u(-1, 1);
      std::vector<double> x(n), ya(n), yb(n), za(n), zb(n);
      for (auto& v : x) v = u(rng);
      fast.apply(x.data(), ya.data());
      general.apply(x.data(), yb.data());
      double scale = 0, d_apply = 0;
      for (std::size_t p = 0; p < n; ++p) scale = std::max(scale, std::abs(yb[p]));
      for (std::size_t p = 0; p < n; ++p) d_apply = std::max(d_apply, std::abs(ya[p] - yb[p]));
      double d_line = 0;
      const int nz = fast.nz();
      std::vector<double> l1(nz), d1(nz), u1(nz), l2(nz), d2(nz), u2(nz);
      for (int i = 0; i < fast.nx(); ++i)
        for (int j = 0; j < fast.ny(); ++j) {
          fast.line_matrix(i, j, l1.data(), d1.data(), u1.data());
          general.line_matrix(i, j, l2.data(), d2.data(), u2.data());
          for (int k = 0; k < nz; ++k)
            d_line = std::max({d_line, std::abs(l1[k] - l2[k]), std::abs(d1[k] - d2[k]),
                               std::abs(u1[k] - u2[k])});
        }
      solve::Multigrid ma(fast), mb(general);
      ma.apply(x.data(), za.data());
      mb.apply(x.data(), zb.data());
      double zscale = 0, d_mg = 0;
      for (std::size_t p = 0; p < n; ++p) zscale = std::max(zscale, std::abs(zb[p]));
      for (std::size_t p = 0; p < n; ++p) d_mg = std::max(d_mg, std::abs(za[p] - zb[p]));
      std::printf(
          "[fast path] %s, shift %g: apply %.2e, line blocks %.2e (of %.2e), V-cycle %.2e "
          "(relative)\n",
          graded ? "graded x" : "uniform", shift, d_apply / scale, d_line / scale, scale,
          d_mg / zscale);
      EXPECT_LT(d_apply, 1e-13 * scale);
      EXPECT_LT(d_line, 1e-13 * scale);
      EXPECT_LT(d_mg, 1e-11 * zscale);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// e. Solver agreement and multigrid iteration counts on a C4-like stiff stack.

model::PowerMap hot_blocks(double background_w, std::vector<model::PowerBlock> blocks) {
  model::PowerMap m;  // uniform 4 x 4 background plus blocks
  m.rows = m.cols = 4;
  m.tile_watts.assign(16, background_w / 16);
  m.blocks = std::move(blocks);
  m.source = "c4-like";
  return m;
}

/// Case C4's stack (10 x 10 mm, 800x conductivity contrast, 5-50 um cells) on an n x n grid.
model::Design c4_like(int n) {
  model::Design d;
  d.name = "c4-like";
  d.lx = d.ly = 10 * kMm;
  d.layers = {make_layer("die1", 0.050 * kMm, 120, 120, 5),
              make_layer("bond", 0.020 * kMm, 0.5, 0.5, 2),
              make_layer("die2", 0.100 * kMm, 120, 120, 5), make_layer("tim", 0.025 * kMm, 4, 4, 2),
              make_layer("lid", 1.0 * kMm, 400, 400, 20)};
  d.layers[0].power = hot_blocks(8, {{"a1", 1 * kMm, 1 * kMm, 2 * kMm, 2 * kMm, 7},
                                     {"a2", 6 * kMm, 5.5 * kMm, 1.5 * kMm, 3 * kMm, 5}});
  d.layers[2].power = hot_blocks(12, {{"b1", 3 * kMm, 6 * kMm, 1 * kMm, 1 * kMm, 8},
                                      {"b2", 7 * kMm, 1 * kMm, 2 * kMm, 1.5 * kMm, 6},
                                      {"b3", 4.2 * kMm, 2.7 * kMm, 0.6 * kMm, 0.8 * kMm, 4}});
  d.faces[model::kTop] = convective(2e4, 318.15);
  d.faces[model::kBottom] = convective(1e3, 318.15);
  d.grid.nx = d.grid.ny = n;
  d.validate();
  return d;
}

TEST(Solvers, AllCombinationsAgreeOnStiffStack) {
  const fv::System sys = fv::discretize(c4_like(33));
  ASSERT_NEAR(sys.power_in, 50.0, 1e-9);
  const auto ref = solve_field(sys, make_config("cg", "multigrid", 1e-12), 318.15);
  struct Run {
    const char* method;
    const char* precond;
    int max_iterations;
  };
  for (const Run& r : {Run{"cg", "multigrid", 100}, Run{"gmres", "multigrid", 200},
                       Run{"multigrid", "none", 200}, Run{"cg", "jacobi", 50000}}) {
    solve::SolveReport rep;
    const auto t =
        solve_field(sys, make_config(r.method, r.precond, 1e-11, r.max_iterations), 318.15, &rep);
    const double diff = max_abs_diff(t, ref);
    std::printf("[agree] %-18s %5d iterations, max |T - T_ref| = %.3e K (peak %.4f K)\n",
                (std::string(r.method) + "+" + r.precond).c_str(), rep.iterations, diff,
                *std::max_element(t.begin(), t.end()));
    EXPECT_LT(diff, 1e-6) << rep.summary();
  }
}

TEST(Solvers, MultigridIterationsSmallAndGridIndependent) {
  std::vector<int> its;
  for (int n : {33, 65}) {
    const fv::System sys = fv::discretize(c4_like(n));
    solve::SolveReport rep;
    solve_field(sys, make_config("cg", "multigrid", 1e-8), 318.15, &rep);
    std::printf("[mg] %d x %d x %d: %s\n", n, n, sys.grid.nz(), rep.summary().c_str());
    its.push_back(rep.iterations);
    EXPECT_LE(rep.iterations, 15);
  }
  EXPECT_LE(its[1] - its[0], 2);
}

// ---------------------------------------------------------------------------------------------
// f. Non-convergence and NaN are reported, not thrown.

TEST(Solvers, NonConvergenceIsReported) {
  const fv::System sys = fv::discretize(c4_like(17));
  std::vector<double> t(sys.op->size(), 318.15);
  solve::SolveReport rep;
  EXPECT_NO_THROW(rep = solve::solve_system(*sys.op, sys.rhs.data(), t.data(),
                                            make_config("cg", "jacobi", 1e-10, 2)));
  std::printf("[nonconv] %s\n", rep.summary().c_str());
  EXPECT_FALSE(rep.converged);
  EXPECT_EQ(rep.reason, "max iterations");
  EXPECT_EQ(rep.iterations, 2);
}

TEST(Solvers, NanInRightHandSideIsReported) {
  const fv::System sys = fv::discretize(c4_like(17));
  std::vector<double> rhs = sys.rhs;
  rhs[rhs.size() / 3] = std::numeric_limits<double>::quiet_NaN();
  for (const char* method : {"cg", "gmres", "multigrid"}) {
    std::vector<double> t(sys.op->size(), 318.15);
    solve::SolveReport rep;
    EXPECT_NO_THROW(rep = solve::solve_system(*sys.op, rhs.data(), t.data(),
                                              make_config(method, "multigrid", 1e-10, 50)));
    std::printf("[nan] %s\n", rep.summary().c_str());
    EXPECT_FALSE(rep.converged) << method;
    EXPECT_EQ(rep.reason, "nan") << method;
  }
}

// ---------------------------------------------------------------------------------------------
// g. The result does not depend on the number of threads.

TEST(Solvers, ThreadCountIndependent) {
  const fv::System sys = fv::discretize(c4_like(33));
  const int saved = omp_get_max_threads();
  std::vector<std::vector<double>> t;
  for (int threads : {1, 2}) {
    omp_set_num_threads(threads);
    for (const char* method : {"cg", "multigrid"})
      t.push_back(solve_field(sys, make_config(method, "multigrid", 1e-10), 318.15));
  }
  omp_set_num_threads(saved);
  const double cg = max_abs_diff(t[0], t[2]), mg = max_abs_diff(t[1], t[3]);
  std::printf("[threads] 1 vs 2 threads: cg+multigrid %.3e K, multigrid %.3e K\n", cg, mg);
  EXPECT_LE(cg, 1e-10);
  EXPECT_LE(mg, 1e-10);
}

// ---------------------------------------------------------------------------------------------
// h. Case C1 against the commercial reference (Celsius 3D, as published with DeepOHeat).

struct RefPoint {
  double x, y, z, t;  // m, K
};

std::vector<RefPoint> read_reference(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::string line;
  std::getline(in, line);  // x_mm,y_mm,z_mm,T_celsius3d_K
  std::vector<RefPoint> pts;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::replace(line.begin(), line.end(), ',', ' ');
    std::istringstream s(line);
    RefPoint p;
    if (!(s >> p.x >> p.y >> p.z >> p.t))
      throw std::runtime_error("bad line in " + path + ": " + line);
    p.x *= kMm;
    p.y *= kMm;
    p.z *= kMm;
    pts.push_back(p);
  }
  return pts;
}

constexpr double kC1Ambient = 298.15;

/// Case C1 with the given top power map on nx x ny x nz nodes.
model::Design c1_design(const model::PowerMap& map, int nx, int nz) {
  model::Design d;
  d.name = "C1";
  d.lx = d.ly = 1.0 * kMm;
  d.layers = {make_layer("die", 0.5 * kMm, 100, 100, 0)};
  auto& top = d.faces[model::kTop];
  top.type = model::BcType::kPower;
  top.h = 0;
  top.power = map;
  d.faces[model::kBottom] = convective(5e5, kC1Ambient);
  d.grid.nx = d.grid.ny = nx;
  d.grid.nz = nz;
  d.validate();
  return d;
}

field::Field3D solve_c1(const model::PowerMap& map, int nx = 41, int nz = 21) {
  const fv::System sys = fv::discretize(c1_design(map, nx, nz));
  field::Field3D f;
  f.x = sys.grid.x;
  f.y = sys.grid.y;
  f.z = sys.grid.z;
  f.values = solve_field(sys, make_config("cg", "multigrid", 1e-12), kC1Ambient);
  return f;
}

std::string data_path(const std::string& name) {
  return std::string(HEATOP_TEST_DATA) + "/celsius/" + name;
}

TEST(CelsiusC1, UniformMapSanityValues) {
  const auto map = io::read_tile_map(data_path("map_20_20.txt"));
  ASSERT_NEAR(map.total(), 2.5, 1e-12);
  const field::Field3D f = solve_c1(map);
  double dev_bottom = 0, dev_top = 0;
  for (std::size_t i = 0; i < f.nx(); ++i)
    for (std::size_t j = 0; j < f.ny(); ++j) {
      dev_bottom = std::max(dev_bottom, std::abs(f.at(i, j, 0) - 303.15));
      dev_top = std::max(dev_top, std::abs(f.at(i, j, f.nz() - 1) - 315.65));
    }
  std::printf("[C1 map_20_20] max |T_bottom - 303.15| = %.3e K, max |T_top - 315.65| = %.3e K\n",
              dev_bottom, dev_top);
  EXPECT_LT(dev_bottom, 1e-6);
  EXPECT_LT(dev_top, 1e-6);
}

const char* const kCelsiusMaps[] = {"map_20_20", "map_5_5", "map_c1", "map_c3", "map_c4", "map_c6"};

struct C1Errors {
  double rel_l2 = 0;            // ||T - T_ref||_2 / ||T_ref - T_amb||_2 over the reference points
  double max_abs = 0;           // max |T - T_ref|, K
  double peak_diff = 0;         // max of heatop's field - max T_ref, K
  double peak_diff_at_ref = 0;  // the same with heatop interpolated at the reference points
};

/// Solves C1 for one map on nx x nx x nz nodes and compares it with the Celsius 3D reference,
/// interpolating heatop's field trilinearly at the reference points.
C1Errors compare_with_celsius(const std::string& name, int nx, int nz) {
  const auto map = io::read_tile_map(data_path(name + ".txt"));
  const auto ref = read_reference(data_path(name + "-celsius3d.csv"));
  EXPECT_GT(ref.size(), 1000u) << name;
  const field::Field3D f = solve_c1(map, nx, nz);
  double num = 0, den = 0, peak_ref = 0, peak_at_ref = 0;
  C1Errors e;
  for (const auto& p : ref) {
    const double t = io::interpolate_trilinear(f, p.x, p.y, p.z);
    num += (t - p.t) * (t - p.t);
    den += (p.t - kC1Ambient) * (p.t - kC1Ambient);
    e.max_abs = std::max(e.max_abs, std::abs(t - p.t));
    peak_ref = std::max(peak_ref, p.t);
    peak_at_ref = std::max(peak_at_ref, t);
  }
  e.rel_l2 = std::sqrt(num / den);
  e.peak_diff = *std::max_element(f.values.begin(), f.values.end()) - peak_ref;
  e.peak_diff_at_ref = peak_at_ref - peak_ref;
  std::printf(
      "[C1 %-9s %dx%dx%d] %zu points: rel. L2 %.3f %%, max |dT| %.4f K, peak diff %+.4f K "
      "(at ref. points %+.4f K), Celsius peak %.4f K\n",
      name.c_str(), nx, nx, nz, ref.size(), 100 * e.rel_l2, e.max_abs, e.peak_diff,
      e.peak_diff_at_ref, peak_ref);
  return e;
}

TEST(CelsiusC1, MatchesCommercialReferenceOnAllSixMaps) {
  for (const char* name : kCelsiusMaps) {
    const C1Errors e = compare_with_celsius(name, 41, 21);
    // docs/cases.md: an independent vertex-centred FV solve on this grid gives 0.05-0.65 % and
    // max |dT| 0.01-0.38 K. The peak is compared both as the field's maximum and on the same
    // (sub-sampled) points as the reference. Only this grid is held to these bounds: on finer
    // grids heatop converges (at second order) to a field 0.3-0.8 % away from the reference,
    // whose own discretization error partly cancels heatop's at 41 x 41 x 21.
    EXPECT_LE(e.rel_l2, 0.007) << name;
    EXPECT_LE(e.max_abs, 0.4) << name;
    EXPECT_LE(std::abs(e.peak_diff), 0.05) << name;
    EXPECT_LE(std::abs(e.peak_diff_at_ref), 0.05) << name;
  }
}

}  // namespace
}  // namespace heatop
