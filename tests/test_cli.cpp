// End-to-end tests of the heatop program: good runs produce the documented outputs; every bad
// input gives one clear message naming the problem, a non-zero exit, and no output files.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_run.hpp"

namespace fs = std::filesystem;

namespace {

using heatop_test::CliRun;
using heatop_test::run;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("heatop_cli_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  // A small valid C1-like design with the given extra YAML appended or replacements applied.
  std::string design(const std::string& top = "top: {type: power, power_W: 1.0}\n",
                     const std::string& layer = "thickness_mm: 0.5\n    k_W_per_mK: 100\n",
                     const std::string& bottom =
                         "bottom: {type: convective, h_W_per_m2K: 5.0e5, T_amb_K: 298.15}\n",
                     const std::string& extra = "") {
    return write("d.yaml", "name: t\ndie: {size_mm: [1.0, 1.0]}\nlayers:\n  - name: die\n    " +
                               layer + top + bottom + "grid: {nx: 11, ny: 11, nz: 6}\n" + extra);
  }
  // Asserts a failed run: non-zero exit, message contains `needle`, no output folder, and no
  // staging folder left behind.
  void expect_refused(const CliRun& r, const std::string& needle) {
    EXPECT_NE(r.code, 0) << r.output;
    EXPECT_NE(r.output.find(needle), std::string::npos)
        << "expected '" << needle << "' in: " << r.output;
    EXPECT_NE(r.output.find("heatop: error:"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(dir_ / "out")) << "partial output folder left behind";
    for (const auto& e : fs::directory_iterator(dir_))
      EXPECT_EQ(e.path().filename().string().find(".heatop-tmp"), std::string::npos)
          << "staging folder left behind: " << e.path();
  }
  std::string out() const { return (dir_ / "out").string(); }
  fs::path dir_;
};

TEST_F(Cli, SolveWritesEveryDocumentedOutput) {
  const std::string probes = write("p.csv", "x_mm,y_mm,z_mm\n0.5,0.5,0.5\n0.1,0.2,0.0\n");
  const CliRun r = run("solve " + std::string(HEATOP_EXAMPLES) +
                       "/c1_surface.yaml --set grid.nx=21 --set grid.ny=21 --set grid.nz=11 "
                       "--set top.power_map=maps/map_20_20.txt --probe " +
                       probes + " -o " + out());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("T_max 315.6"), std::string::npos) << r.output;
  for (const char* f :
       {"summary.json", "T.npy", "T.vti", "top.png", "probes.csv", "manifest.json", "design.yaml"})
    EXPECT_TRUE(fs::exists(dir_ / "out" / f)) << f;
  const auto s = nlohmann::json::parse(std::ifstream(dir_ / "out" / "summary.json"));
  // Uniform 2.5 W map: 1D conduction, 303.15 K at the bottom and 315.65 K on top (docs/cases.md).
  EXPECT_NEAR(s["T_max_K"].get<double>(), 315.65, 1e-6);
  EXPECT_NEAR(s["T_min_K"].get<double>(), 303.15, 1e-6);
  EXPECT_NEAR(s["power_in_W"].get<double>(), 2.5, 1e-12);
  EXPECT_NEAR(s["heat_out_W"]["bottom"].get<double>(), 2.5, 1e-6);
  EXPECT_LT(s["energy_balance_rel"].get<double>(), 1e-6);
  EXPECT_TRUE(s["solver"]["converged"].get<bool>());
  EXPECT_EQ(s["solver"]["method"], "cg");
  EXPECT_EQ(s["hotspot_mm"].size(), 3u);
  EXPECT_EQ(s["layers"][0]["name"], "die");
  const auto m = nlohmann::json::parse(std::ifstream(dir_ / "out" / "manifest.json"));
  EXPECT_NE(m["command_line"].get<std::string>().find("--set grid.nx=21"), std::string::npos);
  EXPECT_NE(m["effective_design_yaml"].get<std::string>().find("map_20_20"), std::string::npos);
  std::ifstream pc(dir_ / "out" / "probes.csv");
  std::string header, row1, row2;
  std::getline(pc, header);
  std::getline(pc, row1);
  std::getline(pc, row2);
  EXPECT_EQ(header, "x_mm,y_mm,z_mm,T_K");
  EXPECT_NE(row1.find("315.65"), std::string::npos) << row1;
  EXPECT_NE(row2.find("303.15"), std::string::npos) << row2;
}

// --fields: which 3D field files a solve writes (full-chip grids make them gigabytes); the rest
// of the folder, the report and the numbers are the same. summary.json reports the solve's peak
// memory per node.
TEST_F(Cli, FieldsOptionChoosesTheFieldFiles) {
  const std::string d = design();
  const std::string none = (dir_ / "none").string(), npy = (dir_ / "npy").string();
  CliRun r = run("solve " + d + " --fields none -o " + none);
  ASSERT_EQ(r.code, 0) << r.output;
  r = run("solve " + d + " --fields npy -o " + npy);
  ASSERT_EQ(r.code, 0) << r.output;
  r = run("solve " + d + " -o " + out());
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* f : {"summary.json", "report.html", "top.png", "design.yaml"}) {
    EXPECT_TRUE(fs::exists(fs::path(none) / f)) << f;
    EXPECT_TRUE(fs::exists(fs::path(npy) / f)) << f;
  }
  EXPECT_FALSE(fs::exists(fs::path(none) / "T.npy"));
  EXPECT_FALSE(fs::exists(fs::path(none) / "T.vti"));
  EXPECT_TRUE(fs::exists(fs::path(npy) / "T.npy"));
  EXPECT_FALSE(fs::exists(fs::path(npy) / "T.vti"));
  EXPECT_TRUE(fs::exists(dir_ / "out" / "T.npy"));
  EXPECT_TRUE(fs::exists(dir_ / "out" / "T.vti"));
  const auto a = nlohmann::json::parse(std::ifstream(fs::path(none) / "summary.json"));
  const auto b = nlohmann::json::parse(std::ifstream(dir_ / "out" / "summary.json"));
  EXPECT_EQ(a["T_max_K"], b["T_max_K"]);
  const auto files = a["files"].get<std::vector<std::string>>();
  EXPECT_EQ(std::count(files.begin(), files.end(), "T.npy"), 0);
  // Peak memory: at least the field itself (8 bytes per node) and finite.
  const double per_node = a["memory"]["bytes_per_node"].get<double>();
  EXPECT_GT(per_node, 8.0);
  EXPECT_GT(a["memory"]["peak_rss_MiB"].get<double>(), 1.0);
  const CliRun bad = run("solve " + d + " --fields vtk -o " + (dir_ / "bad").string());
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.output.find("--fields: vtk not in {all,npy,none}"), std::string::npos)
      << bad.output;
  EXPECT_FALSE(fs::exists(dir_ / "bad"));
}

