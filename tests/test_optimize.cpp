// Placement optimization: constraints always hold (property tests over random problems), the
// search improves on the naive start, and bad problem files are refused with clear messages.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "api/optimize.hpp"
#include "fv/system.hpp"
#include "io/output_dir.hpp"
#include "optimize/annealing.hpp"
#include "optimize/fv_objective.hpp"
#include "optimize/hybrid.hpp"
#include "optimize/problem_file.hpp"
#include "solve/fv_solver.hpp"

using namespace heatop;
using namespace heatop::optimize;
namespace fs = std::filesystem;

namespace {

model::Design chip() {
  model::Design d;
  d.lx = d.ly = 1e-3;
  model::Layer l;
  l.name = "die";
  l.thickness = 0.5e-3;
  l.k_xy = l.k_z = 100;
  d.layers.push_back(l);
  d.faces[model::kBottom].type = model::BcType::kConvective;
  d.faces[model::kBottom].h = 5e5;
  d.faces[model::kTop].type = model::BcType::kPower;
  d.faces[model::kTop].power.rows = d.faces[model::kTop].power.cols = 1;
  d.faces[model::kTop].power.tile_watts = {0.0};
  return d;
}

PlacementProblem random_problem(std::mt19937_64& rng) {
  PlacementProblem p;
  p.design = chip();
  std::uniform_int_distribution<int> tiles(6, 16), sz(1, 4), nb(2, 6);
  p.tiles_x = tiles(rng);
  p.tiles_y = tiles(rng);
  const int n = nb(rng);
  for (int b = 0; b < n; ++b) {
    BlockSpec s;
    s.name = "B" + std::to_string(b);
    s.w = std::min(sz(rng), p.tiles_x);
    s.h = std::min(sz(rng), p.tiles_y);
    s.power = 0.1 * (b + 1);
    s.rotatable = b % 2 == 0;
    p.blocks.push_back(s);
  }
  // One fixed block in the top-right corner and one keep-out zone in the middle.
  p.blocks[0].fixed = true;
  p.blocks[0].rotatable = false;
  p.blocks[0].at_x = p.tiles_x - p.blocks[0].w;
  p.blocks[0].at_y = p.tiles_y - p.blocks[0].h;
  p.keep_out.push_back({p.tiles_x / 2 - 1, p.tiles_y / 2 - 1, 2, 2});
  return p;
}

// A cheap objective for property tests: the power-weighted distance of blocks from the centre.
BatchObjective centroid_objective(const PlacementProblem& prob) {
  return [&prob](const std::vector<Placement>& batch) {
    std::vector<double> out;
    for (const auto& p : batch) {
      EXPECT_TRUE(prob.feasible(p)) << "objective saw an infeasible placement";
      double s = 0;
      for (std::size_t b = 0; b < prob.blocks.size(); ++b) {
        const auto r = prob.rect(p, b);
        s += -prob.blocks[b].power *
             std::hypot(r.x + r.w / 2.0 - prob.tiles_x / 2.0, r.y + r.h / 2.0 - prob.tiles_y / 2.0);
      }
      out.push_back(s);
    }
    return out;
  };
}

std::string write_file(const std::string& name, const std::string& text) {
  const fs::path dir = fs::temp_directory_path() / ("heatop_opt_" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / name) << text;
  return (dir / name).string();
}

std::string problem_text(const std::string& blocks, const std::string& extra = "") {
  return "name: t\ndesign: " + std::string(HEATOP_EXAMPLES) +
         "/c1_surface.yaml\ntiles: [10, 10]\n" + "blocks:\n" + blocks + extra;
}

// The message load_problem refuses a file with ("accepted" when it does not).
std::string refusal(const std::string& file) {
  try {
    load_problem(file);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "accepted";
}

}  // namespace

TEST(Placement, ConstraintsHoldOverRandomProblems) {
  std::mt19937_64 rng(42);
  int problems = 0;
  for (int trial = 0; trial < 60; ++trial) {
    PlacementProblem prob = random_problem(rng);
    try {
      prob.validate();
    } catch (const std::invalid_argument&) {
      continue;  // e.g. too crowded: refused up front, which is also correct
    }
    Placement start;
    try {
      start = prob.corner_packed();
    } catch (const std::invalid_argument&) {
      continue;
    }
    ++problems;
    ASSERT_TRUE(prob.feasible(start));
    AnnealingOptions o;
    o.evaluations = 120;
    o.population = 6;
    o.seed = trial;
    const auto res = anneal(prob, start, centroid_objective(prob), o);
    std::string why;
    EXPECT_TRUE(prob.feasible(res.best, &why)) << why;
    EXPECT_EQ(res.best.x[0], prob.blocks[0].at_x);
    EXPECT_EQ(res.best.y[0], prob.blocks[0].at_y);
    EXPECT_LE(res.evaluations, o.evaluations);
    // Never-rotatable blocks stay unrotated.
    for (std::size_t b = 0; b < prob.blocks.size(); ++b)
      if (!prob.blocks[b].rotatable) {
        EXPECT_FALSE(res.best.rotated[b]);
      }
  }
  EXPECT_GE(problems, 30);
}

TEST(Placement, PowerMapConservesBlockPower) {
  std::mt19937_64 rng(7);
  auto prob = random_problem(rng);
  prob.validate();
  const auto p = prob.corner_packed();
  double total = 0, expect = 0;
  for (double w : prob.power_map(p).tile_watts) total += w;
  for (const auto& b : prob.blocks) expect += b.power;
  EXPECT_NEAR(total, expect, 1e-12);
}

// Two dies (layers "lower" and "upper"): blocks on different dies may lie over one another,
// blocks on the same die may not; each die gets the power of its own blocks.
model::Design two_die_chip() {
  model::Design d = chip();
  d.faces[model::kTop].type = model::BcType::kConvective;
  d.faces[model::kTop].h = 1e4;
  d.faces[model::kTop].power = {};
  d.layers[0].name = "lower";
  d.layers[0].thickness = 0.1e-3;
  model::Layer gap = d.layers[0], upper = d.layers[0];
  gap.name = "gap";
  gap.k_xy = gap.k_z = 1;
  upper.name = "upper";
  d.layers.push_back(gap);
  d.layers.push_back(upper);
  d.grid.nx = d.grid.ny = 11;
  d.grid.nz = 9;
  return d;
}

TEST(Placement, BlocksOnTwoDiesShareTilesButNotWithinADie) {
  PlacementProblem prob;
  prob.design = two_die_chip();
  prob.power_face = "lower";
  prob.tiles_x = prob.tiles_y = 6;
  for (int b = 0; b < 4; ++b) {
    BlockSpec s;
    s.name = "B" + std::to_string(b);
    s.w = s.h = 3;
    s.power = 0.5 + b;
    s.face = b < 2 ? "" : "upper";  // B0, B1 on the default (lower), B2, B3 on upper
    prob.blocks.push_back(s);
  }
  prob.validate();
  EXPECT_EQ(prob.faces(), (std::vector<std::string>{"lower", "upper"}));
  const Placement start = prob.corner_packed();
  ASSERT_TRUE(prob.feasible(start));
  // Each die packs from its own corner.
  EXPECT_EQ(start.x[0], 0);
  EXPECT_EQ(start.y[0], 0);
  EXPECT_EQ(start.x[2], 0);
  EXPECT_EQ(start.y[2], 0);
  Placement p = start;
  p.x[3] = p.x[0] = 3;
  p.y[3] = p.y[0] = 3;  // B0 (lower) under B3 (upper): allowed
  p.x[1] = p.y[1] = 0;
  p.x[2] = 0;
  p.y[2] = 3;
  std::string why;
  EXPECT_TRUE(prob.feasible(p, &why)) << why;
  Placement q = p;
  q.x[1] = q.y[1] = 2;  // B1 over B0 on the lower die
  EXPECT_FALSE(prob.feasible(q, &why));
  EXPECT_NE(why.find("'B0' and 'B1' overlap"), std::string::npos) << why;
  // Power per die, and into the right layers.
  double lower = 0, upper = 0;
  for (double w : prob.power_map(p, "lower").tile_watts) lower += w;
  for (double w : prob.power_map(p, "upper").tile_watts) upper += w;
  EXPECT_NEAR(lower, 0.5 + 1.5, 1e-12);
  EXPECT_NEAR(upper, 2.5 + 3.5, 1e-12);
  const model::Design d = prob.design_for(p);
  EXPECT_TRUE(d.layers[1].power.empty());
  double in_lower = 0;
  for (double w : d.layers[0].power.tile_watts) in_lower += w;
  EXPECT_NEAR(in_lower, 2.0, 1e-12);
  // The search keeps both dies' constraints.
  AnnealingOptions o;
  o.evaluations = 200;
  o.population = 4;
  const auto res = anneal(prob, start, centroid_objective(prob), o);
  EXPECT_TRUE(prob.feasible(res.best, &why)) << why;
  // A die's own area limit, named.
  prob.blocks.push_back(prob.blocks[2]);
  prob.blocks.back().name = "B4";
  prob.blocks.back().w = 5;
  prob.blocks.back().h = 4;  // 9 + 9 + 20 tiles on the upper die's 36
  try {
    prob.validate();
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("the blocks on upper cover 38 tiles"), std::string::npos)
        << e.what();
  }
}

