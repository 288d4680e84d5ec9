// Trust layer: error estimates in kelvin against the true error, scores, refinement.

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "fv/system.hpp"
#include "trust/confidence.hpp"

using namespace heatop;

namespace {

// C1-like die with a hot block, small grid.
model::Design c1_design(int n) {
  model::Design d;
  d.lx = d.ly = 1e-3;
  model::Layer l;
  l.name = "die";
  l.thickness = 0.5e-3;
  l.k_xy = l.k_z = 100;
  d.layers.push_back(l);
  d.faces[model::kBottom].type = model::BcType::kConvective;
  d.faces[model::kBottom].h = 5e5;
  d.faces[model::kBottom].t_amb = 298.15;
  auto& top = d.faces[model::kTop];
  top.type = model::BcType::kPower;
  top.power.blocks.push_back({"hot", 0.2e-3, 0.3e-3, 0.25e-3, 0.2e-3, 1.5});
  top.power.blocks.push_back({"warm", 0.6e-3, 0.6e-3, 0.3e-3, 0.3e-3, 0.5});
  d.grid.nx = d.grid.ny = n;
  d.grid.nz = (n + 1) / 2;
  d.validate();
  return d;
}

std::vector<double> solve_fv(const fv::System& s) {
  std::vector<double> t(s.grid.size(), 298.15);
  solve::SolverConfig cfg;
  cfg.options.rel_tol = 1e-12;
  const auto rep = solve::solve_system(*s.op, s.rhs.data(), t.data(), cfg);
  EXPECT_TRUE(rep.converged) << rep.summary();
  return t;
}

// A smooth bump of `amp` K centred in the die plus white noise of `noise` K.
std::vector<double> perturb(const fv::System& s, const std::vector<double>& t, double amp,
                            double noise, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> nd(0.0, noise);
  std::vector<double> out = t;
  const auto& g = s.grid;
  for (int i = 0; i < g.nx(); ++i)
    for (int j = 0; j < g.ny(); ++j)
      for (int k = 0; k < g.nz(); ++k) {
        const double dx = g.x[i] - 0.4e-3, dy = g.y[j] - 0.5e-3;
        out[g.index(i, j, k)] += amp * std::exp(-(dx * dx + dy * dy) / (2 * 0.15e-3 * 0.15e-3)) +
                                 (noise > 0 ? nd(rng) : 0.0);
      }
  return out;
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0;
  for (std::size_t p = 0; p < a.size(); ++p) m = std::max(m, std::abs(a[p] - b[p]));
  return m;
}

}  // namespace

TEST(Trust, EstimateOfAnExactFieldIsZeroAndTrusted) {
  const auto sys = fv::discretize(c1_design(33));
  const auto t = solve_fv(sys);
  const auto c = trust::estimate_confidence(sys, t);
  EXPECT_LT(c.est_max_error_K, 1e-6);
  EXPECT_TRUE(c.trusted);
  EXPECT_GT(c.score, 0.999);
}

TEST(Trust, EstimatedMaxErrorTracksTheTrueError) {
  const auto sys = fv::discretize(c1_design(41));
  const auto t = solve_fv(sys);
  trust::ConfidenceOptions o;
  o.method = trust::ErrorEstimate::vcycles;
  for (double amp : {0.3, 1.0, 3.0}) {
    for (double noise : {0.0, 0.05}) {
      const auto p = perturb(sys, t, amp, noise, 7);
      const double truth = max_abs_diff(p, t);
      const auto c = trust::estimate_confidence(sys, p, o);
      std::cout << "bump " << amp << " K, noise " << noise << " K: true max " << truth
                << " K, estimated " << c.est_max_error_K << " K\n";
      EXPECT_NEAR(c.est_max_error_K, truth, 0.05 * truth) << "amp " << amp << " noise " << noise;
      // The error field is T_fv - T_pred: negative where the prediction is too hot.
      const auto& g = sys.grid;
      const std::size_t centre = g.index(g.nx() * 2 / 5, g.ny() / 2, g.nz() / 2);
      EXPECT_LT(c.error_field[centre], 0.0);
    }
  }
}

