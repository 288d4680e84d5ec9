// Calibration of the trust layer (issue 4, item 3): on held-out designs, how does the
// estimated max error of a surrogate prediction (FV residual + multigrid) compare with the
// true max error against a converged FV solve on the same grid?
//
//   heatop_bench_calibration --model models/c1 [--model models/c2] [--n 100] [--grid 41x41x21]
//                            [--tol 0.5] [--out bench/results/calibration.json]
//
// Half of the designs use Gaussian-random-field power maps, half random block floorplans,
// drawn from each model's own generator settings with seeds the training never used.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fv/system.hpp"
#include "plot/plots.hpp"
#include "solve/solver.hpp"
#include "surrogate/generators.hpp"
#include "surrogate/surrogate_model.hpp"
#include "trust/confidence.hpp"

using namespace heatop;
using nlohmann::json;

namespace {

struct Args {
  std::vector<std::string> models;
  int n = 100;
  int nx = 41, ny = 41, nz = 21;
  double tol = 0.5;
  std::string out = "bench/results/calibration.json";
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(s + " needs a value");
      return argv[++i];
    };
    if (s == "--model")
      a.models.push_back(next());
    else if (s == "--n")
      a.n = std::stoi(next());
    else if (s == "--tol")
      a.tol = std::stod(next());
    else if (s == "--out")
      a.out = next();
    else if (s == "--grid") {
      const std::string g = next();
      if (std::sscanf(g.c_str(), "%dx%dx%d", &a.nx, &a.ny, &a.nz) != 3)
        throw std::invalid_argument("--grid expects NXxNYxNZ, got " + g);
    } else {
      throw std::invalid_argument("unknown option " + s +
                                  "; valid: --model DIR (repeatable), --n, --grid, --tol, --out");
    }
  }
  if (a.models.empty()) throw std::invalid_argument("give at least one --model DIR");
  if (a.n < 2) throw std::invalid_argument("--n must be >= 2");
  return a;
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(q * (v.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) try {
  const Args args = parse(argc, argv);
  json out;
  out["tolerance_K"] = args.tol;
  out["grid"] = {args.nx, args.ny, args.nz};
  out["designs_per_model"] = args.n;
  out["cases"] = json::array();
  std::vector<plot::Series> scatter;
  std::printf("%-18s %6s %10s %10s %10s %12s %12s %10s\n", "model", "n", "within2x", "under2x",
              "ratio p05", "ratio median", "ratio p95", "true max K");
  for (const auto& dir : args.models) {
    auto model = surrogate::SurrogateModel::load(surrogate::model_file(dir), torch::Device("cpu"));
    const auto& prob = model->problem();
    const auto& cfg = model->config();
    const model::Grid grid = prob.grid(args.nx, args.ny, args.nz);
    std::vector<double> ratios, truths, ests;
    int within2 = 0, under2_above_tol = 0, above_tol = 0;
    plot::Series pts{std::filesystem::path(dir).filename().string(), {}, {}, true};
    const auto t0 = std::chrono::steady_clock::now();
    for (int d = 0; d < args.n; ++d) {
      // Held-out seeds: far from the training streams.
      std::mt19937_64 rng(surrogate::stream_seed(987654321ULL, 1000003ULL, d));
      surrogate::InputValues v;
      for (const auto& in : cfg.inputs) {
        if (in.type == surrogate::InputType::power_map) {
          surrogate::PowerMapGenerator gen(in.generator, prob.base().lx, prob.base().ly);
          v.maps.push_back(d % 2 == 0 ? gen.sample_grf(rng) : gen.sample_blocks(rng));
          v.htc.push_back(0.0);
        } else {
          v.maps.emplace_back();
          v.htc.push_back(surrogate::sample_htc(in, rng));
        }
      }
      const model::Design design = prob.design_with(v);
      const field::Field3D pred = model->predict(design, grid);
      const fv::System sys = fv::discretize(design, grid);
      trust::ConfidenceOptions co;
      co.tolerance_K = args.tol;
      const auto conf = trust::estimate_confidence(sys, pred.values, co);
      std::vector<double> t = pred.values;
      solve::SolverConfig sc;
      sc.options.rel_tol = 1e-11;
      const auto rep = solve::solve_system(*sys.op, sys.rhs.data(), t.data(), sc);
      if (!rep.converged) throw std::runtime_error("reference solve failed: " + rep.summary());
      double truth = 0;
      for (std::size_t p = 0; p < t.size(); ++p)
        truth = std::max(truth, std::abs(t[p] - pred.values[p]));
      const double ratio = conf.est_max_error_K / truth;
      ratios.push_back(ratio);
      truths.push_back(truth);
      ests.push_back(conf.est_max_error_K);
      if (ratio >= 0.5 && ratio <= 2.0) ++within2;
      if (truth > args.tol) {
        ++above_tol;
        if (ratio < 0.5) ++under2_above_tol;
      }
      pts.x.push_back(truth);
      pts.y.push_back(conf.est_max_error_K);
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double frac = static_cast<double>(within2) / args.n;
    std::printf("%-18s %6d %9.1f%% %10d %10.3f %12.3f %12.3f %10.3f\n",
                std::filesystem::path(dir).filename().c_str(), args.n, 100 * frac, under2_above_tol,
                quantile(ratios, 0.05), quantile(ratios, 0.5), quantile(ratios, 0.95),
                *std::max_element(truths.begin(), truths.end()));
    out["cases"].push_back(
        {{"model", dir},
         {"designs", args.n},
         {"fraction_within_2x", frac},
         {"target_within_2x_met", frac >= 0.9},
         {"designs_true_error_above_tol", above_tol},
         {"underestimates_over_2x_above_tol", under2_above_tol},
         {"ratio_est_over_true_p05", quantile(ratios, 0.05)},
         {"ratio_median", quantile(ratios, 0.5)},
         {"ratio_p95", quantile(ratios, 0.95)},
         {"ratio_min", *std::min_element(ratios.begin(), ratios.end())},
         {"ratio_max", *std::max_element(ratios.begin(), ratios.end())},
         {"true_max_error_K_median", quantile(truths, 0.5)},
         {"true_max_error_K_max", *std::max_element(truths.begin(), truths.end())},
         {"seconds", secs},
         {"true_K", truths},
         {"estimated_K", ests}});
    scatter.push_back(pts);
  }
  // Reference lines: estimate = truth, and the factor-2 band.
  double lo = 1e300, hi = 0;
  for (const auto& s : scatter)
    for (double v : s.x) lo = std::min(lo, v), hi = std::max(hi, v);
  scatter.push_back({"estimate = true", {lo, hi}, {lo, hi}, false, 2});
  scatter.push_back({"x2 / x0.5", {lo, hi}, {2 * lo, 2 * hi}, false, 3});
  scatter.push_back({"", {lo, hi}, {0.5 * lo, 0.5 * hi}, false, 3});
  std::filesystem::create_directories(std::filesystem::path(args.out).parent_path());
  const std::string png = std::filesystem::path(args.out).replace_extension(".png").string();
  plot::write_line_plot_png(png,
                            {{"estimated vs true max error", "true max error (K)",
                              "estimated max error (K)", scatter, true}},
                            720, 620);
  std::ofstream(args.out) << out.dump(2) << "\n";
  std::printf("wrote %s and %s\n", args.out.c_str(), png.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "heatop_bench_calibration: error: %s\n", e.what());
  return 2;
}