TEST(Placement, TinyFvOptimizationImprovesOnCornerStart) {
  auto lp = load_problem(std::string(HEATOP_EXAMPLES) + "/c3_placement.yaml",
                         {"optimizer.evaluations=40", "optimizer.eval_grid=[21, 21, 11]"});
  FvObjectiveOptions verify;
  verify.nx = verify.ny = 41;
  verify.nz = 21;
  int count = 0;
  const auto start = lp.problem.corner_packed();
  const double start_peak = fv_peak(lp.problem, start, verify);
  const auto res =
      anneal(lp.problem, start, fv_objective(lp.problem, lp.eval, &count), lp.annealing);
  EXPECT_EQ(count, res.evaluations);
  const double final_peak = fv_peak(lp.problem, res.best, verify);
  std::cout << "corner start " << start_peak << " K, optimized " << final_peak << " K\n";
  EXPECT_LT(final_peak, start_peak - 2.0);  // corner packing is several kelvin worse
  EXPECT_TRUE(lp.problem.feasible(res.best));
}

struct HybridRun {
  AnnealingResult result;
  HybridCounters counters;
};

// One hybrid search: the optimizer on the strategy's objective, then the strategy's finish.
HybridRun hybrid_run(const LoadedProblem& lp, SurrogatePredictors predict,
                     const HybridOptions& ho) {
  HybridSearch search(lp.problem, std::move(predict), ho);
  HybridRun run;
  run.result = anneal(lp.problem, lp.problem.corner_packed(), search.objective(), lp.annealing);
  const HybridPick pick = search.finish(run.result);
  run.result.best = pick.placement;
  run.result.best_value = pick.value_K;
  run.counters = search.counters();
  return run;
}

