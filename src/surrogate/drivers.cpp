// Library drivers of predict, eval and the hybrid predictors (drivers.hpp).

#include "surrogate/drivers.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "field/stats.hpp"
#include "io/vtk.hpp"
#include "plot/png_plot.hpp"
#include "surrogate/response_operator.hpp"

namespace heatop::surrogate {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), f, v);
  return buf;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The estimated error field (T_fv - T_predicted) as a PNG of the plane that holds its largest
// magnitude, and as VTK.
void write_error_files(io::OutputDir& out, const field::Field3D& err, const std::string& name) {
  std::size_t kbest = 0;
  double best = -1;
  for (std::size_t i = 0; i < err.nx(); ++i)
    for (std::size_t j = 0; j < err.ny(); ++j)
      for (std::size_t k = 0; k < err.nz(); ++k)
        if (std::abs(err.at(i, j, k)) > best) {
          best = std::abs(err.at(i, j, k));
          kbest = k;
        }
  std::vector<double> plane(err.nx() * err.ny());
  for (std::size_t i = 0; i < err.nx(); ++i)
    for (std::size_t j = 0; j < err.ny(); ++j) plane[i * err.ny() + j] = err.at(i, j, kbest);
  plot::HeatmapOptions o;
  o.title =
      name + ": estimated error T_fv - T_pred (z = " + fmt("%.3f", err.z[kbest] * 1e3) + " mm)";
  o.unit = "K";
  plot::write_heatmap_png(out.file("error.png"), err.x, err.y, plane, o);
  const bool uniform = io::is_uniform(err.x) && io::is_uniform(err.y) && io::is_uniform(err.z);
  if (uniform)
    io::write_vti(out.file("error.vti"), err);
  else
    io::write_vtr(out.file("error.vtr"), err);
}

// The model input (a design key) the maps of `heatop eval` replace: the model's first power map.
std::string power_map_key(const OperatorConfig& cfg, const model::Design& d) {
  for (const auto& in : cfg.inputs) {
    if (in.type != InputType::power_map) continue;
    if (in.target.rfind("layer:", 0) == 0) {
      for (std::size_t l = 0; l < d.layers.size(); ++l)
        if (d.layers[l].name == in.target.substr(6))
          return "layers." + std::to_string(l) + ".power_map";
      continue;
    }
    return in.target + ".power_map";
  }
  throw std::invalid_argument("the model has no power-map input for --maps to replace");
}

}  // namespace

int coarse_estimate_sweeps(const OperatorModel& model, const model::Grid& grid) {
  const NetworkConfig& n = model.config().network;
  const int modes = n.core == Core::modal ? n.trunk.modes : 0;
  return std::min(grid.nx(), grid.ny()) - 1 < modes ? 1 : 0;
}

KeepOpenMpThreads::KeepOpenMpThreads() : threads_(omp_get_max_threads()) {}
KeepOpenMpThreads::~KeepOpenMpThreads() { omp_set_num_threads(threads_); }

json model_identity(const OperatorModel& m, const std::string& dir) {
  // A fresh model (not from a checkpoint) has no header.
  const json h = m.info().is_object() ? m.info() : json::object();
  const auto& c = m.config();
  return {{"model", dir},
          {"trained_steps", h.value("step", 0L)},
          {"trained_with_heatop", h.value("heatop_version", std::string())},
          {"network", c.network.describe()},
          {"design_family", m.problem().base().name},
          {"normalisation", h.value("normalisation", json::object())}};
}

json confidence_json(const trust::Confidence& c, double seconds) {
  return {{"score", c.score},
          {"est_max_error_K", c.est_max_error_K},
          {"est_mean_error_K", c.est_mean_error_K},
          {"est_max_error_at_mm",
           {c.est_max_at_m[0] * 1e3, c.est_max_at_m[1] * 1e3, c.est_max_at_m[2] * 1e3}},
          {"rel_residual", c.rel_residual},
          {"tolerance_K", c.tolerance_K},
          {"trusted", c.trusted},
          {"estimate", name(trust::kErrorEstimateNames, c.method)},
          {"fine_sweeps", c.fine_sweeps},
          {"seconds", seconds},
          {"score_function", "1 / (1 + (est_max_error_K / tolerance_K)^2)"}};
}

