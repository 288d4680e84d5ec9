#pragma once
// Time integration of C dT/dt = b(t) - A T on the finite-volume system: backward Euler or
// variable-step BDF2 (both L-stable, for stiff layered stacks), with adaptive steps under a
// local error tolerance in kelvin. Every step solves (A + a C) T = rhs with the steady
// machinery (fv::LayeredOperator with a capacity shift, solve::FvSolver: CG + z-line multigrid);
// when the step size changes only the shift and the coarsest factorization are updated.
//
// Error estimate: the difference between the solution and an explicit predictor built from the
// derivative at the start of the step (and the previous state for BDF2), scaled by the ratio of
// the two methods' error constants (Milne's device): BE h^2/2 y'' against forward Euler; BDF2
// (1 + w)^2 / (6 w (1 + 2w)) h^3 y''' against the quadratic through T(n-1), T(n), T'(n)
// (w = h / h_prev). After a power change the history restarts with one backward Euler step.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fv/system.hpp"
#include "model/names.hpp"
#include "solve/fv_solver.hpp"

namespace heatop::transient {

enum class Method { be, bdf2 };
inline constexpr NameTable<Method, 2> kMethodNames{
    {{Method::be, "be", "backward Euler (first order)"},
     {Method::bdf2, "bdf2",
      "variable-step BDF2 (second order), started by one backward Euler step"}}};

struct StepperOptions {
  Method method = Method::bdf2;
  double tol = 0.01;      // K, local error per step; <= 0: fixed steps of dt
  double dt = 0;          // fixed step (tol <= 0), else the largest step (0 = none)
  double dt_min = 1e-12;  // s; steps never get smaller (accepted, counted as forced)
  double dt_initial = 0;  // s; 0 = from the rate of change at the start and after power changes
  /// Each step's solve stops when its error is provably below solve_error (K, max norm over the
  /// nodes, from the residual: see Stepper::update_weights); 0 = 10 % of tol, or 1e-6 K for fixed
  /// steps. solver_tol is a floor on the relative residual, for error targets below rounding.
  double solve_error = 0;
  double solver_tol = 1e-12;
  void validate() const;
};

/// One accepted step.
struct StepInfo {
  double t = 0, dt = 0;      // s, the time reached and the step
  int order = 1;             // 1 (BE) or 2 (BDF2)
  int iterations = 0;        // CG iterations of the step's solve(s)
  double error = 0;          // K, estimated local error
  double energy_in = 0;      // J, power in over the step
  double energy_out = 0;     // J, heat out through the faces over the step
  double energy_stored = 0;  // J, stored-energy change (the method's dT/dt times C dt)
  double balance_rel = 0;    // |in - out - stored| / max(|in|, |out|, |stored|)
  bool forced = false;       // accepted at dt_min with an error above tol
};

struct StepperStats {
  long accepted = 0, rejected = 0, forced = 0;
  long iterations = 0;     // CG iterations over all solves
  long shift_updates = 0;  // times the hierarchy took a new a (step size change)
  double max_balance_rel = 0;
  double dt_min_used = 0, dt_max_used = 0;
};

class Stepper {
 public:
  /// `sys` must outlive the stepper; its operator gets the capacity cz (fv::capacity_per_area)
  /// and a capacity shift. `cfg` is the design's solver configuration.
  Stepper(fv::System& sys, std::vector<double> cz, const solve::SolverConfig& cfg,
          StepperOptions opt);
  ~Stepper();

  /// Sets the state (time, temperature field) and restarts the history.
  void set_state(double t, std::vector<double> temperature);
  /// New nodal power (W per node) from now on: a discontinuity, the history restarts.
  void set_power(std::vector<double> power);
  /// A time-dependent nodal power (W per node) instead of piecewise-constant steps: called
  /// with the time at the end of every step (the implicit methods take the source there).
  /// For manufactured solutions and smooth inputs; empty to switch off.
  void set_source(std::function<void(double, std::vector<double>&)> source) {
    source_ = std::move(source);
  }
  /// Advances exactly to t_target, calling on_step after every accepted step.
  void advance_to(double t_target, const std::function<void(const StepInfo&)>& on_step);

  /// Dense output: the field at t in [t(n), t(n+1)] of the last accepted step, from the method's
  /// own interpolant (BDF2: the quadratic through T(n-1), T(n), T(n+1); BE: the straight line).
  /// Valid until the next step or set_power/set_state.
  void interpolate(double t, std::vector<double>& out) const;

  double time() const { return t_; }
  const std::vector<double>& temperature() const { return temp_; }
  const StepperStats& stats() const { return stats_; }
  /// Node capacities C (J/K), the solver's layout.
  const std::vector<double>& capacity() const { return cap_; }
  /// The stored energy sum C T (J) of a field, relative to 0 K.
  double stored_energy(const std::vector<double>& t) const;

 private:
  void set_shift(double a);
  void apply_steady(const std::vector<double>& x, std::vector<double>& y) const;
  int solve(const std::vector<double>& rhs, std::vector<double>& x);
  double conserve(const std::vector<double>& rhs, const std::vector<double>& x) const;
  void update_weights();
  void restart_history();

  fv::System& sys_;
  StepperOptions opt_;
  std::unique_ptr<solve::FvSolver> solver_;
  solve::SolveOptions solve_opt_;
  std::vector<double> cap_, temp_, prev_, deriv_, w0_, weights_;
  std::vector<double> a0t_;  // A0 T(n) while a0t_valid_ (set by restart_history)
  bool a0t_valid_ = false;
  double conserve_weight_ = 0;  // sum of (w0 + a C) over the nodes with capacity
  std::vector<double> pred_, hist_, tnew_, fnew_, rhs_;  // advance_to's work vectors
  double solve_error_ = 0;
  double t_ = 0, dt_prev_ = 0, dt_next_ = 0;
  bool have_prev_ = false;
  StepperStats stats_;
  std::function<void(double, std::vector<double>&)> source_;
};

}  // namespace heatop::transient