// A "surrogate" that is the FV solver itself, plus a uniform offset in K.
FieldPredictor fv_predictor(double offset_K) {
  return [offset_K](const std::vector<model::Design>& ds, const model::Grid& g) {
    std::vector<std::vector<double>> out;
    for (const auto& d : ds) {
      const auto sys = fv::discretize(d, g);
      std::vector<double> t(g.size(), 298.15);
      solve::SolverConfig cfg;
      cfg.options.rel_tol = 1e-10;
      solve::solve_system(*sys.op, sys.rhs.data(), t.data(), cfg);
      for (auto& v : t) v += offset_K;
      out.push_back(t);
    }
    return out;
  };
}

TEST(Placement, HybridWithAnExactPredictorNeedsNoRefinement) {
  // A "surrogate" that is the FV solver itself: every check must trust it.
  auto lp = load_problem(std::string(HEATOP_EXAMPLES) + "/c3_placement.yaml",
                         {"optimizer.evaluations=17", "optimizer.eval_grid=[21, 21, 11]"});
  FieldPredictor exact = fv_predictor(0.0);
  HybridOptions ho;
  ho.eval = lp.eval;
  HybridCounters hc = hybrid_run(lp, exact, ho).counters;
  EXPECT_EQ(hc.surrogate, 17);
  EXPECT_GE(hc.estimates, 1);
  EXPECT_EQ(hc.refined, 0);
  EXPECT_LT(hc.max_est_error_K, 1e-3);
  // A biased predictor (+2 K everywhere) is caught and refined.
  FieldPredictor biased = [&exact](const std::vector<model::Design>& ds, const model::Grid& g) {
    auto f = exact(ds, g);
    for (auto& v : f)
      for (auto& t : v) t += 2.0;
    return f;
  };
  const HybridCounters hb = hybrid_run(lp, biased, ho).counters;
  EXPECT_GE(hb.refined, 1);
  EXPECT_NEAR(hb.max_est_error_K, 2.0, 0.05);
  // `corrected`: no refinement; the checked values are prediction + estimated error, so the
  // search's best value is the FV peak of its best placement although every prediction is
  // 2 K off.
  ho.checks = Checks::corrected;
  const HybridRun runc = hybrid_run(lp, biased, ho);
  const HybridCounters& hcor = runc.counters;
  const AnnealingResult& rc = runc.result;
  EXPECT_EQ(hcor.refined, 0);
  EXPECT_GE(hcor.corrected, 1);
  EXPECT_EQ(hcor.corrected, hcor.estimates);
  EXPECT_NEAR(rc.best_value, fv_peak(lp.problem, rc.best, lp.eval), 2e-3);
  ho.checks = Checks::best;

  // With a peak-only screen the same search results: the same best and the same checks
  // (fields are formed only for the candidates checked).
  int field_calls = 0;
  FieldPredictor counted = [&](const std::vector<model::Design>& ds, const model::Grid& g) {
    field_calls += static_cast<int>(ds.size());
    return exact(ds, g);
  };
  PeakPredictor peaks = [&exact](const std::vector<model::Design>& ds, const model::Grid& g) {
    std::vector<double> out;
    for (const auto& f : exact(ds, g)) out.push_back(*std::max_element(f.begin(), f.end()));
    return out;
  };
  const HybridRun runp = hybrid_run(lp, {counted, peaks}, ho);
  const HybridCounters& hp = runp.counters;
  const AnnealingResult& rp = runp.result;
  const AnnealingResult rf = hybrid_run(lp, exact, ho).result;
  EXPECT_DOUBLE_EQ(rp.best_value, rf.best_value);
  EXPECT_EQ(hp.surrogate, 17);
  EXPECT_EQ(field_calls, hp.estimates);
  EXPECT_LT(field_calls, 17);
}

