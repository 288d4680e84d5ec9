// The results folder shared by `solve` and `predict`: statistics, field files, pictures,
// probes, the effective design and the manifest.

#include "results.hpp"

#include <omp.h>
#include <sys/resource.h>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <stdexcept>

#include "io/design_file.hpp"
#include "io/npy.hpp"
#include "io/vtk.hpp"
#include "plot/png_plot.hpp"
#include "report/report.hpp"

namespace heatop::api {

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

}  // namespace

void check_memory(std::size_t n) { model::check_grid_memory(n); }

std::size_t peak_memory_bytes() {
  rusage u{};
  if (getrusage(RUSAGE_SELF, &u) != 0) return 0;
  return static_cast<std::size_t>(u.ru_maxrss) * 1024;  // KiB on Linux
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
  s["files"].push_back("report.html");
  s["files"].push_back("summary.json");
  std::ofstream(out.file("summary.json")) << s.dump(2) << "\n";
  report::write_report(out);  // from the staged files, summary.json included
  out.commit();
}

void add_field_summary(const FieldStats& st, const model::Grid& grid, std::size_t void_nodes,
                       json& s) {
  s["heatop_version"] = HEATOP_VERSION;
  s["T_max_K"] = st.t_max;
  s["T_min_K"] = st.t_min;
  s["T_mean_K"] = st.t_mean;
  s["hotspot_mm"] = {st.hotspot_m[0] * 1e3, st.hotspot_m[1] * 1e3, st.hotspot_m[2] * 1e3};
  json layers = json::array();
  for (const auto& l : st.layers)
    layers.push_back(
        {{"name", l.name}, {"T_max_K", l.t_max}, {"T_min_K", l.t_min}, {"power_W", l.power_W}});
  s["layers"] = layers;
  json zmm = json::array();
  for (double z : grid.z) zmm.push_back(z * 1e3);
  s["grid"] = {{"nx", grid.nx()},
               {"ny", grid.ny()},
               {"nz", grid.nz()},
               {"nodes", grid.size()},
               {"void_nodes", void_nodes},
               {"z_nodes_mm", zmm},
               {"layout", "T[i][j][k], i along x, k along z (fastest)"}};
}

FieldStats WholeField::stats(const model::Grid& grid, const model::Design& d) const {
  return field::field_stats(f_, grid, d);
}

std::vector<double> WholeField::plane_maxima() const {
  return field::plane_maxima(f_.values.data(), 0, static_cast<int>(f_.nx()), 0,
                             static_cast<int>(f_.ny()), static_cast<int>(f_.nz()));
}

std::vector<double> WholeField::plane(int k) const { return field::plane(f_, k); }

std::vector<double> WholeField::probes(const std::vector<io::Probe>& probes) const {
  std::vector<double> t;
  for (const auto& p : probes) t.push_back(io::interpolate_trilinear(f_, p.x_m, p.y_m, p.z_m));
  return t;
}

void WholeField::write_npy(const std::string& path) const {
  io::write_npy(path, {f_.nx(), f_.ny(), f_.nz()}, f_.values);
}

void WholeField::write_vtk(const std::string& path) const {
  if (io::is_uniform(f_.x) && io::is_uniform(f_.y) && io::is_uniform(f_.z))
    io::write_vti(path, f_);
  else
    io::write_vtr(path, f_);
}

FieldStats write_field_results(io::OutputDir* out, const ResultContext& ctx,
                               const model::Grid& grid, const FieldReader& field, json& s) {
  const model::Design& d = ctx.loaded->design;
  const bool root = field.root();
  const FieldStats st = field.stats(grid, d);
  if (root) {
    add_field_summary(st, grid, ctx.void_nodes, s);
    s["design"] = d.name;
  }
  // A file of the folder (its path matters on the root only).
  auto file = [&](const std::string& name) { return root ? out->file(name) : std::string(); };
  auto picture = [&](const std::string& name, const std::string& title,
                     const std::vector<double>& p) {
    if (!root) return;
    plot::HeatmapOptions o;
    o.title = title;
    plot::write_heatmap_png(out->file(name), grid.x, grid.y, p, o);
  };

  // Files.
  if (ctx.field_files != FieldFiles::none) field.write_npy(file("T.npy"));
  const bool uniform = io::is_uniform(grid.x) && io::is_uniform(grid.y) && io::is_uniform(grid.z);
  if (ctx.field_files == FieldFiles::all) field.write_vtk(file(uniform ? "T.vti" : "T.vtr"));
  picture("top.png", d.name + ": top surface (z = " + fmt("%.3f", grid.z.back() * 1e3) + " mm)",
          field.plane(grid.nz() - 1));
  if (d.faces[model::kBottom].type == model::BcType::kPower)
    picture("bottom.png", d.name + ": bottom surface (z = 0)", field.plane(0));
  std::vector<double> maxima;
  for (std::size_t l = 0; l < d.layers.size(); ++l) {
    if (d.layers[l].power.empty()) continue;
    const auto [k0, k1] = field::layer_nodes(grid, static_cast<int>(l));
    if (k0 < 0) continue;
    if (maxima.empty()) maxima = field.plane_maxima();
    // The plane of the layer that holds its hottest node (the lowest, on a tie).
    int kbest = k0;
    double best = -1e300;
    for (int k = k0; k <= k1; ++k)
      if (maxima[k] > best) {
        best = maxima[k];
        kbest = k;
      }
    picture("layer_" + d.layers[l].name + ".png",
            d.name + ": layer " + d.layers[l].name + " (z = " + fmt("%.3f", grid.z[kbest] * 1e3) +
                " mm)",
            field.plane(kbest));
  }
  if (!ctx.probes.empty()) {
    const std::vector<double> pt = field.probes(ctx.probes);
    if (root) io::write_probes_csv(out->file("probes.csv"), ctx.probes, pt);
  }
  if (root) {
    std::ofstream(out->file("design.yaml")) << io::to_yaml(ctx.loaded->effective);
    json m;
    m["heatop_version"] = HEATOP_VERSION;
    m["command_line"] = ctx.command_line;
    m["date_utc"] = now_iso();
    m["design_file"] = ctx.design_path;
    m["overrides"] = ctx.overrides;
    m["effective_design_yaml"] = io::to_yaml(ctx.loaded->effective);
    m["threads"] = omp_get_max_threads();
    std::ofstream(out->file("manifest.json")) << m.dump(2) << "\n";
  }
  return st;
}

FieldStats write_field_results(io::OutputDir& out, const ResultContext& ctx,
                               const model::Grid& grid, const field::Field3D& field, json& s) {
  return write_field_results(&out, ctx, grid, WholeField(field), s);
}

}  // namespace heatop::api
