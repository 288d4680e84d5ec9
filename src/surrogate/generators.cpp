// Seeded input-function generators.

#include "surrogate/generators.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace heatop::surrogate {

std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t step, std::uint64_t index) {
  // splitmix64 over the three numbers.
  auto mix = [](std::uint64_t z) {
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  };
  return mix(mix(mix(seed) ^ step) ^ (index * 0x632BE59BD9B4E019ULL));
}

std::vector<double> psd_sqrt(const std::vector<double>& c, int n) {
  std::vector<double> a = c, v(static_cast<std::size_t>(n) * n, 0.0);
  for (int i = 0; i < n; ++i) v[i * n + i] = 1;
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0;
    for (int p = 0; p < n; ++p)
      for (int q = p + 1; q < n; ++q) off += a[p * n + q] * a[p * n + q];
    if (off < 1e-22) break;
    for (int p = 0; p < n; ++p)
      for (int q = p + 1; q < n; ++q) {
        const double apq = a[p * n + q];
        if (std::abs(apq) < 1e-300) continue;
        const double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const double t = (theta >= 0 ? 1 : -1) / (std::abs(theta) + std::sqrt(theta * theta + 1));
        const double cs = 1 / std::sqrt(t * t + 1), sn = t * cs;
        for (int k = 0; k < n; ++k) {  // A <- A J (columns p, q)
          const double akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = cs * akp - sn * akq;
          a[k * n + q] = sn * akp + cs * akq;
        }
        for (int k = 0; k < n; ++k) {  // A <- J^T A (rows p, q)
          const double apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = cs * apk - sn * aqk;
          a[q * n + k] = sn * apk + cs * aqk;
        }
        for (int k = 0; k < n; ++k) {
          const double vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = cs * vkp - sn * vkq;
          v[k * n + q] = sn * vkp + cs * vkq;
        }
      }
  }
  std::vector<double> l(static_cast<std::size_t>(n) * n);
  for (int j = 0; j < n; ++j) {
    const double s = std::sqrt(std::max(0.0, a[j * n + j]));
    for (int i = 0; i < n; ++i) l[i * n + j] = v[i * n + j] * s;
  }
  return l;
}

namespace {

// Unit-variance Gaussian covariance of n tile centres over [0, length], as its square root.
std::vector<double> axis_factor(int n, double length_m, double scale_m) {
  std::vector<double> c(static_cast<std::size_t>(n) * n);
  for (int a = 0; a < n; ++a)
    for (int b = 0; b < n; ++b) {
      const double d = (a - b) * length_m / n;
      c[a * n + b] = std::exp(-d * d / (2 * scale_m * scale_m));
    }
  return psd_sqrt(c, n);
}

int uniform_int(std::mt19937_64& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}
double uniform(std::mt19937_64& rng, double lo, double hi) {
  return lo == hi ? lo : std::uniform_real_distribution<double>(lo, hi)(rng);
}

}  // namespace

PowerMapGenerator::PowerMapGenerator(const GeneratorConfig& cfg, double lx_m, double ly_m)
    : cfg_(cfg), lx_(lx_m), ly_(ly_m) {
  if (cfg.tiles_x < 1 || cfg.tiles_y < 1 || !(lx_m > 0) || !(ly_m > 0))
    throw std::invalid_argument("generator: tiles and footprint must be positive");
  // The separable covariance (Gaussian kernel in x times in y) factors per axis.
  lx_factor_ = axis_factor(cfg.tiles_x, lx_m, cfg.grf.length_scale_mm * 1e-3);
  ly_factor_ = axis_factor(cfg.tiles_y, ly_m, cfg.grf.length_scale_mm * 1e-3);
}

model::PowerMap PowerMapGenerator::sample(std::mt19937_64& rng) const {
  if (cfg_.type == GeneratorType::grf) return sample_grf(rng);
  if (cfg_.type == GeneratorType::blocks) return sample_blocks(rng);
  if (cfg_.type == GeneratorType::noise) return sample_noise(rng);
  const double u = uniform(rng, 0, 1);
  if (u < cfg_.grf_fraction) return sample_grf(rng);
  return u < cfg_.grf_fraction + cfg_.noise_fraction ? sample_noise(rng) : sample_blocks(rng);
}

model::PowerMap PowerMapGenerator::sample_noise(std::mt19937_64& rng) const {
  model::PowerMap m;
  m.rows = cfg_.tiles_y;
  m.cols = cfg_.tiles_x;
  m.source = "noise";
  const double tile_mm2 = (lx_ / m.cols) * (ly_ / m.rows) * 1e6;
  m.tile_watts.resize(static_cast<std::size_t>(m.rows) * m.cols);
  for (double& w : m.tile_watts)
    w = uniform(rng, cfg_.noise.min_W_per_mm2, cfg_.noise.max_W_per_mm2) * tile_mm2;
  return m;
}

