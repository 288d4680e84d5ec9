#pragma once
#include <string>

namespace CLI {
class App;
}

namespace heatop::app {

struct ReportArgs {
  std::string folder;
  CLI::App* command = nullptr;
};

/// Declares `heatop report DIR`.
void add_report_command(CLI::App& app, ReportArgs& args);

/// Runs `heatop report`: regenerates DIR/report.html from DIR's files (report/report.hpp).
int run_report(const ReportArgs& args);

}  // namespace heatop::app
