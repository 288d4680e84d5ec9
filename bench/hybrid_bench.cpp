// Hybrid (surrogate + FV checks) against FD-only placement optimization (case C3, or any problem
// file such as examples/c4_placement.yaml), in one run
// (issue 4, item 6): the same annealing, seed and budget; wall times, FV-verified final peaks,
// the corner-packed start, and when the model's training has paid for itself.
//
//   heatop_bench_hybrid --model models/c1 [--problem examples/c3_placement.yaml]
//                       [--set key=value ...] [--train-seconds S] [--out bench/results/hybrid.json]

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/blas_kernels.hpp"
#include "optimize/hybrid.hpp"
#include "optimize/problem_file.hpp"
#include "surrogate/predictors.hpp"
#include "surrogate/surrogate_model.hpp"

using namespace heatop;
using nlohmann::json;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Training time recorded by `heatop train` in the model folder, if any.
double recorded_training_seconds(const std::string& dir) {
  for (const char* name : {"train_summary.json", "summary.json", "training.json"}) {
    const auto p = std::filesystem::path(dir) / name;
    if (!std::filesystem::exists(p)) continue;
    try {
      const json j = json::parse(std::ifstream(p));
      for (const char* key : {"wall_seconds", "train_seconds", "seconds", "elapsed_seconds"})
        if (j.contains(key) && j[key].is_number()) return j[key].get<double>();
    } catch (const std::exception&) {
    }
  }
  return NAN;
}

}  // namespace

