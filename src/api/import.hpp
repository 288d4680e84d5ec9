#pragma once
// `heatop import` as a library call: a HotSpot or 3D-ICE model becomes a heatop design file, or
// a results folder holding the design file, a summary of what was imported (stack, power,
// boundary conditions, what heatop could not model), floorplan pictures and report.html.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "interop/importer.hpp"

namespace heatop::api {

/// What an import wrote.
struct ImportOutcome {
  std::string path;  // the design file written (inside the folder for import_to_folder)
  std::size_t layers = 0;
  std::vector<std::string> warnings, notes;
  nlohmann::json summary;  // the folder's summary.json (empty for a single design file)
};

/// True when `out` names a design file (ends in .yaml or .yml) rather than a results folder.
bool names_design_file(const std::string& out);

/// Imports into `out`: a design file when names_design_file(out) (interop::import_to_file),
/// else a results folder (import_to_folder). `command_line` is recorded in the folder.
ImportOutcome run_import(const interop::Importer& importer, const std::string& out,
                         const std::string& command_line);

/// Imports into the results folder `dir` (staged and renamed into place, locked against other
/// runs): design.yaml, summary.json (source = "import"), floorplan_<layer>.png for every layer
/// or face with block power, report.html. The design is loaded back before anything is written,
/// so an import heatop cannot solve fails and leaves nothing behind.
ImportOutcome import_to_folder(const interop::Importer& importer, const std::string& dir,
                               const std::string& command_line);

}  // namespace heatop::api
