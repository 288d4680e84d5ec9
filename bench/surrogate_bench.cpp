// Surrogate benchmarks (issue 3, item 8). Fixed seeds; writes JSON and prints a table.
//
//   heatop_bench_surrogate                         8a: separable vs pointwise training step
//   heatop_bench_surrogate --accuracy models/c1    8b: a trained C1 model vs FV at 101x101x51 on
//                                                  the Celsius maps and held-out GRF/block maps
//   heatop_bench_surrogate --interfaces A B --heldout 20
//                                                  C2: error near the layer interfaces vs FV
//
// 8a runs each model in its own child process (fork before any LibTorch work), so the peak
// resident memory (getrusage ru_maxrss) of each is measured separately, in one invocation.

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "api/blas_kernels.hpp"
#include "io/design_file.hpp"
#include "io/power_files.hpp"
#include "surrogate/evaluation.hpp"
#include "surrogate/generators.hpp"
#include "surrogate/physics_loss.hpp"
#include "surrogate/response_operator.hpp"
#include "surrogate/surrogate_model.hpp"
#include "surrogate/trainer.hpp"

using namespace heatop;
using namespace heatop::surrogate;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct StepArgs {
  std::string config = std::string(HEATOP_EXAMPLES_DIR) + "/c1_operator_mlp.yaml";
  int functions = 50, steps = 10, warmup = 2;
  int nx = 21, ny = 21, nz = 11;
  std::string device = "cpu";
};

double rss_mib() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, resident = 0;
  f >> pages >> resident;
  return resident * sysconf(_SC_PAGESIZE) / 1048576.0;
}

double maxrss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;
}

