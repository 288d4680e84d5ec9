#include "api/solve.hpp"

#include <omp.h>

#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "interop/export_formats.hpp"
#include "solve/solver.hpp"

namespace heatop::api {

using nlohmann::json;

SolveResult solve_design(const io::LoadedDesign& loaded, const SolveRequest& req) {
  const model::Design& d = loaded.design;
  if (req.threads > 0) omp_set_num_threads(req.threads);
  // Refuse grids that do not fit before allocating anything of size N.
  const std::size_t nodes =
      static_cast<std::size_t>(d.grid.nx) * d.grid.ny * std::max<std::size_t>(d.grid.nz, 2);
  check_memory(nodes);
  SolveResult r;
  r.grid = model::build_grid(d);
  const model::Grid& grid = r.grid;
  check_memory(grid.size());

  fv::System sys = fv::discretize(d, grid);
  std::vector<double> t;
  if (req.initial.empty()) {
    t.assign(grid.size(), model::reference_temperature(d));
  } else {
    if (req.initial.size() != grid.size())
      throw std::invalid_argument("the initial field has " + std::to_string(req.initial.size()) +
                                  " values, but the grid has " + std::to_string(grid.size()) +
                                  " nodes (" + std::to_string(grid.nx()) + " x " +
                                  std::to_string(grid.ny()) + " x " + std::to_string(grid.nz()) +
                                  ")");
    t = req.initial;
  }
  r.report = solve::solve_system(*sys.op, sys.rhs.data(), t.data(), loaded.solver);
  if (!solve::all_finite(t.size(), t.data()) || r.report.reason == "nan")
    throw std::runtime_error("the solver produced NaN or Inf (" + r.report.summary() +
                             "); check the design's values");
  r.balance = fv::energy_balance(sys, t);
  // Nodes in void regions (outside every layer footprint around them) carry no temperature.
  if (sys.op->has_footprints())
    for (int i = 0; i < grid.nx(); ++i)
      for (int j = 0; j < grid.ny(); ++j)
        for (int k = 0; k < grid.nz(); ++k)
          if (!sys.op->node_active(i, j, k)) {
            t[grid.index(i, j, k)] = NAN;
            ++r.void_nodes;
          }
  r.field = field::Field3D{grid.x, grid.y, grid.z, std::move(t), "T", "K"};
  r.stats = field::field_stats(r.field, grid, d);
  r.tolerance = loaded.solver.options.rel_tol;
  r.threads = omp_get_max_threads();

  json& s = r.summary;
  s["source"] = "fv";
  s["design"] = d.name;
  add_energy_balance(r.balance, s);
  const solve::SolveReport& rep = r.report;
  s["solver"] = {{"method", rep.method},         {"preconditioner", rep.preconditioner},
                 {"iterations", rep.iterations}, {"rel_residual", rep.rel_residual},
                 {"converged", rep.converged},   {"reason", rep.reason},
                 {"seconds", rep.seconds},       {"tol", r.tolerance},
                 {"threads", r.threads},         {"history", rep.history}};
  add_field_summary(r.stats, grid, r.void_nodes, s);
  return r;
}

void write_solve_results(io::OutputDir& out, const SolveResult& r, const io::LoadedDesign& loaded,
                         const RunInfo& info) {
  json s = r.summary;
  ResultContext ctx{&loaded,           info.design_path, info.overrides,
                    info.command_line, info.probes,      r.void_nodes};
  write_field_results(out, ctx, r.grid, r.field, s);
  if (!info.export_format.empty())  // HotSpot / 3D-ICE layouts (interop/export_formats.hpp)
    interop::write_exports(info.export_format, loaded.design, r.grid, r.field.values,
                           [&](const std::string& name) { return out.file(name); });
  finish_results(out, s);
}

std::string solve_line(const SolveResult& r, const std::string& name, const std::string& output) {
  const solve::SolveReport& rep = r.report;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "%s: T_max %.3f K at (%.3f, %.3f, %.3f) mm | %s, %d it, rel.res %.1e, %.3f s | "
                "balance %.1e | -> %s",
                name.c_str(), r.stats.t_max, r.stats.hotspot_m[0] * 1e3, r.stats.hotspot_m[1] * 1e3,
                r.stats.hotspot_m[2] * 1e3, (rep.method + "+" + rep.preconditioner).c_str(),
                rep.iterations, rep.rel_residual, rep.seconds, r.balance.rel_mismatch,
                output.c_str());
  return buf;
}

}  // namespace heatop::api
