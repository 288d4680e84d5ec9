// Transient analysis: the 1D step response against its series solution, observed temporal
// orders of BE and BDF2 on a manufactured solution, energy balance per step, the steady state
// reached by a long run, and the command line (good run, bad inputs).

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "api/solve.hpp"
#include "cli_run.hpp"
#include "fv/system.hpp"
#include "io/design_file.hpp"
#include "io/npy.hpp"
#include "transient/simulation.hpp"
#include "transient/stepper.hpp"
#include "transient/trace.hpp"

namespace fs = std::filesystem;
using namespace heatop;

namespace {

io::LoadedDesign slab_design(int cells) {
  return io::parse_design(
      "name: slab\n"
      "die: {size_mm: [10, 10]}\n"
      "layers:\n"
      "  - {name: si, thickness_mm: 0.5, k_W_per_mK: 130, c_J_per_m3K: 1.628e6, cells: " +
          std::to_string(cells) +
          "}\n"
          "bottom: {type: power, power_W: 50}\n"
          "top: {type: convective, h_W_per_m2K: 1.0e5, T_amb_K: 300}\n"
          "grid: {nx: 2, ny: 2}\n",
      "slab", ".");
}

// A small 3D stack with two blocks, for orders, balance and the steady limit.
io::LoadedDesign stack_design() {
  return io::parse_design(
      "name: stack\n"
      "die: {size_mm: [1, 1]}\n"
      "layers:\n"
      "  - {name: sink, thickness_mm: 0.3, k_W_per_mK: 390, c_J_per_m3K: 3.45e6}\n"
      "  - name: die\n"
      "    thickness_mm: 0.2\n"
      "    k_W_per_mK: 120\n"
      "    c_J_per_m3K: 1.63e6\n"
      "    power_blocks:\n"
      "      - {name: A, x_mm: 0.1, y_mm: 0.1, w_mm: 0.3, h_mm: 0.4, power_W: 0.6}\n"
      "      - {name: B, x_mm: 0.6, y_mm: 0.5, w_mm: 0.3, h_mm: 0.3, power_W: 0.3}\n"
      "bottom: {type: convective, h_W_per_m2K: 2.0e4, T_amb_K: 300}\n"
      "top: {type: convective, h_W_per_m2K: 1.0e3, T_amb_K: 300}\n"
      "grid: {nx: 9, ny: 9, nz: 9}\n"
      "solver: {tol: 1.0e-12}\n",
      "stack", ".");
}

std::vector<std::array<double, 2>> exact_slab() {
  std::ifstream in(std::string(HEATOP_TEST_DATA) + "/transient/exact_1d_step_response.txt");
  std::vector<std::array<double, 2>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '%') continue;
    std::istringstream ss(line);
    double t, t0, t1, tl;
    ss >> t >> t0 >> t1 >> tl;
    rows.push_back({t, t0});
  }
  return rows;
}

}  // namespace

// 50 W/cm^2 switched on under a 500 um silicon slab: heatop's face temperature against the
// series solution at every 0.1 ms up to 50 ms (3D-ICE: 0.037 K with 500 steps of 0.1 ms,
// 0.004 K with 5,000 steps of 0.01 ms).
TEST(Transient, SlabStepResponseMatchesSeriesSolution) {
  const auto exact = exact_slab();
  ASSERT_EQ(exact.size(), 500u);
  for (auto method : {transient::Method::bdf2, transient::Method::be}) {
    const io::LoadedDesign ld = slab_design(200);
    const model::Grid grid = model::build_grid(ld.design);
    fv::System sys = fv::discretize(ld.design, grid);
    transient::StepperOptions opt;
    opt.method = method;
    opt.tol = method == transient::Method::bdf2 ? 2e-4 : 2e-5;
    transient::Stepper st(sys, fv::capacity_per_area(ld.design, grid), ld.solver, opt);
    st.set_state(0.0, std::vector<double>(grid.size(), 300.0));
    double max_err = 0;
    for (const auto& [t, t_exact] : exact) {
      st.advance_to(t, nullptr);
      max_err = std::max(max_err, std::abs(st.temperature()[grid.index(0, 0, 0)] - t_exact));
    }
    const auto& s = st.stats();
    std::printf(
        "slab %s tol %.0e K: max |T(z=0) - exact| = %.5f K over 500 times, %ld steps "
        "(%ld rejected), %ld CG iterations, max step balance %.1e\n",
        method == transient::Method::bdf2 ? "bdf2" : "be", opt.tol, max_err, s.accepted, s.rejected,
        s.iterations, s.max_balance_rel);
    if (method == transient::Method::bdf2) {
      EXPECT_LE(max_err, 0.004);
      EXPECT_LT(s.accepted + s.rejected, 5000);
    }
    EXPECT_LE(s.max_balance_rel, 1e-8);
  }
}

// Manufactured solution T(t) = 300 + sin(2 pi t / P) g(x, y, z) on the discrete system: the
// source is C T' + A T - b_boundary. Errors at t = P with fixed steps P/N.
TEST(Transient, ObservedOrdersOnManufacturedSolution) {
  const double period = 0.02;
  for (auto method : {transient::Method::be, transient::Method::bdf2}) {
    std::vector<double> errs;
    for (int n : {20, 40, 80}) {
      const io::LoadedDesign ld = stack_design();
      const model::Grid grid = model::build_grid(ld.design);
      fv::System sys = fv::discretize(ld.design, grid);
      const std::vector<double> boundary = fv::boundary_terms(sys);
      std::vector<double> g(grid.size());
      for (int i = 0; i < grid.nx(); ++i)
        for (int j = 0; j < grid.ny(); ++j)
          for (int k = 0; k < grid.nz(); ++k)
            g[grid.index(i, j, k)] =
                2.0 + std::cos(3.0 * grid.x[i] / 1e-3) * std::sin(2.0 * grid.y[j] / 1e-3) +
                grid.z[k] / 5e-4;
      const double w = 2 * M_PI / period;
      auto exact = [&](double t) {
        std::vector<double> v(g.size());
        for (std::size_t p = 0; p < g.size(); ++p) v[p] = 300.0 + std::sin(w * t) * g[p];
        return v;
      };
      transient::StepperOptions opt;
      opt.method = method;
      opt.tol = 0;
      opt.dt = period / n;
      transient::Stepper st(sys, fv::capacity_per_area(ld.design, grid), ld.solver, opt);
      const auto& cap = st.capacity();
      fv::LayeredOperator& op = *sys.op;
      auto source = [&](double t, std::vector<double>& p) {
        const auto te = exact(t);
        std::vector<double> at(te.size());
        op.apply(te.data(), at.data());
        const double a = op.capacity_shift();
        p.resize(te.size());
        for (std::size_t q = 0; q < te.size(); ++q)
          p[q] = cap[q] * w * std::cos(w * t) * g[q] + (at[q] - a * cap[q] * te[q]) - boundary[q];
      };
      st.set_state(0.0, exact(0.0));
      std::vector<double> p0;
      source(0.0, p0);
      st.set_power(p0);
      st.set_source(source);
      st.advance_to(period, nullptr);
      const auto te = exact(period);
      double e = 0;
      for (std::size_t q = 0; q < te.size(); ++q)
        e = std::max(e, std::abs(st.temperature()[q] - te[q]));
      errs.push_back(e);
    }
    const double o1 = std::log2(errs[0] / errs[1]), o2 = std::log2(errs[1] / errs[2]);
    std::printf(
        "%s: max error at t = P with P/20, P/40, P/80: %.3e %.3e %.3e K, observed "
        "orders %.3f %.3f\n",
        method == transient::Method::bdf2 ? "bdf2" : "be", errs[0], errs[1], errs[2], o1, o2);
    if (method == transient::Method::bdf2) {
      EXPECT_GE(o2, 1.9);
    } else {
      EXPECT_NEAR(o2, 1.0, 0.15);
    }
  }
}

