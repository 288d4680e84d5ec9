#include "api/optimize.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <stdexcept>

#include "api/results.hpp"
#include "plot/plots.hpp"
#include "plot/png_plot.hpp"

namespace heatop::api {

namespace {

using nlohmann::json;
using optimize::Placement;
using optimize::PlacementProblem;

// A search or verification grid as the summary gives it: [nx, ny, nz], or "design".
json grid_json(const optimize::FvObjectiveOptions& o) {
  if (o.nx == 0 && o.ny == 0 && o.nz == 0) return "design";
  return {o.nx, o.ny, o.nz};
}

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
                      {"power_face", prob.face_of(b)},
                      {"x_mm", r.x * tx * 1e3},
                      {"y_mm", r.y * ty * 1e3},
                      {"w_mm", r.w * tx * 1e3},
                      {"h_mm", r.h * ty * 1e3},
                      {"power_W", prob.blocks[b].power}});
  }
  return blocks;
}

// The blocks on one power face (all of them when face is empty) and the keep-out zones.
std::vector<plot::FloorplanRect> floorplan(const PlacementProblem& prob, const Placement& p,
                                           const std::string& face) {
  std::vector<plot::FloorplanRect> rects;
  const double tx = prob.design.lx / prob.tiles_x, ty = prob.design.ly / prob.tiles_y;
  for (const auto& k : prob.keep_out)
    rects.push_back({"keep-out", k.x * tx, k.y * ty, k.w * tx, k.h * ty, 0, true, false});
  for (std::size_t b = 0; b < prob.blocks.size(); ++b) {
    if (!face.empty() && prob.face_of(b) != face) continue;
    const auto r = prob.rect(p, b);
    rects.push_back({prob.blocks[b].name, r.x * tx, r.y * ty, r.w * tx, r.h * ty,
                     prob.blocks[b].power, false, prob.blocks[b].fixed});
  }
  return rects;
}

// The z plane of a field on the verification grid: the top surface when every block's power
// enters a surface, else the plane that holds the maximum (inside a powered layer).
int shown_plane(const PlacementProblem& prob, const model::Grid& g, const std::vector<double>& t) {
  bool surface = true;
  for (const auto& f : prob.faces()) surface = surface && (f == "top" || f == "bottom");
  if (surface) return g.nz() - 1;
  const std::size_t at = std::max_element(t.begin(), t.end()) - t.begin();
  return static_cast<int>(at % g.nz());
}

std::vector<double> z_plane(const model::Grid& g, const std::vector<double>& t, int k) {
  std::vector<double> p(static_cast<std::size_t>(g.nx()) * g.ny());
  for (int i = 0; i < g.nx(); ++i)
    for (int j = 0; j < g.ny(); ++j)
      p[static_cast<std::size_t>(i) * g.ny() + j] = t[g.index(i, j, k)];
  return p;
}

json build_summary(const OptimizeResult& r) {
  const auto& lp = r.problem;
  const auto& hc = r.counters;
  const bool final_checks = !r.fd_only && r.checks == optimize::Checks::final;
  json s;
  s["heatop_version"] = HEATOP_VERSION;
  s["mode"] = r.fd_only ? "fd-only" : "hybrid";
  s["checks"] = r.fd_only ? json(nullptr) : json(name(optimize::kChecksNames, r.checks));
  s["shortlist"] = final_checks ? json(r.shortlist) : json(nullptr);
  s["problem"] = lp.problem.name;
  s["start_peak_K_fv"] = r.start_peak_K;
  s["final_peak_K_fv"] = r.final_peak_K;
  s["final_peak_K_surrogate"] = r.fd_only ? json(nullptr) : json(r.final_surrogate_K);
  s["search_best_K"] = r.search.best_value;
  s["improvement_K"] = r.start_peak_K - r.final_peak_K;
  s["wall_seconds"] = r.wall_seconds;
  s["search_seconds"] = r.search_seconds;
  s["seconds"] = {{"setup", r.seconds.setup},
                  {"start", r.seconds.start},
                  {"search", r.seconds.search},
                  {"final_checks", r.seconds.final_checks},
                  {"verification", r.seconds.verification},
                  {"surrogate", r.fd_only ? json(nullptr) : json(hc.surrogate_seconds)},
                  {"fv_checks", r.fd_only ? json(nullptr) : json(hc.fv_seconds)}};
  s["evaluations"] = {{"total", r.search.evaluations},
                      {"surrogate", hc.surrogate},
                      {"fv", r.fd_only ? r.fv_evaluations : hc.refined},
                      {"fv_error_estimates", hc.estimates},
                      {"estimate_corrected", hc.corrected},
                      {"fv_verification", 1 + r.verification_solves}};
  s["verified_by_search_solve"] = r.verification_solves == 0;
  s["max_estimated_error_K"] = r.fd_only ? json(nullptr) : json(hc.max_est_error_K);
  s["optimizer"] = {{"method", "annealing"},
                    {"budget", lp.annealing.evaluations},
                    {"population", lp.annealing.population},
                    {"seed", lp.annealing.seed},
                    {"eval_grid", grid_json(lp.eval)},
                    {"verify_grid", grid_json(lp.verify)}};
  s["placement"] = r.placement;
  json trace = json::array();
  for (const auto& tp : r.search.trace) trace.push_back({tp.evaluations, tp.seconds, tp.best});
  s["trace"] = trace;
  return s;
}

}  // namespace

