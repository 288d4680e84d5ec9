// `heatop solve`: load a design, solve it, write the results folder (library: api/solve.hpp).

#include "solve_command.hpp"

#include <cstdio>

#include "api/solve.hpp"
#include "interop/importer.hpp"

namespace heatop::app {

int run_solve(const SolveArgs& args, const std::string& command_line) {
  // Check the output folder before any work, so an unwritable folder fails fast.
  io::OutputDir out(args.output);
  // Design files, or a 3D-ICE stack or HotSpot model imported on the fly (docs/interop.md).
  std::vector<std::string> warnings;
  const interop::DesignSource src{args.design,      args.hotspot_flp,       args.hotspot_ptrace,
                                  args.hotspot_lcf, args.hotspot_materials, args.overrides};
  const io::LoadedDesign loaded = interop::load_any_design(src, &warnings);
  for (const auto& w : warnings) std::fprintf(stderr, "heatop: warning: %s\n", w.c_str());
  api::RunInfo info{args.design, args.overrides, command_line, {}, args.export_format};
  if (!args.probe_file.empty()) info.probes = io::read_probes_csv(args.probe_file);

  const api::SolveResult r = api::solve_design(loaded, {args.threads, {}});
  api::write_solve_results(out, r, loaded, info);
  std::printf("%s\n", api::solve_line(r, loaded.design.name, args.output).c_str());
  if (!r.converged()) {
    std::fprintf(stderr,
                 "heatop: warning: the solver did not converge (%s); results written but "
                 "not trustworthy\n",
                 r.report.summary().c_str());
    return 3;
  }
  return 0;
}

}  // namespace heatop::app