// From a uniform start, a long adaptive run ends at the steady solution of `heatop solve`;
// every step conserves energy.
TEST(Transient, LongRunReachesSteadyState) {
  const io::LoadedDesign ld = stack_design();
  const api::SolveResult steady = api::solve_design(ld);
  const model::Grid grid = model::build_grid(ld.design);
  fv::System sys = fv::discretize(ld.design, grid);
  transient::StepperOptions opt;
  opt.tol = 1e-3;
  transient::Stepper st(sys, fv::capacity_per_area(ld.design, grid), ld.solver, opt);
  st.set_state(0.0, std::vector<double>(grid.size(), 300.0));
  st.advance_to(20.0, nullptr);
  double d = 0;
  for (std::size_t p = 0; p < grid.size(); ++p)
    d = std::max(d, std::abs(st.temperature()[p] - steady.field.values[p]));
  const auto& s = st.stats();
  std::printf(
      "long run to 20 s: max |T - T_steady| = %.2e K, %ld steps (%ld rejected), dt "
      "%.2e .. %.2e s, max step balance %.1e\n",
      d, s.accepted, s.rejected, s.dt_min_used, s.dt_max_used, s.max_balance_rel);
  EXPECT_LE(d, 1e-6);
  EXPECT_LE(s.max_balance_rel, 1e-8);
  EXPECT_LT(s.accepted, 2000);
}

// A stop asked for at every step ends the run at the first one; a stop on the step that lands
// on a breakpoint comes after that breakpoint's snapshot and the step's samples, so a run
// interrupted there still has every output up to the time it reached.
TEST(Transient, StopComesAfterTheOutputsOfTheInstantReached) {
  const io::LoadedDesign ld = stack_design();
  const model::Grid grid = model::build_grid(ld.design);
  fv::System sys = fv::discretize(ld.design, grid);
  transient::StepperOptions opt;
  opt.tol = 0;
  opt.dt = 1e-3;
  for (const int stop_after : {1, 2, 3, 4, 5}) {
    transient::Stepper st(sys, fv::capacity_per_area(ld.design, grid), ld.solver, opt);
    st.set_state(0.0, std::vector<double>(grid.size(), 300.0));
    transient::Schedule sc;
    sc.t0 = 0;
    sc.t_end = 0.01;
    sc.breakpoints = {2e-3, 4e-3};
    sc.samples = {1e-3, 2e-3, 2.5e-3, 3e-3, 4e-3};
    std::vector<double> steps, samples, breaks;
    transient::SimulationCallbacks cb;
    cb.on_step = [&](const transient::StepInfo& s) { steps.push_back(s.t); };
    cb.on_sample = [&](double t, const std::vector<double>&) { samples.push_back(t); };
    cb.on_breakpoint = [&](double t) { breaks.push_back(t); };
    cb.stop = [&] { return static_cast<int>(steps.size()) >= stop_after; };
    EXPECT_FALSE(transient::simulate(st, sc, cb)) << stop_after;
    ASSERT_EQ(static_cast<int>(steps.size()), stop_after);
    const double reached = steps.back();
    EXPECT_NEAR(st.time(), reached, 1e-15);
    // Every breakpoint and sample up to the time reached, none after it.
    std::size_t nb = 0, ns = 0;
    for (double b : sc.breakpoints) nb += b <= reached + 1e-12;
    for (double t : sc.samples) ns += t <= reached + 1e-12;
    EXPECT_EQ(breaks.size(), nb) << "stopped at t = " << reached;
    EXPECT_EQ(samples.size(), ns) << "stopped at t = " << reached;
  }
  // Without a stop the run reaches t_end and says so.
  transient::Stepper st(sys, fv::capacity_per_area(ld.design, grid), ld.solver, opt);
  st.set_state(0.0, std::vector<double>(grid.size(), 300.0));
  transient::Schedule sc;
  sc.t_end = 0.005;
  sc.breakpoints = {2e-3};
  EXPECT_TRUE(transient::simulate(st, sc, {}));
  EXPECT_NEAR(st.time(), 0.005, 1e-15);
  // A stop asked on the last step still reaches t_end: the run is complete.
  transient::SimulationCallbacks always;
  always.stop = [] { return true; };
  sc.t0 = 0.005;
  sc.t_end = 0.006;
  sc.breakpoints = {0.006};
  EXPECT_TRUE(transient::simulate(st, sc, always));
  EXPECT_NEAR(st.time(), 0.006, 1e-15);
}

TEST(Transient, HeatCapacityIsValidated) {
  for (const char* bad : {"0", "-1.0e6", ".nan"}) {
    try {
      io::parse_design(std::string("die: {size_mm: [1, 1]}\nlayers:\n  - {name: die, "
                                   "thickness_mm: 0.5, k_W_per_mK: 100, c_J_per_m3K: ") +
                           bad + "}\ntop: {type: convective, h_W_per_m2K: 10}\n",
                       "d", ".");
      ADD_FAILURE() << "c_J_per_m3K " << bad << " accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("c_J_per_m3K"), std::string::npos) << e.what();
      if (std::string(bad) != ".nan") {  // NaN fails as "not a finite number" at the key
        EXPECT_NE(std::string(e.what()).find("'die'"), std::string::npos) << e.what();
      }
    }
  }
  // Missing heat capacity: steady is fine, transient names the layer.
  const auto ld = io::parse_design(
      "die: {size_mm: [1, 1]}\nlayers:\n  - {name: die, thickness_mm: 0.5, k_W_per_mK: 100}\n"
      "top: {type: convective, h_W_per_m2K: 10}\n",
      "d", ".");
  try {
    fv::capacity_per_area(ld.design, model::build_grid(ld.design));
    ADD_FAILURE() << "no heat capacity accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'die'"), std::string::npos) << e.what();
  }
}