OptimizeResult optimize_placement(const OptimizeRequest& req) {
  if (req.fd_only == !req.model_dir.empty())
    throw std::invalid_argument(
        "optimize: give exactly one of --model DIR (hybrid: surrogate + FV checks) or --fd-only "
        "(finite-volume evaluations only)");
  const auto t_setup = std::chrono::steady_clock::now();
  OptimizeResult r;
  r.problem = optimize::load_problem(req.problem, req.overrides);
  r.fd_only = req.fd_only;
  r.checks = req.checks;
  r.shortlist = req.shortlist;
  const auto& lp = r.problem;
  const PlacementProblem& prob = lp.problem;
  // One evaluator on the verification grid for the start and the final placement; when the
  // search's FV grid and solver are the same, the hybrid search shares it (one operator and
  // multigrid hierarchy for every solve of the run).
  optimize::FvEvaluator verify(prob, lp.verify);
  const bool search_on_verify_grid = optimize::same_setup(lp.eval, lp.verify);
  std::unique_ptr<optimize::HybridSearch> hybrid;
  optimize::SurrogatePredictors predictors{optimize::FieldPredictor()};
  if (!req.fd_only) {
    if (!req.predictors)
      throw std::runtime_error(
          "optimize --model: no surrogate to evaluate it with (OptimizeRequest::predictors is "
          "empty; surrogate::model_predictors builds them); use --fd-only");
    optimize::HybridOptions ho;
    ho.eval = lp.eval;
    ho.tolerance_K = req.tolerance_K;
    ho.checks = req.checks;
    ho.shortlist = req.shortlist;
    predictors = req.predictors(req.model_dir, prob.design);
    hybrid = std::make_unique<optimize::HybridSearch>(prob, predictors, ho,
                                                      search_on_verify_grid ? &verify : nullptr);
  }
  const auto t0 = std::chrono::steady_clock::now();
  r.seconds.setup = std::chrono::duration<double>(t0 - t_setup).count();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  // Phase boundaries as seconds since t0: each phase is the difference of two, so the four
  // after the set-up add up to wall_seconds.
  double mark = 0;
  auto phase = [&](double& into) {
    const double now = seconds();
    into = now - mark;
    mark = now;
    return now;
  };
  r.start = prob.corner_packed();
  {
    // The start placement's FV peak; the hybrid run starts that solve from the surrogate's field
    // (the solver's stopping test is relative to the right-hand side, so the answer is the same
    // to the solver's tolerance).
    std::vector<double> warm;
    if (hybrid) warm = predictors.fields({verify.design_for(r.start)}, verify.grid()).at(0);
    r.start_peak_K = verify.peak(r.start, nullptr, &warm);
  }
  phase(r.seconds.start);

  const optimize::BatchObjective objective =
      req.fd_only ? optimize::fv_objective(prob, lp.eval, &r.fv_evaluations) : hybrid->objective();
  r.search = optimize::anneal(prob, r.start, objective, lp.annealing, req.progress);
  r.best = r.search.best;
  phase(r.seconds.search);
  optimize::HybridPick pick;
  if (hybrid) {
    pick = hybrid->finish(r.search);
    r.best = pick.placement;
    r.search.best_value = pick.value_K;
    r.counters = hybrid->counters();
  }
  r.search_seconds = phase(r.seconds.final_checks);

  // Verification of the final placement with a full FV solve. When the final checks already
  // FV-solved the pick on the verification grid with the verification solver, that converged
  // solve is its verification and is not repeated.
  r.verify_grid = verify.grid();
  r.final_surrogate_K = NAN;
  if (hybrid && search_on_verify_grid && !pick.fv_field.empty()) {
    r.final_peak_K = pick.value_K;
    r.final_field = std::move(pick.fv_field);
    r.final_surrogate_K =
        *std::max_element(pick.surrogate_field.begin(), pick.surrogate_field.end());
  } else {
    r.final_peak_K = verify.peak(r.best, &r.final_field);
    r.verification_solves = 1;
    if (hybrid) {
      const model::Design vd = verify.design_for(r.best);
      const auto pf = predictors.fields({vd}, r.verify_grid);
      r.final_surrogate_K = *std::max_element(pf.at(0).begin(), pf.at(0).end());
    }
  }
  r.wall_seconds = phase(r.seconds.verification);
  r.placement = placement_json(prob, r.best);
  r.summary = build_summary(r);
  return r;
}

