// The solved modal operator in plain C++ (solved_operator.hpp).

#include "surrogate/solved_operator.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "surrogate/auto_config.hpp"
#include "surrogate/branch_values.hpp"
#include "surrogate/checkpoint_file.hpp"

extern "C" void dgemm_(const char* transa, const char* transb, const int* m, const int* n,
                       const int* k, const double* alpha, const double* a, const int* lda,
                       const double* b, const int* ldb, const double* beta, double* c,
                       const int* ldc);

extern "C" void sgemm_(const char* transa, const char* transb, const int* m, const int* n,
                       const int* k, const float* alpha, const float* a, const int* lda,
                       const float* b, const int* ldb, const float* beta, float* c, const int* ldc);

namespace heatop::surrogate {

namespace {

// Row-major C [m, n] = A [m, k] B [k, n] (lda, ldb, ldc: row strides), through the column-major
// BLAS as C^T = B^T A^T.
void gemm(int m, int n, int k, const double* a, int lda, const double* b, int ldb, double* c,
          int ldc) {
  const double one = 1, zero = 0;
  dgemm_("N", "N", &n, &m, &k, &one, b, &ldb, a, &lda, &zero, c, &ldc);
}

// Row-major C [m, n] = A [m, k] B^T, B [n, k], in single precision.
void sgemm_bt(int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c,
              int ldc) {
  const float one = 1, zero = 0;
  sgemm_("T", "N", &n, &m, &k, &one, b, &ldb, a, &lda, &zero, c, &ldc);
}

int side_of(int face) { return face == model::kBottom ? 0 : 1; }

}  // namespace

double cosine_mode_rate(int k) { return k * M_PI / 2; }

// Mode k scaled by 1 / (1 + a_k): the field's amplitude of a flux mode falls like 1/k, so the
// coefficients of every mode are of one size.
double cosine_mode_scale(int k) { return 1.0 / (1.0 + k * M_PI / 2); }

std::vector<double> cosine_transform(int r, int s, bool cells) {
  std::vector<double> t(static_cast<std::size_t>(r) * s);
  for (int k = 0; k < r; ++k)
    for (int c = 0; c < s; ++c) {
      double v;
      if (cells) {
        const double x0 = double(c) / s, x1 = double(c + 1) / s;
        v = k == 0 ? 1.0 / s : (std::sin(k * M_PI * x1) - std::sin(k * M_PI * x0)) / (k * M_PI);
      } else {
        const double w = (c == 0 || c == s - 1 ? 0.5 : 1.0) / (s - 1);
        v = w * std::cos(k * M_PI * c / (s - 1.0));
      }
      t[static_cast<std::size_t>(k) * s + c] = v;
    }
  return t;
}

ModalRates modal_rates(const Problem& p, int m) {
  ModalRates r;
  const model::Design& d = p.base();
  const double L = p.norm().length_m;
  for (int a = 0; a < m; ++a)
    for (int b = 0; b < m; ++b) {
      r.rates.push_back(M_PI * L * std::hypot(a / d.lx, b / d.ly));
      // The inverse of the lateral modes' scales (and of the cosine transform's halving of
      // a >= 1 modes), so that a source function's weight is the map's coefficient itself.
      r.source_scale.push_back((1 + a * M_PI / 2) * (1 + b * M_PI / 2) * (a > 0 ? 2 : 1) *
                               (b > 0 ? 2 : 1));
    }
  return r;
}

std::vector<int> peak_planes(const Problem& p, const model::Grid& grid) {
  const model::Design& d = p.base();
  std::vector<char> powered(d.layers.size(), 0);
  for (std::size_t l = 0; l < d.layers.size(); ++l) powered[l] = !d.layers[l].power.empty();
  for (std::size_t i = 0; i < p.config().inputs.size(); ++i)
    if (p.input_layer(i) >= 0) powered[p.input_layer(i)] = 1;
  std::vector<char> keep(grid.nz(), 0);
  double z0 = 0;
  for (std::size_t l = 0; l < d.layers.size(); ++l) {
    const double z1 = z0 + d.layers[l].thickness, tol = 1e-9 * (z1 - z0);
    if (powered[l])
      for (int k = 0; k < grid.nz(); ++k)
        if (grid.z[k] >= z0 - tol && grid.z[k] <= z1 + tol) keep[k] = 1;
    z0 = z1;
  }
  for (int f : {model::kBottom, model::kTop}) {
    const model::BcType t = d.faces[f].type;
    if (t == model::BcType::kPower || t == model::BcType::kFixed)
      keep[f == model::kTop ? grid.nz() - 1 : 0] = 1;
  }
  for (int f : {model::kWest, model::kEast, model::kSouth, model::kNorth})
    if (d.faces[f].type == model::BcType::kFixed || d.faces[f].type == model::BcType::kPower)
      std::fill(keep.begin(), keep.end(), 1);  // a side face may hold it
  std::vector<int> planes;
  for (int k = 0; k < grid.nz(); ++k)
    if (keep[k]) planes.push_back(k);
  if (planes.empty())  // no power anywhere: every node
    for (int k = 0; k < grid.nz(); ++k) planes.push_back(k);
  return planes;
}

bool SolvedOperator::describes(const OperatorConfig& cfg) {
  return cfg.network.core == Core::modal && cfg.network.modal_core == ModalCore::solved;
}

namespace {

// The basis of a solved core: every mode's depth functions at its own wavenumber.
StackBasis solved_basis(const Problem& p, const OperatorConfig& cfg) {
  if (!SolvedOperator::describes(cfg))
    throw std::invalid_argument(
        "not a solved modal operator (network.core: modal with network.modal_core: solved)");
  const ModalRates mr = modal_rates(p, cfg.network.trunk.modes);
  return StackBasis(p.stack_profile(), mr.rates, mr.source_scale);
}

}  // namespace

SolvedOperator::SolvedOperator(const model::Design& base, const OperatorConfig& cfg)
    : problem_(base, cfg), modes_(cfg.network.trunk.modes), basis_(solved_basis(problem_, cfg)) {
  const Problem& p = problem_;
  const model::Design& d = p.base();
  const std::vector<InputConfig>& inputs = cfg.inputs;
  std::vector<bool> layer_in(d.layers.size(), false), face_in(model::kNumFaces, false);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].type == InputType::htc)
      htc_input_[side_of(p.input_face(i))] = static_cast<int>(i);
    else if (p.input_layer(i) >= 0)
      layer_in[p.input_layer(i)] = true;
    else
      face_in[p.input_face(i)] = true;
  }
  const std::string why = solved_core_obstacle(d, layer_in, face_in);
  if (!why.empty()) throw std::invalid_argument("network.modal_core: solved: " + why);
  const Normalisation& nm = p.norm();
  bi_per_h_ = nm.length_m / nm.k_ref_W_per_mK;
  // The design's own face conditions; a face whose h is an input gets it per design.
  auto face_condition = [&](int f) {
    const model::Boundary& b = d.faces[f];
    DepthFaceCondition c;
    c.fixed = b.type == model::BcType::kFixed;
    if (!c.fixed && b.type != model::BcType::kAdiabatic && b.h > 0 && htc_input_[side_of(f)] < 0)
      c.bi = b.h * bi_per_h_;
    return c;
  };
  const DepthFaceCondition bottom = face_condition(model::kBottom),
                           top = face_condition(model::kTop);
  faces_ = modal_face_system(basis_, bottom, top);
  if (htc_input_[0] < 0 && htc_input_[1] < 0) {
    // Fixed conditions: every mode must have a steady state (checked once, here).
    double det_min = std::numeric_limits<double>::infinity();
    for (std::size_t r = 0; r < faces_.a0.size(); ++r)
      det_min =
          std::min(det_min, std::abs(faces_.a0[r] * faces_.d0[r] - faces_.b[r] * faces_.c[r]));
    if (!(det_min > 1e-300))
      throw std::invalid_argument(
          "network.modal_core: solved: a mode has no steady state (both faces adiabatic: heat "
          "has no way out)");
  }
  const StackProfile& sp = basis_.profile();
  const ModalRates mr = modal_rates(p, modes_);
  ax_.resize(inputs.size());
  by_.resize(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].type == InputType::htc) continue;
    const bool cells = inputs[i].sensor_layout == SensorLayout::cells;
    ax_[i] = cosine_transform(modes_, inputs[i].sensors_x, cells);
    by_[i] = cosine_transform(modes_, inputs[i].sensors_y, cells);
    Drive dr;
    dr.input = i;
    int face = -1;
    if (p.input_layer(i) >= 0)
      dr.source = static_cast<int>(
          std::find(sp.sources.begin(), sp.sources.end(), p.input_layer(i)) - sp.sources.begin());
    else
      face = side_of(p.input_face(i));
    modal_drive(basis_, bottom, top, dr.source, face, mr.source_scale, dr.r0, dr.r1);
    drives_.push_back(std::move(dr));
  }
}

