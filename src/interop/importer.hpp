#pragma once
// One interface for the model importers (HotSpot, 3D-ICE) and one "load any design": a heatop
// design file, a 3D-ICE stack (.stk) or a HotSpot model (.config with a floorplan and a trace)
// become the same io::LoadedDesign.

#include <yaml-cpp/yaml.h>

#include <memory>
#include <string>
#include <vector>

#include "io/design_file.hpp"

namespace heatop::interop {

/// What an importer produces: a heatop design tree and what it could not model.
struct ImportResult {
  YAML::Node design;                  // a heatop design tree (docs/design-file.md)
  std::vector<std::string> warnings;  // options heatop does not model, approximations made
  std::vector<std::string> notes;     // informative lines (ignored transient options, ...)
  /// Builds an initial temperature field on a grid of the design from a file of the tool's
  /// own initial temperatures (HotSpot: -init_file); null for tools without one. Throws
  /// std::invalid_argument naming the file when it does not fit the model.
  io::InitialFieldReader initial_field;
  std::string initial_file;  // the model's own initial-temperature file (-init_file), or ""
};

/// A foreign model that can be turned into a heatop design.
class Importer {
 public:
  virtual ~Importer() = default;
  /// "HotSpot" or "3D-ICE".
  virtual std::string tool() const = 0;
  /// The source files, as a header line for the written design ("-c a.config -f a.flp ...").
  virtual std::string describe() const = 0;
  /// Reads the files and builds the design. Throws std::invalid_argument naming file and line.
  virtual ImportResult run() const = 0;
};

/// Where a design comes from: a design file, a .stk, or a HotSpot .config plus its files.
struct DesignSource {
  std::string path;
  std::string hotspot_flp, hotspot_ptrace, hotspot_lcf, hotspot_materials;
  std::vector<std::string> overrides;  // "--set" style "key=value" on the resulting design
};

/// The importer for a source that is not a heatop design file, or null for a design file.
/// Throws std::invalid_argument for inconsistent combinations (HotSpot files without a .config).
std::unique_ptr<Importer> importer_for(const DesignSource& source);

namespace hotspot {
struct ImportOptions;
}
/// The importers by tool.
std::unique_ptr<Importer> hotspot_importer(hotspot::ImportOptions options);
std::unique_ptr<Importer> ice3d_importer(const std::string& stk_path);

/// The import as design text: a comment header, the warnings and notes, the YAML.
std::string design_text(const Importer& importer, const ImportResult& result);

/// Loads any design (see DesignSource); the importer's warnings are appended to `warnings`.
io::LoadedDesign load_any_design(const DesignSource& source, std::vector<std::string>* warnings);

/// The outcome of writing an imported design file.
struct ImportedFile {
  std::string path;
  std::size_t layers = 0;
  std::vector<std::string> warnings, notes;
};

/// Imports and writes the design file `out`, after loading the text back so that an import
/// heatop cannot solve fails here and leaves nothing behind. The file is written to a temporary
/// name and renamed into place.
ImportedFile import_to_file(const Importer& importer, const std::string& out);

}  // namespace heatop::interop