TEST(Placement, FinalChecksSolveTheShortlistAndPickTheFvBest) {
  // A predictor 2 K off everywhere: the search ranks by it alone, and the strategy's finish
  // FV-solves exactly `shortlist` placements and reports the best FV peak, not the prediction.
  auto lp = load_problem(std::string(HEATOP_EXAMPLES) + "/c3_placement.yaml",
                         {"optimizer.evaluations=17", "optimizer.eval_grid=[21, 21, 11]"});
  const FieldPredictor biased = fv_predictor(2.0);
  HybridOptions ho;
  ho.eval = lp.eval;
  ho.checks = Checks::final;
  ho.shortlist = 3;
  const HybridRun run = hybrid_run(lp, biased, ho);
  EXPECT_EQ(run.counters.surrogate, 17);
  EXPECT_EQ(run.counters.refined, 3);
  EXPECT_EQ(run.counters.estimates, 0);
  // The value the search ends with is the FV peak of the placement it picked.
  EXPECT_NEAR(run.result.best_value, fv_peak(lp.problem, run.result.best, lp.eval), 1e-5);
  // Bad options are refused by name.
  ho.shortlist = 0;
  EXPECT_THROW(HybridSearch(lp.problem, biased, ho), std::invalid_argument);
}

TEST(ReusableSolver, ManyRightHandSidesMatchFreshSolves) {
  // One FvEvaluator (operator and multigrid built once, sources re-assembled per placement)
  // gives the same peaks and fields as a fresh discretization and solve of each placement.
  auto lp = load_problem(std::string(HEATOP_EXAMPLES) + "/c3_placement.yaml",
                         {"optimizer.eval_grid=[25, 25, 13]"});
  const PlacementProblem& prob = lp.problem;
  FvEvaluator ev(prob, lp.eval);
  std::mt19937_64 rng(7);
  Placement p = prob.corner_packed();
  std::vector<double> warm(3, 1e6);  // not the grid's size: the first solve starts cold
  for (int n = 0; n < 5; ++n) {
    std::vector<double> field;
    const double reused = ev.peak(p, &field);
    const model::Design d = design_on_grid(prob.design_for(p), lp.eval);
    const fv::System sys = fv::discretize(d);
    std::vector<double> t(sys.grid.size(), model::reference_temperature(d));
    const auto rep = solve::solve_system(*sys.op, sys.rhs.data(), t.data(), lp.eval.solver);
    ASSERT_TRUE(rep.converged);
    double fresh = -1e300, maxdiff = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
      fresh = std::max(fresh, t[i]);
      maxdiff = std::max(maxdiff, std::abs(t[i] - field[i]));
    }
    EXPECT_NEAR(reused, fresh, 1e-9) << "placement " << n;
    EXPECT_LT(maxdiff, 1e-9) << "placement " << n;
    // Warm-started from the previous placement's solution (solved in place in `warm`, which
    // holds the solution after): the same answer to the solver's tolerance.
    std::vector<double> warm_field;
    const double warm_peak = ev.peak(p, &warm_field, &warm);
    EXPECT_NEAR(warm_peak, fresh, 1e-6) << "placement " << n;
    EXPECT_EQ(warm, warm_field) << "placement " << n;
    ASSERT_EQ(warm.size(), t.size());
    // The same system's energy balance closes with the re-assembled sources.
    const fv::System& rs = ev.system_for(p);
    EXPECT_LT(fv::energy_balance(rs, field).rel_mismatch, 1e-6);
    EXPECT_NEAR(rs.power_in, sys.power_in, 1e-12 * sys.power_in);
    Placement next;
    ASSERT_TRUE(random_neighbour(prob, p, rng, &next));
    p = next;
  }
  // Only the power may change: a design with other boundary data is refused by name.
  model::Design other = design_on_grid(prob.design_for(p), lp.eval);
  other.faces[model::kBottom].type = model::BcType::kConvective;
  other.faces[model::kBottom].h = 1234;
  fv::System sys = fv::discretize(design_on_grid(prob.design_for(p), lp.eval));
  try {
    fv::set_power(sys, other);
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("bottom"), std::string::npos) << e.what();
  }
}

