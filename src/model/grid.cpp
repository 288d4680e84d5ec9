#include "model/grid.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <stdexcept>
#include <string>

namespace heatop::model {

std::vector<double> uniform_nodes(int n, double length) {
  std::vector<double> v(n);
  for (int i = 0; i < n; ++i) v[i] = length * i / (n - 1);
  v[n - 1] = length;
  return v;
}

std::vector<double> control_widths(const std::vector<double>& nodes) {
  const std::size_t n = nodes.size();
  std::vector<double> w(n, 0.0);
  for (std::size_t i = 0; i + 1 < n; ++i) {
    const double d = nodes[i + 1] - nodes[i];
    w[i] += 0.5 * d;
    w[i + 1] += 0.5 * d;
  }
  return w;
}

namespace {

// Splits `total` cells over layers in proportion to thickness, at least one each, keeping the
// cells a layer asked for (largest-remainder rounding for the rest).
std::vector<int> distribute_cells(const Design& d, int total) {
  const std::size_t nl = d.layers.size();
  std::vector<int> cells(nl, 0);
  int fixed = 0;
  double free_thickness = 0;
  for (std::size_t l = 0; l < nl; ++l) {
    if (d.layers[l].cells > 0) {
      cells[l] = d.layers[l].cells;
      fixed += cells[l];
    } else {
      free_thickness += d.layers[l].thickness;
    }
  }
  int left = total - fixed;
  std::vector<std::size_t> free_layers;
  for (std::size_t l = 0; l < nl; ++l)
    if (d.layers[l].cells == 0) free_layers.push_back(l);
  if (free_layers.empty()) {
    if (left != 0)
      throw std::invalid_argument("grid.nz = " + std::to_string(total + 1) +
                                  " does not match the layers' cells, which add up to " +
                                  std::to_string(fixed) + " cells (nz = cells + 1)");
    return cells;
  }
  if (left < static_cast<int>(free_layers.size()))
    throw std::invalid_argument("grid.nz = " + std::to_string(total + 1) +
                                " leaves fewer than one z cell for each layer without 'cells'");
  std::vector<double> remainder(nl, 0.0);
  int assigned = 0;
  for (std::size_t l : free_layers) {
    const double share = left * d.layers[l].thickness / free_thickness;
    cells[l] = std::max(1, static_cast<int>(std::floor(share)));
    remainder[l] = share - std::floor(share);
    assigned += cells[l];
  }
  while (assigned < left) {
    std::size_t best = free_layers[0];
    for (std::size_t l : free_layers)
      if (remainder[l] > remainder[best]) best = l;
    cells[best] += 1;
    remainder[best] = -1;
    ++assigned;
  }
  while (assigned > left) {  // only when many thin layers were bumped to one cell
    std::size_t best = free_layers[0];
    for (std::size_t l : free_layers)
      if (cells[l] > cells[best]) best = l;
    cells[best] -= 1;
    --assigned;
  }
  return cells;
}

// Lateral nodes along one axis: explicit ones, or `n` nodes that are uniform between the
// breakpoints (box ends and footprint edges), cells shared out in proportion to length.
std::vector<double> lateral_nodes(const std::vector<double>& explicit_nodes, int n, double length,
                                  std::vector<double> breaks, const char* axis) {
  const double tol = 1e-9 * length;
  if (!explicit_nodes.empty()) {
    const auto& v = explicit_nodes;
    for (std::size_t i = 0; i + 1 < v.size(); ++i)
      if (!(v[i + 1] > v[i]))
        throw std::invalid_argument(std::string("grid.") + axis +
                                    "_nodes_mm must increase strictly");
    if (v.size() < 2 || std::abs(v.front()) > tol || std::abs(v.back() - length) > tol)
      throw std::invalid_argument(std::string("grid.") + axis +
                                  "_nodes_mm must start at 0 and end at the die's edge");
    std::vector<double> out = v;
    out.front() = 0;
    out.back() = length;
    return out;
  }
  breaks.push_back(0);
  breaks.push_back(length);
  std::sort(breaks.begin(), breaks.end());
  std::vector<double> b;
  for (double x : breaks)
    if (b.empty() || x - b.back() > tol) b.push_back(std::min(x, length));
  b.back() = length;
  const int segs = static_cast<int>(b.size()) - 1;
  if (segs == 1) return uniform_nodes(n, length);
  if (n - 1 < segs)
    throw std::invalid_argument(std::string("grid.n") + axis + " = " + std::to_string(n) +
                                " is too small for the " + std::to_string(segs + 1) +
                                " footprint edges along " + axis + "; use at least " +
                                std::to_string(segs + 1));
  std::vector<int> cells(segs);
  int used = 0;
  for (int s = 0; s < segs; ++s) {
    cells[s] = std::max(1, static_cast<int>(std::lround((n - 1) * (b[s + 1] - b[s]) / length)));
    used += cells[s];
  }
  // Fix rounding on the longest segments.
  while (used != n - 1) {
    int best = 0;
    for (int s = 1; s < segs; ++s)
      if ((used > n - 1 ? cells[s] > cells[best]
                        : (b[s + 1] - b[s]) / cells[s] > (b[best + 1] - b[best]) / cells[best]))
        best = s;
    if (used > n - 1 && cells[best] == 1) break;
    cells[best] += used > n - 1 ? -1 : 1;
    used += used > n - 1 ? -1 : 1;
  }
  std::vector<double> out{0.0};
  for (int s = 0; s < segs; ++s)
    for (int c = 1; c <= cells[s]; ++c)
      out.push_back(c == cells[s] ? b[s + 1] : b[s] + (b[s + 1] - b[s]) * c / cells[s]);
  return out;
}

}  // namespace

std::size_t grid_node_count(const Design& d) {
  const double nx = d.grid.x_nodes.empty() ? std::max(d.grid.nx, 0) : d.grid.x_nodes.size();
  const double ny = d.grid.y_nodes.empty() ? std::max(d.grid.ny, 0) : d.grid.y_nodes.size();
  double nz = 0;
  if (!d.grid.z_nodes.empty()) {
    nz = static_cast<double>(d.grid.z_nodes.size());
  } else if (d.grid.nz > 0) {
    nz = d.grid.nz;
    double fixed = 1;  // layers with explicit cells set nz when they ask for more
    for (const auto& l : d.layers) fixed += std::max(l.cells, 1);
    nz = std::max(nz, fixed);
  } else {
    nz = 1;
    const double h = std::min(d.lx / std::max(d.grid.nx - 1, 1), d.ly / std::max(d.grid.ny - 1, 1));
    for (const auto& l : d.layers)
      nz += l.cells > 0 ? l.cells : std::clamp(std::round(l.thickness / h), 1.0, 64.0);
  }
  const double n = nx * ny * nz;
  return n >= 1.8e19 || !(n >= 0) ? SIZE_MAX : static_cast<std::size_t>(n);
}

void check_grid_memory(std::size_t nodes) {
  const double need = static_cast<double>(nodes) * static_cast<double>(estimated_solver_bytes(1));
  const std::size_t avail = available_memory_bytes();
  if (avail > 0 && need > static_cast<double>(avail)) {
    char buf[160];
    std::snprintf(buf, sizeof(buf),
                  "%.4g nodes need about %.1f GiB, but only %.1f GiB are available",
                  static_cast<double>(nodes), need / 1073741824.0, avail / 1073741824.0);
    throw std::invalid_argument(std::string("grid too large for this machine: ") + buf +
                                ". Reduce grid.nx, grid.ny or grid.nz.");
  }
}

Grid build_grid(const Design& d, bool check_memory) {
  if (check_memory) check_grid_memory(grid_node_count(d));  // before any array of N exists
  Grid g;
  std::vector<double> bx, by;
  for (const auto& l : d.layers)
    if (l.has_footprint()) {
      bx.push_back(l.footprint[0]);
      bx.push_back(l.footprint[0] + l.footprint[2]);
      by.push_back(l.footprint[1]);
      by.push_back(l.footprint[1] + l.footprint[3]);
    }
  g.x = lateral_nodes(d.grid.x_nodes, d.grid.nx, d.lx, bx, "x");
  g.y = lateral_nodes(d.grid.y_nodes, d.grid.ny, d.ly, by, "y");
  const std::size_t nl = d.layers.size();
  std::vector<double> interfaces(nl + 1, 0.0);
  for (std::size_t l = 0; l < nl; ++l) interfaces[l + 1] = interfaces[l] + d.layers[l].thickness;

  if (!d.grid.z_nodes.empty()) {
    g.z = d.grid.z_nodes;
    const double tol = 1e-9 * interfaces.back();
    for (std::size_t k = 0; k + 1 < g.z.size(); ++k)
      if (!(g.z[k + 1] > g.z[k]))
        throw std::invalid_argument("grid.z_nodes_mm must increase strictly (node " +
                                    std::to_string(k + 1) + ")");
    if (std::abs(g.z.front()) > tol || std::abs(g.z.back() - interfaces.back()) > tol)
      throw std::invalid_argument("grid.z_nodes_mm must start at 0 and end at the stack top");
    for (double zi : interfaces) {
      auto it =
          std::find_if(g.z.begin(), g.z.end(), [&](double v) { return std::abs(v - zi) <= tol; });
      if (it == g.z.end())
        throw std::invalid_argument("grid.z_nodes_mm must contain every layer interface; " +
                                    std::to_string(zi * 1e3) + " mm is missing");
      *it = zi;
    }
  } else {
    std::vector<int> cells;
    if (d.grid.nz > 0) {
      cells = distribute_cells(d, d.grid.nz - 1);
    } else {
      // No nz: layers without cells get roughly cubic cells, between 1 and 64.
      const double h = std::min(d.lx / (d.grid.nx - 1), d.ly / (d.grid.ny - 1));
      for (const auto& l : d.layers)
        cells.push_back(l.cells > 0
                            ? l.cells
                            : std::clamp(static_cast<int>(std::lround(l.thickness / h)), 1, 64));
    }
    g.z.push_back(0.0);
    for (std::size_t l = 0; l < nl; ++l)
      for (int c = 1; c <= cells[l]; ++c)
        g.z.push_back(c == cells[l] ? interfaces[l + 1]
                                    : interfaces[l] + d.layers[l].thickness * c / cells[l]);
  }
  g.cell_layer.resize(g.z.size() - 1);
  std::size_t layer = 0;
  for (std::size_t k = 0; k + 1 < g.z.size(); ++k) {
    const double mid = 0.5 * (g.z[k] + g.z[k + 1]);
    while (layer + 1 < nl && mid > interfaces[layer + 1]) ++layer;
    g.cell_layer[k] = static_cast<int>(layer);
  }
  return g;
}

std::size_t estimated_solver_bytes(std::size_t n) {
  // Solution, right-hand side, diagonal, five Krylov vectors, plus the multigrid hierarchy
  // (about a third more of three vectors per level) and the output copy: ~14 doubles per node.
  return n * sizeof(double) * 14;
}

std::size_t available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::size_t value = 0;
  std::string unit;
  while (in >> key >> value >> unit)
    if (key == "MemAvailable:") return value * 1024;
  return 0;
}

}  // namespace heatop::model
