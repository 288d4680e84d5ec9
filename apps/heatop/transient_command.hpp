#pragma once
// `heatop transient`: a power trace in, temperature over time out (library: api/transient.hpp).

#include <memory>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace heatop::app {

struct TransientArgs {
  std::string design, trace, output, method = "bdf2", save_at, probe_file, initial;
  std::string hotspot_flp, hotspot_ptrace, hotspot_lcf, hotspot_materials;
  double sampling_intvl = 0;
  std::vector<std::string> overrides, exports;
  double until = 0, tol = 0.01, dt = 0, save_every = 0, output_every = 0;
  bool progress = false, no_progress = false;
  bool tol_given = false;
  int threads = 0;
  CLI::App* command = nullptr;
};

/// Declares the subcommand on `app`; the returned arguments must outlive parsing.
std::unique_ptr<TransientArgs> add_transient_command(CLI::App& app);

/// Runs it; returns the exit code. Throws on bad input; nothing is written then.
int run_transient(const TransientArgs& args, const std::string& command_line);

}  // namespace heatop::app