std::shared_ptr<const SolvedOperator> SolvedOperator::load(const std::string& path) {
  return SolvedModel::load(path)->op_ptr();
}

std::unique_ptr<SolvedModel> SolvedModel::load(const std::string& path) {
  const std::string file = model_file(path);
  CheckpointSetup setup = read_checkpoint_setup(file);
  if (!SolvedOperator::describes(setup.config))
    throw std::invalid_argument(file + ": not a solved modal operator");
  return std::make_unique<SolvedModel>(
      std::make_shared<const SolvedOperator>(setup.base, setup.config), std::move(setup.header));
}

void SolvedOperator::transform(std::size_t input, const double* q, double* p) const {
  const InputConfig& in = problem_.config().inputs.at(input);
  if (in.type != InputType::power_map)
    throw std::invalid_argument("solved operator: input " + std::to_string(input) +
                                " is not a power map");
  const int sx = in.sensors_x, sy = in.sensors_y, m = modes_;
  std::vector<double> aq(static_cast<std::size_t>(m) * sy);
  gemm(m, sy, sx, ax_[input].data(), sx, q, sy, aq.data(), sy);  // A q: [m, sy]
  // (A q) B^T: [m, m]; B^T through a transposed copy of B.
  std::vector<double> bt(static_cast<std::size_t>(sy) * m);
  for (int b = 0; b < m; ++b)
    for (int j = 0; j < sy; ++j) bt[static_cast<std::size_t>(j) * m + b] = by_[input][b * sy + j];
  gemm(m, m, sy, aq.data(), sy, bt.data(), m, p, m);
}

