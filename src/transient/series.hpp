#pragma once
// Time series files of a transient run in the layouts of other tools, written one row per
// output instant while the run proceeds:
//  - 3D-ICE: the output section of a .stk (T, Tflp, Tflpel, Tmap with final | slot | step);
//  - 3D-ICE `Tflp` style for any design (`--export 3d-ice`): per floorplan layer, the
//    minimum, maximum and average temperature of every element;
//  - HotSpot `.ttrace` (`--export hotspot`): a header of block names, then one line of block
//    temperatures (K, 2 decimals) per output instant (HotSpot: the end of every power sample).
//
// Temperatures of a layer are its thickness averages (interop::layer_average); a 3D-ICE cell
// temperature is that field at the centre of the stack's cell holding the point; element and
// block averages are the area means over their rectangles (interop::rect_mean); element
// minima and maxima are over the stack's cells whose centre lies in the element (or over
// heatop's cells for designs without a stack).

#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "interop/ice3d.hpp"
#include "model/design.hpp"
#include "model/grid.hpp"

namespace heatop::transient {

class SeriesWriter {
 public:
  virtual ~SeriesWriter() = default;
  /// The output instants (s), increasing.
  const std::vector<double>& instants() const { return instants_; }
  /// The file's name inside the results folder.
  const std::string& name() const { return name_; }
  /// Writes the row of instant t (one of instants()) for the field T (the grid's layout).
  virtual void write(double t, const std::vector<double>& T) = 0;

 protected:
  /// Sets the instants and the name, opens `path` and writes `header`; throws naming the path
  /// when it cannot be written.
  void open(std::vector<double> instants, const std::string& name, const std::string& path,
            const std::string& header);
  std::vector<double> instants_;
  std::string name_;
  std::ofstream out_;
};

using FileFn = std::function<std::string(const std::string&)>;

/// The writers of a 3D-ICE stack's output requests. `step` instants are t0 + k * step, `slot`
/// instants the slot ends, `final` the end. Requests heatop does not produce (Pmap, Tcoolant,
/// T3d) and names that are not in the design are reported in *notes and skipped. File names
/// are the last component of the requested path.
std::vector<std::unique_ptr<SeriesWriter>> ice3d_series(const interop::ice3d::Stack& stack,
                                                        const model::Design& design,
                                                        const model::Grid& grid, double t0,
                                                        double t_end, const FileFn& file,
                                                        std::vector<std::string>* notes);

/// `Tflp_<layer>_{minimum,maximum,average}.txt` for every layer with power blocks.
std::vector<std::unique_ptr<SeriesWriter>> ice3d_tflp_series(const model::Design& design,
                                                             const model::Grid& grid,
                                                             std::vector<double> instants,
                                                             const FileFn& file);

/// `<design name>.ttrace`: the blocks of every layer with power blocks (bottom layer first; with
/// several such layers the names are `layer_<n>_<block>` as in heatop's .steady export).
std::unique_ptr<SeriesWriter> hotspot_ttrace(const model::Design& design, const model::Grid& grid,
                                             std::vector<double> instants, const FileFn& file);

}  // namespace heatop::transient
