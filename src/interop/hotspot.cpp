#include "interop/hotspot.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "io/design_file.hpp"

namespace heatop::interop::hotspot {

namespace fs = std::filesystem;

namespace {

struct Line {
  int number;
  std::vector<std::string> tokens;
};

// Non-blank lines of a file with '#' comments removed, split on whitespace.
std::vector<Line> read_lines(const std::string& path, const char* what) {
  std::error_code ec;  // the non-throwing form: a name too long for the file system is "not found"
  if (!fs::exists(path, ec)) throw std::runtime_error(std::string(what) + " not found: " + path);
  std::ifstream in(path);
  if (!in) throw std::runtime_error(std::string("cannot read ") + what + ": " + path);
  std::vector<Line> out;
  std::string s;
  for (int n = 1; std::getline(in, s); ++n) {
    const auto hash = s.find('#');
    if (hash != std::string::npos) s.erase(hash);
    std::istringstream ss(s);
    Line l{n, {}};
    for (std::string t; ss >> t;) l.tokens.push_back(t);
    if (!l.tokens.empty()) out.push_back(std::move(l));
  }
  return out;
}

[[noreturn]] void fail(const std::string& path, int line, const std::string& msg) {
  throw std::invalid_argument(path + (line > 0 ? ":" + std::to_string(line) : "") + ": " + msg);
}

bool parse_number(const std::string& s, double* v) {
  try {
    std::size_t used = 0;
    *v = std::stod(s, &used);
    return used == s.size();
  } catch (const std::exception&) {
    return false;
  }
}

double number(const std::string& path, int line, const std::string& tok, const std::string& what) {
  double v;
  if (!parse_number(tok, &v)) fail(path, line, what + ": expected a number, got '" + tok + "'");
  if (!std::isfinite(v)) fail(path, line, what + ": must be finite, got '" + tok + "'");
  return v;
}

std::string g(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.10g", v);
  return buf;
}

std::string mm(double m) { return g(m * 1e3) + " mm"; }

std::string resolve_near(const std::string& base_file, const std::string& p) {
  fs::path path(p);
  if (path.is_absolute()) return p;
  const fs::path near = fs::path(base_file).parent_path() / path;
  // The non-throwing forms: a name the file system refuses (too long) is a file that does not
  // exist, reported when it is read, not a std::filesystem error that names no input file.
  std::error_code ec;
  if (fs::exists(near, ec) || !fs::exists(path, ec)) return near.lexically_normal().string();
  return p;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Readers

const FlpBlock* Floorplan::find(const std::string& name) const {
  for (const auto& b : blocks)
    if (b.name == name) return &b;
  return nullptr;
}

namespace {

// Overlaps and gaps. Slivers thinner than 1e-4 of the die's larger side (1.6 um on a 16 mm
// die) are rounding in the file, not design intent: HotSpot's own examples round block edges
// to 1 um (e.g. 3 x 1.033 mm next to 3.1 mm).
void check_tiling(const Floorplan& f) {
  const double tol = 1e-4 * std::max(f.width(), f.height());
  const auto& b = f.blocks;
  for (std::size_t i = 0; i < b.size(); ++i)
    for (std::size_t j = i + 1; j < b.size(); ++j) {
      const double ox = std::min(b[i].x + b[i].w, b[j].x + b[j].w) - std::max(b[i].x, b[j].x);
      const double oy = std::min(b[i].y + b[i].h, b[j].y + b[j].h) - std::max(b[i].y, b[j].y);
      if (ox > tol && oy > tol)
        fail(f.path, b[j].line,
             "block '" + b[j].name + "' overlaps block '" + b[i].name + "' (line " +
                 std::to_string(b[i].line) + ") by " + mm(ox) + " x " + mm(oy) +
                 "; floorplan blocks must not overlap");
    }
  double area = 0;
  for (const auto& k : b) area += k.w * k.h;
  const double box = f.width() * f.height();
  if (area >= box * (1 - 1e-5)) return;
  // Find a point of the gap to report: midpoints between block edges not covered by any block.
  std::vector<double> xs{f.x0, f.x1}, ys{f.y0, f.y1};
  for (const auto& k : b) {
    xs.push_back(k.x);
    xs.push_back(k.x + k.w);
    ys.push_back(k.y);
    ys.push_back(k.y + k.h);
  }
  std::sort(xs.begin(), xs.end());
  std::sort(ys.begin(), ys.end());
  for (std::size_t i = 0; i + 1 < xs.size(); ++i) {
    if (xs[i + 1] - xs[i] <= tol) continue;
    const double px = 0.5 * (xs[i] + xs[i + 1]);
    for (std::size_t j = 0; j + 1 < ys.size(); ++j) {
      if (ys[j + 1] - ys[j] <= tol) continue;
      const double py = 0.5 * (ys[j] + ys[j + 1]);
      bool covered = false;
      for (const auto& k : b)
        covered = covered || (px > k.x && px < k.x + k.w && py > k.y && py < k.y + k.h);
      if (!covered)
        fail(f.path, b.back().line,
             "the blocks leave a gap in the die's bounding box around (" + mm(px) + ", " + mm(py) +
                 ") (they cover " + g(100 * area / box) +
                 " % of it); HotSpot floorplans must tile the die — add a filler block");
    }
  }
}

}  // namespace

Floorplan read_flp(const std::string& path, bool check) {
  Floorplan f;
  f.path = path;
  std::set<std::string> names;
  for (const auto& l : read_lines(path, "HotSpot floorplan file")) {
    const auto& t = l.tokens;
    if (t.size() != 5 && t.size() != 7)
      fail(path, l.number,
           "expected 'name width height left-x bottom-y [heat-capacity resistivity]' (5 or 7 "
           "columns), got " +
               std::to_string(t.size()) + " columns");
    FlpBlock b;
    b.name = t[0];
    b.line = l.number;
    b.w = number(path, l.number, t[1], "width of '" + b.name + "'");
    b.h = number(path, l.number, t[2], "height of '" + b.name + "'");
    b.x = number(path, l.number, t[3], "left-x of '" + b.name + "'");
    b.y = number(path, l.number, t[4], "bottom-y of '" + b.name + "'");
    if (!(b.w > 0) || !(b.h > 0))
      fail(path, l.number,
           "block '" + b.name + "' has width " + g(b.w) + " m and height " + g(b.h) +
               " m; both must be positive");
    if (t.size() == 7) {
      b.has_properties = true;
      b.heat_capacity = number(path, l.number, t[5], "heat capacity of '" + b.name + "'");
      b.resistivity = number(path, l.number, t[6], "resistivity of '" + b.name + "'");
      if (!(b.heat_capacity > 0) || !(b.resistivity > 0))
        fail(path, l.number,
             "block '" + b.name + "': heat capacity and resistivity must be positive");
    }
    if (!names.insert(b.name).second)
      fail(path, l.number, "block name '" + b.name + "' appears twice");
    f.blocks.push_back(b);
  }
  if (f.blocks.empty()) fail(path, 0, "the floorplan holds no blocks");
  f.x0 = f.y0 = 1e300;
  f.x1 = f.y1 = -1e300;
  for (const auto& b : f.blocks) {
    f.x0 = std::min(f.x0, b.x);
    f.y0 = std::min(f.y0, b.y);
    f.x1 = std::max(f.x1, b.x + b.w);
    f.y1 = std::max(f.y1, b.y + b.h);
  }
  if (check) check_tiling(f);
  return f;
}

std::vector<double> PowerTrace::average() const {
  std::vector<double> avg(names.size(), 0.0);
  for (const auto& r : rows)
    for (std::size_t b = 0; b < r.size(); ++b) avg[b] += r[b];
  for (auto& v : avg) v /= rows.empty() ? 1.0 : static_cast<double>(rows.size());
  return avg;
}

PowerTrace read_ptrace(const std::string& path) {
  PowerTrace p;
  p.path = path;
  const auto lines = read_lines(path, "HotSpot power trace file");
  if (lines.empty()) fail(path, 0, "the power trace is empty (expected a line of block names)");
  std::set<std::string> seen;
  for (const auto& n : lines[0].tokens) {
    double dummy;
    if (parse_number(n, &dummy))
      fail(path, lines[0].number,
           "the first line must hold block names, got the number '" + n + "'");
    if (!seen.insert(n).second) fail(path, lines[0].number, "block '" + n + "' appears twice");
    p.names.push_back(n);
  }
  for (std::size_t r = 1; r < lines.size(); ++r) {
    const auto& l = lines[r];
    if (l.tokens.size() != p.names.size())
      fail(path, l.number,
           "expected " + std::to_string(p.names.size()) +
               " power values (one per block in the header), got " +
               std::to_string(l.tokens.size()));
    std::vector<double> row;
    for (std::size_t b = 0; b < l.tokens.size(); ++b) {
      const double v = number(path, l.number, l.tokens[b], "power of '" + p.names[b] + "'");
      if (v < 0)
        fail(path, l.number, "power of '" + p.names[b] + "' is negative (" + l.tokens[b] + " W)");
      row.push_back(v);
    }
    p.rows.push_back(std::move(row));
  }
  if (p.rows.empty())
    fail(path, lines[0].number, "the trace holds no power values after the names");
  return p;
}

std::map<std::string, double> read_init_file(const std::string& path) {
  std::map<std::string, double> t;
  const auto lines = read_lines(path, "HotSpot init file");
  if (lines.empty())
    fail(path, 0, "the init file is empty (expected 'node-name temperature' lines)");
  for (const auto& l : lines) {
    if (l.tokens.size() != 2)
      fail(path, l.number,
           "expected 'node-name temperature', got " + std::to_string(l.tokens.size()) + " fields");
    const double v = number(path, l.number, l.tokens[1], "temperature of '" + l.tokens[0] + "'");
    if (!(v > 0))
      fail(path, l.number,
           "temperature of '" + l.tokens[0] + "' must be > 0 K, got " + l.tokens[1]);
    if (!t.emplace(l.tokens[0], v).second)
      fail(path, l.number, "node '" + l.tokens[0] + "' appears twice");
  }
  return t;
}

namespace {

bool inside(const std::array<double, 4>& r, double x, double y, double eps) {
  return x >= r[0] - eps && x <= r[0] + r[2] + eps && y >= r[1] - eps && y <= r[1] + r[3] + eps;
}

// Whether (x, y) lies in region `n` (outer rectangle, or the given side of the ring between
// inner and outer: the side with the largest distance beyond the inner rectangle).
bool in_region(const NodeRegion& n, double x, double y, double eps) {
  if (!inside(n.outer, x, y, eps)) return false;
  if (n.side < 0) return true;
  const auto& r = n.inner;
  const double d[4] = {r[0] - x, x - (r[0] + r[2]), y - (r[1] + r[3]), r[1] - y};  // W E N S
  if (d[0] <= eps && d[1] <= eps && d[2] <= eps && d[3] <= eps) return false;      // in the hole
  int best = 0;
  for (int q = 1; q < 4; ++q)
    if (d[q] > d[best]) best = q;
  return best == n.side;
}

std::string listed(const std::vector<std::string>& names) {
  std::string s;
  for (std::size_t i = 0; i < names.size() && i < 6; ++i) s += (i ? ", " : "") + names[i];
  if (names.size() > 6) s += ", ... (" + std::to_string(names.size()) + " in all)";
  return s;
}

}  // namespace

std::vector<double> initial_field(const NodeMap& map, const std::string& path,
                                  const model::Design& d, const model::Grid& grid) {
  const std::map<std::string, double> t = read_init_file(path);
  std::vector<std::string> missing, unknown;
  for (const auto& [name, region] : map)
    if (!t.count(name)) missing.push_back(name);
  for (const auto& [name, v] : t)
    if (!map.count(name)) unknown.push_back(name);
  if (!missing.empty())
    fail(path, 0,
         "the init file lacks " + std::to_string(missing.size()) + " of the model's " +
             std::to_string(map.size()) + " thermal nodes: " + listed(missing) +
             " (HotSpot's init files list every node: the blocks, iface_/hsp_/hsink_ blocks "
             "and inode_0 .. inode_11)");
  if (!unknown.empty())
    fail(path, 0, "the init file names nodes this model does not have: " + listed(unknown));
  // Regions by layer, blocks before peripheral nodes.
  std::vector<std::vector<std::pair<const NodeRegion*, double>>> by_layer(d.layers.size());
  for (const auto& [name, region] : map)
    if (region.layer >= 0 && region.layer < static_cast<int>(d.layers.size()))
      by_layer[region.layer].emplace_back(&region, t.at(name));
  for (auto& l : by_layer)
    std::stable_sort(l.begin(), l.end(),
                     [](const auto& a, const auto& b) { return a.first->side < b.first->side; });
  const double eps = 1e-9 * std::max(d.lx, d.ly);
  auto layer_value = [&](int layer, double x, double y, double* v) {
    const model::Layer& L = d.layers[layer];
    if (L.has_footprint() && !inside(L.footprint, x, y, eps)) return false;  // void here
    for (const auto& [r, T] : by_layer[layer])
      if (in_region(*r, x, y, eps)) {
        *v = T;
        return true;
      }
    return false;
  };
  std::vector<double> f(grid.size(), std::numeric_limits<double>::quiet_NaN());
  const int nz = grid.nz();
  for (int i = 0; i < grid.nx(); ++i)
    for (int j = 0; j < grid.ny(); ++j)
      for (int k = 0; k < nz; ++k) {
        double sum = 0, v = 0;
        int n = 0;
        for (int c : {k - 1, k})  // the cells below and above the node
          if (c >= 0 && c < nz - 1 && layer_value(grid.cell_layer[c], grid.x[i], grid.y[j], &v)) {
            sum += v;
            ++n;
          }
        if (n) f[grid.index(i, j, k)] = sum / n;
      }
  return f;
}

bool Config::has(const std::string& name) const { return !str(name).empty(); }

std::string Config::str(const std::string& name) const {
  const auto it = options.find(name);
  if (it == options.end() || it->second.value == "(null)") return "";
  return it->second.value;
}

std::string Config::where(const std::string& name) const {
  const auto it = options.find(name);
  return it == options.end() ? "default" : it->second.where;
}

double Config::num(const std::string& name, double fallback) const {
  if (!has(name)) return fallback;
  double v;
  if (!parse_number(str(name), &v) || !std::isfinite(v))
    throw std::invalid_argument(where(name) + ": -" + name + ": expected a number, got '" +
                                str(name) + "'");
  return v;
}

void Config::set(const std::string& name, const std::string& value, const std::string& w) {
  if (!options.count(name)) order.push_back(name);
  options[name] = {value, w};
}

Config read_config(const std::string& path) {
  Config c;
  for (const auto& l : read_lines(path, "HotSpot config file")) {
    const auto& t = l.tokens;
    if (t[0].size() < 2 || t[0][0] != '-')
      fail(path, l.number, "expected '-option value', got '" + t[0] + "'");
    if (t.size() < 2) fail(path, l.number, "option " + t[0] + " has no value");
    if (t.size() > 2)
      fail(path, l.number, "option " + t[0] + ": unexpected text after the value ('" + t[2] + "')");
    c.set(t[0].substr(1), t[1], path + ":" + std::to_string(l.number));
  }
  return c;
}

void apply_overrides(Config& c, const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); i += 2) {
    const std::string& o = args[i];
    if (o.size() < 2 || o[0] != '-')
      throw std::invalid_argument(
          "HotSpot option on the command line: expected '-option value', got '" + o + "'");
    if (i + 1 >= args.size())
      throw std::invalid_argument("HotSpot option " + o + " on the command line has no value");
    c.set(o.substr(o[1] == '-' ? 2 : 1), args[i + 1], "command line");
  }
}

std::map<std::string, Material> read_materials(const std::string& path) {
  std::map<std::string, Material> out;
  const auto lines = read_lines(path, "HotSpot materials file");
  std::size_t i = 0;
  auto next = [&](const std::string& what, int record_line) -> const Line& {
    if (i >= lines.size())
      fail(path, record_line, "incomplete material record: " + what + " is missing");
    return lines[i++];
  };
  while (i < lines.size()) {
    const Line& name = lines[i++];
    if (name.tokens.size() != 1)
      fail(path, name.number,
           "expected a material name on its own line, got '" + name.tokens[0] + " ...'");
    Material m;
    m.name = name.tokens[0];
    m.where = path + ":" + std::to_string(name.number);
    const Line& type = next("the type (solid or fluid)", name.number);
    if (type.tokens[0] != "solid" && type.tokens[0] != "fluid")
      fail(path, type.number,
           "material '" + m.name + "': type must be 'solid' or 'fluid', got '" + type.tokens[0] +
               "'");
    m.fluid = type.tokens[0] == "fluid";
    const Line& k = next("the thermal conductivity", name.number);
    m.k = number(path, k.number, k.tokens[0], "conductivity of '" + m.name + "'");
    const Line& c = next("the volumetric heat capacity", name.number);
    m.heat_capacity = number(path, c.number, c.tokens[0], "heat capacity of '" + m.name + "'");
    if (m.fluid) {
      const Line& v = next("the dynamic viscosity (fluids)", name.number);
      m.viscosity = number(path, v.number, v.tokens[0], "viscosity of '" + m.name + "'");
    }
    if (!(m.k > 0) || !(m.heat_capacity > 0))
      fail(path, k.number,
           "material '" + m.name + "': conductivity and heat capacity must be positive");
    if (out.count(m.name)) fail(path, name.number, "material '" + m.name + "' is defined twice");
    out[m.name] = m;
  }
  return out;
}

std::vector<LcfLayer> read_lcf(const std::string& path) {
  const auto lines = read_lines(path, "HotSpot layer configuration (.lcf) file");
  std::vector<LcfLayer> out;
  std::size_t i = 0;
  auto next = [&](const std::string& what, int at) -> const std::string& {
    if (i >= lines.size()) fail(path, at, "incomplete layer record: " + what + " is missing");
    if (lines[i].tokens.size() != 1)
      fail(path, lines[i].number, what + ": expected one value on the line");
    return lines[i++].tokens[0];
  };
  auto yes_no = [&](const std::string& what, int at) {
    const int line = i < lines.size() ? lines[i].number : at;
    const std::string v = next(what, at);
    if (v == "Y" || v == "y") return true;
    if (v == "N" || v == "n") return false;
    fail(path, line, what + ": expected Y or N, got '" + v + "'");
  };
  while (i < lines.size()) {
    LcfLayer l;
    l.line = lines[i].number;
    const std::string num = next("layer number", l.line);
    double v;
    if (!parse_number(num, &v) || v != std::floor(v) || v < 0 || v > 1e6)
      fail(path, l.line, "expected the layer number (0, 1, 2, ...), got '" + num + "'");
    l.number = static_cast<int>(v);
    if (l.number != static_cast<int>(out.size()))
      fail(path, l.line,
           "layer numbers must count up from 0; expected " + std::to_string(out.size()) + ", got " +
               num);
    l.lateral = yes_no("lateral heat flow flag", l.line);
    l.power = yes_no("power dissipation flag", l.line);
    const int cap_line = i < lines.size() ? lines[i].number : l.line;
    const std::string cap = next("heat capacity or material name", l.line);
    if (parse_number(cap, &v)) {
      l.heat_capacity = number(path, cap_line, cap, "heat capacity");
      const int r_line = i < lines.size() ? lines[i].number : l.line;
      l.resistivity = number(path, r_line, next("resistivity", l.line), "resistivity");
      if (!(l.resistivity > 0) || !(l.heat_capacity > 0))
        fail(path, r_line, "layer " + num + ": resistivity and heat capacity must be positive");
    } else {
      l.material = cap;
    }
    const int t_line = i < lines.size() ? lines[i].number : l.line;
    l.thickness = number(path, t_line, next("thickness", l.line), "thickness");
    if (!(l.thickness > 0))
      fail(path, t_line,
           "layer " + num + ": thickness must be positive, got " + g(l.thickness) + " m");
    l.floorplan = next("floorplan file", l.line);
    l.floorplan_path = resolve_near(path, l.floorplan);
    out.push_back(l);
  }
  if (out.empty()) fail(path, 0, "the layer configuration holds no layers");
  return out;
}

// ---------------------------------------------------------------------------------------------
// Importer

namespace {

// HotSpot 7's defaults (temperature.c / temperature_grid.c) for options a config may omit.
const std::map<std::string, double> kDefaults = {
    {"t_chip", 0.15e-3},
    {"k_chip", 100.0},
    {"t_interface", 2.0e-5},
    {"k_interface", 4.0},
    {"s_spreader", 0.03},
    {"t_spreader", 0.001},
    {"k_spreader", 400.0},
    {"s_sink", 0.06},
    {"t_sink", 0.0069},
    {"k_sink", 400.0},
    {"r_convec", 0.1},
    {"ambient", 318.15},
    {"grid_rows", 64},
    {"grid_cols", 64},
    // HotSpot's transient defaults (temperature.c, default_thermal_config).
    {"p_chip", 1.75e6},
    {"p_interface", 4.0e6},
    {"p_spreader", 3.55e6},
    {"p_sink", 3.55e6},
    {"c_convec", 140.4},
    {"sampling_intvl", 3.333e-6},
    {"init_temp", 333.15}};

// Options heatop uses (directly or through the exports).
const std::set<std::string> kUsed = {"t_chip",          "k_chip",
                                     "material_chip",   "t_interface",
                                     "k_interface",     "material_interface",
                                     "s_spreader",      "t_spreader",
                                     "k_spreader",      "material_spreader",
                                     "s_sink",          "t_sink",
                                     "k_sink",          "material_sink",
                                     "r_convec",        "ambient",
                                     "grid_rows",       "grid_cols",
                                     "grid_layer_file", "materials_file",
                                     "model_type",      "detailed_3D",
                                     "grid_map_mode",   "p_chip",
                                     "p_interface",     "p_spreader",
                                     "p_sink",          "c_convec",
                                     "sampling_intvl",  "init_temp",
                                     "init_file"};
// Output names, run control, floorplanner and DTM settings: no effect on the temperatures.
const std::set<std::string> kNoEffect = {"steady_file",
                                         "grid_steady_file",
                                         "o",
                                         "f",
                                         "p",
                                         "c",
                                         "grid_transient_file",
                                         "package_config_file",
                                         "base_proc_freq",
                                         "thermal_threshold",
                                         "block_omit_lateral",
                                         "leakage_mode",
                                         "wrap_l2",
                                         "l2_label",
                                         "rim_thickness",
                                         "compact_ratio",
                                         "n_orients",
                                         "P0",
                                         "Davg",
                                         "Kmoves",
                                         "Rcool",
                                         "Rreject",
                                         "Nmax",
                                         "lambdaA",
                                         "lambdaT",
                                         "lambdaW",
                                         "verbose"};
// Parameters of features that are off unless their switch is on.
const std::set<std::string> kSecondary = {
    "r_convec_sec", "c_convec_sec", "n_metal",  "t_metal",  "t_c4",  "s_c4", "n_c4",
    "s_sub",        "t_sub",        "s_solder", "t_solder", "s_pcb", "t_pcb"};
const std::set<std::string> kFluidic = {"pumping_pressure",
                                        "pump_internal_res",
                                        "inlet_temperature",
                                        "coolant_material",
                                        "coolant_capac",
                                        "coolant_res",
                                        "coolant_visc",
                                        "wall_material",
                                        "wall_capac",
                                        "wall_res",
                                        "htc",
                                        "use_microchannels"};

struct Frame {
  double ox = 0, oy = 0;  // HotSpot (x, y) + (ox, oy) = heatop (x, y)
  double lx = 0, ly = 0;  // heatop box
};

struct Built {
  YAML::Node layer;
  std::array<double, 4> fp;  // footprint in heatop coordinates {x0, y0, w, h}
};

YAML::Node flow_list(const std::vector<double>& v) {
  YAML::Node n(YAML::NodeType::Sequence);
  for (double x : v) n.push_back(g(x));
  n.SetStyle(YAML::EmitterStyle::Flow);
  return n;
}

int z_cells(double t, int lo, int hi) {
  return std::clamp(static_cast<int>(std::ceil(t / 40e-6 - 1e-9)), lo, hi);
}

// Graded nodes on [a, b] that start with spacing h0 at the `from_b` end and grow by `ratio`.
// Returns the interior nodes (a and b excluded), increasing.
std::vector<double> graded(double a, double b, double h0, double ratio, bool from_b) {
  const double len = b - a;
  std::vector<double> steps;
  double s = 0, h = std::min(h0, len);
  while (s + h < len * (1 - 1e-9)) {
    steps.push_back(h);
    s += h;
    h *= ratio;
  }
  const double rest = len - s;  // merge a short remainder into the last step, or add it
  if (!steps.empty() && rest < 0.5 * steps.back())
    steps.back() += rest;
  else
    steps.push_back(rest);
  std::vector<double> nodes;
  double p = from_b ? b : a;
  for (std::size_t i = 0; i + 1 < steps.size(); ++i) {
    p += from_b ? -steps[i] : steps[i];
    nodes.push_back(p);
  }
  std::sort(nodes.begin(), nodes.end());
  return nodes;
}

// Lateral nodes of one axis: `cells` uniform cells over the die [d0, d1], graded cells outside
// it through the breakpoints (package edges), and extra node lines at edges inside the die.
std::vector<double> axis_nodes(double length, double d0, double d1, int cells,
                               std::vector<double> breaks) {
  const double pitch = (d1 - d0) / cells;
  std::vector<double> n;
  for (int c = 0; c <= cells; ++c) n.push_back(d0 + c * pitch);
  std::vector<double> inside, left{0.0}, right{length};
  for (double b : breaks) {
    if (b > d0 + 1e-9 * length && b < d1 - 1e-9 * length) inside.push_back(b);
    if (b > 1e-9 * length && b < d0 - 1e-9 * length) left.push_back(b);
    if (b > d1 + 1e-9 * length && b < length * (1 - 1e-9)) right.push_back(b);
  }
  // Edges inside the die (smaller dies of other layers) become node lines.
  for (double b : inside) {
    n.erase(std::remove_if(
                n.begin(), n.end(),
                [&](double x) { return std::abs(x - b) < 0.3 * pitch && x != d0 && x != d1; }),
            n.end());
    n.push_back(b);
  }
  // Left of the die: segments from d0 down to 0 through the breakpoints.
  std::sort(left.begin(), left.end());
  left.push_back(d0);
  double h = pitch;
  for (std::size_t s = left.size() - 1; s > 0; --s) {
    const double a = left[s - 1], b = left[s];
    if (b - a <= 1e-9 * length) continue;
    auto g = graded(a, b, h, 1.3, true);
    h = g.empty() ? (b - a) : (g.front() - a) * 1.3;
    n.insert(n.end(), g.begin(), g.end());
    n.push_back(a);
  }
  std::sort(right.begin(), right.end());
  right.insert(right.begin(), d1);
  h = pitch;
  for (std::size_t s = 0; s + 1 < right.size(); ++s) {
    const double a = right[s], b = right[s + 1];
    if (b - a <= 1e-9 * length) continue;
    auto g = graded(a, b, h, 1.3, false);
    h = g.empty() ? (b - a) : (b - g.back()) * 1.3;
    n.insert(n.end(), g.begin(), g.end());
    n.push_back(b);
  }
  std::sort(n.begin(), n.end());
  std::vector<double> out;
  for (double x : n)
    if (out.empty() || x - out.back() > 1e-9 * length) out.push_back(x);
  out.front() = 0;
  out.back() = length;
  return out;
}

class Importer {
 public:
  explicit Importer(const ImportOptions& o) : opt_(o) {}

