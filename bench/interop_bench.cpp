// heatop interop scaling benchmark (issue 5, item 6). Not a test: it measures.
//
// Solve time and peak memory of heatop on
//   (a) the HotSpot EV6 example (example 2 inputs: example.config, ev6.flp, gcc.ptrace,
//       example.materials), imported with `-grid_rows N -grid_cols N` (N x N cells over the die;
//       the full 30 mm spreader / 60 mm sink package gets graded cells around it), and
//   (b) the 3D-ICE solid test stack (test_solid/topsink.stk: two 50 um silicon dies, top heat
//       sink) re-gridded to N x N cells per layer (grid.nx = grid.ny = N + 1 nodes), which is the
//       stack of 3D-ICE's solid-scaling runs solid_N.stk (those differ from topsink.stk only in
//       the cell size),
// for N = 64, 128, 256, 512. Each case runs in its own forked child (bench/child_process.hpp):
// the peak memory is that child's ru_maxrss from wait4 and covers import, discretization and
// solve. Solver: CG + multigrid (solve::solve_system) to a 1e-8 relative residual from T_amb.
//
// Usage: heatop_bench_interop [--out bench/results/interop.json] [--txt bench/results/interop.txt]
//                             [--data tests/data] [--sizes 64,128,256,512] [--tools hotspot,3d-ice]
//                             [--threads N] [--case-timeout 180]
// See bench/README.md ("HotSpot / 3D-ICE scaling").

#include <omp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_args.hpp"
#include "child_process.hpp"
#include "fv/system.hpp"
#include "interop/hotspot.hpp"
#include "interop/importer.hpp"
#include "io/design_file.hpp"
#include "model/grid.hpp"
#include "solve/solver.hpp"

#ifndef HEATOP_VERSION
#define HEATOP_VERSION "unknown"
#endif
#ifndef HEATOP_BENCH_DATA_DIR
#define HEATOP_BENCH_DATA_DIR "tests/data"
#endif

namespace fs = std::filesystem;
using nlohmann::json;
using namespace heatop;