TEST(ReusableSolver, FvSolverSolvesManyRightHandSidesWithOneSetup) {
  auto lp = load_problem(std::string(HEATOP_EXAMPLES) + "/c3_placement.yaml",
                         {"optimizer.eval_grid=[25, 25, 13]"});
  const model::Design d =
      design_on_grid(lp.problem.design_for(lp.problem.corner_packed()), lp.eval);
  const fv::System sys = fv::discretize(d);
  const std::vector<double> boundary = fv::boundary_terms(sys);
  for (auto method : {solve::Method::cg, solve::Method::gmres, solve::Method::multigrid}) {
    solve::SolverConfig cfg;
    cfg.method = method;
    cfg.options.rel_tol = 1e-10;
    cfg.options.max_iterations = 200;
    const solve::FvSolver solver(*sys.op, cfg);
    for (double scale : {1.0, 0.5, 2.0}) {
      std::vector<double> b = sys.power;
      for (std::size_t i = 0; i < b.size(); ++i) b[i] = scale * b[i] + boundary[i];
      std::vector<double> x(b.size(), 298.15), y(b.size(), 298.15);
      const auto r1 = solver.solve(b.data(), x.data());
      const auto r2 = solve::solve_system(*sys.op, b.data(), y.data(), cfg);
      ASSERT_TRUE(r1.converged && r2.converged);
      double diff = 0;
      for (std::size_t i = 0; i < x.size(); ++i) diff = std::max(diff, std::abs(x[i] - y[i]));
      EXPECT_LT(diff, 1e-8);
      EXPECT_EQ(r1.iterations, r2.iterations);
    }
    EXPECT_EQ(solver.solves(), 3);
  }
}