// The default, cheap estimate (the multigrid's coarse-grid correction) recovers the smooth part
// of the error: a smooth bump to within 25 % low and never above, noise barely at all; the
// residual it reports is the V-cycle estimate's, and it agrees with that one's error field
// where the error is large.
TEST(Trust, CoarseEstimateRecoversTheSmoothError) {
  const auto sys = fv::discretize(c1_design(65));
  const auto t = solve_fv(sys);
  trust::ConfidenceOptions cycles;
  cycles.method = trust::ErrorEstimate::vcycles;
  for (double amp : {0.3, 3.0}) {
    const auto p = perturb(sys, t, amp, 0.0, 3);
    const double truth = max_abs_diff(p, t);
    const auto c = trust::estimate_confidence(sys, p);
    const auto v = trust::estimate_confidence(sys, p, cycles);
    std::cout << "bump " << amp << " K: true max " << truth << " K, coarse " << c.est_max_error_K
              << " K, V-cycles " << v.est_max_error_K << " K\n";
    EXPECT_EQ(c.method, trust::ErrorEstimate::coarse);
    EXPECT_GT(c.est_max_error_K, 0.75 * truth);
    EXPECT_LT(c.est_max_error_K, 1.0 * truth);
    EXPECT_NEAR(c.rel_residual, v.rel_residual, 1e-12 * v.rel_residual);
    EXPECT_NEAR(c.est_max_at_m[0], v.est_max_at_m[0], 0.05e-3);
    EXPECT_NEAR(c.est_max_at_m[1], v.est_max_at_m[1], 0.05e-3);
    EXPECT_EQ(c.error_field.size(), t.size());
  }
  // White noise is what the coarse levels cannot see: the estimate is then far below the truth
  // (what the V-cycles add), so a prediction with such noise is not what it is for.
  const auto noisy = perturb(sys, t, 0.0, 0.3, 5);
  const auto cn = trust::estimate_confidence(sys, noisy);
  const auto vn = trust::estimate_confidence(sys, noisy, cycles);
  EXPECT_LT(cn.est_max_error_K, vn.est_max_error_K);
}

// One fine-level sweep after the coarse correction adds the grid-scale part of the error: for
// white noise, which the coarse level cannot see, the estimate rises from about half the truth
// to within 2x of it (a single sweep overshoots noise somewhat), while a smooth bump stays
// within the coarse estimate's bounds; bad sweep counts are refused.
TEST(Trust, FineSweepAddsTheGridScaleError) {
  const auto sys = fv::discretize(c1_design(33));
  const auto t = solve_fv(sys);
  trust::ConfidenceOptions swept, cycles;
  swept.fine_sweeps = 1;
  cycles.method = trust::ErrorEstimate::vcycles;
  const auto noisy = perturb(sys, t, 0.0, 0.3, 5);
  const double truth = max_abs_diff(noisy, t);
  const auto c0 = trust::estimate_confidence(sys, noisy);
  const auto c1 = trust::estimate_confidence(sys, noisy, swept);
  const auto v = trust::estimate_confidence(sys, noisy, cycles);
  std::cout << "white noise: true max " << truth << " K, coarse " << c0.est_max_error_K
            << " K, coarse + sweep " << c1.est_max_error_K << " K, V-cycles " << v.est_max_error_K
            << " K\n";
  EXPECT_EQ(c1.fine_sweeps, 1);
  EXPECT_EQ(c0.fine_sweeps, 0);
  EXPECT_GT(c1.est_max_error_K, 2 * c0.est_max_error_K);
  EXPECT_GT(c1.est_max_error_K, 0.5 * v.est_max_error_K);
  EXPECT_LT(c1.est_max_error_K, 2 * truth);
  EXPECT_NEAR(c1.rel_residual, c0.rel_residual, 1e-12 * c0.rel_residual);
  const auto bump = perturb(sys, t, 1.0, 0.0, 3);
  const double bump_truth = max_abs_diff(bump, t);
  const auto b1 = trust::estimate_confidence(sys, bump, swept);
  EXPECT_GT(b1.est_max_error_K, 0.75 * bump_truth);
  EXPECT_LT(b1.est_max_error_K, 1.05 * bump_truth);
  for (int bad : {-1, 5}) {
    trust::ConfidenceOptions o;
    o.fine_sweeps = bad;
    EXPECT_THROW(trust::estimate_confidence(sys, bump, o), std::invalid_argument) << bad;
  }
}

// A NaN anywhere in the field is the maximum error: score 0, not trusted (both estimates).
// A die (with a footprint and power) on a wider spreader: void nodes around the die.
model::Design die_on_spreader(int n) {
  model::Design d = c1_design(n);
  d.layers[0].name = "spreader";
  d.layers[0].k_xy = d.layers[0].k_z = 400;
  model::Layer die;
  die.name = "die";
  die.thickness = 0.2e-3;
  die.k_xy = die.k_z = 100;
  die.footprint = {0.25e-3, 0.25e-3, 0.5e-3, 0.5e-3};
  die.power.blocks.push_back({"core", 0.1e-3, 0.1e-3, 0.2e-3, 0.2e-3, 1.0});
  d.layers.push_back(die);
  d.faces[model::kTop] = model::Boundary{};  // adiabatic
  d.validate();
  return d;
}

