// What the reusable solver saves on the FV-only placement search of case C3 (issue "heatop as a
// library", item 2), in one run: the same annealing (seed, budget, grid) with
//   fresh   every placement discretized and solved from scratch (operator, multigrid hierarchy,
//           coarse factorization built per solve), as before the reusable solver;
//   reused  one optimize::FvEvaluator: operator and hierarchy built once, only the sources
//           re-assembled per placement.
// Both warm-start each solve from the previous solution. Prints wall times, their ratio, and
// the largest difference of the objective values (they must agree to the solver tolerance).
//
//   heatop_bench_reuse [--problem examples/c3_placement.yaml] [--set key=value ...]
//                      [--repeat N] [--out bench/results/reuse.json]

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench_args.hpp"
#include "fv/system.hpp"
#include "optimize/fv_objective.hpp"
#include "optimize/problem_file.hpp"
#include "solve/solver.hpp"

using namespace heatop;
using nlohmann::json;

namespace {

[[noreturn]] void usage(int code) {
  std::fprintf(code ? stderr : stdout,
               "usage: heatop_bench_reuse [--problem P.yaml] [--set key=value ...] [--repeat N]\n"
               "                          [--out bench/results/reuse.json]\n");
  std::exit(code);
}

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The objective as it was before the reusable solver: discretize and solve every placement.
optimize::BatchObjective fresh_objective(const optimize::PlacementProblem& prob,
                                         const optimize::FvObjectiveOptions& opt,
                                         std::vector<double>* values) {
  auto warm = std::make_shared<std::vector<double>>();
  return [&prob, opt, values, warm](const std::vector<optimize::Placement>& batch) {
    std::vector<double> out;
    for (const auto& p : batch) {
      const model::Design d = optimize::design_on_grid(prob.design_for(p), opt);
      const fv::System sys = fv::discretize(d);
      std::vector<double> t =
          warm->size() == sys.grid.size()
              ? *warm
              : std::vector<double>(sys.grid.size(), model::reference_temperature(d));
      const auto rep = solve::solve_system(*sys.op, sys.rhs.data(), t.data(), opt.solver);
      if (!rep.converged) throw std::runtime_error("did not converge: " + rep.summary());
      out.push_back(*std::max_element(t.begin(), t.end()));
      *warm = std::move(t);
    }
    values->insert(values->end(), out.begin(), out.end());
    return out;
  };
}

}  // namespace

int main(int argc, char** argv) try {
  std::string problem = std::string(HEATOP_EXAMPLES_DIR) + "/c3_placement.yaml";
  std::string out_path = "bench/results/reuse.json";
  std::vector<std::string> overrides;
  int repeat = 1;
  bench::ArgCursor c(argc, argv, "heatop_bench_reuse", usage);
  while (c.next()) {
    if (c.arg() == "--problem")
      problem = c.value();
    else if (c.arg() == "--set")
      overrides.push_back(c.value());
    else if (c.arg() == "--repeat")
      repeat = std::stoi(c.value());
    else if (c.arg() == "--out")
      out_path = c.value();
    else if (c.arg() == "-h" || c.arg() == "--help")
      usage(0);
    else {
      std::fprintf(stderr, "heatop_bench_reuse: unknown option %s\n", c.raw().c_str());
      usage(2);
    }
  }
  const auto lp = optimize::load_problem(problem, overrides);
  const auto& prob = lp.problem;
  const auto start = prob.corner_packed();
  json runs = json::array();
  double best_ratio = 0;
  for (int r = 0; r < repeat; ++r) {
    std::vector<double> fresh_values, reused_values;
    auto t0 = std::chrono::steady_clock::now();
    const auto a =
        optimize::anneal(prob, start, fresh_objective(prob, lp.eval, &fresh_values), lp.annealing);
    const double fresh_s = since(t0);
    int count = 0;
    t0 = std::chrono::steady_clock::now();
    optimize::FvEvaluator ev(prob, lp.eval);
    std::vector<double> warm;
    const auto b = optimize::anneal(
        prob, start,
        [&](const std::vector<optimize::Placement>& batch) {
          std::vector<double> out;
          for (const auto& p : batch) out.push_back(ev.peak(p, nullptr, &warm));
          count += static_cast<int>(batch.size());
          reused_values.insert(reused_values.end(), out.begin(), out.end());
          return out;
        },
        lp.annealing);
    const double reused_s = since(t0);
    double maxdiff = 0;
    const std::size_t n = std::min(fresh_values.size(), reused_values.size());
    for (std::size_t i = 0; i < n; ++i)
      maxdiff = std::max(maxdiff, std::abs(fresh_values[i] - reused_values[i]));
    const bool same_path = a.best.x == b.best.x && a.best.y == b.best.y &&
                           a.best.rotated == b.best.rotated && fresh_values.size() == n &&
                           reused_values.size() == n;
    const double ratio = fresh_s / reused_s;
    best_ratio = std::max(best_ratio, ratio);
    std::printf(
        "C3 FV-only search, %d evaluations on %dx%dx%d: fresh %.3f s, reused %.3f s (setup "
        "%.3f s) -> %.2fx; max |value difference| %.2e K; same search path: %s\n",
        count, lp.eval.nx, lp.eval.ny, lp.eval.nz, fresh_s, reused_s, ev.solver().setup_seconds(),
        ratio, maxdiff, same_path ? "yes" : "no");
    runs.push_back({{"evaluations", count},
                    {"grid", {lp.eval.nx, lp.eval.ny, lp.eval.nz}},
                    {"fresh_seconds", fresh_s},
                    {"reused_seconds", reused_s},
                    {"setup_seconds", ev.solver().setup_seconds()},
                    {"ratio", ratio},
                    {"max_value_difference_K", maxdiff},
                    {"same_search_path", same_path}});
  }
  std::ofstream(out_path)
      << json{{"problem", problem}, {"overrides", overrides}, {"runs", runs}}.dump(2) << "\n";
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "heatop_bench_reuse: %s\n", e.what());
  return 2;
}
