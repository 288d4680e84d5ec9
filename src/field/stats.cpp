#include "field/stats.hpp"

#include <algorithm>
#include <cmath>

namespace heatop::field {

std::pair<int, int> layer_nodes(const model::Grid& g, int l) {
  int k0 = -1, k1 = -1;
  for (int k = 0; k + 1 < g.nz(); ++k)
    if (g.cell_layer[k] == l) {
      if (k0 < 0) k0 = k;
      k1 = k + 1;
    }
  return {k0, k1};
}

std::vector<double> plane(const Field3D& f, int k) {
  std::vector<double> p(f.nx() * f.ny());
  for (std::size_t i = 0; i < f.nx(); ++i)
    for (std::size_t j = 0; j < f.ny(); ++j) p[i * f.ny() + j] = f.at(i, j, k);
  return p;
}

PartStats part_stats(const double* values, int i0, int i1, int j0, int j1, const model::Grid& grid,
                     const model::Design& d) {
  const auto wx = model::control_widths(grid.x), wy = model::control_widths(grid.y),
             wz = model::control_widths(grid.z);
  const int nz = grid.nz(), my = j1 - j0;
  auto at = [&](int i, int j, int k) {
    return values[(static_cast<std::size_t>(i - i0) * my + (j - j0)) * nz + k];
  };
  PartStats p;
  for (int i = i0; i < i1; ++i)
    for (int j = j0; j < j1; ++j)
      for (int k = 0; k < nz; ++k) {
        const double v = at(i, j, k);
        if (std::isnan(v)) continue;
        const double vol = wx[i] * wy[j] * wz[k];
        p.t_sum += v * vol;
        p.v_sum += vol;
        p.t_min = std::min(p.t_min, v);
        if (v > p.t_max) {
          p.t_max = v;
          p.hotspot_node = {i, j, k};
        }
      }
  for (std::size_t l = 0; l < d.layers.size(); ++l) {
    const auto [k0, k1] = layer_nodes(grid, static_cast<int>(l));
    double lmax = -1e300, lmin = 1e300;
    for (int i = i0; i < i1; ++i)
      for (int j = j0; j < j1; ++j)
        for (int k = k0; k >= 0 && k <= k1; ++k) {
          const double v = at(i, j, k);
          if (std::isnan(v)) continue;
          lmax = std::max(lmax, v);
          lmin = std::min(lmin, v);
        }
    p.layer_max.push_back(lmax);
    p.layer_min.push_back(lmin);
  }
  return p;
}

std::vector<double> PartStats::as_doubles() const {
  std::vector<double> v{t_max,
                        t_min,
                        t_sum,
                        v_sum,
                        static_cast<double>(hotspot_node[0]),
                        static_cast<double>(hotspot_node[1]),
                        static_cast<double>(hotspot_node[2])};
  v.insert(v.end(), layer_max.begin(), layer_max.end());
  v.insert(v.end(), layer_min.begin(), layer_min.end());
  return v;
}

PartStats PartStats::from_doubles(const double* v, std::size_t layers) {
  PartStats p;
  p.t_max = v[0];
  p.t_min = v[1];
  p.t_sum = v[2];
  p.v_sum = v[3];
  p.hotspot_node = {static_cast<int>(v[4]), static_cast<int>(v[5]), static_cast<int>(v[6])};
  p.layer_max.assign(v + 7, v + 7 + layers);
  p.layer_min.assign(v + 7 + layers, v + 7 + 2 * layers);
  return p;
}

FieldStats combine_stats(const std::vector<PartStats>& parts, const model::Grid& grid,
                         const model::Design& d) {
  double tmax = -1e300, tmin = 1e300, tsum = 0, vsum = 0;
  std::array<int, 3> hot{0, 0, 0};
  bool have = false;
  std::vector<double> lmax(d.layers.size(), -1e300), lmin(d.layers.size(), 1e300);
  for (const PartStats& p : parts) {
    tsum += p.t_sum;
    vsum += p.v_sum;
    tmin = std::min(tmin, p.t_min);
    if (p.hotspot_node[0] >= 0 &&
        (!have || p.t_max > tmax || (p.t_max == tmax && p.hotspot_node < hot))) {
      tmax = p.t_max;
      hot = p.hotspot_node;
      have = true;
    }
    for (std::size_t l = 0; l < lmax.size(); ++l) {
      lmax[l] = std::max(lmax[l], p.layer_max[l]);
      lmin[l] = std::min(lmin[l], p.layer_min[l]);
    }
  }
  FieldStats s;
  s.t_max = tmax;
  s.t_min = tmin;
  s.t_mean = tsum / vsum;
  s.hotspot_m = {grid.x[hot[0]], grid.y[hot[1]], grid.z[hot[2]]};
  s.hotspot_node = hot;
  for (std::size_t l = 0; l < d.layers.size(); ++l)
    s.layers.push_back({d.layers[l].name, lmax[l], lmin[l], d.layers[l].power.total()});
  return s;
}

FieldStats field_stats(const Field3D& field, const model::Grid& grid, const model::Design& d) {
  return combine_stats({part_stats(field.values.data(), 0, grid.nx(), 0, grid.ny(), grid, d)}, grid,
                       d);
}

std::vector<double> plane_maxima(const double* values, int i0, int i1, int j0, int j1, int nz) {
  std::vector<double> m(nz, -1e300);
  const std::size_t columns = static_cast<std::size_t>(i1 - i0) * (j1 - j0);
  for (std::size_t c = 0; c < columns; ++c)
    for (int k = 0; k < nz; ++k) {
      const double v = values[c * nz + k];
      if (v > m[k]) m[k] = v;  // NaN never compares greater
    }
  return m;
}

}  // namespace heatop::field
