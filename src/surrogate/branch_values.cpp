// Input values as the branches read them.

#include "surrogate/branch_values.hpp"

#include <algorithm>

#include "fv/system.hpp"

namespace heatop::surrogate {

namespace {

// Mean power density (W/m^2 of footprint) over each node's control volume.
std::vector<double> density(const model::PowerMap& m, double lx, double ly,
                            const std::vector<double>& x, const std::vector<double>& y) {
  std::vector<double> w = fv::integrate_map(m, lx, ly, x, y);
  const auto wx = model::control_widths(x), wy = model::control_widths(y);
  for (std::size_t i = 0; i < x.size(); ++i)
    for (std::size_t j = 0; j < y.size(); ++j) w[i * y.size() + j] /= wx[i] * wy[j];
  return w;
}

// Share of [a, b] inside each cell of n uniform cells over [0, len].
std::vector<double> cell_fractions(int n, double len, double a, double b) {
  std::vector<double> f(n, 0.0);
  if (!(b > a)) return f;
  const double h = len / n;
  const int i0 = std::clamp(static_cast<int>(a / h), 0, n - 1);
  const int i1 = std::clamp(static_cast<int>(b / h), 0, n - 1);
  for (int i = i0; i <= i1; ++i)
    f[i] = std::max(0.0, std::min(b, (i + 1) * h) - std::max(a, i * h)) / (b - a);
  return f;
}

}  // namespace

std::vector<double> cell_density(const model::PowerMap& m, double lx, double ly, int cx, int cy) {
  std::vector<double> out(static_cast<std::size_t>(cx) * cy, 0.0);
  auto add = [&](double watts, double x0, double x1, double y0, double y1) {
    if (watts == 0) return;
    const auto fx = cell_fractions(cx, lx, x0, x1), fy = cell_fractions(cy, ly, y0, y1);
    for (int i = 0; i < cx; ++i) {
      if (fx[i] == 0) continue;
      for (int j = 0; j < cy; ++j)
        out[static_cast<std::size_t>(i) * cy + j] += watts * fx[i] * fy[j];
    }
  };
  for (int r = 0; r < m.rows && !m.tile_watts.empty(); ++r)
    for (int c = 0; c < m.cols; ++c)
      add(m.tile_watts[static_cast<std::size_t>(r) * m.cols + c], lx * c / m.cols,
          lx * (c + 1) / m.cols, ly * r / m.rows, ly * (r + 1) / m.rows);
  for (const auto& b : m.blocks) add(b.power, b.x, b.x + b.w, b.y, b.y + b.h);
  const double area = (lx / cx) * (ly / cy);
  for (double& v : out) v /= area;
  return out;
}

std::vector<double> sensor_nodes(int n, double length_m) {
  return model::uniform_nodes(n, length_m);
}

int input_dim(const InputConfig& in) {
  return in.type == InputType::htc ? 1 : in.sensors_x * in.sensors_y;
}

namespace {

void htc_range(const InputConfig& in, double& mid, double& half) {
  mid = 0.5 * (in.htc_min_W_per_m2K + in.htc_max_W_per_m2K);
  half = 0.5 * (in.htc_max_W_per_m2K - in.htc_min_W_per_m2K);
}

}  // namespace

double htc_of_branch(const InputConfig& in, double value) {
  double mid, half;
  htc_range(in, mid, half);
  return mid + half * value;
}

std::vector<std::vector<double>> branch_values(const Problem& p,
                                               const std::vector<InputValues>& batch) {
  const auto& cfg = p.config();
  const double qref = p.norm().q_ref();
  std::vector<std::vector<double>> out;
  for (std::size_t i = 0; i < cfg.inputs.size(); ++i) {
    const InputConfig& in = cfg.inputs[i];
    const auto [lx, ly] = p.input_extent(i);
    std::vector<double> v;
    v.reserve(batch.size() * input_dim(in));
    if (in.type == InputType::htc) {
      double mid, half;
      htc_range(in, mid, half);
      for (const auto& s : batch) v.push_back(half > 0 ? (s.htc[i] - mid) / half : 0.0);
    } else if (in.sensor_layout == SensorLayout::cells) {
      for (const auto& s : batch)
        for (double d : cell_density(s.maps[i], lx, ly, in.sensors_x, in.sensors_y))
          v.push_back(d / qref);
    } else {
      const auto xs = sensor_nodes(in.sensors_x, lx), ys = sensor_nodes(in.sensors_y, ly);
      for (const auto& s : batch)
        for (double d : density(s.maps[i], lx, ly, xs, ys)) v.push_back(d / qref);
    }
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace heatop::surrogate