void expect_same_numbers(const trust::Confidence& a, const trust::Confidence& b) {
  EXPECT_EQ(a.est_max_error_K, b.est_max_error_K);
  EXPECT_EQ(a.est_mean_error_K, b.est_mean_error_K);
  EXPECT_EQ(a.est_max_at_m, b.est_max_at_m);
  EXPECT_EQ(a.rel_residual, b.rel_residual);
  EXPECT_EQ(a.score, b.score);
  EXPECT_EQ(a.trusted, b.trusted);
}

TEST(Trust, EstimateWithoutItsFieldGivesTheSameNumbers) {
  // Reduced row by row as it is interpolated, the coarse estimate must give the numbers of the
  // stored field bit for bit (same per-plane sums in the same order), with and without void
  // nodes; the field itself is then not kept.
  for (const model::Design& d : {c1_design(33), die_on_spreader(33)}) {
    const fv::System s = fv::discretize(d);
    const auto t = solve_fv(s);
    const auto pred = perturb(s, t, 0.3, 0.01, 7);
    trust::ConfidenceOptions with, without;
    without.error_field = false;
    const auto a = trust::estimate_confidence(s, pred, with);
    const auto b = trust::estimate_confidence(s, pred, without);
    EXPECT_GT(a.est_max_error_K, 0.1);
    EXPECT_EQ(a.error_field.size(), t.size());
    EXPECT_TRUE(b.error_field.empty());
    expect_same_numbers(a, b);
    // The maximum and the mean are those of the stored field, over material nodes.
    double m = 0, sum = 0;
    std::size_t count = 0;
    for (int i = 0; i < s.op->nx(); ++i)
      for (int j = 0; j < s.op->ny(); ++j)
        for (int k = 0; k < s.op->nz(); ++k)
          if (s.op->node_active(i, j, k)) {
            const double e = std::abs(a.error_field[s.op->index(i, j, k)]);
            m = std::max(m, e);
            sum += e;
            ++count;
          }
    EXPECT_EQ(m, b.est_max_error_K);
    EXPECT_NEAR(sum / count, b.est_mean_error_K, 1e-12 * m);
    if (s.op->has_footprints()) {
      EXPECT_LT(count, t.size());
    }
    // With a fine sweep the field is needed and formed: the same numbers either way too.
    with.fine_sweeps = without.fine_sweeps = 1;
    expect_same_numbers(trust::estimate_confidence(s, pred, with),
                        trust::estimate_confidence(s, pred, without));
  }
}

TEST(Trust, CheckerOfABatchGivesTheOneOffEstimates) {
  // One discretization and hierarchy for designs that differ only in their power: each check
  // must equal an estimate with the design's own discretization.
  const model::Design base = c1_design(33);
  trust::ConfidenceOptions co;
  co.error_field = false;
  trust::ConfidenceChecker checker(base, model::build_grid(base), co);
  EXPECT_GE(checker.setup_seconds(), 0.0);
  for (int v = 0; v < 3; ++v) {
    model::Design d = base;
    d.faces[model::kTop].power.blocks[0].x = (0.1 + 0.2 * v) * 1e-3;
    d.faces[model::kTop].power.blocks[1].power = 0.5 + v;
    const fv::System s = fv::discretize(d);
    const auto pred = perturb(s, solve_fv(s), 0.2 + 0.1 * v, 0.0, 11 + v);
    expect_same_numbers(checker.check(d, pred), trust::estimate_confidence(s, pred, co));
  }
  // A design with another boundary condition is not one of the batch.
  model::Design other = base;
  other.faces[model::kBottom].h *= 2;
  const fv::System so = fv::discretize(other);
  EXPECT_THROW(checker.check(other, solve_fv(so)), std::invalid_argument);
}

TEST(Trust, NanFieldIsNeverTrusted) {
  const auto sys = fv::discretize(c1_design(33));
  auto t = solve_fv(sys);
  t[t.size() / 3] = NAN;
  for (auto m : {trust::ErrorEstimate::coarse, trust::ErrorEstimate::vcycles}) {
    trust::ConfidenceOptions o;
    o.method = m;
    const auto c = trust::estimate_confidence(sys, t, o);
    EXPECT_FALSE(c.trusted) << name(trust::kErrorEstimateNames, m);
    EXPECT_FALSE(c.est_max_error_K <= 1e300) << name(trust::kErrorEstimateNames, m);
    EXPECT_EQ(c.score, 0.0);
  }
}

