// `heatop solve`: load a design, solve it, write the results folder.

#include "solve_command.hpp"

#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "fv/system.hpp"
#include "io/design_file.hpp"
#include "io/export_formats.hpp"
#include "io/field.hpp"
#include "io/ice3d.hpp"
#include "io/npy.hpp"
#include "io/output_dir.hpp"
#include "io/png_plot.hpp"
#include "io/probes.hpp"
#include "io/vtk.hpp"
#include "model/grid.hpp"
#include "solve/solver.hpp"

namespace heatop::app {

namespace {

using nlohmann::json;

std::string now_iso() {
  const std::time_t t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), f, v);
  return buf;
}

// The z node range [k0, k1] of layer l (both interfaces included).
std::pair<int, int> layer_nodes(const model::Grid& g, int l) {
  int k0 = -1, k1 = -1;
  for (int k = 0; k + 1 < g.nz(); ++k)
    if (g.cell_layer[k] == l) {
      if (k0 < 0) k0 = k;
      k1 = k + 1;
    }
  return {k0, k1};
}

// The x-y slice at node plane k.
std::vector<double> plane(const io::Field3D& f, int k) {
  std::vector<double> p(f.nx() * f.ny());
  for (std::size_t i = 0; i < f.nx(); ++i)
    for (std::size_t j = 0; j < f.ny(); ++j) p[i * f.ny() + j] = f.at(i, j, k);
  return p;
}

void check_memory(std::size_t n) {
  const std::size_t need = model::estimated_solver_bytes(n);
  const std::size_t avail = model::available_memory_bytes();
  if (avail > 0 && need > avail)
    throw std::runtime_error("grid too large for this machine: " + std::to_string(n) +
                             " nodes need about " + fmt("%.1f", need / 1073741824.0) +
                             " GiB, but only " + fmt("%.1f", avail / 1073741824.0) +
                             " GiB are available. Reduce grid.nx, grid.ny or grid.nz.");
}

}  // namespace

