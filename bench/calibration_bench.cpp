// Calibration of the trust layer (issue 4, item 3): on held-out designs, how does the
// estimated max error of a surrogate prediction (FV residual + multigrid) compare with the
// true max error against a converged FV solve on the same grid?
//
//   heatop_bench_calibration --model models/c1 [--model models/c2] [--n 100] [--grid 41x41x21]
//                            [--tol 0.5] [--estimate coarse|vcycles|both]
//                            [--fine-sweeps auto|N] [--tiles N]
//                            [--out bench/results/calibration.json]
//
// A response model (layers with footprints) is checked on its design's own grid (--grid is not
// used); --tiles draws the held-out maps on N x N tiles, finer than the model's sensors.
//
// --fine-sweeps: the coarse estimate's fine-level sweeps; `auto` (default) is heatop predict's
// rule (surrogate::coarse_estimate_sweeps: one where the grid is coarser than the modes).
//
// Half of the designs use Gaussian-random-field power maps, half random block floorplans,
// drawn from each model's own generator settings with seeds the training never used.
// Cost: each estimate (discretization included) is timed against an FV solve of the same design
// as `heatop solve` runs it (discretization, then CG + multigrid from the reference temperature
// to the default tolerance), in the same run, each the best of 3; the ratio's median is reported
// (and, in the JSON, the ratio without the discretization, which `predict` needs anyway for its
// energy balance). Two more costs per estimate, each against the same FV solve: `numbers only`,
// the estimate without its error field (trust::ConfidenceOptions::error_field = false: what a
// batch check such as Python's Surrogate.predict asks for), and `shared`, a batch's per-design
// cost, where the discretization and the hierarchy are built once for all designs of the stack
// (trust::ConfidenceChecker) and compared with an FV solve that shares its set-up likewise
// (fv::set_power, solve::FvSolver); models with heat-transfer inputs, whose operator changes
// with the design, have no shared cost.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/blas_kernels.hpp"
#include "fv/system.hpp"
#include "model/design.hpp"
#include "plot/plots.hpp"
#include "solve/solver.hpp"
#include "surrogate/drivers.hpp"
#include "surrogate/generators.hpp"
#include "surrogate/response_operator.hpp"
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
  std::vector<trust::ErrorEstimate> estimates{trust::ErrorEstimate::coarse,
                                              trust::ErrorEstimate::vcycles};
  std::string out = "bench/results/calibration.json";
  int fine_sweeps = -1;  // -1: auto
  int tiles = 0;         // > 0: held-out maps of this many tiles per axis
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
    else if (s == "--estimate") {
      const std::string e = next();
      a.estimates.clear();
      for (const auto& n : names(trust::kErrorEstimateNames))
        if (e == n || e == "both") a.estimates.push_back(parse(trust::kErrorEstimateNames, n, s));
      if (a.estimates.empty())
        throw std::invalid_argument("--estimate must be " +
                                    join_names(trust::kErrorEstimateNames, ", ") +
                                    " or both, got " + e);
    } else if (s == "--fine-sweeps") {
      const std::string v = next();
      a.fine_sweeps = v == "auto" ? -1 : std::stoi(v);
    } else if (s == "--out")
      a.out = next();
    else if (s == "--tiles")
      a.tiles = std::stoi(next());
    else if (s == "--grid") {
      const std::string g = next();
      if (std::sscanf(g.c_str(), "%dx%dx%d", &a.nx, &a.ny, &a.nz) != 3)
        throw std::invalid_argument("--grid expects NXxNYxNZ, got " + g);
    } else {
      throw std::invalid_argument("unknown option " + s +
                                  "; valid: --model DIR (repeatable), --n, --grid, --tol, "
                                  "--estimate, --fine-sweeps, --tiles, --out");
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

constexpr int kRepeats = 3;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// One estimator's results over a model's designs.
struct Tally {
  std::vector<double> ratios, ests, cost_ratios, cost_only_ratios, cost_numbers_ratios,
      cost_shared_ratios;
  int within2 = 0, under2_above_tol = 0;
};

}  // namespace

