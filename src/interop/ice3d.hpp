#pragma once
// 3D-ICE (esl-epfl/3d-ice) stack files (.stk) and their floorplans (.flp), and an importer that
// turns a solid stack into a heatop design. Units inside 3D-ICE files are micrometres:
// lengths um, conductivity W/(um K), volumetric heat capacity J/(um^3 K), heat-transfer
// coefficient W/(um^2 K); heatop converts them at this edge.
//
// Supported: materials (isotropic, or kx, ky, kz with kx = ky), top and bottom heat sinks (HTC,
// temperature), layers, dies with their source layers, dimensions (cell sizes become heatop's
// lateral grid), floorplan elements given by position and dimension or as rectangle lists, with
// power values (steady state uses the first one). Refused with a message naming file and line:
// microchannel and pin-fin cavities, stacks without a heat sink. Noted and ignored:
// non-uniform grids (per-die, per-layer and per-element discretization). The solver section
// (`transient step dt, slot ts`) and the output section (T, Tflp, Tflpel, Tmap) are read for
// `heatop transient`. See docs/interop.md and docs/transient.md.

#include <yaml-cpp/yaml.h>

#include <array>
#include <string>
#include <vector>

#include "interop/importer.hpp"

namespace heatop::interop::ice3d {

struct Material {
  std::string name;
  double kx = 0, ky = 0, kz = 0;  // W/(m K)
  double heat_capacity = 0;       // J/(m^3 K)
  int line = 0;
};

struct HeatSink {
  bool present = false;
  double h = 0;      // W/(m^2 K)
  double t_amb = 0;  // K
  int line = 0;
};

struct Layer {           // a plain layer, or one layer of a die
  double thickness = 0;  // m
  std::string material;
  bool source = false;
  int line = 0;
};

struct DieType {
  std::string name;
  std::vector<Layer> layers;  // top to bottom, as written
  int line = 0;
};

struct Rect {
  double x = 0, y = 0, w = 0, h = 0;  // m
};

struct Element {
  std::string name;
  std::vector<Rect> rects;
  std::vector<double> power;  // W per time slot
  int line = 0;
};

struct Floorplan {
  std::string path;
  std::vector<Element> elements;
};

struct StackItem {
  enum Kind { kDie, kLayer } kind = kLayer;
  std::string id;              // name in the stack (used by outputs)
  std::string type;            // die type or layer type
  std::string floorplan;       // as written
  std::string floorplan_path;  // found next to the .stk, in the current folder or the .stk
                               // folder's parents (3D-ICE: relative to where it runs)
  std::array<int, 2> discretization{0, 0};  // 3D-ICE non-uniform grids; heatop ignores it
  int line = 0;
};

/// One request of the output section: T(ID, x, y, "file", when), Tflp(ID, "file", quantity,
/// when), Tflpel(ID.ELEMENT, "file", quantity, when), Tmap(ID, "file", when); others (Pmap,
/// Tcoolant, T3d) are kept as kOther with a note.
struct OutputRequest {
  enum Kind { kT, kTflp, kTflpel, kTmap, kOther } kind = kOther;
  std::string id;        // stack element id
  std::string element;   // Tflpel: the floorplan element
  double x = 0, y = 0;   // m (T)
  std::string file;      // as written
  std::string quantity;  // minimum | maximum | average (Tflp, Tflpel)
  std::string when;      // final | slot | step
  int line = 0;
};

struct Stack {
  std::string path;
  std::vector<Material> materials;
  HeatSink top, bottom;
  std::vector<std::pair<std::string, Layer>> layer_types;  // "layer NAME : height; material;"
  std::vector<DieType> dies;
  double lx = 0, ly = 0;  // chip length (x) and width (y), m
  double dx = 0, dy = 0;  // cell length and width, m
  bool non_uniform = false;
  std::vector<StackItem> items;    // top first, as written
  std::vector<std::string> notes;  // sections read but not used
  std::vector<OutputRequest> outputs;
  // The solver section: "transient step dt, slot ts ;" and "initial temperature T ;".
  bool transient = false;
  double step = 0, slot = 0;  // s (transient only)
  double t_initial = 0;       // K; 0 = not given
  int solver_line = 0;
};

/// Parses a .stk file (not its floorplans). Throws std::invalid_argument "file:line: ..." for
/// syntax errors, undefined names and unsupported features, std::runtime_error for I/O.
Stack read_stack(const std::string& path);

/// Parses a 3D-ICE floorplan. Throws like read_stack; also rejects non-positive sizes and
/// elements without power values.
Floorplan read_floorplan(const std::string& path);

using interop::ImportResult;

/// Builds a heatop design (bottom layer first) from a stack and its floorplans. Checks that
/// every floorplan element lies on the chip and that elements of one floorplan do not overlap.
ImportResult import_design(const std::string& stk_path);

/// The design as YAML text with a comment header.
std::string design_text(const ImportResult& result, const std::string& header);

}  // namespace heatop::interop::ice3d