void write_optimize_results(io::OutputDir& out, OptimizeResult& r, const std::string& cmd) {
  const PlacementProblem& prob = r.problem.problem;
  // The pictures are drawn together (plot::draw_all); their paths are staged here, in order.
  std::vector<std::function<void()>> pictures;
  // One floorplan per power face when blocks sit on several (the dies of a stack).
  const std::vector<std::string> faces = prob.faces();
  for (const std::string& face : faces) {
    const std::string suffix = faces.size() > 1 ? "_" + face : "",
                      on = faces.size() > 1 ? " (" + face + ")" : "";
    const std::string start_png = out.file("floorplan_start" + suffix + ".png"),
                      best_png = out.file("floorplan" + suffix + ".png");
    pictures.push_back([&prob, &r, face, on, start_png] {
      plot::write_floorplan_png(start_png, prob.design.lx, prob.design.ly,
                                floorplan(prob, r.start, face),
                                prob.name + ": corner-packed start" + on);
    });
    pictures.push_back([&prob, &r, face, on, best_png] {
      plot::write_floorplan_png(best_png, prob.design.lx, prob.design.ly,
                                floorplan(prob, r.best, face),
                                prob.name + ": optimized placement" + on);
    });
  }
  pictures.push_back([&prob, &r, png = out.file("temperature.png")] {
    const int k = shown_plane(prob, r.verify_grid, r.final_field);
    plot::HeatmapOptions o;
    char where[96];
    std::snprintf(where, sizeof where, "plane z = %.3f mm (holds the peak)",
                  r.verify_grid.z[k] * 1e3);
    o.title = prob.name + ": " + (k == r.verify_grid.nz() - 1 ? "top surface" : where) +
              ", optimized placement (FV)";
    plot::write_heatmap_png(png, r.verify_grid.x, r.verify_grid.y,
                            z_plane(r.verify_grid, r.final_field, k), o);
  });
  pictures.push_back([&r, png = out.file("convergence.png")] {
    plot::Series by_eval{"best peak", {}, {}}, by_time{"best peak", {}, {}};
    for (const auto& tp : r.search.trace) {
      by_eval.x.push_back(tp.evaluations);
      by_eval.y.push_back(tp.best);
      by_time.x.push_back(tp.seconds);
      by_time.y.push_back(tp.best);
    }
    plot::write_line_plot_png(
        png, {{"best peak vs evaluations", "evaluations", "peak temperature (K)", {by_eval}},
              {"best peak vs time", "seconds", "peak temperature (K)", {by_time}}});
  });
  // The heat map, the slowest picture, and the plot start first, the floorplans fill in.
  std::rotate(pictures.begin(), pictures.end() - 2, pictures.end());
  plot::draw_all(pictures);
  json pl;
  pl["problem"] = prob.name;
  pl["tiles"] = {prob.tiles_x, prob.tiles_y};
  pl["blocks"] = r.placement;
  std::ofstream(out.file("placement.json")) << pl.dump(2) << "\n";
  json s = r.summary;
  s["command_line"] = cmd;
  finish_results(out, s);
}

std::string optimize_line(const OptimizeResult& r, const std::string& output) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "%s (%s): peak %.3f K -> %.3f K (FV-verified), %d evaluations, %.1f s -> %s",
                r.problem.problem.name.c_str(), r.fd_only ? "fd-only" : "hybrid", r.start_peak_K,
                r.final_peak_K, r.search.evaluations, r.wall_seconds, output.c_str());
  return buf;
}

}  // namespace heatop::api
