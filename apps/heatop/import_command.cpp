// `heatop import`: HotSpot or 3D-ICE inputs in, a heatop design file out.

#include "import_command.hpp"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include "api/import.hpp"
#include "interop/hotspot.hpp"
#include "interop/importer.hpp"

namespace heatop::app {

namespace {

const char* kUsage =
    "usage:\n"
    "  heatop import hotspot -c X.config -f X.flp -p X.ptrace [--lcf X.lcf] [--materials "
    "X.materials]\n"
    "                        [--package full|die] [-<hotspot option> value ...] -o OUT\n"
    "  heatop import 3d-ice stack.stk -o OUT\n"
    "OUT ending in .yaml or .yml: the design file alone; any other OUT: a results folder with\n"
    "design.yaml, summary.json, floorplan pictures and report.html.\n";

std::string take(const std::vector<std::string>& a, std::size_t* i) {
  if (*i + 1 >= a.size())
    throw std::invalid_argument("option " + a[*i] + " needs a value\n" + kUsage);
  return a[++*i];
}

// Runs the import (api::run_import) and prints what it wrote.
int import_and_print(const interop::Importer& importer, const std::string& out,
                     const std::vector<std::string>& a) {
  std::string command_line = "heatop import";
  for (const auto& s : a) command_line += " " + s;
  const api::ImportOutcome r = api::run_import(importer, out, command_line);
  for (const auto& w : r.warnings) std::cerr << "heatop: warning: " << w << "\n";
  for (const auto& n : r.notes) std::cerr << "heatop: note: " << n << "\n";
  std::cout << "imported " << r.layers << " layers -> " << r.path << "\n";
  if (!r.summary.is_null()) std::cout << "report: " << out << "/report.html\n";
  return 0;
}

int import_hotspot(const std::vector<std::string>& a) {
  interop::hotspot::ImportOptions o;
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
    throw std::invalid_argument("an output is required (-o out.yaml or -o folder)\n" +
                                std::string(kUsage));
  return import_and_print(*interop::hotspot_importer(o), out, a);
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
    throw std::invalid_argument(
        "a stack file and an output (-o out.yaml or -o folder) are "
        "required\n" +
        std::string(kUsage));
  return import_and_print(*interop::ice3d_importer(stk), out, a);
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
