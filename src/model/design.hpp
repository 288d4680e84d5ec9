#pragma once
// Plain data that describes a thermal design: the die, its layered stack, one boundary condition
// per face, power sources and the grid request. All quantities are SI inside (m, W, K, W/(m K),
// W/(m^2 K)); file formats convert at the edges (see io/design_file.hpp).

#include <array>
#include <string>
#include <vector>

namespace heatop::model {

/// A rectangular block of power, e.g. a floorplan unit. Coordinates in m from the die's (0, 0)
/// corner; the power is spread uniformly over the rectangle.
struct PowerBlock {
  std::string name;
  double x = 0, y = 0, w = 0, h = 0;  // m
  double power = 0;                   // W
};

/// A 2D power distribution over the die footprint. Two forms, which may be combined:
/// - tiles: rows x cols values in watts per tile, tiles covering the die uniformly; row r covers
///   y in [r, r+1] * Ly / rows counted from y = 0, column c covers x in [c, c+1] * Lx / cols;
/// - blocks: rectangles with a total power each.
/// Both are piecewise constant and are integrated exactly over control volumes.
struct PowerMap {
  int rows = 0, cols = 0;
  std::vector<double> tile_watts;  // row-major, rows * cols
  std::vector<PowerBlock> blocks;
  std::string source;  // where it came from (file name or "inline"), for messages and reports

  bool empty() const { return tile_watts.empty() && blocks.empty(); }
  /// Total power in W.
  double total() const;
  /// Throws std::invalid_argument naming `source` on NaN/Inf or negative-size entries.
  void validate(double lx, double ly) const;
};

struct Layer {
  std::string name;
  double thickness = 0;  // m
  double k_xy = 0;       // in-plane conductivity, W/(m K)
  double k_z = 0;        // through-plane conductivity, W/(m K)
  int cells = 0;         // z cells in this layer; 0 = derived from grid.nz
  /// Volumetric heat capacity rho * c_p, J/(m^3 K); 0 = not given (steady runs do not need
  /// it; transient runs refuse layers without it).
  double heat_capacity = 0;
  PowerMap power;  // volumetric power, uniform through the thickness (optional)
  /// Lateral extent of the material, {x0, y0, w, h} in m; w <= 0 = the whole box. Outside it
  /// the layer is void (e.g. a die on a larger spreader). The layer's power map covers the
  /// footprint: tiles span it, block coordinates are relative to its (x0, y0) corner.
  std::array<double, 4> footprint{0, 0, 0, 0};
  bool has_footprint() const { return footprint[2] > 0; }
};

enum class BcType { kAdiabatic, kConvective, kFixed, kPower };
/// "adiabatic", "convective", "fixed" or "power" (the design-file spelling).
const char* bc_type_name(BcType t);

/// One boundary condition on one face of the box.
/// kConvective: -k dT/dn = h (T - T_amb).  kFixed: T = t_fixed.
/// kPower: heat `power` enters through the face; if h > 0 it is also convective to t_amb.
struct Boundary {
  BcType type = BcType::kAdiabatic;
  double h = 0;           // W/(m^2 K)
  double t_amb = 298.15;  // K
  double t_fixed = 0;     // K
  PowerMap power;
};

/// Faces of the box, in the order used everywhere: x = 0, x = Lx, y = 0, y = Ly, z = 0, z = Lz.
enum Face { kWest = 0, kEast = 1, kSouth = 2, kNorth = 3, kBottom = 4, kTop = 5 };
constexpr int kNumFaces = 6;
const char* face_name(int face);

struct GridSpec {
  int nx = 21, ny = 21;         // nodes in x and y (>= 2)
  int nz = 0;                   // total z nodes; 0 = sum of layer cells + 1
  std::vector<double> z_nodes;  // optional explicit z node coordinates (m), must hold interfaces
  std::vector<double> x_nodes, y_nodes;  // optional explicit lateral nodes (m), 0 .. lx / ly
};

struct Design {
  std::string name = "design";
  double lx = 0, ly = 0;      // die size, m
  std::vector<Layer> layers;  // bottom (z = 0) to top
  std::array<Boundary, kNumFaces> faces;
  GridSpec grid;

  double lz() const;
  double total_power() const;
  /// Checks every physical constraint; throws std::invalid_argument with a message that names
  /// the offending field and value.
  void validate() const;
};

/// The design's reference temperature, the one rule every part of heatop uses (initial guesses
/// of solves, temperature rises in error metrics, the surrogate's non-dimensional offset): the
/// ambient temperature of the first face with a convective coefficient (convective faces and
/// power faces with h > 0, in Face order), else the temperature of the first fixed face, else
/// 298.15 K.
double reference_temperature(const Design& d);

}  // namespace heatop::model
