#include "model/design.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace heatop::model {

namespace {
std::string num(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}
void require(bool ok, const std::string& msg) {
  if (!ok) throw std::invalid_argument(msg);
}
}  // namespace

const char* bc_type_name(BcType t) {
  switch (t) {
    case BcType::kAdiabatic:
      return "adiabatic";
    case BcType::kConvective:
      return "convective";
    case BcType::kFixed:
      return "fixed";
    case BcType::kPower:
      return "power";
  }
  return "?";
}

const char* face_name(int face) {
  static const char* names[kNumFaces] = {"west", "east", "south", "north", "bottom", "top"};
  return (face >= 0 && face < kNumFaces) ? names[face] : "?";
}

double PowerMap::total() const {
  double s = 0;
  for (double w : tile_watts) s += w;
  for (const auto& b : blocks) s += b.power;
  return s;
}

void PowerMap::validate(double lx, double ly) const {
  const std::string where = "power map '" + source + "'";
  require(tile_watts.size() == static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols),
          where + ": holds " + std::to_string(tile_watts.size()) + " values but declares " +
              std::to_string(rows) + " x " + std::to_string(cols) + " tiles");
  for (std::size_t n = 0; n < tile_watts.size(); ++n) {
    require(std::isfinite(tile_watts[n]),
            where + ": tile (row " + std::to_string(n / (cols ? cols : 1)) + ", col " +
                std::to_string(n % (cols ? cols : 1)) + ") is " + num(tile_watts[n]) +
                "; every power must be a finite number of watts");
  }
  for (const auto& b : blocks) {
    const std::string bw = where + ": block '" + b.name + "'";
    require(std::isfinite(b.power), bw + " has power " + num(b.power) + "; it must be finite");
    require(std::isfinite(b.x) && std::isfinite(b.y) && b.w > 0 && b.h > 0,
            bw + " must have a finite position and positive width and height (got w = " +
                num(b.w * 1e3) + " mm, h = " + num(b.h * 1e3) + " mm)");
    const double eps = 1e-9 * std::max(lx, ly);
    require(b.x >= -eps && b.y >= -eps && b.x + b.w <= lx + eps && b.y + b.h <= ly + eps,
            bw + " at (" + num(b.x * 1e3) + ", " + num(b.y * 1e3) + ") mm of size " +
                num(b.w * 1e3) + " x " + num(b.h * 1e3) + " mm lies outside the " + num(lx * 1e3) +
                " x " + num(ly * 1e3) + " mm die");
  }
}

double Design::lz() const {
  double s = 0;
  for (const auto& l : layers) s += l.thickness;
  return s;
}

double Design::total_power() const {
  double s = 0;
  for (const auto& l : layers) s += l.power.total();
  for (const auto& f : faces)
    if (f.type == BcType::kPower) s += f.power.total();
  return s;
}

void Design::validate() const {
  require(std::isfinite(lx) && lx > 0,
          "die.size_mm: width must be positive, got " + num(lx * 1e3) + " mm");
  require(std::isfinite(ly) && ly > 0,
          "die.size_mm: length must be positive, got " + num(ly * 1e3) + " mm");
  require(!layers.empty(), "layers: a design needs at least one layer");
  for (std::size_t n = 0; n < layers.size(); ++n) {
    const Layer& l = layers[n];
    const std::string where = "layers[" + std::to_string(n) + "] ('" + l.name + "')";
    require(std::isfinite(l.thickness) && l.thickness > 0,
            where + ": thickness_mm must be positive, got " + num(l.thickness * 1e3));
    require(std::isfinite(l.k_xy) && l.k_xy > 0,
            where + ": in-plane conductivity must be positive, got " + num(l.k_xy) + " W/(m K)");
    require(
        std::isfinite(l.k_z) && l.k_z > 0,
        where + ": through-plane conductivity must be positive, got " + num(l.k_z) + " W/(m K)");
    require(l.heat_capacity == 0 || (std::isfinite(l.heat_capacity) && l.heat_capacity > 0),
            where + ": c_J_per_m3K (volumetric heat capacity) must be positive and finite, got " +
                num(l.heat_capacity) + " J/(m^3 K)");
    require(l.cells >= 0,
            where + ": cells must be >= 1 when given, got " + std::to_string(l.cells));
    if (l.has_footprint()) {
      const auto& f = l.footprint;
      const double eps = 1e-9 * std::max(lx, ly);
      require(std::isfinite(f[0]) && std::isfinite(f[1]) && f[3] > 0 && f[0] >= -eps &&
                  f[1] >= -eps && f[0] + f[2] <= lx + eps && f[1] + f[3] <= ly + eps,
              where + ": footprint_mm [" + num(f[0] * 1e3) + ", " + num(f[1] * 1e3) + ", " +
                  num(f[2] * 1e3) + ", " + num(f[3] * 1e3) +
                  "] must have positive size and lie inside the die");
      l.power.validate(f[2], f[3]);
    } else {
      l.power.validate(lx, ly);
    }
  }
  bool heat_path = false;
  for (int f = 0; f < kNumFaces; ++f) {
    const Boundary& b = faces[f];
    const std::string where = std::string(face_name(f)) + ": ";
    switch (b.type) {
      case BcType::kAdiabatic:
        break;
      case BcType::kFixed:
        require(std::isfinite(b.t_fixed) && b.t_fixed > 0,
                where + "T_K must be a positive absolute temperature, got " + num(b.t_fixed));
        heat_path = true;
        break;
      case BcType::kPower:
        b.power.validate(lx, ly);
        [[fallthrough]];
      case BcType::kConvective:
        require(std::isfinite(b.h) && b.h >= 0,
                where + "h_W_per_m2K must be >= 0, got " + num(b.h));
        require(b.type == BcType::kPower || b.h > 0,
                where + "a convective face needs h_W_per_m2K > 0, got " + num(b.h));
        require(std::isfinite(b.t_amb) && b.t_amb > 0,
                where + "T_amb_K must be a positive absolute temperature, got " + num(b.t_amb));
        if (b.h > 0) heat_path = true;
        break;
    }
    if (b.type == BcType::kPower && (f != kTop && f != kBottom))
      throw std::invalid_argument(where +
                                  "surface power maps are supported on top and bottom only");
  }
  require(heat_path,
          "no heat path: every face is adiabatic or a pure power input, so the steady state "
          "does not exist (the system is singular). Make at least one face convective "
          "(type: convective, h_W_per_m2K, T_amb_K) or fixed (type: fixed, T_K).");
  require(grid.nx >= 2 && grid.ny >= 2, "grid: nx and ny must be >= 2, got " +
                                            std::to_string(grid.nx) + " x " +
                                            std::to_string(grid.ny));
  require(grid.nz == 0 || grid.nz >= static_cast<int>(layers.size()) + 1,
          "grid.nz must be at least layers + 1 = " + std::to_string(layers.size() + 1) +
              " (one cell per layer), got " + std::to_string(grid.nz));
}

double reference_temperature(const Design& d) {
  for (const auto& f : d.faces)
    if (f.type == BcType::kConvective || (f.type == BcType::kPower && f.h > 0)) return f.t_amb;
  for (const auto& f : d.faces)
    if (f.type == BcType::kFixed) return f.t_fixed;
  return 298.15;
}

}  // namespace heatop::model
