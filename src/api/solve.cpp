#include "api/solve.hpp"

#include <omp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "api/parallel.hpp"
#include "interop/export_formats.hpp"
#include "io/probes.hpp"
#include "io/vtk.hpp"
#include "solve/fv_solver.hpp"
#include "solve/solver.hpp"
#ifdef HEATOP_HAVE_PETSC
#include "petsc/backend.hpp"
#endif

namespace heatop::api {

using nlohmann::json;

namespace {

// The initial guess over the columns of `part` (the whole grid, or an MPI rank's part).
std::vector<double> initial_field(const model::Design& d, const model::Grid& grid,
                                  const SolveRequest& req, const fv::Box& part) {
  if (req.initial.empty()) return std::vector<double>(part.size(), model::reference_temperature(d));
  if (req.initial.size() != grid.size())
    throw std::invalid_argument("the initial field has " + std::to_string(req.initial.size()) +
                                " values, but the grid has " + std::to_string(grid.size()) +
                                " nodes (" + std::to_string(grid.nx()) + " x " +
                                std::to_string(grid.ny()) + " x " + std::to_string(grid.nz()) +
                                ")");
  if (part.size() == grid.size()) return req.initial;
  std::vector<double> t(part.size());
  for (int i = part.i0; i < part.i1; ++i)
    for (int j = part.j0; j < part.j1; ++j)
      for (int k = 0; k < part.nz; ++k) t[part.index(i, j, k)] = req.initial[grid.index(i, j, k)];
  return t;
}

std::runtime_error not_finite(const solve::SolveReport& report) {
  return std::runtime_error("the solver produced NaN or Inf (" + report.summary() +
                            "); check the design's values");
}

// The summary of a solve whose statistics, void nodes and energy balance are known.
void describe(const io::LoadedDesign& loaded, SolveResult& r) {
  const model::Design& d = loaded.design;
  const model::Grid& grid = r.grid;
  r.tolerance = loaded.solver.options.rel_tol;
  r.threads = omp_get_max_threads();
  json& s = r.summary;
  s["source"] = "fv";
  s["design"] = d.name;
  add_energy_balance(r.balance, s);
  const solve::SolveReport& rep = r.report;
  s["solver"] = {{"backend", name(solve::kBackendNames, loaded.solver.backend)},
                 {"method", rep.method},
                 {"preconditioner", rep.preconditioner},
                 {"iterations", rep.iterations},
                 {"rel_residual", rep.rel_residual},
                 {"converged", rep.converged},
                 {"reason", rep.reason},
                 {"seconds", rep.seconds},
                 {"tol", r.tolerance},
                 {"threads", r.threads},
                 {"history", rep.history}};
  add_field_summary(r.stats, grid, r.void_nodes, s);
  // This process's peak memory so far (the solve's: the results are not written yet) per node.
  const std::size_t peak = peak_memory_bytes();
  s["memory"] = {{"peak_rss_MiB", static_cast<double>(peak) / (1024.0 * 1024.0)},
                 {"bytes_per_node", static_cast<double>(peak) / static_cast<double>(grid.size())}};
}

// Everything after the solve and the energy balance, on the whole field: void masking,
// statistics, summary.
SolveResult describe(const io::LoadedDesign& loaded, const model::Grid& grid,
                     const fv::LayeredOperator& op, std::vector<double> t,
                     const solve::SolveReport& report, const fv::EnergyBalance& balance) {
  SolveResult r;
  r.grid = grid;
  r.report = report;
  r.balance = balance;
  r.void_nodes = mask_void_nodes(op, op.box(), t.data());
  r.field = field::Field3D{grid.x, grid.y, grid.z, std::move(t), "T", "K"};
  r.stats = field::field_stats(r.field, grid, loaded.design);
  describe(loaded, r);
  return r;
}

// Everything after a solve over the whole grid.
SolveResult finish(const io::LoadedDesign& loaded, const fv::System& sys, std::vector<double> t,
                   const solve::SolveReport& report) {
  if (!solve::all_finite(t.size(), t.data()) || report.reason == "nan") throw not_finite(report);
  const fv::EnergyBalance balance = fv::energy_balance(sys, t);
  return describe(loaded, sys.grid, *sys.op, std::move(t), report, balance);
}

bool same_layers(const model::Design& a, const model::Design& b) {
  if (a.layers.size() != b.layers.size()) return false;
  for (std::size_t l = 0; l < a.layers.size(); ++l) {
    const auto &x = a.layers[l], &y = b.layers[l];
    if (x.thickness != y.thickness || x.k_xy != y.k_xy || x.k_z != y.k_z || x.cells != y.cells ||
        x.footprint != y.footprint)
      return false;
  }
  return true;
}

// What may differ within a batch: the power maps (and names); nothing the operator depends on.
std::string difference(const io::LoadedDesign& a, const io::LoadedDesign& b) {
  const model::Design &x = a.design, &y = b.design;
  if (x.lx != y.lx || x.ly != y.ly) return "the die size";
  if (!same_layers(x, y)) return "the layers (thickness, conductivity, cells or footprint)";
  for (int f = 0; f < model::kNumFaces; ++f) {
    const auto &p = x.faces[f], &q = y.faces[f];
    const bool conv_p = p.type == model::BcType::kConvective || p.type == model::BcType::kPower;
    const bool conv_q = q.type == model::BcType::kConvective || q.type == model::BcType::kPower;
    if ((p.type == model::BcType::kFixed) != (q.type == model::BcType::kFixed) ||
        (conv_p ? p.h : 0) != (conv_q ? q.h : 0) || p.t_amb != q.t_amb || p.t_fixed != q.t_fixed)
      return std::string("the boundary condition of face ") + model::face_name(f);
  }
  if (x.grid.nx != y.grid.nx || x.grid.ny != y.grid.ny || x.grid.nz != y.grid.nz ||
      x.grid.x_nodes != y.grid.x_nodes || x.grid.y_nodes != y.grid.y_nodes ||
      x.grid.z_nodes != y.grid.z_nodes)
    return "the grid";
  if (a.solver.method != b.solver.method || a.solver.preconditioner != b.solver.preconditioner ||
      a.solver.options.rel_tol != b.solver.options.rel_tol ||
      a.solver.options.max_iterations != b.solver.options.max_iterations ||
      a.solver.options.restart != b.solver.options.restart)
    return "the solver settings";
  return "";
}

}  // namespace

namespace {

#ifdef HEATOP_HAVE_PETSC
// A field spread over the MPI ranks, each holding the columns of its part (the PETSc
// backend's solution, when it is not gathered): what write_field_results reads, with one plane
// (or a few columns) at a time on rank 0.
class RankParts : public FieldReader {
 public:
  RankParts(const model::Grid& grid, const fv::Box& part, std::vector<double> values)
      : grid_(grid), part_(part), values_(std::move(values)) {
    const std::vector<double> mine{static_cast<double>(part.i0), static_cast<double>(part.i1),
                                   static_cast<double>(part.j0), static_cast<double>(part.j1)};
    for (const auto& b : petsc::gather_to_root(mine))
      parts_.push_back({static_cast<int>(b[0]), static_cast<int>(b[1]), static_cast<int>(b[2]),
                        static_cast<int>(b[3]), part.nz});
  }
  bool root() const override { return petsc::rank() == 0; }

