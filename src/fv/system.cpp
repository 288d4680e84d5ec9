#include "fv/system.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace heatop::fv {

std::vector<double> overlap_fractions(const std::vector<double>& nodes, double a, double b) {
  const std::size_t n = nodes.size();
  std::vector<double> f(n, 0.0);
  const double len = b - a;
  if (!(len > 0)) return f;
  for (std::size_t i = 0; i < n; ++i) {
    const double lo = i == 0 ? nodes[0] : 0.5 * (nodes[i - 1] + nodes[i]);
    const double hi = i + 1 == n ? nodes[n - 1] : 0.5 * (nodes[i] + nodes[i + 1]);
    const double ov = std::min(hi, b) - std::max(lo, a);
    if (ov > 0) f[i] = ov / len;
  }
  return f;
}

namespace {

// integrate_map for the columns i0 <= i < i1, j0 <= j < j1 only: row-major over that block.
// The control volumes are those of the whole (x, y) grid.
std::vector<double> integrate_map_part(const model::PowerMap& map, double lx, double ly,
                                       const std::vector<double>& x, const std::vector<double>& y,
                                       const Box& part) {
  const std::size_t mx = static_cast<std::size_t>(part.i1 - part.i0),
                    my = static_cast<std::size_t>(part.j1 - part.j0);
  std::vector<double> out(mx * my, 0.0);
  if (!map.tile_watts.empty()) {
    // out = Fx * W^T * Fy^T with Fx[i][c], Fy[j][r] the overlap fractions of tiles.
    std::vector<std::vector<double>> fx(map.cols), fy(map.rows);
    for (int c = 0; c < map.cols; ++c)
      fx[c] = overlap_fractions(x, lx * c / map.cols, lx * (c + 1) / map.cols);
    for (int r = 0; r < map.rows; ++r)
      fy[r] = overlap_fractions(y, ly * r / map.rows, ly * (r + 1) / map.rows);
    for (int r = 0; r < map.rows; ++r) {
      // column sums of this row spread over x: rowx[i] = sum_c W[r][c] fx[c][i]
      std::vector<double> rowx(mx, 0.0);
      for (int c = 0; c < map.cols; ++c) {
        const double w = map.tile_watts[static_cast<std::size_t>(r) * map.cols + c];
        if (w == 0) continue;
        for (std::size_t i = 0; i < mx; ++i) rowx[i] += w * fx[c][part.i0 + i];
      }
      for (std::size_t i = 0; i < mx; ++i) {
        if (rowx[i] == 0) continue;
        for (std::size_t j = 0; j < my; ++j) out[i * my + j] += rowx[i] * fy[r][part.j0 + j];
      }
    }
  }
  for (const auto& b : map.blocks) {
    const auto fx = overlap_fractions(x, b.x, b.x + b.w);
    const auto fy = overlap_fractions(y, b.y, b.y + b.h);
    for (std::size_t i = 0; i < mx; ++i) {
      if (fx[part.i0 + i] == 0) continue;
      for (std::size_t j = 0; j < my; ++j)
        out[i * my + j] += b.power * fx[part.i0 + i] * fy[part.j0 + j];
    }
  }
  return out;
}

Box whole(const model::Grid& grid) { return {0, grid.nx(), 0, grid.ny(), grid.nz()}; }

}  // namespace

std::vector<double> integrate_map(const model::PowerMap& map, double lx, double ly,
                                  const std::vector<double>& x, const std::vector<double>& y) {
  return integrate_map_part(map, lx, ly, x, y,
                            {0, static_cast<int>(x.size()), 0, static_cast<int>(y.size()), 1});
}

std::array<FaceBc, 6> face_bcs(const model::Design& d) {
  std::array<FaceBc, 6> bc;
  for (int f = 0; f < 6; ++f) {
    const auto& b = d.faces[f];
    bc[f].h = (b.type == model::BcType::kConvective || b.type == model::BcType::kPower) ? b.h : 0;
    bc[f].t_amb = b.t_amb;
    bc[f].fixed = b.type == model::BcType::kFixed;
    bc[f].t_fixed = b.t_fixed;
  }
  return bc;
}

std::vector<double> assemble_power(const model::Design& d, const model::Grid& grid) {
  return assemble_power(d, grid, whole(grid));
}