void SolvedOperator::weights(const std::vector<const double*>& p, double bi_bottom, double bi_top,
                             double* beta) const {
  const int nr = modes_ * modes_, kinds = basis_.kinds();
  const double bb = htc_input_[0] >= 0 ? bi_bottom : 0, bt = htc_input_[1] >= 0 ? bi_top : 0;
  std::fill(beta, beta + static_cast<std::size_t>(nr) * kinds, 0.0);
  for (int r = 0; r < nr; ++r) {
    const double a = faces_.a0[r] - bb * faces_.a1[r], d = faces_.d0[r] + bt * faces_.d1[r],
                 b = faces_.b[r], c = faces_.c[r], det = a * d - b * c;
    double* w = beta + static_cast<std::size_t>(r) * kinds;
    for (const Drive& dr : drives_) {
      const double pr = p.at(dr.input)[r], r0 = dr.r0[r], r1 = dr.r1[r];
      w[0] += pr * (r0 * d - b * r1) / det;
      w[1] += pr * (a * r1 - c * r0) / det;
      if (dr.source >= 0) w[2 + dr.source] += pr;
    }
  }
}

std::vector<std::vector<double>> SolvedOperator::cores(
    const std::vector<InputValues>& inputs) const {
  const std::vector<std::vector<double>> q = branch_values(problem_, inputs);
  const std::vector<InputConfig>& cfg = problem_.config().inputs;
  const std::size_t nr = static_cast<std::size_t>(modes_) * modes_;
  std::vector<std::vector<double>> out;
  std::vector<std::vector<double>> p(cfg.size());
  for (std::size_t b = 0; b < inputs.size(); ++b) {
    std::vector<const double*> ptr(cfg.size(), nullptr);
    for (std::size_t i = 0; i < cfg.size(); ++i) {
      if (cfg[i].type == InputType::htc) continue;
      p[i].resize(nr);
      const std::size_t dim = static_cast<std::size_t>(cfg[i].sensors_x) * cfg[i].sensors_y;
      transform(i, q[i].data() + b * dim, p[i].data());
      ptr[i] = p[i].data();
    }
    double bi[2] = {0, 0};
    for (int s = 0; s < 2; ++s)
      if (htc_input_[s] >= 0) bi[s] = biot(inputs[b].htc.at(htc_input_[s]));
    out.emplace_back(nr * basis_.kinds());
    weights(ptr, bi[0], bi[1], out.back().data());
  }
  return out;
}

