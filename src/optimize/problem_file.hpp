#pragma once
// Placement problem files (YAML), documented in docs/placement-file.md.

#include <string>
#include <vector>

#include "optimize/annealing.hpp"
#include "optimize/fv_objective.hpp"
#include "optimize/placement.hpp"

namespace heatop::optimize {

struct LoadedProblem {
  PlacementProblem problem;
  AnnealingOptions annealing;
  FvObjectiveOptions eval;    // grid of the FV evaluations during the search
  FvObjectiveOptions verify;  // grid of the final verification
  std::string design_path;    // the base design file
  std::string path;
};

/// Reads and validates a problem file; overrides are "dotted.key=value" like --set.
LoadedProblem load_problem(const std::string& path, const std::vector<std::string>& overrides = {});

}  // namespace heatop::optimize