  FieldStats stats(const model::Grid& grid, const model::Design& d) const override {
    const field::PartStats mine =
        field::part_stats(values_.data(), part_.i0, part_.i1, part_.j0, part_.j1, grid, d);
    std::vector<field::PartStats> all;
    for (const auto& v : petsc::gather_to_root(mine.as_doubles()))
      all.push_back(field::PartStats::from_doubles(v.data(), d.layers.size()));
    return root() ? field::combine_stats(all, grid, d) : FieldStats{};
  }

  std::vector<double> plane_maxima() const override {
    std::vector<double> m(grid_.nz(), -1e300);
    for (const auto& v : petsc::gather_to_root(field::plane_maxima(
             values_.data(), part_.i0, part_.i1, part_.j0, part_.j1, grid_.nz())))
      for (std::size_t k = 0; k < m.size(); ++k) m[k] = std::max(m[k], v[k]);
    return m;
  }

  std::vector<double> plane(int k) const override {
    std::vector<double> mine(part_.columns());
    for (std::size_t c = 0; c < mine.size(); ++c) mine[c] = values_[c * part_.nz + k];
    const auto got = petsc::gather_to_root(mine);
    std::vector<double> p;
    if (!root()) return p;
    const int ny = grid_.ny();
    p.assign(static_cast<std::size_t>(grid_.nx()) * ny, 0.0);
    for (std::size_t r = 0; r < got.size(); ++r) {
      const fv::Box& b = parts_[r];
      std::size_t c = 0;
      for (int i = b.i0; i < b.i1; ++i)
        for (int j = b.j0; j < b.j1; ++j) p[static_cast<std::size_t>(i) * ny + j] = got[r][c++];
    }
    return p;
  }