// ---- the command line ----

namespace {

using heatop_test::CliRun;
using heatop_test::run;

class TransientCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("heatop_tr_" + std::to_string(getpid()) + "_" +
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
  std::string design(const std::string& c = "c_J_per_m3K: 1.63e6") {
    return write("d.yaml",
                 "name: t\ndie: {size_mm: [1, 1]}\nlayers:\n"
                 "  - {name: sink, thickness_mm: 0.3, k_W_per_mK: 390, c_J_per_m3K: 3.45e6}\n"
                 "  - name: die\n    thickness_mm: 0.2\n    k_W_per_mK: 120\n    " +
                     c +
                     "\n    power_blocks:\n"
                     "      - {name: A, x_mm: 0.1, y_mm: 0.1, w_mm: 0.3, h_mm: 0.4, power_W: 1}\n"
                     "      - {name: B, x_mm: 0.6, y_mm: 0.5, w_mm: 0.3, h_mm: 0.3, power_W: 1}\n"
                     "bottom: {type: convective, h_W_per_m2K: 2.0e4, T_amb_K: 300}\n"
                     "grid: {nx: 7, ny: 7, nz: 6}\n");
  }
  void expect_fail(const std::string& args, const std::string& needle) {
    const std::string out = (dir_ / "out").string();
    const CliRun r = run("transient " + args + " -o " + out);
    EXPECT_NE(r.code, 0) << r.output;
    EXPECT_NE(r.output.find(needle), std::string::npos) << "expected '" << needle << "' in\n"
                                                        << r.output;
    EXPECT_FALSE(fs::exists(out)) << args;
  }
  fs::path dir_;
};

}  // namespace

TEST_F(TransientCli, GoodRunWritesStreamedOutputs) {
  const std::string d = design();
  const std::string tr = write("tr.csv", "t_s,A,B\n0,1.0,0.2\n0.01,0.1,0.8\n0.02,0.5,0.5\n");
  const std::string pr = write("p.csv", "x_mm,y_mm,z_mm\n0.25,0.3,0.5\n0.75,0.65,0.5\n");
  const std::string out = (dir_ / "out").string();
  const CliRun r = run("transient " + d + " --trace " + tr + " --until 0.03 --save-every 0.01 " +
                       "--probe " + pr + " --export hotspot --export 3d-ice -o " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* f : {"probes.csv", "trace.csv", "T.pvd", "T_0.01.npy", "T_0.03.vti",
                        "temperature_vs_time.png", "summary.json", "T.npy", "manifest.json",
                        "t.ttrace", "Tflp_die_maximum.txt", "Tflp_die_average.txt"})
    EXPECT_TRUE(fs::exists(fs::path(out) / f)) << f;
  {  // HotSpot layout: a header of block names, then one row per power sample (3)
    std::ifstream tin(fs::path(out) / "t.ttrace");
    std::string line;
    std::getline(tin, line);
    EXPECT_EQ(line, "A\tB");
    int rows = 0;
    while (std::getline(tin, line)) rows += !line.empty();
    EXPECT_EQ(rows, 3);
  }
  std::ifstream pin(fs::path(out) / "probes.csv");
  std::string header;
  std::getline(pin, header);
  EXPECT_EQ(header, "t_s,p1_T_K,p2_T_K");
  std::ifstream sin(fs::path(out) / "summary.json");
  const auto s = nlohmann::json::parse(sin);
  EXPECT_GT(s["steps"]["accepted"].get<int>(), 3);
  EXPECT_LE(s["energy"]["max_step_balance_rel"].get<double>(), 1e-8);
  EXPECT_NEAR(s["t_end_s"].get<double>(), 0.03, 1e-12);
  EXPECT_GT(s["T_max_over_run_K"].get<double>(), 300.0);
}

