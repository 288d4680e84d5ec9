#pragma once
// `heatop import hotspot|3d-ice ...`: converts another tool's input files into a heatop design.

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace heatop::app {

struct ImportArgs {
  CLI::App* command = nullptr;  // the registered subcommand (its unparsed arguments are ours)
};

/// Registers the `import` subcommand on `app`. Its arguments are parsed by run_import, because
/// HotSpot's single-dash options (`-grid_rows 128`) must pass through unchanged.
CLI::App* add_import_command(CLI::App& app, ImportArgs& args);

/// Runs `heatop import`; returns the exit code. Throws on bad input (nothing is written then).
int run_import(const ImportArgs& args);

/// The same on an explicit argument list (after `import`), for tests.
int run_import(const std::vector<std::string>& argv);

}  // namespace heatop::app
