#pragma once
// `heatop predict` and `heatop eval`: a design's temperature from an operator model, and a model
// compared with FV map by map (library: surrogate/drivers.hpp). A solved model runs here without
// LibTorch; a trained one comes from the neural-operator module (load_operator_model).

#include <memory>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace heatop::app {

struct PredictArgs {
  // predict
  std::string model, design, output, probe_file;
  std::vector<std::string> overrides;
  double tol_K = 0.5;   // confidence tolerance; with refine, the refinement target
  bool refine = false;  // refine the prediction by a warm-started FV solve
  std::string refine_method = "cg";
  std::string estimate = "coarse";
  // eval
  std::string eval_model, eval_design, grid, eval_output;  // grid "": the model's default
  std::vector<std::string> maps;
  // both
  std::string device = "cpu";
  CLI::App *predict = nullptr, *eval = nullptr;
};

/// Declares both subcommands on `app`; the returned arguments must outlive parsing.
std::unique_ptr<PredictArgs> add_predict_commands(CLI::App& app);

/// Runs the selected one and returns its exit code, or -1 when neither was selected. Throws on
/// bad input; nothing is written then.
int run_predict_command(const PredictArgs& args, const std::string& command_line);

}  // namespace heatop::app
