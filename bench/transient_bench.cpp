// heatop transient benchmark (issue 11, item 3). Not a test: it measures.
//
// The 3D-ICE transient regression stack (test/solid/transient/topsink.stk: two 50 um silicon
// dies, top heat sink, 12 power slots of 20 ms, backward Euler with a 2 ms step) re-gridded at
// N x N cells per layer (transient_N.stk of the project's 3D-ICE anchor data, which differ from
// topsink.stk only in the cell size). For every N it runs, each in its own forked child (peak
// memory = that child's ru_maxrss; bench/child_process.hpp):
//   ref    heatop BDF2 with a much smaller tolerance (--ref-tol, default 1e-4 K): the fine-step
//          reference on the same grid;
//   be2ms  heatop with 3D-ICE's own time discretization (backward Euler, fixed 2 ms steps);
//   tol=X  heatop's default method (adaptive BDF2) at the tolerances of --tols;
//   unit   one steady CG + multigrid iteration on the same grid: a steady solve of the first
//          power slot from T_amb to a 1e-8 relative residual, seconds / iterations (best of 3).
// Probes are 3D-ICE's: T(die1, 5000, 4800) and T(die2, 0, 0), i.e. the source-layer
// temperature at the centre of the stack's cell holding the point, at 3D-ICE's 120 output
// instants (every 2 ms; heatop's values inside a step come from dense output). Accuracy = max
// over both probes and the 120 instants of |T - T_ref|. 3D-ICE's own probe outputs and its wall
// times and peak memory (same stacks, a 2-core machine, one thread) are read from the anchor
// folder: its error against heatop's reference includes the spatial difference of the two
// discretizations (about 0.03 K here), its `be2ms` twin in heatop isolates the time error.
//
// Usage: heatop_bench_transient [--anchors DIR] [--sizes 128,256] [--tols 0.3,0.1]
//                               [--ref-tol 1e-4] [--threads 1] [--out FILE]
//                               [--case-timeout 1200] [--no-ref]
// See bench/README.md ("Transient").

#include <omp.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "bench_args.hpp"
#include "child_process.hpp"
#include "fv/system.hpp"
#include "interop/export_formats.hpp"
#include "interop/ice3d.hpp"
#include "interop/importer.hpp"
#include "model/grid.hpp"
#include "solve/fv_solver.hpp"
#include "transient/simulation.hpp"
#include "transient/stepper.hpp"
#include "transient/trace.hpp"

#ifndef HEATOP_VERSION
#define HEATOP_VERSION "unknown"
#endif

namespace fs = std::filesystem;
using nlohmann::json;
using namespace heatop;