TEST_F(Cli, MalformedYaml) {
  const std::string f = write("bad.yaml", "name: t\ndie: {size_mm: [1.0, 1.0]\nlayers: [\n");
  expect_refused(run("solve " + f + " -o " + out()), "malformed YAML");
}

TEST_F(Cli, UnknownKeyListsValidKeys) {
  expect_refused(
      run("solve " + design() + " --set grid.nxx=5 -o " + out()),
      "unknown key 'nxx'; valid keys in grid: nx, ny, nz, x_nodes_mm, y_nodes_mm, z_nodes_mm");
}

TEST_F(Cli, NegativeThickness) {
  expect_refused(run("solve " +
                     design("top: {type: power, power_W: 1.0}\n",
                            "thickness_mm: -0.5\n    k_W_per_mK: 100\n") +
                     " -o " + out()),
                 "thickness_mm must be positive, got -0.5");
}

TEST_F(Cli, ZeroConductivity) {
  expect_refused(run("solve " + design() + " --set layers.0.k_W_per_mK=0 -o " + out()),
                 "conductivity must be positive, got 0");
}

TEST_F(Cli, NegativeConductivity) {
  expect_refused(run("solve " + design() + " --set layers.0.k_W_per_mK=-3 -o " + out()),
                 "conductivity must be positive, got -3");
}

TEST_F(Cli, NanPowerInMap) {
  const std::string map = write("nan.txt", "POWER MAP\n2 2\n0.1 nan\n0.1 0.1\n");
  expect_refused(run("solve " + design() + " --set top.power_map=" + map +
                     " --set top.power_W=null -o " + out()),
                 "finite");
}

TEST_F(Cli, InfinitePower) {
  expect_refused(run("solve " + design("top: {type: power, power_W: .inf}\n") + " -o " + out()),
                 "power_W: must be a finite number");
}

TEST_F(Cli, PowerMapOfWrongSize) {
  const std::string map = write("short.txt", "POWER MAP\n3 3\n0.1 0.1 0.1\n0.1 0.1 0.1\n");
  expect_refused(
      run("solve " + design("top: {type: power, power_map: " + map + "}\n") + " -o " + out()),
      "short.txt");
}

TEST_F(Cli, MissingMapFile) {
  expect_refused(
      run("solve " + design("top: {type: power, power_map: nowhere.txt}\n") + " -o " + out()),
      "power map file not found");
}

