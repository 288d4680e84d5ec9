// `heatop solve`: load a design, solve it, write the results folder.

#include "solve_command.hpp"

#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "field/field.hpp"
#include "fv/system.hpp"
#include "interop/export_formats.hpp"
#include "interop/importer.hpp"
#include "io/design_file.hpp"
#include "io/npy.hpp"
#include "io/output_dir.hpp"
#include "io/probes.hpp"
#include "io/vtk.hpp"
#include "model/grid.hpp"
#include "plot/png_plot.hpp"
#include "results.hpp"
#include "solve/solver.hpp"

namespace heatop::app {

namespace {

using nlohmann::json;

}  // namespace

int run_solve(const SolveArgs& args, const std::string& command_line) {
  // Check the output folder before any work, so an unwritable folder fails fast.
  io::OutputDir out(args.output);
  // Design files, or a 3D-ICE stack or HotSpot model imported on the fly (docs/interop.md).
  std::vector<std::string> import_warnings;
  interop::DesignSource src{args.design,      args.hotspot_flp,       args.hotspot_ptrace,
                            args.hotspot_lcf, args.hotspot_materials, args.overrides};
  io::LoadedDesign loaded = interop::load_any_design(src, &import_warnings);
  for (const auto& w : import_warnings) std::fprintf(stderr, "heatop: warning: %s\n", w.c_str());
  const model::Design& d = loaded.design;
  if (args.threads > 0) omp_set_num_threads(args.threads);

  // Refuse grids that do not fit before allocating anything of size N.
  const std::size_t nodes =
      static_cast<std::size_t>(d.grid.nx) * d.grid.ny * std::max<std::size_t>(d.grid.nz, 2);
  check_memory(nodes);
  model::Grid grid = model::build_grid(d);
  check_memory(grid.size());

  std::vector<io::Probe> probes;
  if (!args.probe_file.empty()) probes = io::read_probes_csv(args.probe_file);

  fv::System sys = fv::discretize(d, grid);
  std::vector<double> t(grid.size());
  // Initial guess: the ambient temperature of the first convective or fixed face.
  double t0 = 298.15;
  for (const auto& f : d.faces) {
    if (f.type == model::BcType::kFixed) {
      t0 = f.t_fixed;
      break;
    }
    if (f.h > 0) {
      t0 = f.t_amb;
      break;
    }
  }
  std::fill(t.begin(), t.end(), t0);
  const solve::SolveReport rep =
      solve::solve_system(*sys.op, sys.rhs.data(), t.data(), loaded.solver);
  if (!solve::all_finite(t.size(), t.data()) || rep.reason == "nan")
    throw std::runtime_error("the solver produced NaN or Inf (" + rep.summary() +
                             "); check the design's values");

  const auto bal = fv::energy_balance(sys, t);
  // Nodes in void regions (outside every layer footprint around them) carry no temperature.
  std::size_t void_nodes = 0;
  if (sys.op->has_footprints())
    for (int i = 0; i < grid.nx(); ++i)
      for (int j = 0; j < grid.ny(); ++j)
        for (int k = 0; k < grid.nz(); ++k)
          if (!sys.op->node_active(i, j, k)) {
            t[grid.index(i, j, k)] = NAN;
            ++void_nodes;
          }
  field::Field3D field{grid.x, grid.y, grid.z, std::move(t), "T", "K"};

  json s;
  s["heatop_version"] = HEATOP_VERSION;
  s["source"] = "fv";
  s["design"] = d.name;
  add_energy_balance(bal, s);
  s["solver"] = {{"method", rep.method},
                 {"preconditioner", rep.preconditioner},
                 {"iterations", rep.iterations},
                 {"rel_residual", rep.rel_residual},
                 {"converged", rep.converged},
                 {"reason", rep.reason},
                 {"seconds", rep.seconds},
                 {"tol", loaded.solver.options.rel_tol},
                 {"threads", omp_get_max_threads()},
                 {"history", rep.history}};
  ResultContext ctx{&loaded, args.design, args.overrides, command_line, probes, void_nodes};
  const FieldStats st = write_field_results(out, ctx, grid, field, s);
  if (!args.export_format.empty())  // HotSpot / 3D-ICE layouts (io/export_formats.hpp)
    interop::write_exports(args.export_format, d, grid, field.values,
                           [&](const std::string& name) { return out.file(name); });
  finish_results(out, s);

  std::printf(
      "%s: T_max %.3f K at (%.3f, %.3f, %.3f) mm | %s, %d it, rel.res %.1e, %.3f s | "
      "balance %.1e | -> %s\n",
      d.name.c_str(), st.t_max, st.hotspot_m[0] * 1e3, st.hotspot_m[1] * 1e3, st.hotspot_m[2] * 1e3,
      (rep.method + "+" + rep.preconditioner).c_str(), rep.iterations, rep.rel_residual,
      rep.seconds, bal.rel_mismatch, args.output.c_str());
  if (!rep.converged) {
    std::fprintf(stderr,
                 "heatop: warning: the solver did not converge (%s); results written but "
                 "not trustworthy\n",
                 rep.summary().c_str());
    return 3;
  }
  return 0;
}

}  // namespace heatop::app