TEST(ProblemFile, BlockLargerThanDie) {
  const auto f =
      write_file("big.yaml", problem_text("  - {name: huge, size_tiles: [11, 12], power_W: 1}\n"));
  const std::string m = refusal(f);
  EXPECT_NE(m.find("larger than the die"), std::string::npos) << m;
}

TEST(ProblemFile, OverlappingFixedBlocks) {
  const auto f = write_file(
      "ovl.yaml",
      problem_text("  - {name: A, size_tiles: [3, 3], power_W: 1, fixed_at_tile: [0, 0]}\n"
                   "  - {name: B, size_tiles: [3, 3], power_W: 1, fixed_at_tile: [2, 2]}\n"));
  const std::string m = refusal(f);
  EXPECT_NE(m.find("fixed blocks 'A' and 'B' overlap"), std::string::npos) << m;
}

TEST(ProblemFile, TotalAreaLargerThanDie) {
  std::string blocks;
  for (int b = 0; b < 5; ++b)
    blocks += "  - {name: B" + std::to_string(b) + ", size_tiles: [5, 5], power_W: 1}\n";
  const auto f = write_file("area.yaml", problem_text(blocks));
  const std::string m = refusal(f);
  EXPECT_NE(m.find("the blocks cover 125 tiles but the die has only 100"), std::string::npos) << m;
}

TEST(ProblemFile, UnknownKeyAndMissingDesign) {
  const auto f = write_file(
      "unk.yaml", problem_text("  - {name: A, size_tiles: [2, 2], power_W: 1, colour: red}\n"));
  const std::string m = refusal(f);
  EXPECT_NE(m.find("unknown key 'colour'"), std::string::npos) << m;
  const auto g =
      write_file("nodesign.yaml", "tiles: [4, 4]\nblocks:\n  - {size_tiles: [1, 1], power_W: 1}\n");
  EXPECT_THROW(load_problem(g), std::invalid_argument);
}

TEST(ProblemFile, BlockPowerFaceMustBeASurfaceOrALayer) {
  const auto f = write_file(
      "face.yaml",
      problem_text("  - {name: A, size_tiles: [2, 2], power_W: 1}\n"
                   "  - {name: B, size_tiles: [2, 2], power_W: 1, power_face: attic}\n"));
  const std::string m = refusal(f);
  EXPECT_NE(m.find("blocks[1].power_face"), std::string::npos) << m;
  EXPECT_NE(m.find("got 'attic'"), std::string::npos) << m;
  const auto g = write_file(
      "face_ok.yaml", problem_text("  - {name: A, size_tiles: [2, 2], power_W: 1}\n"
                                   "  - {name: B, size_tiles: [2, 2], power_W: 1, power_face: "
                                   "die}\n"));
  const auto lp = load_problem(g);
  EXPECT_EQ(lp.problem.face_of(0), "top");
  EXPECT_EQ(lp.problem.face_of(1), "die");
}