PredictResult predict_design(OperatorModel& model, const io::LoadedDesign& loaded,
                             const PredictRequest& req) {
  const model::Design& d = loaded.design;
  api::check_memory(static_cast<std::size_t>(d.grid.nx) * d.grid.ny * std::max(d.grid.nz, 2));
  solve::SolverConfig refine_cfg;
  if (req.refine)
    refine_cfg.method = parse(trust::kRefineMethodNames, req.refine_method, "--method");
  trust::ConfidenceOptions co;
  co.tolerance_K = req.tolerance_K;
  co.method = parse(trust::kErrorEstimateNames, req.estimate, "--estimate");
  PredictResult r;
  r.grid = model::build_grid(d);
  co.fine_sweeps = coarse_estimate_sweeps(model, r.grid);
  const auto t0 = std::chrono::steady_clock::now();
  {
    const KeepOpenMpThreads keep;
    r.field = model.predict(d, r.grid);
  }
  r.seconds = seconds_since(t0);

  // Trust layer: the error of the prediction in kelvin, estimated with the FV operator. Its
  // time includes the discretization, which the check is the first to need.
  const auto t1 = std::chrono::steady_clock::now();
  const fv::System sys = fv::discretize(d, r.grid);
  r.prediction_confidence = trust::estimate_confidence(sys, r.field.values, co);
  r.confidence_seconds = seconds_since(t1);
  json& s = r.summary;
  s["confidence"] = confidence_json(r.prediction_confidence, r.confidence_seconds);
  if (req.refine) {
    Refinement ref;
    ref.method = req.refine_method;
    ref.cold_start_K = model::reference_temperature(d);
    ref.result =
        trust::refine_to_error(sys, r.field.values, refine_cfg, req.tolerance_K, ref.cold_start_K);
    ref.after = trust::estimate_confidence(sys, r.field.values, co);
    const trust::RefineToErrorResult& rr = ref.result;
    // The confidence block describes the field that is written: the refined one.
    s["prediction_confidence"] = s["confidence"];
    s["confidence"] = confidence_json(ref.after, rr.seconds);
    s["refinement"] = {{"method", ref.method},
                       {"tolerance_K", req.tolerance_K},
                       {"reached", rr.reached},
                       {"warm_iterations", rr.iterations},
                       {"warm_seconds", rr.seconds},  // set-up, solves and estimates
                       {"setup_seconds", rr.setup_seconds},
                       {"warm_solve_seconds", rr.solve_seconds},
                       {"rel_tol_reached", rr.rel_tol_reached},
                       {"cold_iterations", rr.cold.iterations},
                       {"cold_seconds", rr.cold.seconds},
                       {"cold_start_K", ref.cold_start_K},
                       {"est_max_error_K_after", ref.after.est_max_error_K}};
    r.refinement = std::move(ref);
  }
  // The FV operator's energy balance of the (refined) field: a cheap plausibility check.
  r.balance = fv::energy_balance(sys, r.field.values);
  s["heatop_version"] = HEATOP_VERSION;
  s["source"] = req.refine ? "surrogate+fv-refinement" : "surrogate";
  s["surrogate"] = model_identity(model, req.model_path);
  s["surrogate"]["seconds"] = r.seconds;
  s["surrogate"]["device"] = req.device;
  s["design"] = d.name;
  api::add_energy_balance(r.balance, s);
  // As a solve writes them: no temperature where there is no material.
  r.void_nodes = api::mask_void_nodes(*sys.op, sys.op->box(), r.field.values.data());
  r.stats = field::field_stats(r.field, r.grid, d);
  return r;
}

void write_predict_results(io::OutputDir& out, const PredictResult& r,
                           const io::LoadedDesign& loaded, const api::RunInfo& info) {
  {
    const field::Field3D err{
        r.grid.x, r.grid.y, r.grid.z, r.prediction_confidence.error_field, "estimated_error", "K"};
    write_error_files(out, err, loaded.design.name);
  }
  api::ResultContext ctx;
  ctx.loaded = &loaded;
  ctx.design_path = info.design_path;
  ctx.overrides = info.overrides;
  ctx.command_line = info.command_line;
  ctx.probes = info.probes;
  ctx.void_nodes = r.void_nodes;
  json s = r.summary;
  api::write_field_results(out, ctx, r.grid, r.field, s);
  api::finish_results(out, s);
}

