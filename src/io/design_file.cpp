#include "io/design_file.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "io/power_files.hpp"
#include "io/yaml_util.hpp"

namespace heatop::io {

namespace fs = std::filesystem;

namespace {

using namespace yaml;

// A power source: power_map (file or {file, scale}), power_blocks, power_W (uniform total).
model::PowerMap parse_power(const Ctx& c, const YAML::Node& n, const std::string& where) {
  model::PowerMap map;
  if (const YAML::Node pm = n["power_map"]) {
    std::string file;
    double scale = 1.0;
    const std::string key = where + ".power_map";
    if (pm.IsScalar()) {
      file = pm.Scalar();
    } else if (pm.IsMap()) {
      check_keys(c, pm, key, {"file", "scale"});
      file = get_str(c, pm, "file", key, "");
      if (file.empty()) c.fail(pm, key + ".file", "is required");
      scale = get_num(c, pm, "scale", key, 1.0);
    } else {
      c.fail(pm, key, "expected a file name or {file, scale}");
    }
    const std::string resolved = resolve(c, key, file);
    try {
      map = read_power_map(resolved);
    } catch (const std::exception& e) {
      c.fail(pm, key, e.what());
    }
    for (auto& w : map.tile_watts) w *= scale;
  }
  if (const YAML::Node pw = n["power_W"]) {
    if (!map.tile_watts.empty())
      c.fail(pw, where + ".power_W", "give either power_map or power_W, not both");
    map.rows = map.cols = 1;
    map.tile_watts = {get_num(c, n, "power_W", where, 0)};
    map.source = where + ".power_W";
  }
  if (const YAML::Node pb = n["power_blocks"]) {
    if (!pb.IsSequence()) c.fail(pb, where + ".power_blocks", "expected a list of blocks");
    for (std::size_t b = 0; b < pb.size(); ++b) {
      const std::string bw = where + ".power_blocks[" + std::to_string(b) + "]";
      const YAML::Node e = pb[b];
      check_keys(c, e, bw, {"name", "x_mm", "y_mm", "w_mm", "h_mm", "power_W"});
      model::PowerBlock blk;
      blk.name = get_str(c, e, "name", bw, "block" + std::to_string(b));
      blk.x = get_num(c, e, "x_mm", bw, 0, true) * 1e-3;
      blk.y = get_num(c, e, "y_mm", bw, 0, true) * 1e-3;
      blk.w = get_num(c, e, "w_mm", bw, 0, true) * 1e-3;
      blk.h = get_num(c, e, "h_mm", bw, 0, true) * 1e-3;
      blk.power = get_num(c, e, "power_W", bw, 0, true);
      map.blocks.push_back(blk);
    }
    if (map.source.empty()) map.source = where + ".power_blocks";
  }
  return map;
}

model::Boundary parse_face(const Ctx& c, const YAML::Node& n, const std::string& where,
                           model::Boundary fallback) {
  if (!n) return fallback;
  check_keys(c, n, where,
             {"type", "h_W_per_m2K", "T_amb_K", "T_K", "power_map", "power_blocks", "power_W"});
  model::Boundary b;
  const std::string type = get_str(c, n, "type", where, "");
  if (type == "adiabatic") {
    b.type = model::BcType::kAdiabatic;
  } else if (type == "convective") {
    b.type = model::BcType::kConvective;
  } else if (type == "fixed") {
    b.type = model::BcType::kFixed;
  } else if (type == "power") {
    b.type = model::BcType::kPower;
  } else {
    c.fail(n, where + ".type",
           type.empty()
               ? "is required (adiabatic, convective, fixed or power)"
               : "unknown type '" + type + "'; valid: adiabatic, convective, fixed, power");
  }
  auto only_for = [&](const char* key, bool allowed, const char* types) {
    if (n[key] && !allowed)
      c.fail(n[key], where + "." + key, std::string("applies only to type ") + types);
  };
  const bool conv = b.type == model::BcType::kConvective;
  const bool pow = b.type == model::BcType::kPower;
  only_for("h_W_per_m2K", conv || pow, "convective or power");
  only_for("T_amb_K", conv || pow, "convective or power");
  only_for("T_K", b.type == model::BcType::kFixed, "fixed");
  only_for("power_map", pow, "power");
  only_for("power_blocks", pow, "power");
  only_for("power_W", pow, "power");
  b.h = get_num(c, n, "h_W_per_m2K", where, 0.0, conv);
  b.t_amb = get_num(c, n, "T_amb_K", where, 298.15);
  b.t_fixed = get_num(c, n, "T_K", where, 0.0, b.type == model::BcType::kFixed);
  if (pow) {
    b.power = parse_power(c, n, where);
    if (b.power.empty()) c.fail(n, where, "a power face needs power_map, power_blocks or power_W");
  }
  return b;
}

}  // namespace

void apply_override(YAML::Node& root, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw std::invalid_argument("--set '" + assignment + "': expected key=value, e.g. grid.nx=41");
  const std::string key = assignment.substr(0, eq);
  const std::string value = assignment.substr(eq + 1);
  std::vector<std::string> parts;
  std::stringstream ss(key);
  for (std::string p; std::getline(ss, p, '.');) {
    if (p.empty()) throw std::invalid_argument("--set '" + assignment + "': empty key segment");
    parts.push_back(p);
  }
  YAML::Node parsed = load_text(value, "--set " + key);
  // Walk with fresh handles: yaml-cpp nodes are references, so reassigning a handle would
  // overwrite the tree.
  std::vector<YAML::Node> chain{root};
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node cur = chain.back();
    const std::string& p = parts[i];
    const bool index = !p.empty() && p.find_first_not_of("0123456789") == std::string::npos;
    if (index) {
      if (!cur.IsSequence() || std::stoul(p) >= cur.size())
        throw std::invalid_argument("--set " + key + ": '" + p +
                                    "' is not an index of a list "
                                    "in this design");
      chain.push_back(cur[std::stoi(p)]);
    } else {
      if (cur.IsSequence())
        throw std::invalid_argument("--set " + key + ": '" + p + "' must be a list index");
      chain.push_back(cur[p]);
    }
  }
  YAML::Node parent = chain.back();
  const std::string& last = parts.back();
  if (!last.empty() && last.find_first_not_of("0123456789") == std::string::npos &&
      parent.IsSequence()) {
    if (std::stoul(last) >= parent.size())
      throw std::invalid_argument("--set " + key + ": index out of range");
    parent[std::stoi(last)] = parsed;
  } else if (parsed.IsNull()) {
    parent.remove(last);  // --set key=null removes a key (back to its default)
  } else {
    parent[last] = parsed;
  }
}

