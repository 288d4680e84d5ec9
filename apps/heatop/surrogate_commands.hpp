#pragma once
// `heatop train`, `heatop predict` and `heatop eval`: the neural-operator surrogate's commands
// (docs/surrogate.md). Built only with LibTorch (HEATOP_WITH_TORCH).

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "optimize_command.hpp"

namespace heatop::app {

struct SurrogateArgs {
  // train
  std::string config, train_output;
  bool resume = false;
  // predict
  std::string model, design, predict_output, probe_file;
  std::vector<std::string> overrides;
  double tol_K = 0.5;   // confidence tolerance; with refine, the refinement target
  bool refine = false;  // refine the prediction by a warm-started FV solve
  std::string refine_method = "cg";
  // eval
  std::string eval_model, eval_design, grid = "101x101x51", eval_output;
  std::vector<std::string> maps;
  int batch = 16;
  // all
  std::string device = "cpu";
  CLI::App *train = nullptr, *predict = nullptr, *eval = nullptr;
};

/// Adds the three subcommands to the CLI.
void add_surrogate_commands(CLI::App& app, SurrogateArgs& args);

/// Runs the selected surrogate subcommand and returns its exit code, or -1 when none of them
/// was selected. Exit codes: 0 success, 2 bad input, 4 training stopped on NaN or divergence.
int run_surrogate_command(const SurrogateArgs& args, const std::string& command_line);

/// The predictor `heatop optimize --model DIR` uses: batched surrogate predictions.
PredictorFactory surrogate_predictor_factory();

}  // namespace heatop::app