  std::vector<double> probes(const std::vector<io::Probe>& probes) const override {
    // A probe reads columns i, i + 1 and j, j + 1: their owners send them (0 elsewhere), and
    // rank 0 interpolates on those four columns as on the whole field.
    const int nz = grid_.nz();
    std::vector<std::array<std::size_t, 2>> cells;
    std::vector<double> mine(probes.size() * 4 * nz, 0.0);
    for (std::size_t p = 0; p < probes.size(); ++p) {
      cells.push_back(io::probe_columns(grid_.x, grid_.y, grid_.z, "T", probes[p]));
      for (int c = 0; c < 4; ++c) {
        const int i = static_cast<int>(cells[p][0]) + c / 2,
                  j = static_cast<int>(cells[p][1]) + c % 2;
        if (!part_.contains(i, j)) continue;
        std::copy_n(values_.data() + part_.index(i, j, 0), nz, mine.data() + (p * 4 + c) * nz);
      }
    }
    const auto got = petsc::gather_to_root(mine);
    std::vector<double> t;
    if (!root()) return t;
    for (std::size_t q = 1; q < got.size(); ++q)
      for (std::size_t v = 0; v < mine.size(); ++v) mine[v] += got[q][v];
    for (std::size_t p = 0; p < probes.size(); ++p) {
      const auto [i, j] = cells[p];
      const std::size_t i1 = std::min<std::size_t>(i + 1, grid_.nx() - 1),
                        j1 = std::min<std::size_t>(j + 1, grid_.ny() - 1);
      field::Field3D cell{
          {grid_.x[i], grid_.x[i1]},
          {grid_.y[j], grid_.y[j1]},
          grid_.z,
          std::vector<double>(mine.begin() + p * 4 * nz, mine.begin() + (p + 1) * 4 * nz),
          "T",
          "K"};
      t.push_back(io::interpolate_trilinear(cell, probes[p].x_m, probes[p].y_m, probes[p].z_m));
    }
    return t;
  }

  void write_npy(const std::string& path) const override {
    petsc::write_npy_parts(path, grid_.nx(), grid_.ny(), grid_.nz(), part_, values_.data());
  }

  void write_vtk(const std::string& path) const override {
    // Plane by plane through rank 0, x fastest as VTK orders points.
    const int nx = grid_.nx(), ny = grid_.ny();
    const io::PlaneSource planes = [&](int k) {
      const std::vector<double> p = plane(k);
      std::vector<double> xf(p.size());
      for (int i = 0; i < nx; ++i)
        for (int j = 0; j < ny; ++j)
          xf[static_cast<std::size_t>(j) * nx + i] = p[static_cast<std::size_t>(i) * ny + j];
      return xf;
    };
    if (root())
      io::write_vtk_planes(path, "T", grid_.x, grid_.y, grid_.z, planes);
    else
      for (int k = 0; k < grid_.nz(); ++k) plane(k);
  }

