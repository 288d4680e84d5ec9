// The PETSc backend (solver.backend: petsc) against the native solver. Run on 2 MPI ranks
// (tests/petsc_tests.cmake): every rank runs every test (the solves are collective); rank 0
// holds the gathered field and checks it.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "api/parallel.hpp"
#include "api/solve.hpp"
#include "interop/importer.hpp"
#include "petsc/backend.hpp"

using namespace heatop;

namespace {

const std::string kEx = HEATOP_EXAMPLES;
const std::string kHs = std::string(HEATOP_TEST_DATA) + "/interop/hotspot";

io::LoadedDesign load(const interop::DesignSource& src) {
  std::vector<std::string> warnings;
  return interop::load_any_design(src, &warnings);
}

io::LoadedDesign with_backend(io::LoadedDesign d, solve::Backend b) {
  d.solver.backend = b;
  return d;
}

// Solves natively and with PETSc; on rank 0 the fields agree within 1e-6 K and the summaries
// have the same fields (PETSc adds solver.petsc).
void expect_same_answer(const interop::DesignSource& src, int min_ranks = 2) {
  const io::LoadedDesign native = with_backend(load(src), solve::Backend::native);
  const io::LoadedDesign petsc = with_backend(load(src), solve::Backend::petsc);
  const api::SolveResult p = api::solve_design(petsc);
  EXPECT_TRUE(p.converged()) << p.report.summary();
  EXPECT_EQ(petsc::size(), min_ranks);
  if (!p.root) return;
  const api::SolveResult n = api::solve_design(native);
  ASSERT_TRUE(n.converged());
  ASSERT_EQ(n.field.values.size(), p.field.values.size());
  double worst = 0;
  for (std::size_t i = 0; i < n.field.values.size(); ++i) {
    const double a = n.field.values[i], b = p.field.values[i];
    if (std::isnan(a) || std::isnan(b)) {
      EXPECT_EQ(std::isnan(a), std::isnan(b)) << "void nodes differ at " << i;
      continue;
    }
    worst = std::max(worst, std::abs(a - b));
  }
  std::printf("%s: max |T_petsc - T_native| = %.2e K (%d + %d it)\n", src.path.c_str(), worst,
              p.report.iterations, n.report.iterations);
  EXPECT_LT(worst, 1e-6);
  // As robust as the native solver: about the same iteration count.
  EXPECT_LE(p.report.iterations, n.report.iterations + 3);
  EXPECT_EQ(p.summary["solver"]["backend"], "petsc");
  EXPECT_EQ(p.summary["solver"]["petsc"]["ranks"], min_ranks);
  for (const auto& [key, value] : n.summary.items())
    EXPECT_TRUE(p.summary.contains(key)) << "summary field " << key << " missing";
  for (const auto& [key, value] : n.summary["solver"].items())
    EXPECT_TRUE(p.summary["solver"].contains(key)) << "summary field solver." << key;
  EXPECT_LT(p.balance.rel_mismatch, 1e-8);
}

// C1 on a 21 x 21 x 11 grid with the PETSc backend.
io::LoadedDesign small_c1_on_petsc() {
  return load({kEx + "/c1_surface.yaml",
               "",
               "",
               "",
               "",
               {"grid.nx=21", "grid.ny=21", "grid.nz=11", "solver.backend=petsc"}});
}

}  // namespace

TEST(Petsc, C1AgreesWithNative) {
  expect_same_answer({kEx + "/c1_surface.yaml",
                      "",
                      "",
                      "",
                      "",
                      {"grid.nx=41", "grid.ny=41", "grid.nz=21", "solver.tol=1e-12"}});
}

TEST(Petsc, C4AgreesWithNative) {  // 800x conductivity contrast, 5 um layers
  expect_same_answer(
      {kEx + "/c4_stack.yaml", "", "", "", "", {"grid.nx=65", "grid.ny=65", "solver.tol=1e-12"}});
}

TEST(Petsc, C5AgreesWithNative) {
  expect_same_answer({kEx + "/c5_scale.yaml",
                      "",
                      "",
                      "",
                      "",
                      {"grid.nx=41", "grid.ny=41", "grid.nz=21", "solver.tol=1e-12"}});
}

// Fixed-temperature sides: their nodes' heat (energy balance) reads neighbours on other ranks.
TEST(Petsc, FixedSidesAgreeWithNative) {
  expect_same_answer({kEx + "/c1_surface.yaml",
                      "",
                      "",
                      "",
                      "",
                      {"grid.nx=33", "grid.ny=29", "grid.nz=9", "solver.tol=1e-13",
                       "sides.type=fixed", "sides.T_K=310"}});
}

// Imported: layers with footprints (void nodes) on HotSpot's non-uniform lateral grid (95 x 95
// nodes; --set grid.nx does not apply to it).
TEST(Petsc, HotSpotEv6AgreesWithNative) {
  expect_same_answer({kHs + "/example2/example.config",
                      kHs + "/example2/ev6.flp",
                      kHs + "/example2/gcc.ptrace",
                      "",
                      kHs + "/example2/example.materials",
                      {"solver.tol=1e-11"}});
}