std::string predict_line(const PredictResult& r, const std::string& name,
                         const std::string& output) {
  const trust::Confidence& c = r.confidence();
  char buf[1024];
  std::snprintf(buf, sizeof buf,
                "%s: T_max %.3f K at (%.3f, %.3f, %.3f) mm | surrogate %.3f s | est. max error "
                "%.3g K, confidence %.2f (%s) | balance %.1e | -> %s",
                name.c_str(), r.stats.t_max, r.stats.hotspot_m[0] * 1e3, r.stats.hotspot_m[1] * 1e3,
                r.stats.hotspot_m[2] * 1e3, r.seconds, c.est_max_error_K, c.score,
                c.trusted ? "trusted" : "not trusted", r.balance.rel_mismatch, output.c_str());
  return buf;
}

std::string refinement_line(const PredictResult& r) {
  if (!r.refinement) return {};
  const Refinement& ref = *r.refinement;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "refined: %d warm-started %s iterations (%.3f s) vs %d from %.2f K (%.3f s), "
                "after a shared %.3f s set-up; %.3f s in all with the error estimates; "
                "estimated max error %.3g K -> %.3g K",
                ref.result.iterations, ref.method.c_str(), ref.result.solve_seconds,
                ref.result.cold.iterations, ref.cold_start_K, ref.result.cold.seconds,
                ref.result.setup_seconds, ref.result.seconds,
                r.prediction_confidence.est_max_error_K, ref.after.est_max_error_K);
  return buf;
}

std::array<int, 3> parse_grid(const std::string& g) {
  std::array<int, 3> n{};
  char x1 = 0, x2 = 0;
  std::istringstream ss(g);
  if (!(ss >> n[0] >> x1 >> n[1] >> x2 >> n[2]) || x1 != 'x' || x2 != 'x' || n[0] < 2 || n[1] < 2 ||
      n[2] < 2)
    throw std::invalid_argument("--grid '" + g +
                                "': expected NXxNYxNZ with at least 2 nodes each, e.g. 101x101x51");
  return n;
}

bool read_reference_csv(const std::string& path, std::vector<io::Probe>& pts,
                        std::vector<double>& t) {
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    double x, y, z, v;
    char c;
    std::istringstream ss(line);
    if (ss >> x >> c >> y >> c >> z >> c >> v) {
      pts.push_back({x * 1e-3, y * 1e-3, z * 1e-3});
      t.push_back(v);
    }
  }
  return !t.empty();
}

std::string celsius_reference_path(const std::string& map) {
  return (fs::path(map).parent_path() / (fs::path(map).stem().string() + "-celsius3d.csv"))
      .string();
}

std::string default_eval_grid(const OperatorModel& model) {
  return ResponseOperator::describes(model.config()) ? "" : "101x101x51";
}