namespace {

// The design's sources on the nodes of `part` (resized to part.size()), written column by
// column in parallel; every node gets its sources' terms in one fixed order (the layers from
// the bottom up, then the bottom face, then the top face), whatever the thread count. `planes`
// (nz entries) marks the z nodes that any source reaches: elsewhere the power is exactly 0.
void fill_power(const model::Design& d, const model::Grid& grid, const Box& part,
                std::vector<double>& power, std::vector<char>& planes) {
  const int nz = grid.nz();
  const std::size_t nxy = part.columns();
  planes.assign(nz, 0);
  struct Source {
    std::vector<double> col;  // W per column of `part`
    std::vector<double> fz;   // the share of each z node (a face: 1 at its node)
    int k0 = 0, k1 = 0;       // the z nodes with a share
  };
  std::vector<Source> sources;
  auto add = [&](std::vector<double> col, std::vector<double> fz) {
    Source src{std::move(col), std::move(fz), nz, 0};
    for (int k = 0; k < nz; ++k)
      if (src.fz[k] != 0) src.k0 = std::min(src.k0, k), src.k1 = k + 1, planes[k] = 1;
    if (src.k0 < src.k1) sources.push_back(std::move(src));
  };
  // Volumetric sources: uniform through their layer's thickness.
  double z0 = 0;
  for (const auto& layer : d.layers) {
    const double z1 = z0 + layer.thickness;
    if (!layer.power.empty()) {
      // A layer with a footprint has its map over the footprint: integrate in its frame.
      const auto& f = layer.footprint;
      std::vector<double> xs = grid.x, ys = grid.y;
      if (layer.has_footprint()) {
        for (auto& v : xs) v -= f[0];
        for (auto& v : ys) v -= f[1];
      }
      add(integrate_map_part(layer.power, layer.has_footprint() ? f[2] : d.lx,
                             layer.has_footprint() ? f[3] : d.ly, xs, ys, part),
          overlap_fractions(grid.z, z0, z1));
    }
    z0 = z1;
  }
  // Surface sources on the top and bottom faces.
  for (int f : {model::kBottom, model::kTop}) {
    const auto& b = d.faces[f];
    if (b.type != model::BcType::kPower) continue;
    std::vector<double> fz(nz, 0.0);
    fz[f == model::kTop ? nz - 1 : 0] = 1.0;
    add(integrate_map_part(b.power, d.lx, d.ly, grid.x, grid.y, part), std::move(fz));
  }
  power.resize(part.size());
  double* p = power.data();
#pragma omp parallel for schedule(static) if (part.size() >= kMinParallelNodes)
  for (std::size_t c = 0; c < nxy; ++c) {
    double* pc = p + c * nz;
    std::fill(pc, pc + nz, 0.0);
    for (const Source& src : sources)
      for (int k = src.k0; k < src.k1; ++k)
        if (src.fz[k] != 0) pc[k] += src.col[c] * src.fz[k];
  }
}

// The sum of `power` in node order, reading only the planes a source reaches (the others hold
// exact zeros, which leave a running sum as it is).
double total_power(const std::vector<double>& power, const std::vector<char>& planes) {
  const std::size_t nz = planes.size();
  std::vector<int> ks;
  for (std::size_t k = 0; k < nz; ++k)
    if (planes[k]) ks.push_back(static_cast<int>(k));
  double sum = 0;
  for (std::size_t c = 0; c * nz < power.size(); ++c)
    for (int k : ks) sum += power[c * nz + k];
  return sum;
}

}  // namespace

std::vector<double> assemble_power(const model::Design& d, const model::Grid& grid,
                                   const Box& part) {
  std::vector<double> power;
  std::vector<char> planes;
  fill_power(d, grid, part, power, planes);
  return power;
}

std::vector<double> capacity_per_area(const model::Design& d, const model::Grid& grid) {
  std::string missing;
  for (const auto& l : d.layers)
    if (!(l.heat_capacity > 0)) missing += (missing.empty() ? "'" : ", '") + l.name + "'";
  if (!missing.empty())
    throw std::invalid_argument(
        "a transient run needs the volumetric heat capacity of every layer: give "
        "c_J_per_m3K (J/(m^3 K), e.g. 1.63e6 for silicon) for layer(s) " +
        missing);
  const int nz = grid.nz();
  std::vector<double> cz(nz, 0.0);
  for (int k = 0; k + 1 < nz; ++k) {
    const double half =
        0.5 * (grid.z[k + 1] - grid.z[k]) * d.layers[grid.cell_layer[k]].heat_capacity;
    cz[k] += half;
    cz[k + 1] += half;
  }
  return cz;
}

System discretize(const model::Design& d) { return discretize(d, model::build_grid(d)); }

System discretize(const model::Design& d, const model::Grid& grid) {
  return discretize(d, grid, whole(grid));
}