namespace {

struct Args {
  std::string anchors = "bench/data/transient_scaling";
  std::string out = "bench/results/transient.json";
  std::vector<int> sizes = {128, 256};
  std::vector<double> tols = {0.3, 0.1};
  double ref_tol = 1e-4;
  int threads = 1;
  int layer_cells = 0;  // z cells per layer; 0 = the importer's (<= 10 um cells)
  int case_timeout = 1200;
  bool ref = true;
};

[[noreturn]] void usage(int code) {
  std::fprintf(code ? stderr : stdout,
               "usage: heatop_bench_transient [--anchors DIR] [--sizes 128,256,512]\n"
               "         [--tols 0.3,0.1] [--ref-tol 1e-4] [--threads N] [--out FILE]\n"
               "         [--case-timeout SECONDS] [--no-ref] [--layer-cells N]\n"
               "  --anchors  folder with transient_N.stk, its floorplans, nN_node{1,2}.txt\n"
               "             (default bench/data/transient_scaling)\n"
               "  --no-ref   skip the fine-step reference (errors are then not reported)\n"
               "  --layer-cells N  z cells per layer (1 = 3D-ICE's own z resolution: one cell\n"
               "             per layer); default: the importer's (cells of at most 10 um)\n");
  std::exit(code);
}

Args parse_args(int argc, char** argv) {
  Args a;
  bench::ArgCursor c(argc, argv, "heatop_bench_transient", usage);
  while (c.next()) {
    const std::string& arg = c.arg();
    if (arg == "-h" || arg == "--help") {
      usage(0);
    } else if (arg == "--anchors") {
      a.anchors = c.value();
    } else if (arg == "--out") {
      a.out = c.value();
    } else if (arg == "--sizes") {
      a.sizes.clear();
      for (const auto& s : bench::split(c.value(), ',')) a.sizes.push_back(std::atoi(s.c_str()));
    } else if (arg == "--tols") {
      a.tols.clear();
      for (const auto& s : bench::split(c.value(), ',')) a.tols.push_back(std::atof(s.c_str()));
    } else if (arg == "--ref-tol") {
      a.ref_tol = std::atof(c.value().c_str());
    } else if (arg == "--threads") {
      a.threads = std::atoi(c.value().c_str());
    } else if (arg == "--case-timeout") {
      a.case_timeout = std::atoi(c.value().c_str());
    } else if (arg == "--layer-cells") {
      a.layer_cells = std::atoi(c.value().c_str());
      if (a.layer_cells < 0 || a.layer_cells > 64) {
        std::fprintf(stderr, "heatop_bench_transient: --layer-cells must lie in 0..64\n");
        std::exit(2);
      }
    } else if (arg == "--no-ref") {
      a.ref = false;
    } else {
      std::fprintf(stderr, "heatop_bench_transient: unknown argument '%s'\n", c.raw().c_str());
      usage(2);
    }
  }
  for (int n : a.sizes)
    if (n < 2 || n > 4096) {
      std::fprintf(stderr, "heatop_bench_transient: bad size %d\n", n);
      std::exit(2);
    }
  return a;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// CPU seconds of this process (all threads): on a shared machine less sensitive to other load
// than wall time when the run uses one thread.
double cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

std::string stk_path(const Args& a, int n) {
  return a.anchors + "/transient_" + std::to_string(n) + ".stk";
}

// The stack as heatop imports it; with --layer-cells every layer gets that many z cells.
io::LoadedDesign load_stack(const Args& a, int n) {
  interop::DesignSource src;
  src.path = stk_path(a, n);
  std::vector<std::string> warnings;
  io::LoadedDesign loaded = interop::load_any_design(src, &warnings);
  if (a.layer_cells > 0) {
    for (auto& l : loaded.design.layers) l.cells = a.layer_cells;
    loaded.design.grid.nz = 0;
  }
  return loaded;
}

// 3D-ICE's recorded wall time and peak memory (anchor README, 2-core machine, one thread).
json ice_reference(int n) {
  if (n == 128) return {{"wall_s", 3.74}, {"factor_s", 0.93}, {"peak_mb", 212}};
  if (n == 256) return {{"wall_s", 22.25}, {"factor_s", 7.89}, {"peak_mb", 1020}};
  if (n == 512) return {{"wall_s", 149.98}, {"factor_s", 87.62}, {"peak_mb", 5040}};
  return json::object();
}

// The two probes: 3D-ICE's T(die1, 5000, 4800) and T(die2, 0, 0), the source-layer thickness
// average at the centre of the stack's cell holding the point.
struct Probe {
  int layer;
  double x, y;
};

std::vector<Probe> probes_of(const interop::ice3d::Stack& s, const model::Design& d) {
  std::vector<Probe> out;
  for (const auto& o : s.outputs) {
    if (o.kind != interop::ice3d::OutputRequest::kT) continue;
    int layer = -1;
    for (std::size_t l = 0; l < d.layers.size(); ++l)
      if (d.layers[l].name == o.id) layer = static_cast<int>(l);
    const int cols = static_cast<int>(std::lround(s.lx / s.dx));
    const int rows = static_cast<int>(std::lround(s.ly / s.dy));
    const int c = std::clamp(static_cast<int>(std::floor(o.x / s.dx + 1e-9)), 0, cols - 1);
    const int r = std::clamp(static_cast<int>(std::floor(o.y / s.dy + 1e-9)), 0, rows - 1);
    out.push_back({layer, (c + 0.5) * s.dx, (r + 0.5) * s.dy});
  }
  if (out.size() != 2) throw std::runtime_error("expected two T(...) outputs in the stack");
  return out;
}

// Child: one transient run (mode "adaptive" with tol, or "be2ms"), timed from the import.
json run_transient_case(const Args& a, int n, const std::string& mode, double tol) {
  if (a.threads > 0) omp_set_num_threads(a.threads);
  if (a.case_timeout > 0) ::alarm(static_cast<unsigned>(a.case_timeout));
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpu_now();
  const io::LoadedDesign loaded = load_stack(a, n);
  const model::Design& d = loaded.design;
  const interop::ice3d::Stack stack = interop::ice3d::read_stack(stk_path(a, n));
  const transient::PowerTrace trace = transient::ice3d_trace(stk_path(a, n));
  const model::Grid grid = model::build_grid(d);
  fv::System sys = fv::discretize(transient::design_at(d, trace, 0), grid);
  transient::StepperOptions opt;
  if (mode == "be2ms") {
    opt.method = transient::Method::be;
    opt.tol = 0;
    opt.dt = stack.step;
  } else {
    opt.method = transient::Method::bdf2;
    opt.tol = tol;
  }
  transient::Stepper st(sys, fv::capacity_per_area(d, grid), loaded.solver, opt);
  st.set_state(0.0, std::vector<double>(grid.size(), stack.t_initial > 0 ? stack.t_initial : 300));
  const double setup_s = seconds_since(t0);
  const auto probes = probes_of(stack, d);
  transient::Schedule sc;
  sc.t0 = 0;
  sc.t_end = trace.end;
  sc.changes.assign(trace.times.begin() + 1, trace.times.end());
  sc.samples = transient::every(0, trace.end, stack.step);
  std::vector<double> times;
  std::vector<std::vector<double>> values(probes.size());
  transient::SimulationCallbacks cb;
  cb.power = [&](std::size_t s) {
    return fv::assemble_power(transient::design_at(d, trace, s), grid);
  };
  int max_its = 0;
  cb.on_step = [&](const transient::StepInfo& s) { max_its = std::max(max_its, s.iterations); };
  cb.on_sample = [&](double t, const std::vector<double>& T) {
    times.push_back(t);
    for (std::size_t q = 0; q < probes.size(); ++q) {
      const auto plane = interop::layer_average(grid, T, probes[q].layer);
      values[q].push_back(interop::plane_at(grid.x, grid.y, plane, probes[q].x, probes[q].y));
    }
  };
  const auto t1 = std::chrono::steady_clock::now();
  const double c1 = cpu_now();
  transient::simulate(st, sc, cb);
  const double step_s = seconds_since(t1), step_cpu = cpu_now() - c1;
  const auto& s = st.stats();
  json r;
  r["mode"] = mode;
  r["tol_K"] = mode == "be2ms" ? 0.0 : tol;
  r["grid"] = {grid.nx(), grid.ny(), grid.nz()};
  r["nodes"] = grid.size();
  r["threads"] = omp_get_max_threads();
  r["steps"] = s.accepted;
  r["rejected"] = s.rejected;
  r["cg_iterations"] = s.iterations;
  r["cg_per_step"] = s.accepted ? double(s.iterations) / double(s.accepted + s.rejected) : 0.0;
  r["cg_per_step_max"] = max_its;
  r["hierarchy_updates"] = s.shift_updates;
  r["dt_min_s"] = s.dt_min_used;
  r["dt_max_s"] = s.dt_max_used;
  r["max_step_balance_rel"] = s.max_balance_rel;
  r["setup_seconds"] = setup_s;
  r["stepping_seconds"] = step_s;
  r["wall_seconds"] = seconds_since(t0);
  r["stepping_cpu_seconds"] = step_cpu;
  r["cpu_seconds"] = cpu_now() - c0;
  r["times"] = times;
  r["probes"] = values;
  return r;
}

// Child: seconds per steady CG + multigrid iteration on the same grid (best of 3 solves).
json run_unit_case(const Args& a, int n) {
  if (a.threads > 0) omp_set_num_threads(a.threads);
  if (a.case_timeout > 0) ::alarm(static_cast<unsigned>(a.case_timeout));
  const io::LoadedDesign loaded = load_stack(a, n);
  const model::Grid grid = model::build_grid(loaded.design);
  fv::System sys = fv::discretize(loaded.design, grid);
  solve::SolverConfig cfg = loaded.solver;
  cfg.method = solve::Method::cg;
  cfg.preconditioner = solve::PreconditionerKind::multigrid;
  cfg.options.rel_tol = 1e-8;
  cfg.options.max_iterations = 500;
  solve::FvSolver solver(*sys.op, cfg);
  double best = 1e300, best_cpu = 1e300;
  int its = 0;
  for (int rep = 0; rep < 3; ++rep) {
    std::vector<double> t(grid.size(), model::reference_temperature(loaded.design));
    const double c0 = cpu_now();
    const solve::SolveReport r = solver.solve(sys.rhs.data(), t.data());
    const double cpu = cpu_now() - c0;
    if (r.iterations > 0) {
      best = std::min(best, r.seconds / r.iterations);
      best_cpu = std::min(best_cpu, cpu / r.iterations);
    }
    its = r.iterations;
  }
  return {{"seconds_per_iteration", best},
          {"cpu_seconds_per_iteration", best_cpu},
          {"iterations_to_1e-8", its},
          {"setup_seconds", solver.setup_seconds()},
          {"threads", omp_get_max_threads()}};
}

std::vector<std::vector<double>> read_ice(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::vector<std::vector<double>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '%') continue;
    std::istringstream ss(line);
    double t, v;
    if (ss >> t >> v) rows.push_back({t, v});
  }
  return rows;
}