TEST(Trust, WorsePredictionGetsLowerScore) {
  const auto sys = fv::discretize(c1_design(33));
  const auto t = solve_fv(sys);
  double last = 1.1;
  for (double amp : {0.05, 0.2, 0.5, 1.0, 4.0}) {
    const auto c = trust::estimate_confidence(sys, perturb(sys, t, amp, 0.0, 1));
    EXPECT_LT(c.score, last) << amp;
    EXPECT_GE(c.score, 0.0);
    EXPECT_LE(c.score, 1.0);
    EXPECT_EQ(c.trusted, c.est_max_error_K <= 0.5);
    last = c.score;
  }
  EXPECT_DOUBLE_EQ(trust::confidence_score(0.5, 0.5), 0.5);
  EXPECT_DOUBLE_EQ(trust::confidence_score(0.0, 0.5), 1.0);
  EXPECT_DOUBLE_EQ(trust::confidence_score(NAN, 0.5), 0.0);
}

TEST(Trust, RefinementReachesTheFvSolutionFromAnyStart) {
  const auto sys = fv::discretize(c1_design(33));
  const auto t = solve_fv(sys);
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(250.0, 400.0);
  std::vector<std::vector<double>> starts = {
      std::vector<double>(t.size(), 298.15), std::vector<double>(t.size(), 1000.0),
      perturb(sys, t, 2.0, 0.1, 5), std::vector<double>(t.size())};
  for (auto& v : starts.back()) v = u(rng);
  for (const solve::Method method : {solve::Method::cg, solve::Method::gmres}) {
    for (auto s : starts) {
      solve::SolverConfig cfg;
      cfg.method = method;
      cfg.options.rel_tol = 1e-10;
      const auto r = trust::refine(sys, s, cfg, 298.15);
      EXPECT_TRUE(r.warm.converged) << r.warm.summary();
      EXPECT_LT(max_abs_diff(s, t), 1e-5) << name(solve::kMethodNames, method);
    }
  }
}

TEST(Trust, GoodPredictionNeedsFewerIterationsThanColdStart) {
  const auto sys = fv::discretize(c1_design(41));
  const auto t = solve_fv(sys);
  auto p = perturb(sys, t, 0.01, 0.0, 1);
  solve::SolverConfig cfg;
  cfg.options.rel_tol = 1e-8;
  const auto r = trust::refine(sys, p, cfg, 298.15);
  ASSERT_TRUE(r.has_cold);
  EXPECT_LT(r.warm.iterations, r.cold.iterations);
}

TEST(Trust, BadInputsAreRefused) {
  const auto sys = fv::discretize(c1_design(9));
  EXPECT_THROW(trust::estimate_confidence(sys, std::vector<double>(5, 300.0)),
               std::invalid_argument);
  trust::ConfidenceOptions o;
  o.tolerance_K = -1;
  EXPECT_THROW(trust::estimate_confidence(sys, std::vector<double>(sys.grid.size(), 300.0), o),
               std::invalid_argument);
  std::vector<double> t(sys.grid.size(), 300.0);
  solve::SolverConfig cfg;
  cfg.method = solve::Method::multigrid;
  EXPECT_THROW(trust::refine(sys, t, cfg), std::invalid_argument);
}

TEST(Trust, RefineToErrorReachesTheRequestedKelvins) {
  const auto sys = fv::discretize(c1_design(33));
  const auto t = solve_fv(sys);
  for (double tol : {0.1, 0.01, 0.001}) {
    auto p = perturb(sys, t, 3.0, 0.2, 11);
    solve::SolverConfig cfg;
    const auto r = trust::refine_to_error(sys, p, cfg, tol, 298.15);
    EXPECT_TRUE(r.reached) << tol;
    EXPECT_LE(max_abs_diff(p, t), 1.05 * tol) << tol;  // the estimate is close to the truth
    ASSERT_TRUE(r.has_cold);
    EXPECT_TRUE(r.cold.converged);
    // One set-up shared by the stages: set-up and solves are parts of the whole.
    EXPECT_GT(r.solve_seconds, 0.0);
    EXPECT_LE(r.setup_seconds + r.solve_seconds, r.seconds);
  }
}
