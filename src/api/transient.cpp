#include "api/transient.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "field/stats.hpp"
#include "interop/ice3d.hpp"
#include "io/npy.hpp"
#include "io/text_util.hpp"
#include "io/vtk.hpp"
#include "plot/plots.hpp"
#include "solve/solver.hpp"

namespace heatop::api {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string g(double v, const char* f = "%.9g") {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

bool is_stk(const std::string& p) {
  std::string e = fs::path(p).extension().string();
  for (auto& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return e == ".stk";
}

struct Prepared {
  transient::PowerTrace trace;
  double t0 = 0, t_end = 0;
  model::Grid grid;
  std::vector<double> cz;
  std::vector<double> initial;  // empty: steady
  bool steady_start = false;
  std::string initial_desc;
};

Prepared prepare(const io::LoadedDesign& loaded, const TransientRequest& req) {
  const model::Design& d = loaded.design;
  Prepared p;
  req.stepper.validate();
  const bool stk = is_stk(req.source_path);
  if (!req.trace_path.empty())
    p.trace = transient::read_trace_csv(req.trace_path);
  else if (stk)
    p.trace = transient::ice3d_trace(req.source_path);
  else
    throw std::invalid_argument(
        "a transient run needs a power trace: --trace FILE (CSV: t_s and "
        "one column per power block)");
  transient::validate_trace(p.trace, d);
  p.t0 = p.trace.times.front();
  if (req.until != 0) {
    if (!(req.until > p.t0) || !std::isfinite(req.until))
      throw std::invalid_argument(
          "--until " + g(req.until) +
          " s is not after the first sample of the trace (t_s = " + g(p.t0) + " s)");
    p.t_end = req.until;
  } else if (p.trace.end > 0) {
    p.t_end = p.trace.end;
  } else if (p.trace.times.size() > 1) {
    const auto& t = p.trace.times;
    p.t_end =
        t.back() + (t.back() - t[t.size() - 2]);  // the last sample lasts as long as the one before
  } else {
    throw std::invalid_argument("the trace has one sample: give --until S (the end of the run)");
  }
  if (req.save_every < 0 || !std::isfinite(req.save_every))
    throw std::invalid_argument("--save-every must be > 0 s");
  for (double s : req.save_at)
    if (!std::isfinite(s) || s < p.t0 || s > p.t_end)
      throw std::invalid_argument("--save-at " + g(s) + " s lies outside the run [" + g(p.t0) +
                                  ", " + g(p.t_end) + "] s");
  for (const auto& l : d.layers)
    if (l.has_footprint())
      throw std::invalid_argument("layer '" + l.name +
                                  "' has a footprint (void regions): transient runs of such "
                                  "designs are not supported yet");
  p.grid = model::build_grid(d);
  check_memory(p.grid.size());
  p.cz = fv::capacity_per_area(d, p.grid);
  // Initial state.
  const std::string& ini = req.initial;
  double t_uniform = model::reference_temperature(d);
  p.initial_desc = "uniform";
  if (ini.empty() && stk) {
    const auto s = interop::ice3d::read_stack(req.source_path);
    if (s.t_initial > 0) t_uniform = s.t_initial;
  }
  if (ini == "steady") {
    p.steady_start = true;
    p.initial_desc = "steady";
    return p;
  }
  if (!ini.empty()) {
    char* end = nullptr;
    const double v = std::strtod(ini.c_str(), &end);
    if (end && *end == '\0' && end != ini.c_str()) {
      if (!(v > 0) || !std::isfinite(v))
        throw std::invalid_argument("--initial " + ini + ": a temperature must be > 0 K");
      t_uniform = v;
    } else {
      io::NpyArray a;
      try {
        a = io::read_npy(ini);
      } catch (const std::exception& e) {
        throw std::invalid_argument("--initial: cannot read the initial field: " +
                                    std::string(e.what()));
      }
      const std::vector<std::size_t> want{static_cast<std::size_t>(p.grid.nx()),
                                          static_cast<std::size_t>(p.grid.ny()),
                                          static_cast<std::size_t>(p.grid.nz())};
      if (a.shape != want) {
        std::string got;
        for (auto s : a.shape) got += (got.empty() ? "" : " x ") + std::to_string(s);
        throw std::invalid_argument("--initial " + ini + ": the field has shape (" + got +
                                    "), the design's grid is " + std::to_string(want[0]) + " x " +
                                    std::to_string(want[1]) + " x " + std::to_string(want[2]));
      }
      for (double v2 : a.data)
        if (!std::isfinite(v2) || v2 <= 0)
          throw std::invalid_argument("--initial " + ini +
                                      ": the field holds NaN, infinite or non-positive values");
      p.initial = std::move(a.data);
      p.initial_desc = ini;
      return p;
    }
  }
  p.initial.assign(p.grid.size(), t_uniform);
  p.initial_desc = "uniform " + g(t_uniform, "%.6g") + " K";
  return p;
}

}  // namespace

void check_transient(const io::LoadedDesign& loaded, const TransientRequest& req) {
  prepare(loaded, req);
}

TransientResult run_transient(const io::LoadedDesign& loaded, const TransientRequest& req,
                              io::OutputDir& out, const RunInfo& info) {
  const auto wall0 = std::chrono::steady_clock::now();
  if (req.threads > 0) omp_set_num_threads(req.threads);
  Prepared p = prepare(loaded, req);
  const model::Design& d = loaded.design;
  const model::Grid& grid = p.grid;
  const auto& tr = p.trace;
  fv::System sys = fv::discretize(transient::design_at(d, tr, 0), grid);
  std::vector<double> t_init = p.initial;
  solve::SolveReport steady_rep;
  if (p.steady_start) {
    t_init.assign(grid.size(), model::reference_temperature(d));
    steady_rep = solve::solve_system(*sys.op, sys.rhs.data(), t_init.data(), loaded.solver);
    if (!steady_rep.converged)
      throw std::runtime_error("the steady initial state did not converge (" +
                               steady_rep.summary() + ")");
  }
  transient::Stepper st(sys, p.cz, loaded.solver, req.stepper);
  st.set_state(p.t0, t_init);
  const double e0 = st.stored_energy(st.temperature());

  // Breakpoints: power changes, snapshots, the end.
  std::vector<double> saves = req.save_at;
  if (req.save_every > 0)
    for (long k = 1;; ++k) {
      const double t = p.t0 + k * req.save_every;
      if (t > p.t_end * (1 + 1e-12)) break;
      saves.push_back(std::min(t, p.t_end));
    }
  saves.push_back(p.t_end);
  std::sort(saves.begin(), saves.end());
  saves.erase(std::unique(saves.begin(), saves.end(),
                          [&](double a, double b) { return std::abs(a - b) <= 1e-12 * p.t_end; }),
              saves.end());

  // Streamed outputs.
  const std::size_t np = info.probes.size();
  field::Field3D f{grid.x, grid.y, grid.z, {}, "T", "K"};
  std::ofstream probes_csv, trace_csv;
  if (np > 0) {
    probes_csv.open(out.file("probes.csv"));
    probes_csv << "t_s";
    for (std::size_t q = 0; q < np; ++q) probes_csv << ",p" << q + 1 << "_T_K";
    probes_csv << "\n";
  }
  trace_csv.open(out.file("trace.csv"));
  trace_csv << "t_s,dt_s,power_W,T_max_K";
  for (const auto& l : d.layers)
    trace_csv << "," << l.name << "_max_K," << l.name << "_mean_K," << l.name << "_min_K";
  trace_csv << ",cg_iterations,error_K,balance_rel\n";
  std::vector<std::pair<int, int>> lrange;
  for (std::size_t l = 0; l < d.layers.size(); ++l)
    lrange.push_back(field::layer_nodes(grid, static_cast<int>(l)));

  TransientResult res;
  res.t_max = -1e300;
  std::vector<double> plot_t, plot_peak;
  std::vector<std::vector<double>> plot_probes(np);
  json snapshots = json::array();
  std::vector<std::pair<double, std::string>> pvd;
  const bool uniform = io::is_uniform(grid.x) && io::is_uniform(grid.y) && io::is_uniform(grid.z);
  std::vector<double> step_its;
  double e_in = 0, e_out = 0, e_stored = 0;

  auto record = [&](double t, const transient::StepInfo* s) {
    const auto& T = st.temperature();
    std::size_t arg = 0;
    for (std::size_t q = 1; q < T.size(); ++q)
      if (T[q] > T[arg]) arg = q;
    if (T[arg] > res.t_max) {
      res.t_max = T[arg];
      res.t_max_time = t;
      const int nz = grid.nz(), ny = grid.ny();
      const int i = static_cast<int>(arg / (static_cast<std::size_t>(ny) * nz));
      const int j = static_cast<int>((arg / nz) % ny), k = static_cast<int>(arg % nz);
      res.t_max_where_m = {grid.x[i], grid.y[j], grid.z[k]};
    }
    trace_csv << g(t) << "," << (s ? g(s->dt) : "0") << "," << g(sys.power_in) << ","
              << g(T[arg], "%.6f");
    for (const auto& [k0, k1] : lrange) {
      double mx = -1e300, mn = 1e300, sum = 0;
      std::size_t cnt = 0;
      for (int i = 0; i < grid.nx(); ++i)
        for (int j = 0; j < grid.ny(); ++j)
          for (int k = std::max(k0, 0); k <= k1; ++k) {
            const double v = T[grid.index(i, j, k)];
            mx = std::max(mx, v);
            mn = std::min(mn, v);
            sum += v;
            ++cnt;
          }
      trace_csv << "," << g(mx, "%.6f") << "," << g(cnt ? sum / cnt : 0, "%.6f") << ","
                << g(mn, "%.6f");
    }
    trace_csv << "," << (s ? s->iterations : 0) << "," << (s ? g(s->error, "%.3g") : "0") << ","
              << (s ? g(s->balance_rel, "%.3g") : "0") << "\n";
    trace_csv.flush();
    plot_t.push_back(t);
    plot_peak.push_back(T[arg]);
    if (np > 0) {
      f.values = T;
      probes_csv << g(t);
      for (std::size_t q = 0; q < np; ++q) {
        const auto& pr = info.probes[q];
        const double v = io::interpolate_trilinear(f, pr.x_m, pr.y_m, pr.z_m);
        probes_csv << "," << g(v, "%.6f");
        plot_probes[q].push_back(v);
      }
      probes_csv << "\n";
      probes_csv.flush();
    }
  };
  auto snapshot = [&](double t) {
    const std::string stem = "T_" + g(t, "%.6g");
    f.values = st.temperature();
    io::write_npy(out.file(stem + ".npy"), {f.nx(), f.ny(), f.nz()}, f.values);
    const std::string vtk = stem + (uniform ? ".vti" : ".vtr");
    if (uniform)
      io::write_vti(out.file(vtk), f);
    else
      io::write_vtr(out.file(vtk), f);
    pvd.push_back({t, vtk});
    snapshots.push_back({{"t_s", t}, {"npy", stem + ".npy"}, {"vtk", vtk}});
  };

  record(p.t0, nullptr);
  std::size_t sample = 0;
  std::size_t next_save = 0;
  if (!saves.empty() && saves[0] <= p.t0) {
    snapshot(p.t0);
    ++next_save;
  }
  while (st.time() < p.t_end * (1 - 1e-15) && next_save <= saves.size()) {
    const double next_change = sample + 1 < tr.times.size()
                                   ? tr.times[sample + 1]
                                   : std::numeric_limits<double>::infinity();
    const double next_snap = next_save < saves.size() ? saves[next_save] : p.t_end;
    const double target = std::min({next_change, next_snap, p.t_end});
    st.advance_to(target, [&](const transient::StepInfo& s) {
      e_in += s.energy_in;
      e_out += s.energy_out;
      e_stored += s.energy_stored;
      step_its.push_back(s.iterations);
      record(s.t, &s);
      if (req.progress) req.progress(s.t, p.t_end);
    });
    if (next_save < saves.size() && std::abs(target - saves[next_save]) <= 1e-12 * p.t_end) {
      snapshot(target);
      ++next_save;
    }
    if (std::isfinite(next_change) &&
        std::abs(target - next_change) <= 1e-12 * std::max(1.0, std::abs(next_change))) {
      ++sample;
      st.set_power(fv::assemble_power(transient::design_at(d, tr, sample), grid));
    }
    if (target >= p.t_end) break;
  }
  trace_csv.close();
  if (np > 0) probes_csv.close();

  // The .pvd series ParaView animates.
  {
    std::ofstream pv(out.file("T.pvd"));
    pv << "<?xml version=\"1.0\"?>\n<VTKFile type=\"Collection\" version=\"0.1\">\n"
          "  <Collection>\n";
    for (const auto& [t, file] : pvd)
      pv << "    <DataSet timestep=\"" << g(t) << "\" part=\"0\" file=\"" << file << "\"/>\n";
    pv << "  </Collection>\n</VTKFile>\n";
  }
  {
    std::vector<plot::Panel> panels(1);
    panels[0].title = d.name + ": temperature over time";
    panels[0].x_label = "t (s)";
    panels[0].y_label = "T (K)";
    panels[0].series.push_back({"peak", plot_t, plot_peak});
    for (std::size_t q = 0; q < np; ++q)
      panels[0].series.push_back({"probe " + std::to_string(q + 1), plot_t, plot_probes[q]});
    plot::write_line_plot_png(out.file("temperature_vs_time.png"), panels);
  }

  const auto& stats = st.stats();
  res.stats = stats;
  const double stored = st.stored_energy(st.temperature()) - e0;
  const double scale = std::max({std::abs(e_in), std::abs(e_out), std::abs(e_stored), 1e-300});
  res.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  json s;
  s["source"] = "fv-transient";
  s["design"] = d.name;
  s["trace"] = tr.source;
  s["t_start_s"] = p.t0;
  s["t_end_s"] = p.t_end;
  s["initial"] = p.initial_desc;
  s["method"] = heatop::name(transient::kMethodNames, req.stepper.method);
  s["tol_K"] = req.stepper.tol;
  s["dt_s"] = req.stepper.dt;
  s["steps"] = {{"accepted", stats.accepted},       {"rejected", stats.rejected},
                {"forced_at_dt_min", stats.forced}, {"dt_min_s", stats.dt_min_used},
                {"dt_max_s", stats.dt_max_used},    {"hierarchy_updates", stats.shift_updates}};
  s["cg_iterations"] = {
      {"total", stats.iterations},
      {"per_step_mean",
       stats.accepted ? double(stats.iterations) / double(stats.accepted + stats.rejected) : 0.0},
      {"per_step_max",
       step_its.empty() ? 0.0 : *std::max_element(step_its.begin(), step_its.end())}};
  s["wall_seconds"] = res.wall_seconds;
  s["T_max_over_run_K"] = res.t_max;
  s["T_max_time_s"] = res.t_max_time;
  s["T_max_where_mm"] = {res.t_max_where_m[0] * 1e3, res.t_max_where_m[1] * 1e3,
                         res.t_max_where_m[2] * 1e3};
  s["energy"] = {{"in_J", e_in},
                 {"out_J", e_out},
                 {"stored_change_J", e_stored},
                 {"stored_change_C_dT_J", stored},
                 {"run_balance_rel", std::abs(e_in - e_out - e_stored) / scale},
                 {"max_step_balance_rel", stats.max_balance_rel}};
  s["snapshots"] = snapshots;
  json probes = json::array();
  for (const auto& pr : info.probes) probes.push_back({pr.x_m * 1e3, pr.y_m * 1e3, pr.z_m * 1e3});
  s["probes_mm"] = probes;  // probes.csv column pN_T_K is entry N
  s["threads"] = omp_get_max_threads();
  // The final field as in a steady results folder (T.npy, T.vti, pictures, design, manifest).
  ResultContext ctx{&loaded, info.design_path, info.overrides, info.command_line, {}, 0};
  field::Field3D final{grid.x, grid.y, grid.z, st.temperature(), "T", "K"};
  json fin;
  write_field_results(out, ctx, grid, final, fin);
  s["final"] = {{"T_max_K", fin["T_max_K"]},
                {"T_mean_K", fin["T_mean_K"]},
                {"T_min_K", fin["T_min_K"]},
                {"layers", fin["layers"]}};
  s["grid"] = fin["grid"];
  s["heatop_version"] = fin["heatop_version"];
  res.summary = s;
  finish_results(out, s);
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "%s: transient %s to %.6g s | %ld steps (%ld rejected), %ld CG it | peak %.3f K "
                "at t = %.6g s, (%.3f, %.3f, %.3f) mm | balance %.1e | %.2f s -> %s",
                d.name.c_str(), heatop::name(transient::kMethodNames, req.stepper.method), p.t_end,
                stats.accepted, stats.rejected, stats.iterations, res.t_max, res.t_max_time,
                res.t_max_where_m[0] * 1e3, res.t_max_where_m[1] * 1e3, res.t_max_where_m[2] * 1e3,
                stats.max_balance_rel, res.wall_seconds, out.target().c_str());
  res.line = buf;
  return res;
}

}  // namespace heatop::api