int main(int argc, char** argv) try {
  heatop::api::rerun_with_blas_kernels(argv);
  std::string model_dir, problem = std::string(HEATOP_EXAMPLES_DIR) + "/c3_placement.yaml";
  std::string out_path = "bench/results/hybrid.json";
  std::vector<std::string> overrides;
  double train_seconds = NAN, tol = 0.5;
  bool full_fields = false;
  std::string checks = "best";
  int shortlist = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(s + " needs a value");
      return argv[++i];
    };
    if (s == "--model")
      model_dir = next();
    else if (s == "--problem")
      problem = next();
    else if (s == "--set")
      overrides.push_back(next());
    else if (s == "--train-seconds")
      train_seconds = std::stod(next());
    else if (s == "--tol")
      tol = std::stod(next());
    else if (s == "--out")
      out_path = next();
    else if (s == "--full-fields")
      full_fields = true;
    else if (s == "--checks")
      checks = next();
    else if (s == "--shortlist")
      shortlist = std::stoi(next());
    else
      throw std::invalid_argument("unknown option " + s +
                                  "; valid: --model, --problem, --set, --train-seconds, --tol, "
                                  "--out, --full-fields, --checks, --shortlist");
  }
  if (model_dir.empty()) throw std::invalid_argument("--model DIR is required");
  if (std::isnan(train_seconds)) train_seconds = recorded_training_seconds(model_dir);

  auto lp = optimize::load_problem(problem, overrides);
  const auto& prob = lp.problem;
  const auto start = prob.corner_packed();
  const double start_peak = optimize::fv_peak(prob, start, lp.verify);

  // FD-only baseline.
  int fv_count = 0;
  auto t0 = std::chrono::steady_clock::now();
  const auto fd =
      optimize::anneal(prob, start, optimize::fv_objective(prob, lp.eval, &fv_count), lp.annealing);
  const double fd_search = seconds_since(t0);
  // When the search grid is the verification grid, a placement's FV value from the search is
  // already its verified peak (a converged solve on that grid): no second solve, for either
  // mode. Otherwise both verify on lp.verify.
  const bool same_grid =
      lp.eval.nx == lp.verify.nx && lp.eval.ny == lp.verify.ny && lp.eval.nz == lp.verify.nz;
  const double fd_final = same_grid ? fd.best_value : optimize::fv_peak(prob, fd.best, lp.verify);
  const double fd_wall = seconds_since(t0);

  // Hybrid: the same optimizer, seed and budget.
  std::shared_ptr<surrogate::SurrogateModel> m =
      surrogate::SurrogateModel::load(surrogate::model_file(model_dir), torch::kCPU);
  // --full-fields: screen batches with full fields instead of peak-only predictions.
  optimize::SurrogatePredictors predict = surrogate::hybrid_predictors(m);
  if (full_fields) predict.peaks = nullptr;
  optimize::HybridOptions ho;
  ho.eval = lp.eval;
  ho.tolerance_K = tol;
  t0 = std::chrono::steady_clock::now();
  ho.checks = parse(optimize::kChecksNames, checks, "--checks");
  ho.shortlist = shortlist;
  optimize::HybridSearch search(prob, predict, ho);
  auto hy = optimize::anneal(prob, start, search.objective(), lp.annealing);
  const optimize::HybridPick pick = search.finish(hy);
  hy.best = pick.placement;
  hy.best_value = pick.value_K;
  const optimize::HybridCounters& hc = search.counters();
  const double hy_search = seconds_since(t0);
  // `final` ends with FV solves of the shortlist on the search grid; `best` may end on a
  // trusted surrogate value, so it is always verified.
  const double hy_final =
      same_grid && checks == "final" ? hy.best_value : optimize::fv_peak(prob, hy.best, lp.verify);
  const double hy_wall = seconds_since(t0);

  const double ratio = fd_wall / hy_wall;
  const double saved = fd_wall - hy_wall;
  const double break_even = saved > 0 && std::isfinite(train_seconds) ? train_seconds / saved : NAN;
  std::printf(
      "%s, %d evaluations, seed %lu, eval grid %dx%dx%d, verify %dx%dx%d; hybrid checks "
      "'%s', %s screen\n",
      lp.problem.name.c_str(), lp.annealing.evaluations, lp.annealing.seed, lp.eval.nx, lp.eval.ny,
      lp.eval.nz, lp.verify.nx, lp.verify.ny, lp.verify.nz, checks.c_str(),
      full_fields ? "full-field" : "peak-only");
  std::printf("%-10s %10s %10s %12s %10s %10s\n", "mode", "search s", "wall s", "final K (FV)",
              "FV solves", "surrogate");
  std::printf("%-10s %10.2f %10.2f %12.3f %10d %10d\n", "fd-only", fd_search, fd_wall, fd_final,
              fv_count + (same_grid ? 0 : 1), 0);
  std::printf("%-10s %10.2f %10.2f %12.3f %10d %10d\n", "hybrid", hy_search, hy_wall, hy_final,
              hc.refined + (same_grid && checks == "final" ? 0 : 1), hc.surrogate);
  std::printf("hybrid time in the surrogate %.3f s, in FV (checks, shortlist) %.3f s%s\n",
              hc.surrogate_seconds, hc.fv_seconds,
              same_grid ? "; search grid = verify grid: no separate verification solve" : "");
  std::printf("corner-packed start: %.3f K (FV)\n", start_peak);
  std::printf("wall-time ratio fd/hybrid: %.1fx (targets: C3 >= 70x, C4 >= 100x)\n", ratio);
  std::printf("final peak hybrid - fd: %+.3f K (target <= +0.1 K)\n", hy_final - fd_final);
  std::printf("training: %.1f s; pays for itself after %.1f optimizations\n", train_seconds,
              break_even);
  json j{
      {"problem", problem},
      {"evaluations", lp.annealing.evaluations},
      {"seed", lp.annealing.seed},
      {"eval_grid", {lp.eval.nx, lp.eval.ny, lp.eval.nz}},
      {"verify_grid", {lp.verify.nx, lp.verify.ny, lp.verify.nz}},
      {"start_peak_K_fv", start_peak},
      {"fd_only",
       {{"search_seconds", fd_search},
        {"wall_seconds", fd_wall},
        {"final_peak_K_fv", fd_final},
        {"fv_solves", fv_count + (same_grid ? 0 : 1)}}},
      {"hybrid",
       {{"checks", checks},
        {"peak_screen", !full_fields},
        {"search_seconds", hy_search},
        {"wall_seconds", hy_wall},
        {"final_peak_K_fv", hy_final},
        {"surrogate_evaluations", hc.surrogate},
        {"fv_error_estimates", hc.estimates},
        {"fv_refinements", hc.refined},
        {"estimate_corrected", hc.corrected},
        {"max_estimated_error_K", hc.max_est_error_K},
        {"shortlist", checks == "final" ? json(shortlist) : json(nullptr)},
        {"surrogate_seconds", hc.surrogate_seconds},
        {"fv_seconds", hc.fv_seconds}}},
      {"verified_on_search_grid", same_grid},
      {"wall_time_ratio", ratio},
      {"final_peak_difference_K", hy_final - fd_final},
      {"training_seconds", std::isfinite(train_seconds) ? json(train_seconds) : json(nullptr)},
      {"break_even_optimizations", std::isfinite(break_even) ? json(break_even) : json(nullptr)}};
  std::filesystem::create_directories(std::filesystem::path(out_path).parent_path());
  std::ofstream(out_path) << j.dump(2) << "\n";
  std::printf("wrote %s\n", out_path.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "heatop_bench_hybrid: error: %s\n", e.what());
  return 2;
}