// A trace of power-map files (column map:LAYER): each sample's map replaces the layer's map.
// Energy in = each map's total times how long it holds (maps of 1 W and 3 W, plus blocks A and
// B at 0.5 W each throughout).
TEST_F(TransientCli, MapColumnsDriveTheLayerPowerMap) {
  const std::string d = design();
  write("m1.txt", "POWER MAP\n2 2\n0.25 0.25\n0.25 0.25\n");
  write("m2.txt", "POWER MAP\n2 2\n0 1.5\n1.5 0\n");
  const std::string tr =
      write("maps.csv", "t_s,map:die,A,B\n0,m1.txt,0.5,0.5\n0.01,m2.txt,0.5,0.5\n");
  const std::string out = (dir_ / "maps").string();
  const CliRun r =
      run("transient " + d + " --trace " + tr + " --until 0.03 --no-progress -o " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  const auto s = nlohmann::json::parse(std::ifstream(fs::path(out) / "summary.json"));
  EXPECT_NEAR(s["energy"]["in_J"].get<double>(), (1 + 1) * 0.01 + (3 + 1) * 0.02, 1e-9);
  EXPECT_LE(s["energy"]["max_step_balance_rel"].get<double>(), 1e-8);
  // The files must exist and hold valid maps; steady-mean has no meaning for them.
  expect_fail(d + " --trace " + write("bad.csv", "t_s,map:die,A,B\n0,nothere.txt,1,1\n"),
              "bad.csv: sample 1 (t_s = 0), column 'map:die': power map file not found");
  write("nan.txt", "POWER MAP\n1 2\n0.5 nan\n");
  expect_fail(d + " --trace " + write("nan.csv", "t_s,map:die,A,B\n0,nan.txt,1,1\n"),
              "nan.csv: sample 1 (t_s = 0), column 'map:die': ");
  expect_fail(d + " --trace " + write("top.csv", "t_s,map:top,A,B\n0,m1.txt,1,1\n"),
              "column 'map:top': the design has no power face 'top'");
  expect_fail(d + " --trace " + tr + " --initial steady-mean",
              "column 'map:die' lists power-map files; the time-averaged power (steady-mean) is "
              "not defined");
}

TEST_F(TransientCli, BadInputsFailCleanly) {
  const std::string d = design();
  auto trace = [&](const std::string& text) { return write("tr.csv", text); };
  expect_fail(d + " --trace " + trace("t_s,A,B\n0,1,1\n0.01,1,1\n0.01,2,2\n"), "does not increase");
  expect_fail(d + " --trace " + trace("t_s,A,B,C\n0,1,1,1\n"), "column 'C' names no power block");
  expect_fail(d + " --trace " + trace("t_s,A\n0,1\n0.01,2\n"), "no column for power block 'B'");
  expect_fail(d + " --trace " + trace("t_s,A,B\n0,1,nan\n0.01,1,1\n"), "not a finite power");
  expect_fail(d + " --trace " + trace("t_s,A,B\n0,1,-1\n0.01,1,1\n"), "not a finite power");
  const std::string good = trace("t_s,A,B\n0.5,1,1\n1.0,1,2\n");
  expect_fail(d + " --trace " + good + " --until 0.2", "is not after the first sample");
  expect_fail(d + " --trace " + good + " --initial " + (dir_ / "none.npy").string(),
              "cannot read the initial field");
  // A field of the wrong shape (from another grid).
  {
    const std::string other = (dir_ / "other").string();
    const CliRun r = run("solve " + d + " --set grid.nx=5 -o " + other);
    ASSERT_EQ(r.code, 0) << r.output;
    expect_fail(d + " --trace " + good + " --initial " + other + "/T.npy", "the field has shape");
  }
  expect_fail(design("c_J_per_m3K: 0") + " --trace " + good, "c_J_per_m3K");
  expect_fail(design("c_J_per_m3K: -5") + " --trace " + good, "c_J_per_m3K");
  expect_fail(design("cells: 2") + " --trace " + good, "give c_J_per_m3K");
  expect_fail(d, "needs a power trace");
  expect_fail(d + " --trace " + good + " --set solver.backend=petsc",
              "transient analysis runs on heatop's native solver only");
  expect_fail(d + " --trace " + good + " --export ansys", "unknown format 'ansys'");
  {
    const std::string pt = write("p.ptrace", "A\tB\n1\t1\n2\t2\n");
    expect_fail(d + " --trace " + pt, "needs its sampling interval");
  }
}

// Dense output: rows every --output-every, values inside steps from the method's interpolant;
// a run with steps forced onto the same instants gives the same rows.
TEST_F(TransientCli, OutputEveryInterpolatesInsideSteps) {
  const std::string d = design();
  const std::string tr = write("tr.csv", "t_s,A,B\n0,1.0,0.2\n0.01,0.1,0.8\n");
  const std::string pr = write("p.csv", "x_mm,y_mm,z_mm\n0.25,0.3,0.5\n");
  const std::string a = (dir_ / "a").string(), b = (dir_ / "b").string();
  ASSERT_EQ(run("transient " + d + " --trace " + tr + " --until 0.02 --probe " + pr +
                " --output-every 0.001 --tol 0.01 -o " + a)
                .code,
            0);
  ASSERT_EQ(run("transient " + d + " --trace " + tr + " --until 0.02 --probe " + pr +
                " --output-every 0.001 --tol 0.01 --save-every 0.001 -o " + b)
                .code,
            0);
  auto rows = [](const std::string& f) {
    std::ifstream in(f);
    std::string line;
    std::getline(in, line);
    std::vector<std::array<double, 2>> v;
    while (std::getline(in, line)) {
      double t, x;
      if (std::sscanf(line.c_str(), "%lf,%lf", &t, &x) == 2) v.push_back({t, x});
    }
    return v;
  };
  const auto ra = rows(a + "/probes.csv"), rb = rows(b + "/probes.csv");
  ASSERT_EQ(ra.size(), 21u);
  ASSERT_EQ(rb.size(), 21u);
  double dmax = 0;
  for (std::size_t i = 0; i < ra.size(); ++i) {
    EXPECT_NEAR(ra[i][0], 0.001 * i, 1e-12);
    dmax = std::max(dmax, std::abs(ra[i][1] - rb[i][1]));
  }
  std::ifstream sa(a + "/summary.json"), sb(b + "/summary.json");
  const auto ja = nlohmann::json::parse(sa), jb = nlohmann::json::parse(sb);
  std::printf(
      "dense output (%d steps) vs steps landing on every output instant (%d steps): "
      "max |d| %.2e K\n",
      ja["steps"]["accepted"].get<int>(), jb["steps"]["accepted"].get<int>(), dmax);
  EXPECT_LT(ja["steps"]["accepted"].get<int>(), jb["steps"]["accepted"].get<int>());
  EXPECT_LE(dmax, 0.02);
}

// ---- 3D-ICE stacks end to end ----

namespace {

// Rows "time value..." of a 3D-ICE output file ('%' lines are comments).
std::vector<std::vector<double>> read_ice_rows(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::vector<double>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '%') continue;
    std::istringstream ss(line);
    std::vector<double> r;
    double v;
    while (ss >> v) r.push_back(v);
    if (!r.empty()) rows.push_back(r);
  }
  return rows;
}

const std::string kIce = std::string(HEATOP_TEST_DATA) + "/interop/3d-ice";

}  // namespace

