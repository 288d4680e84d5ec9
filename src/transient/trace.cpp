#include "transient/trace.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "interop/hotspot.hpp"
#include "interop/ice3d.hpp"
#include "io/power_files.hpp"

namespace heatop::transient {

namespace fs = std::filesystem;

namespace {

std::string trim(const std::string& s) {
  const auto a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  const auto b = s.find_last_not_of(" \t\r");
  return s.substr(a, b - a + 1);
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, ',')) out.push_back(trim(cell));
  if (!line.empty() && line.back() == ',') out.push_back("");
  return out;
}

std::string g(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

// What a column drives: blocks (owner = layer index, or -1 - face) or a whole layer/face.
struct Target {
  bool scale = false;
  bool map = false;   // a map column (map:NAME)
  int owner = 0;      // layer index >= 0, or -1 - face for top/bottom
  std::string block;  // block name (block columns)
};

model::PowerMap& owner_map(model::Design& d, int owner) {
  return owner >= 0 ? d.layers[owner].power : d.faces[-1 - owner].power;
}
const model::PowerMap& owner_map(const model::Design& d, int owner) {
  return owner >= 0 ? d.layers[owner].power : d.faces[-1 - owner].power;
}

std::vector<Target> resolve(const PowerTrace& tr, const model::Design& d) {
  std::vector<Target> out;
  const std::vector<int> faces{model::kBottom, model::kTop};
  auto owner_name = [&](int o) {
    return o >= 0 ? "layer '" + d.layers[o].name + "'" : std::string(model::face_name(-1 - o));
  };
  std::vector<int> owners;
  for (std::size_t l = 0; l < d.layers.size(); ++l) owners.push_back(static_cast<int>(l));
  for (int f : faces)
    if (d.faces[f].type == model::BcType::kPower) owners.push_back(-1 - f);
  for (const auto& col : tr.columns) {
    Target t;
    if (col.rfind("layer:", 0) == 0 || col.rfind("face:", 0) == 0 || col.rfind("map:", 0) == 0) {
      t.map = col[0] == 'm';
      t.scale = !t.map;
      const std::string name = col.substr(col.find(':') + 1);
      // map:NAME names a layer, or the top or bottom power face.
      const bool layer = col[0] == 'l' || (t.map && name != "top" && name != "bottom");
      bool found = false;
      for (int o : owners)
        if ((layer && o >= 0 && d.layers[o].name == name) ||
            (!layer && o < 0 && name == model::face_name(-1 - o))) {
          t.owner = o;
          found = true;
        }
      if (!found)
        throw std::invalid_argument(tr.source + ": column '" + col + "': the design has no " +
                                    (layer ? "layer '" + name + "'" : "power face '" + name + "'"));
      out.push_back(t);
      continue;
    }
    std::string owner, block = col;
    const auto slash = col.find('/');
    if (slash != std::string::npos) {
      owner = col.substr(0, slash);
      block = col.substr(slash + 1);
    }
    std::vector<int> hits;
    for (int o : owners) {
      const std::string oname = o >= 0 ? d.layers[o].name : model::face_name(-1 - o);
      if (!owner.empty() && oname != owner) continue;
      for (const auto& b : owner_map(d, o).blocks)
        if (b.name == block) {
          hits.push_back(o);
          break;
        }
    }
    if (hits.empty())
      throw std::invalid_argument(tr.source + ": column '" + col +
                                  "' names no power block of the design" +
                                  (owner.empty() ? "" : " in '" + owner + "'") +
                                  " (columns: a block name, LAYER/BLOCK, layer:NAME or face:top)");
    if (hits.size() > 1)
      throw std::invalid_argument(tr.source + ": column '" + col +
                                  "' is ambiguous: blocks of "
                                  "that name are in " +
                                  owner_name(hits[0]) + " and " + owner_name(hits[1]) +
                                  "; write LAYER/" + block);
    t.owner = hits[0];
    t.block = block;
    out.push_back(t);
  }
  // Every named block must be driven.
  for (int o : owners)
    for (const auto& b : owner_map(d, o).blocks) {
      bool driven = false;
      for (const auto& t : out) driven = driven || (t.owner == o && (t.scale || t.block == b.name));
      if (!driven)
        throw std::invalid_argument(
            tr.source + ": no column for power block '" + b.name + "' of " + owner_name(o) +
            " (add a column '" + b.name + "' in W, or a scale column " +
            (o >= 0 ? "'layer:" + d.layers[o].name + "'"
                    : std::string("'face:") + model::face_name(-1 - o) + "'") +
            ")");
    }
  return out;
}

bool is_map_column(const std::string& c) { return c.rfind("map:", 0) == 0; }

// The power map of map column c at sample s, read and checked against its layer or face.
model::PowerMap map_of(const PowerTrace& tr, const Target& t, const model::Design& d, std::size_t s,
                       std::size_t c) {
  const std::string& file = tr.files.at(s).at(c);
  const std::string where = tr.source + ": sample " + std::to_string(s + 1) +
                            " (t_s = " + g(tr.times[s]) + "), column '" + tr.columns[c] + "': ";
  model::PowerMap m;
  try {
    m = io::read_power_map(file);
    if (t.owner >= 0 && d.layers[t.owner].has_footprint())
      m.validate(d.layers[t.owner].footprint[2], d.layers[t.owner].footprint[3]);
    else
      m.validate(d.lx, d.ly);
  } catch (const std::exception& e) {
    throw std::invalid_argument(where + e.what());
  }
  return m;
}

void check_values(const PowerTrace& tr) {
  if (tr.times.empty()) throw std::invalid_argument(tr.source + ": the trace has no samples");
  for (std::size_t s = 0; s < tr.times.size(); ++s) {
    if (!std::isfinite(tr.times[s]))
      throw std::invalid_argument(tr.source + ": sample " + std::to_string(s + 1) +
                                  ": the time is not a finite number");
    if (s > 0 && !(tr.times[s] > tr.times[s - 1]))
      throw std::invalid_argument(tr.source + ": sample " + std::to_string(s + 1) +
                                  ": t_s = " + g(tr.times[s]) + " does not increase (previous " +
                                  g(tr.times[s - 1]) + "); times must be strictly increasing");
    if (tr.values[s].size() != tr.columns.size())
      throw std::invalid_argument(tr.source + ": sample " + std::to_string(s + 1) + " has " +
                                  std::to_string(tr.values[s].size()) + " values for " +
                                  std::to_string(tr.columns.size()) + " columns");
    for (std::size_t c = 0; c < tr.columns.size(); ++c) {
      const double v = tr.values[s][c];
      if (!std::isfinite(v) || v < 0)
        throw std::invalid_argument(tr.source + ": sample " + std::to_string(s + 1) +
                                    " (t_s = " + g(tr.times[s]) + "), column '" + tr.columns[c] +
                                    "': " + g(v) + " is not a finite power >= 0");
    }
  }
}

}  // namespace