std::shared_ptr<const std::vector<double>> SolvedOperator::cached(
    ValueCache& cache, const std::vector<double>& xi,
    const std::function<std::vector<double>(const std::vector<double>&)>& compute) const {
  std::lock_guard<std::mutex> lock(cache_mutex_);
  for (std::size_t i = 0; i < cache.size(); ++i)
    if (cache[i].first == xi) {
      std::rotate(cache.begin() + i, cache.begin() + i + 1, cache.end());
      return cache.back().second;
    }
  constexpr std::size_t kKept = 4;
  if (cache.size() == kKept) cache.erase(cache.begin());
  cache.emplace_back(xi, std::make_shared<const std::vector<double>>(compute(xi)));
  return cache.back().second;
}

std::shared_ptr<const std::vector<double>> SolvedOperator::lateral_values(
    const std::vector<double>& xi) const {
  return cached(lateral_cache_, xi, [this](const std::vector<double>& p) {
    std::vector<double> v(p.size() * modes_);
    for (std::size_t i = 0; i < p.size(); ++i)
      for (int k = 0; k < modes_; ++k)
        v[i * modes_ + k] = std::cos(cosine_mode_rate(k) * (p[i] + 1)) * cosine_mode_scale(k);
    return v;
  });
}

std::shared_ptr<const std::vector<double>> SolvedOperator::depth_values(
    const std::vector<double>& xi) const {
  return cached(depth_cache_, xi, [this](const std::vector<double>& p) {
    std::vector<double> v;
    basis_.evaluate(p, v);
    return v;
  });
}

void SolvedOperator::contract(const double* beta, const std::vector<double>& x,
                              const std::vector<double>& y, const std::vector<double>& z, int nz,
                              double* out) const {
  const int m = modes_, kinds = basis_.kinds(), nf = basis_.size();
  const int nx = static_cast<int>(x.size()) / m, ny = static_cast<int>(y.size()) / m;
  // W[a, b, l] = sum_k beta[a, b, k] Z[l, (a, b, k)]: each mode's depth profile.
  std::vector<double> w(static_cast<std::size_t>(m) * m * nz);
#pragma omp parallel for schedule(static)
  for (int r = 0; r < m * m; ++r)
    for (int l = 0; l < nz; ++l) {
      double s = 0;
      const double* zr = z.data() + static_cast<std::size_t>(l) * nf + r * kinds;
      for (int k = 0; k < kinds; ++k) s += beta[r * kinds + k] * zr[k];
      w[static_cast<std::size_t>(r) * nz + l] = s;
    }
  // t[a, j, l] = sum_b Y[j, b] W[a, b, l]; then u[i, (j, l)] = sum_a X[i, a] t[a, (j, l)].
  std::vector<double> t(static_cast<std::size_t>(m) * ny * nz);
  for (int a = 0; a < m; ++a)
    gemm(ny, nz, m, y.data(), m, w.data() + static_cast<std::size_t>(a) * m * nz, nz,
         t.data() + static_cast<std::size_t>(a) * ny * nz, nz);
  gemm(nx, ny * nz, m, x.data(), m, t.data(), ny * nz, out, ny * nz);
}

