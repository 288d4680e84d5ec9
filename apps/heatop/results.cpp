// The results folder shared by `solve` and `predict`: statistics, field files, pictures,
// probes, the effective design and the manifest.

#include "results.hpp"

#include <omp.h>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <stdexcept>

#include "io/design_file.hpp"
#include "io/npy.hpp"
#include "io/vtk.hpp"
#include "plot/png_plot.hpp"

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
std::vector<double> plane(const field::Field3D& f, int k) {
  std::vector<double> p(f.nx() * f.ny());
  for (std::size_t i = 0; i < f.nx(); ++i)
    for (std::size_t j = 0; j < f.ny(); ++j) p[i * f.ny() + j] = f.at(i, j, k);
  return p;
}

}  // namespace

void check_memory(std::size_t n) {
  const std::size_t need = model::estimated_solver_bytes(n);
  const std::size_t avail = model::available_memory_bytes();
  if (avail > 0 && need > avail)
    throw std::runtime_error("grid too large for this machine: " + std::to_string(n) +
                             " nodes need about " + fmt("%.1f", need / 1073741824.0) +
                             " GiB, but only " + fmt("%.1f", avail / 1073741824.0) +
                             " GiB are available. Reduce grid.nx, grid.ny or grid.nz.");
}

void add_energy_balance(const fv::EnergyBalance& bal, json& s) {
  s["power_in_W"] = bal.power_in;
  json hout;
  for (int f = 0; f < model::kNumFaces; ++f) hout[model::face_name(f)] = bal.heat_out[f];
  s["heat_out_W"] = hout;
  s["energy_balance_rel"] = bal.rel_mismatch;
}

void finish_results(io::OutputDir& out, json& s) {
  s["files"] = out.files();
  s["files"].push_back("summary.json");
  std::ofstream(out.file("summary.json")) << s.dump(2) << "\n";
  out.commit();
}

FieldStats write_field_results(io::OutputDir& out, const ResultContext& ctx,
                               const model::Grid& grid, const field::Field3D& field, json& s) {
  const model::Design& d = ctx.loaded->design;
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

  s["heatop_version"] = HEATOP_VERSION;
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
  json zmm = json::array();
  for (double z : grid.z) zmm.push_back(z * 1e3);
  s["grid"] = {{"nx", grid.nx()},
               {"ny", grid.ny()},
               {"nz", grid.nz()},
               {"nodes", grid.size()},
               {"void_nodes", ctx.void_nodes},
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
    plot::HeatmapOptions o;
    o.title = d.name + ": top surface (z = " + fmt("%.3f", grid.z.back() * 1e3) + " mm)";
    plot::write_heatmap_png(out.file("top.png"), grid.x, grid.y, plane(field, grid.nz() - 1), o);
  }
  if (d.faces[model::kBottom].type == model::BcType::kPower) {
    plot::HeatmapOptions o;
    o.title = d.name + ": bottom surface (z = 0)";
    plot::write_heatmap_png(out.file("bottom.png"), grid.x, grid.y, plane(field, 0), o);
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
    plot::HeatmapOptions o;
    o.title = d.name + ": layer " + d.layers[l].name + " (z = " + fmt("%.3f", grid.z[kbest] * 1e3) +
              " mm)";
    plot::write_heatmap_png(out.file("layer_" + d.layers[l].name + ".png"), grid.x, grid.y,
                            plane(field, kbest), o);
  }
  if (!ctx.probes.empty()) {
    std::vector<double> pt;
    for (const auto& p : ctx.probes)
      pt.push_back(io::interpolate_trilinear(field, p.x_m, p.y_m, p.z_m));
    io::write_probes_csv(out.file("probes.csv"), ctx.probes, pt);
  }
  {
    std::ofstream(out.file("design.yaml")) << io::to_yaml(ctx.loaded->effective);
    json m;
    m["heatop_version"] = HEATOP_VERSION;
    m["command_line"] = ctx.command_line;
    m["date_utc"] = now_iso();
    m["design_file"] = ctx.design_path;
    m["overrides"] = ctx.overrides;
    m["effective_design_yaml"] = io::to_yaml(ctx.loaded->effective);
    m["threads"] = omp_get_max_threads();
    std::ofstream(out.file("manifest.json")) << m.dump(2) << "\n";
  }
  return {tmax, tmin, tsum / vsum, {grid.x[imax], grid.y[jmax], grid.z[kmax]}};
}

}  // namespace heatop::app