model::PowerMap PowerMapGenerator::sample_grf(std::mt19937_64& rng) const {
  const int nx = cfg_.tiles_x, ny = cfg_.tiles_y;
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> z(static_cast<std::size_t>(nx) * ny), t(z.size(), 0.0);
  for (double& v : z) v = normal(rng);
  // G = Lx Z Ly^T with Z[c][r] (c along x, r along y).
  for (int c = 0; c < nx; ++c)
    for (int r = 0; r < ny; ++r) {
      double s = 0;
      for (int a = 0; a < nx; ++a) {
        double zy = 0;
        for (int b = 0; b < ny; ++b) zy += z[a * ny + b] * ly_factor_[r * ny + b];
        s += lx_factor_[c * nx + a] * zy;
      }
      t[c * ny + r] = s;
    }
  model::PowerMap m;
  m.rows = ny;
  m.cols = nx;
  m.source = "grf";
  m.tile_watts.resize(z.size());
  const double tile_mm2 = (lx_ / nx) * (ly_ / ny) * 1e6;
  for (int r = 0; r < ny; ++r)
    for (int c = 0; c < nx; ++c) {
      double d = cfg_.grf.mean_W_per_mm2 + cfg_.grf.std_W_per_mm2 * t[c * ny + r];
      if (cfg_.grf.clip_nonnegative) d = std::max(d, 0.0);
      m.tile_watts[r * nx + c] = d * tile_mm2;
    }
  return m;
}

model::PowerMap PowerMapGenerator::sample_blocks(std::mt19937_64& rng) const {
  const int nx = cfg_.tiles_x, ny = cfg_.tiles_y;
  const BlocksConfig& b = cfg_.blocks;
  std::vector<double> dens(static_cast<std::size_t>(nx) * ny,
                           uniform(rng, b.background_min_W_per_mm2, b.background_max_W_per_mm2));
  const int count = uniform_int(rng, b.count_min, std::max(b.count_min, b.count_max));
  for (int n = 0; n < count; ++n) {
    const int w = uniform_int(rng, std::min(b.size_min_tiles, nx), std::min(b.size_max_tiles, nx));
    const int h = uniform_int(rng, std::min(b.size_min_tiles, ny), std::min(b.size_max_tiles, ny));
    const int c0 = uniform_int(rng, 0, nx - w), r0 = uniform_int(rng, 0, ny - h);
    const double d = uniform(rng, b.density_min_W_per_mm2, b.density_max_W_per_mm2);
    for (int r = r0; r < r0 + h; ++r)
      for (int c = c0; c < c0 + w; ++c) dens[r * nx + c] += d;
  }
  model::PowerMap m;
  m.rows = ny;
  m.cols = nx;
  m.source = "blocks";
  const double tile_mm2 = (lx_ / nx) * (ly_ / ny) * 1e6;
  m.tile_watts.resize(dens.size());
  for (std::size_t i = 0; i < dens.size(); ++i) m.tile_watts[i] = dens[i] * tile_mm2;
  return m;
}

double sample_htc(const InputConfig& in, std::mt19937_64& rng) {
  return uniform(rng, in.htc_min_W_per_m2K, in.htc_max_W_per_m2K);
}

std::vector<InputValues> draw_inputs(const Problem& p, std::uint64_t seed, std::uint64_t step,
                                     int count, int first) {
  const auto& cfg = p.config();
  std::vector<PowerMapGenerator> gens;
  for (const auto& in : cfg.inputs)
    gens.emplace_back(in.type == InputType::power_map ? in.generator : GeneratorConfig{},
                      p.input_extent(gens.size())[0], p.input_extent(gens.size())[1]);
  std::vector<InputValues> out(count);
  for (int b = 0; b < count; ++b) {
    std::mt19937_64 rng(stream_seed(seed, step, first + b));
    for (std::size_t i = 0; i < cfg.inputs.size(); ++i) {
      if (cfg.inputs[i].type == InputType::htc) {
        out[b].maps.emplace_back();
        out[b].htc.push_back(sample_htc(cfg.inputs[i], rng));
      } else {
        out[b].maps.push_back(gens[i].sample(rng));
        out[b].htc.push_back(0);
      }
    }
  }
  return out;
}

}  // namespace heatop::surrogate
