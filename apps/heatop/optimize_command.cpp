// `heatop optimize`: placement optimization, FV-only or hybrid (surrogate + FV checks).

#include "optimize_command.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "fv/system.hpp"
#include "io/output_dir.hpp"
#include "io/progress.hpp"
#include "optimize/hybrid.hpp"
#include "optimize/problem_file.hpp"
#include "plot/plots.hpp"
#include "plot/png_plot.hpp"

namespace heatop::app {

namespace {

using nlohmann::json;
using optimize::Placement;
using optimize::PlacementProblem;

json placement_json(const PlacementProblem& prob, const Placement& p) {
  json blocks = json::array();
  const double tx = prob.design.lx / prob.tiles_x, ty = prob.design.ly / prob.tiles_y;
  for (std::size_t b = 0; b < prob.blocks.size(); ++b) {
    const auto r = prob.rect(p, b);
    blocks.push_back({{"name", prob.blocks[b].name},
                      {"tile", {r.x, r.y}},
                      {"size_tiles", {r.w, r.h}},
                      {"rotated", static_cast<bool>(p.rotated[b])},
                      {"fixed", prob.blocks[b].fixed},
                      {"x_mm", r.x * tx * 1e3},
                      {"y_mm", r.y * ty * 1e3},
                      {"w_mm", r.w * tx * 1e3},
                      {"h_mm", r.h * ty * 1e3},
                      {"power_W", prob.blocks[b].power}});
  }
  return blocks;
}

std::vector<plot::FloorplanRect> floorplan(const PlacementProblem& prob, const Placement& p) {
  std::vector<plot::FloorplanRect> rects;
  const double tx = prob.design.lx / prob.tiles_x, ty = prob.design.ly / prob.tiles_y;
  for (const auto& k : prob.keep_out)
    rects.push_back({"keep-out", k.x * tx, k.y * ty, k.w * tx, k.h * ty, 0, true, false});
  for (std::size_t b = 0; b < prob.blocks.size(); ++b) {
    const auto r = prob.rect(p, b);
    rects.push_back({prob.blocks[b].name, r.x * tx, r.y * ty, r.w * tx, r.h * ty,
                     prob.blocks[b].power, false, prob.blocks[b].fixed});
  }
  return rects;
}

// The surface (or powered layer) temperature map of a field on the verification grid.
std::vector<double> top_plane(const model::Grid& g, const std::vector<double>& t) {
  std::vector<double> p(static_cast<std::size_t>(g.nx()) * g.ny());
  for (int i = 0; i < g.nx(); ++i)
    for (int j = 0; j < g.ny(); ++j)
      p[static_cast<std::size_t>(i) * g.ny() + j] = t[g.index(i, j, g.nz() - 1)];
  return p;
}

}  // namespace

int run_optimize(const OptimizeArgs& args, const std::string& command_line,
                 const PredictorFactory& make_predictor) {
  if (args.fd_only == !args.model_dir.empty())
    throw std::invalid_argument(
        "optimize: give exactly one of --model DIR (hybrid: surrogate + FV checks) or --fd-only "
        "(finite-volume evaluations only)");
  io::OutputDir out(args.output);
  auto lp = optimize::load_problem(args.problem, args.overrides);
  const PlacementProblem& prob = lp.problem;
  optimize::SurrogatePredictors predictor{optimize::FieldPredictor()};
  if (!args.fd_only) {
    if (!make_predictor)
      throw std::runtime_error(
          "optimize --model needs the neural-operator module, which this "
          "build of heatop does not have (LibTorch missing); use --fd-only");
    predictor = make_predictor(args.model_dir, prob.design);
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };

  const Placement start = prob.corner_packed();
  const double start_peak = optimize::fv_peak(prob, start, lp.verify);

  int fv_evals = 0;
  optimize::HybridCounters hc;
  optimize::BatchObjective objective;
  if (args.fd_only) {
    objective = optimize::fv_objective(prob, lp.eval, &fv_evals);
  } else {
    optimize::HybridOptions ho;
    ho.eval = lp.eval;
    ho.tolerance_K = args.tolerance_K;
    ho.checks = args.checks;
    ho.shortlist = args.shortlist;
    objective = optimize::hybrid_objective(prob, predictor, ho, &hc);
  }
  io::ProgressBar bar(std::string("optimize (") + (args.fd_only ? "fd-only" : "hybrid") + ")",
                      lp.annealing.evaluations, "eval");
  auto res =
      optimize::anneal(prob, start, objective, lp.annealing, [&](int done, int, double best) {
        char info[64];
        std::snprintf(info, sizeof info, "best %.3f K", best);
        bar.update(done, info);
        return true;
      });
  char info[64];
  std::snprintf(info, sizeof info, "best %.3f K", res.best_value);
  bar.finish(info);
  if (!args.fd_only && args.checks == "final") {
    optimize::HybridOptions ho;
    ho.eval = lp.eval;
    ho.checks = "final";
    ho.shortlist = args.shortlist;
    res.best = optimize::verify_shortlist(prob, predictor, ho, &hc, &res.best_value);
  }
  const double search_seconds = seconds();

  // Verification of the final placement with a full FV solve.
  std::vector<double> field;
  const double final_fv = optimize::fv_peak(prob, res.best, lp.verify, &field);
  double final_sur = NAN;
  const model::Design vd = optimize::design_on_grid(prob.design_for(res.best), lp.verify);
  const model::Grid vg = model::build_grid(vd);
  if (!args.fd_only) {
    const auto pf = predictor.fields({vd}, vg);
    final_sur = -1e300;
    for (double v : pf.at(0)) final_sur = std::max(final_sur, v);
  }
  const double wall = seconds();

  // Outputs.
  for (const auto* which : {"start", "final"}) {
    const Placement& p = std::string(which) == "start" ? start : res.best;
    plot::write_floorplan_png(
        out.file(std::string(which) == "start" ? "floorplan_start.png" : "floorplan.png"),
        prob.design.lx, prob.design.ly, floorplan(prob, p),
        prob.name +
            (std::string(which) == "start" ? ": corner-packed start" : ": optimized placement"));
  }
  {
    plot::HeatmapOptions o;
    o.title = prob.name + ": top surface, optimized placement (FV)";
    plot::write_heatmap_png(out.file("temperature.png"), vg.x, vg.y, top_plane(vg, field), o);
  }
  {
    plot::Series by_eval{"best peak", {}, {}}, by_time{"best peak", {}, {}};
    for (const auto& tp : res.trace) {
      by_eval.x.push_back(tp.evaluations);
      by_eval.y.push_back(tp.best);
      by_time.x.push_back(tp.seconds);
      by_time.y.push_back(tp.best);
    }
    plot::write_line_plot_png(
        out.file("convergence.png"),
        {{"best peak vs evaluations", "evaluations", "peak temperature (K)", {by_eval}},
         {"best peak vs time", "seconds", "peak temperature (K)", {by_time}}});
  }
  json pl;
  pl["problem"] = prob.name;
  pl["tiles"] = {prob.tiles_x, prob.tiles_y};
  pl["blocks"] = placement_json(prob, res.best);
  std::ofstream(out.file("placement.json")) << pl.dump(2) << "\n";
  json s;
  s["heatop_version"] = HEATOP_VERSION;
  s["mode"] = args.fd_only ? "fd-only" : "hybrid";
  s["checks"] = args.fd_only ? json(nullptr) : json(args.checks);
  s["shortlist"] = !args.fd_only && args.checks == "final" ? json(args.shortlist) : json(nullptr);
  s["problem"] = prob.name;
  s["start_peak_K_fv"] = start_peak;
  s["final_peak_K_fv"] = final_fv;
  s["final_peak_K_surrogate"] = args.fd_only ? json(nullptr) : json(final_sur);
  s["search_best_K"] = res.best_value;
  s["improvement_K"] = start_peak - final_fv;
  s["wall_seconds"] = wall;
  s["search_seconds"] = search_seconds;
  s["evaluations"] = {{"total", res.evaluations},
                      {"surrogate", hc.surrogate},
                      {"fv", args.fd_only ? fv_evals : hc.refined},
                      {"fv_error_estimates", hc.estimates},
                      {"estimate_corrected", hc.corrected},
                      {"fv_verification", 2}};
  s["max_estimated_error_K"] = args.fd_only ? json(nullptr) : json(hc.max_est_error_K);
  s["optimizer"] = {{"method", "annealing"},
                    {"budget", lp.annealing.evaluations},
                    {"population", lp.annealing.population},
                    {"seed", lp.annealing.seed},
                    {"eval_grid", {lp.eval.nx, lp.eval.ny, lp.eval.nz}},
                    {"verify_grid", {lp.verify.nx, lp.verify.ny, lp.verify.nz}}};
  s["command_line"] = command_line;
  s["placement"] = pl["blocks"];
  json trace = json::array();
  for (const auto& tp : res.trace) trace.push_back({tp.evaluations, tp.seconds, tp.best});
  s["trace"] = trace;
  s["files"] = out.files();
  s["files"].push_back("summary.json");
  std::ofstream(out.file("summary.json")) << s.dump(2) << "\n";
  out.commit();
  std::printf("%s (%s): peak %.3f K -> %.3f K (FV-verified), %d evaluations, %.1f s -> %s\n",
              prob.name.c_str(), args.fd_only ? "fd-only" : "hybrid", start_peak, final_fv,
              res.evaluations, wall, args.output.c_str());
  return 0;
}

}  // namespace heatop::app
