#pragma once
// Result layouts of other tools, so that scripts written for HotSpot or 3D-ICE keep working on
// heatop's results (`heatop solve --export hotspot|3d-ice`).
//
// A layer's temperature map is the thickness average of heatop's node temperatures over the
// layer (exact for the piecewise-linear z profile); a cell or block value is the mean of the
// bilinear interpolant over its rectangle (exact for the piecewise-bilinear x-y field).
//
// HotSpot (`hotspot`):
//  - `<name>.steady`: `block<TAB>kelvin` for every block of every layer that carries a floorplan
//    (`power_blocks`, zero-power blocks included), bottom layer first. One floorplan layer: the
//    names are plain and the layers named `interface`, `spreader`, `sink` above it add
//    `iface_`, `hsp_`, `hsink_` lines over the same rectangles (HotSpot's default stack; the
//    12 peripheral `inode_*` lumps have no counterpart). Several floorplan layers (an LCF
//    stack): `layer_<n>_<block>`, n counting floorplan layers from the bottom.
//  - `<name>.grid.steady`: for every layer `Layer n:` then `index<TAB>kelvin`, index =
//    row * cols + col, row 0 at the die's top edge (largest y), over the die (the bounding box
//    of all blocks) split into heatop's own cells there (rows x cols = HotSpot's grid when the
//    design came from `heatop import hotspot`).
// 3D-ICE (`3d-ice`), for every layer with power (a die's source layer):
//  - `Tmap_<layer>.txt`: a `%` header line, then one line per row of cells, row 0 at the south
//    edge (y = 0), values west to east, 3 decimals; cells = heatop's cells over the layer's
//    footprint. `xaxis.txt`, `yaxis.txt`: cell centres in um.
//  - `Tflp_<layer>_{minimum,maximum,average}.txt`: 3D-ICE's Tflp layout (header, then
//    `time value value ...`) over the cells whose centre lies in each floorplan element (blocks
//    with the same name form one element).

#include <functional>
#include <string>
#include <vector>

#include "model/design.hpp"
#include "model/grid.hpp"

namespace heatop::interop {

/// Valid values of --export.
const std::vector<std::string>& export_formats();
/// Throws std::invalid_argument listing the valid formats when `format` is not one of them.
void check_export_format(const std::string& format);

/// Writes the files of `format` for the solution `t` (grid layout, kelvin). `file(name)` returns
/// the path to write `name` to (e.g. io::OutputDir::file). Returns the names written.
std::vector<std::string> write_exports(const std::string& format, const model::Design& design,
                                       const model::Grid& grid, const std::vector<double>& t,
                                       const std::function<std::string(const std::string&)>& file);

/// Thickness average of layer `layer` on the x-y node grid, row-major (i * ny + j).
std::vector<double> layer_average(const model::Grid& grid, const std::vector<double>& t, int layer);

/// Mean over [x0, x1] x [y0, y1] of the bilinear interpolant of a node-plane field (i * ny + j).
double rect_mean(const std::vector<double>& x, const std::vector<double>& y,
                 const std::vector<double>& plane, double x0, double y0, double x1, double y1);

/// Bilinear interpolation of a node-plane field at (px, py) (clamped to the grid).
double plane_at(const std::vector<double>& x, const std::vector<double>& y,
                const std::vector<double>& plane, double px, double py);

}  // namespace heatop::interop
