// `heatop import`: HotSpot or 3D-ICE inputs in, a heatop design file out.

#include "import_command.hpp"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include "io/design_file.hpp"
#include "io/hotspot.hpp"
#include "io/ice3d.hpp"

namespace heatop::app {

namespace {

namespace fs = std::filesystem;

const char* kUsage =
    "usage:\n"
    "  heatop import hotspot -c X.config -f X.flp -p X.ptrace [--lcf X.lcf] [--materials "
    "X.materials]\n"
    "                        [--package full|die] [-<hotspot option> value ...] -o out.yaml\n"
    "  heatop import 3d-ice stack.stk -o out.yaml\n";

std::string take(const std::vector<std::string>& a, std::size_t* i) {
  if (*i + 1 >= a.size())
    throw std::invalid_argument("option " + a[*i] + " needs a value\n" + kUsage);
  return a[++*i];
}

// Writes the design, then loads it back so that an import that heatop cannot solve fails here.
void write_design(const std::string& text, const std::string& out) {
  try {
    io::parse_design(
        text, out,
        fs::path(out).parent_path().string().empty() ? "." : fs::path(out).parent_path().string());
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("the imported design does not load: ") + e.what());
  }
  const fs::path dir = fs::path(out).parent_path();
  if (!dir.empty()) fs::create_directories(dir);
  std::ofstream f(out);
  f << text;
  if (!f) throw std::runtime_error("cannot write " + out);
}

void report(const std::vector<std::string>& warnings, const std::vector<std::string>& notes) {
  for (const auto& w : warnings) std::cerr << "heatop: warning: " << w << "\n";
  for (const auto& n : notes) std::cerr << "heatop: note: " << n << "\n";
}

int import_hotspot(const std::vector<std::string>& a) {
  io::hotspot::ImportOptions o;
  std::string out;
  for (std::size_t i = 1; i < a.size(); ++i) {
    const std::string& s = a[i];
    if (s == "-c")
      o.config = take(a, &i);
    else if (s == "-f")
      o.flp = take(a, &i);
    else if (s == "-p")
      o.ptrace = take(a, &i);
    else if (s == "--lcf" || s == "-grid_layer_file")
      o.lcf = take(a, &i);
    else if (s == "--materials" || s == "-materials_file")
      o.materials = take(a, &i);
    else if (s == "-o" || s == "--output")
      out = take(a, &i);
    else if (s == "--package")
      o.package = take(a, &i);
    else if (s == "--name")
      o.name = take(a, &i);
    else if (s.size() > 1 && s[0] == '-') {
      o.overrides.push_back(s);
      o.overrides.push_back(take(a, &i));
    } else {
      throw std::invalid_argument("unexpected argument '" + s + "'\n" + kUsage);
    }
  }
  if (out.empty())
    throw std::invalid_argument("an output design file is required (-o out.yaml)\n" +
                                std::string(kUsage));
  const auto r = io::hotspot::import_design(o);
  std::string header = "heatop design imported from HotSpot:";
  if (!o.config.empty()) header += " -c " + o.config;
  if (!o.flp.empty()) header += " -f " + o.flp;
  header += " -p " + o.ptrace;
  if (!o.lcf.empty()) header += " --lcf " + o.lcf;
  if (!o.materials.empty()) header += " --materials " + o.materials;
  for (const auto& v : o.overrides) header += " " + v;
  header += "\npackage: " + o.package + " (see docs/interop.md)";
  report(r.warnings, r.notes);
  write_design(io::hotspot::design_text(r, header), out);
  std::cout << "imported " << r.design["layers"].size() << " layers -> " << out << "\n";
  return 0;
}

int import_ice3d(const std::vector<std::string>& a) {
  std::string stk, out;
  for (std::size_t i = 1; i < a.size(); ++i) {
    if (a[i] == "-o" || a[i] == "--output")
      out = take(a, &i);
    else if (!a[i].empty() && a[i][0] != '-' && stk.empty())
      stk = a[i];
    else
      throw std::invalid_argument("unexpected argument '" + a[i] + "'\n" + kUsage);
  }
  if (stk.empty() || out.empty())
    throw std::invalid_argument("a stack file and an output design are required\n" +
                                std::string(kUsage));
  const auto r = io::ice3d::import_design(stk);
  report(r.warnings, r.notes);
  write_design(io::ice3d::design_text(r, "heatop design imported from 3D-ICE stack " + stk), out);
  std::cout << "imported " << r.design["layers"].size() << " layers -> " << out << "\n";
  return 0;
}

}  // namespace

CLI::App* add_import_command(CLI::App& app, ImportArgs& args) {
  CLI::App* c =
      app.add_subcommand("import", "Convert HotSpot or 3D-ICE inputs into a heatop design file\n" +
                                       std::string(kUsage));
  c->prefix_command();
  args.command = c;
  return c;
}

int run_import(const ImportArgs& args) { return run_import(args.command->remaining()); }

int run_import(const std::vector<std::string>& a) {
  if (a.empty()) throw std::invalid_argument(std::string("import: which tool?\n") + kUsage);
  if (a[0] == "hotspot") return import_hotspot(a);
  if (a[0] == "3d-ice" || a[0] == "3dice") return import_ice3d(a);
  throw std::invalid_argument("import: unknown tool '" + a[0] + "'; valid: hotspot, 3d-ice\n" +
                              kUsage);
}

}  // namespace heatop::app