int run_solve(const SolveArgs& args, const std::string& command_line) {
  // Check the output folder before any work, so an unwritable folder fails fast.
  io::OutputDir out(args.output);
  // Design files, or a 3D-ICE stack imported on the fly (docs/interop.md).
  std::vector<std::string> import_warnings;
  io::LoadedDesign loaded =
      io::ice3d::load_design_any(args.design, args.overrides, &import_warnings);
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
  io::Field3D field{grid.x, grid.y, grid.z, std::move(t), "T", "K"};

  // Statistics.
  const auto wx = model::control_widths(grid.x), wy = model::control_widths(grid.y),
             wz = model::control_widths(grid.z);
  double tmax = -1e300, tmin = 1e300, tsum = 0, vsum = 0;
  std::size_t imax = 0, jmax = 0, kmax = 0;
  for (int i = 0; i < grid.nx(); ++i)
    for (int j = 0; j < grid.ny(); ++j)
      for (int k = 0; k < grid.nz(); ++k) {
        const double v = field.at(i, j, k);
        if (std::isnan(v)) continue;
        const double vol = wx[i] * wy[j] * wz[k];
        tsum += v * vol;
        vsum += vol;
        tmin = std::min(tmin, v);
        if (v > tmax) {
          tmax = v;
          imax = i;
          jmax = j;
          kmax = k;
        }
      }

  json s;
  s["heatop_version"] = HEATOP_VERSION;
  s["source"] = "fv";
  s["design"] = d.name;
  s["T_max_K"] = tmax;
  s["T_min_K"] = tmin;
  s["T_mean_K"] = tsum / vsum;
  s["hotspot_mm"] = {grid.x[imax] * 1e3, grid.y[jmax] * 1e3, grid.z[kmax] * 1e3};
  json layers = json::array();
  for (std::size_t l = 0; l < d.layers.size(); ++l) {
    const auto [k0, k1] = layer_nodes(grid, static_cast<int>(l));
    double lmax = -1e300, lmin = 1e300;
    for (int i = 0; i < grid.nx(); ++i)
      for (int j = 0; j < grid.ny(); ++j)
        for (int k = k0; k <= k1; ++k) {
          if (std::isnan(field.at(i, j, k))) continue;
          lmax = std::max(lmax, field.at(i, j, k));
          lmin = std::min(lmin, field.at(i, j, k));
        }
    layers.push_back({{"name", d.layers[l].name},
                      {"T_max_K", lmax},
                      {"T_min_K", lmin},
                      {"power_W", d.layers[l].power.total()}});
  }
  s["layers"] = layers;
  s["power_in_W"] = bal.power_in;
  json hout;
  for (int f = 0; f < model::kNumFaces; ++f) hout[model::face_name(f)] = bal.heat_out[f];
  s["heat_out_W"] = hout;
  s["energy_balance_rel"] = bal.rel_mismatch;
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
  json zmm = json::array();
  for (double z : grid.z) zmm.push_back(z * 1e3);
  s["grid"] = {{"nx", grid.nx()},
               {"ny", grid.ny()},
               {"nz", grid.nz()},
               {"nodes", grid.size()},
               {"void_nodes", void_nodes},
               {"z_nodes_mm", zmm},
               {"layout", "T[i][j][k], i along x, k along z (fastest)"}};

  // Files.
  io::write_npy(out.file("T.npy"), {field.nx(), field.ny(), field.nz()}, field.values);
  const bool uniform = io::is_uniform(grid.x) && io::is_uniform(grid.y) && io::is_uniform(grid.z);
  if (uniform)
    io::write_vti(out.file("T.vti"), field);
  else
    io::write_vtr(out.file("T.vtr"), field);
  {
    io::HeatmapOptions o;
    o.title = d.name + ": top surface (z = " + fmt("%.3f", grid.z.back() * 1e3) + " mm)";
    io::write_heatmap_png(out.file("top.png"), grid.x, grid.y, plane(field, grid.nz() - 1), o);
  }
  if (d.faces[model::kBottom].type == model::BcType::kPower) {
    io::HeatmapOptions o;
    o.title = d.name + ": bottom surface (z = 0)";
    io::write_heatmap_png(out.file("bottom.png"), grid.x, grid.y, plane(field, 0), o);
  }
  for (std::size_t l = 0; l < d.layers.size(); ++l) {
    if (d.layers[l].power.empty()) continue;
    // The plane of the layer that holds its hottest node.
    const auto [k0, k1] = layer_nodes(grid, static_cast<int>(l));
    int kbest = k0;
    double best = -1e300;
    for (int k = k0; k <= k1; ++k)
      for (int i = 0; i < grid.nx(); ++i)
        for (int j = 0; j < grid.ny(); ++j)
          if (field.at(i, j, k) > best) {
            best = field.at(i, j, k);
            kbest = k;
          }
    io::HeatmapOptions o;
    o.title = d.name + ": layer " + d.layers[l].name + " (z = " + fmt("%.3f", grid.z[kbest] * 1e3) +
              " mm)";
    io::write_heatmap_png(out.file("layer_" + d.layers[l].name + ".png"), grid.x, grid.y,
                          plane(field, kbest), o);
  }
  if (!probes.empty()) {
    std::vector<double> pt;
    for (const auto& p : probes)
      pt.push_back(io::interpolate_trilinear(field, p.x_m, p.y_m, p.z_m));
    io::write_probes_csv(out.file("probes.csv"), probes, pt);
  }
  {
    std::ofstream(out.file("design.yaml")) << io::to_yaml(loaded.effective);
    json m;
    m["heatop_version"] = HEATOP_VERSION;
    m["command_line"] = command_line;
    m["date_utc"] = now_iso();
    m["design_file"] = args.design;
    m["overrides"] = args.overrides;
    m["effective_design_yaml"] = io::to_yaml(loaded.effective);
    m["threads"] = omp_get_max_threads();
    std::ofstream(out.file("manifest.json")) << m.dump(2) << "\n";
  }
  if (!args.export_format.empty())  // HotSpot / 3D-ICE layouts (io/export_formats.hpp)
    io::write_exports(args.export_format, d, grid, field.values,
                      [&](const std::string& name) { return out.file(name); });
  s["files"] = out.files();
  s["files"].push_back("summary.json");
  std::ofstream(out.file("summary.json")) << s.dump(2) << "\n";
  out.commit();

  std::printf(
      "%s: T_max %.3f K at (%.3f, %.3f, %.3f) mm | %s, %d it, rel.res %.1e, %.3f s | "
      "balance %.1e | -> %s\n",
      d.name.c_str(), tmax, grid.x[imax] * 1e3, grid.y[jmax] * 1e3, grid.z[kmax] * 1e3,
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