TEST_F(Cli, NoHeatPathIsRefused) {
  expect_refused(
      run("solve " +
          design("top: {type: power, power_W: 1.0}\n", "thickness_mm: 0.5\n    k_W_per_mK: 100\n",
                 "bottom: {type: adiabatic}\n") +
          " -o " + out()),
      "no heat path");
}

TEST_F(Cli, GridTooLargeIsRefusedBeforeAllocating) {
  const CliRun r =
      run("solve " + design() + " --set grid.nx=200000 --set grid.ny=200000 -o " + out());
  expect_refused(r, "grid too large for this machine");
}

// Every command that solves refuses a grid that does not fit before allocating it: layer cells
// (no grid.nz), the transient command, and the grids of a placement problem.
TEST_F(Cli, GridTooLargeIsRefusedInEveryCommand) {
  const std::string d = design();
  expect_refused(run("solve " + d + " --set grid.nz=0 --set layers.0.cells=2000000000 -o " + out()),
                 "grid too large for this machine");
  const std::string trace = write("trace.csv", "t_s,face:top\n0,1\n0.001,2\n");
  expect_refused(run("transient " + d + " --trace " + trace +
                     " --set grid.nx=200000 --set grid.ny=200000 -o " + out()),
                 "grid too large for this machine");
  const std::string problem =
      write("p.yaml",
            "design: d.yaml\npower_face: top\ntiles: [10, 10]\nblocks:\n"
            "  - {name: B1, size_tiles: [2, 2], power_W: 0.4}\n"
            "optimizer: {evaluations: 16, population: 4, eval_grid: [200000, 200000, 6]}\n"
            "verify_grid: [21, 21, 6]\n");
  expect_refused(run("optimize " + problem + " --fd-only -o " + out()),
                 "grid too large for this machine");
}

TEST_F(Cli, UnwritableOutputFolder) {
  const std::string blocker = write("file", "not a folder");
  const CliRun r = run("solve " + design() + " -o " + blocker + "/out");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("cannot be written"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(blocker + "/out"));
}

TEST_F(Cli, MissingDesignFile) {
  expect_refused(run("solve " + (dir_ / "none.yaml").string() + " -o " + out()),
                 "design file not found");
}

TEST_F(Cli, BadSolverMethodNamesValidOnes) {
  expect_refused(run("solve " + design() + " --set solver.method=lu -o " + out()),
                 "valid: cg, gmres, multigrid");
}

TEST_F(Cli, NonConvergenceIsReportedWithExitCode3) {
  const CliRun r =
      run("solve " + design() +
          " --set solver.preconditioner=jacobi --set solver.max_iterations=2 -o " + out());
  EXPECT_EQ(r.code, 3) << r.output;
  EXPECT_NE(r.output.find("did not converge"), std::string::npos) << r.output;
  const auto s = nlohmann::json::parse(std::ifstream(dir_ / "out" / "summary.json"));
  EXPECT_FALSE(s["solver"]["converged"].get<bool>());
}

}  // namespace

// A HotSpot model with a one-row trace given to `heatop solve` directly: the steady state of
// that power, the same as solving the imported design. (A trace of several rows runs the
// transient analysis: TransientCli.HotSpotInitFileSetsTheInitialField.)
TEST(CliForeign, HotSpotModelSolvedDirectlyMatchesTheImportedDesign) {
  const std::string d = std::string(HEATOP_TEST_DATA) + "/interop/hotspot/example2/";
  const fs::path tmp = fs::temp_directory_path() / ("heatop_cli_hs_" + std::to_string(getpid()));
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  const std::string one_row = (tmp / "one.ptrace").string();
  {
    std::ifstream in(d + "gcc.ptrace");
    std::ofstream out(one_row);
    std::string line;
    for (int n = 0; n < 2 && std::getline(in, line); ++n) out << line << "\n";
  }
  const std::string files =
      " --flp " + d + "ev6.flp --ptrace " + one_row + " --materials " + d + "example.materials";
  const CliRun direct =
      run("solve " + d + "example.config" + files + " -o " + (tmp / "a").string());
  ASSERT_EQ(direct.code, 0) << direct.output;
  EXPECT_EQ(direct.output.find("transient"), std::string::npos) << direct.output;
  const CliRun imp =
      run("import hotspot -c " + d + "example.config -f " + d + "ev6.flp -p " + one_row +
          " --materials " + d + "example.materials -o " + (tmp / "ev6.yaml").string());
  ASSERT_EQ(imp.code, 0) << imp.output;
  const CliRun via = run("solve " + (tmp / "ev6.yaml").string() + " -o " + (tmp / "b").string());
  ASSERT_EQ(via.code, 0) << via.output;
  const auto a = nlohmann::json::parse(std::ifstream(tmp / "a" / "summary.json"));
  const auto b = nlohmann::json::parse(std::ifstream(tmp / "b" / "summary.json"));
  EXPECT_NEAR(a["T_max_K"].get<double>(), b["T_max_K"].get<double>(), 1e-9);
  EXPECT_NEAR(a["power_in_W"].get<double>(), b["power_in_W"].get<double>(), 1e-9);
  // The row's sum (NumPy), to the 10 digits the importer writes per block.
  EXPECT_NEAR(a["power_in_W"].get<double>(), 59.1415, 1e-7);
  // The HotSpot files without a .config design, and a .config without a trace, are refused.
  const CliRun bad = run("solve " + std::string(HEATOP_EXAMPLES) + "/c1_surface.yaml" + files +
                         " -o " + (tmp / "c").string());
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.output.find("go with a HotSpot .config"), std::string::npos) << bad.output;
  const CliRun noptrace =
      run("solve " + d + "example.config --flp " + d + "ev6.flp -o " + (tmp / "d").string());
  EXPECT_NE(noptrace.code, 0);
  EXPECT_NE(noptrace.output.find("needs --ptrace"), std::string::npos) << noptrace.output;
  EXPECT_FALSE(fs::exists(tmp / "c"));
  EXPECT_FALSE(fs::exists(tmp / "d"));
  fs::remove_all(tmp);
}