TEST(Petsc, HypreBoomerAmgAndPetscOptionsFromTheDesign) {
  io::LoadedDesign d = load({kEx + "/c1_surface.yaml",
                             "",
                             "",
                             "",
                             "",
                             {"grid.nx=21", "grid.ny=21", "grid.nz=11", "solver.backend=petsc",
                              "solver.petsc_options=-pc_type hypre -pc_hypre_type boomeramg"}});
  const api::SolveResult r = api::solve_design(d);
  EXPECT_TRUE(r.converged()) << r.report.summary();
  EXPECT_EQ(r.report.preconditioner, "hypre");
  if (r.root) {
    EXPECT_TRUE(r.warnings.empty());
  }
}

TEST(Petsc, UnusedOptionIsReported) {
  io::LoadedDesign d = small_c1_on_petsc();
  const api::SolveResult r = api::solve_design(d, {0, {}, "-ksp_monitr"});
  EXPECT_TRUE(r.converged());
  if (!r.root) return;
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("-ksp_monitr"), std::string::npos) << r.warnings[0];
  EXPECT_EQ(r.summary["solver"]["petsc"]["unused_options"][0], "-ksp_monitr");
}

TEST(Petsc, NonConvergenceCarriesPetscsReason) {
  io::LoadedDesign d =
      load({kEx + "/c4_stack.yaml",
            "",
            "",
            "",
            "",
            {"grid.nx=33", "grid.ny=33", "solver.backend=petsc", "solver.max_iterations=2"}});
  const api::SolveResult r = api::solve_design(d);
  EXPECT_FALSE(r.converged());
  EXPECT_EQ(r.report.reason, "DIVERGED_ITS");
  EXPECT_EQ(r.report.iterations, 2);
  if (r.root) {
    EXPECT_EQ(r.summary["solver"]["converged"], false);
  }
}

TEST(Petsc, BadOptionValueIsAnError) {
  io::LoadedDesign d = small_c1_on_petsc();
  try {
    api::solve_design(d, {0, {}, "-pc_type no_such_pc"});
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_pc"), std::string::npos) << e.what();
  }
}

namespace {

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// With the field left on the ranks (gather_field false), the ranks write the results folder
// together (T.npy by MPI-IO, VTK and pictures plane by plane and probes through rank 0) and
// it equals the folder of the same solve gathered on rank 0, file for file.
void expect_parts_write_what_the_gathered_field_writes(const interop::DesignSource& src,
                                                       const std::string& name) {
  const io::LoadedDesign d = with_backend(load(src), solve::Backend::petsc);
  api::SolveRequest req;
  const api::SolveResult gathered = api::solve_design(d, req);
  req.gather_field = false;
  const api::SolveResult parts = api::solve_design(d, req);
  ASSERT_TRUE(parts.parts);
  EXPECT_TRUE(parts.field.values.empty());  // no rank holds the whole field
  api::RunInfo info;
  info.design_path = src.path;
  info.probes = {{0.3e-3, 0.6e-3, 0.1e-3}, {0.0, 0.0, 0.0}, {0.7e-3, 0.2e-3, 0.05e-3}};
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / name;
  std::optional<io::OutputDir> out_parts, out_gathered;
  if (parts.root) {
    std::filesystem::remove_all(dir);
    out_parts.emplace((dir / "parts").string());
  }
  api::write_solve_results(parts.root ? &*out_parts : nullptr, parts, d, info);
  if (!gathered.root) return;
  out_gathered.emplace((dir / "gathered").string());
  api::write_solve_results(&*out_gathered, gathered, d, info);
  EXPECT_EQ(parts.void_nodes, gathered.void_nodes);
  EXPECT_EQ(parts.stats.t_max, gathered.stats.t_max);
  EXPECT_EQ(parts.stats.hotspot_node, gathered.stats.hotspot_node);
  EXPECT_NEAR(parts.stats.t_mean, gathered.stats.t_mean, 1e-12 * gathered.stats.t_mean);
  int compared = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir / "gathered")) {
    const std::string f = e.path().filename().string();
    ASSERT_TRUE(std::filesystem::exists(dir / "parts" / f)) << f << " missing";
    if (f == "summary.json" || f == "manifest.json" || f == "report.html") continue;  // times
    EXPECT_EQ(read_all(dir / "parts" / f), read_all(e.path())) << f << " differs";
    ++compared;
  }
  std::printf("%s: %d files equal, T_max %.6f K, %zu void nodes\n", name.c_str(), compared,
              parts.stats.t_max, parts.void_nodes);
  EXPECT_GE(compared, 5);  // T.npy, T.vti or T.vtr, top.png, probes.csv, design.yaml
}

}  // namespace

TEST(Petsc, PartsWriteWhatTheGatheredFieldWrites) {
  expect_parts_write_what_the_gathered_field_writes(
      {kEx + "/c1_surface.yaml", "", "", "", "", {"grid.nx=33", "grid.ny=29", "grid.nz=11"}},
      "parts_c1");
  // Layers with footprints (void nodes) on a non-uniform grid (T.vtr), a layer picture.
  expect_parts_write_what_the_gathered_field_writes({kHs + "/example2/example.config",
                                                     kHs + "/example2/ev6.flp",
                                                     kHs + "/example2/gcc.ptrace",
                                                     "",
                                                     kHs + "/example2/example.materials",
                                                     {}},
                                                    "parts_ev6");
}

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  heatop::petsc::initialize();
  // Only rank 0 prints gtest's report.
  if (heatop::petsc::rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  const int rc = RUN_ALL_TESTS();
  heatop::petsc::finalize();
  return rc;
}
