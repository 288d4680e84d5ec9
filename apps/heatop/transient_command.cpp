// `heatop transient`: load a design, read the trace, step in time, write the results folder.

#include "transient_command.hpp"

#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <sstream>

#include "api/transient.hpp"
#include "interop/importer.hpp"
#include "io/progress.hpp"

namespace heatop::app {

namespace {

// SIGINT / SIGTERM during the run: the run stops after the current step and commits what it has.
volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void on_stop_signal(int sig) { g_stop_signal = sig; }

// Installs the handlers for its lifetime and restores the previous ones.
class StopSignals {
 public:
  StopSignals() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction old_int_ {
  }, old_term_{};
};

}  // namespace

std::unique_ptr<TransientArgs> add_transient_command(CLI::App& app) {
  auto a = std::make_unique<TransientArgs>();
  CLI::App* t = app.add_subcommand("transient",
                                   "Temperature over time under a power trace (docs/transient.md)");
  t->add_option("design", a->design,
                "design file (YAML), 3D-ICE stack (.stk) or HotSpot .config (with --flp, "
                "--ptrace)")
      ->required();
  t->add_option("--trace", a->trace,
                "power trace: CSV (t_s and one column per power block in W, or layer:NAME / "
                "face:top scale) or HotSpot .ptrace; a .stk without it uses its power values, "
                "a HotSpot .config its --ptrace");
  t->add_option("--flp", a->hotspot_flp, "HotSpot floorplan, when the design is a .config");
  t->add_option("--ptrace", a->hotspot_ptrace,
                "HotSpot power trace: the run's trace (rows every -sampling_intvl)");
  t->add_option("--lcf", a->hotspot_lcf, "HotSpot layer configuration file");
  t->add_option("--materials", a->hotspot_materials, "HotSpot materials file");
  t->add_option("--sampling-intvl", a->sampling_intvl,
                "seconds per .ptrace row (default: the config's -sampling_intvl or the design's "
                "transient.ptrace_interval_s)");
  t->add_option("-o,--output", a->output, "output folder")->required();
  t->add_option("--until", a->until, "end time in s (default: the end of the trace)");
  t->add_option("--method", a->method, "be | bdf2 (default bdf2)");
  t->add_option("--tol", a->tol, "local error tolerance per step in K (default 0.01)");
  t->add_option("--dt", a->dt, "step in s: fixed steps without --tol, the largest step with it");
  auto* every = t->add_option("--save-every", a->save_every, "seconds between field snapshots");
  t->add_option("--save-at", a->save_at, "comma-separated snapshot times in s")->excludes(every);
  t->add_option("--probe", a->probe_file, "CSV of points x_mm,y_mm,z_mm; writes probes.csv");
  t->add_option("--output-every", a->output_every,
                "seconds between rows of probes.csv and of exported series (interpolated inside "
                "steps; default: every step; a 3D-ICE stack: its step)");
  t->add_option("--export", a->exports,
                "time series in another tool's layout: hotspot (.ttrace), 3d-ice (Tflp files); "
                "repeatable");
  t->add_flag("--progress", a->progress,
              "show the progress bar even when stderr is not a terminal");
  t->add_flag("--no-progress", a->no_progress, "no progress bar");
  t->add_option("--initial", a->initial,
                "initial state: a temperature in K, 'steady' (first power sample), "
                "'steady-mean' (time-averaged power, as HotSpot's steady file), a T.npy, or "
                "with a HotSpot model a HotSpot init file (default: its -init_file)");
  t->add_option("--set", a->overrides, "override a design key, e.g. --set grid.nx=41");
  t->add_option("--threads", a->threads, "OpenMP threads (default: all cores)")
      ->check(CLI::NonNegativeNumber);
  a->command = t;
  return a;
}

int run_transient(const TransientArgs& args, const std::string& command_line) {
  api::TransientRequest req;
  req.source_path = args.design;
  req.trace_path = args.trace;
  req.until = args.until;
  req.stepper.method = heatop::parse(transient::kMethodNames, args.method, "--method");
  const bool tol_given = args.command->count("--tol") > 0;
  const bool dt_given = args.command->count("--dt") > 0;
  req.stepper.tol = dt_given && !tol_given ? 0.0 : args.tol;
  if (tol_given && !(args.tol > 0)) throw std::invalid_argument("--tol must be > 0 K");
  req.stepper.dt = args.dt;
  req.save_every = args.save_every;
  if (args.command->count("--save-every") && !(args.save_every > 0))
    throw std::invalid_argument("--save-every must be > 0 s");
  if (!args.save_at.empty()) {
    std::stringstream ss(args.save_at);
    std::string item;
    while (std::getline(ss, item, ',')) {
      try {
        std::size_t used = 0;
        req.save_at.push_back(std::stod(item, &used));
        if (used != item.size()) throw std::invalid_argument(item);
      } catch (const std::exception&) {
        throw std::invalid_argument("--save-at: '" + item + "' is not a time in s");
      }
    }
  }
  req.initial = args.initial;
  req.threads = args.threads;
  req.output_every = args.output_every;
  if (args.command->count("--output-every") && !(args.output_every > 0))
    throw std::invalid_argument("--output-every must be > 0 s");
  req.exports = args.exports;
  req.hotspot_ptrace = args.hotspot_ptrace;
  req.ptrace_interval = args.sampling_intvl;
  if (args.command->count("--sampling-intvl") && !(args.sampling_intvl > 0))
    throw std::invalid_argument("--sampling-intvl must be > 0 s");
  std::vector<std::string> warnings;
  const interop::DesignSource src{args.design,      args.hotspot_flp,       args.hotspot_ptrace,
                                  args.hotspot_lcf, args.hotspot_materials, args.overrides};
  const io::LoadedDesign loaded = interop::load_any_design(src, &warnings);
  for (const auto& w : warnings)
    if (w.find("asks for a transient run") == std::string::npos)
      std::fprintf(stderr, "heatop: warning: %s\n", w.c_str());
  api::RunInfo info{args.design, args.overrides, command_line, {}, ""};
  if (!args.probe_file.empty()) info.probes = io::read_probes_csv(args.probe_file);
  // Every input is checked before the output folder exists.
  const auto [t0, t_end] = api::check_transient(loaded, req);
  io::OutputDir out(args.output);
  // Progress on a terminal (or with --progress): simulated time, steps, ETA.
  std::unique_ptr<io::ProgressBar> bar;
  if (!args.no_progress && (args.progress || isatty(fileno(stderr)))) {
    // Counted in simulated time, in the largest of s, ms, us, ns that still gives >= 1000
    // counts over the run, so that the rate reads as simulated time per second.
    const double span = t_end - t0;
    static const std::pair<double, const char*> kUnits[] = {
        {1.0, "s"}, {1e-3, "ms"}, {1e-6, "us"}, {1e-9, "ns"}};
    double unit = 1e-9;
    const char* uname = "ns";
    for (const auto& [u, n] : kUnits)
      if (span / u >= 1000) {
        unit = u;
        uname = n;
        break;
      }
    bar = std::make_unique<io::ProgressBar>("transient", static_cast<long>(std::ceil(span / unit)),
                                            std::string("sim ") + uname);
    req.progress = [&bar, unit, t0 = t0](double t, double, long steps) {
      char text[64];
      std::snprintf(text, sizeof text, "(%ld steps)", steps);
      bar->update(static_cast<long>((t - t0) / unit), text);
    };
  }
  g_stop_signal = 0;
  const StopSignals signals;
  req.stop = [] { return g_stop_signal != 0; };
  const api::TransientResult r = api::run_transient(loaded, req, out, info);
  if (bar) bar->finish(r.complete ? "done" : "stopped");
  std::printf("%s\n", r.line.c_str());
  if (r.complete) return 0;
  std::fprintf(stderr,
               "heatop: the run stopped at t = %.6g s of %.6g s (%s); the finished part is in "
               "%s (summary.json: \"complete\": false)\n",
               r.t_reached, t_end, r.stop_reason.c_str(), args.output.c_str());
  // 128 + the signal, as a shell reports a process ended by it; 2 for an error in a step.
  return r.stopped_by_request ? 128 + static_cast<int>(g_stop_signal) : 2;
}

}  // namespace heatop::app