// The C4 example (blocks in both dies) through the library's optimize call on a small grid: one
// floorplan per die, the placement's faces, a peak inside a die.
TEST(OptimizePlacement, TwoDieProblemWritesAFloorplanPerDie) {
  api::OptimizeRequest req;
  req.problem = std::string(HEATOP_EXAMPLES) + "/c4_placement.yaml";
  req.overrides = {"optimizer.evaluations=16", "optimizer.eval_grid=[21, 21, 14]",
                   "verify_grid=[21, 21, 14]"};
  req.fd_only = true;
  api::OptimizeResult r = api::optimize_placement(req);
  const auto& prob = r.problem.problem;
  EXPECT_TRUE(prob.feasible(r.best));
  // FV-only: no surrogate time to report, and the phases still add up to the wall time.
  EXPECT_TRUE(r.summary["seconds"]["surrogate"].is_null());
  EXPECT_TRUE(r.summary["seconds"]["fv_checks"].is_null());
  EXPECT_NEAR(r.seconds.start + r.seconds.search + r.seconds.final_checks + r.seconds.verification,
              r.wall_seconds, 1e-9);
  EXPECT_LE(r.final_peak_K, r.start_peak_K + 1e-9);
  int die2 = 0;
  for (const auto& b : r.placement) die2 += b.at("power_face") == "die2";
  EXPECT_EQ(die2, 4);
  const fs::path dir = fs::temp_directory_path() / ("heatop_opt_c4_" + std::to_string(getpid()));
  fs::remove_all(dir);
  {
    io::OutputDir out(dir.string());
    api::write_optimize_results(out, r, "test");  // commits the folder
  }
  for (const char* f : {"floorplan_die1.png", "floorplan_die2.png", "floorplan_start_die1.png",
                        "floorplan_start_die2.png", "temperature.png", "placement.json"})
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  EXPECT_FALSE(fs::exists(dir / "floorplan.png"));
  fs::remove_all(dir);
}

// A design file that is missing is reported with the problem file and its `design` key.
TEST(ProblemFile, MissingDesignFileNamesTheProblemFile) {
  const auto f = write_file("absent_design.yaml",
                            "design: nowhere.yaml\ntiles: [4, 4]\nblocks:\n"
                            "  - {size_tiles: [1, 1], power_W: 1}\n");
  const std::string m = refusal(f);
  EXPECT_NE(m.find(f + ":1: design: design file not found: "), std::string::npos) << m;
  EXPECT_NE(m.find("nowhere.yaml"), std::string::npos) << m;
}

// Tile counts and grid sizes out of int range are refused by key before any conversion.
TEST(ProblemFile, NumbersOutOfIntRangeAreRefusedByKey) {
  const std::string block = "  - {name: A, size_tiles: [2, 2], power_W: 1}\n";
  const std::pair<std::string, std::string> cases[] = {
      {"verify_grid: [21, 1.0e12, 6]\n", "verify_grid: expected whole numbers of cells"},
      {"optimizer: {eval_grid: [-3.0e10, 21, 6]}\n",
       "optimizer.eval_grid: expected whole numbers of cells"},
      {"verify_grid: [21, 21, 6.5]\n", "verify_grid: expected whole numbers of cells"},
      {"keep_out:\n  - {at_tile: [1.0e300, 0], size_tiles: [1, 1]}\n",
       "keep_out[0].at_tile: expected whole numbers of tiles"}};
  for (const auto& [extra, needle] : cases) {
    const auto f = write_file("range.yaml", problem_text(block, extra));
    try {
      load_problem(f);
      ADD_FAILURE() << "accepted: " << extra;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  }
}

// `design` as a grid: the design file's own grid, kept as it is (explicit nodes and layer
// cells); any other word is refused by key.
TEST(ProblemFile, DesignGridKeepsTheDesignFilesGrid) {
  const std::string block = "  - {name: A, size_tiles: [2, 2], power_W: 1}\n";
  const auto f = write_file("own_grid.yaml", problem_text(block,
                                                          "verify_grid: design\n"
                                                          "optimizer: {eval_grid: design}\n"));
  const LoadedProblem lp = load_problem(f);
  EXPECT_EQ(lp.eval.nx, 0);
  EXPECT_EQ(lp.verify.nz, 0);
  const model::Design own = lp.problem.design;
  const model::Design kept = optimize::design_on_grid(own, lp.verify);
  EXPECT_EQ(model::build_grid(kept).z, model::build_grid(own).z);
  EXPECT_EQ(model::build_grid(kept).x, model::build_grid(own).x);
  const auto g = write_file("bad_grid.yaml", problem_text(block, "verify_grid: designs\n"));
  try {
    load_problem(g);
    ADD_FAILURE() << "verify_grid: designs accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("verify_grid: expected [nx, ny, nz] or design"),
              std::string::npos)
        << e.what();
  }
}

