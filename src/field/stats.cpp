#include "field/stats.hpp"

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

FieldStats field_stats(const Field3D& field, const model::Grid& grid, const model::Design& d) {
  const auto wx = model::control_widths(grid.x), wy = model::control_widths(grid.y),
             wz = model::control_widths(grid.z);
  double tmax = -1e300, tmin = 1e300, tsum = 0, vsum = 0;
  int imax = 0, jmax = 0, kmax = 0;
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
  FieldStats s;
  s.t_max = tmax;
  s.t_min = tmin;
  s.t_mean = tsum / vsum;
  s.hotspot_m = {grid.x[imax], grid.y[jmax], grid.z[kmax]};
  s.hotspot_node = {imax, jmax, kmax};
  for (std::size_t l = 0; l < d.layers.size(); ++l) {
    const auto [k0, k1] = layer_nodes(grid, static_cast<int>(l));
    double lmax = -1e300, lmin = 1e300;
    for (int i = 0; i < grid.nx(); ++i)
      for (int j = 0; j < grid.ny(); ++j)
        for (int k = k0; k >= 0 && k <= k1; ++k) {
          if (std::isnan(field.at(i, j, k))) continue;
          lmax = std::max(lmax, field.at(i, j, k));
          lmin = std::min(lmin, field.at(i, j, k));
        }
    s.layers.push_back({d.layers[l].name, lmax, lmin, d.layers[l].power.total()});
  }
  return s;
}

}  // namespace heatop::field