// `heatop import ... -o FOLDER`: the design file plus summary.json, floorplan and report.html;
// the folder's design.yaml is the one `-o FILE.yaml` writes, and a failed import writes nothing.
TEST(CliForeign, ImportIntoAFolderWritesTheDesignSummaryAndReport) {
  const std::string d = std::string(HEATOP_TEST_DATA) + "/interop/hotspot/example2/";
  const fs::path tmp = fs::temp_directory_path() / ("heatop_cli_imp_" + std::to_string(getpid()));
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  const std::string files = "import hotspot -c " + d + "example.config -f " + d + "ev6.flp -p " +
                            d + "gcc.ptrace --materials " + d + "example.materials -o ";
  const CliRun folder = run(files + (tmp / "ev6").string());
  ASSERT_EQ(folder.code, 0) << folder.output;
  const CliRun file = run(files + (tmp / "ev6.yaml").string());
  ASSERT_EQ(file.code, 0) << file.output;
  for (const char* f : {"design.yaml", "summary.json", "report.html", "floorplan_chip.png"})
    EXPECT_TRUE(fs::is_regular_file(tmp / "ev6" / f)) << f;
  auto text = [](const fs::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  EXPECT_EQ(text(tmp / "ev6" / "design.yaml"), text(tmp / "ev6.yaml"));
  const auto s = nlohmann::json::parse(std::ifstream(tmp / "ev6" / "summary.json"));
  EXPECT_EQ(s["source"], "import");
  EXPECT_EQ(s["tool"], "HotSpot");
  ASSERT_EQ(s["imported"]["layers"].size(), 4u);
  EXPECT_EQ(s["imported"]["layers"][0]["name"], "chip");
  // The chip carries the mean of the trace's rows (40.207316 W, summed with NumPy).
  EXPECT_NEAR(s["imported"]["power_W"].get<double>(), 40.207316, 1e-6);
  EXPECT_NEAR(s["imported"]["layers"][0]["thickness_mm"].get<double>(), 0.15, 1e-12);
  ASSERT_FALSE(s["warnings"].empty());
  EXPECT_NE(s["warnings"][0].get<std::string>().find("-model_type block"), std::string::npos);
  const std::string page = text(tmp / "ev6" / "report.html");
  EXPECT_NE(page.find("data-kind=\"import\""), std::string::npos);
  EXPECT_NE(page.find("-model_type block"), std::string::npos);
  // `heatop report` regenerates the import's page.
  const CliRun again = run("report " + (tmp / "ev6").string());
  ASSERT_EQ(again.code, 0) << again.output;
  EXPECT_EQ(text(tmp / "ev6" / "report.html"), page);
  // A failing import (a missing materials file) leaves no folder behind.
  const CliRun bad = run("import hotspot -c " + d + "example.config -f " + d + "ev6.flp -p " + d +
                         "gcc.ptrace -o " + (tmp / "bad").string());
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.output.find("needs a materials file"), std::string::npos) << bad.output;
  EXPECT_FALSE(fs::exists(tmp / "bad"));
  // An output that is an existing file but not a .yaml name is refused.
  std::ofstream(tmp / "plain") << "x";
  const CliRun clash = run(files + (tmp / "plain").string());
  EXPECT_NE(clash.code, 0);
  EXPECT_NE(clash.output.find("exists and is not a folder"), std::string::npos) << clash.output;
  fs::remove_all(tmp);
}
