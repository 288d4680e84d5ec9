// libheatop_nn.so: `heatop train | predict | eval` (shells over surrogate/trainer.hpp and
// surrogate/drivers.hpp) and the predictors of `heatop optimize --model` (nn_module.hpp).

#include "nn_module.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "io/design_file.hpp"
#include "io/output_dir.hpp"
#include "io/probes.hpp"
#include "io/progress.hpp"
#include "surrogate/auto_config.hpp"
#include "surrogate/config.hpp"
#include "surrogate/drivers.hpp"
#include "surrogate/surrogate_model.hpp"
#include "surrogate/trainer.hpp"
#include "trust/confidence.hpp"

#define HEATOP_NN_EXPORT extern "C" __attribute__((visibility("default")))

namespace heatop::app {

namespace {

namespace sg = heatop::surrogate;

std::string device_help() {
  return "where the network runs: " + heatop::join_names(sg::kDeviceNames, " or ");
}

struct SurrogateArgs {
  // train
  std::string config, train_output;
  std::vector<std::string> train_overrides;  // --set key=value on the configuration
  std::vector<std::string> train_inputs;     // --input: config is a design, built from it
  bool resume = false;
  // predict
  std::string model, design, predict_output, probe_file;
  std::vector<std::string> overrides;
  double tol_K = 0.5;   // confidence tolerance; with refine, the refinement target
  bool refine = false;  // refine the prediction by a warm-started FV solve
  std::string refine_method = "cg";
  std::string estimate = "coarse";
  // eval
  std::string eval_model, eval_design, grid = "101x101x51", eval_output;
  std::vector<std::string> maps;
  // all
  std::string device = "cpu";
  CLI::App *train = nullptr, *predict = nullptr, *eval = nullptr;
};

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), f, v);
  return buf;
}

int run_train(const SurrogateArgs& a, const std::string& cmd) {
  sg::OperatorConfig cfg = sg::training_config(a.config, a.train_inputs, a.train_overrides);
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
  if (cfg.network.modal_core == sg::ModalCore::solved)
    std::printf("building %s (%s; nothing to train) on %s -> %s\n", a.config.c_str(),
                cfg.network.describe().c_str(), opt.device.str().c_str(), a.train_output.c_str());
  else
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
  if (r.reason == "solved")
    std::printf("solved from the stack in %.1f s", r.seconds);
  else
    std::printf("%s after %ld steps (%ld this run) in %.1f s: loss %.3e", r.reason.c_str(), r.step,
                r.step - r.start_step, r.seconds, r.loss);
  if (!r.validation.empty())
    std::printf(" | validation vs FV: mean rel. L2 of the rise %.2f%%, max |dT| %.3f K",
                100 * r.validation.back().mean_rel_l2, r.validation.back().max_abs_K);
  std::printf(" -> %s\n", r.checkpoint.c_str());
  return 0;
}

int run_predict(const SurrogateArgs& a, const std::string& cmd) {
  io::OutputDir out(a.predict_output);  // an unwritable folder fails before any work
  std::unique_ptr<sg::SurrogateModel> model;
  {
    const sg::KeepOpenMpThreads keep;
    model = sg::SurrogateModel::load(a.model, sg::parse_device(a.device));
  }
  const io::LoadedDesign loaded = io::load_design(a.design, a.overrides);
  api::RunInfo info{a.design, a.overrides, cmd, {}, {}};
  if (!a.probe_file.empty()) info.probes = io::read_probes_csv(a.probe_file);
  const sg::PredictResult r = sg::predict_design(
      *model, loaded, {a.model, a.device, a.tol_K, a.refine, a.refine_method, a.estimate});
  if (r.refinement) std::printf("%s\n", sg::refinement_line(r).c_str());
  sg::write_predict_results(out, r, loaded, info);
  std::printf("%s\n", sg::predict_line(r, loaded.design.name, a.predict_output).c_str());
  return 0;
}

int run_eval(const SurrogateArgs& a, const std::string& cmd) {
  std::unique_ptr<io::OutputDir> out;
  if (!a.eval_output.empty()) out = std::make_unique<io::OutputDir>(a.eval_output);
  std::unique_ptr<sg::SurrogateModel> model;
  {
    const sg::KeepOpenMpThreads keep;
    model = sg::SurrogateModel::load(a.eval_model, sg::parse_device(a.device));
  }
  sg::EvalCallbacks progress;
  progress.on_start = [] { std::printf("%s\n", sg::eval_header_line().c_str()); };
  progress.on_map = [](const sg::MapEvaluation& e) {
    std::printf("%s\n", sg::eval_row_line(e).c_str());
  };
  const sg::EvalResult r =
      sg::evaluate_maps(*model, {a.eval_model, a.eval_design, a.maps, a.grid}, progress);
  std::printf("%s\n", sg::eval_summary_line(r).c_str());
  if (out) sg::write_eval_results(*out, r, cmd);
  return 0;
}

