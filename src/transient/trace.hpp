#pragma once
// Piecewise-constant power traces: sample s holds from times[s] until times[s + 1] (the last
// one until the end of the run). Columns name what they drive:
//   BLOCK, LAYER/BLOCK, top/BLOCK, bottom/BLOCK  the total power (W) of the design's power blocks
//                                                of that name (split over same-named blocks in
//                                                proportion to their area);
//   layer:NAME, face:top, face:bottom            a scale factor on that layer's or face's whole
//                                                power (map, blocks and power_W) of the design;
//   map:NAME, map:top, map:bottom                a power-map file (tile map .txt, .csv or .npy,
//                                                as a design's power_map) that replaces that
//                                                layer's or face's map for the sample (applied
//                                                before the scale columns).
// Every named power block of the design must be driven by a block column or a scale column of
// its layer or face.

#include <string>
#include <vector>

#include "model/design.hpp"

namespace heatop::transient {

struct PowerTrace {
  std::vector<double> times;                // s, strictly increasing
  std::vector<std::string> columns;         // see above
  std::vector<std::vector<double>> values;  // [sample][column] (1 for map columns)
  /// [sample][column]: the power-map file of a map column, resolved against the trace's folder
  /// ("" for the other columns); empty when the trace has no map column.
  std::vector<std::vector<std::string>> files;
  std::string source;  // file name, for messages
  /// The end of the last sample when the format defines one (3D-ICE slots), else 0.
  double end = 0;
};

/// Reads a CSV trace: a header `t_s,<column>,...`, then one line per sample. Blank lines and
/// lines starting with '#' are skipped. Throws std::runtime_error for I/O and
/// std::invalid_argument "file:line: ..." for malformed lines, times that do not increase and
/// NaN, infinite or negative values.
PowerTrace read_trace_csv(const std::string& path);

/// The power values of a 3D-ICE stack's floorplans as a trace: one column "DIE/ELEMENT" per
/// floorplan element (DIE = the die's id in the stack, the name of its source layer in the
/// imported design), one sample per slot. Throws std::invalid_argument naming file and line.
PowerTrace ice3d_trace(const std::string& stk_path);

/// A HotSpot .ptrace (a line of block names, then one line of watts per sampling interval) as a
/// trace: row r holds from r * interval; the run ends after the last row. A block name found in
/// several layers of the design is taken from the one whose blocks of that name carry power;
/// layers with blocks that the trace does not name keep their power (a scale column of 1).
/// Throws std::invalid_argument naming the file.
PowerTrace read_trace_ptrace(const std::string& path, double interval, const model::Design& design);

/// The time average of a trace over [t0, t_end] (samples weighted by how long they hold) as a
/// one-sample trace: the power HotSpot's steady state uses. Throws std::invalid_argument for a
/// trace with map columns (their maps may differ in tiles; no average is defined).
PowerTrace mean_trace(const PowerTrace& trace, double t0, double t_end);

/// Checks a trace against a design: columns that name nothing in the design, blocks no column
/// drives, times, values, and every map file of a map column (read and checked against the
/// layer's footprint). Throws naming the trace, the column and the file.
void validate_trace(const PowerTrace& trace, const model::Design& design);

/// The design with the power of sample s (validate_trace first).
model::Design design_at(const model::Design& base, const PowerTrace& trace, std::size_t s);

}  // namespace heatop::transient
