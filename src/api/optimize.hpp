#pragma once
// A placement optimization run end to end, as `heatop optimize` does: load the problem, FV-solve
// the corner-packed start, search (FV-only, or hybrid with a check strategy), verify the final
// placement with a full FV solve on the verification grid, and build the summary.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/output_dir.hpp"
#include "model/grid.hpp"
#include "optimize/annealing.hpp"
#include "optimize/hybrid.hpp"
#include "optimize/problem_file.hpp"

namespace heatop::api {

struct OptimizeRequest {
  std::string problem;                    // placement problem file (docs/placement-file.md)
  std::vector<std::string> overrides;     // --set style
  bool fd_only = false;                   // FV evaluations only
  std::string model_dir;                  // hybrid: a trained surrogate
  optimize::PredictorFactory predictors;  // hybrid: turns model_dir into predictors
  double tolerance_K = 0.5;
  optimize::Checks checks = optimize::Checks::best;
  int shortlist = 5;
  optimize::AnnealingProgress progress;  // after every round (optional)
};

struct OptimizeResult {
  optimize::LoadedProblem problem;
  bool fd_only = false;
  optimize::Checks checks = optimize::Checks::best;
  int shortlist = 0;
  optimize::Placement start, best;
  double start_peak_K = 0;       // FV, verification grid
  double final_peak_K = 0;       // FV, verification grid
  double final_surrogate_K = 0;  // hybrid: the surrogate's peak of the final placement
  optimize::AnnealingResult search;
  optimize::HybridCounters counters;
  int fv_evaluations = 0;       // FV-only search solves
  int verification_solves = 0;  // FV solves on the verification grid after the search (0 or 1)
  double search_seconds = 0, wall_seconds = 0;
  /// Wall seconds per phase (summary.json's `seconds`). `setup` (the problem, the FV
  /// evaluator's operator and hierarchy, the surrogate) comes before `wall_seconds`; the other
  /// four partition it: the start placement's FV solve (with its surrogate field in a hybrid
  /// run), the search, the hybrid's final checks (`--checks final`), the final verification.
  struct Phases {
    double setup = 0, start = 0, search = 0, final_checks = 0, verification = 0;
  } seconds;
  model::Grid verify_grid;
  std::vector<double> final_field;  // K on verify_grid
  nlohmann::json placement;         // the blocks of the final placement (placement.json)
  nlohmann::json summary;           // summary.json without the file list
};

/// Runs the optimization. Throws std::invalid_argument for bad requests or problems (nothing
/// is written then).
OptimizeResult optimize_placement(const OptimizeRequest& request);

/// Writes placement.json, floorplan_start.png, floorplan.png, temperature.png, convergence.png
/// and summary.json into `out` and commits it.
void write_optimize_results(io::OutputDir& out, OptimizeResult& result,
                            const std::string& command_line);

/// The one-line report `heatop optimize` prints.
std::string optimize_line(const OptimizeResult& result, const std::string& output);

}  // namespace heatop::api