void add_surrogate_commands(CLI::App& app, SurrogateArgs& a) {
  a.train =
      app.add_subcommand("train", "Train a physics-informed neural operator (docs/surrogate.md)");
  a.train
      ->add_option("config", a.config,
                   "operator configuration (YAML), or a design file with --input")
      ->required();
  a.train->add_option("--input", a.train_inputs,
                      "what varies: top, bottom or layer:NAME (a power map); the first argument "
                      "is then a design and the configuration is built from its stack and "
                      "written to the model folder (config.yaml)");
  a.train->add_option("-o,--output", a.train_output, "model folder")->required();
  a.train->add_flag("--resume", a.resume, "continue the model in the folder from its checkpoint");
  a.train->add_option("--set", a.train_overrides,
                      "override a configuration key, e.g. --set training.steps=2000 "
                      "(repeatable; a --resume needs the same ones)");
  a.train->add_option("--device", a.device, device_help())
      ->check(CLI::IsMember(heatop::names(sg::kDeviceNames)));

  a.predict =
      app.add_subcommand("predict", "Predict a design's temperature with a trained operator");
  a.predict->add_option("model", a.model, "model folder (or .hnop checkpoint)")->required();
  a.predict->add_option("design", a.design, "design file (YAML)")->required();
  a.predict->add_option("-o,--output", a.predict_output, "output folder")->required();
  a.predict->add_option("--set", a.overrides, "override a design key (repeatable)");
  a.predict->add_option("--probe", a.probe_file, "CSV of points x_mm,y_mm,z_mm; writes probes.csv");
  a.predict->add_option("--device", a.device, device_help())
      ->check(CLI::IsMember(heatop::names(sg::kDeviceNames)));
  a.predict
      ->add_option("--tol", a.tol_K,
                   "error tolerance in K for the confidence score (and for --refine)")
      ->check(CLI::PositiveNumber);
  a.predict->add_flag("--refine", a.refine,
                      "refine the prediction by a warm-started FV solve until the estimated max "
                      "error is below --tol");
  a.predict
      ->add_option(
          "--method", a.refine_method,
          "refinement solver: " + heatop::join_names(heatop::trust::kRefineMethodNames, " or "))
      ->check(CLI::IsMember(heatop::names(heatop::trust::kRefineMethodNames)));
  a.predict
      ->add_option(
          "--estimate", a.estimate,
          "error estimate: " + heatop::join_names(heatop::trust::kErrorEstimateNames, " or ") +
              " (docs/trust.md)")
      ->check(CLI::IsMember(heatop::names(heatop::trust::kErrorEstimateNames)));

  a.eval = app.add_subcommand("eval", "Compare a trained operator with FV solutions map by map");
  a.eval->add_option("model", a.eval_model, "model folder (or .hnop checkpoint)")->required();
  a.eval->add_option("--design", a.eval_design, "design file the maps go into")->required();
  a.eval->add_option("--maps", a.maps, "power-map files (default: the design's own map)");
  a.eval->add_option("--grid", a.grid, "evaluation grid NXxNYxNZ (default 101x101x51)");
  a.eval->add_option("-o,--output", a.eval_output, "optional folder for eval.json and eval.csv");
  a.eval->add_option("--device", a.device, device_help())
      ->check(CLI::IsMember(heatop::names(sg::kDeviceNames)));
}

}  // namespace

}  // namespace heatop::app

HEATOP_NN_EXPORT int heatop_nn_abi() { return heatop::app::kNnModuleAbi; }

HEATOP_NN_EXPORT const char* heatop_nn_version() { return HEATOP_VERSION; }

// The executable's argv, unchanged: the same parser as the executable's (name, description,
// subcommands), so that help texts and parse errors read as they did when these commands were
// built into it.
HEATOP_NN_EXPORT int heatop_nn_main(int argc, char** argv) {
  using namespace heatop::app;
  CLI::App app{"heatop: fast, trustworthy thermal simulation of 3D integrated circuits"};
  app.require_subcommand(1);
  SurrogateArgs args;
  add_surrogate_commands(app, args);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  std::string cmd;
  for (int i = 0; i < argc; ++i) cmd += (i ? " " : "") + std::string(argv[i]);
  try {
    if (*args.train) return run_train(args, cmd);
    if (*args.predict) return run_predict(args, cmd);
    if (*args.eval) return run_eval(args, cmd);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "heatop: error: %s\n", e.what());
    return 2;
  }
  return 1;
}

HEATOP_NN_EXPORT int heatop_nn_predictor_factory(void* factory, char* error,
                                                 std::size_t error_size) {
  try {
    *static_cast<heatop::app::NnPredictorFactory*>(factory) =
        &heatop::surrogate::load_hybrid_predictors;
    return 0;
  } catch (const std::exception& e) {
    if (error_size > 0) std::snprintf(error, error_size, "%s", e.what());
    return 2;
  }
}
