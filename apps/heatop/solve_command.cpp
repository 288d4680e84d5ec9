// `heatop solve`: load a design, solve it, write the results folder (library: api/solve.hpp).

#include "solve_command.hpp"

#include <cstdio>
#include <optional>

#include "api/solve.hpp"
#include "api/transient.hpp"
#include "interop/importer.hpp"

namespace heatop::app {

int run_solve(const SolveArgs& args, const std::string& command_line) {
  // Check the output folder before any work, so an unwritable folder fails fast. In an MPI run
  // (solver.backend: petsc) rank 0 gathers the field and writes; the other ranks only solve.
  const bool root = args.rank == 0;
  std::optional<io::OutputDir> out;
  if (root) out.emplace(args.output);
  // Design files, or a 3D-ICE stack or HotSpot model imported on the fly (docs/interop.md).
  std::vector<std::string> warnings;
  const interop::DesignSource src{args.design,      args.hotspot_flp,       args.hotspot_ptrace,
                                  args.hotspot_lcf, args.hotspot_materials, args.overrides};
  const io::LoadedDesign loaded = interop::load_any_design(src, &warnings);
  // A 3D-ICE stack whose solver section asks for a transient run, or a HotSpot model with a
  // power trace of several rows, gets a transient run (the temperature over the trace,
  // docs/transient.md), not a steady state of some power values.
  const bool transient = api::source_asks_for_transient(src);
  if (root)
    for (const auto& w : warnings)
      if (!transient || w.find("asks for a transient run") == std::string::npos)
        std::fprintf(stderr, "heatop: warning: %s\n", w.c_str());
  if (args.ranks > 1 && loaded.solver.backend != solve::Backend::petsc)
    throw std::invalid_argument("started on " + std::to_string(args.ranks) +
                                " MPI ranks, but solver.backend is native (one process); set "
                                "solver.backend: petsc (or --set solver.backend=petsc) to solve "
                                "on several ranks");
  api::RunInfo info{
      args.design,        args.overrides,
      command_line,       {},
      args.export_format, heatop::parse(api::kFieldFilesNames, args.fields, "--fields")};
  if (!args.probe_file.empty()) info.probes = io::read_probes_csv(args.probe_file);
  if (transient) {
    if (!root) return 0;  // the transient analysis runs on one process
    if (!args.export_format.empty())
      throw std::invalid_argument(
          "--export with a transient source: use `heatop transient " + args.design +
          " --export FORMAT` (a stack's own output section is written by `heatop solve`)");
    api::TransientRequest req;
    req.source_path = args.design;
    req.hotspot_ptrace = args.hotspot_ptrace;
    req.threads = args.threads;
    const auto [t0, t_end] = api::check_transient(loaded, req);
    if (args.hotspot_ptrace.empty())
      std::fprintf(stderr,
                   "heatop: note: %s asks for a transient run: running the transient analysis "
                   "(adaptive BDF2, --tol %g K; `heatop transient` for other settings)\n",
                   args.design.c_str(), req.stepper.tol);
    else
      std::fprintf(stderr,
                   "heatop: note: %s has several rows: running the transient analysis over "
                   "them, %g s to %g s (adaptive BDF2, --tol %g K; `heatop transient` for other "
                   "settings). The steady state of the mean power (HotSpot's -steady_file) is "
                   "`heatop solve` of the imported design (`heatop import hotspot ... -o "
                   "X.yaml`)\n",
                   args.hotspot_ptrace.c_str(), t0, t_end, req.stepper.tol);
    const api::TransientResult r = api::run_transient(loaded, req, *out, info);
    std::printf("%s\n", r.line.c_str());
    return 0;
  }

  // On several ranks every rank keeps its part of the field and the ranks write the results
  // together (T.npy with MPI-IO, planes and probes through rank 0), so no process holds the
  // whole field; the HotSpot / 3D-ICE exports need it gathered on rank 0.
  const bool gather = args.ranks <= 1 || !args.export_format.empty();
  const api::SolveResult r =
      api::solve_design(loaded, {args.threads, {}, args.petsc_options, gather});
  if (!r.root && !r.parts) return r.converged() ? 0 : 3;
  if (r.root)
    for (const auto& w : r.warnings) std::fprintf(stderr, "heatop: warning: %s\n", w.c_str());
  api::write_solve_results(out ? &*out : nullptr, r, loaded, info);
  if (!r.root) return r.converged() ? 0 : 3;
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
