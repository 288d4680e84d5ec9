#include "transient/stepper.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace heatop::transient {

namespace {

std::string g(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

void StepperOptions::validate() const {
  if (!std::isfinite(tol)) throw std::invalid_argument("--tol must be a finite number of kelvin");
  if (tol <= 0 && !(dt > 0)) throw std::invalid_argument("fixed steps (no --tol) need --dt > 0");
  if (!(dt >= 0) || !std::isfinite(dt)) throw std::invalid_argument("--dt must be >= 0 s");
  if (!(dt_min > 0)) throw std::invalid_argument("the smallest step must be > 0 s");
  if (!(solver_tol > 0 && solver_tol < 1))
    throw std::invalid_argument("the step solver tolerance must lie in (0, 1)");
  if (!(solve_error >= 0) || !std::isfinite(solve_error))
    throw std::invalid_argument("the step solve error must be >= 0 K");
}

Stepper::Stepper(fv::System& sys, std::vector<double> cz, const solve::SolverConfig& cfg,
                 StepperOptions opt)
    : sys_(sys), opt_(opt) {
  opt_.validate();
  fv::LayeredOperator& op = *sys_.op;
  op.set_capacity(std::move(cz));
  op.set_capacity_shift(0.0);
  cap_.assign(op.size(), 0.0);
  for (int i = 0; i < op.nx(); ++i)
    for (int j = 0; j < op.ny(); ++j)
      for (int k = 0; k < op.nz(); ++k) cap_[op.index(i, j, k)] = op.node_capacity(i, j, k);
  solver_ = std::make_unique<solve::FvSolver>(op, cfg);
  solve_opt_ = cfg.options;
  solve_opt_.rel_tol = opt_.solver_tol;
  temp_.assign(op.size(), 0.0);
  // w0 = A0 1: by symmetry the sum of (A0 + a C) x over all nodes is (w0 + a C)^T x, which
  // gives each step's energy defect without another operator application.
  const std::vector<double> ones(op.size(), 1.0);
  w0_.assign(op.size(), 0.0);
  apply_steady(ones, w0_);
  solve_error_ = opt_.solve_error > 0 ? opt_.solve_error : opt_.tol > 0 ? 0.1 * opt_.tol : 1e-6;
  weights_.assign(op.size(), 0.0);
  solve_opt_.residual_weights = weights_.data();
  solve_opt_.weighted_tol = solve_error_;
  update_weights();
}

void Stepper::update_weights() {
  // (A0 + a C) 1 = w0 + a C: with these weights max |r| / (w0 + a C) bounds the solve's error
  // in kelvin (an M-matrix whose row sums are w0 + a C).
  const double a = sys_.op->capacity_shift();
  conserve_weight_ = 0;
  for (std::size_t p = 0; p < weights_.size(); ++p) {
    const double d = w0_[p] + a * cap_[p];
    weights_[p] = d > 0 ? 1.0 / d : 0.0;
    if (cap_[p] > 0) conserve_weight_ += d;
  }
}

Stepper::~Stepper() = default;

double Stepper::stored_energy(const std::vector<double>& t) const {
  double e = 0;
  for (std::size_t p = 0; p < t.size(); ++p) e += cap_[p] * t[p];
  return e;
}

void Stepper::set_state(double t, std::vector<double> temperature) {
  if (temperature.size() != sys_.op->size())
    throw std::invalid_argument("transient: the state has " + std::to_string(temperature.size()) +
                                " values for " + std::to_string(sys_.op->size()) + " nodes");
  t_ = t;
  temp_ = std::move(temperature);
  restart_history();
}

void Stepper::set_power(std::vector<double> power) {
  if (power.size() != sys_.op->size())
    throw std::invalid_argument("transient: power vector of the wrong size");
  // A sample that repeats the power of the previous one is no discontinuity: keep the history.
  if (power == sys_.power && have_prev_) return;
  sys_.power = std::move(power);
  sys_.power_in = 0;
  for (double p : sys_.power) sys_.power_in += p;
  sys_.compose_rhs();
  restart_history();
}

void Stepper::restart_history() {
  // dT/dt = (b - A0 T) / C. A0 T is kept for the next step, which needs it too.
  const std::size_t n = temp_.size();
  a0t_.resize(n);
  apply_steady(temp_, a0t_);
  a0t_valid_ = true;
  deriv_.assign(n, 0.0);
  for (std::size_t p = 0; p < n; ++p)
    if (cap_[p] > 0) deriv_[p] = (sys_.rhs[p] - a0t_[p]) / cap_[p];
  have_prev_ = false;
  dt_next_ = 0;
}

void Stepper::apply_steady(const std::vector<double>& x, std::vector<double>& y) const {
  // The steady operator A0 without the capacity shift: setting the fine operator's shift is a
  // member assignment (the hierarchy keeps its own), restored before any solve.
  fv::LayeredOperator& op = *sys_.op;
  const double a = op.capacity_shift();
  op.set_capacity_shift(0.0);
  op.apply(x.data(), y.data());
  op.set_capacity_shift(a);
}

void Stepper::set_shift(double a) {
  if (a == sys_.op->capacity_shift()) return;
  sys_.op->set_capacity_shift(a);
  solver_->update_capacity_shift();
  update_weights();
  ++stats_.shift_updates;
}

int Stepper::solve(const std::vector<double>& rhs, std::vector<double>& x) {
  // From the predictor in x; the stopping test bounds the error in kelvin (update_weights).
  // (A field with NaN or Inf that the solver did not flag is caught by advance_to's pass over
  // the new field.)
  const solve::SolveReport rep = solver_->solve(rhs.data(), x.data(), solve_opt_);
  if (rep.reason == "nan")
    throw std::runtime_error("transient: the solver produced NaN or Inf at t = " + g(t_) + " s");
  if (!rep.converged)
    throw std::runtime_error("transient: the step solve at t = " + g(t_) + " s did not converge (" +
                             rep.summary() + ")");
  return rep.iterations;
}

double Stepper::conserve(const std::vector<double>& rhs, const std::vector<double>& x) const {
  // The sum of the step's residual over all nodes is its energy defect (W): the heat the
  // inexact solve created or lost. One uniform correction on the nodes with capacity removes it
  // (the constant vector is the slowest mode a partially converged solve leaves behind); the
  // caller adds it. The weight, sum of (w0 + a C) over those nodes, is update_weights'.
  const double a = sys_.op->capacity_shift();
  double defect = 0;
  for (std::size_t p = 0; p < x.size(); ++p) defect += rhs[p] - (w0_[p] + a * cap_[p]) * x[p];
  if (!(conserve_weight_ > 0)) return 0;
  return defect / conserve_weight_;
}

void Stepper::interpolate(double t, std::vector<double>& out) const {
  // The quadratic through T(n) and T(n+1) with the method's derivative at t(n+1): BDF2's is the
  // derivative of the quadratic through T(n-1), T(n), T(n+1), so this is that quadratic;
  // backward Euler's is (T(n+1) - T(n)) / h, so this is the straight line.
  const std::size_t n = temp_.size();
  out.resize(n);
  if (!have_prev_ || !(dt_prev_ > 0)) {
    out = temp_;
    return;
  }
  const double h = dt_prev_, s = std::clamp(t - t_, -h, 0.0);
  for (std::size_t p = 0; p < n; ++p) {
    const double f = deriv_[p];
    const double c = (prev_[p] - temp_[p] + f * h) / (h * h);
    out[p] = temp_[p] + s * (f + c * s);
  }
}

void Stepper::advance_to(double t_target, const std::function<void(const StepInfo&)>& on_step) {
  const bool adaptive = opt_.tol > 0;
  const std::size_t n = temp_.size();
  // Work vectors kept between calls (a long trace calls this once per power sample).
  std::vector<double>&pred = pred_, &hist = hist_, &tnew = tnew_, &fnew = fnew_, &rhs = rhs_;
  for (auto* v : {&pred, &hist, &tnew, &fnew, &rhs}) v->resize(n);
  const double eps = 1e-12 * std::max(1.0, std::abs(t_target));
  while (t_target - t_ > eps) {
    const double remaining = t_target - t_;
    double dt;
    if (!adaptive) {
      dt = opt_.dt;
    } else if (dt_next_ > 0) {
      dt = dt_next_;
    } else if (opt_.dt_initial > 0) {
      dt = opt_.dt_initial;
    } else {
      double fmax = 0;
      for (double f : deriv_) fmax = std::max(fmax, std::abs(f));
      dt = fmax > 0 ? opt_.tol / fmax : remaining;
    }
    if (adaptive && opt_.dt > 0) dt = std::min(dt, opt_.dt);
    dt = std::max(dt, opt_.dt_min);
    const double proposed = dt;
    bool last = false;
    if (dt >= remaining * (1 - 1e-9)) {
      dt = remaining;
      last = true;
    } else if (adaptive && 2 * dt > remaining) {
      dt = 0.5 * remaining;  // two even steps instead of a tiny one at the end
    }
    // A step that equals the previous one up to rounding (a stop at t(n) + h computed as a
    // difference of times) takes the previous one's exact size: the same shift, so the
    // hierarchy is not rebuilt for a change in the last bits. The time still lands on the stop.
    if (dt_prev_ > 0 && dt != dt_prev_ && std::abs(dt - dt_prev_) <= 1e-9 * dt_prev_) dt = dt_prev_;
    const int order = opt_.method == Method::bdf2 && have_prev_ ? 2 : 1;
    const double w = have_prev_ ? dt / dt_prev_ : 1.0;
    // The step is solved for the increment x = T(n+1) - T(n), so that no term of size C T / dt
    // (which cancels) enters: (A0 + a C) x = b - A0 T(n) + c2 C (T(n) - T(n-1)).
    double a, c2 = 0, factor;
    if (source_) {
      source_(last ? t_target : t_ + dt, sys_.power);
      sys_.power_in = 0;
      for (double q : sys_.power) sys_.power_in += q;
      sys_.compose_rhs();
    }
    // A0 T(n): kept from restart_history or a rejected try while the state has not moved.
    if (!a0t_valid_) {
      a0t_.resize(n);
      apply_steady(temp_, a0t_);
      a0t_valid_ = true;
    }
    const double hp = dt_prev_;
    if (order == 1) {
      a = 1.0 / dt;
      factor = 0.5;
    } else {
      a = (1 + 2 * w) / ((1 + w) * dt);
      c2 = w * w / ((1 + w) * dt);
      const double kc = (1 + w) * (1 + w) / (6 * w * (1 + 2 * w)), kp = (1 + w) / (6 * w);
      factor = kc / (kc + kp);
    }
    set_shift(a);
    for (std::size_t p = 0; p < n; ++p) {
      if (order == 1) {
        pred[p] = dt * deriv_[p];
      } else {
        const double c = (prev_[p] - temp_[p] + deriv_[p] * hp) / (hp * hp);
        pred[p] = deriv_[p] * dt + c * dt * dt;
      }
      const double dprev = order == 2 ? temp_[p] - prev_[p] : 0.0;
      rhs[p] = sys_.rhs[p] - a0t_[p] + c2 * cap_[p] * dprev;
      hist[p] = c2 * dprev;  // f(n+1) = a x - hist
      tnew[p] = cap_[p] > 0 ? pred[p] : 0.0;
    }
    const int its = solve(rhs, tnew);
    const double corr = conserve(rhs, tnew);
    stats_.iterations += its;
    // One pass: the energy correction, the method's derivative, the error estimate, the
    // stored-energy change and a finiteness check.
    double err = 0, stored = 0;
    bool finite = true;
    for (std::size_t p = 0; p < n; ++p) {
      if (cap_[p] > 0) {
        tnew[p] += corr;
        fnew[p] = a * tnew[p] - hist[p];
        err = std::max(err, std::abs(tnew[p] - pred[p]));
      } else {
        fnew[p] = 0.0;
      }
      finite = finite && std::isfinite(tnew[p]);
      stored += dt * cap_[p] * fnew[p];
    }
    if (!finite)
      throw std::runtime_error("transient: the solver produced NaN or Inf at t = " + g(t_) + " s");
    err *= factor;
    const double expo = 1.0 / (order + 1);
    if (adaptive && err > opt_.tol && dt > opt_.dt_min) {
      ++stats_.rejected;
      dt_next_ = std::max(opt_.dt_min, dt * std::max(0.2, 0.9 * std::pow(opt_.tol / err, expo)));
      continue;
    }
    StepInfo info;
    info.dt = dt;
    info.order = order;
    info.iterations = its;
    info.error = err;
    info.forced = adaptive && err > opt_.tol;
    info.energy_in = dt * sys_.power_in;
    for (std::size_t p = 0; p < n; ++p) tnew[p] += temp_[p];  // the increment -> T(n+1)
    const auto out = sys_.op->heat_out(tnew.data(), sys_.power.data());
    for (double q : out) info.energy_out += dt * q;
    info.energy_stored = stored;
    const double scale = std::max({std::abs(info.energy_in), std::abs(info.energy_out),
                                   std::abs(info.energy_stored), 1e-300});
    info.balance_rel = std::abs(info.energy_in - info.energy_out - info.energy_stored) / scale;
    prev_.swap(temp_);
    temp_.swap(tnew);
    a0t_valid_ = false;
    deriv_.swap(fnew);
    tnew.resize(n);  // held the (empty on the first step) previous state
    fnew.resize(n);
    dt_prev_ = dt;
    have_prev_ = true;
    t_ = last ? t_target : t_ + dt;
    info.t = t_;
    ++stats_.accepted;
    stats_.forced += info.forced;
    stats_.max_balance_rel = std::max(stats_.max_balance_rel, info.balance_rel);
    stats_.dt_min_used = stats_.accepted == 1 ? dt : std::min(stats_.dt_min_used, dt);
    stats_.dt_max_used = std::max(stats_.dt_max_used, dt);
    if (adaptive) {
      // Growth at most 2.4x per step (variable-step BDF2 is zero-stable for ratios below
      // 1 + sqrt(2) = 2.414).
      constexpr double kMaxGrowth = 2.4;
      const double grow =
          err > 0 ? std::clamp(0.9 * std::pow(opt_.tol / err, expo), 0.2, kMaxGrowth) : kMaxGrowth;
      dt_next_ = std::max(dt * grow, std::min(proposed, kMaxGrowth * dt));
    }
    if (on_step) on_step(info);
  }
}

}  // namespace heatop::transient
