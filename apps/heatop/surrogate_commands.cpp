// `heatop train | predict | eval`.

#include "surrogate_commands.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "api/results.hpp"
#include "fv/system.hpp"
#include "io/design_file.hpp"
#include "io/output_dir.hpp"
#include "io/probes.hpp"
#include "io/progress.hpp"
#include "io/vtk.hpp"
#include "plot/png_plot.hpp"
#include "surrogate/config.hpp"
#include "surrogate/evaluation.hpp"
#include "surrogate/predictors.hpp"
#include "surrogate/surrogate_model.hpp"
#include "surrogate/trainer.hpp"
#include "trust/confidence.hpp"

namespace heatop::app {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;
namespace sg = heatop::surrogate;
using api::add_energy_balance;
using api::check_memory;
using api::FieldStats;
using api::finish_results;
using api::ResultContext;
using api::write_field_results;

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), f, v);
  return buf;
}

int run_train(const SurrogateArgs& a, const std::string& cmd) {
  sg::OperatorConfig cfg = sg::load_operator_config(a.config);
  sg::TrainOptions opt;
  opt.out_dir = a.train_output;
  opt.resume = a.resume;
  opt.device = sg::parse_device(a.device);
  opt.command_line = cmd;
  std::unique_ptr<io::ProgressBar> bar;
  long first = -1;
  std::string last_val;
  opt.on_progress = [&](const sg::TrainProgress& p) {
    if (!bar) {
      first = p.step - 1;
      bar = std::make_unique<io::ProgressBar>("train", p.steps - first, "steps");
    }
    if (p.validation)
      last_val = " | val L2 " + fmt("%.2f%%", 100 * p.validation->mean_rel_l2) + " max " +
                 fmt("%.2f K", p.validation->max_abs_K);
    std::string info = "step " + std::to_string(p.step) + " loss " + fmt("%.3e", p.loss) + " (";
    bool firstterm = true;
    for (const auto& [n, v] : p.terms) {
      info += (firstterm ? "" : " ") + n + " " + fmt("%.1e", v);
      firstterm = false;
    }
    info += ") lr " + fmt("%.2e", p.lr) + last_val;
    bar->update(p.step - first, info);
  };
  std::printf(
      "training %s (%s; %d steps x %d functions, collocation %dx%dx%d) on %s -> "
      "%s\n",
      a.config.c_str(), cfg.network.describe().c_str(), cfg.training.steps,
      cfg.training.functions_per_step, cfg.training.collocation_x, cfg.training.collocation_y,
      cfg.training.collocation_z, opt.device.str().c_str(), a.train_output.c_str());
  const sg::TrainReport r = sg::train(cfg, opt);
  if (bar)
    bar->finish("step " + std::to_string(r.step) + " loss " + fmt("%.3e", r.loss) + last_val);
  if (!r.ok()) {
    std::fprintf(stderr, "heatop: error: %s\n", r.message.c_str());
    return 4;
  }
  std::printf("%s after %ld steps (%ld this run) in %.1f s: loss %.3e", r.reason.c_str(), r.step,
              r.step - r.start_step, r.seconds, r.loss);
  if (!r.validation.empty())
    std::printf(" | validation vs FV: mean rel. L2 of the rise %.2f%%, max |dT| %.3f K",
                100 * r.validation.back().mean_rel_l2, r.validation.back().max_abs_K);
  std::printf(" -> %s\n", r.checkpoint.c_str());
  return 0;
}

json model_identity(const sg::SurrogateModel& m, const std::string& dir) {
  const json& h = m.info();
  const auto& c = m.config();
  return {{"model", dir},
          {"trained_steps", h.value("step", 0L)},
          {"trained_with_heatop", h.value("heatop_version", std::string())},
          {"network", c.network.describe()},
          {"design_family", m.problem().base().name},
          {"normalisation", h.value("normalisation", json::object())}};
}

json confidence_json(const trust::Confidence& c, double seconds, const model::Grid& g) {
  (void)g;
  return {{"score", c.score},
          {"est_max_error_K", c.est_max_error_K},
          {"est_mean_error_K", c.est_mean_error_K},
          {"est_max_error_at_mm",
           {c.est_max_at_m[0] * 1e3, c.est_max_at_m[1] * 1e3, c.est_max_at_m[2] * 1e3}},
          {"rel_residual", c.rel_residual},
          {"tolerance_K", c.tolerance_K},
          {"trusted", c.trusted},
          {"seconds", seconds},
          {"score_function", "1 / (1 + (est_max_error_K / tolerance_K)^2)"}};
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
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", err.z[kbest] * 1e3);
  o.title = name + ": estimated error T_fv - T_pred (z = " + buf + " mm)";
  o.unit = "K";
  plot::write_heatmap_png(out.file("error.png"), err.x, err.y, plane, o);
  const bool uniform = io::is_uniform(err.x) && io::is_uniform(err.y) && io::is_uniform(err.z);
  if (uniform)
    io::write_vti(out.file("error.vti"), err);
  else
    io::write_vtr(out.file("error.vtr"), err);
}