// Times training steps of one model kind; runs in a child process.
json time_steps(const StepArgs& a, const std::string& kind) {
  OperatorConfig cfg = load_operator_config(a.config);
  cfg.network.model = parse(kNetworkModelNames, kind, "network.model");
  const model::Design d = io::load_design(cfg.design).design;
  const double rss0 = rss_mib();
  SurrogateModel m(cfg, d, parse_device(a.device));
  const Problem& p = m.problem();
  const model::Grid grid = p.grid(a.nx, a.ny, a.nz);
  torch::optim::Adam adam(m.net().parameters(), 1e-3);
  double secs = 0;
  for (int s = 0; s < a.warmup + a.steps; ++s) {
    const auto in = draw_inputs(p, 1, s, a.functions);
    if (m.device().is_cuda()) torch::cuda::synchronize();
    const auto t0 = std::chrono::steady_clock::now();
    const PhysicsLoss loss(p, grid, m.tensor_options());
    const PhysicsBatch batch = physics_batch(p, grid, in, m.tensor_options());
    const LossValue lv = loss_of(m.net(), loss, batch);
    adam.zero_grad();
    lv.total.backward();
    adam.step();
    if (m.device().is_cuda()) torch::cuda::synchronize();
    if (s >= a.warmup)
      secs += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  return {{"model", kind},
          {"ms_per_step", 1e3 * secs / a.steps},
          {"peak_rss_MiB", maxrss_mib()},
          {"peak_rss_above_start_MiB", maxrss_mib() - rss0},
          {"parameters", [&] {
             long n = 0;
             for (const auto& t : m.net().parameters()) n += t.numel();
             return n;
           }()}};
}

json in_child(const std::function<json()>& f) {
  int fd[2];
  if (pipe(fd) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = fork();
  if (pid == 0) {
    close(fd[0]);
    std::string out;
    try {
      out = f().dump();
    } catch (const std::exception& e) {
      out = json{{"error", e.what()}}.dump();
    }
    if (write(fd[1], out.data(), out.size()) < 0) _exit(1);
    close(fd[1]);
    _exit(0);
  }
  close(fd[1]);
  std::string s;
  char buf[4096];
  for (ssize_t n; (n = read(fd[0], buf, sizeof buf)) > 0;) s.append(buf, n);
  close(fd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return json::parse(s.empty() ? "{\"error\": \"child failed\"}" : s);
}

json bench_training(const StepArgs& a) {
  const json sep = in_child([&] { return time_steps(a, "separable"); });
  const json pw = in_child([&] { return time_steps(a, "pointwise"); });
  json r{{"benchmark", "8a separable vs pointwise training step"},
         {"grid", {a.nx, a.ny, a.nz}},
         {"functions_per_step", a.functions},
         {"timed_steps", a.steps},
         {"device", a.device},
         {"config", a.config},
         {"separable", sep},
         {"pointwise", pw}};
  if (!sep.contains("error") && !pw.contains("error")) {
    r["speedup"] = pw["ms_per_step"].get<double>() / sep["ms_per_step"].get<double>();
    r["memory_ratio"] = pw["peak_rss_above_start_MiB"].get<double>() /
                        std::max(1.0, sep["peak_rss_above_start_MiB"].get<double>());
  }
  std::printf("\n8a: one training step at %dx%dx%d, %d functions, %s (mean of %d steps)\n", a.nx,
              a.ny, a.nz, a.functions, a.device.c_str(), a.steps);
  std::printf("%-10s %12s %18s %14s\n", "model", "ms/step", "peak RSS MiB", "above start");
  for (const json* m : {&sep, &pw}) {
    if (m->contains("error")) {
      std::printf("%-10s error: %s\n", "?", (*m)["error"].get<std::string>().c_str());
      continue;
    }
    std::printf("%-10s %12.1f %18.0f %14.0f\n", (*m)["model"].get<std::string>().c_str(),
                (*m)["ms_per_step"].get<double>(), (*m)["peak_rss_MiB"].get<double>(),
                (*m)["peak_rss_above_start_MiB"].get<double>());
  }
  if (r.contains("speedup"))
    std::printf("separable is %.1fx faster per step and uses %.1fx less memory (above start)\n",
                r["speedup"].get<double>(), r["memory_ratio"].get<double>());
  return r;
}

struct AccuracyArgs {
  std::string model_dir, anchors = std::string(HEATOP_EXAMPLES_DIR) + "/../tests/data/celsius",
                         device = "cpu";
  int heldout = 100, nx = 101, ny = 101, nz = 51;
  double anchor_scale = 1;  // the Celsius maps' watts times this (C2 places them at 0.1)
  int heldout_tiles = 0;    // > 0: the held-out maps' tiles per axis (finer than the sensors)
};

json summarize(const std::vector<ErrorMetrics>& v) {
  double mean = 0, worst = 0, maxabs = 0, peak = 0;
  for (const auto& e : v) {
    mean += e.rel_l2_rise / v.size();
    worst = std::max(worst, e.rel_l2_rise);
    maxabs = std::max(maxabs, e.max_abs_K);
    peak = std::max(peak, std::abs(e.peak_err_K));
  }
  return {{"count", v.size()},
          {"mean_rel_l2_rise", mean},
          {"max_rel_l2_rise", worst},
          {"max_abs_K", maxabs},
          {"max_abs_peak_err_K", peak}};
}

// The uniform nx x ny x nz grid of the comparison (layers get cells in proportion to thickness).
model::Grid comparison_grid(const Problem& p, const AccuracyArgs& a) {
  model::Design base = p.base();
  base.grid = model::GridSpec{};
  base.grid.nx = a.nx;
  base.grid.ny = a.ny;
  base.grid.nz = a.nz;
  for (auto& l : base.layers) l.cells = 0;
  return model::build_grid(base);
}

json bench_accuracy(const AccuracyArgs& a) {
  // A response model (layers with footprints) predicts on its design's own grid only: that is
  // the comparison grid then, and --grid is not used.
  std::unique_ptr<OperatorModel> m;
  if (a.device == "cpu") m = load_linear_model(a.model_dir);
  const bool response = m && ResponseOperator::describes(m->config());
  if (!m) m = SurrogateModel::load(a.model_dir, parse_device(a.device));
  const Problem& p = m->problem();
  const model::Grid grid = response ? model::build_grid(p.base()) : comparison_grid(p, a);
  const double ta = p.norm().t_amb_K;
  auto run = [&](const std::vector<InputValues>& ins, std::vector<ErrorMetrics>& out, json& rows,
                 const std::vector<std::string>& names) {
    const auto pred = m->predict(ins, grid, 8);
    for (std::size_t i = 0; i < ins.size(); ++i) {
      const field::Field3D ref = fv_reference(p.design_with(ins[i]), grid);
      out.push_back(compare(pred[i].values, ref.values, ta));
      if (!names.empty())
        rows.push_back({{"map", names[i]},
                        {"rel_l2_rise", out.back().rel_l2_rise},
                        {"max_abs_K", out.back().max_abs_K},
                        {"peak_err_K", out.back().peak_err_K}});
    }
  };
  json r{{"benchmark", "8b accuracy vs FV, 8d inference"},
         {"model", a.model_dir},
         {"grid", {grid.nx(), grid.ny(), grid.nz()}},
         {"heldout_tiles", a.heldout_tiles},
         {"anchor_scale", a.anchor_scale},
         {"trained_steps", m->info().value("step", 0L)}};
  // 8d: inference time per design, batch 1 and batch 64 (after one warm-up call).
  {
    const auto draws = draw_inputs(p, 4242, 0, 64);
    json inf;
    std::printf("\n8d: inference at %dx%dx%d (%s)\n", grid.nx(), grid.ny(), grid.nz(),
                a.device.c_str());
    for (int b : {1, 64}) {
      const std::vector<InputValues> ins(draws.begin(), draws.begin() + b);
      m->predict(ins, grid, b);
      const int reps = b == 1 ? 10 : 2;
      const auto t0 = std::chrono::steady_clock::now();
      for (int rep = 0; rep < reps; ++rep) m->predict(ins, grid, b);
      const double ms =
          1e3 * std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() /
          reps / b;
      inf["batch_" + std::to_string(b) + "_ms_per_design"] = ms;
      std::printf("batch %2d: %.2f ms per design (incl. branch inputs and copy to double)\n", b,
                  ms);
    }
    r["inference"] = inf;
  }
  // The Celsius maps.
  std::vector<InputValues> cel;
  std::vector<std::string> names;
  if (!a.anchors.empty())
    for (const auto& e : fs::directory_iterator(a.anchors))
      if (e.path().extension() == ".txt") names.push_back(e.path().string());
  std::sort(names.begin(), names.end());
  // A model of several power-map inputs (the dies of a package) gets map i in input 0, map i + 1
  // in input 1, and so on (cyclically): every map in every input once.
  const std::size_t n_in = m->config().inputs.size();
  for (std::size_t i = 0; i < names.size(); ++i) {
    InputValues v;
    for (std::size_t j = 0; j < n_in; ++j) {
      v.maps.push_back(io::read_power_map(names[(i + j) % names.size()]));
      for (double& w : v.maps.back().tile_watts) w *= a.anchor_scale;
    }
    v.htc.assign(n_in, 0.0);
    cel.push_back(v);
  }
  std::vector<ErrorMetrics> ce;
  json rows = json::array();
  run(cel, ce, rows, names);
  r["celsius_maps"] = summarize(ce);
  r["celsius_maps"]["maps"] = rows;
  // Held-out GRF and block maps (a seed no training run uses).
  for (const std::string kind : {"grf", "blocks"}) {
    OperatorConfig cfg = m->config();
    std::vector<InputValues> ins;
    std::vector<PowerMapGenerator> gens;
    for (std::size_t i = 0; i < cfg.inputs.size(); ++i) {
      GeneratorConfig g = cfg.inputs[i].generator;
      g.type = parse(kGeneratorTypeNames, kind, "generator.type");
      if (a.heldout_tiles > 0) {
        // Block sizes are in tiles: kept in millimetres on the finer tiles.
        const double f = static_cast<double>(a.heldout_tiles) / g.tiles_x;
        g.blocks.size_min_tiles =
            std::max(1, static_cast<int>(std::lround(g.blocks.size_min_tiles * f)));
        g.blocks.size_max_tiles = std::max(
            g.blocks.size_min_tiles, static_cast<int>(std::lround(g.blocks.size_max_tiles * f)));
        g.tiles_x = g.tiles_y = a.heldout_tiles;
      }
      gens.emplace_back(g, p.input_extent(i)[0], p.input_extent(i)[1]);
    }
    for (int i = 0; i < a.heldout; ++i) {
      std::mt19937_64 rng(stream_seed(987654321, 0, i));
      InputValues v;
      for (auto& gen : gens) v.maps.push_back(gen.sample(rng));  // one map per input
      v.htc.assign(gens.size(), 0.0);
      ins.push_back(v);
    }
    std::vector<ErrorMetrics> e;
    json none;
    run(ins, e, none, {});
    r["heldout_" + kind] = summarize(e);
  }
  std::printf(
      "\n8b: %s (%ld steps) vs FV at %dx%dx%d%s\n", a.model_dir.c_str(),
      m->info().value("step", 0L), grid.nx(), grid.ny(), grid.nz(),
      a.heldout_tiles > 0
          ? (", held-out maps of " + std::to_string(a.heldout_tiles) + " tiles per axis").c_str()
          : "");
  std::printf("%-16s %6s %14s %13s %11s %14s\n", "set", "maps", "mean relL2 %", "max relL2 %",
              "max|dT| K", "max|peak| K");
  for (const std::string k : {"celsius_maps", "heldout_grf", "heldout_blocks"}) {
    const json& s = r[k];
    if (s["count"].get<int>() == 0) continue;
    std::printf("%-16s %6d %14.3f %13.3f %11.3f %14.3f\n", k.c_str(), s["count"].get<int>(),
                100 * s["mean_rel_l2_rise"].get<double>(), 100 * s["max_rel_l2_rise"].get<double>(),
                s["max_abs_K"].get<double>(), s["max_abs_peak_err_K"].get<double>());
  }
  return r;
}

// A model with heat-transfer-coefficient inputs over its trained range: every pair of the h
// values below (the range's ends and four points between, geometric) on each face input, with
// the base design's own power maps and with held-out GRF maps; errors against FV on the grid,
// reported per h pair and summarised per decade of the pair's smaller h.
json bench_htc(const AccuracyArgs& a) {
  const auto m = SurrogateModel::load(a.model_dir, parse_device(a.device));
  const Problem& p = m->problem();
  const OperatorConfig& cfg = m->config();
  std::vector<std::size_t> htc;
  for (std::size_t i = 0; i < cfg.inputs.size(); ++i)
    if (cfg.inputs[i].type == InputType::htc) htc.push_back(i);
  if (htc.size() != 2)
    throw std::invalid_argument("--htc-grid needs a model with two htc inputs (top and bottom)");
  const double lo = cfg.inputs[htc[0]].htc_min_W_per_m2K, hi = cfg.inputs[htc[0]].htc_max_W_per_m2K;
  std::vector<double> hs;
  for (int k = 0; k < 6; ++k) hs.push_back(lo * std::pow(hi / lo, k / 5.0));
  const model::Grid grid = comparison_grid(p, a);
  const double ta = p.norm().t_amb_K;
  const InputValues own = p.inputs_of(p.base());
  std::vector<PowerMapGenerator> gens;
  for (const InputConfig& in : cfg.inputs) {
    GeneratorConfig g = in.generator;
    g.type = GeneratorType::grf;
    gens.emplace_back(g, p.base().lx, p.base().ly);
  }
  json r{{"benchmark", "htc inputs over the trained range"},
         {"model", a.model_dir},
         {"grid", {a.nx, a.ny, a.nz}},
         {"trained_steps", m->info().value("step", 0L)},
         {"pairs", json::array()}};
  std::printf("\nhtc grid: %s vs FV at %dx%dx%d (own map and %d GRF maps per pair)\n",
              a.model_dir.c_str(), a.nx, a.ny, a.nz, a.heldout);
  std::printf("%10s %10s %14s %11s\n", "h top", "h bottom", "mean relL2 %", "max|dT| K");
  std::map<int, std::vector<ErrorMetrics>> bins;  // by the decade of the smaller h above lo
  std::vector<ErrorMetrics> all;
  for (double ht : hs)
    for (double hb : hs) {
      std::vector<InputValues> ins;
      for (int i = 0; i <= a.heldout; ++i) {
        InputValues v = own;
        if (i > 0) {
          std::mt19937_64 rng(stream_seed(987654321, 2, i));
          for (std::size_t j = 0; j < cfg.inputs.size(); ++j)
            if (cfg.inputs[j].type == InputType::power_map) v.maps[j] = gens[j].sample(rng);
        }
        v.htc[htc[0]] = cfg.inputs[htc[0]].target == "top" ? ht : hb;
        v.htc[htc[1]] = cfg.inputs[htc[1]].target == "top" ? ht : hb;
        ins.push_back(v);
      }
      const auto pred = m->predict(ins, grid, 8);
      std::vector<ErrorMetrics> e;
      for (std::size_t i = 0; i < ins.size(); ++i)
        e.push_back(compare(pred[i].values, fv_reference(p.design_with(ins[i]), grid).values, ta));
      const json sm = summarize(e);
      r["pairs"].push_back({{"h_top", ht}, {"h_bottom", hb}, {"errors", sm}});
      std::printf("%10.0f %10.0f %14.3f %11.3f\n", ht, hb,
                  100 * sm["mean_rel_l2_rise"].get<double>(), sm["max_abs_K"].get<double>());
      // The decade of the smaller h, counted from the range's low end; the top end belongs to
      // the last whole decade.
      const int decades = std::max(1, static_cast<int>(std::ceil(std::log10(hi / lo) - 1e-9)));
      const int dec = std::min(
          decades - 1, static_cast<int>(std::floor(std::log10(std::min(ht, hb) / lo) + 1e-9)));
      auto& bin = bins[dec];
      bin.insert(bin.end(), e.begin(), e.end());
      all.insert(all.end(), e.begin(), e.end());
    }
  r["all"] = summarize(all);
  for (const auto& [k, e] : bins) {
    char name[96];
    std::snprintf(name, sizeof name, "smaller h in [%.0f, %.0f]", lo * std::pow(10.0, k),
                  std::min(hi, lo * std::pow(10.0, k + 1)));
    r["by_smaller_h_decade"][name] = summarize(e);
    std::printf("%-34s mean %.3f %%, worst %.3f %%, max |dT| %.3f K\n", name,
                100 * summarize(e)["mean_rel_l2_rise"].get<double>(),
                100 * summarize(e)["max_rel_l2_rise"].get<double>(),
                summarize(e)["max_abs_K"].get<double>());
  }
  std::printf("all pairs: mean %.3f %%, worst %.3f %%, max |dT| %.3f K\n",
              100 * r["all"]["mean_rel_l2_rise"].get<double>(),
              100 * r["all"]["max_rel_l2_rise"].get<double>(), r["all"]["max_abs_K"].get<double>());
  return r;
}

// C2 interface comparison: error near the layer interfaces against FV for several models
// (e.g. trained with and without the thermal-resistance coordinate) on the same held-out maps.
json bench_interfaces(const std::vector<std::string>& dirs, int count, const std::string& device) {
  json r{{"benchmark", "C2 error near layer interfaces"}, {"models", json::array()}};
  std::printf(
      "\nerror against FV on %d held-out maps at the design's grid; 'near interfaces' = "
      "z nodes within 2 of a layer interface\n",
      count);
  std::printf("%-28s %10s %12s %12s %16s %16s\n", "model", "resistance", "relL2 all %", "max|dT| K",
              "relL2 near if. %", "max|dT| near K");
  for (const auto& dir : dirs) {
    const auto m = SurrogateModel::load(dir, parse_device(device));
    const Problem& p = m->problem();
    const model::Grid grid = model::build_grid(p.base());
    std::vector<int> near(grid.nz(), 0);
    for (int k = 1; k + 1 < grid.nz(); ++k)
      if (grid.cell_layer[k - 1] != grid.cell_layer[k])
        for (int d = -2; d <= 2; ++d)
          if (k + d >= 0 && k + d < grid.nz()) near[k + d] = 1;
    std::vector<InputValues> ins;
    PowerMapGenerator gen(m->config().inputs[0].generator, p.base().lx, p.base().ly);
    for (int i = 0; i < count; ++i) {
      std::mt19937_64 rng(stream_seed(987654321, 1, i));
      InputValues v;
      v.maps = {gen.sample(rng)};
      v.htc = {0};
      ins.push_back(v);
    }
    const auto pred = m->predict(ins, grid, 4);
    double all_num = 0, all_den = 0, all_max = 0, n_num = 0, n_den = 0, n_max = 0;
    const double ta = p.norm().t_amb_K;
    for (std::size_t i = 0; i < ins.size(); ++i) {
      const field::Field3D ref = fv_reference(p.design_with(ins[i]), grid);
      for (std::size_t q = 0; q < ref.values.size(); ++q) {
        const double e = pred[i].values[q] - ref.values[q], rise = ref.values[q] - ta;
        all_num += e * e;
        all_den += rise * rise;
        all_max = std::max(all_max, std::abs(e));
        if (near[q % grid.nz()]) {
          n_num += e * e;
          n_den += rise * rise;
          n_max = std::max(n_max, std::abs(e));
        }
      }
    }
    const json row{{"model", dir},
                   {"trained_steps", m->info().value("step", 0L)},
                   {"resistance_coordinate", p.resistance_coordinate()},
                   {"rel_l2_rise", std::sqrt(all_num / all_den)},
                   {"max_abs_K", all_max},
                   {"near_interfaces_rel_l2_rise", std::sqrt(n_num / n_den)},
                   {"near_interfaces_max_abs_K", n_max}};
    std::printf("%-28s %10s %12.3f %12.3f %16.3f %16.3f\n", dir.c_str(),
                p.resistance_coordinate() ? "on" : "off", 100 * row["rel_l2_rise"].get<double>(),
                all_max, 100 * row["near_interfaces_rel_l2_rise"].get<double>(), n_max);
    r["models"].push_back(row);
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  heatop::api::rerun_with_blas_kernels(argv);
  CLI::App app{"heatop surrogate benchmarks (issue 3, item 8)"};
  StepArgs s;
  AccuracyArgs acc;
  std::string out = "surrogate_bench.json";
  app.add_option("--config", s.config, "operator configuration (8a)");
  app.add_option("--functions", s.functions, "functions per step (8a)");
  app.add_option("--steps", s.steps, "timed steps per model (8a)");
  app.add_option("--device", s.device, "cpu or cuda");
  app.add_option("--accuracy", acc.model_dir, "8b instead of 8a: evaluate this trained model");
  app.add_option("--anchors", acc.anchors, "folder of Celsius maps (8b)");
  app.add_option("--heldout", acc.heldout, "held-out GRF and block maps each (8b)");
  app.add_option("--heldout-tiles", acc.heldout_tiles,
                 "held-out maps with this many tiles per axis (8b; default: the generators')");
  std::vector<int> grid;
  app.add_option("--grid", grid, "FV grid nx ny nz of the comparison (8b; default 101 101 51)")
      ->expected(3);
  bool htc_grid = false;
  app.add_flag("--htc-grid", htc_grid,
               "with --accuracy: a model with top and bottom htc inputs over its h range");
  app.add_option("--anchor-scale", acc.anchor_scale,
                 "multiply the Celsius maps' watts (8b; C2's example design uses 0.1)");
  std::vector<std::string> interface_models;
  app.add_option("--interfaces", interface_models,
                 "C2: compare these trained models near the layer interfaces");
  app.add_option("--json", out, "JSON output file");
  CLI11_PARSE(app, argc, argv);
  if (grid.size() == 3) {
    acc.nx = grid[0];
    acc.ny = grid[1];
    acc.nz = grid[2];
  }
  try {
    json r;
    if (!interface_models.empty()) {
      r = bench_interfaces(interface_models, acc.heldout, s.device);
    } else if (!acc.model_dir.empty()) {
      acc.device = s.device;
      r = htc_grid ? bench_htc(acc) : bench_accuracy(acc);
    } else {
      r = bench_training(s);
    }
    r["heatop_version"] = HEATOP_VERSION;
    std::ofstream(out) << r.dump(2) << "\n";
    std::printf("-> %s\n", out.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "heatop_bench_surrogate: error: %s\n", e.what());
    return 2;
  }
  return 0;
}