  ImportResult run();

 private:
  struct DieLayer {
    std::string name;
    double thickness, k, c = 0;
    bool power;
    Floorplan fp;
    std::string where;
  };
  // Where the die sits in the package (heatop frame) and which package parts exist.
  struct Package {
    double dx0, dy0, dx1, dy1, dw, dh;  // die bounds (HotSpot frame) and size, m
    bool has_spreader, has_sink;
    double s_spr, s_sink;  // spreader and sink sizes, m
    bool full;             // --package full
    Frame fr;
  };
  // The steps of run(), in order.
  void read_inputs();
  void read_die_layers();
  void warn_per_block_conductivity();
  void assign_trace_power();
  void place_in_package();
  YAML::Node layers_node();
  void add_boundaries(YAML::Node& root);
  void add_lateral_grid(YAML::Node& root);
  void classify_options();
  double material_k(const std::string& part, const std::string& key_k);
  double material_c(const std::string& part, const std::string& key_p);
  void add_transient(YAML::Node& root);
  void map_nodes();
  YAML::Node blocks_node(const Floorplan& f, const std::map<std::string, double>* power, double fx0,
                         double fy0);
  void warn(const std::string& s) { res_.warnings.push_back(s); }

  ImportOptions opt_;
  Config cfg_;
  ImportResult res_;
  std::map<std::string, Material> materials_;
  std::string materials_path_;
  std::string lcf_path_;
  PowerTrace trace_;
  std::vector<DieLayer> die_;
  std::vector<std::map<std::string, double>> power_;  // per die layer: block -> W
  Package pkg_{};
  std::vector<double> xb_, yb_;  // footprint edges of the layers, heatop frame
};

void Importer::classify_options() {
  for (const auto& name : cfg_.order) {
    const std::string v = cfg_.str(name);
    const std::string at = cfg_.where(name);
    const bool on = !v.empty() && v != "0";
    if (kUsed.count(name) || kNoEffect.count(name) || kSecondary.count(name) ||
        kFluidic.count(name))
      continue;
    if (name == "model_secondary") {
      if (on)
        warn("-model_secondary " + v + " (" + at +
             "): HotSpot's secondary heat path (C4, "
             "substrate, solder, PCB) is not modelled; heatop keeps the die's bottom face "
             "adiabatic. Add the layers and a bottom boundary to the design to model it.");
    } else if (name == "leakage_used" || name == "dtm_used" || name == "package_model_used" ||
               name == "model_rim") {
      if (on)
        warn("-" + name + " " + v + " (" + at + "): not modelled by heatop (" +
             (name == "leakage_used" ? "temperature-dependent leakage power"
              : name == "dtm_used"   ? "dynamic thermal management"
              : name == "model_rim"  ? "dead-space rim around the die"
                                     : "detailed heat-sink/fan package model; r_convec is used") +
             "); the option is ignored");
    } else if (name == "use_microfluidic_cooling") {
      if (on)
        throw std::invalid_argument(at + ": -use_microfluidic_cooling " + v +
                                    ": microfluidic cooling is not supported by heatop yet; "
                                    "remove the microchannel layers to import the stack");
    } else {
      warn("unknown HotSpot option -" + name + " (" + at + ") is ignored");
    }
  }
  if (cfg_.str("use_microchannels") != "" && cfg_.str("use_microchannels") != "0")
    throw std::invalid_argument(cfg_.where("use_microchannels") +
                                ": -use_microchannels: microchannel cooling is not supported by "
                                "heatop yet; remove the microchannel layers to import the stack");
  const std::string init = cfg_.str("init_file");
  if (!init.empty() && init != "(null)") {
    const bool from_config =
        !opt_.config.empty() && cfg_.where("init_file").rfind(opt_.config, 0) == 0;
    res_.initial_file = from_config ? resolve_near(opt_.config, init) : init;
    res_.notes.push_back(
        "-init_file " + init + " (" + cfg_.where("init_file") +
        "): the initial temperatures of `heatop solve` and `heatop transient` on this HotSpot "
        "model; a design file written by `heatop import` does not carry them and starts from "
        "-init_temp (give its transient `--initial " +
        init + "` with the HotSpot model, or a T.npy)");
  }
  if (cfg_.str("model_type") == "block")
    warn("-model_type block (" + cfg_.where("model_type") +
         "): heatop always solves the 3D "
         "conduction (grid) model; HotSpot's block model lumps each block into one node, so "
         "its block temperatures differ from heatop's by the lateral resolution");
  const std::string map_mode = cfg_.str("grid_map_mode");
  if (!map_mode.empty() && map_mode != "avg")
    warn("-grid_map_mode " + map_mode + " (" + cfg_.where("grid_map_mode") +
         "): heatop's "
         ".steady export always reports the block average");
}

// Conductivity of a package part: the material (when named) overrides -k_<part>.
double Importer::material_k(const std::string& part, const std::string& key_k) {
  const std::string mat = cfg_.str("material_" + part);
  if (!mat.empty() && mat != "none") {
    if (materials_.empty())
      throw std::invalid_argument(cfg_.where("material_" + part) + ": -material_" + part + " " +
                                  mat +
                                  " needs a materials file (--materials FILE or "
                                  "-materials_file FILE)");
    const auto it = materials_.find(mat);
    if (it == materials_.end()) {
      std::string known;
      for (const auto& [n, m] : materials_) known += (known.empty() ? "" : ", ") + n;
      throw std::invalid_argument(cfg_.where("material_" + part) + ": -material_" + part +
                                  ": unknown material '" + mat + "' (not in " + materials_path_ +
                                  "; it defines: " + known + ")");
    }
    if (it->second.fluid)
      throw std::invalid_argument(cfg_.where("material_" + part) + ": -material_" + part + ": '" +
                                  mat + "' is a fluid, a solid is needed here");
    return it->second.k;
  }
  const double k = cfg_.num(key_k, kDefaults.at(key_k));
  if (!(k > 0))
    throw std::invalid_argument(cfg_.where(key_k) + ": -" + key_k + " must be positive, got " +
                                g(k));
  return k;
}

// Volumetric heat capacity of a part: the material (when named) overrides -p_<part>.
double Importer::material_c(const std::string& part, const std::string& key_p) {
  const std::string mat = cfg_.str("material_" + part);
  if (!mat.empty() && mat != "none" && !materials_.empty()) {
    const auto it = materials_.find(mat);
    if (it != materials_.end()) return it->second.heat_capacity;
  }
  const double c = cfg_.num(key_p, kDefaults.at(key_p));
  if (!(c > 0))
    throw std::invalid_argument(cfg_.where(key_p) + ": -" + key_p + " must be positive, got " +
                                g(c));
  return c;
}

YAML::Node Importer::blocks_node(const Floorplan& f, const std::map<std::string, double>* power,
                                 double fx0, double fy0) {
  YAML::Node list(YAML::NodeType::Sequence);
  for (const auto& b : f.blocks) {
    YAML::Node n;
    n["name"] = b.name;
    n["x_mm"] = g((b.x - fx0) * 1e3);
    n["y_mm"] = g((b.y - fy0) * 1e3);
    n["w_mm"] = g(b.w * 1e3);
    n["h_mm"] = g(b.h * 1e3);
    n["power_W"] = g(power ? power->at(b.name) : 0.0);
    n.SetStyle(YAML::EmitterStyle::Flow);
    list.push_back(n);
  }
  return list;
}

void Importer::read_inputs() {
  if (!opt_.config.empty()) cfg_ = read_config(opt_.config);
  apply_overrides(cfg_, opt_.overrides);
  if (opt_.package != "full" && opt_.package != "die")
    throw std::invalid_argument("package mode must be 'full' or 'die', got '" + opt_.package + "'");
  classify_options();

  materials_path_ = !opt_.materials.empty() ? opt_.materials : cfg_.str("materials_file");
  if (!materials_path_.empty()) materials_ = read_materials(materials_path_);
  lcf_path_ = !opt_.lcf.empty() ? opt_.lcf : cfg_.str("grid_layer_file");
  if (opt_.ptrace.empty())
    throw std::invalid_argument("a power trace is required (-p FILE.ptrace)");
  if (lcf_path_.empty() && opt_.flp.empty())
    throw std::invalid_argument("a floorplan is required (-f FILE.flp), or a layer file (--lcf)");
  trace_ = read_ptrace(opt_.ptrace);
}

// The die layers (bottom first) with their floorplans: from the layer file, or the chip.
void Importer::read_die_layers() {
  const std::string& lcf_path = lcf_path_;
  std::vector<DieLayer>& die = die_;
  if (!lcf_path.empty()) {
    if (!opt_.flp.empty())
      warn("-f " + opt_.flp + " is not used: with a layer file the floorplans come from " +
           lcf_path);
    for (const auto& l : read_lcf(lcf_path)) {
      const std::string at = lcf_path + ":" + std::to_string(l.line);
      if (fs::path(l.floorplan).extension() == ".csv")
        throw std::invalid_argument(at + ": layer " + std::to_string(l.number) + " uses '" +
                                    l.floorplan +
                                    "', a microchannel geometry: microchannel "
                                    "layers are not supported by heatop yet");
      DieLayer d;
      d.name = "layer_" + std::to_string(l.number);
      d.thickness = l.thickness;
      d.power = l.power;
      d.where = at;
      if (!l.material.empty()) {
        const auto it = materials_.find(l.material);
        if (it == materials_.end())
          throw std::invalid_argument(at + ": layer " + std::to_string(l.number) +
                                      ": unknown material '" + l.material + "'" +
                                      (materials_.empty()
                                           ? " (no materials file given: --materials FILE)"
                                           : " (not in " + materials_path_ + ")"));
        d.k = it->second.k;
        d.c = it->second.heat_capacity;
      } else {
        d.k = 1.0 / l.resistivity;
        d.c = l.heat_capacity;
      }
      if (!l.lateral)
        warn(at + ": layer " + std::to_string(l.number) +
             " has lateral heat flow 'N'; heatop "
             "always conducts laterally (the layer is modelled isotropic)");
      try {
        d.fp = read_flp(l.floorplan_path);
      } catch (const std::runtime_error& e) {
        throw std::invalid_argument(at + ": layer " + std::to_string(l.number) + ": " + e.what());
      }
      die.push_back(std::move(d));
    }
  } else {
    DieLayer d;
    d.name = "chip";
    d.thickness = cfg_.num("t_chip", kDefaults.at("t_chip"));
    d.k = material_k("chip", "k_chip");
    d.c = material_c("chip", "p_chip");
    d.power = true;
    d.where = cfg_.where("t_chip");
    d.fp = read_flp(opt_.flp);
    die.push_back(std::move(d));
  }
}

void Importer::warn_per_block_conductivity() {
  const std::vector<DieLayer>& die = die_;
  for (const auto& d : die) {
    int differing = 0;
    const FlpBlock* first = nullptr;
    for (const auto& b : d.fp.blocks)
      if (b.has_properties && std::abs(b.heat_capacity - d.c) > 1e-6 * d.c) {
        ++differing;
        if (!first) first = &b;
      }
    if (differing)
      warn(d.fp.path + ":" + std::to_string(first->line) + ": " + std::to_string(differing) +
           " block(s) (first '" + first->name + "', " + g(first->heat_capacity) +
           " J/(m^3 K)) carry their own heat capacity; heatop uses one per layer, so " + d.name +
           " keeps c = " + g(d.c) + " J/(m^3 K) everywhere (transient runs only)");
  }
  // Per-block conductivities (detailed 3D) are not modelled: say which.
  for (const auto& d : die) {
    int differing = 0;
    const FlpBlock* first = nullptr;
    for (const auto& b : d.fp.blocks)
      if (b.has_properties && std::abs(1.0 / b.resistivity - d.k) > 1e-6 * d.k) {
        ++differing;
        if (!first) first = &b;
      }
    if (differing)
      warn(d.fp.path + ":" + std::to_string(first->line) + ": " + std::to_string(differing) +
           " block(s) (first '" + first->name + "', k = " + g(1.0 / first->resistivity) +
           " W/(m K)) carry their own resistivity; heatop uses one conductivity per layer, so " +
           d.name + " keeps k = " + g(d.k) +
           " W/(m K) everywhere (per-block conductivity is "
           "not modelled)");
  }
}

void Importer::assign_trace_power() {
  const std::vector<DieLayer>& die = die_;
  const PowerTrace& trace = trace_;
  const std::vector<double> avg = trace.average();
  // Power: the trace average, by name, over the power-dissipating layers.
  std::map<std::string, int> owner;  // block name -> die layer
  for (std::size_t l = 0; l < die.size(); ++l) {
    if (!die[l].power) continue;
    for (const auto& b : die[l].fp.blocks) {
      if (owner.count(b.name))
        throw std::invalid_argument(die[l].fp.path + ":" + std::to_string(b.line) + ": block '" +
                                    b.name + "' also exists in " + die[owner[b.name]].fp.path +
                                    "; power-dissipating layers need distinct block names");
      owner[b.name] = static_cast<int>(l);
    }
  }
  std::vector<std::map<std::string, double>>& power = power_;
  power.assign(die.size(), {});
  for (std::size_t b = 0; b < trace.names.size(); ++b) {
    const auto it = owner.find(trace.names[b]);
    if (it == owner.end())
      throw std::invalid_argument(trace.path + ":1: block '" + trace.names[b] +
                                  "' is in the trace but in no power-dissipating floorplan");
    power[it->second][trace.names[b]] = avg[b];
  }
  for (const auto& [name, l] : owner)
    if (!power[l].count(name))
      throw std::invalid_argument(trace.path + ":1: block '" + name + "' of " + die[l].fp.path +
                                  " (line " + std::to_string(die[l].fp.find(name)->line) +
                                  ") is missing from the trace");
}

void Importer::place_in_package() {
  const std::vector<DieLayer>& die = die_;
  // Lateral frame: the die is the union of the layers' floorplans, centred on the package.
  Package& p = pkg_;
  double dx0 = 1e300, dy0 = 1e300, dx1 = -1e300, dy1 = -1e300;
  for (const auto& d : die) {
    dx0 = std::min(dx0, d.fp.x0);
    dy0 = std::min(dy0, d.fp.y0);
    dx1 = std::max(dx1, d.fp.x1);
    dy1 = std::max(dy1, d.fp.y1);
  }
  const double dw = dx1 - dx0, dh = dy1 - dy0;
  const std::string sink_mat = cfg_.str("material_sink"), spr_mat = cfg_.str("material_spreader");
  const bool has_spreader = spr_mat != "none", has_sink = sink_mat != "none";
  const double s_spr = cfg_.num("s_spreader", kDefaults.at("s_spreader"));
  const double s_sink = cfg_.num("s_sink", kDefaults.at("s_sink"));
  const bool full = opt_.package == "full";
  if (has_spreader && full && (s_spr < dw * (1 - 1e-9) || s_spr < dh * (1 - 1e-9)))
    throw std::invalid_argument(cfg_.where("s_spreader") + ": -s_spreader " + g(s_spr) +
                                " m is smaller than the die (" + mm(dw) + " x " + mm(dh) + ")");
  if (has_sink && full && has_spreader && s_sink < s_spr * (1 - 1e-9))
    throw std::invalid_argument(cfg_.where("s_sink") + ": -s_sink " + g(s_sink) +
                                " m is smaller than the spreader (" + g(s_spr) + " m)");
  Frame fr;
  double box = std::max(dw, dh);
  if (full) {
    if (has_spreader) box = std::max(box, s_spr);
    if (has_sink) box = std::max(box, s_sink);
    fr.lx = fr.ly = box;
    fr.ox = (box - dw) / 2 - dx0;
    fr.oy = (box - dh) / 2 - dy0;
  } else {
    fr.lx = dw;
    fr.ly = dh;
    fr.ox = -dx0;
    fr.oy = -dy0;
  }

  p = {dx0, dy0, dx1, dy1, dw, dh, has_spreader, has_sink, s_spr, s_sink, full, fr};
}

// The design tree: name, box, die layers with their blocks, interface, spreader, sink.
YAML::Node Importer::layers_node() {
  const std::vector<DieLayer>& die = die_;
  const auto& [dx0, dy0, dx1, dy1, dw, dh, has_spreader, has_sink, s_spr, s_sink, full, fr] = pkg_;
  const std::string& lcf_path = lcf_path_;
  const auto& power = power_;
  YAML::Node root;
  root["heatop"] = 1;
  std::string name = opt_.name;
  if (name.empty()) name = fs::path(!lcf_path.empty() ? lcf_path : opt_.flp).stem().string();
  root["name"] = name;
  root["die"]["size_mm"] = flow_list({fr.lx * 1e3, fr.ly * 1e3});
  YAML::Node layers(YAML::NodeType::Sequence);
  std::vector<double>&xb = xb_, &yb = yb_;
  auto add_layer = [&](const std::string& lname, double t, double k, double c, int cells,
                       std::array<double, 4> fp, bool footprint) {
    YAML::Node n;
    n["name"] = lname;
    n["thickness_mm"] = g(t * 1e3);
    n["k_W_per_mK"] = g(k);
    n["c_J_per_m3K"] = g(c);
    n["cells"] = cells;
    if (footprint) {
      n["footprint_mm"] = flow_list({fp[0] * 1e3, fp[1] * 1e3, fp[2] * 1e3, fp[3] * 1e3});
      xb.push_back(fp[0]);
      xb.push_back(fp[0] + fp[2]);
      yb.push_back(fp[1]);
      yb.push_back(fp[1] + fp[3]);
    }
    layers.push_back(n);
    return layers[layers.size() - 1];
  };
  for (std::size_t l = 0; l < die.size(); ++l) {
    const auto& d = die[l];
    const std::array<double, 4> fp{d.fp.x0 + fr.ox, d.fp.y0 + fr.oy, d.fp.width(), d.fp.height()};
    const bool own =
        std::abs(fp[2] - fr.lx) > 1e-9 * fr.lx || std::abs(fp[3] - fr.ly) > 1e-9 * fr.ly;
    YAML::Node n = add_layer(d.name, d.thickness, d.k, d.c, z_cells(d.thickness, 2, 6), fp, own);
    // Blocks are relative to the layer's footprint when it has one, else to the box.
    n["power_blocks"] = blocks_node(d.fp, d.power ? &power[l] : nullptr, own ? d.fp.x0 : -fr.ox,
                                    own ? d.fp.y0 : -fr.oy);
  }
  const std::array<double, 4> die_fp{dx0 + fr.ox, dy0 + fr.oy, dw, dh};
  const bool die_own = full;
  if (lcf_path.empty()) {
    const double t = cfg_.num("t_interface", kDefaults.at("t_interface"));
    add_layer("interface", t, material_k("interface", "k_interface"),
              material_c("interface", "p_interface"), z_cells(t, 2, 6), die_fp, die_own);
  }
  const std::string top_part = has_sink ? "sink" : (has_spreader ? "spreader" : "die");
  // HotSpot adds the convection capacitance -c_convec (J/K) to its heat-sink nodes in
  // proportion to their area; heatop spreads it over the top part's volume.
  auto c_convec_per_volume = [&](double t, double area) {
    const double cc = cfg_.num("c_convec", kDefaults.at("c_convec"));
    if (!(cc >= 0))
      throw std::invalid_argument(cfg_.where("c_convec") + ": -c_convec must be >= 0, got " +
                                  g(cc));
    res_.notes.push_back("-c_convec " + g(cc) + " J/K (HotSpot's convection capacitance at the " +
                         "heat sink) is added to the " + top_part + "'s heat capacity: +" +
                         g(cc / (t * area)) + " J/(m^3 K) over its " + mm(std::sqrt(area)) + " x " +
                         mm(std::sqrt(area)) + " x " + g(t * 1e3) + " mm");
    return cc / (t * area);
  };
  if (has_spreader) {
    const double t = cfg_.num("t_spreader", kDefaults.at("t_spreader"));
    const double s = full ? s_spr : 0;
    const std::array<double, 4> fp{(fr.lx - s) / 2, (fr.ly - s) / 2, s, s};
    double c = material_c("spreader", "p_spreader");
    if (!has_sink) c += c_convec_per_volume(t, full ? s * s : dw * dh);
    add_layer("spreader", t, material_k("spreader", "k_spreader"), c, 6, full ? fp : die_fp,
              full && s < fr.lx * (1 - 1e-9));
  }
  if (has_sink) {
    const double t = cfg_.num("t_sink", kDefaults.at("t_sink"));
    const double area = full ? fr.lx * fr.ly : dw * dh;
    add_layer("sink", t, material_k("sink", "k_sink"),
              material_c("sink", "p_sink") + c_convec_per_volume(t, area), 8, {0, 0, fr.lx, fr.ly},
              false);
  }
  if (!has_sink || !has_spreader)
    warn(std::string(!has_sink ? "-material_sink none" : "-material_spreader none") +
         ": the part is left out; r_convec acts over the top of the " + top_part);
  root["layers"] = layers;
  return root;
}

// Convection: r_convec is the resistance of the whole top surface of the sink.
void Importer::add_boundaries(YAML::Node& root) {
  const auto& [dx0, dy0, dx1, dy1, dw, dh, has_spreader, has_sink, s_spr, s_sink, full, fr] = pkg_;
  const double r = cfg_.num("r_convec", kDefaults.at("r_convec"));
  if (!(r > 0))
    throw std::invalid_argument(cfg_.where("r_convec") + ": -r_convec must be positive, got " +
                                g(r));
  double area = fr.lx * fr.ly;
  if (!has_sink && has_spreader && full) area = s_spr * s_spr;
  if (!has_sink && !has_spreader) area = dw * dh;
  YAML::Node top;
  top["type"] = "convective";
  top["h_W_per_m2K"] = g(1.0 / (r * area));
  top["T_amb_K"] = g(cfg_.num("ambient", kDefaults.at("ambient")));
  root["top"] = top;
  root["bottom"]["type"] = "adiabatic";
  root["sides"]["type"] = "adiabatic";
  if (!full)
    warn("package reduced to the die footprint (" + mm(dw) + " x " + mm(dh) + "): the " +
         g(s_spr * 1e3) + " mm spreader and " + g(s_sink * 1e3) +
         " mm sink are cut to the die and "
         "r_convec = " +
         g(r) + " K/W becomes h = " + g(1.0 / (r * area)) +
         " W/(m^2 K) over the die; the sink's lateral spreading is lost (an approximation)");
}

void Importer::add_lateral_grid(YAML::Node& root) {
  const std::vector<double>&xb = xb_, &yb = yb_;
  const auto& [dx0, dy0, dx1, dy1, dw, dh, has_spreader, has_sink, s_spr, s_sink, full, fr] = pkg_;
  // Lateral grid: HotSpot's rows x cols cells over the die, graded cells over the package.
  const double rows_d = cfg_.num("grid_rows", kDefaults.at("grid_rows"));
  const double cols_d = cfg_.num("grid_cols", kDefaults.at("grid_cols"));
  // Compared as doubles: a huge or fractional value must not reach the int conversion.
  if (!(rows_d >= 1 && cols_d >= 1 && rows_d <= 100000 && cols_d <= 100000) ||
      rows_d != std::floor(rows_d) || cols_d != std::floor(cols_d))
    throw std::invalid_argument(
        cfg_.where(rows_d >= 1 && rows_d <= 100000 ? "grid_cols" : "grid_rows") +
        ": -grid_rows/-grid_cols must be whole numbers from 1 to 100000, "
        "got " +
        g(rows_d) + " x " + g(cols_d));
  const int rows = static_cast<int>(rows_d), cols = static_cast<int>(cols_d);
  YAML::Node grid;
  if (xb.empty() && yb.empty()) {
    grid["nx"] = cols + 1;
    grid["ny"] = rows + 1;
  } else {
    // Plain copies: lambdas may not capture structured bindings before C++20.
    const double lx = fr.lx, ly = fr.ly, x0 = dx0 + fr.ox, x1 = dx1 + fr.ox, y0 = dy0 + fr.oy,
                 y1 = dy1 + fr.oy;
    grid["x_nodes_mm"] = flow_list([&] {
      auto v = axis_nodes(lx, x0, x1, cols, xb);
      for (auto& x : v) x *= 1e3;
      return v;
    }());
    grid["y_nodes_mm"] = flow_list([&] {
      auto v = axis_nodes(ly, y0, y1, rows, yb);
      for (auto& y : v) y *= 1e3;
      return v;
    }());
  }
  root["grid"] = grid;
}

// What `heatop transient` needs from the config: the .ptrace sampling interval and the
// initial temperature (HotSpot's defaults 3.333 us and 333.15 K when not given).
void Importer::add_transient(YAML::Node& root) {
  const double dt = cfg_.num("sampling_intvl", kDefaults.at("sampling_intvl"));
  const double t0 = cfg_.num("init_temp", kDefaults.at("init_temp"));
  if (!(dt > 0))
    throw std::invalid_argument(cfg_.where("sampling_intvl") +
                                ": -sampling_intvl must be positive, got " + g(dt));
  if (!(t0 > 0))
    throw std::invalid_argument(cfg_.where("init_temp") + ": -init_temp must be positive, got " +
                                g(t0));
  root["transient"]["ptrace_interval_s"] = g(dt);
  root["transient"]["initial_K"] = g(t0);
}

// Where HotSpot's thermal nodes lie in the design (for its init files): the die layers' blocks,
// the interface, spreader and sink under the top die layer's blocks, and the 12 peripheral nodes
// (spreader and sink around the die, sink around the spreader) split along the diagonals.
void Importer::map_nodes() {
  const Package& p = pkg_;
  const Frame& fr = p.fr;  // a reference, not a structured binding: lambdas capture it
  NodeMap map;
  int layer = 0;
  auto blocks = [&](const Floorplan& f, const std::string& prefix, int l) {
    for (const auto& b : f.blocks)
      map[prefix + b.name] = {l, {b.x + fr.ox, b.y + fr.oy, b.w, b.h}, {}, -1};
  };
  for (const auto& d : die_) blocks(d.fp, lcf_path_.empty() ? "" : d.name + "_", layer++);
  const Floorplan& top = die_.back().fp;
  if (lcf_path_.empty()) blocks(top, "iface_", layer++);
  const std::array<double, 4> die{p.dx0 + fr.ox, p.dy0 + fr.oy, p.dw, p.dh};
  const double s = p.full ? p.s_spr : 0;
  const std::array<double, 4> spr =
      p.full ? std::array<double, 4>{(fr.lx - s) / 2, (fr.ly - s) / 2, s, s} : die;
  const std::array<double, 4> box{0, 0, fr.lx, fr.ly};
  auto ring = [&](int first, int l, const std::array<double, 4>& outer,
                  const std::array<double, 4>& inner) {
    for (int side = 0; side < 4; ++side)
      map["inode_" + std::to_string(first + side)] = {l, outer, inner, side};
  };
  const int spreader = p.has_spreader ? layer++ : -1, sink = p.has_sink ? layer++ : -1;
  if (spreader >= 0) blocks(top, "hsp_", spreader);
  if (sink >= 0) blocks(top, "hsink_", sink);
  if (spreader >= 0 && sink >= 0) {
    ring(0, spreader, spr, die);
    ring(4, sink, spr, die);
    ring(8, sink, box, spr);
  }
  res_.initial_field = [map](const std::string& path, const model::Design& d,
                             const model::Grid& grid) { return initial_field(map, path, d, grid); };
}

ImportResult Importer::run() {
  read_inputs();
  read_die_layers();
  warn_per_block_conductivity();
  assign_trace_power();
  place_in_package();
  YAML::Node root = layers_node();
  add_boundaries(root);
  add_lateral_grid(root);
  add_transient(root);
  map_nodes();
  res_.design = root;
  return res_;
}

}  // namespace

ImportResult import_design(const ImportOptions& options) { return Importer(options).run(); }

std::string design_text(const ImportResult& r, const std::string& header) {
  return io::commented_design_text(r.design, header, r.warnings, r.notes);
}

}  // namespace heatop::interop::hotspot
