// `heatop report DIR`: regenerate report.html from a results folder (library: report/report.hpp).

#include "report_command.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>

#include "report/report.hpp"

namespace heatop::app {

void add_report_command(CLI::App& app, ReportArgs& args) {
  CLI::App* r = app.add_subcommand(
      "report",
      "Write report.html again from a results folder (solve, predict, transient, optimize)");
  r->add_option("folder", args.folder, "results folder (holds summary.json)")->required();
  args.command = r;
}

int run_report(const ReportArgs& args) {
  std::printf("%s\n", report::regenerate_report(args.folder).c_str());
  return 0;
}

}  // namespace heatop::app
