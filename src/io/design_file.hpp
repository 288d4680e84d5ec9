#pragma once
// heatop design files (YAML). Every key, its unit and its default are documented in
// docs/design-file.md. Unknown keys are errors that list the valid ones; any key can be
// overridden with "dotted.path=value" strings (the CLI's --set).

#include <yaml-cpp/yaml.h>

#include <functional>
#include <string>
#include <vector>

#include "model/design.hpp"
#include "model/grid.hpp"
#include "solve/solver.hpp"

namespace heatop::io {

/// Reads a file of a foreign tool's initial temperatures (HotSpot's -init_file) into a field on
/// a grid of the design (NaN at void nodes).
using InitialFieldReader = std::function<std::vector<double>(
    const std::string& path, const model::Design& design, const model::Grid& grid)>;

/// The design file's `transient:` section: defaults of `heatop transient` for this design.
struct TransientDefaults {
  double ptrace_interval_s = 0;  // sampling interval of HotSpot .ptrace traces; 0 = not given
  double initial_K = 0;          // uniform initial temperature; 0 = the reference temperature
  /// A HotSpot model given directly (not through a design file): its -init_file, and the reader
  /// of such files for this model (also used for `--initial FILE`); empty otherwise.
  std::string initial_file;
  InitialFieldReader read_initial_file;
};

struct LoadedDesign {
  model::Design design;
  solve::SolverConfig solver;
  TransientDefaults transient;
  YAML::Node effective;  // the design tree after overrides, with resolved file paths
  std::string path;      // the file it came from
};

/// Parses a design file, applies the overrides ("grid.nx=41", "layers.0.k_W_per_mK=150",
/// "top.power_map=maps/map_c6.txt") and builds the validated design. Relative file paths in the
/// file resolve against the file's folder; in overrides, against the current folder when the
/// file exists there, else against the design file's folder.
/// Throws std::invalid_argument (bad values, unknown keys) or std::runtime_error (I/O,
/// malformed YAML), with the file, line and key in the message.
LoadedDesign load_design(const std::string& path, const std::vector<std::string>& overrides = {});

/// The same from YAML text (base_dir resolves relative paths; name is used in messages).
LoadedDesign parse_design(const std::string& yaml_text, const std::string& name,
                          const std::string& base_dir,
                          const std::vector<std::string>& overrides = {});

/// Applies one "dotted.path=value" override to a YAML tree (value parsed as YAML).
void apply_override(YAML::Node& root, const std::string& assignment);

/// A design tree as YAML text under a comment header: the header's lines, then one
/// "# warning: ..." and "# note: ..." line each (what the importers write).
std::string commented_design_text(const YAML::Node& design, const std::string& header,
                                  const std::vector<std::string>& warnings,
                                  const std::vector<std::string>& notes);

/// The effective design as YAML text (for manifests and --print-design).
std::string to_yaml(const YAML::Node& node);

}  // namespace heatop::io
