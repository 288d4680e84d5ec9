#pragma once
#include <functional>
#include <string>
#include <vector>

#include "optimize/hybrid.hpp"

namespace heatop::app {

struct OptimizeArgs {
  std::string problem;
  std::string output;
  std::string model_dir;  // hybrid mode
  bool fd_only = false;
  double tolerance_K = 0.5;
  std::string checks = "best";  // hybrid: a name of optimize::kChecksNames
  int shortlist = 5;            // hybrid, checks final: placements FV-verified at the end
  std::vector<std::string> overrides;
};

/// Builds the surrogate predictor of a trained model for the problem's design (null when this
/// build has no surrogate module).
using PredictorFactory = optimize::PredictorFactory;

/// Runs `heatop optimize`; returns the exit code. Throws on bad input (nothing written).
int run_optimize(const OptimizeArgs& args, const std::string& command_line,
                 const PredictorFactory& make_predictor);

}  // namespace heatop::app
