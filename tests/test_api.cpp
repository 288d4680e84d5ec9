// The library drivers: api::solve_design and the batch form api::solve_designs, which share one
// discretization and one solver across designs that differ only in their power.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "api/parallel.hpp"
#include "api/solve.hpp"
#include "io/design_file.hpp"

using namespace heatop;

namespace {

const std::string kC1 = std::string(HEATOP_EXAMPLES) + "/c1_surface.yaml";

io::LoadedDesign small_c1() {
  return io::load_design(kC1, {"grid.nx=21", "grid.ny=21", "grid.nz=11"});
}

// A random 20 x 20 tile map of total power `watts`.
model::PowerMap random_map(unsigned seed, double watts) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  model::PowerMap m;
  m.rows = m.cols = 20;
  m.tile_watts.resize(400);
  double sum = 0;
  for (auto& w : m.tile_watts) sum += (w = u(rng));
  for (auto& w : m.tile_watts) w *= watts / sum;
  return m;
}

}  // namespace

// solver.backend: petsc is refused by name in a build without PETSc; with PETSc, a one-process
// solve (PETSc started on demand) gives the native answer.
TEST(SolveDesign, PetscBackendNeedsTheBuildSwitch) {
  io::LoadedDesign l = small_c1();
  l.solver.backend = solve::Backend::petsc;
  l.solver.options.rel_tol = 1e-12;
  if (!api::petsc_available()) {
    try {
      api::solve_design(l);
      FAIL() << "expected an error";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("built without PETSc"), std::string::npos) << e.what();
    }
    return;
  }
  const api::SolveResult p = api::solve_design(l);
  l.solver.backend = solve::Backend::native;
  const api::SolveResult n = api::solve_design(l);
  ASSERT_TRUE(p.converged() && n.converged());
  double worst = 0;
  for (std::size_t i = 0; i < n.field.values.size(); ++i)
    worst = std::max(worst, std::abs(n.field.values[i] - p.field.values[i]));
  EXPECT_LT(worst, 1e-6);
  EXPECT_EQ(p.summary["solver"]["backend"], "petsc");
}

TEST(SolveDesign, SummaryHoldsTheStatisticsAndTheSolverReport) {
  const io::LoadedDesign l = small_c1();
  const api::SolveResult r = api::solve_design(l);
  ASSERT_TRUE(r.converged());
  EXPECT_EQ(r.field.values.size(), r.grid.size());
  EXPECT_DOUBLE_EQ(r.summary.at("T_max_K").get<double>(), r.stats.t_max);
  EXPECT_EQ(r.summary.at("solver").at("iterations").get<int>(), r.report.iterations);
  EXPECT_LT(r.balance.rel_mismatch, 1e-7);
  // The peak is above the reference (ambient) temperature and the minimum not below it.
  EXPECT_GT(r.stats.t_max, model::reference_temperature(l.design));
  EXPECT_GE(r.stats.t_min, model::reference_temperature(l.design) - 1e-9);
  // A wrong-sized initial field is refused by name.
  api::SolveRequest bad;
  bad.initial.assign(5, 300.0);
  EXPECT_THROW(api::solve_design(l, bad), std::invalid_argument);
}

TEST(SolveDesigns, BatchEqualsOneSolveEach) {
  std::vector<io::LoadedDesign> batch;
  for (unsigned s = 1; s <= 4; ++s) {
    batch.push_back(small_c1());
    batch.back().design.faces[model::kTop].power = random_map(s, 0.2 + 0.1 * s);
  }
  const auto results = api::solve_designs(batch);
  ASSERT_EQ(results.size(), batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const api::SolveResult one = api::solve_design(batch[i]);
    ASSERT_TRUE(results[i].converged());
    double diff = 0;
    for (std::size_t p = 0; p < one.field.values.size(); ++p)
      diff = std::max(diff, std::abs(one.field.values[p] - results[i].field.values[p]));
    // Same start, same operator and preconditioner: the same iterates up to rounding.
    EXPECT_LT(diff, 1e-8) << "design " << i;
    EXPECT_EQ(one.report.iterations, results[i].report.iterations) << "design " << i;
    EXPECT_NEAR(results[i].balance.power_in, 0.2 + 0.1 * (i + 1), 1e-12);
    EXPECT_LT(results[i].balance.rel_mismatch, 1e-7);
  }
  // Different maps give different fields (the sources really are replaced).
  EXPECT_GT(std::abs(results[0].stats.t_max - results[3].stats.t_max), 0.1);
}

TEST(SolveDesigns, RefusesABatchThatDiffersInMoreThanPower) {
  std::vector<io::LoadedDesign> batch{small_c1(), small_c1()};
  batch[1].design.layers[0].k_z *= 2;
  try {
    api::solve_designs(batch);
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("design 1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("layers"), std::string::npos) << e.what();
  }
  batch = {small_c1(), small_c1()};
  batch[1].design.faces[model::kBottom].h *= 2;
  EXPECT_THROW(api::solve_designs(batch), std::invalid_argument);
  EXPECT_TRUE(api::solve_designs({}).empty());
}
