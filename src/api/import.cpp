// Imports into a design file or a results folder.

#include "api/import.hpp"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "api/results.hpp"
#include "io/output_dir.hpp"
#include "plot/plots.hpp"

namespace heatop::api {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// What the imported design is, in the units of the design file.
json design_summary(const model::Design& d) {
  json layers = json::array();
  for (const auto& l : d.layers) {
    json e = {
        {"name", l.name},        {"thickness_mm", l.thickness * 1e3}, {"k_xy_W_per_mK", l.k_xy},
        {"k_z_W_per_mK", l.k_z}, {"c_J_per_m3K", l.heat_capacity},    {"power_W", l.power.total()}};
    if (l.has_footprint())
      e["footprint_mm"] = {l.footprint[0] * 1e3, l.footprint[1] * 1e3, l.footprint[2] * 1e3,
                           l.footprint[3] * 1e3};
    layers.push_back(e);
  }
  json faces = json::object();
  for (int f = 0; f < model::kNumFaces; ++f) {
    const model::Boundary& b = d.faces[f];
    json e = {{"type", model::bc_type_name(b.type)}};
    if (b.type == model::BcType::kConvective || b.type == model::BcType::kPower) {
      e["h_W_per_m2K"] = b.h;
      e["T_amb_K"] = b.t_amb;
    }
    if (b.type == model::BcType::kFixed) e["T_K"] = b.t_fixed;
    if (b.type == model::BcType::kPower) e["power_W"] = b.power.total();
    faces[model::face_name(f)] = e;
  }
  double total = 0;
  for (const auto& l : d.layers) total += l.power.total();
  for (const auto& b : d.faces)
    if (b.type == model::BcType::kPower) total += b.power.total();
  return {{"die_mm", {d.lx * 1e3, d.ly * 1e3}},
          {"thickness_mm", d.lz() * 1e3},
          {"power_W", total},
          {"layers", layers},
          {"faces", faces},
          {"grid", {{"nx", d.grid.nx}, {"ny", d.grid.ny}, {"nz", d.grid.nz}}}};
}

// A floorplan picture of a power map's blocks (tile maps are left to the solve's pictures).
void floorplan_png(io::OutputDir& out, const std::string& name, const model::PowerMap& m, double lx,
                   double ly, const std::string& title) {
  if (m.blocks.empty()) return;
  std::vector<plot::FloorplanRect> rects;
  for (const auto& b : m.blocks) rects.push_back({b.name, b.x, b.y, b.w, b.h, b.power});
  plot::write_floorplan_png(out.file("floorplan_" + name + ".png"), lx, ly, rects, title);
}

}  // namespace

bool names_design_file(const std::string& out) {
  return ends_with(out, ".yaml") || ends_with(out, ".yml");
}

ImportOutcome run_import(const interop::Importer& importer, const std::string& out,
                         const std::string& command_line) {
  if (!names_design_file(out)) return import_to_folder(importer, out, command_line);
  const interop::ImportedFile f = interop::import_to_file(importer, out);
  return {f.path, f.layers, f.warnings, f.notes, json()};
}

ImportOutcome import_to_folder(const interop::Importer& importer, const std::string& dir,
                               const std::string& command_line) {
  if (fs::exists(dir) && !fs::is_directory(dir))
    throw std::invalid_argument("import: '" + dir +
                                "' exists and is not a folder (name a .yaml file to write a "
                                "design file, or a folder for design, summary and report)");
  const interop::ImportResult r = importer.run();
  const std::string text = interop::design_text(importer, r);
  const std::string design_path = (fs::path(dir) / "design.yaml").string();
  io::LoadedDesign loaded;
  try {
    loaded = io::parse_design(text, design_path, dir);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("the imported design does not load: ") + e.what());
  }
  const model::Design& d = loaded.design;

  io::OutputDir out(dir);
  {
    std::ofstream f(out.file("design.yaml"), std::ios::binary);
    f << text;
    if (!(f << std::flush)) throw std::runtime_error("cannot write " + design_path);
  }
  for (const auto& l : d.layers) {
    const bool fp = l.has_footprint();
    floorplan_png(out, l.name, l.power, fp ? l.footprint[2] : d.lx, fp ? l.footprint[3] : d.ly,
                  "layer '" + l.name + "': block power");
  }
  for (int f = 0; f < model::kNumFaces; ++f)
    if (d.faces[f].type == model::BcType::kPower)
      floorplan_png(out, model::face_name(f), d.faces[f].power, d.lx, d.ly,
                    std::string(model::face_name(f)) + " face: block power");

  json s = {
      {"heatop_version", HEATOP_VERSION}, {"source", "import"},     {"tool", importer.tool()},
      {"inputs", importer.describe()},    {"design", d.name},       {"design_file", "design.yaml"},
      {"command_line", command_line},     {"warnings", r.warnings}, {"notes", r.notes}};
  s["imported"] = design_summary(d);
  finish_results(out, s);
  return {design_path, d.layers.size(), r.warnings, r.notes, s};
}

}  // namespace heatop::api
