#pragma once
// HotSpot (uvahotspot/HotSpot 6/7) input files and an importer that turns them into a heatop
// design. Formats (all SI: metres, watts, kelvin), as HotSpot reads them:
//
// - .flp floorplan: `name width height left-x bottom-y [heat-capacity resistivity]` per line,
//   `#` comments. The two optional columns (J/(m^3 K), m K/W) are HotSpot's detailed-3D
//   per-block properties. Blocks must tile their bounding box: heatop checks for overlaps and
//   gaps (HotSpot does not) because a gap or an overlap is almost always a typo.
// - .ptrace power trace: a line of block names, then one line of watts per sampling interval.
//   Steady state uses the average of all rows; the rows are kept for transient work.
// - .config: `-option value` lines, `#` comments; command-line style overrides win.
// - .materials: records `name`, `solid|fluid`, k W/(m K), volumetric heat capacity J/(m^3 K)
//   (+ dynamic viscosity Pa s for fluids).
// - init file (-init_file; a steady file from -steady_file has the same form): `name T` per
//   line, one per thermal node of the model (blocks, interface/spreader/sink blocks, the 12
//   peripheral package nodes).
// - .lcf layer configuration: records of 7 lines: layer number, lateral flow Y/N, power Y/N,
//   heat capacity J/(m^3 K), resistivity m K/W, thickness m, floorplan file; lines 4 and 5 may
//   be one material name instead (HotSpot 7).
//
// Every reader throws std::invalid_argument "file:line: what is wrong" for malformed content and
// std::runtime_error for files that cannot be opened. None of them crashes on any input.
// How each option maps to heatop's model is documented in docs/interop.md.

#include <yaml-cpp/yaml.h>

#include <array>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "interop/importer.hpp"
#include "model/grid.hpp"

namespace heatop::interop::hotspot {

struct FlpBlock {
  std::string name;
  double w = 0, h = 0, x = 0, y = 0;  // m, (x, y) = bottom-left corner
  bool has_properties = false;        // detailed-3D columns present
  double heat_capacity = 0;           // J/(m^3 K)
  double resistivity = 0;             // m K/W (= 1 / k)
  int line = 0;                       // line in the file
};

struct Floorplan {
  std::string path;
  std::vector<FlpBlock> blocks;
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // bounding box, m
  double width() const { return x1 - x0; }
  double height() const { return y1 - y0; }
  const FlpBlock* find(const std::string& name) const;
};

/// Reads a floorplan. Rejects non-numbers, wrong column counts, non-positive or non-finite
/// sizes, duplicate names, an empty file, and (when check_tiling) overlapping blocks and gaps
/// in the bounding box (relative tolerance 1e-6 of the die area).
Floorplan read_flp(const std::string& path, bool check_tiling = true);

struct PowerTrace {
  std::string path;
  std::vector<std::string> names;
  std::vector<std::vector<double>> rows;  // W, rows[r][b] for names[b]
  /// Mean of each column over all rows (the steady-state power HotSpot uses), W.
  std::vector<double> average() const;
};

/// Reads a power trace. Rejects duplicate names, rows with the wrong count, non-numbers,
/// negative or non-finite powers and a trace without any power row.
PowerTrace read_ptrace(const std::string& path);

/// Options from a .config file and the command line, in file order.
struct Config {
  struct Entry {
    std::string value;
    std::string where;  // "file:line" or "command line"
  };
  std::map<std::string, Entry> options;  // name without the leading '-'
  std::vector<std::string> order;        // names in the order first seen