int main(int argc, char** argv) try {
  heatop::api::rerun_with_blas_kernels(argv);
  const Args args = parse(argc, argv);
  json out;
  out["tolerance_K"] = args.tol;
  out["grid"] = {args.nx, args.ny, args.nz};
  out["designs_per_model"] = args.n;
  out["cases"] = json::array();
  std::vector<plot::Series> scatter;
  std::printf("%-14s %-8s %5s %9s %8s %9s %9s %9s %10s %9s %9s %9s\n", "model", "estimate", "n",
              "within2x", "under2x", "ratio p05", "median", "p95", "true max K", "cost/FV",
              "numbers", "shared");
  for (const auto& dir : args.models) {
    // A model that needs no LibTorch is used as the CLI uses it; a response model (layers with
    // footprints) on its design's own grid, the only one it predicts on (--grid not used).
    std::unique_ptr<surrogate::OperatorModel> model = surrogate::load_linear_model(dir);
    if (!model)
      model = surrogate::SurrogateModel::load(surrogate::model_file(dir), torch::Device("cpu"));
    const auto& prob = model->problem();
    const auto& cfg = model->config();
    const bool response = surrogate::ResponseOperator::describes(cfg);
    const model::Grid grid =
        response ? model::build_grid(prob.base()) : prob.grid(args.nx, args.ny, args.nz);
    std::vector<double> truths;
    int fine_sweeps_used = 0;
    // The batch set-up: one discretization and hierarchy for all designs (power inputs only).
    bool power_only = true;
    for (const auto& in : cfg.inputs) power_only &= in.type == surrogate::InputType::power_map;
    std::unique_ptr<fv::System> shared_sys;
    std::unique_ptr<solve::FvSolver> shared_solver;
    std::vector<std::unique_ptr<trust::ConfidenceChecker>> checkers(args.estimates.size());
    if (power_only) {
      shared_sys = std::make_unique<fv::System>(fv::discretize(prob.base(), grid));
      shared_solver = std::make_unique<solve::FvSolver>(*shared_sys->op, solve::SolverConfig{});
    }
    std::vector<Tally> tally(args.estimates.size());
    int above_tol = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (int d = 0; d < args.n; ++d) {
      // Held-out seeds: far from the training streams.
      std::mt19937_64 rng(surrogate::stream_seed(987654321ULL, 1000003ULL, d));
      surrogate::InputValues v;
      for (std::size_t i = 0; i < cfg.inputs.size(); ++i) {
        const surrogate::InputConfig& in = cfg.inputs[i];
        if (in.type == surrogate::InputType::power_map) {
          surrogate::GeneratorConfig g = in.generator;
          if (args.tiles > 0) {  // finer maps than the generator's (block sizes kept in mm)
            const double f = static_cast<double>(args.tiles) / g.tiles_x;
            g.blocks.size_min_tiles =
                std::max(1, static_cast<int>(std::lround(g.blocks.size_min_tiles * f)));
            g.blocks.size_max_tiles =
                std::max(g.blocks.size_min_tiles,
                         static_cast<int>(std::lround(g.blocks.size_max_tiles * f)));
            g.tiles_x = g.tiles_y = args.tiles;
          }
          surrogate::PowerMapGenerator gen(g, prob.input_extent(i)[0], prob.input_extent(i)[1]);
          v.maps.push_back(d % 2 == 0 ? gen.sample_grf(rng) : gen.sample_blocks(rng));
          v.htc.push_back(0.0);
        } else {
          v.maps.emplace_back();
          v.htc.push_back(surrogate::sample_htc(in, rng));
        }
      }
      const model::Design design = prob.design_with(v);
      const field::Field3D pred = model->predict(design, grid);
      // The FV solve a user would run instead, timed (the best of kRepeats: timings of a few
      // milliseconds need it).
      double fv_seconds = 1e300;
      for (int rep = 0; rep < kRepeats; ++rep) {
        const auto ts = std::chrono::steady_clock::now();
        const fv::System s = fv::discretize(design, grid);
        std::vector<double> cold(grid.size(), model::reference_temperature(design));
        const auto r = solve::solve_system(*s.op, s.rhs.data(), cold.data(), {});
        if (!r.converged) throw std::runtime_error("FV solve failed: " + r.summary());
        fv_seconds = std::min(fv_seconds, seconds_since(ts));
      }
      double fv_shared_seconds = 1e300;
      if (shared_sys) {
        for (int rep = 0; rep < kRepeats; ++rep) {
          std::vector<double> cold(grid.size(), model::reference_temperature(design));
          const auto ts = std::chrono::steady_clock::now();
          fv::set_power(*shared_sys, design);  // as the checker does: a batch's per-design work
          const auto r = shared_solver->solve(shared_sys->rhs.data(), cold.data());
          if (!r.converged) throw std::runtime_error("FV solve failed: " + r.summary());
          fv_shared_seconds = std::min(fv_shared_seconds, seconds_since(ts));
        }
      }
      const fv::System sys = fv::discretize(design, grid);
      // The truth: a converged solve from the prediction.
      std::vector<double> t = pred.values;
      solve::SolverConfig sc;
      sc.options.rel_tol = 1e-11;
      const auto rep = solve::solve_system(*sys.op, sys.rhs.data(), t.data(), sc);
      if (!rep.converged) throw std::runtime_error("reference solve failed: " + rep.summary());
      double truth = 0;
      for (std::size_t p = 0; p < t.size(); ++p)
        truth = std::max(truth, std::abs(t[p] - pred.values[p]));
      truths.push_back(truth);
      if (truth > args.tol) ++above_tol;
      for (std::size_t e = 0; e < args.estimates.size(); ++e) {
        trust::ConfidenceOptions co;
        co.tolerance_K = args.tol;
        co.method = args.estimates[e];
        // As heatop predict (auto): a fine-level sweep where the grid is coarser than the modes.
        co.fine_sweeps = args.fine_sweeps >= 0 ? args.fine_sweeps
                                               : surrogate::coarse_estimate_sweeps(*model, grid);
        fine_sweeps_used = co.fine_sweeps;
        trust::Confidence conf;
        double est_seconds = 1e300, est_only_seconds = 1e300;
        for (int rep = 0; rep < kRepeats; ++rep) {
          const auto ts = std::chrono::steady_clock::now();
          const fv::System sys_e = fv::discretize(design, grid);  // the check's own, timed
          const auto ts2 = std::chrono::steady_clock::now();
          conf = trust::estimate_confidence(sys_e, pred.values, co);
          est_only_seconds = std::min(est_only_seconds, seconds_since(ts2));
          est_seconds = std::min(est_seconds, seconds_since(ts));
        }
        // The same estimate without its field, alone and with a batch's shared set-up.
        trust::ConfidenceOptions numbers = co;
        numbers.error_field = false;
        double numbers_seconds = 1e300, shared_seconds = 1e300;
        for (int rep = 0; rep < kRepeats; ++rep) {
          const auto ts = std::chrono::steady_clock::now();
          const fv::System sys_e = fv::discretize(design, grid);
          const trust::Confidence c2 = trust::estimate_confidence(sys_e, pred.values, numbers);
          numbers_seconds = std::min(numbers_seconds, seconds_since(ts));
          if (std::abs(c2.est_max_error_K - conf.est_max_error_K) >
              1e-12 * std::max(1.0, conf.est_max_error_K))
            throw std::runtime_error(
                "the estimate without its field differs: " + std::to_string(c2.est_max_error_K) +
                " K against " + std::to_string(conf.est_max_error_K) + " K");
        }
        if (power_only) {
          if (!checkers[e])
            checkers[e] = std::make_unique<trust::ConfidenceChecker>(prob.base(), grid, numbers);
          for (int rep = 0; rep < kRepeats; ++rep) {
            const auto ts = std::chrono::steady_clock::now();
            const trust::Confidence c3 = checkers[e]->check(design, pred.values);
            shared_seconds = std::min(shared_seconds, seconds_since(ts));
            if (std::abs(c3.est_max_error_K - conf.est_max_error_K) >
                1e-12 * std::max(1.0, conf.est_max_error_K))
              throw std::runtime_error("the batch checker's estimate differs");
          }
        }
        Tally& ty = tally[e];
        ty.cost_only_ratios.push_back(est_only_seconds / fv_seconds);
        ty.cost_numbers_ratios.push_back(numbers_seconds / fv_seconds);
        if (power_only) ty.cost_shared_ratios.push_back(shared_seconds / fv_shared_seconds);
        const double ratio = conf.est_max_error_K / truth;
        ty.ratios.push_back(ratio);
        ty.ests.push_back(conf.est_max_error_K);
        ty.cost_ratios.push_back(est_seconds / fv_seconds);
        if (ratio >= 0.5 && ratio <= 2.0) ++ty.within2;
        if (truth > args.tol && ratio < 0.5) ++ty.under2_above_tol;
      }
    }
    const double secs = seconds_since(t0);
    for (std::size_t e = 0; e < args.estimates.size(); ++e) {
      const Tally& ty = tally[e];
      const std::string method = name(trust::kErrorEstimateNames, args.estimates[e]);
      const double frac = static_cast<double>(ty.within2) / args.n;
      std::printf("%-14s %-8s %5d %8.1f%% %8d %9.3f %9.3f %9.3f %10.3f %9.3f %9.3f %9.3f\n",
                  std::filesystem::path(dir).filename().c_str(), method.c_str(), args.n, 100 * frac,
                  ty.under2_above_tol, quantile(ty.ratios, 0.05), quantile(ty.ratios, 0.5),
                  quantile(ty.ratios, 0.95), *std::max_element(truths.begin(), truths.end()),
                  quantile(ty.cost_ratios, 0.5), quantile(ty.cost_numbers_ratios, 0.5),
                  quantile(ty.cost_shared_ratios, 0.5));
      out["cases"].push_back(
          {{"model", dir},
           {"estimate", method},
           {"fine_sweeps",
            args.estimates[e] == trust::ErrorEstimate::coarse ? fine_sweeps_used : 0},
           {"designs", args.n},
           {"fraction_within_2x", frac},
           {"target_within_2x_met", frac >= 0.9},
           {"designs_true_error_above_tol", above_tol},
           {"underestimates_over_2x_above_tol", ty.under2_above_tol},
           {"ratio_est_over_true_p05", quantile(ty.ratios, 0.05)},
           {"ratio_median", quantile(ty.ratios, 0.5)},
           {"ratio_p95", quantile(ty.ratios, 0.95)},
           {"ratio_min", *std::min_element(ty.ratios.begin(), ty.ratios.end())},
           {"ratio_max", *std::max_element(ty.ratios.begin(), ty.ratios.end())},
           {"cost_over_fv_solve_median", quantile(ty.cost_ratios, 0.5)},
           {"cost_over_fv_solve_p95", quantile(ty.cost_ratios, 0.95)},
           {"cost_without_discretization_over_fv_solve_median", quantile(ty.cost_only_ratios, 0.5)},
           {"cost_numbers_only_over_fv_solve_median", quantile(ty.cost_numbers_ratios, 0.5)},
           {"cost_numbers_only_over_fv_solve_p95", quantile(ty.cost_numbers_ratios, 0.95)},
           {"cost_shared_setup_over_fv_solve_shared_setup_median",
            power_only ? json(quantile(ty.cost_shared_ratios, 0.5)) : json(nullptr)},
           {"cost_shared_setup_over_fv_solve_shared_setup_p95",
            power_only ? json(quantile(ty.cost_shared_ratios, 0.95)) : json(nullptr)},
           {"true_max_error_K_median", quantile(truths, 0.5)},
           {"true_max_error_K_max", *std::max_element(truths.begin(), truths.end())},
           {"seconds", secs},
           {"true_K", truths},
           {"estimated_K", ty.ests}});
      scatter.push_back(
          {std::filesystem::path(dir).filename().string() + " " + method, truths, ty.ests, true});
    }
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
