#pragma once
#include <string>
#include <vector>

namespace heatop::app {

struct SolveArgs {
  std::string design;
  std::string output;
  std::vector<std::string> overrides;  // --set key=value
  std::string probe_file;
  int threads = 0;             // 0 = OpenMP default
  std::string export_format;   // --export hotspot|3d-ice (io/export_formats.hpp)
  std::string fields = "all";  // --fields all|npy|none (api::kFieldFilesNames)
  // A HotSpot model given directly: design is its .config, plus these files (docs/interop.md).
  std::string hotspot_flp, hotspot_ptrace, hotspot_lcf, hotspot_materials;
  std::string petsc_options;  // -ksp_*/-pc_*/-log_view ... from the command line
  int rank = 0;               // this process's MPI rank (PETSc backend); only rank 0 writes
  int ranks = 1;              // MPI ranks of the run
};

/// Runs `heatop solve`; returns the exit code (0, or 3 when the solver did not converge).
/// Throws on bad input; nothing is written then.
int run_solve(const SolveArgs& args, const std::string& command_line);

}  // namespace heatop::app
