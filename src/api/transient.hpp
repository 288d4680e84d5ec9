#pragma once
// A transient run end to end, as `heatop transient` does: the power trace (CSV, or a 3D-ICE
// stack's power values), the initial state, adaptive time stepping (transient::Stepper) and the
// results folder, written while the run proceeds (probes.csv and trace.csv one row per step,
// field snapshots at the requested times). Nothing of size steps x nodes is kept in memory.

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "api/solve.hpp"
#include "interop/importer.hpp"
#include "transient/stepper.hpp"
#include "transient/trace.hpp"

namespace heatop::api {

struct TransientRequest {
  std::string source_path;     // the design (.yaml or .stk): a .stk without trace_path uses
                               // its power values and initial temperature
  std::string trace_path;      // CSV trace (transient/trace.hpp) or HotSpot .ptrace
  std::string hotspot_ptrace;  // a HotSpot source's -p trace, used without trace_path
  double ptrace_interval = 0;  // s per .ptrace row; 0 = the design's transient.ptrace_interval_s
  double until = 0;            // s; 0 = the end of the trace
  transient::StepperOptions stepper;
  double save_every = 0;        // s between field snapshots; 0 = only the end
  std::vector<double> save_at;  // s, snapshot times
  /// s between the rows of probes.csv and of the exported series (values inside a step come
  /// from the method's dense output, so this does not limit the step); 0 = one row per step
  /// (probes) and the end of every power sample (exports); a 3D-ICE stack: its `step`.
  double output_every = 0;
  /// Time series in other tools' layouts: "hotspot" (.ttrace), "3d-ice" (Tflp files). A .stk
  /// source always writes the files of its own output section.
  std::vector<std::string> exports;
  /// Initial state: "" (uniform at the stack's initial temperature, the design's
  /// transient.initial_K, or its reference temperature), "steady" (the steady state of the
  /// first power sample), "steady-mean" (the steady state of the trace's time-averaged power,
  /// HotSpot's steady file), a temperature in K, or a .npy file of shape (nx, ny, nz) from an
  /// earlier run (NaN allowed at void nodes).
  std::string initial;
  int threads = 0;
  /// Called after every accepted step with (t, t_end, steps so far).
  std::function<void(double, double, long)> progress;
  /// Polled after every accepted step: true stops the run there (e.g. on SIGINT/SIGTERM). The
  /// finished part is written as a complete folder whose summary says it is incomplete.
  std::function<bool()> stop;
};

struct TransientResult {
  nlohmann::json summary;
  transient::StepperStats stats;
  double t_max = 0, t_max_time = 0;  // K, s: the hottest node over the run and when
  std::array<double, 3> t_max_where_m{};
  double wall_seconds = 0;
  std::string line;  // the one-line report
  /// False when the run stopped before its end (request.stop, or an error during a step): the
  /// folder then holds the finished part up to t_reached, and summary.json says so.
  bool complete = true;
  double t_reached = 0;     // s, the last accepted step
  std::string stop_reason;  // why it stopped early ("" when complete)
  bool stopped_by_request = false;
};

/// Checks the request against the design (trace columns, times, heat capacities, --until,
/// initial field) and throws std::invalid_argument before anything is written; then runs and
/// writes the results into `out` and commits it. A run stopped early (request.stop, or an error
/// in a step) still commits the finished part: complete = false, and
/// summary.json holds "complete": false with the time reached and the reason.
TransientResult run_transient(const io::LoadedDesign& loaded, const TransientRequest& request,
                              io::OutputDir& out, const RunInfo& info);

/// Whether the source itself asks for a transient run, so that `heatop solve` on it runs the
/// transient analysis (with TransientRequest's defaults) instead of a steady solve: a 3D-ICE
/// stack (.stk) whose solver section says `transient step dt, slot ts`, or a HotSpot model
/// whose power trace has more than one row (what HotSpot simulates over time; HotSpot's steady
/// file, the steady state of the mean power, is `heatop solve` of the imported design).
bool source_asks_for_transient(const interop::DesignSource& source);

/// Reads and checks everything run_transient needs without running (the CLI calls it before
/// creating the output folder, so that bad input leaves nothing behind). Returns the run's
/// start and end times (s).
std::pair<double, double> check_transient(const io::LoadedDesign& loaded,
                                          const TransientRequest& request);

}  // namespace heatop::api