std::string commented_design_text(const YAML::Node& design, const std::string& header,
                                  const std::vector<std::string>& warnings,
                                  const std::vector<std::string>& notes) {
  YAML::Emitter out;
  out << design;
  std::string s;
  std::istringstream h(header);
  for (std::string l; std::getline(h, l);) s += "# " + l + "\n";
  for (const auto& w : warnings) s += "# warning: " + w + "\n";
  for (const auto& n : notes) s += "# note: " + n + "\n";
  return s + out.c_str() + "\n";
}

std::string to_yaml(const YAML::Node& node) {
  YAML::Emitter out;
  out << node;
  return std::string(out.c_str()) + "\n";
}

LoadedDesign parse_design(const std::string& yaml_text, const std::string& name,
                          const std::string& base_dir, const std::vector<std::string>& overrides) {
  Ctx c{name, base_dir, {}};
  YAML::Node root = load_text(yaml_text, name);
  if (!root || root.IsNull()) throw std::invalid_argument(name + ": the design file is empty");
  if (!root.IsMap()) throw std::invalid_argument(name + ": a design file is a mapping of keys");
  for (const auto& o : overrides) {
    apply_override(root, o);
    c.cwd_paths.insert(o.substr(0, o.find('=')));
  }
  check_keys(c, root, "",
             {"heatop", "name", "die", "layers", "top", "bottom", "sides", "west", "east", "south",
              "north", "grid", "solver", "transient"});
  LoadedDesign out;
  out.path = name;
  model::Design& d = out.design;
  d.name = get_str(c, root, "name", "", fs::path(name).stem().string());

  const YAML::Node die = root["die"];
  if (!die) c.fail(root, "die", "is required (die.size_mm: [width, length])");
  check_keys(c, die, "die", {"size_mm"});
  const YAML::Node size = die["size_mm"];
  if (!size || !size.IsSequence() || size.size() != 2)
    c.fail(die, "die.size_mm", "expected [width_mm, length_mm]");
  {
    YAML::Node wrap;
    wrap["w"] = size[0];
    wrap["l"] = size[1];
    d.lx = get_num(c, wrap, "w", "die.size_mm", 0) * 1e-3;
    d.ly = get_num(c, wrap, "l", "die.size_mm", 0) * 1e-3;
  }

  const YAML::Node layers = root["layers"];
  if (!layers || !layers.IsSequence() || layers.size() == 0)
    c.fail(root, "layers", "expected a list of layers, bottom first");
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const std::string lw = "layers[" + std::to_string(l) + "]";
    const YAML::Node n = layers[l];
    check_keys(c, n, lw,
               {"name", "thickness_mm", "k_W_per_mK", "kxy_W_per_mK", "kz_W_per_mK", "c_J_per_m3K",
                "cells", "footprint_mm", "power_map", "power_blocks", "power_W"});
    model::Layer layer;
    layer.name = get_str(c, n, "name", lw, "layer" + std::to_string(l));
    layer.thickness = get_num(c, n, "thickness_mm", lw, 0, true) * 1e-3;
    if (n["k_W_per_mK"]) {
      if (n["kxy_W_per_mK"] || n["kz_W_per_mK"])
        c.fail(n, lw, "give k_W_per_mK (isotropic) or kxy_W_per_mK and kz_W_per_mK, not both");
      layer.k_xy = layer.k_z = get_num(c, n, "k_W_per_mK", lw, 0);
    } else if (n["kxy_W_per_mK"] || n["kz_W_per_mK"]) {
      layer.k_xy = get_num(c, n, "kxy_W_per_mK", lw, 0, true);
      layer.k_z = get_num(c, n, "kz_W_per_mK", lw, 0, true);
    } else {
      c.fail(n, lw, "needs a conductivity: k_W_per_mK, or kxy_W_per_mK and kz_W_per_mK");
    }
    if (n["c_J_per_m3K"]) {
      layer.heat_capacity = get_num(c, n, "c_J_per_m3K", lw, 0);
      if (!(std::isfinite(layer.heat_capacity) && layer.heat_capacity > 0))
        c.fail(n["c_J_per_m3K"], lw + ".c_J_per_m3K",
               "volumetric heat capacity of layer '" + layer.name +
                   "' must be positive and finite (J/(m^3 K)), got " + n["c_J_per_m3K"].Scalar());
    }
    layer.cells = get_int(c, n, "cells", lw, 0);
    if (n["cells"] && layer.cells < 1) c.fail(n["cells"], lw + ".cells", "must be >= 1");
    if (const YAML::Node fp = n["footprint_mm"]) {
      if (!fp.IsSequence() || fp.size() != 4)
        c.fail(fp, lw + ".footprint_mm", "expected [x0_mm, y0_mm, width_mm, length_mm]");
      const auto v = number_list(c, fp, lw + ".footprint_mm");
      layer.footprint = {v[0] * 1e-3, v[1] * 1e-3, v[2] * 1e-3, v[3] * 1e-3};
      if (!(layer.footprint[2] > 0 && layer.footprint[3] > 0))
        c.fail(fp, lw + ".footprint_mm", "width and length must be positive");
    }
    layer.power = parse_power(c, n, lw);
    d.layers.push_back(layer);
  }

  model::Boundary adiabatic;
  const model::Boundary sides = parse_face(c, root["sides"], "sides", adiabatic);
  for (int f = 0; f < model::kNumFaces; ++f) {
    const std::string fname = model::face_name(f);
    const bool side = f < 4;
    d.faces[f] = parse_face(c, root[fname], fname, side ? sides : adiabatic);
  }

  if (const YAML::Node g = root["grid"]) {
    check_keys(c, g, "grid", {"nx", "ny", "nz", "x_nodes_mm", "y_nodes_mm", "z_nodes_mm"});
    d.grid.nx = get_int(c, g, "nx", "grid", d.grid.nx);
    d.grid.ny = get_int(c, g, "ny", "grid", d.grid.ny);
    d.grid.nz = get_int(c, g, "nz", "grid", 0);
    for (const char* axis : {"x", "y", "z"}) {
      const std::string key = std::string(axis) + "_nodes_mm";
      const YAML::Node zn = g[key];
      if (!zn) continue;
      if (!zn.IsSequence()) c.fail(zn, "grid." + key, "expected a list of coordinates in mm");
      auto& dst =
          axis[0] == 'x' ? d.grid.x_nodes : (axis[0] == 'y' ? d.grid.y_nodes : d.grid.z_nodes);
      for (double v : number_list(c, zn, "grid." + key)) dst.push_back(v * 1e-3);
      if (axis[0] == 'x') d.grid.nx = static_cast<int>(dst.size());
      if (axis[0] == 'y') d.grid.ny = static_cast<int>(dst.size());
    }
  }

  if (const YAML::Node s = root["solver"]) {
    check_keys(c, s, "solver",
               {"backend", "method", "preconditioner", "tol", "max_iterations", "restart",
                "smoothing_sweeps", "petsc_options"});
    out.solver.backend =
        get_name(c, s, "backend", "solver", solve::kBackendNames, out.solver.backend);
    if (const YAML::Node po = s["petsc_options"]) {
      // One string ("-ksp_monitor -pc_type hypre") or a list of them.
      std::vector<std::string> parts;
      if (po.IsScalar()) {
        parts.push_back(po.as<std::string>());
      } else if (po.IsSequence()) {
        for (const auto& e : po) {
          if (!e.IsScalar()) c.fail(e, "solver.petsc_options", "expected option strings");
          parts.push_back(e.as<std::string>());
        }
      } else {
        c.fail(po, "solver.petsc_options", "expected a string or a list of strings");
      }
      std::string text;
      for (const auto& p : parts) text += (text.empty() ? "" : " ") + p;
      out.solver.petsc_options = text;
    }
    out.solver.method = get_name(c, s, "method", "solver", solve::kMethodNames, out.solver.method);
    out.solver.preconditioner = get_name(c, s, "preconditioner", "solver",
                                         solve::kPreconditionerNames, out.solver.preconditioner);
    out.solver.options.rel_tol = get_num(c, s, "tol", "solver", 1e-8);
    out.solver.options.max_iterations = get_int(c, s, "max_iterations", "solver", 500);
    out.solver.options.restart = get_int(c, s, "restart", "solver", 30);
    const int sweeps = get_int(c, s, "smoothing_sweeps", "solver", 1);
    out.solver.multigrid.pre_smooth = out.solver.multigrid.post_smooth = sweeps;
  }
  if (const YAML::Node t = root["transient"]) {
    check_keys(c, t, "transient", {"ptrace_interval_s", "initial_K"});
    out.transient.ptrace_interval_s = get_num(c, t, "ptrace_interval_s", "transient", 0.0);
    out.transient.initial_K = get_num(c, t, "initial_K", "transient", 0.0);
    if (t["ptrace_interval_s"] && !(out.transient.ptrace_interval_s > 0))
      throw std::invalid_argument(name + ": transient.ptrace_interval_s must be > 0 s");
    if (t["initial_K"] && !(out.transient.initial_K > 0))
      throw std::invalid_argument(name + ": transient.initial_K must be > 0 K");
  }
  try {
    out.solver.validate();
    d.validate();
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(name + ": " + e.what());
  }
  out.effective = root;
  return out;
}

LoadedDesign load_design(const std::string& path, const std::vector<std::string>& overrides) {
  std::error_code ec;  // non-throwing: a name too long for the file system is not found
  if (!fs::exists(path, ec)) throw std::runtime_error("design file not found: " + path);
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read design file: " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string dir = fs::path(path).parent_path().string();
  return parse_design(ss.str(), path, dir.empty() ? "." : dir, overrides);
}

}  // namespace heatop::io
