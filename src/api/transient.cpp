#include "api/transient.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>

#include "field/stats.hpp"
#include "interop/export_formats.hpp"
#include "interop/hotspot.hpp"
#include "interop/ice3d.hpp"
#include "io/npy.hpp"
#include "io/text_util.hpp"
#include "io/vtk.hpp"
#include "plot/plots.hpp"
#include "solve/solver.hpp"
#include "transient/series.hpp"
#include "transient/simulation.hpp"

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
  std::optional<interop::ice3d::Stack> stack;  // a .stk source
  double output_every = 0;
  transient::PowerTrace trace;
  double t0 = 0, t_end = 0;
  model::Grid grid;
  std::vector<double> cz;
  std::vector<double> initial;  // empty: steady
  bool steady_start = false, steady_mean = false;
  std::string initial_desc;
};

Prepared prepare(const io::LoadedDesign& loaded, const TransientRequest& req) {
  const model::Design& d = loaded.design;
  Prepared p;
  req.stepper.validate();
  if (loaded.solver.backend != solve::Backend::native)
    throw std::invalid_argument(
        std::string("solver.backend is ") + name(solve::kBackendNames, loaded.solver.backend) +
        ", but the transient analysis runs on heatop's native solver only; use "
        "solver.backend: native (or --set solver.backend=native) for this run");
  const bool stk = is_stk(req.source_path);
  if (stk) p.stack = interop::ice3d::read_stack(req.source_path);
  const double ptrace_dt =
      req.ptrace_interval > 0 ? req.ptrace_interval : loaded.transient.ptrace_interval_s;
  auto is_ptrace = [](const std::string& f) {
    std::string e = fs::path(f).extension().string();
    for (auto& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return e == ".ptrace";
  };
  if (!req.trace_path.empty() && is_ptrace(req.trace_path))
    p.trace = transient::read_trace_ptrace(req.trace_path, ptrace_dt, d);
  else if (!req.trace_path.empty())
    p.trace = transient::read_trace_csv(req.trace_path);
  else if (stk)
    p.trace = transient::ice3d_trace(req.source_path);
  else if (!req.hotspot_ptrace.empty())
    p.trace = transient::read_trace_ptrace(req.hotspot_ptrace, ptrace_dt, d);
  else
    throw std::invalid_argument(
        "a transient run needs a power trace: --trace FILE (CSV: t_s and "
        "one column per power block; or a HotSpot .ptrace)");
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
  if (req.output_every < 0 || !std::isfinite(req.output_every))
    throw std::invalid_argument("--output-every must be > 0 s");
  p.output_every = req.output_every;
  if (p.output_every == 0 && p.stack && p.stack->transient && p.stack->step > 0)
    p.output_every = p.stack->step;
  for (const auto& e : req.exports) interop::check_export_format(e);
  for (double s : req.save_at)
    if (!std::isfinite(s) || s < p.t0 || s > p.t_end)
      throw std::invalid_argument("--save-at " + g(s) + " s lies outside the run [" + g(p.t0) +
                                  ", " + g(p.t_end) + "] s");
  p.grid = model::build_grid(d);
  check_memory(p.grid.size());
  p.cz = fv::capacity_per_area(d, p.grid);
  // Initial state.
  const std::string& ini = req.initial;
  double t_uniform = model::reference_temperature(d);
  p.initial_desc = "uniform";
  if (ini.empty() && p.stack && p.stack->t_initial > 0) t_uniform = p.stack->t_initial;
  if (ini.empty() && loaded.transient.initial_K > 0) t_uniform = loaded.transient.initial_K;
  if (ini == "steady" || ini == "steady-mean") {
    p.steady_start = true;
    p.steady_mean = ini == "steady-mean";
    p.initial_desc = ini;
    return p;
  }
  // A HotSpot model's own initial temperatures: its -init_file, or --initial naming such a
  // file (any name but a number, steady, steady-mean or a .npy).
  const auto& hs_reader = loaded.transient.read_initial_file;
  const bool npy = io::text::lower(fs::path(ini).extension().string()) == ".npy";
  std::string hotspot_init;
  if (ini.empty() && !loaded.transient.initial_file.empty() && hs_reader)
    hotspot_init = loaded.transient.initial_file;
  char* end = nullptr;
  const double number = ini.empty() ? 0 : std::strtod(ini.c_str(), &end);
  const bool is_number = !ini.empty() && end && *end == '\0' && end != ini.c_str();
  if (!ini.empty() && !is_number && !npy && hs_reader) hotspot_init = ini;
  std::vector<double> field;
  if (!hotspot_init.empty()) {
    field = hs_reader(hotspot_init, d, p.grid);
    p.initial_desc = "HotSpot init file " + hotspot_init;
  } else if (is_number) {
    if (!(number > 0) || !std::isfinite(number))
      throw std::invalid_argument("--initial " + ini + ": a temperature must be > 0 K");
    t_uniform = number;
  } else if (!ini.empty()) {
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
      if (!std::isnan(v2) && (!std::isfinite(v2) || v2 <= 0))
        throw std::invalid_argument("--initial " + ini +
                                    ": the field holds infinite or non-positive values");
    field = std::move(a.data);
    p.initial_desc = ini;
  }
  if (!field.empty()) {
    // NaN marks void nodes (outside layer footprints) in heatop's own fields.
    bool any_nan = false;
    for (double v2 : field) any_nan = any_nan || std::isnan(v2);
    if (any_nan) {
      const fv::System probe = fv::discretize(d, p.grid);
      for (int i = 0; i < p.grid.nx(); ++i)
        for (int j = 0; j < p.grid.ny(); ++j)
          for (int k = 0; k < p.grid.nz(); ++k) {
            double& v2 = field[p.grid.index(i, j, k)];
            if (!std::isnan(v2)) continue;
            if (probe.op->node_active(i, j, k))
              throw std::invalid_argument(
                  "--initial " + (hotspot_init.empty() ? ini : hotspot_init) +
                  ": the field holds NaN at (" + g(p.grid.x[i] * 1e3, "%.4g") + ", " +
                  g(p.grid.y[j] * 1e3, "%.4g") + ", " + g(p.grid.z[k] * 1e3, "%.4g") +
                  ") mm, a node with material");
            v2 = 0;
          }
    }
    p.initial = std::move(field);
    return p;
  }
  p.initial.assign(p.grid.size(), t_uniform);
  p.initial_desc = "uniform " + g(t_uniform, "%.6g") + " K";
  return p;
}

}  // namespace