EvalResult evaluate_maps(OperatorModel& model, const EvalRequest& req,
                         const EvalCallbacks& callbacks) {
  const io::LoadedDesign base = io::load_design(req.design);
  const std::string key = power_map_key(model.config(), base.design);
  std::vector<std::string> ov0;
  if (!req.grid.empty()) {
    const auto n = parse_grid(req.grid);
    ov0 = {"grid.nx=" + std::to_string(n[0]), "grid.ny=" + std::to_string(n[1]),
           "grid.nz=" + std::to_string(n[2])};
    // Layers' cells would fix nz; clear them so grid.nz applies.
    for (std::size_t l = 0; l < base.design.layers.size(); ++l)
      if (base.design.layers[l].cells > 0)
        ov0.push_back("layers." + std::to_string(l) + ".cells=null");
  }
  std::vector<std::string> maps = req.maps;
  if (maps.empty()) maps.push_back("");  // the design's own map
  const double t_amb = model.problem().norm().t_amb_K;
  if (callbacks.on_start) callbacks.on_start();

  EvalResult r;
  r.grid = req.grid.empty() ? "design" : req.grid;
  json rows = json::array();
  double sum_l2 = 0;
  for (const auto& map : maps) {
    std::vector<std::string> ov = ov0;
    if (!map.empty()) ov.push_back(key + "=" + fs::absolute(map).string());
    const io::LoadedDesign ld = io::load_design(req.design, ov);
    const model::Grid grid = model::build_grid(ld.design);
    const field::Field3D ref = fv_reference(ld.design, grid);
    field::Field3D pred;
    {
      const KeepOpenMpThreads keep;
      pred = model.predict(ld.design, grid);
    }
    MapEvaluation e;
    e.map = map.empty() ? req.design : map;
    e.fv = compare(pred.values, ref.values, t_amb);
    json row{{"map", e.map},
             {"rel_l2_rise", e.fv.rel_l2_rise},
             {"max_abs_K", e.fv.max_abs_K},
             {"peak_err_K", e.fv.peak_err_K},
             {"mape_percent", e.fv.mape},
             {"pape_percent", e.fv.pape}};
    if (!map.empty()) {
      CelsiusComparison c;
      c.file = celsius_reference_path(map);
      std::vector<io::Probe> pts;
      std::vector<double> tc;
      if (read_reference_csv(c.file, pts, tc)) {
        std::vector<double> tp;
        for (const auto& p : pts)
          tp.push_back(io::interpolate_trilinear(pred, p.x_m, p.y_m, p.z_m));
        c.points = tc.size();
        c.metrics = compare(tp, tc, t_amb);
        row["celsius"] = {{"file", c.file},
                          {"points", c.points},
                          {"rel_l2_rise", c.metrics.rel_l2_rise},
                          {"max_abs_K", c.metrics.max_abs_K},
                          {"peak_err_K", c.metrics.peak_err_K}};
        e.celsius = std::move(c);
      }
    }
    rows.push_back(row);
    sum_l2 += e.fv.rel_l2_rise;
    r.max_rel_l2_rise = std::max(r.max_rel_l2_rise, e.fv.rel_l2_rise);
    r.max_abs_K = std::max(r.max_abs_K, e.fv.max_abs_K);
    r.maps.push_back(std::move(e));
    if (callbacks.on_map) callbacks.on_map(r.maps.back());
  }
  r.mean_rel_l2_rise = sum_l2 / maps.size();
  r.summary = {{"heatop_version", HEATOP_VERSION},
               {"grid", req.grid},
               {"surrogate", model_identity(model, req.model_path)},
               {"maps", rows},
               {"mean_rel_l2_rise", r.mean_rel_l2_rise},
               {"max_rel_l2_rise", r.max_rel_l2_rise},
               {"max_abs_K", r.max_abs_K}};
  return r;
}

void write_eval_results(io::OutputDir& out, const EvalResult& r, const std::string& command_line) {
  json s = r.summary;
  s["command_line"] = command_line;
  std::ofstream(out.file("eval.json")) << s.dump(2) << "\n";
  std::ofstream csv(out.file("eval.csv"));
  csv << "map,rel_l2_rise,max_abs_K,peak_err_K,mape_percent,pape_percent\n";
  for (const auto& row : s["maps"])
    csv << row["map"].get<std::string>() << "," << row["rel_l2_rise"] << "," << row["max_abs_K"]
        << "," << row["peak_err_K"] << "," << row["mape_percent"] << "," << row["pape_percent"]
        << "\n";
  csv.close();
  out.commit();
}

std::string eval_header_line() {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-22s %10s %10s %10s %8s %8s | %12s %10s", "map", "relL2 rise",
                "max|dT| K", "peak err K", "MAPE %", "PAPE %", "Celsius relL2", "max|dT| K");
  return buf;
}

std::string eval_row_line(const MapEvaluation& e) {
  std::string cel = "-", celabs = "-";
  if (e.celsius) {
    cel = fmt("%.3f%%", 100 * e.celsius->metrics.rel_l2_rise);
    celabs = fmt("%.3f", e.celsius->metrics.max_abs_K);
  }
  char buf[512];
  std::snprintf(buf, sizeof buf, "%-22s %9.3f%% %10.3f %10.3f %8.3f %8.3f | %12s %10s",
                fs::path(e.map).filename().string().c_str(), 100 * e.fv.rel_l2_rise, e.fv.max_abs_K,
                e.fv.peak_err_K, e.fv.mape, e.fv.pape, cel.c_str(), celabs.c_str());
  return buf;
}

std::string eval_summary_line(const EvalResult& r) {
  char buf[512];
  std::snprintf(
      buf, sizeof buf,
      "mean rel. L2 of the rise %.3f%%, max %.3f%%, max |dT| %.3f K over %zu maps (grid %s)",
      100 * r.mean_rel_l2_rise, 100 * r.max_rel_l2_rise, r.max_abs_K, r.maps.size(),
      r.grid.c_str());
  return buf;
}

}  // namespace heatop::surrogate