System discretize(const model::Design& d, const model::Grid& grid, const Box& part) {
  if (part.i0 < 0 || part.i1 > grid.nx() || part.j0 < 0 || part.j1 > grid.ny() ||
      part.i0 >= part.i1 || part.j0 >= part.j1 || part.nz != grid.nz())
    throw std::invalid_argument("discretize: the columns [" + std::to_string(part.i0) + ", " +
                                std::to_string(part.i1) + ") x [" + std::to_string(part.j0) + ", " +
                                std::to_string(part.j1) + ") are not a part of the grid");
  System s;
  s.grid = grid;
  s.part = part;
  const int nz = grid.nz();
  std::vector<double> kxy(nz - 1), kz(nz - 1);
  for (int k = 0; k + 1 < nz; ++k) {
    kxy[k] = d.layers[grid.cell_layer[k]].k_xy;
    kz[k] = d.layers[grid.cell_layer[k]].k_z;
  }
  std::vector<std::array<double, 4>> fp(nz - 1, {0, 0, 0, 0});
  for (int k = 0; k + 1 < nz; ++k) {
    const auto& l = d.layers[grid.cell_layer[k]];
    if (l.has_footprint())
      fp[k] = {l.footprint[0], l.footprint[1], l.footprint[0] + l.footprint[2],
               l.footprint[1] + l.footprint[3]};
  }
  s.op = std::make_unique<LayeredOperator>(grid.x, grid.y, grid.z, kxy, kz, face_bcs(d), fp);
  std::vector<char> planes;
  fill_power(d, grid, part, s.power, planes);
  s.power_in = total_power(s.power, planes);
  bool any_fixed = false;
  for (const auto& f : s.op->bc()) any_fixed = any_fixed || f.fixed;
  if (any_fixed) {
    s.boundary_rhs = boundary_terms(s);
    s.fixed_node.assign(part.size(), 0);
    for (int i = part.i0; i < part.i1; ++i)
      for (int j = part.j0; j < part.j1; ++j)
        for (int k = 0; k < grid.nz(); ++k)
          s.fixed_node[part.index(i, j, k)] = s.op->is_fixed(i, j, k) ? 1 : 0;
  }
  s.compose_rhs();
  return s;
}

void set_power(System& sys, const model::Design& d) {
  const auto bc = face_bcs(d);
  for (int f = 0; f < 6; ++f) {
    const FaceBc& a = bc[f];
    const FaceBc& b = sys.op->bc()[f];
    if (a.h != b.h || a.t_amb != b.t_amb || a.fixed != b.fixed || a.t_fixed != b.t_fixed)
      throw std::invalid_argument(
          "set_power: design '" + d.name + "' has other boundary data on face " +
          std::string(model::face_name(f)) + " than the system it should reuse");
  }
  // The arrays are rewritten in place: a batch or a search sets the power thousands of times.
  std::vector<char> planes;
  fill_power(d, sys.grid, sys.part, sys.power, planes);
  sys.power_in = total_power(sys.power, planes);
  sys.compose_rhs();
}

std::vector<double> boundary_terms(const System& sys) {
  std::vector<double> b(sys.part.size(), 0.0);
  sys.op->add_boundary_rhs(b.data(), sys.part);
  return b;
}

void System::compose_rhs() {
  rhs.resize(power.size());
  const std::size_t n = rhs.size();
  const double *p = power.data(), *br = boundary_rhs.data();
  double* b = rhs.data();
  if (fixed_node.empty()) {
    // Convection only: b = power, plus each boundary node's convective term (one sum per node,
    // added once: the same values as power + the stored terms).
#pragma omp parallel for schedule(static) if (n >= kMinParallelNodes)
    for (std::size_t i = 0; i < n; ++i) b[i] = p[i];
    op->add_boundary_rhs(b, part);
    return;
  }
  const char* fixed = fixed_node.data();
#pragma omp parallel for schedule(static) if (n >= kMinParallelNodes)
  for (std::size_t i = 0; i < n; ++i) b[i] = fixed[i] ? br[i] : p[i] + br[i];
}

EnergyBalance energy_balance(const System& sys, const std::vector<double>& t) {
  if (sys.part.size() != sys.grid.size())
    throw std::logic_error("energy_balance: the system covers a part of the grid only");
  return energy_balance(sys.power_in, sys.op->heat_out(t.data(), sys.power.data()));
}

EnergyBalance energy_balance(double power_in, const std::array<double, 6>& heat_out) {
  EnergyBalance e;
  e.power_in = power_in;
  e.heat_out = heat_out;
  for (double q : e.heat_out) e.total_out += q;
  const double scale = std::max(std::abs(e.power_in), 1e-300);
  e.rel_mismatch = std::abs(e.power_in - e.total_out) / scale;
  return e;
}

}  // namespace heatop::fv
