// heatop command line: parses arguments and hands over to the libraries. Every error becomes
// one line on stderr and a non-zero exit code.

#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <yaml-cpp/yaml.h>

#include "solve_command.hpp"

int main(int argc, char** argv) {
  CLI::App app{"heatop: fast, trustworthy thermal simulation of 3D integrated circuits"};
  app.set_version_flag("--version", std::string("heatop ") + HEATOP_VERSION);
  app.require_subcommand(1);

  heatop::app::SolveArgs solve;
  CLI::App* s = app.add_subcommand("solve", "Solve a design file with the finite-volume solver");
  s->add_option("design", solve.design, "design file (YAML, see docs/design-file.md)")->required();
  s->add_option("-o,--output", solve.output, "output folder")->required();
  s->add_option("--set", solve.overrides, "override a design key, e.g. --set grid.nx=41 (repeatable)");
  s->add_option("--probe", solve.probe_file, "CSV of points x_mm,y_mm,z_mm; writes probes.csv");
  s->add_option("--threads", solve.threads, "OpenMP threads (default: all cores)")->check(CLI::NonNegativeNumber);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  std::string cmd;
  for (int i = 0; i < argc; ++i) cmd += (i ? " " : "") + std::string(argv[i]);
  try {
    if (*s) return heatop::app::run_solve(solve, cmd);
  } catch (const std::exception& e) {
    std::cerr << "heatop: error: " << e.what() << "\n";
    return 2;
  }
  return 1;
}
