#include "optimize/problem_file.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "io/design_file.hpp"
#include "io/yaml_util.hpp"

namespace heatop::optimize {

namespace fs = std::filesystem;
using namespace io::yaml;

namespace {

// A whole number that fits an int (checked before the conversion, which is undefined for values
// out of range): tile counts and positions, grid sizes.
int whole(const Ctx& c, const YAML::Node& n, const std::string& where, double d, const char* what) {
  if (d != std::floor(d) || std::abs(d) > 1e9)
    c.fail(n, where, std::string("expected whole numbers of ") + what + " (at most 10^9)");
  return static_cast<int>(d);
}

std::pair<int, int> int_pair(const Ctx& c, const YAML::Node& n, const std::string& where) {
  if (!n || !n.IsSequence() || n.size() != 2) c.fail(n, where, "expected [x, y] in tiles");
  const auto v = number_list(c, n, where);
  return {whole(c, n, where, v[0], "tiles"), whole(c, n, where, v[1], "tiles")};
}

void grid_triple(const Ctx& c, const YAML::Node& n, const std::string& where,
                 FvObjectiveOptions* o) {
  if (!n) return;
  if (n.IsScalar() && n.Scalar() == "design") {  // the design's own grid
    o->nx = o->ny = o->nz = 0;
    return;
  }
  if (!n.IsSequence() || n.size() != 3) c.fail(n, where, "expected [nx, ny, nz] or design");
  const auto v = number_list(c, n, where);
  o->nx = whole(c, n, where, v[0], "cells");
  o->ny = whole(c, n, where, v[1], "cells");
  o->nz = whole(c, n, where, v[2], "cells");
  if (o->nx < 3 || o->ny < 3 || o->nz < 2) c.fail(n, where, "grid too small");
}

}  // namespace

LoadedProblem load_problem(const std::string& path, const std::vector<std::string>& overrides) {
  std::error_code ec;  // non-throwing: a name too long for the file system is not found
  if (!fs::exists(path, ec)) throw std::runtime_error("problem file not found: " + path);
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string dir = fs::path(path).parent_path().string();
  Ctx c{path, dir.empty() ? "." : dir, {}};
  YAML::Node root = load_text(ss.str(), path);
  if (!root.IsMap()) throw std::invalid_argument(path + ": a problem file is a mapping of keys");
  for (const auto& o : overrides) {
    io::apply_override(root, o);
    c.cwd_paths.insert(o.substr(0, o.find('=')));
  }
  check_keys(c, root, "",
             {"name", "design", "power_face", "tiles", "blocks", "keep_out", "objective",
              "optimizer", "verify_grid"});
  LoadedProblem lp;
  lp.path = path;
  PlacementProblem& p = lp.problem;
  p.name = get_str(c, root, "name", "", fs::path(path).stem().string());
  const std::string design = get_str(c, root, "design", "", "");
  if (design.empty()) c.fail(root, "design", "is required: the design file of the chip and stack");
  lp.design_path = resolve(c, "design", design);
  // A design that is missing or wrong is reported as this problem file's `design` key too.
  try {
    p.design = io::load_design(lp.design_path).design;
  } catch (const std::exception& e) {
    c.fail(root["design"], "design", e.what());
  }
  auto check_face = [&](const YAML::Node& n, const std::string& key, const std::string& face) {
    bool ok = face == "top" || face == "bottom";
    for (const auto& l : p.design.layers) ok = ok || l.name == face;
    if (!ok)
      c.fail(n, key, "must be top, bottom or a layer name of the design, got '" + face + "'");
  };
  p.power_face = get_str(c, root, "power_face", "", "top");
  check_face(root["power_face"], "power_face", p.power_face);
  std::tie(p.tiles_x, p.tiles_y) = int_pair(c, root["tiles"], "tiles");
  const std::string obj = get_str(c, root, "objective", "", "peak_temperature");
  if (obj != "peak_temperature")
    c.fail(root["objective"], "objective",
           "unknown objective '" + obj + "'; valid: peak_temperature");

  const YAML::Node blocks = root["blocks"];
  if (!blocks || !blocks.IsSequence() || blocks.size() == 0)
    c.fail(root, "blocks", "expected a list of blocks");
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    const std::string w = "blocks[" + std::to_string(b) + "]";
    const YAML::Node n = blocks[b];
    check_keys(c, n, w,
               {"name", "size_tiles", "power_W", "rotatable", "fixed_at_tile", "power_face"});
    BlockSpec s;
    s.name = get_str(c, n, "name", w, "B" + std::to_string(b + 1));
    s.face = get_str(c, n, "power_face", w, p.power_face);
    check_face(n["power_face"], w + ".power_face", s.face);
    std::tie(s.w, s.h) = int_pair(c, n["size_tiles"], w + ".size_tiles");
    s.power = get_num(c, n, "power_W", w, 0, true);
    s.rotatable = get_bool(c, n, "rotatable", w, true);
    if (n["fixed_at_tile"]) {
      s.fixed = true;
      s.rotatable = false;
      std::tie(s.at_x, s.at_y) = int_pair(c, n["fixed_at_tile"], w + ".fixed_at_tile");
    }
    p.blocks.push_back(s);
  }
  if (const YAML::Node ko = root["keep_out"]) {
    if (!ko.IsSequence()) c.fail(ko, "keep_out", "expected a list of zones");
    for (std::size_t k = 0; k < ko.size(); ++k) {
      const std::string w = "keep_out[" + std::to_string(k) + "]";
      check_keys(c, ko[k], w, {"at_tile", "size_tiles"});
      TileRect r;
      std::tie(r.x, r.y) = int_pair(c, ko[k]["at_tile"], w + ".at_tile");
      std::tie(r.w, r.h) = int_pair(c, ko[k]["size_tiles"], w + ".size_tiles");
      p.keep_out.push_back(r);
    }
  }
  if (const YAML::Node o = root["optimizer"]) {
    check_keys(
        c, o, "optimizer",
        {"method", "evaluations", "population", "seed", "t_start_K", "t_end_K", "eval_grid"});
    const std::string m = get_str(c, o, "method", "optimizer", "annealing");
    if (m != "annealing")
      c.fail(o["method"], "optimizer.method", "unknown method '" + m + "'; valid: annealing");
    lp.annealing.evaluations = get_int(c, o, "evaluations", "optimizer", lp.annealing.evaluations);
    lp.annealing.population = get_int(c, o, "population", "optimizer", lp.annealing.population);
    lp.annealing.seed = static_cast<unsigned long>(get_int(c, o, "seed", "optimizer", 1));
    lp.annealing.t_start_K = get_num(c, o, "t_start_K", "optimizer", lp.annealing.t_start_K);
    lp.annealing.t_end_K = get_num(c, o, "t_end_K", "optimizer", lp.annealing.t_end_K);
    grid_triple(c, o["eval_grid"], "optimizer.eval_grid", &lp.eval);
  }
  grid_triple(c, root["verify_grid"], "verify_grid", &lp.verify);
  try {
    lp.annealing.validate();
    p.validate();
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + ": " + e.what());
  }
  return lp;
}

}  // namespace heatop::optimize
