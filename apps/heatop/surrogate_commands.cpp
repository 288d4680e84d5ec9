// `heatop train`, forwarded to the neural-operator module, and the trained models of predict,
// eval and optimize --model, taken from it; the module is loaded here on first use
// (nn_module.hpp). A solved model needs no module (surrogate/solved_operator.hpp).

#include "surrogate_commands.hpp"

#include <dlfcn.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <system_error>

#include "nn_module.hpp"
#include "surrogate/response_operator.hpp"
#include "surrogate/solved_operator.hpp"
#include "surrogate/solved_predictors.hpp"

namespace heatop::app {

namespace {

namespace fs = std::filesystem;

const char* const kNoModule =
    "this build of heatop has no neural-operator module, which train, predict, eval and "
    "optimize --model with a trained (not solved) model need";

struct NnModule {
  NnMainFn main = nullptr;
  NnPredictorFactoryFn predictor_factory = nullptr;
  NnLoadModelFn load_model = nullptr;
};

template <class F>
F symbol(void* handle, const char* name, const std::string& path) {
  void* s = dlsym(handle, name);
  if (!s)
    throw std::runtime_error("the neural-operator module " + path + " has no entry point " + name +
                             "; rebuild heatop");
  return reinterpret_cast<F>(s);
}

NnModule open_nn_module() {
#ifndef HEATOP_WITH_TORCH
  throw std::runtime_error(std::string(kNoModule) + " (it was built without LibTorch)");
#endif
  const std::string path = nn_module_path();
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw std::runtime_error(std::string(kNoModule) + " (" + path +
                             " not found; HEATOP_NN_MODULE can name it)");
  // RTLD_LOCAL: the module's copies of heatop's libraries and LibTorch stay out of the
  // executable's symbol scope. The module stays loaded until exit.
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h)
    throw std::runtime_error("could not load the neural-operator module " + path + ": " +
                             dlerror());
  const int abi = symbol<NnAbiFn>(h, "heatop_nn_abi", path)();
  const std::string version = symbol<NnVersionFn>(h, "heatop_nn_version", path)();
  if (abi != kNnModuleAbi || version != HEATOP_VERSION)
    throw std::runtime_error("the neural-operator module " + path +
                             " is of another build (heatop " + version + ", interface " +
                             std::to_string(abi) + "; this is heatop " + HEATOP_VERSION +
                             ", interface " + std::to_string(kNnModuleAbi) +
                             "); use the module built with this executable");
  return {symbol<NnMainFn>(h, "heatop_nn_main", path),
          symbol<NnPredictorFactoryFn>(h, "heatop_nn_predictor_factory", path),
          symbol<NnLoadModelFn>(h, "heatop_nn_load_model", path)};
}

std::atomic<bool> nn_module_loaded{false};

// Loaded once; a failed load throws (and is tried again on the next call).
const NnModule& nn_module() {
  static const NnModule m = [] {
    NnModule opened = open_nn_module();
    nn_module_loaded = true;
    return opened;
  }();
  return m;
}

}  // namespace

std::string nn_module_path() {
  if (const char* env = std::getenv("HEATOP_NN_MODULE"); env && *env) return env;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "libheatop_nn.so";
  const fs::path next_to = exe.parent_path() / "libheatop_nn.so";
  const fs::path installed = exe.parent_path().parent_path() / "lib" / "heatop" / "libheatop_nn.so";
  if (!fs::exists(next_to, ec) && fs::exists(installed, ec)) return installed.string();
  return next_to.string();
}

int end_command(int exit_code) {
  if (!nn_module_loaded) return exit_code;
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(exit_code);
}

SurrogateCommands add_surrogate_commands(CLI::App& app) {
  // The module's parser reads the arguments (and answers --help): here they are only collected.
  auto forward = [&app](const char* name, const char* description) {
    CLI::App* c = app.add_subcommand(name, description);
    c->prefix_command()->allow_extras()->set_help_flag();
    return c;
  };
  return {forward("train", "Train a physics-informed neural operator (docs/surrogate.md)")};
}

int run_surrogate_command(const SurrogateCommands& c, int argc, char** argv) {
  if (!*c.train) return -1;
  return nn_module().main(argc, argv);
}

std::unique_ptr<surrogate::OperatorModel> load_operator_model(const std::string& path,
                                                              const std::string& device) {
  if (device == "cpu" && surrogate::is_solved_model(path))
    return surrogate::load_linear_model(path);
  std::unique_ptr<surrogate::OperatorModel> model;
  char error[1024] = "";
  if (nn_module().load_model(path.c_str(), device.c_str(), &model, error, sizeof error) != 0)
    throw std::runtime_error(error);
  return model;
}

PredictorFactory surrogate_predictor_factory() {
  // A solved modal model is plain linear algebra, predicted without the module; a trained one
  // loads the module (and LibTorch) here.
  PredictorFactory trained;
#ifdef HEATOP_WITH_TORCH
  // Loading the module and the model synchronously: loading them in the background while
  // optimize solves the start placement was measured no faster (2 vCPUs, 1 or 2 OpenMP
  // threads: LibTorch's start-up competes with the solve for the same cores) and would report
  // a model of another chip only after that work.
  trained = [](const std::string& model_dir, const model::Design& design) {
    NnPredictorFactory make;
    char error[1024] = "";
    if (nn_module().predictor_factory(&make, error, sizeof error) != 0)
      throw std::runtime_error(error);
    return make(model_dir, design);
  };
#endif
  return [trained](const std::string& model_dir, const model::Design& design) {
    return surrogate::model_predictors(model_dir, design, trained);
  };
}

}  // namespace heatop::app
