#include "interop/importer.hpp"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "interop/hotspot.hpp"
#include "interop/ice3d.hpp"
#include "io/output_dir.hpp"
#include "io/text_util.hpp"

namespace heatop::interop {

namespace {

namespace fs = std::filesystem;

std::string folder_of(const std::string& path) {
  const std::string dir = fs::path(path).parent_path().string();
  return dir.empty() ? "." : dir;
}

class HotSpotImporter : public Importer {
 public:
  explicit HotSpotImporter(hotspot::ImportOptions o) : o_(std::move(o)) {}
  std::string tool() const override { return "HotSpot"; }
  std::string describe() const override {
    std::string h;
    if (!o_.config.empty()) h += " -c " + o_.config;
    if (!o_.flp.empty()) h += " -f " + o_.flp;
    h += " -p " + o_.ptrace;
    if (!o_.lcf.empty()) h += " --lcf " + o_.lcf;
    if (!o_.materials.empty()) h += " --materials " + o_.materials;
    for (const auto& v : o_.overrides) h += " " + v;
    return h.substr(1) + "\npackage: " + o_.package + " (see docs/interop.md)";
  }
  ImportResult run() const override { return hotspot::import_design(o_); }

 private:
  hotspot::ImportOptions o_;
};

class Ice3dImporter : public Importer {
 public:
  explicit Ice3dImporter(std::string stk) : stk_(std::move(stk)) {}
  std::string tool() const override { return "3D-ICE"; }
  std::string describe() const override { return "stack " + stk_; }
  ImportResult run() const override { return ice3d::import_design(stk_); }

 private:
  std::string stk_;
};

}  // namespace

std::unique_ptr<Importer> hotspot_importer(hotspot::ImportOptions options) {
  return std::make_unique<HotSpotImporter>(std::move(options));
}

std::unique_ptr<Importer> ice3d_importer(const std::string& stk) {
  return std::make_unique<Ice3dImporter>(stk);
}

std::unique_ptr<Importer> importer_for(const DesignSource& s) {
  const bool hotspot_files = !s.hotspot_flp.empty() || !s.hotspot_ptrace.empty() ||
                             !s.hotspot_lcf.empty() || !s.hotspot_materials.empty();
  const std::string ext = io::text::lower(fs::path(s.path).extension().string());
  if (ext != ".config") {
    if (hotspot_files)
      throw std::invalid_argument(
          "--flp, --ptrace, --lcf and --materials go with a HotSpot .config as the design, got '" +
          s.path + "'");
    if (ext == ".stk") return ice3d_importer(s.path);
    return nullptr;
  }
  if (s.hotspot_ptrace.empty() || (s.hotspot_flp.empty() && s.hotspot_lcf.empty()))
    throw std::invalid_argument("a HotSpot model needs --ptrace and --flp (or --lcf) next to '" +
                                s.path + "'");
  hotspot::ImportOptions o;
  o.config = s.path;
  o.flp = s.hotspot_flp;
  o.ptrace = s.hotspot_ptrace;
  o.lcf = s.hotspot_lcf;
  o.materials = s.hotspot_materials;
  return hotspot_importer(std::move(o));
}

std::string design_text(const Importer& imp, const ImportResult& r) {
  return io::commented_design_text(
      r.design, "heatop design imported from " + imp.tool() + ": " + imp.describe(), r.warnings,
      r.notes);
}

io::LoadedDesign load_any_design(const DesignSource& s, std::vector<std::string>* warnings) {
  const std::unique_ptr<Importer> imp = importer_for(s);
  if (!imp) return io::load_design(s.path, s.overrides);
  const ImportResult r = imp->run();
  if (warnings) warnings->insert(warnings->end(), r.warnings.begin(), r.warnings.end());
  io::LoadedDesign d =
      io::parse_design(design_text(*imp, r), s.path, folder_of(s.path), s.overrides);
  d.transient.initial_file = r.initial_file;
  d.transient.read_initial_file = r.initial_field;
  return d;
}

ImportedFile import_to_file(const Importer& imp, const std::string& out) {
  const ImportResult r = imp.run();
  const std::string text = design_text(imp, r);
  try {
    io::parse_design(text, out, folder_of(out));
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("the imported design does not load: ") + e.what());
  }
  const fs::path dir = fs::path(out).parent_path();
  if (!dir.empty()) fs::create_directories(dir);
  io::write_file_atomically(out, text);
  return {out, r.design["layers"].size(), r.warnings, r.notes};
}

}  // namespace heatop::interop