PowerTrace read_trace_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read the power trace " + path);
  PowerTrace tr;
  tr.source = path;
  std::string line;
  int ln = 0;
  bool header = false;
  while (std::getline(in, line)) {
    ++ln;
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    const auto cells = split(t);
    const std::string where = path + ":" + std::to_string(ln) + ": ";
    if (!header) {
      if (cells.empty() || cells[0] != "t_s")
        throw std::invalid_argument(where + "the header must start with t_s (time in s), got '" +
                                    (cells.empty() ? "" : cells[0]) + "'");
      if (cells.size() < 2)
        throw std::invalid_argument(where + "the header names no power column after t_s");
      for (std::size_t c = 1; c < cells.size(); ++c) {
        if (cells[c].empty()) throw std::invalid_argument(where + "empty column name");
        for (const auto& o : tr.columns)
          if (o == cells[c])
            throw std::invalid_argument(where + "column '" + cells[c] + "' appears twice");
        tr.columns.push_back(cells[c]);
      }
      header = true;
      continue;
    }
    if (cells.size() != tr.columns.size() + 1)
      throw std::invalid_argument(where + "expected " + std::to_string(tr.columns.size() + 1) +
                                  " values (t_s and one per column), got " +
                                  std::to_string(cells.size()));
    std::vector<double> v(cells.size());
    std::vector<std::string> files;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::string& s = cells[c];
      if (c > 0 && is_map_column(tr.columns[c - 1])) {  // a file name, not a number
        if (s.empty())
          throw std::invalid_argument(where + "column '" + tr.columns[c - 1] +
                                      "' needs a power-map file name");
        if (files.empty()) files.resize(tr.columns.size());
        const fs::path f(s);
        files[c - 1] = f.is_absolute() ? s : (fs::path(path).parent_path() / f).string();
        v[c] = 1.0;
        continue;
      }
      try {
        std::size_t used = 0;
        v[c] = std::stod(s, &used);
        if (used != s.size()) throw std::invalid_argument(s);
      } catch (const std::exception&) {
        if (s == "nan" || s == "NaN" || s == "NAN") {
          v[c] = NAN;
        } else {
          throw std::invalid_argument(where + "'" + s + "' in column '" +
                                      (c == 0 ? std::string("t_s") : tr.columns[c - 1]) +
                                      "' is not a number");
        }
      }
    }
    if (!tr.times.empty() && !(v[0] > tr.times.back()))
      throw std::invalid_argument(where + "t_s = " + g(v[0]) + " does not increase (previous " +
                                  g(tr.times.back()) + "); times must be strictly increasing");
    for (std::size_t c = 1; c < v.size(); ++c)
      if (!std::isfinite(v[c]) || v[c] < 0)
        throw std::invalid_argument(where + "column '" + tr.columns[c - 1] + "': " + cells[c] +
                                    " is not a finite power >= 0");
    tr.times.push_back(v[0]);
    tr.values.emplace_back(v.begin() + 1, v.end());
    if (!files.empty()) {
      tr.files.resize(tr.times.size() - 1);
      tr.files.push_back(std::move(files));
    }
  }
  if (!header) throw std::invalid_argument(path + ": empty trace (expected a header t_s,...)");
  check_values(tr);
  return tr;
}