int run_predict(const SurrogateArgs& a, const std::string& cmd) {
  io::OutputDir out(a.predict_output);
  const auto model = sg::SurrogateModel::load(a.model, sg::parse_device(a.device));
  const io::LoadedDesign loaded = io::load_design(a.design, a.overrides);
  const model::Design& d = loaded.design;
  check_memory(static_cast<std::size_t>(d.grid.nx) * d.grid.ny * std::max(d.grid.nz, 2));
  const model::Grid grid = model::build_grid(d);
  ResultContext ctx;
  ctx.loaded = &loaded;
  ctx.design_path = a.design;
  ctx.overrides = a.overrides;
  ctx.command_line = cmd;
  if (!a.probe_file.empty()) ctx.probes = io::read_probes_csv(a.probe_file);
  const auto t0 = std::chrono::steady_clock::now();
  field::Field3D field = model->predict(d, grid);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // Trust layer: the error of the prediction in kelvin, estimated with the FV operator.
  const fv::System sys = fv::discretize(d, grid);
  trust::ConfidenceOptions co;
  co.tolerance_K = a.tol_K;
  const auto t1 = std::chrono::steady_clock::now();
  const trust::Confidence conf = trust::estimate_confidence(sys, field.values, co);
  const double conf_secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  json s;
  s["confidence"] = confidence_json(conf, conf_secs, grid);
  {
    field::Field3D err{grid.x, grid.y, grid.z, conf.error_field, "estimated_error", "K"};
    write_error_files(out, err, d.name);
  }
  if (a.refine) {
    solve::SolverConfig sc;
    sc.method = parse(solve::kMethodNames, a.refine_method, "--method");
    const auto r =
        trust::refine_to_error(sys, field.values, sc, a.tol_K, model::reference_temperature(d));
    const auto after = trust::estimate_confidence(sys, field.values, co);
    // The confidence block describes the field that is written: the refined one.
    s["prediction_confidence"] = s["confidence"];
    s["confidence"] = confidence_json(after, r.seconds, grid);
    s["refinement"] = {{"method", a.refine_method},
                       {"tolerance_K", a.tol_K},
                       {"reached", r.reached},
                       {"warm_iterations", r.iterations},
                       {"warm_seconds", r.seconds},
                       {"rel_tol_reached", r.rel_tol_reached},
                       {"cold_iterations", r.cold.iterations},
                       {"cold_seconds", r.cold.seconds},
                       {"cold_start_K", amb},
                       {"est_max_error_K_after", after.est_max_error_K}};
    std::printf(
        "refined: %d warm-started %s iterations (%.3f s) vs %d from %.2f K (%.3f s); "
        "estimated max error %.3g K -> %.3g K\n",
        r.iterations, a.refine_method.c_str(), r.seconds, r.cold.iterations, amb, r.cold.seconds,
        conf.est_max_error_K, after.est_max_error_K);
  }
  // The FV operator's energy balance of the (refined) field: a cheap plausibility check.
  const auto bal = fv::energy_balance(sys, field.values);
  s["heatop_version"] = HEATOP_VERSION;
  s["source"] = a.refine ? "surrogate+fv-refinement" : "surrogate";
  s["surrogate"] = model_identity(*model, a.model);
  s["surrogate"]["seconds"] = secs;
  s["surrogate"]["device"] = a.device;
  s["design"] = d.name;
  add_energy_balance(bal, s);
  const FieldStats st = write_field_results(out, ctx, grid, field, s);
  finish_results(out, s);
  std::printf(
      "%s: T_max %.3f K at (%.3f, %.3f, %.3f) mm | surrogate %.3f s | est. max error %.3g K, "
      "confidence %.2f (%s) | balance %.1e | -> %s\n",
      d.name.c_str(), st.t_max, st.hotspot_m[0] * 1e3, st.hotspot_m[1] * 1e3, st.hotspot_m[2] * 1e3,
      secs, s["confidence"]["est_max_error_K"].get<double>(),
      s["confidence"]["score"].get<double>(),
      s["confidence"]["trusted"].get<bool>() ? "trusted" : "not trusted", bal.rel_mismatch,
      a.predict_output.c_str());
  return 0;
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

// Reads a Celsius reference CSV (x_mm, y_mm, z_mm, T_celsius3d_K).
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

int run_eval(const SurrogateArgs& a, const std::string& cmd) {
  std::unique_ptr<io::OutputDir> out;
  if (!a.eval_output.empty()) out = std::make_unique<io::OutputDir>(a.eval_output);
  const auto model = sg::SurrogateModel::load(a.eval_model, sg::parse_device(a.device));
  const auto n = parse_grid(a.grid);
  const auto& cfg = model->config();
  // The power-map input the maps replace: the first one of the model.
  std::string key;
  const io::LoadedDesign probe = io::load_design(a.eval_design);
  for (std::size_t i = 0; i < cfg.inputs.size() && key.empty(); ++i) {
    if (cfg.inputs[i].type != sg::InputType::power_map) continue;
    if (cfg.inputs[i].target.rfind("layer:", 0) == 0) {
      for (std::size_t l = 0; l < probe.design.layers.size(); ++l)
        if (probe.design.layers[l].name == cfg.inputs[i].target.substr(6))
          key = "layers." + std::to_string(l) + ".power_map";
    } else {
      key = cfg.inputs[i].target + ".power_map";
    }
  }
  if (key.empty())
    throw std::invalid_argument("the model has no power-map input for --maps to replace");
  const std::vector<std::string> grid_set{"grid.nx=" + std::to_string(n[0]),
                                          "grid.ny=" + std::to_string(n[1]),
                                          "grid.nz=" + std::to_string(n[2])};
  std::vector<std::string> maps = a.maps;
  if (maps.empty()) maps.push_back("");  // the design's own map
  json rows = json::array();
  std::printf("%-22s %10s %10s %10s %8s %8s | %12s %10s\n", "map", "relL2 rise", "max|dT| K",
              "peak err K", "MAPE %", "PAPE %", "Celsius relL2", "max|dT| K");
  double sum_l2 = 0, worst_l2 = 0, worst_abs = 0;
  for (const auto& map : maps) {
    std::vector<std::string> ov = grid_set;
    // Layers' cells would fix nz; clear them so grid.nz applies.
    for (std::size_t l = 0; l < probe.design.layers.size(); ++l)
      if (probe.design.layers[l].cells > 0)
        ov.push_back("layers." + std::to_string(l) + ".cells=null");
    if (!map.empty()) ov.push_back(key + "=" + fs::absolute(map).string());
    const io::LoadedDesign ld = io::load_design(a.eval_design, ov);
    const model::Grid grid = model::build_grid(ld.design);
    const field::Field3D ref = sg::fv_reference(ld.design, grid);
    const field::Field3D pred = model->predict(ld.design, grid);
    const sg::ErrorMetrics e =
        sg::compare(pred.values, ref.values, model->problem().norm().t_amb_K);
    json row{{"map", map.empty() ? a.eval_design : map},
             {"rel_l2_rise", e.rel_l2_rise},
             {"max_abs_K", e.max_abs_K},
             {"peak_err_K", e.peak_err_K},
             {"mape_percent", e.mape},
             {"pape_percent", e.pape}};
    std::string cel = "-", celabs = "-";
    if (!map.empty()) {
      const std::string csv =
          (fs::path(map).parent_path() / (fs::path(map).stem().string() + "-celsius3d.csv"))
              .string();
      std::vector<io::Probe> pts;
      std::vector<double> tc;
      if (read_reference_csv(csv, pts, tc)) {
        std::vector<double> tp;
        for (const auto& p : pts)
          tp.push_back(io::interpolate_trilinear(pred, p.x_m, p.y_m, p.z_m));
        const sg::ErrorMetrics c = sg::compare(tp, tc, model->problem().norm().t_amb_K);
        row["celsius"] = {{"file", csv},
                          {"points", tc.size()},
                          {"rel_l2_rise", c.rel_l2_rise},
                          {"max_abs_K", c.max_abs_K},
                          {"peak_err_K", c.peak_err_K}};
        cel = fmt("%.3f%%", 100 * c.rel_l2_rise);
        celabs = fmt("%.3f", c.max_abs_K);
      }
    }
    std::printf("%-22s %9.3f%% %10.3f %10.3f %8.3f %8.3f | %12s %10s\n",
                fs::path(row["map"].get<std::string>()).filename().string().c_str(),
                100 * e.rel_l2_rise, e.max_abs_K, e.peak_err_K, e.mape, e.pape, cel.c_str(),
                celabs.c_str());
    rows.push_back(row);
    sum_l2 += e.rel_l2_rise;
    worst_l2 = std::max(worst_l2, e.rel_l2_rise);
    worst_abs = std::max(worst_abs, e.max_abs_K);
  }
  std::printf(
      "mean rel. L2 of the rise %.3f%%, max %.3f%%, max |dT| %.3f K over %zu maps (grid %s)\n",
      100 * sum_l2 / maps.size(), 100 * worst_l2, worst_abs, maps.size(), a.grid.c_str());
  if (out) {
    json s{{"heatop_version", HEATOP_VERSION},
           {"command_line", cmd},
           {"grid", a.grid},
           {"surrogate", model_identity(*model, a.eval_model)},
           {"maps", rows},
           {"mean_rel_l2_rise", sum_l2 / maps.size()},
           {"max_rel_l2_rise", worst_l2},
           {"max_abs_K", worst_abs}};
    std::ofstream(out->file("eval.json")) << s.dump(2) << "\n";
    std::ofstream csv(out->file("eval.csv"));
    csv << "map,rel_l2_rise,max_abs_K,peak_err_K,mape_percent,pape_percent\n";
    for (const auto& r : rows)
      csv << r["map"].get<std::string>() << "," << r["rel_l2_rise"] << "," << r["max_abs_K"] << ","
          << r["peak_err_K"] << "," << r["mape_percent"] << "," << r["pape_percent"] << "\n";
    csv.close();
    out->commit();
  }
  return 0;
}

}  // namespace