namespace {

constexpr double kRelTol = 1e-8;
constexpr int kMaxIterations = 500;

struct Args {
  std::string out = "bench/results/interop.json";
  std::string txt = "bench/results/interop.txt";
  std::string data;
  std::vector<int> sizes = {64, 128, 256, 512};
  std::vector<std::string> tools = {"hotspot", "3d-ice"};
  int threads = 0;
  int case_timeout = 180;  // s; a child still running then is killed and the case skipped
};

[[noreturn]] void usage(int code) {
  std::fprintf(code ? stderr : stdout,
               "usage: heatop_bench_interop [--out bench/results/interop.json]\n"
               "         [--txt bench/results/interop.txt] [--data tests/data]\n"
               "         [--sizes 64,128,256,512] [--tools hotspot,3d-ice] [--threads N]\n"
               "         [--case-timeout SECONDS]\n"
               "  --case-timeout  kill a case still running after this long and mark it skipped\n"
               "                  (default 180 s)\n");
  std::exit(code);
}

Args parse_args(int argc, char** argv) {
  Args a;
  bench::ArgCursor c(argc, argv, "heatop_bench_interop", usage);
  while (c.next()) {
    const std::string& arg = c.arg();
    if (arg == "-h" || arg == "--help") {
      usage(0);
    } else if (arg == "--out") {
      a.out = c.value();
    } else if (arg == "--txt") {
      a.txt = c.value();
    } else if (arg == "--data") {
      a.data = c.value();
    } else if (arg == "--sizes") {
      a.sizes.clear();
      for (const auto& s : bench::split(c.value(), ',')) {
        const int n = std::atoi(s.c_str());
        if (n < 2 || n > 4096) {
          std::fprintf(stderr, "heatop_bench_interop: bad size '%s' (2..4096)\n", s.c_str());
          std::exit(2);
        }
        a.sizes.push_back(n);
      }
    } else if (arg == "--tools") {
      a.tools = bench::split(c.value(), ',');
      for (const auto& t : a.tools)
        if (t != "hotspot" && t != "3d-ice") {
          std::fprintf(stderr, "heatop_bench_interop: unknown tool '%s' (hotspot, 3d-ice)\n",
                       t.c_str());
          std::exit(2);
        }
    } else if (arg == "--threads") {
      a.threads = std::atoi(c.value().c_str());
    } else if (arg == "--case-timeout") {
      a.case_timeout = std::atoi(c.value().c_str());
    } else {
      std::fprintf(stderr, "heatop_bench_interop: unknown argument '%s'\n", c.raw().c_str());
      usage(2);
    }
  }
  if (a.data.empty())
    a.data = fs::exists("tests/data/interop") ? std::string("tests/data")
                                              : std::string(HEATOP_BENCH_DATA_DIR);
  return a;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string hotspot_dir(const Args& a) { return a.data + "/interop/hotspot/example2"; }
std::string ice_stack(const Args& a) { return a.data + "/interop/3d-ice/test_solid/topsink.stk"; }

/// The reference numbers quoted in issue 5 item 6 (measured by others on a loaded 2-core
/// machine). The HotSpot EV6 grid-scaling and 3D-ICE solid-scaling reference runs record
/// temperatures only.
json reference_for(const std::string& tool, int n) {
  json r = json::object();
  if (n != 512) return r;
  if (tool == "hotspot") {
    r["hotspot_multigrid_build_s"] = 66;
    r["hotspot_superlu_build_s"] = 251;
    r["hotspot_superlu_build_peak_gb"] = 10;
    r["source"] = "issue 5, item 6";
  } else {
    r["3dice_s"] = 99;
    r["3dice_peak_gb"] = 5.3;
    r["source"] = "issue 5, item 6";
  }
  return r;
}

std::string reference_text(const std::string& tool, int n) {
  if (n != 512) return "-";
  return tool == "hotspot" ? "HotSpot MG 66 s; SuperLU 251 s / 10 GB" : "3D-ICE 99 s / 5.3 GB";
}

/// Imports the case (inside the child: import time and memory count).
io::LoadedDesign load_case(const Args& a, const std::string& tool, int n,
                           std::vector<std::string>* warnings) {
  if (tool == "hotspot") {
    const std::string dir = hotspot_dir(a);
    interop::hotspot::ImportOptions o;
    o.config = dir + "/example.config";
    o.flp = dir + "/ev6.flp";
    o.ptrace = dir + "/gcc.ptrace";
    o.materials = dir + "/example.materials";
    o.overrides = {"-grid_rows", std::to_string(n), "-grid_cols", std::to_string(n)};
    interop::hotspot::ImportResult r = interop::hotspot::import_design(o);
    warnings->insert(warnings->end(), r.warnings.begin(), r.warnings.end());
    return io::parse_design(interop::hotspot::design_text(r, "HotSpot example 2 (bench)"),
                            "ev6_" + std::to_string(n), dir);
  }
  const std::vector<std::string> ov = {"grid.nx=" + std::to_string(n + 1),
                                       "grid.ny=" + std::to_string(n + 1)};
  interop::DesignSource src;
  src.path = ice_stack(a);
  src.overrides = ov;
  return interop::load_any_design(src, warnings);
}

double initial_guess(const model::Design& d) { return model::reference_temperature(d); }

/// Child: import, grid, discretize, solve; report.
json run_case(const Args& a, const std::string& tool, int n) {
  if (a.threads > 0) omp_set_num_threads(a.threads);
  if (a.case_timeout > 0) ::alarm(static_cast<unsigned>(a.case_timeout));
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::string> warnings;
  io::LoadedDesign loaded = load_case(a, tool, n, &warnings);
  const model::Design& d = loaded.design;
  const double import_s = seconds_since(t0);

  const auto t1 = std::chrono::steady_clock::now();
  model::Grid grid = model::build_grid(d);
  const std::size_t need = model::estimated_solver_bytes(grid.size());
  const std::size_t avail = model::available_memory_bytes();
  if (avail > 0 && need > avail)
    throw std::runtime_error("grid too large: " + std::to_string(grid.size()) + " nodes need ~" +
                             std::to_string(need >> 20) + " MiB, " + std::to_string(avail >> 20) +
                             " MiB available");
  fv::System sys = fv::discretize(d, grid);
  const double disc_s = seconds_since(t1);

  solve::SolverConfig cfg = loaded.solver;
  cfg.method = solve::Method::cg;
  cfg.preconditioner = solve::PreconditionerKind::multigrid;
  cfg.options.rel_tol = kRelTol;
  cfg.options.max_iterations = kMaxIterations;
  cfg.options.callback = nullptr;
  const double t_init = initial_guess(d);
  std::vector<double> t(grid.size(), t_init);
  const solve::SolveReport rep = solve::solve_system(*sys.op, sys.rhs.data(), t.data(), cfg);
  const auto bal = fv::energy_balance(sys, t);

  json r;
  r["grid"] = {grid.nx(), grid.ny(), grid.nz()};
  r["nodes"] = grid.size();
  r["threads"] = omp_get_max_threads();
  r["method"] = rep.method + "+" + rep.preconditioner;
  r["iterations"] = rep.iterations;
  r["rel_residual"] = rep.rel_residual;
  r["converged"] = rep.converged;
  r["reason"] = rep.reason;
  r["import_seconds"] = import_s;
  r["discretize_seconds"] = disc_s;
  r["solve_seconds"] = rep.seconds;
  r["total_seconds"] = seconds_since(t0);
  r["unknowns_per_second"] = rep.seconds > 0 ? grid.size() / rep.seconds : 0.0;
  r["initial_guess_K"] = t_init;
  r["T_max_K"] = *std::max_element(t.begin(), t.end());
  r["power_in_W"] = bal.power_in;
  r["energy_balance_rel"] = bal.rel_mismatch;
  r["warnings"] = warnings;
  return r;
}

std::string now_iso() {
  std::time_t t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S%z", std::localtime(&t));
  return buf;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      const auto c = line.find(':');
      if (c != std::string::npos) {
        std::string s = line.substr(c + 1);
        s.erase(0, s.find_first_not_of(" \t"));
        return s;
      }
    }
  return "unknown";
}

std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string x, y, z;
  in >> x >> y >> z;
  return x + " " + y + " " + z;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string pad(const std::string& s, std::size_t w, bool right = true) {
  if (s.size() >= w) return s;
  return right ? std::string(w - s.size(), ' ') + s : s + std::string(w - s.size(), ' ');
}

std::string table(const json& cases, int case_timeout) {
  std::ostringstream o;
  o << "heatop on HotSpot / 3D-ICE inputs: CG + multigrid to rel. residual " << fmt("%.0e", kRelTol)
    << ", T_amb initial guess, one forked child per case\n";
  const std::vector<std::pair<std::string, std::size_t>> head = {
      {"case", 12},   {"grid (nodes)", 14}, {"nodes", 9},   {"iters", 5},
      {"conv", 4},    {"setup s", 7},       {"solve s", 7}, {"total s", 7},
      {"M unk/s", 7}, {"peak MiB", 8},      {"T_max K", 8}, {"reference (issue 5, 512^2)", 0}};
  std::string line;
  for (const auto& [h, w] : head)
    line += pad(h, w, h != "case" && h != "grid (nodes)" && w > 0) + "  ";
  while (!line.empty() && line.back() == ' ') line.pop_back();
  o << line << "\n" << std::string(line.size(), '-') << "\n";
  for (const auto& c : cases) {
    const json& h = c["heatop"];
    std::string row = pad(c["case"].get<std::string>(), 12, false) + "  ";
    if (!h.contains("iterations")) {
      std::string err = h.value("error", std::string("?"));
      if (err.find("signal 14") != std::string::npos)
        err =
            "SKIPPED: still running after " + std::to_string(case_timeout) + " s (--case-timeout)";
      else
        err = "FAILED: " + err;
      row += err + " (peak " + fmt("%.0f", h.value("child_peak_mib", 0.0)) + " MiB)  " +
             c["reference_text"].get<std::string>();
      o << row << "\n";
      continue;
    }
    const auto g = h["grid"];
    row += pad(std::to_string(g[0].get<int>()) + "x" + std::to_string(g[1].get<int>()) + "x" +
                   std::to_string(g[2].get<int>()),
               14, false) +
           "  ";
    row += pad(std::to_string(h["nodes"].get<std::size_t>()), 9) + "  ";
    row += pad(std::to_string(h["iterations"].get<int>()), 5) + "  ";
    row += pad(h["converged"].get<bool>() ? "yes" : "NO", 4) + "  ";
    row +=
        pad(fmt("%.2f", h["import_seconds"].get<double>() + h["discretize_seconds"].get<double>()),
            7) +
        "  ";
    row += pad(fmt("%.2f", h["solve_seconds"].get<double>()), 7) + "  ";
    row += pad(fmt("%.2f", h["total_seconds"].get<double>()), 7) + "  ";
    row += pad(fmt("%.2f", h["unknowns_per_second"].get<double>() / 1e6), 7) + "  ";
    row += pad(fmt("%.0f", h["child_peak_mib"].get<double>()), 8) + "  ";
    row += pad(fmt("%.2f", h["T_max_K"].get<double>()), 8) + "  ";
    row += c["reference_text"].get<std::string>();
    o << row << "\n";
  }
  o << "setup s = import + grid + discretize; solve s = solve_system (multigrid setup + CG);\n"
       "total s = setup + solve; M unk/s = nodes / solve s; peak MiB = child ru_maxrss.\n"
       "reference = issue 5 item 6, measured by others on a loaded 2-core machine (HotSpot\n"
       "multigrid and SuperLU builds, 3D-ICE SuperLU_MT, one thread); the HotSpot EV6\n"
       "grid-scaling and 3D-ICE solid-scaling reference runs record temperatures only.\n";
  return o.str();
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse_args(argc, argv);
  // No OpenMP parallel region may run in this process: every case runs in a forked child.
  const int omp_threads = args.threads > 0 ? args.threads : omp_get_max_threads();

  json machine;
  machine["nproc"] = ::sysconf(_SC_NPROCESSORS_ONLN);
  machine["omp_threads"] = omp_threads;
  machine["cpu"] = cpu_model();
  machine["mem_available_mib"] = model::available_memory_bytes() >> 20;
  machine["date"] = now_iso();
  machine["loadavg_start"] = loadavg();
  const char* wait_policy = std::getenv("OMP_WAIT_POLICY");
  machine["omp_wait_policy"] = wait_policy ? wait_policy : "(unset: libgomp default)";
  machine["heatop_version"] = HEATOP_VERSION;
#ifdef __VERSION__
  machine["compiler"] = __VERSION__;
#endif
  std::printf("heatop %s interop scaling benchmark, %s\n", HEATOP_VERSION,
              machine["date"].get<std::string>().c_str());
  std::printf("machine: %ld CPUs (%s), %d OpenMP threads, OMP_WAIT_POLICY %s, %zu MiB available\n",
              machine["nproc"].get<long>(), machine["cpu"].get<std::string>().c_str(), omp_threads,
              machine["omp_wait_policy"].get<std::string>().c_str(),
              static_cast<std::size_t>(machine["mem_available_mib"]));
  std::printf("data: %s; load average at start: %s\n", args.data.c_str(),
              machine["loadavg_start"].get<std::string>().c_str());

  json cases = json::array();
  for (const auto& tool : args.tools)
    for (const int n : args.sizes) {
      const std::string name = (tool == "hotspot" ? "ev6_" : "solid_") + std::to_string(n);
      std::printf("\n[%s] %s, %d x %d lateral cells over the die\n", name.c_str(),
                  tool == "hotspot" ? "HotSpot example 2 (EV6, gcc)" : "3D-ICE test_solid topsink",
                  n, n);
      json h = heatop::bench::run_in_child([&] { return run_case(args, tool, n); });
      if (h.contains("iterations"))
        std::printf(
            "    %zu nodes, %d iterations (rel. res. %.1e), setup %.2f s + solve %.2f s, "
            "%.2f M unknowns/s, peak %.0f MiB, T_max %.2f K%s\n",
            h["nodes"].get<std::size_t>(), h["iterations"].get<int>(),
            h["rel_residual"].get<double>(),
            h["import_seconds"].get<double>() + h["discretize_seconds"].get<double>(),
            h["solve_seconds"].get<double>(), h["unknowns_per_second"].get<double>() / 1e6,
            h["child_peak_mib"].get<double>(), h["T_max_K"].get<double>(),
            h["converged"].get<bool>() ? "" : "  NOT CONVERGED");
      else
        std::printf("    FAILED/SKIPPED: %s\n", h.value("error", std::string("?")).c_str());
      json c;
      c["case"] = name;
      c["tool"] = tool;
      c["lateral_cells"] = {n, n};
      if (tool == "hotspot") {
        c["inputs"] =
            hotspot_dir(args) + "/{example.config, ev6.flp, gcc.ptrace, example.materials}";
        c["overrides"] = {"-grid_rows", std::to_string(n), "-grid_cols", std::to_string(n)};
        c["package"] = "full (30 mm spreader, 60 mm sink; graded cells outside the die)";
      } else {
        c["inputs"] = ice_stack(args);
        c["overrides"] = {"grid.nx=" + std::to_string(n + 1), "grid.ny=" + std::to_string(n + 1)};
        c["equivalent_anchor"] = "3D-ICE solid-scaling solid_" + std::to_string(n) +
                                 ".stk (topsink.stk with this cell size)";
      }
      c["heatop"] = h;
      c["reference"] = reference_for(tool, n);
      c["reference_text"] = reference_text(tool, n);
      cases.push_back(c);
    }

  machine["loadavg_end"] = loadavg();
  const std::string tab = table(cases, args.case_timeout);
  std::printf("\n%s", tab.c_str());

  json doc;
  doc["benchmark"] = "heatop_bench_interop";
  doc["machine"] = machine;
  doc["settings"] = {
      {"method", "cg+multigrid"},
      {"rel_tol", kRelTol},
      {"max_iterations", kMaxIterations},
      {"initial_guess", "T_amb of the first convective face"},
      {"peak_memory", "ru_maxrss of the forked child that ran the case (wait4)"},
      {"setup_seconds", "import_seconds + discretize_seconds (import, grid, discretize)"},
      {"solve_seconds", "solve_system report.seconds (multigrid setup + CG)"},
      {"case_timeout_s", args.case_timeout}};
  doc["reference_note"] =
      "Reference timings from issue 5 item 6 (measured by others on a loaded 2-core machine, "
      "512^2 only): HotSpot multigrid build 66 s, HotSpot SuperLU build 251 s / 10 GB, 3D-ICE "
      "99 s / 5.3 GB. The HotSpot EV6 grid-scaling and 3D-ICE solid-scaling reference runs "
      "hold temperatures only (no timings).";
  doc["cases"] = cases;
  doc["table"] = tab;
  int rc = 0;
  try {
    for (const auto& [path, text] : std::vector<std::pair<std::string, std::string>>{
             {args.out, doc.dump(2) + "\n"}, {args.txt, tab}}) {
      if (path.empty()) continue;
      const fs::path p(path);
      if (p.has_parent_path()) fs::create_directories(p.parent_path());
      std::ofstream f(p);
      f << text;
      if (!f) throw std::runtime_error("cannot write " + path);
      std::printf("wrote %s\n", path.c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "heatop_bench_interop: %s\n", e.what());
    rc = 1;
  }
  for (const auto& c : cases) rc |= c["heatop"].contains("iterations") ? 0 : 1;
  return rc;
}