// 3D-ICE's transient regression stack (test/solid/transient/topsink.stk: two dies, 12 power
// slots of 20 ms, backward Euler with a 2 ms step) run as written: the floorplans lie one folder
// above the .stk (3D-ICE runs from there), the output section's T(...) requests become
// node1_top.txt and node2_top.txt in 3D-ICE's layout. With 3D-ICE's own time discretization
// (--method be --dt 0.002) heatop reproduces its 120 rows of both probes within 0.05 K.
TEST_F(TransientCli, Ice3dTestSolidMatchesItsReferenceOutput) {
  const std::string out = (dir_ / "solid").string();
  const CliRun r = run("transient " + kIce + "/test_solid/transient/topsink.stk --method be " +
                       "--dt 0.002 --threads 1 --no-progress -o " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  const auto ref = read_ice_rows(kIce + "/test_solid/transient/output_top.txt");
  ASSERT_EQ(ref.size(), 120u);
  for (int c = 1; c <= 2; ++c) {
    const auto ours = read_ice_rows(out + "/node" + std::to_string(c) + "_top.txt");
    ASSERT_EQ(ours.size(), ref.size());
    double max_d = 0, t_at = 0, mean = 0;
    for (std::size_t i = 0; i < ref.size(); ++i) {
      ASSERT_NEAR(ours[i][0], ref[i][0], 1e-9);
      const double d = ours[i][1] - ref[i][c];
      mean += d / ref.size();
      if (std::abs(d) > max_d) {
        max_d = std::abs(d);
        t_at = ref[i][0];
      }
    }
    std::printf(
        "3D-ICE test_solid transient, probe %d (die%d): heatop BE 2 ms - 3D-ICE: max |d| "
        "%.4f K at t = %.3f s, mean %+.4f K over 120 steps\n",
        c, c, max_d, t_at, mean);
    EXPECT_LE(max_d, 0.05);
  }
  std::ifstream sin(fs::path(out) / "summary.json");
  const auto s = nlohmann::json::parse(sin);
  EXPECT_EQ(s["steps"]["accepted"].get<int>(), 120);
  EXPECT_LE(s["energy"]["max_step_balance_rel"].get<double>(), 1e-8);
}

// The same stack with heatop's default adaptive BDF2 over the first two slots: the output
// instants (3D-ICE's 2 ms `step`) come from dense output, and the difference to 3D-ICE is
// 3D-ICE's own backward-Euler error at that step (the die time constant is about 2 ms).
TEST_F(TransientCli, Ice3dTestSolidAdaptiveShowsTheFixedStepError) {
  const std::string out = (dir_ / "solid").string();
  const CliRun r = run("transient " + kIce + "/test_solid/transient/topsink.stk --until 0.04 " +
                       "--threads 1 --no-progress -o " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  const auto ref = read_ice_rows(kIce + "/test_solid/transient/output_top.txt");
  std::ifstream sin(fs::path(out) / "summary.json");
  const auto s = nlohmann::json::parse(sin);
  for (int c = 1; c <= 2; ++c) {
    const auto ours = read_ice_rows(out + "/node" + std::to_string(c) + "_top.txt");
    ASSERT_EQ(ours.size(), 20u);
    double max_d = 0;
    for (std::size_t i = 0; i < ours.size(); ++i) {
      ASSERT_NEAR(ours[i][0], ref[i][0], 1e-9);
      max_d = std::max(max_d, std::abs(ours[i][1] - ref[i][c]));
    }
    std::printf(
        "3D-ICE test_solid, probe %d, first 2 slots: heatop BDF2 tol 0.01 K (%d steps) "
        "- 3D-ICE BE 2 ms (20 steps): max |d| %.3f K\n",
        c, s["steps"]["accepted"].get<int>(), max_d);
  }
  EXPECT_LE(s["energy"]["max_step_balance_rel"].get<double>(), 1e-8);
}

// 3D-ICE's example_transient_nonuniform.stk (5 slots of 200 ms, Tflpel average of
// TOP_DIE.Hotspot1 per slot). 3D-ICE solves it on its non-uniform grid (per-die and per-element
// discretization, e.g. 4 x 5 cells for TOP_DIE), which heatop replaces by one uniform grid. The
// stack reaches steady state within each slot (slot 5 repeats slot 1's power and both tools
// repeat their slot-1 value), so the difference is lateral discretization: heatop converges to
// 327.65 K in slot 1 (11 -> 161 nodes per side: 327.08, 327.48, 327.60, 327.64, 327.65 K) and
// 3D-ICE's coarse non-uniform grid gives 327.95 K.
TEST_F(TransientCli, Ice3dNonUniformExampleAgainstItsOutput) {
  const std::string out = (dir_ / "nu").string();
  const std::string dir = kIce + "/example_transient_nonuniform";
  const CliRun r = run("transient " + dir + "/example_transient_nonuniform.stk --set grid.nx=41 " +
                       "--set grid.ny=41 --threads 1 --no-progress -o " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("discretization 4 x 5 is ignored"), std::string::npos) << r.output;
  const auto ref = read_ice_rows(dir + "/output_hotspot1.txt");
  const auto ours = read_ice_rows(out + "/output_hotspot1.txt");
  ASSERT_EQ(ref.size(), 5u);
  ASSERT_EQ(ours.size(), 5u);
  double max_d = 0;
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_NEAR(ours[i][0], ref[i][0], 1e-9);
    const double d = ours[i][1] - ref[i][1];
    std::printf("nonuniform example, slot %zu: heatop %.3f K, 3D-ICE %.3f K (%+.3f K)\n", i + 1,
                ours[i][1], ref[i][1], d);
    max_d = std::max(max_d, std::abs(d));
  }
  EXPECT_LE(max_d, 0.5);
  EXPECT_NEAR(ours[4][1], ours[0][1], 1e-3);  // steady within each slot
}

// ---- HotSpot ----

namespace {

std::vector<std::string> split_ws(const std::string& line) {
  std::istringstream ss(line);
  std::vector<std::string> v;
  std::string w;
  while (ss >> w) v.push_back(w);
  return v;
}

// A .ttrace: names and rows.
std::pair<std::vector<std::string>, std::vector<std::vector<double>>> read_ttrace(
    const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  const auto names = split_ws(line);
  std::vector<std::vector<double>> rows;
  while (std::getline(in, line)) {
    const auto cells = split_ws(line);
    if (cells.empty()) continue;
    std::vector<double> r;
    for (const auto& c : cells) r.push_back(std::stod(c));
    rows.push_back(r);
  }
  return {names, rows};
}

std::map<std::string, double> read_steady(const std::string& path) {
  std::ifstream in(path);
  std::map<std::string, double> m;
  std::string name;
  double t;
  while (in >> name >> t) m[name] = t;
  return m;
}

const std::string kHs = std::string(HEATOP_TEST_DATA) + "/interop/hotspot/example2";

}  // namespace

// HotSpot example 2 (EV6, gcc trace: 100 rows of 10 ms): imported (16 x 16 cells over the die
// for speed; HotSpot used 64 x 64), then run with the .ptrace from the steady state of the
// trace's mean power, as HotSpot's transient run starts from its steady file. The import
// carries the heat capacities (materials silicon and aluminum, -p_interface, -c_convec added
// to the sink) and the config's -sampling_intvl; every step conserves energy. Block by block
// against HotSpot's own transient output (out_gcc.ttrace): heatop's chip sits about 2 K above
// HotSpot's in steady state already (package periphery, docs/interop.md); the fluctuations about
// each tool's steady state agree within about 0.9 K (HotSpot scales every capacitance by its
// lumping factor 0.333, heatop uses the physical ones; docs/transient.md).
TEST_F(TransientCli, HotSpotExample2AgainstHotSpotTransient) {
  const std::string design = (dir_ / "ev6.yaml").string();
  CliRun r = run("import hotspot -c " + kHs + "/example.config -f " + kHs + "/ev6.flp -p " + kHs +
                 "/gcc.ptrace --materials " + kHs +
                 "/example.materials -grid_rows 16 -grid_cols 16 -o " + design);
  ASSERT_EQ(r.code, 0) << r.output;
  {
    const auto ld = io::load_design(design);
    auto c_of = [&](const std::string& n) {
      for (const auto& l : ld.design.layers)
        if (l.name == n) return l.heat_capacity;
      return -1.0;
    };
    EXPECT_NEAR(c_of("chip"), 1630300, 1);                                    // material silicon
    EXPECT_NEAR(c_of("interface"), 4.0e6, 1);                                 // -p_interface
    EXPECT_NEAR(c_of("spreader"), 2.422e6, 1);                                // material aluminum
    EXPECT_NEAR(c_of("sink"), 2.422e6 + 140.4 / (0.06 * 0.06 * 0.0069), 10);  // + -c_convec
    EXPECT_NEAR(ld.transient.ptrace_interval_s, 0.01, 1e-15);
    EXPECT_NEAR(ld.transient.initial_K, 318.15, 1e-9);
  }
  const std::string steady = (dir_ / "steady").string(), out = (dir_ / "tr").string();
  r = run("solve " + design + " --export hotspot --threads 1 -o " + steady);
  ASSERT_EQ(r.code, 0) << r.output;
  r = run("transient " + design + " --trace " + kHs + "/gcc.ptrace --initial steady-mean " +
          "--export hotspot --tol 0.2 --threads 1 --no-progress -o " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  std::ifstream sin(fs::path(out) / "summary.json");
  const auto s = nlohmann::json::parse(sin);
  EXPECT_NEAR(s["t_end_s"].get<double>(), 1.0, 1e-12);
  const auto& e = s["energy"];
  EXPECT_LE(e["max_step_balance_rel"].get<double>(), 1e-8);
  EXPECT_LE(e["run_balance_rel"].get<double>(), 1e-8);
  EXPECT_NEAR(e["stored_change_J"].get<double>(), e["stored_change_C_dT_J"].get<double>(),
              1e-6 * e["in_J"].get<double>());
  const auto [names, ours] = read_ttrace(out + "/ev6.ttrace");
  const auto [hs_names, ref] = read_ttrace(kHs + "/out_gcc.ttrace");
  const auto ours_steady = read_steady(steady + "/ev6.steady");
  const auto ref_steady = read_steady(kHs + "/out_gcc.steady");
  ASSERT_EQ(ours.size(), 100u);
  ASSERT_EQ(ref.size(), 100u);
  ASSERT_EQ(names.size(), hs_names.size());
  double raw_max = 0, raw_mean = 0, dyn_max = 0, dyn_sq = 0;
  std::string dyn_block;
  std::size_t count = 0;
  for (std::size_t b = 0; b < names.size(); ++b) {
    const auto it = std::find(hs_names.begin(), hs_names.end(), names[b]);
    ASSERT_NE(it, hs_names.end()) << names[b];
    const std::size_t hb = static_cast<std::size_t>(it - hs_names.begin());
    for (std::size_t row = 0; row < ours.size(); ++row) {
      const double raw = ours[row][b] - ref[row][hb];
      const double dyn =
          (ours[row][b] - ours_steady.at(names[b])) - (ref[row][hb] - ref_steady.at(names[b]));
      raw_max = std::max(raw_max, std::abs(raw));
      raw_mean += raw;
      dyn_sq += dyn * dyn;
      ++count;
      if (std::abs(dyn) > dyn_max) {
        dyn_max = std::abs(dyn);
        dyn_block = names[b];
      }
    }
  }
  std::printf(
      "HotSpot example 2 transient, %zu blocks x 100 rows (%d steps): heatop - HotSpot "
      "mean %+.2f K, max |d| %.2f K; about each tool's steady state: max |d| %.2f K "
      "(%s), rms %.2f K\n",
      names.size(), s["steps"]["accepted"].get<int>(), raw_mean / count, raw_max, dyn_max,
      dyn_block.c_str(), std::sqrt(dyn_sq / count));
  EXPECT_LE(raw_max, 5.0);
  EXPECT_LE(dyn_max, 1.2);
}

// The HotSpot model given directly (config, floorplan, trace, materials): the trace's rows are
// -sampling_intvl apart, the run starts at the config's -init_temp.
TEST_F(TransientCli, HotSpotConfigRunsWithItsPtrace) {
  const std::string out = (dir_ / "cfg").string();
  const CliRun r =
      run("transient " + kHs + "/example.config --flp " + kHs + "/ev6.flp --ptrace " + kHs +
          "/gcc.ptrace --materials " + kHs +
          "/example.materials --until 0.02 --tol 0.5 --threads 1 --no-progress -o " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  std::ifstream sin(fs::path(out) / "summary.json");
  const auto s = nlohmann::json::parse(sin);
  EXPECT_EQ(s["initial"].get<std::string>(), "uniform 318.15 K");
  EXPECT_NEAR(s["t_end_s"].get<double>(), 0.02, 1e-12);
  EXPECT_GT(s["grid"]["void_nodes"].get<int>(), 0);  // die and spreader on the 60 mm sink
  EXPECT_LE(s["energy"]["max_step_balance_rel"].get<double>(), 1e-8);
}

// HotSpot's init files (-init_file; a steady file has the same form) give the initial field: each
// node takes the temperature of HotSpot's node it lies in (out_gcc.steady: the blocks, the
// interface/spreader/sink blocks, the 12 peripheral nodes). `--initial FILE` with the model, and
// the config's own -init_file with `heatop solve` on a trace of several rows, which runs the
// transient analysis.
TEST_F(TransientCli, HotSpotInitFileSetsTheInitialField) {
  const std::string model =
      kHs + "/example.config --flp " + kHs + "/ev6.flp --materials " + kHs + "/example.materials";
  const std::string a = (dir_ / "init").string();
  CliRun r = run("transient " + model + " --ptrace " + kHs + "/gcc.ptrace --initial " + kHs +
                 "/out_gcc.steady --until 0.001 --save-at 0 --tol 0.5 --threads 1 "
                 "--no-progress -o " +
                 a);
  ASSERT_EQ(r.code, 0) << r.output;
  const auto s = nlohmann::json::parse(std::ifstream(fs::path(a) / "summary.json"));
  EXPECT_EQ(s["initial"].get<std::string>(), "HotSpot init file " + kHs + "/out_gcc.steady");
  const io::NpyArray t0 = io::read_npy(a + "/T_0.npy");
  const auto ld = io::load_design(a + "/design.yaml");
  const model::Grid g = model::build_grid(ld.design);
  ASSERT_EQ(t0.data.size(), g.size());
  auto node = [&](double x_mm, double y_mm, int k) {
    auto nearest = [](const std::vector<double>& v, double m) {
      return static_cast<int>(
          std::min_element(v.begin(), v.end(),
                           [&](double p, double q) { return std::abs(p - m) < std::abs(q - m); }) -
          v.begin());
    };
    return t0.data[g.index(nearest(g.x, x_mm * 1e-3), nearest(g.y, y_mm * 1e-3), k)];
  };
  const auto ref = read_steady(kHs + "/out_gcc.steady");
  // The die sits at (22, 22) mm in the 60 mm package (HotSpot frame + 22 mm). IntReg_0 of
  // ev6.flp: 0.9 x 0.67 mm at (9.3, 15.33) mm; its centre on the chip's bottom face.
  EXPECT_DOUBLE_EQ(node(22 + 9.75, 22 + 15.665, 0), ref.at("IntReg_0"));
  // The sink's top face: west, east, north and south of the spreader (inode_8 .. inode_11),
  // and above the die's centre the sink block there (hsink_ of the block at (8, 8) mm: L2).
  EXPECT_DOUBLE_EQ(node(2, 30, g.nz() - 1), ref.at("inode_8"));
  EXPECT_DOUBLE_EQ(node(58, 30, g.nz() - 1), ref.at("inode_9"));
  EXPECT_DOUBLE_EQ(node(30, 58, g.nz() - 1), ref.at("inode_10"));
  EXPECT_DOUBLE_EQ(node(30, 2, g.nz() - 1), ref.at("inode_11"));
  EXPECT_DOUBLE_EQ(node(30, 25, g.nz() - 1), ref.at("hsink_L2"));

  // The config's -init_file, with `heatop solve` on a trace of two rows: a transient run.
  std::string cfg;
  {
    std::ifstream in(kHs + "/example.config");
    for (std::string line; std::getline(in, line);)
      cfg += (line.find("-init_file") != std::string::npos ? "-init_file " + kHs + "/out_gcc.steady"
                                                           : line) +
             "\n";
  }
  const std::string config = write("init.config", cfg);
  std::string two;
  {
    std::ifstream in(kHs + "/gcc.ptrace");
    std::string line;
    for (int n = 0; n < 3 && std::getline(in, line); ++n) two += line + "\n";
  }
  const std::string trace = write("two.ptrace", two);
  const std::string b = (dir_ / "solve").string();
  r = run("solve " + config + " --flp " + kHs + "/ev6.flp --materials " + kHs +
          "/example.materials --ptrace " + trace + " --threads 1 -o " + b);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("two.ptrace has several rows: running the transient analysis over "
                          "them, 0 s to 0.02 s"),
            std::string::npos)
      << r.output;
  const auto sb = nlohmann::json::parse(std::ifstream(fs::path(b) / "summary.json"));
  EXPECT_EQ(sb["source"], "fv-transient");
  EXPECT_EQ(sb["initial"].get<std::string>(), "HotSpot init file " + kHs + "/out_gcc.steady");
  EXPECT_NEAR(sb["t_end_s"].get<double>(), 0.02, 1e-12);

  // A layer-file model (HotSpot example 3: 4 LCF layers, two floorplans): its steady file names
  // layer_<n>_<block>, hsp_/hsink_ of the top layer's floorplan and inode_*; all must match.
  {
    const std::string e3 = std::string(HEATOP_TEST_DATA) + "/interop/hotspot/example3";
    const std::string c = (dir_ / "lcf").string();
    r = run("transient " + e3 + "/example.config --lcf " + e3 + "/example.lcf --materials " + e3 +
            "/example.materials --ptrace " + e3 + "/example.ptrace --initial " + e3 +
            "/out_example.steady --until 1e-5 --save-at 0 --threads 1 --no-progress -o " + c);
    ASSERT_EQ(r.code, 0) << r.output;
    const io::NpyArray t3 = io::read_npy(c + "/T_0.npy");
    const auto ref3 = read_steady(e3 + "/out_example.steady");
    double lo = 1e9, hi = 0;
    for (const auto& [name, t] : ref3) lo = std::min(lo, t), hi = std::max(hi, t);
    double tlo = 1e9, thi = 0;
    for (double v : t3.data)
      if (!std::isnan(v)) tlo = std::min(tlo, v), thi = std::max(thi, v);
    // Every node holds one of the file's temperatures or the mean of two: within their range,
    // reaching both ends (the hottest block and the coolest peripheral node).
    EXPECT_DOUBLE_EQ(thi, hi);
    EXPECT_DOUBLE_EQ(tlo, lo);
  }

  // Init files that do not fit the model: clear errors naming file and line, nothing written.
  const std::string steady = [&] {
    std::ifstream in(kHs + "/out_gcc.steady");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  const std::string args = model + " --ptrace " + kHs + "/gcc.ptrace --until 0.001 --initial ";
  expect_fail(args + write("short.init", steady.substr(0, steady.find("inode_5"))),
              "short.init: the init file lacks 7 of the model's 132 thermal nodes: inode_10, "
              "inode_11, inode_5");
  expect_fail(args + write("extra.init", steady + "Bogus 300\n"),
              "extra.init: the init file names nodes this model does not have: Bogus");
  expect_fail(args + write("twice.init", "L2 300\n" + steady),
              "twice.init:3: node 'L2' appears twice");
  expect_fail(args + write("cold.init", "L2 -3\n"),
              "cold.init:1: temperature of 'L2' must be > 0 K, got -3");
  expect_fail(args + write("words.init", "L2 warm\n"),
              "words.init:1: temperature of 'L2': expected a number, got 'warm'");
  expect_fail(args + write("three.init", "L2 300 1\n"),
              "three.init:1: expected 'node-name temperature', got 3 fields");
}

// `heatop solve` on a 3D-ICE stack whose solver section says `transient step dt, slot ts` runs
// the transient analysis (as `heatop transient` with its defaults): the stack's output files,
// the same values, a transient summary, no "steady solve uses the first power values" warning.
TEST_F(TransientCli, SolveOnTransientStackRunsTheTransientAnalysis) {
  const std::string dir = kIce + "/example_transient_nonuniform";
  const std::string stk = dir + "/example_transient_nonuniform.stk";
  const std::string a = (dir_ / "solve").string(), b = (dir_ / "transient").string();
  const CliRun rs = run("solve " + stk + " --threads 1 -o " + a);
  ASSERT_EQ(rs.code, 0) << rs.output;
  EXPECT_EQ(rs.output.find("a steady solve uses the first power values"), std::string::npos)
      << rs.output;
  EXPECT_NE(rs.output.find("running the transient analysis"), std::string::npos) << rs.output;
  EXPECT_NE(rs.output.find("transient bdf2 to 1 s"), std::string::npos) << rs.output;
  const CliRun rt = run("transient " + stk + " --threads 1 --no-progress -o " + b);
  ASSERT_EQ(rt.code, 0) << rt.output;
  std::ifstream sin(fs::path(a) / "summary.json");
  const auto s = nlohmann::json::parse(sin);
  EXPECT_EQ(s["source"], "fv-transient");
  EXPECT_TRUE(s["complete"].get<bool>());
  EXPECT_GT(s["steps"]["accepted"].get<int>(), 5);
  const auto ours = read_ice_rows(a + "/output_hotspot1.txt");
  const auto theirs = read_ice_rows(b + "/output_hotspot1.txt");
  ASSERT_EQ(ours.size(), 5u);  // one row per slot, as the stack asks
  ASSERT_EQ(theirs.size(), ours.size());
  for (std::size_t i = 0; i < ours.size(); ++i) {
    EXPECT_DOUBLE_EQ(ours[i][0], theirs[i][0]);
    EXPECT_DOUBLE_EQ(ours[i][1], theirs[i][1]);
  }
  // Slots 1 and 2 hold different powers: the rows are a time series, not one steady state.
  EXPECT_GT(std::abs(ours[1][1] - ours[0][1]), 1.0);
  EXPECT_TRUE(fs::exists(fs::path(a) / "trace.csv"));
  // --export belongs to `heatop transient`; a clear error, nothing written.
  const std::string c = (dir_ / "export").string();
  const CliRun re = run("solve " + stk + " --export hotspot -o " + c);
  EXPECT_NE(re.code, 0);
  EXPECT_NE(re.output.find("--export with a transient source"), std::string::npos) << re.output;
  EXPECT_FALSE(fs::exists(c));
}

// An interrupted run (SIGINT or SIGTERM once it is stepping) leaves its finished part readable:
// the folder is in place, trace.csv / probes.csv / snapshots up to the time reached, and a
// summary.json that says the run is incomplete and up to when. Exit code 128 + the signal.
TEST_F(TransientCli, InterruptedRunLeavesItsFinishedPart) {
  const std::string d = design();
  const std::string tr = write("tr.csv", "t_s,A,B\n0,1.0,0.2\n0.01,0.1,0.8\n");
  const std::string pr = write("p.csv", "x_mm,y_mm,z_mm\n0.25,0.3,0.5\n");
  for (const int sig : {SIGINT, SIGTERM}) {
    const fs::path out = dir_ / ("out" + std::to_string(sig));
    // 1e6 fixed steps: far longer than the test waits.
    const std::string cmd = std::string("exec ") + HEATOP_BIN + " transient " + d + " --trace " +
                            tr + " --dt 1e-6 --until 1 --save-every 1e-4 --probe " + pr +
                            " --threads 1 --no-progress -o " + out.string() + " > " +
                            (dir_ / "log.txt").string() + " 2>&1";
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    // Wait until trace.csv in its staging folder has 350 lines: its header, t = 0 and 348
    // steps, so the run is past t = 3e-4 and its third snapshot when the signal comes. (At 300
    // lines, a run descheduled right then stopped at t = 2.99e-4 with two snapshots.)
    auto staged_rows = [&] {
      long rows = 0;
      std::error_code ec;  // folders may come and go while the run writes
      for (auto it = fs::recursive_directory_iterator(dir_, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        if (it->path().filename() == "trace.csv" &&
            it->path().parent_path().filename().string().find(out.filename().string()) !=
                std::string::npos) {
          std::ifstream in(it->path());
          rows = std::count(std::istreambuf_iterator<char>(in), {}, '\n');
        }
      return rows;
    };
    const auto t0 = std::chrono::steady_clock::now();
    while (staged_rows() < 350 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60))
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_EQ(kill(pid, sig), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    std::ifstream lg(dir_ / "log.txt");
    const std::string log((std::istreambuf_iterator<char>(lg)), {});
    ASSERT_TRUE(WIFEXITED(status)) << log;
    EXPECT_EQ(WEXITSTATUS(status), 128 + sig) << log;
    EXPECT_NE(log.find("the run stopped at t = "), std::string::npos) << log;
    ASSERT_TRUE(fs::exists(out / "summary.json")) << log;
    std::ifstream sin(out / "summary.json");
    const auto s = nlohmann::json::parse(sin);
    EXPECT_FALSE(s["complete"].get<bool>());
    const double reached = s["incomplete"]["t_reached_s"].get<double>();
    EXPECT_GT(reached, 3e-4);
    EXPECT_LT(reached, 1.0);
    EXPECT_NE(s["incomplete"]["reason"].get<std::string>().find("stopped on request"),
              std::string::npos);
    EXPECT_EQ(s["t_end_s"].get<double>(), 1.0);
    // trace.csv: one row per accepted step from t = 0 to the time reached, every row whole.
    std::ifstream tin(out / "trace.csv");
    std::string line, last;
    long rows = 0;
    std::getline(tin, line);  // header
    const auto cols = std::count(line.begin(), line.end(), ',');
    while (std::getline(tin, line)) {
      EXPECT_EQ(std::count(line.begin(), line.end(), ','), cols) << line;
      last = line;
      ++rows;
    }
    EXPECT_EQ(rows, s["steps"]["accepted"].get<long>() + 1);
    EXPECT_NEAR(std::stod(last.substr(0, last.find(','))), reached, 1e-9);
    std::ifstream pin(out / "probes.csv");
    EXPECT_EQ(std::count(std::istreambuf_iterator<char>(pin), {}, '\n'), rows + 1);
    // The snapshots so far: every 1e-4 s up to the time reached (a stop on the step that
    // lands on a snapshot time comes after that snapshot), each file readable.
    ASSERT_GE(s["snapshots"].size(), 3u);
    EXPECT_EQ(s["snapshots"].size(), static_cast<std::size_t>(std::floor(reached / 1e-4 + 1e-6)))
        << "reached " << reached;
    for (const auto& sn : s["snapshots"]) {
      EXPECT_LE(sn["t_s"].get<double>(), reached + 1e-12);
      EXPECT_TRUE(fs::exists(out / sn["npy"].get<std::string>()));
    }
    EXPECT_TRUE(fs::exists(out / "T.npy"));  // the state at the time reached
    EXPECT_TRUE(fs::exists(out / "T.pvd"));
    // No staging folder left behind.
    for (const auto& e : fs::directory_iterator(dir_))
      EXPECT_EQ(e.path().filename().string().find(".heatop-tmp"), std::string::npos) << e.path();
  }
}
