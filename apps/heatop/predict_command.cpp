// `heatop predict` and `heatop eval` (predict_command.hpp).

#include "predict_command.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "io/design_file.hpp"
#include "io/output_dir.hpp"
#include "io/probes.hpp"
#include "surrogate/config.hpp"
#include "surrogate/drivers.hpp"
#include "surrogate_commands.hpp"
#include "trust/confidence.hpp"

namespace heatop::app {

namespace {

namespace sg = heatop::surrogate;

std::string device_help() {
  return "where the model runs: " + heatop::join_names(sg::kDeviceNames, " or ") +
         " (a solved model on cpu needs no LibTorch)";
}

int run_predict(const PredictArgs& a, const std::string& cmd) {
  io::OutputDir out(a.output);  // an unwritable folder fails before any work
  const std::unique_ptr<sg::OperatorModel> model = load_operator_model(a.model, a.device);
  const io::LoadedDesign loaded = io::load_design(a.design, a.overrides);
  api::RunInfo info{a.design, a.overrides, cmd, {}, {}};
  if (!a.probe_file.empty()) info.probes = io::read_probes_csv(a.probe_file);
  const sg::PredictResult r = sg::predict_design(
      *model, loaded, {a.model, a.device, a.tol_K, a.refine, a.refine_method, a.estimate});
  if (r.refinement) std::printf("%s\n", sg::refinement_line(r).c_str());
  sg::write_predict_results(out, r, loaded, info);
  std::printf("%s\n", sg::predict_line(r, loaded.design.name, a.output).c_str());
  return 0;
}

int run_eval(const PredictArgs& a, const std::string& cmd) {
  std::unique_ptr<io::OutputDir> out;
  if (!a.eval_output.empty()) out = std::make_unique<io::OutputDir>(a.eval_output);
  const std::unique_ptr<sg::OperatorModel> model = load_operator_model(a.eval_model, a.device);
  sg::EvalCallbacks progress;
  progress.on_start = [] { std::printf("%s\n", sg::eval_header_line().c_str()); };
  progress.on_map = [](const sg::MapEvaluation& e) {
    std::printf("%s\n", sg::eval_row_line(e).c_str());
  };
  const sg::EvalResult r =
      sg::evaluate_maps(*model,
                        {a.eval_model, a.eval_design, a.maps,
                         a.grid.empty() ? sg::default_eval_grid(*model) : a.grid},
                        progress);
  std::printf("%s\n", sg::eval_summary_line(r).c_str());
  if (out) sg::write_eval_results(*out, r, cmd);
  return 0;
}

}  // namespace

std::unique_ptr<PredictArgs> add_predict_commands(CLI::App& app) {
  auto args = std::make_unique<PredictArgs>();
  PredictArgs& a = *args;
  a.predict = app.add_subcommand("predict",
                                 "Predict a design's temperature with an operator (heatop train)");
  a.predict->add_option("model", a.model, "model folder (or .hnop checkpoint)")->required();
  a.predict->add_option("design", a.design, "design file (YAML)")->required();
  a.predict->add_option("-o,--output", a.output, "output folder")->required();
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

  a.eval = app.add_subcommand("eval", "Compare an operator with FV solutions map by map");
  a.eval->add_option("model", a.eval_model, "model folder (or .hnop checkpoint)")->required();
  a.eval->add_option("--design", a.eval_design, "design file the maps go into")->required();
  a.eval->add_option("--maps", a.maps, "power-map files (default: the design's own map)");
  a.eval->add_option(
      "--grid", a.grid,
      "evaluation grid NXxNYxNZ (default 101x101x51; a response model's: the design's "
      "own grid, the only one it predicts on)");
  a.eval->add_option("-o,--output", a.eval_output, "optional folder for eval.json and eval.csv");
  a.eval->add_option("--device", a.device, device_help())
      ->check(CLI::IsMember(heatop::names(sg::kDeviceNames)));
  return args;
}

int run_predict_command(const PredictArgs& args, const std::string& command_line) {
  if (*args.predict) return run_predict(args, command_line);
  if (*args.eval) return run_eval(args, command_line);
  return -1;
}

}  // namespace heatop::app
