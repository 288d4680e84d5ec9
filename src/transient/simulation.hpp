#pragma once
// The time loop of a transient run over a piecewise-constant power trace: steps land exactly on
// every power change and on the requested breakpoints (field snapshots), and output instants
// that fall inside a step are served by the method's dense output (Stepper::interpolate), so
// that a fine output interval (3D-ICE's `step`, probe rows every millisecond) does not force
// small steps. Used by api::run_transient and the transient benchmark.

#include <cstddef>
#include <functional>
#include <vector>

#include "transient/stepper.hpp"

namespace heatop::transient {

struct Schedule {
  double t0 = 0, t_end = 0;  // s
  /// Start times of the power samples after the first (the power changes there), increasing.
  std::vector<double> changes;
  /// Times the steps must land on (snapshots), within [t0, t_end].
  std::vector<double> breakpoints;
  /// Output instants in (t0, t_end] served by dense output, increasing.
  std::vector<double> samples;
};

struct SimulationCallbacks {
  /// The nodal power (W per node) of power sample s >= 1, called at changes[s - 1].
  std::function<std::vector<double>(std::size_t)> power;
  /// After every accepted step; the stepper holds the state at the step's end.
  std::function<void(const StepInfo&)> on_step;
  /// At every output instant, with the field there (interpolated inside a step).
  std::function<void(double, const std::vector<double>&)> on_sample;
  /// When a breakpoint is reached (the stepper holds the state there).
  std::function<void(double)> on_breakpoint;
  /// Asked once everything at an instant is done (the step's samples and, on a breakpoint, its
  /// snapshot); true ends the run there.
  std::function<bool()> stop;
};

/// Sorted, de-duplicated times (two times within 1e-12 of the larger magnitude are one).
std::vector<double> unique_times(std::vector<double> t);

/// The instants t0 + k * every (k >= 1) up to t_end, and t_end.
std::vector<double> every(double t0, double t_end, double every);

/// Runs the stepper from its current state (time t0, power of sample 0 already set) to t_end.
/// Returns false when `callbacks.stop` ended the run before t_end (the stepper holds the state
/// of the last accepted step, and every output up to it has been delivered).
bool simulate(Stepper& stepper, const Schedule& schedule, const SimulationCallbacks& callbacks);

}  // namespace heatop::transient