 private:
  model::Grid grid_;
  fv::Box part_;
  std::vector<double> values_;
  std::vector<fv::Box> parts_;  // every rank's, on rank 0
};

// The PETSc backend on every rank: each rank discretizes and holds its own columns only (the
// operator is 1D factors, or per-node links for layers with footprints), PETSc solves on the
// distributed DMDA, the ranks add up their shares of the energy balance; then rank 0 gathers
// the field (SolveRequest::gather_field), or every rank keeps its part (RankParts).
SolveResult solve_petsc(const io::LoadedDesign& loaded, const model::Grid& grid,
                        const SolveRequest& req) {
  petsc::initialize();
  {
    // Each rank's memory, before anything of the grid's size exists: its part (an even share
    // of the columns), and on rank 0 the gathered field (gather_field) or the x-y planes it
    // writes through; against its share of its machine's available memory (the ranks on one
    // machine share it).
    const double columns = std::ceil(static_cast<double>(grid.nx()) * grid.ny() / petsc::size());
    const double root_extra =
        req.gather_field ? 8.0 * static_cast<double>(grid.size()) : 24.0 * grid.nx() * grid.ny();
    const double need =
        petsc::kBytesPerUnknown * columns * grid.nz() + (petsc::rank() == 0 ? root_extra : 0.0);
    const double avail =
        static_cast<double>(model::available_memory_bytes()) / petsc::ranks_on_this_machine();
    const double worst = petsc::max(avail > 0 ? need / avail : 0.0);
    if (worst > 1) {
      char buf[512];
      std::snprintf(buf, sizeof buf,
                    "grid too large for this MPI run: %.4g nodes on %d ranks; a rank needs up to "
                    "%.2f times its share of its machine's available memory (about %.0f B per "
                    "node of its part; rank 0 also holds x-y planes, or the whole field when it "
                    "is gathered). Use more machines, or reduce grid.nx, grid.ny or grid.nz.",
                    static_cast<double>(grid.size()), petsc::size(), worst,
                    petsc::kBytesPerUnknown);
      throw std::invalid_argument(buf);
    }
  }
  const petsc::Distribution dist(grid.nx(), grid.ny(), grid.nz());
  const fv::Box part = dist.owned();
  const fv::System sys = fv::discretize(loaded.design, grid, part);
  std::vector<double> t = initial_field(loaded.design, grid, req, part);
  const petsc::Result pr =
      dist.solve(*sys.op, sys.rhs.data(), t.data(), loaded.solver, req.petsc_options);
  if (!petsc::all(solve::all_finite(t.size(), t.data()) && pr.report.reason != "nan"))
    throw not_finite(pr.report);  // on every rank
  // The energy balance: each rank's share of the heat out (its boundary nodes, with the
  // neighbouring columns for fixed faces) and of the power in.
  std::array<double, 7> share{};
  {
    const std::vector<double> tg = dist.with_ghosts(t.data());
    const std::array<double, 6> q =
        sys.op->heat_out(tg.data(), dist.ghosted(), sys.power.data(), part);
    std::copy(q.begin(), q.end(), share.begin());
    share[6] = sys.power_in;
  }
  petsc::sum(share.data(), 7);
  const fv::EnergyBalance balance =
      fv::energy_balance(share[6], {share[0], share[1], share[2], share[3], share[4], share[5]});
  SolveResult r;
  if (req.gather_field) {
    std::vector<double> whole = dist.gather(t.data());
    if (petsc::rank() != 0) {
      r.grid = grid;
      r.report = pr.report;
      r.balance = balance;
      r.root = false;
      return r;
    }
    r = describe(loaded, grid, *sys.op, std::move(whole), pr.report, balance);
  } else {
    // Every rank keeps its columns; the statistics are combined on rank 0.
    r.grid = grid;
    r.report = pr.report;
    r.balance = balance;
    double voids = static_cast<double>(mask_void_nodes(*sys.op, part, t.data()));
    petsc::sum(&voids, 1);
    r.void_nodes = static_cast<std::size_t>(voids);
    auto parts = std::make_shared<RankParts>(grid, part, std::move(t));
    r.stats = parts->stats(grid, loaded.design);
    r.parts = std::move(parts);
    r.root = petsc::rank() == 0;
    if (!r.root) return r;
    describe(loaded, r);
  }
  json p = {{"ranks", pr.ranks},
            {"process_grid", {pr.ranks_x, pr.ranks_y}},
            {"ksp_type", pr.report.method},
            {"pc_type", pr.report.preconditioner},
            {"mg_levels", pr.mg_levels},
            {"coarse_operators", pr.coarse_operators},
            {"preconditioner_note", pr.preconditioner_note},
            {"options", pr.options},
            {"unused_options", pr.unused_options},
            {"setup_seconds", pr.setup_seconds},
            {"solve_seconds", pr.solve_seconds},
            {"local_nodes_min", pr.local_nodes_min},
            {"local_nodes_max", pr.local_nodes_max},
            {"peak_rss_MB_per_rank", pr.peak_rss_mb}};
  r.summary["solver"]["petsc"] = p;
  if (!pr.unused_options.empty()) {
    std::string list;
    for (const auto& o : pr.unused_options) list += (list.empty() ? "" : ", ") + o;
    r.warnings.push_back("PETSc did not use these options (misspelt, or for another solver): " +
                         list);
  }
  r.summary["warnings"] = r.warnings;
  return r;
}
#endif

}  // namespace

SolveResult solve_design(const io::LoadedDesign& loaded, const SolveRequest& req) {
  const model::Design& d = loaded.design;
  const bool petsc = loaded.solver.backend == solve::Backend::petsc;
  if (petsc && !petsc_available())
    throw std::invalid_argument(
        "solver.backend is petsc, but this heatop was built without PETSc (configure with "
        "-DHEATOP_PETSC=ON after scripts/setup.sh; docs/petsc.md); use solver.backend: native");
  if (!petsc && !req.petsc_options.empty())
    throw std::invalid_argument("PETSc options given (" + req.petsc_options +
                                ") but solver.backend is native; add --set solver.backend=petsc");
  if (req.threads > 0) omp_set_num_threads(req.threads);
  // Refuses grids that do not fit in memory (PETSc: each rank checks its part, solve_petsc).
  const model::Grid grid = model::build_grid(d, !petsc);
#ifdef HEATOP_HAVE_PETSC
  if (petsc) return solve_petsc(loaded, grid, req);
#endif
  const fv::System sys = fv::discretize(d, grid);
  std::vector<double> t = initial_field(d, grid, req, sys.part);
  const solve::SolveReport rep =
      solve::solve_system(*sys.op, sys.rhs.data(), t.data(), loaded.solver);
  return finish(loaded, sys, std::move(t), rep);
}

std::vector<SolveResult> solve_designs(const std::vector<io::LoadedDesign>& designs,
                                       const SolveRequest& req) {
  std::vector<SolveResult> out;
  if (designs.empty()) return out;
  if (designs[0].solver.backend == solve::Backend::petsc) {  // one PETSc solve each
    for (const auto& d : designs) out.push_back(solve_design(d, req));
    return out;
  }
  for (std::size_t i = 1; i < designs.size(); ++i) {
    const std::string what = difference(designs[0], designs[i]);
    if (!what.empty())
      throw std::invalid_argument("batch: design " + std::to_string(i) + " ('" +
                                  designs[i].design.name + "') differs from design 0 in " + what +
                                  "; a batch may differ only in its power maps");
  }
  if (req.threads > 0) omp_set_num_threads(req.threads);
  const io::LoadedDesign& first = designs[0];
  const model::Grid grid = model::build_grid(first.design);  // refuses grids that do not fit
  fv::System sys = fv::discretize(first.design, grid);
  const auto t0 = std::chrono::steady_clock::now();
  const solve::FvSolver solver(*sys.op, first.solver);
  const double setup = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.reserve(designs.size());
  for (std::size_t i = 0; i < designs.size(); ++i) {
    if (i > 0) fv::set_power(sys, designs[i].design);
    std::vector<double> t = initial_field(designs[i].design, grid, req, sys.part);
    solve::SolveReport rep = solver.solve(sys.rhs.data(), t.data());
    if (i == 0) rep.seconds += setup;  // the one-time set-up is reported with the first solve
    out.push_back(finish(designs[i], sys, std::move(t), rep));
  }
  return out;
}

void write_solve_results(io::OutputDir* out, const SolveResult& r, const io::LoadedDesign& loaded,
                         const RunInfo& info) {
  json s = r.summary;
  ResultContext ctx{&loaded,     info.design_path, info.overrides,  info.command_line,
                    info.probes, r.void_nodes,     info.field_files};
  if (r.parts) {
    if (!info.export_format.empty())  // refused before the solve by the CLI; a library caller
      throw std::invalid_argument(    // asks for the gathered field (gather_field)
          "--export needs the whole field on rank 0: solve with SolveRequest::gather_field");
    write_field_results(out, ctx, r.grid, *r.parts, s);  // collective
    if (!r.parts->root()) return;
  } else {
    write_field_results(*out, ctx, r.grid, r.field, s);
    if (!info.export_format.empty())  // HotSpot / 3D-ICE layouts (interop/export_formats.hpp)
      interop::write_exports(info.export_format, loaded.design, r.grid, r.field.values,
                             [&](const std::string& name) { return out->file(name); });
  }
  finish_results(*out, s);
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

std::size_t mask_void_nodes(const fv::LayeredOperator& op, const fv::Box& part, double* t) {
  std::size_t n = 0;
  if (op.has_footprints())
    for (int i = part.i0; i < part.i1; ++i)
      for (int j = part.j0; j < part.j1; ++j)
        for (int k = 0; k < part.nz; ++k)
          if (!op.node_active(i, j, k)) {
            t[part.index(i, j, k)] = NAN;
            ++n;
          }
  return n;
}

}  // namespace heatop::api
