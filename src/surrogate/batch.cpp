// Input values to tensors.

#include "surrogate/batch.hpp"

#include <algorithm>
#include <cmath>

#include "fv/system.hpp"
#include "surrogate/branch_values.hpp"

namespace heatop::surrogate {

namespace {

// Power density (W/m^2) of a piecewise-constant map at points: the mean of the values just
// around each point (the mean of the adjacent tiles on a tile edge).
std::vector<double> point_density(const model::PowerMap& m, double lx, double ly,
                                  const std::vector<double>& x, const std::vector<double>& y) {
  std::vector<double> out(x.size() * y.size(), 0.0);
  const double ex = 1e-9 * lx, ey = 1e-9 * ly;
  auto at = [&](double px, double py) {
    double d = 0;
    if (!m.tile_watts.empty()) {
      const int c = std::clamp(static_cast<int>(px / lx * m.cols), 0, m.cols - 1);
      const int r = std::clamp(static_cast<int>(py / ly * m.rows), 0, m.rows - 1);
      d += m.tile_watts[static_cast<std::size_t>(r) * m.cols + c] / (lx / m.cols * ly / m.rows);
    }
    for (const auto& b : m.blocks)
      if (px >= b.x && px < b.x + b.w && py >= b.y && py < b.y + b.h) d += b.power / (b.w * b.h);
    return d;
  };
  for (std::size_t i = 0; i < x.size(); ++i)
    for (std::size_t j = 0; j < y.size(); ++j) {
      const double xa = std::max(0.0, x[i] - ex), xb = std::min(lx, x[i] + ex);
      const double ya = std::max(0.0, y[j] - ey), yb = std::min(ly, y[j] + ey);
      out[i * y.size() + j] = 0.25 * (at(xa, ya) + at(xa, yb) + at(xb, ya) + at(xb, yb));
    }
  return out;
}

torch::Tensor to_tensor(std::vector<double> v, std::vector<int64_t> shape,
                        const TensorOptions& to) {
  return torch::from_blob(v.data(), shape, torch::kFloat64).clone().to(to.options());
}

}  // namespace

void gauss_legendre(int n, std::vector<double>& nodes, std::vector<double>& weights) {
  // Newton on the Legendre polynomial P_n from Chebyshev-like starting points.
  nodes.assign(n, 0.0);
  weights.assign(n, 0.0);
  const double pi = std::acos(-1.0);
  for (int i = 0; i < n; ++i) {
    double x = std::cos(pi * (i + 0.75) / (n + 0.5)), dp = 1;
    for (int it = 0; it < 100; ++it) {
      double p0 = 1, p1 = x;
      for (int k = 2; k <= n; ++k) {
        const double p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = n * (x * p1 - p0) / (x * x - 1);
      const double dx = p1 / dp;
      x -= dx;
      if (std::abs(dx) < 1e-15) break;
    }
    nodes[n - 1 - i] = x;
    weights[n - 1 - i] = 2 / ((1 - x * x) * dp * dp);
  }
}

std::array<int, 2> flux_cells(const Problem& p, int face) {
  const model::Design& base = p.base();
  if (p.config().training.power_residual == PowerResidual::points ||
      base.faces[face].type != model::BcType::kPower ||
      (face != model::kTop && face != model::kBottom))
    return {0, 0};
  const auto& cfg = p.config();
  for (std::size_t i = 0; i < cfg.inputs.size(); ++i)
    if (cfg.inputs[i].type == InputType::power_map && p.input_layer(i) < 0 &&
        p.input_face(i) == face)
      return {cfg.inputs[i].generator.tiles_x, cfg.inputs[i].generator.tiles_y};
  const model::PowerMap& m = base.faces[face].power;
  if (!m.tile_watts.empty() && m.blocks.empty()) return {m.cols, m.rows};
  return {0, 0};
}

std::vector<VolumeCells> volume_cells(const Problem& p) {
  std::vector<VolumeCells> out;
  const auto& cfg = p.config();
  if (cfg.training.power_residual == PowerResidual::points) return out;
  for (std::size_t i = 0; i < cfg.inputs.size(); ++i)
    if (cfg.inputs[i].type == InputType::power_map && p.input_layer(i) >= 0)
      out.push_back(
          {p.input_layer(i), cfg.inputs[i].generator.tiles_x, cfg.inputs[i].generator.tiles_y});
  return out;
}

std::vector<torch::Tensor> branch_inputs(const Problem& p, const std::vector<InputValues>& batch,
                                         const TensorOptions& to) {
  const auto& cfg = p.config();
  const int64_t b = static_cast<int64_t>(batch.size());
  std::vector<std::vector<double>> v = branch_values(p, batch);
  std::vector<torch::Tensor> out;
  for (std::size_t i = 0; i < cfg.inputs.size(); ++i)
    out.push_back(
        to_tensor(std::move(v[i]), {b, static_cast<int64_t>(input_dim(cfg.inputs[i]))}, to));
  return out;
}

PhysicsBatch physics_batch(const Problem& p, const model::Grid& grid,
                           const std::vector<InputValues>& batch, const TensorOptions& to) {
  PhysicsBatch pb;
  pb.branch = branch_inputs(p, batch, to);
  const auto& cfg = p.config();
  const model::Design& base = p.base();
  const Normalisation& nm = p.norm();
  const int64_t b = static_cast<int64_t>(batch.size()), nx = grid.nx(), ny = grid.ny(),
                nz = grid.nz();
  // Which input drives what.
  std::array<int, 6> face_map, face_htc;
  face_map.fill(-1);
  face_htc.fill(-1);
  std::vector<int> layer_map(base.layers.size(), -1);
  for (std::size_t i = 0; i < cfg.inputs.size(); ++i) {
    if (cfg.inputs[i].type == InputType::htc)
      face_htc[p.input_face(i)] = static_cast<int>(i);
    else if (p.input_layer(i) >= 0)
      layer_map[p.input_layer(i)] = static_cast<int>(i);
    else
      face_map[p.input_face(i)] = static_cast<int>(i);
  }
  for (int f = 0; f < model::kNumFaces; ++f) {
    const model::Boundary& bc = base.faces[f];
    if (face_htc[f] >= 0) {
      std::vector<double> v;
      for (const auto& s : batch) v.push_back(s.htc[face_htc[f]] * nm.length_m / nm.k_ref_W_per_mK);
      pb.bi[f] = to_tensor(v, {b, 1, 1}, to);
    } else if (bc.type == model::BcType::kConvective || bc.type == model::BcType::kPower) {
      pb.bi[f] = to_tensor({bc.h * nm.length_m / nm.k_ref_W_per_mK}, {1, 1, 1}, to);
    }
    if (bc.type != model::BcType::kPower || (f != model::kTop && f != model::kBottom)) continue;
    std::vector<double> v;
    const std::array<int, 2> cells = flux_cells(p, f);
    if (cells[0] > 0) {
      if (face_map[f] >= 0) {
        for (const auto& s : batch)
          for (double d : cell_density(s.maps[face_map[f]], base.lx, base.ly, cells[0], cells[1]))
            v.push_back(d / nm.q_ref());
        pb.q_cells[f] = to_tensor(v, {b, cells[0], cells[1]}, to);
      } else {
        for (double d : cell_density(bc.power, base.lx, base.ly, cells[0], cells[1]))
          v.push_back(d / nm.q_ref());
        pb.q_cells[f] = to_tensor(v, {1, cells[0], cells[1]}, to);
      }
      continue;
    }
    if (face_map[f] >= 0) {
      for (const auto& s : batch)
        for (double d : point_density(s.maps[face_map[f]], base.lx, base.ly, grid.x, grid.y))
          v.push_back(d / nm.q_ref());
      pb.q[f] = to_tensor(v, {b, nx, ny}, to);
    } else if (!bc.power.empty()) {
      for (double d : point_density(bc.power, base.lx, base.ly, grid.x, grid.y))
        v.push_back(d / nm.q_ref());
      pb.q[f] = to_tensor(v, {1, nx, ny}, to);
    }
  }
  // Volumetric sources: q_v L^2 / (k_ref dT) at nodes inside a powered layer (interfaces
  // excluded: the PDE is not imposed there).
  bool any = false;
  for (std::size_t l = 0; l < base.layers.size(); ++l)
    any |= layer_map[l] >= 0 || !base.layers[l].power.empty();
  if (!any) return pb;
  const int64_t bs =
      std::any_of(layer_map.begin(), layer_map.end(), [](int i) { return i >= 0; }) ? b : 1;
  std::vector<double> src(static_cast<std::size_t>(bs * nx * ny * nz), 0.0);
  const double scale = nm.length_m * nm.length_m / (nm.k_ref_W_per_mK * nm.delta_T_K);
  const std::vector<VolumeCells> vcs = volume_cells(p);
  std::vector<bool> averaged(base.layers.size(), false);
  for (const VolumeCells& vc : vcs) {
    std::vector<double> c;
    const double t = base.layers[vc.layer].thickness;
    for (const auto& s : batch)
      for (double d : cell_density(s.maps[layer_map[vc.layer]], base.lx, base.ly, vc.cx, vc.cy))
        c.push_back(d / t * scale);
    pb.source_cells.push_back(to_tensor(c, {b, vc.cx, vc.cy}, to));
    averaged[vc.layer] = true;
  }
  for (std::size_t l = 0; l < base.layers.size(); ++l) {
    if (layer_map[l] < 0 && base.layers[l].power.empty()) continue;
    if (averaged[l]) continue;  // averaged over tiles instead
    std::vector<int> ks;
    for (int k = 0; k < nz; ++k) {
      const bool iface = k > 0 && k + 1 < nz && grid.cell_layer[k - 1] != grid.cell_layer[k];
      if (!iface && Problem::node_layer(grid, k) == static_cast<int>(l)) ks.push_back(k);
    }
    for (int64_t s = 0; s < bs; ++s) {
      const model::PowerMap& m =
          layer_map[l] >= 0 ? batch[s].maps[layer_map[l]] : base.layers[l].power;
      const auto d = point_density(m, base.lx, base.ly, grid.x, grid.y);
      for (int64_t ij = 0; ij < nx * ny; ++ij)
        for (int k : ks)
          src[(s * nx * ny + ij) * nz + k] += d[ij] / base.layers[l].thickness * scale;
    }
  }
  pb.source = to_tensor(src, {bs, nx, ny, nz}, to);
  return pb;
}

}  // namespace heatop::surrogate