PowerTrace ice3d_trace(const std::string& stk_path) {
  const interop::ice3d::Stack s = interop::ice3d::read_stack(stk_path);
  PowerTrace tr;
  tr.source = stk_path;
  if (!s.transient || !(s.slot > 0))
    throw std::invalid_argument(stk_path +
                                ": the solver section is not 'transient step dt, "
                                "slot ts ;': give a power trace with --trace");
  std::size_t slots = 0;
  std::vector<std::vector<double>> cols;
  for (const auto& it : s.items) {
    if (it.kind != interop::ice3d::StackItem::kDie) continue;
    const auto fp = interop::ice3d::read_floorplan(it.floorplan_path);
    for (const auto& e : fp.elements) {
      tr.columns.push_back(it.id + "/" + e.name);
      cols.push_back(e.power);
      if (slots != 0 && e.power.size() != slots && e.power.size() != 1)
        throw std::invalid_argument(fp.path + ":" + std::to_string(e.line) + ": element '" +
                                    e.name + "' has " + std::to_string(e.power.size()) +
                                    " power values, others " + std::to_string(slots));
      if (e.power.size() > 1) slots = e.power.size();
    }
  }
  if (slots == 0) slots = 1;
  for (std::size_t k = 0; k < slots; ++k) {
    tr.times.push_back(k * s.slot);
    std::vector<double> row;
    for (const auto& c : cols) row.push_back(c.size() == 1 ? c[0] : c[k]);
    tr.values.push_back(row);
  }
  tr.end = slots * s.slot;
  check_values(tr);
  return tr;
}

