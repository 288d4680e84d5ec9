#pragma once
// `heatop train` and the models of `heatop predict`, `heatop eval` and `heatop optimize --model`:
// what needs the neural-operator module (nn_module.hpp). The executable lists `train` and
// forwards its arguments; the module, loaded only then, parses and runs it. A solved model needs
// no module.

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "optimize_command.hpp"
#include "surrogate/operator_model.hpp"

namespace heatop::app {

struct SurrogateCommands {
  CLI::App* train = nullptr;
};

/// Adds `train` to the CLI; its arguments are left for the module's parser (`heatop train
/// --help` prints the module's help).
SurrogateCommands add_surrogate_commands(CLI::App& app);

/// Runs `train` from the full argv in the module and returns its exit code, or -1 when it was
/// not selected. Exit codes: 0 success, 2 bad input or no module, 4 training stopped on NaN or
/// divergence. Throws std::runtime_error when the module is missing or cannot be loaded.
int run_surrogate_command(const SurrogateCommands& commands, int argc, char** argv);

/// The model at `path` (a folder or a .hnop file) for predict and eval: a solved model on the
/// CPU here, without the module; any other model, or any model on a GPU, through the module,
/// which is loaded then (std::runtime_error when it is missing).
std::unique_ptr<surrogate::OperatorModel> load_operator_model(const std::string& path,
                                                              const std::string& device);

/// The predictor `heatop optimize --model DIR` uses: for a solved modal model the plain
/// SolvedOperator; for any other model batched predictions from the module, which is loaded
/// when the factory is first called (an error in builds without LibTorch).
PredictorFactory surrogate_predictor_factory();

/// Ends a command: when the module was loaded, flushes the standard streams and ends the process
/// without running static destructors (LibTorch's take about 0.1 s; every output file is
/// closed by then); otherwise returns `exit_code` for main to return.
int end_command(int exit_code);

/// Where the module is looked for: $HEATOP_NN_MODULE, else libheatop_nn.so next to the
/// executable (/proc/self/exe), else ../lib/heatop/libheatop_nn.so from it.
std::string nn_module_path();

}  // namespace heatop::app