bool source_asks_for_transient(const interop::DesignSource& source) {
  if (is_stk(source.path)) return interop::ice3d::read_stack(source.path).transient;
  return !source.hotspot_ptrace.empty() &&
         interop::hotspot::read_ptrace(source.hotspot_ptrace).rows.size() > 1;
}

std::pair<double, double> check_transient(const io::LoadedDesign& loaded,
                                          const TransientRequest& req) {
  const Prepared p = prepare(loaded, req);
  return {p.t0, p.t_end};
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
    if (p.steady_mean) {  // the steady state of the time-averaged power (HotSpot's steady file)
      const fv::System mean_sys =
          fv::discretize(transient::design_at(
                             d, transient::mean_trace(tr, p.t0, tr.end > 0 ? tr.end : p.t_end), 0),
                         grid);
      steady_rep =
          solve::solve_system(*mean_sys.op, mean_sys.rhs.data(), t_init.data(), loaded.solver);
    } else {
      steady_rep = solve::solve_system(*sys.op, sys.rhs.data(), t_init.data(), loaded.solver);
    }
    if (!steady_rep.converged)
      throw std::runtime_error("the steady initial state did not converge (" +
                               steady_rep.summary() + ")");
  }
  // Void nodes (outside layer footprints): no material, held at 0 by their decoupled rows,
  // left out of every statistic and NaN in the written fields.
  std::vector<char> active(grid.size(), 1);
  std::size_t void_nodes = 0;
  for (int i = 0; i < grid.nx(); ++i)
    for (int j = 0; j < grid.ny(); ++j)
      for (int k = 0; k < grid.nz(); ++k)
        if (!sys.op->node_active(i, j, k)) {
          active[grid.index(i, j, k)] = 0;
          t_init[grid.index(i, j, k)] = 0;
          ++void_nodes;
        }
  auto masked = [&](const std::vector<double>& T) {
    std::vector<double> v = T;
    if (void_nodes)
      for (std::size_t q = 0; q < v.size(); ++q)
        if (!active[q]) v[q] = std::nan("");
    return v;
  };
  transient::Stepper st(sys, p.cz, loaded.solver, req.stepper);
  st.set_state(p.t0, t_init);
  const double e0 = st.stored_energy(st.temperature());

  // Snapshots (steps land on them), the end.
  std::vector<double> saves = req.save_at;
  if (req.save_every > 0) {
    const auto ev = transient::every(p.t0, p.t_end, req.save_every);
    saves.insert(saves.end(), ev.begin(), ev.end());
  }
  saves.push_back(p.t_end);
  saves = transient::unique_times(saves);

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
  std::vector<double> lmax(lrange.size()), lmin(lrange.size()), lsum(lrange.size());
  std::vector<std::size_t> lcnt(lrange.size());

  // Series in other tools' layouts: a .stk's own output requests, --export.
  std::vector<std::string> notes;
  std::vector<std::unique_ptr<transient::SeriesWriter>> series;
  const auto file_fn = [&](const std::string& n) { return out.file(n); };
  if (p.stack) series = transient::ice3d_series(*p.stack, d, grid, p.t0, p.t_end, file_fn, &notes);
  std::vector<double> sample_ends;  // the end of every power sample (HotSpot's rows)
  for (std::size_t k = 1; k < tr.times.size(); ++k)
    if (tr.times[k] < p.t_end) sample_ends.push_back(tr.times[k]);
  sample_ends.push_back(p.t_end);
  const std::vector<double> export_instants =
      p.output_every > 0 ? transient::every(p.t0, p.t_end, p.output_every) : sample_ends;
  for (const auto& e : req.exports) {
    if (e == "hotspot") {
      series.push_back(transient::hotspot_ttrace(d, grid, export_instants, file_fn));
    } else if (e == "3d-ice") {
      auto w = transient::ice3d_tflp_series(d, grid, export_instants, file_fn);
      for (auto& x : w) series.push_back(std::move(x));
    }
  }
  std::vector<double> probe_instants;
  if (np > 0 && p.output_every > 0)
    probe_instants = transient::every(p.t0, p.t_end, p.output_every);
  std::vector<double> samples = probe_instants;
  for (const auto& w : series)
    samples.insert(samples.end(), w->instants().begin(), w->instants().end());
  samples = transient::unique_times(samples);
  std::vector<std::size_t> next_row(series.size(), 0);
  std::size_t next_probe = 0;
  const double teps = 1e-12 * std::max({1.0, std::abs(p.t0), std::abs(p.t_end)});

  TransientResult res;
  res.t_max = -1e300;
  std::vector<double> plot_t, plot_peak;
  std::vector<std::vector<double>> plot_probes(np);
  std::vector<double> plot_probe_t;
  json snapshots = json::array();
  std::vector<std::pair<double, std::string>> pvd;
  const bool uniform = io::is_uniform(grid.x) && io::is_uniform(grid.y) && io::is_uniform(grid.z);
  std::vector<double> step_its;
  double e_in = 0, e_out = 0, e_stored = 0;
  long rows_probe = 0;

  auto probe_row = [&](double t, const std::vector<double>& T) {
    f.values = masked(T);
    probes_csv << g(t);
    plot_probe_t.push_back(t);
    for (std::size_t q = 0; q < np; ++q) {
      const auto& pr = info.probes[q];
      const double v = io::interpolate_trilinear(f, pr.x_m, pr.y_m, pr.z_m);
      probes_csv << "," << g(v, "%.6f");
      plot_probes[q].push_back(v);
    }
    probes_csv << "\n";
    probes_csv.flush();
    ++rows_probe;
  };
  auto record = [&](double t, const transient::StepInfo* s) {
    // One pass over the field, column by column (a column's nodes are contiguous): the peak
    // and every layer's max/mean/min (each layer's sum in the same node order as a pass of
    // its own).
    const auto& T = st.temperature();
    const int nz = grid.nz();
    const std::size_t nl = lrange.size();
    std::size_t arg = 0;
    while (!active[arg]) ++arg;
    std::fill(lmax.begin(), lmax.end(), -1e300);
    std::fill(lmin.begin(), lmin.end(), 1e300);
    std::fill(lsum.begin(), lsum.end(), 0.0);
    std::fill(lcnt.begin(), lcnt.end(), 0);
    for (std::size_t c0 = 0; c0 < T.size(); c0 += static_cast<std::size_t>(nz)) {
      const double* tc = T.data() + c0;
      const char* ac = active.data() + c0;
      for (int k = 0; k < nz; ++k)
        if (ac[k] && tc[k] > T[arg]) arg = c0 + k;
      for (std::size_t l = 0; l < nl; ++l) {
        double mx = lmax[l], mn = lmin[l], sum = lsum[l];
        std::size_t cnt = lcnt[l];
        for (int k = std::max(lrange[l].first, 0); k <= lrange[l].second; ++k) {
          if (!ac[k]) continue;
          const double v = tc[k];
          mx = std::max(mx, v);
          mn = std::min(mn, v);
          sum += v;
          ++cnt;
        }
        lmax[l] = mx, lmin[l] = mn, lsum[l] = sum, lcnt[l] = cnt;
      }
    }
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
    for (std::size_t l = 0; l < nl; ++l)
      trace_csv << "," << g(lmax[l], "%.6f") << "," << g(lcnt[l] ? lsum[l] / lcnt[l] : 0, "%.6f")
                << "," << g(lmin[l], "%.6f");
    trace_csv << "," << (s ? s->iterations : 0) << "," << (s ? g(s->error, "%.3g") : "0") << ","
              << (s ? g(s->balance_rel, "%.3g") : "0") << "\n";
    trace_csv.flush();
    plot_t.push_back(t);
    plot_peak.push_back(T[arg]);
    if (np > 0 && p.output_every == 0) probe_row(t, T);
  };
  auto snapshot = [&](double t) {
    const std::string stem = "T_" + g(t, "%.6g");
    f.values = masked(st.temperature());
    io::write_npy(out.file(stem + ".npy"), {f.nx(), f.ny(), f.nz()}, f.values);
    const std::string vtk = stem + (uniform ? ".vti" : ".vtr");
    if (uniform)
      io::write_vti(out.file(vtk), f);
    else
      io::write_vtr(out.file(vtk), f);
    pvd.push_back({t, vtk});
    snapshots.push_back({{"t_s", t}, {"npy", stem + ".npy"}, {"vtk", vtk}});
  };
  auto on_sample = [&](double t, const std::vector<double>& T_raw) {
    const std::vector<double> T_masked = void_nodes ? masked(T_raw) : std::vector<double>{};
    const std::vector<double>& T = void_nodes ? T_masked : T_raw;
    if (np > 0 && next_probe < probe_instants.size() &&
        std::abs(probe_instants[next_probe] - t) <= teps) {
      probe_row(t, T);
      ++next_probe;
    }
    for (std::size_t w = 0; w < series.size(); ++w) {
      const auto& in = series[w]->instants();
      if (next_row[w] < in.size() && std::abs(in[next_row[w]] - t) <= teps) {
        series[w]->write(t, T);
        ++next_row[w];
      }
    }
  };

  record(p.t0, nullptr);
  if (np > 0 && p.output_every > 0) probe_row(p.t0, st.temperature());
  if (!saves.empty() && saves[0] <= p.t0 + teps) snapshot(p.t0);
  transient::Schedule sched;
  sched.t0 = p.t0;
  sched.t_end = p.t_end;
  sched.changes.assign(tr.times.begin() + 1, tr.times.end());
  for (double sv : saves)
    if (sv > p.t0 + teps) sched.breakpoints.push_back(sv);
  sched.samples = samples;
  transient::SimulationCallbacks cb;
  cb.power = [&](std::size_t sample) {
    return fv::assemble_power(transient::design_at(d, tr, sample), grid);
  };
  cb.on_step = [&](const transient::StepInfo& s) {
    e_in += s.energy_in;
    e_out += s.energy_out;
    e_stored += s.energy_stored;
    step_its.push_back(s.iterations);
    record(s.t, &s);
    if (req.progress) req.progress(s.t, p.t_end, st.stats().accepted);
  };
  cb.stop = req.stop;
  cb.on_sample = on_sample;
  cb.on_breakpoint = [&](double t) { snapshot(t); };
  // Stopped early (a stop request, or an error in a step): everything written so far stays, the
  // state of the last accepted step is the final field, and the summary says so.
  try {
    if (!transient::simulate(st, sched, cb)) {
      res.complete = false;
      res.stopped_by_request = true;
      res.stop_reason = "stopped on request (interrupt or termination signal)";
    }
  } catch (const std::exception& e) {
    res.complete = false;
    res.stop_reason = e.what();
  }
  res.t_reached = st.time();
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
    // The power steps: the trace's samples whose power differs from the one before.
    for (std::size_t k = 1; k < tr.times.size(); ++k)
      if (tr.times[k] > p.t0 && tr.times[k] < p.t_end &&
          (tr.values[k] != tr.values[k - 1] ||
           (!tr.files.empty() && tr.files[k] != tr.files[k - 1])))
        panels[0].x_marks.push_back(tr.times[k]);
    if (!panels[0].x_marks.empty())
      panels[0].marks_label = panels[0].x_marks.size() <= plot::kMaxMarkLines
                                  ? "power step"
                                  : std::to_string(panels[0].x_marks.size()) + " power steps";
    for (std::size_t q = 0; q < np; ++q)
      panels[0].series.push_back({"probe " + std::to_string(q + 1),
                                  p.output_every > 0 ? plot_probe_t : plot_t, plot_probes[q]});
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
  s["complete"] = res.complete;
  if (!res.complete)
    s["incomplete"] = {
        {"t_reached_s", res.t_reached},
        {"reason", res.stop_reason},
        {"note",
         "the run stopped before t_end_s: trace.csv, probes.csv, the series and the snapshots "
         "cover t_start_s .. t_reached_s; T.npy and the final statistics are the state at "
         "t_reached_s"}};
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
  s["output_every_s"] = p.output_every;
  json files = json::array();
  for (const auto& w : series)
    files.push_back({{"file", w->name()}, {"rows", w->instants().size()}});
  s["series"] = files;
  if (!notes.empty()) s["notes"] = notes;
  json probes = json::array();
  for (const auto& pr : info.probes) probes.push_back({pr.x_m * 1e3, pr.y_m * 1e3, pr.z_m * 1e3});
  s["probes_mm"] = probes;  // probes.csv column pN_T_K is entry N
  s["threads"] = omp_get_max_threads();
  // The final field as in a steady results folder (T.npy, T.vti, pictures, design, manifest).
  ResultContext ctx{&loaded, info.design_path, info.overrides, info.command_line, {}, void_nodes};
  field::Field3D final{grid.x, grid.y, grid.z, masked(st.temperature()), "T", "K"};
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
                "%s: transient %s %s %.6g s | %ld steps (%ld rejected), %ld CG it | peak %.3f K "
                "at t = %.6g s, (%.3f, %.3f, %.3f) mm | balance %.1e | %.2f s -> %s",
                d.name.c_str(), heatop::name(transient::kMethodNames, req.stepper.method),
                res.complete ? "to" : "INCOMPLETE, stopped at",
                res.complete ? p.t_end : res.t_reached, stats.accepted, stats.rejected,
                stats.iterations, res.t_max, res.t_max_time, res.t_max_where_m[0] * 1e3,
                res.t_max_where_m[1] * 1e3, res.t_max_where_m[2] * 1e3, stats.max_balance_rel,
                res.wall_seconds, out.target().c_str());
  res.line = buf;
  return res;
}

}  // namespace heatop::api