PowerTrace read_trace_ptrace(const std::string& path, double interval, const model::Design& d) {
  if (!(interval > 0) || !std::isfinite(interval))
    throw std::invalid_argument(path +
                                ": a .ptrace needs its sampling interval (HotSpot's "
                                "-sampling_intvl): give --sampling-intvl S or "
                                "transient.ptrace_interval_s in the design");
  const interop::hotspot::PowerTrace pt = interop::hotspot::read_ptrace(path);
  PowerTrace tr;
  tr.source = path;
  std::vector<bool> layer_named(d.layers.size(), false);
  for (const auto& name : pt.names) {
    std::vector<std::size_t> hits, powered;
    for (std::size_t l = 0; l < d.layers.size(); ++l) {
      bool has = false, power = false;
      for (const auto& b : d.layers[l].power.blocks)
        if (b.name == name) {
          has = true;
          power = power || b.power > 0;
        }
      if (has) hits.push_back(l);
      if (power) powered.push_back(l);
    }
    if (hits.empty())
      throw std::invalid_argument(path + ":1: block '" + name +
                                  "' of the trace is in no floorplan of the design");
    const std::vector<std::size_t>& pick = hits.size() == 1 ? hits : powered;
    if (pick.size() != 1)
      throw std::invalid_argument(path + ":1: block '" + name + "' is in layers '" +
                                  d.layers[hits[0]].name + "' and '" + d.layers[hits[1]].name +
                                  "'; give a CSV trace with LAYER/BLOCK columns");
    tr.columns.push_back(d.layers[pick[0]].name + "/" + name);
    layer_named[pick[0]] = true;
  }
  std::vector<std::string> keep;
  for (std::size_t l = 0; l < d.layers.size(); ++l)
    if (!layer_named[l] && !d.layers[l].power.blocks.empty()) {
      tr.columns.push_back("layer:" + d.layers[l].name);
      keep.push_back(d.layers[l].name);
    }
  for (std::size_t r = 0; r < pt.rows.size(); ++r) {
    tr.times.push_back(static_cast<double>(r) * interval);
    std::vector<double> row = pt.rows[r];
    row.resize(row.size() + keep.size(), 1.0);
    tr.values.push_back(row);
  }
  tr.end = static_cast<double>(pt.rows.size()) * interval;
  check_values(tr);
  return tr;
}

PowerTrace mean_trace(const PowerTrace& tr, double t0, double t_end) {
  for (const auto& c : tr.columns)
    if (is_map_column(c))
      throw std::invalid_argument(tr.source + ": column '" + c +
                                  "' lists power-map files; the time-averaged power (steady-mean) "
                                  "is not defined for them (use --initial steady, a temperature or "
                                  "a T.npy)");
  PowerTrace m;
  m.source = tr.source + " (time average)";
  m.columns = tr.columns;
  m.times = {t0};
  std::vector<double> sum(tr.columns.size(), 0.0);
  double total = 0;
  for (std::size_t s = 0; s < tr.times.size(); ++s) {
    const double a = std::max(tr.times[s], t0);
    const double b = std::min(s + 1 < tr.times.size() ? tr.times[s + 1] : t_end, t_end);
    if (!(b > a)) continue;
    for (std::size_t c = 0; c < sum.size(); ++c) sum[c] += (b - a) * tr.values[s][c];
    total += b - a;
  }
  for (auto& v : sum) v = total > 0 ? v / total : 0.0;
  m.values = {sum};
  m.end = t_end;
  return m;
}

void validate_trace(const PowerTrace& trace, const model::Design& design) {
  check_values(trace);
  const auto targets = resolve(trace, design);
  for (std::size_t s = 0; s < trace.files.size(); ++s)
    for (std::size_t c = 0; c < targets.size(); ++c)
      if (targets[c].map) map_of(trace, targets[c], design, s, c);
}

model::Design design_at(const model::Design& base, const PowerTrace& tr, std::size_t s) {
  const auto targets = resolve(tr, base);
  model::Design d = base;
  // Map columns first: a scale column of the same layer scales the sample's map.
  for (std::size_t c = 0; c < targets.size(); ++c)
    if (targets[c].map) {
      const model::PowerMap m = map_of(tr, targets[c], base, s, c);
      model::PowerMap& to = owner_map(d, targets[c].owner);
      to.rows = m.rows;
      to.cols = m.cols;
      to.tile_watts = m.tile_watts;
      to.source = m.source;
    }
  for (std::size_t c = 0; c < targets.size(); ++c) {
    const Target& t = targets[c];
    if (t.map) continue;
    const double v = tr.values[s][c];
    model::PowerMap& m = owner_map(d, t.owner);
    if (t.scale) {
      for (auto& w : m.tile_watts) w *= v;
      for (auto& b : m.blocks) b.power *= v;
      continue;
    }
    double area = 0;
    for (const auto& b : owner_map(base, t.owner).blocks)
      if (b.name == t.block) area += b.w * b.h;
    for (auto& b : m.blocks)
      if (b.name == t.block) b.power = area > 0 ? v * b.w * b.h / area : 0.0;
  }
  return d;
}

}  // namespace heatop::transient