  bool has(const std::string& name) const;
  /// The value, or "" when absent. "(null)" counts as absent (HotSpot's unset marker).
  std::string str(const std::string& name) const;
  /// A number, or `fallback` when absent; a value that is not a number throws naming where it
  /// was set.
  double num(const std::string& name, double fallback) const;
  std::string where(const std::string& name) const;
  void set(const std::string& name, const std::string& value, const std::string& where);
};

/// Reads `-option value` lines (a trailing `#` comment is allowed).
Config read_config(const std::string& path);
/// Applies command-line style overrides: a flat list "-name", "value", "-name", "value", ...
/// Throws on an option without a value.
void apply_overrides(Config& config, const std::vector<std::string>& args);

struct Material {
  std::string name;
  bool fluid = false;
  double k = 0;              // W/(m K)
  double heat_capacity = 0;  // J/(m^3 K)
  double viscosity = 0;      // Pa s (fluids)
  std::string where;
};

/// Reads a materials file. Rejects incomplete records, non-numbers, k <= 0 and duplicates.
std::map<std::string, Material> read_materials(const std::string& path);

struct LcfLayer {
  int number = 0;
  bool lateral = true;
  bool power = false;
  std::string material;        // HotSpot 7 form; empty when capacity and resistivity are given
  double heat_capacity = 0;    // J/(m^3 K)
  double resistivity = 0;      // m K/W
  double thickness = 0;        // m
  std::string floorplan;       // as written in the file
  std::string floorplan_path;  // resolved against the .lcf's folder
  int line = 0;                // line of the layer number
};

/// Reads a layer configuration file. Rejects incomplete records, layer numbers out of
/// sequence, bad Y/N flags, non-positive thickness or resistivity.
std::vector<LcfLayer> read_lcf(const std::string& path);

/// The temperatures of a HotSpot init file (-init_file; HotSpot's steady files have the same
/// form): one "node-name temperature-in-K" per line, in any order. Rejects a line without
/// exactly two fields, a temperature that is not a finite number > 0, and a name given twice,
/// naming file and line.
std::map<std::string, double> read_init_file(const std::string& path);

/// Where one of HotSpot's thermal nodes lies in the imported design.
struct NodeRegion {
  int layer = 0;                  // heatop layer index
  std::array<double, 4> outer{};  // m, heatop frame {x0, y0, w, h}
  std::array<double, 4> inner{};  // the hole of a peripheral node (side >= 0)
  /// -1: all of `outer` (a block); 0..3: the part of `outer` outside `inner` on the west, east,
  /// north or south side (HotSpot's peripheral spreader and sink nodes, in its order), split
  /// along the diagonals from the inner to the outer corners.
  int side = -1;
};
/// HotSpot's node names (chip blocks "<block>", "layer_<n>_<block>", "iface_", "hsp_", "hsink_"
/// blocks, "inode_0" .. "inode_11") and where they lie.
using NodeMap = std::map<std::string, NodeRegion>;

/// The initial field on `grid` (of the imported design `d`) from the init file at `path`: each
/// node takes the temperature of the region of its layer it lies in; a node on an interface
/// between two layers the mean of both; NaN at void nodes (outside every layer's footprint).
/// Throws std::invalid_argument naming the file when it lacks a node of `map` or names a node
/// `map` does not have (HotSpot's init files must match the model).
std::vector<double> initial_field(const NodeMap& map, const std::string& path,
                                  const model::Design& d, const model::Grid& grid);

/// What to import. Paths may be empty where optional.
struct ImportOptions {
  std::string config;                  // -c
  std::string flp;                     // -f (required without an LCF)
  std::string ptrace;                  // -p (required)
  std::string lcf;                     // --lcf / -grid_layer_file (else from the config)
  std::string materials;               // --materials / -materials_file (else from the config)
  std::vector<std::string> overrides;  // command-line style: "-grid_rows", "128", ...
  /// "full": spreader and sink keep their true size (layer footprints, graded lateral grid);
  /// "die": every layer is cut to the die and r_convec becomes an h over the die area (an
  /// approximation, kept for comparison and for solvers without footprints).
  std::string package = "full";
  std::string name;  // design name; default: the floorplan's or LCF's file stem
};

using interop::ImportResult;

/// Builds a heatop design from HotSpot inputs. Throws std::invalid_argument naming file and
/// line for malformed inputs or inconsistent combinations (missing trace block, unknown
/// material, microchannels, ...).
ImportResult import_design(const ImportOptions& options);

/// The design as YAML text with a comment header (source files, warnings).
std::string design_text(const ImportResult& result, const std::string& header);

}  // namespace heatop::interop::hotspot
