#include "transient/simulation.hpp"

#include <algorithm>
#include <cmath>

namespace heatop::transient {

std::vector<double> unique_times(std::vector<double> t) {
  std::sort(t.begin(), t.end());
  std::vector<double> out;
  for (double v : t)
    if (out.empty() || std::abs(v - out.back()) > 1e-12 * std::max({1.0, std::abs(v)}))
      out.push_back(v);
  return out;
}

std::vector<double> every(double t0, double t_end, double step) {
  std::vector<double> out;
  if (step > 0)
    for (long k = 1;; ++k) {
      const double t = t0 + static_cast<double>(k) * step;
      if (t > t_end * (1 + 1e-12) + 1e-300) break;
      out.push_back(std::min(t, t_end));
    }
  out.push_back(t_end);
  return unique_times(out);
}

namespace {
struct Stopped {};
}  // namespace

bool simulate(Stepper& st, const Schedule& sc, const SimulationCallbacks& cb) {
  const double eps = 1e-12 * std::max({1.0, std::abs(sc.t0), std::abs(sc.t_end)});
  std::vector<double> stops = sc.breakpoints;
  for (double c : sc.changes)
    if (c > sc.t0 + eps && c < sc.t_end - eps) stops.push_back(c);
  stops.push_back(sc.t_end);
  stops = unique_times(stops);
  const std::vector<double> breaks = unique_times(sc.breakpoints);
  auto is_break = [&](double t) {
    for (double b : breaks)
      if (std::abs(b - t) <= eps) return true;
    return false;
  };
  std::size_t change = 0, sample = 0;
  while (sample < sc.samples.size() && sc.samples[sample] <= sc.t0 + eps) ++sample;
  while (change < sc.changes.size() && sc.changes[change] <= sc.t0 + eps) ++change;
  std::vector<double> buf;
  for (double stop : stops) {
    if (stop > sc.t_end + eps) break;
    const bool on_break = is_break(stop);
    auto step_done = [&](const StepInfo& s) {
      if (cb.on_step) cb.on_step(s);
      for (; sample < sc.samples.size() && sc.samples[sample] <= s.t + eps; ++sample) {
        if (!cb.on_sample) continue;
        if (std::abs(sc.samples[sample] - s.t) <= eps) {
          cb.on_sample(sc.samples[sample], st.temperature());
        } else {
          st.interpolate(sc.samples[sample], buf);
          cb.on_sample(sc.samples[sample], buf);
        }
      }
      // A step that ends on a breakpoint is asked after its snapshot, below; the last step
      // ends the run anyway.
      const bool ends_here = std::abs(s.t - stop) <= eps;
      if (ends_here && (on_break || stop >= sc.t_end - eps)) return;
      if (cb.stop && cb.stop()) throw Stopped();
    };
    if (stop > st.time() + eps) {
      try {
        st.advance_to(stop, step_done);
      } catch (const Stopped&) {
        return false;
      }
    }
    if (cb.on_breakpoint && on_break) cb.on_breakpoint(stop);
    if (on_break && stop < sc.t_end - eps && cb.stop && cb.stop()) return false;
    for (; change < sc.changes.size() && sc.changes[change] <= stop + eps; ++change)
      if (sc.changes[change] < sc.t_end - eps && cb.power) st.set_power(cb.power(change + 1));
  }
  return true;
}

}  // namespace heatop::transient