void add_surrogate_commands(CLI::App& app, SurrogateArgs& a) {
  a.train =
      app.add_subcommand("train", "Train a physics-informed neural operator (docs/surrogate.md)");
  a.train->add_option("config", a.config, "operator configuration (YAML)")->required();
  a.train->add_option("-o,--output", a.train_output, "model folder")->required();
  a.train->add_flag("--resume", a.resume, "continue the model in the folder from its checkpoint");
  a.train->add_option("--device", a.device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));

  a.predict =
      app.add_subcommand("predict", "Predict a design's temperature with a trained operator");
  a.predict->add_option("model", a.model, "model folder (or .hnop checkpoint)")->required();
  a.predict->add_option("design", a.design, "design file (YAML)")->required();
  a.predict->add_option("-o,--output", a.predict_output, "output folder")->required();
  a.predict->add_option("--set", a.overrides, "override a design key (repeatable)");
  a.predict->add_option("--probe", a.probe_file, "CSV of points x_mm,y_mm,z_mm; writes probes.csv");
  a.predict->add_option("--device", a.device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  a.predict
      ->add_option("--tol", a.tol_K,
                   "error tolerance in K for the confidence score (and for --refine)")
      ->check(CLI::PositiveNumber);
  a.predict->add_flag("--refine", a.refine,
                      "refine the prediction by a warm-started FV solve until the estimated max "
                      "error is below --tol");
  a.predict->add_option("--method", a.refine_method, "refinement solver: cg or gmres")
      ->check(CLI::IsMember({"cg", "gmres"}));

  a.eval = app.add_subcommand("eval", "Compare a trained operator with FV solutions map by map");
  a.eval->add_option("model", a.eval_model, "model folder (or .hnop checkpoint)")->required();
  a.eval->add_option("--design", a.eval_design, "design file the maps go into")->required();
  a.eval->add_option("--maps", a.maps, "power-map files (default: the design's own map)");
  a.eval->add_option("--grid", a.grid, "evaluation grid NXxNYxNZ (default 101x101x51)");
  a.eval->add_option("-o,--output", a.eval_output, "optional folder for eval.json and eval.csv");
  a.eval->add_option("--device", a.device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
}

int run_surrogate_command(const SurrogateArgs& a, const std::string& cmd) {
  if (a.train && *a.train) return run_train(a, cmd);
  if (a.predict && *a.predict) return run_predict(a, cmd);
  if (a.eval && *a.eval) return run_eval(a, cmd);
  return -1;
}

PredictorFactory surrogate_predictor_factory() {
  return [](const std::string& dir, const model::Design& design) {
    std::shared_ptr<sg::SurrogateModel> m = sg::SurrogateModel::load(dir, torch::kCPU);
    m->problem().inputs_of(design);  // a model of another chip is refused here, before any work
    return sg::hybrid_predictors(m);
  };
}

}  // namespace heatop::app
