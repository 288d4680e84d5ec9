// libheatop_nn.so: `heatop train` (a shell over surrogate/trainer.hpp), the trained models that
// `heatop predict | eval` use, and the predictors of `heatop optimize --model` (nn_module.hpp).

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
#include "io/progress.hpp"
#include "surrogate/auto_config.hpp"
#include "surrogate/config.hpp"
#include "surrogate/drivers.hpp"
#include "surrogate/predictors.hpp"
#include "surrogate/surrogate_model.hpp"
#include "surrogate/trainer.hpp"

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
  std::string device = "cpu";
  CLI::App* train = nullptr;
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
  const bool response = cfg.network.modal_core == sg::ModalCore::response;
  opt.on_progress = [&](const sg::TrainProgress& p) {
    if (response) {  // FV solves of the response model
      if (!bar) bar = std::make_unique<io::ProgressBar>("build", p.steps, "FV solves");
      bar->update(p.step, "solve " + std::to_string(p.step) + " of " + std::to_string(p.steps));
      return;
    }
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
  if (response)
    std::printf("building %s (%s; one FV solve per mode, nothing to train) on %s -> %s\n",
                a.config.c_str(), cfg.network.describe().c_str(), opt.device.str().c_str(),
                a.train_output.c_str());
  else if (cfg.network.modal_core == sg::ModalCore::solved)
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
  if (bar && response)
    bar->finish("done");
  else if (bar)
    bar->finish("step " + std::to_string(r.step) + " loss " + fmt("%.3e", r.loss) + last_val);
  if (!r.ok()) {
    std::fprintf(stderr, "heatop: error: %s\n", r.message.c_str());
    return 4;
  }
  if (r.reason == "solved")
    std::printf("solved from the stack in %.1f s", r.seconds);
  else if (r.reason == "built")
    std::printf("built from FV responses in %.1f s", r.seconds);
  else
    std::printf("%s after %ld steps (%ld this run) in %.1f s: loss %.3e", r.reason.c_str(), r.step,
                r.step - r.start_step, r.seconds, r.loss);
  if (!r.validation.empty())
    std::printf(" | validation vs FV: mean rel. L2 of the rise %.2f%%, max |dT| %.3f K",
                100 * r.validation.back().mean_rel_l2, r.validation.back().max_abs_K);
  std::printf(" -> %s\n", r.checkpoint.c_str());
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
  } catch (const std::exception& e) {
    std::fprintf(stderr, "heatop: error: %s\n", e.what());
    return 2;
  }
  return 1;
}

HEATOP_NN_EXPORT int heatop_nn_load_model(const char* path, const char* device, void* model,
                                          char* error, std::size_t error_size) {
  try {
    const heatop::surrogate::KeepOpenMpThreads keep;
    *static_cast<std::unique_ptr<heatop::surrogate::OperatorModel>*>(model) =
        heatop::surrogate::SurrogateModel::load(path, heatop::surrogate::parse_device(device));
    return 0;
  } catch (const std::exception& e) {
    if (error_size > 0) std::snprintf(error, error_size, "%s", e.what());
    return 2;
  }
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