// api::optimize_placement with `--checks final`: when the search's FV grid is the verification
// grid, the shortlist's converged solve of the pick is its verification (no second solve), and
// the summary says so; on another grid the pick is solved again. Either way the reported FV peaks
// equal fresh cold solves, and the start placement's solve (warm-started from the surrogate's
// field in a hybrid run) gives the cold solve's answer.
TEST(OptimizePlacement, FinalChecksOnTheVerifyGridAreTheVerification) {
  const double offset = 0.3;
  for (const bool same : {true, false}) {
    api::OptimizeRequest req;
    req.problem = std::string(HEATOP_EXAMPLES) + "/c3_placement.yaml";
    req.overrides = {"optimizer.evaluations=24", "optimizer.eval_grid=[21, 21, 11]",
                     same ? "verify_grid=[21, 21, 11]" : "verify_grid=[25, 25, 13]"};
    req.model_dir = "fv-plus-offset";
    req.predictors = [&](const std::string&, const model::Design&) {
      return SurrogatePredictors(fv_predictor(offset));
    };
    req.checks = Checks::final;
    req.shortlist = 2;
    const api::OptimizeResult r = api::optimize_placement(req);
    SCOPED_TRACE(same ? "eval grid = verify grid" : "eval grid != verify grid");
    EXPECT_EQ(r.verification_solves, same ? 0 : 1);
    EXPECT_EQ(r.summary["verified_by_search_solve"].get<bool>(), same);
    EXPECT_EQ(r.summary["evaluations"]["fv_verification"].get<int>(), same ? 1 : 2);
    const auto& lp = r.problem;
    EXPECT_NEAR(r.final_peak_K, fv_peak(lp.problem, r.best, lp.verify), 1e-6);
    EXPECT_NEAR(r.start_peak_K, fv_peak(lp.problem, r.start, lp.verify), 1e-6);
    EXPECT_NEAR(r.final_surrogate_K, r.final_peak_K + offset, 1e-6);
    ASSERT_EQ(r.final_field.size(), r.verify_grid.size());
    EXPECT_NEAR(*std::max_element(r.final_field.begin(), r.final_field.end()), r.final_peak_K,
                1e-12);
    // The phases after the set-up partition the run's wall time; the shortlist's two solves
    // are the final checks, and summary.json carries the same numbers.
    const auto& ph = r.seconds;
    for (double v : {ph.setup, ph.start, ph.search, ph.final_checks, ph.verification})
      EXPECT_GE(v, 0.0);
    EXPECT_GT(ph.final_checks, 0.0);
    EXPECT_NEAR(ph.start + ph.search + ph.final_checks + ph.verification, r.wall_seconds, 1e-9);
    EXPECT_NEAR(ph.start + ph.search + ph.final_checks, r.search_seconds, 1e-9);
    const auto& js = r.summary["seconds"];
    EXPECT_DOUBLE_EQ(js["setup"].get<double>(), ph.setup);
    EXPECT_DOUBLE_EQ(js["final_checks"].get<double>(), ph.final_checks);
    EXPECT_DOUBLE_EQ(js["fv_checks"].get<double>(), r.counters.fv_seconds);
    EXPECT_GT(js["surrogate"].get<double>(), 0.0);
  }
}