// max over probes and instants of |a - b|.
double max_diff(const json& a, const json& b) {
  double m = 0;
  for (std::size_t q = 0; q < a.size(); ++q)
    for (std::size_t i = 0; i < a[q].size(); ++i)
      m = std::max(m, std::abs(a[q][i].get<double>() - b[q][i].get<double>()));
  return m;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string pad(const std::string& s, std::size_t w) {
  return s.size() >= w ? s : std::string(w - s.size(), ' ') + s;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      const auto c = line.find(':');
      if (c != std::string::npos) return line.substr(c + 2);
    }
  return "unknown";
}

std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string x, y, z;
  in >> x >> y >> z;
  return x + " " + y + " " + z;
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse_args(argc, argv);
  if (!fs::exists(stk_path(a, a.sizes.front()))) {
    std::fprintf(stderr, "heatop_bench_transient: %s not found (give --anchors DIR)\n",
                 stk_path(a, a.sizes.front()).c_str());
    return 2;
  }
  json result;
  std::time_t now = std::time(nullptr);
  char date[64];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S%z", std::localtime(&now));
  result["machine"] = {
      {"nproc", sysconf(_SC_NPROCESSORS_ONLN)},
      {"cpu", cpu_model()},
      {"threads", a.threads},
      {"OMP_WAIT_POLICY", std::getenv("OMP_WAIT_POLICY") ? std::getenv("OMP_WAIT_POLICY") : ""},
      {"load_average_start", loadavg()},
      {"date", date},
      {"heatop_version", HEATOP_VERSION}};
  result["settings"] = {{"anchors", a.anchors},
                        {"ref_tol_K", a.ref_tol},
                        {"tols_K", a.tols},
                        {"layer_cells", a.layer_cells}};
  json cases = json::array();
  std::ostringstream table;
  table << "3D-ICE transient regression stack (12 slots x 20 ms, 120 outputs of 2 ms), "
        << a.threads << " thread(s)\n";
  table << "    N  run        steps  rej  CG/step  setup s  step s   cpu s  wall s  ms/step  "
           "units/step  peak MiB  max err K  ICE/wall  ICE/cpu\n";
  for (int n : a.sizes) {
    std::fprintf(stderr, "N = %d ...\n", n);
    json c;
    c["N"] = n;
    c["3dice"] = ice_reference(n);
    c["unit"] = bench::run_in_child([&] { return run_unit_case(a, n); });
    json runs = json::array();
    json ref;
    if (a.ref) {
      ref = bench::run_in_child([&] { return run_transient_case(a, n, "ref", a.ref_tol); });
      ref["name"] = "ref";
      runs.push_back(ref);
    }
    json be = bench::run_in_child([&] { return run_transient_case(a, n, "be2ms", 0); });
    be["name"] = "be2ms";
    runs.push_back(be);
    for (double tol : a.tols) {
      json r = bench::run_in_child([&] { return run_transient_case(a, n, "adaptive", tol); });
      r["name"] = "tol=" + fmt("%g", tol);
      runs.push_back(r);
    }
    // 3D-ICE's own probe outputs against heatop's reference.
    json ice_probes = json::array();
    try {
      for (int q = 1; q <= 2; ++q) {
        const auto rows =
            read_ice(a.anchors + "/n" + std::to_string(n) + "_node" + std::to_string(q) + ".txt");
        std::vector<double> v;
        for (const auto& r : rows) v.push_back(r[1]);
        ice_probes.push_back(v);
      }
    } catch (const std::exception& e) {
      c["3dice"]["probe_error"] = e.what();
    }
    const double unit = c["unit"].value("cpu_seconds_per_iteration", 0.0);
    const bool have_ref = a.ref && ref.contains("probes");
    if (have_ref && ice_probes.size() == 2 && ice_probes[0].size() == ref["probes"][0].size())
      c["3dice"]["max_err_vs_ref_K"] = max_diff(ice_probes, ref["probes"]);
    for (auto& r : runs) {
      if (!r.contains("probes")) {
        table << pad(std::to_string(n), 5) << "  " << r["name"].get<std::string>()
              << "  FAILED: " << r.value("error", std::string("?")) << "\n";
        continue;
      }
      if (have_ref) r["max_err_vs_ref_K"] = max_diff(r["probes"], ref["probes"]);
      const double per_step = r["stepping_cpu_seconds"].get<double>() /
                              std::max(1.0, r["steps"].get<double>() + r["rejected"].get<double>());
      r["seconds_per_step"] = per_step;
      if (unit > 0) r["cost_per_step_units"] = per_step / unit;
      if (c["3dice"].contains("wall_s")) {
        r["speedup_vs_3dice"] =
            c["3dice"]["wall_s"].get<double>() / r["wall_seconds"].get<double>();
        r["speedup_vs_3dice_cpu"] =
            c["3dice"]["wall_s"].get<double>() / r["cpu_seconds"].get<double>();
      }
      std::string name = r["name"].get<std::string>();
      name.resize(9, ' ');
      table << pad(std::to_string(n), 5) << "  " << name
            << pad(std::to_string(r["steps"].get<long>()), 7)
            << pad(std::to_string(r["rejected"].get<long>()), 5)
            << pad(fmt("%.2f", r["cg_per_step"].get<double>()), 9)
            << pad(fmt("%.2f", r["setup_seconds"].get<double>()), 9)
            << pad(fmt("%.2f", r["stepping_cpu_seconds"].get<double>()), 8)
            << pad(fmt("%.2f", r["cpu_seconds"].get<double>()), 8)
            << pad(fmt("%.2f", r["wall_seconds"].get<double>()), 8)
            << pad(fmt("%.1f", 1e3 * per_step), 9)
            << pad(unit > 0 ? fmt("%.2f", per_step / unit) : "-", 12)
            << pad(fmt("%.0f", r["child_peak_mib"].get<double>()), 10)
            << pad(r.contains("max_err_vs_ref_K") ? fmt("%.4f", r["max_err_vs_ref_K"].get<double>())
                                                  : "-",
                   11)
            << pad(r.contains("speedup_vs_3dice") ? fmt("%.2f", r["speedup_vs_3dice"].get<double>())
                                                  : "-",
                   10)
            << pad(r.contains("speedup_vs_3dice_cpu")
                       ? fmt("%.2f", r["speedup_vs_3dice_cpu"].get<double>())
                       : "-",
                   9)
            << "\n";
    }
    if (c["3dice"].contains("wall_s"))
      table << pad(std::to_string(n), 5) << "  3D-ICE     120    0     (LU)" << pad("", 25)
            << pad(fmt("%.2f", c["3dice"]["wall_s"].get<double>()), 8) << pad("", 29)
            << pad(fmt("%.0f", c["3dice"]["peak_mb"].get<double>() / 1.048576), 10)
            << pad(c["3dice"].contains("max_err_vs_ref_K")
                       ? fmt("%.4f", c["3dice"]["max_err_vs_ref_K"].get<double>())
                       : "-",
                   11)
            << "\n";
    if (unit > 0)
      table << pad(std::to_string(n), 5) << "  unit: one steady CG+multigrid iteration "
            << fmt("%.1f", 1e3 * unit) << " ms CPU (" << c["unit"]["iterations_to_1e-8"].get<int>()
            << " iterations to 1e-8)\n";
    // Drop the probe series of the runs from the JSON except the reference's (kept for plots).
    for (auto& r : runs)
      if (r["name"] != "ref") r.erase("probes");
    c["runs"] = runs;
    cases.push_back(c);
    std::cout << table.str() << std::flush;
    table.str("");
    result["cases"] = cases;
    result["machine"]["load_average_end"] = loadavg();
    if (!a.out.empty()) {
      const fs::path p(a.out);
      if (p.has_parent_path()) fs::create_directories(p.parent_path());
      std::ofstream(a.out) << result.dump(1) << "\n";
    }
  }
  std::cout << "step s, cpu s: CPU seconds of the stepping and of the whole run (import to end); "
               "ms/step: stepping CPU per step; units/step = ms/step / (CPU of one steady "
               "CG+multigrid iteration on the same grid); max err = max over both probes and 120 "
               "instants of "
               "|T - T_ref| (ref: BDF2 tol "
            << fmt("%g", a.ref_tol)
            << " K); 3D-ICE: its recorded wall time and memory; ICE/wall, ICE/cpu: 3D-ICE's wall "
               "time / heatop's wall time, / heatop's CPU time (import to end).\n";
  return 0;
}