std::vector<field::Field3D> SolvedOperator::predict(const std::vector<InputValues>& inputs,
                                                    const model::Grid& grid) const {
  const Problem& p = problem_;
  const auto xv = lateral_values(p.x_axis(grid.x).xi), yv = lateral_values(p.y_axis(grid.y).xi),
             zv = depth_values(p.z_axis(grid).xi);
  const std::vector<double>&x = *xv, &y = *yv, &z = *zv;
  const double dt = p.norm().delta_T_K, ta = p.norm().t_amb_K;
  std::vector<field::Field3D> out;
  for (const std::vector<double>& beta : cores(inputs)) {
    std::vector<double> v(grid.size());
    contract(beta.data(), x, y, z, grid.nz(), v.data());
    const auto n = static_cast<std::ptrdiff_t>(v.size());
#pragma omp parallel for schedule(static)
    for (std::ptrdiff_t i = 0; i < n; ++i) v[i] = v[i] * dt + ta;
    out.push_back(field::Field3D{grid.x, grid.y, grid.z, std::move(v), "T", "K"});
  }
  return out;
}

std::vector<double> SolvedOperator::predict_peaks(const std::vector<InputValues>& inputs,
                                                  const model::Grid& grid) const {
  const Problem& p = problem_;
  const std::vector<double> zall = p.z_axis(grid).xi;
  std::vector<double> zsel;
  for (int k : peak_planes(p, grid)) zsel.push_back(zall[k]);
  const auto xv = lateral_values(p.x_axis(grid.x).xi), yv = lateral_values(p.y_axis(grid.y).xi),
             zv = depth_values(zsel);
  const std::vector<double>&x = *xv, &y = *yv, &z = *zv;
  const double dt = p.norm().delta_T_K, ta = p.norm().t_amb_K;
  const int m = modes_, kinds = basis_.kinds(), nf = basis_.size(), nx = grid.nx(), ny = grid.ny();
  // Plane by plane (usually one or a few): U = X W_l Y^T with W_l [a, b] the modes' depth
  // profiles at that plane; only the maximum is kept, so no field is laid out. The last product,
  // the largest, runs in single precision (a few 1e-7 of the rise: a screening answer; the
  // hybrid's FV solves decide), twice as fast.
  const std::vector<std::vector<double>> betas = cores(inputs);
  const int designs = static_cast<int>(betas.size());
  std::vector<double> out(betas.size());
  // Designs are independent: a batch's designs are shared among the threads, each with its own
  // buffers (BLAS runs single-threaded inside the parallel region).
#pragma omp parallel if (designs > 1)
  {
    std::vector<double> w(static_cast<std::size_t>(m) * m), xw(static_cast<std::size_t>(nx) * m);
    std::vector<float> xwf(xw.size()), yf(y.begin(), y.end()), u(static_cast<std::size_t>(nx) * ny);
#pragma omp for schedule(static)
    for (int b = 0; b < designs; ++b) {
      const std::vector<double>& beta = betas[b];
      double peak = -std::numeric_limits<double>::infinity();
      for (std::size_t l = 0; l < zsel.size(); ++l) {
        const double* zl = z.data() + l * nf;
        for (int r = 0; r < m * m; ++r) {
          double s = 0;
          for (int k = 0; k < kinds; ++k) s += beta[r * kinds + k] * zl[r * kinds + k];
          w[r] = s;
        }
        gemm(nx, m, m, x.data(), m, w.data(), m, xw.data(), m);
        std::copy(xw.begin(), xw.end(), xwf.begin());
        sgemm_bt(nx, ny, m, xwf.data(), m, yf.data(), m, u.data(), ny);
        peak = std::max(peak, static_cast<double>(*std::max_element(u.begin(), u.end())));
      }
      out[b] = peak * dt + ta;
    }
  }
  return out;
}

}  // namespace heatop::surrogate
