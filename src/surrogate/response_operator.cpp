// The response operator (response_operator.hpp).

#include "surrogate/response_operator.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>

#include "fv/system.hpp"
#include "io/design_file.hpp"
#include "io/output_dir.hpp"
#include "solve/fv_solver.hpp"
#include "surrogate/branch_values.hpp"
#include "surrogate/checkpoint_file.hpp"
#include "surrogate/evaluation.hpp"
#include "surrogate/generators.hpp"
#include "surrogate/solved_operator.hpp"

namespace heatop::surrogate {

namespace {

namespace fs = std::filesystem;

constexpr char kPayloadMagic[9] = "HNRESP01";

// Mode k of an axis of s sensors at sensor c: cells cos(k pi (c + 1/2) / s), nodes
// cos(k pi c / (s - 1)).
double mode_value(int k, int c, int s, bool cells) {
  return cells ? std::cos(k * M_PI * (c + 0.5) / s) : std::cos(k * M_PI * c / (s - 1.0));
}

// The projection [m, s] onto the first m modes: exact for the modes' span (the modes are
// orthogonal over the cells, and over the nodes with trapezoid weights).
std::vector<double> projection(int m, int s, bool cells) {
  std::vector<double> a(static_cast<std::size_t>(m) * s);
  for (int k = 0; k < m; ++k) {
    double norm = 0;
    std::vector<double> w(s);
    for (int c = 0; c < s; ++c) {
      w[c] = cells || (c > 0 && c < s - 1) ? 1.0 : 0.5;
      const double v = mode_value(k, c, s, cells);
      norm += w[c] * v * v;
    }
    for (int c = 0; c < s; ++c)
      a[static_cast<std::size_t>(k) * s + c] = w[c] * mode_value(k, c, s, cells) / norm;
  }
  return a;
}

// Input i's map of mode (a, b): density q_ref phi_a(x) phi_b(y), constant over each sensor cell
// (tiles) or each sensor node's control area (blocks), over the input's extent.
model::PowerMap mode_map(const Problem& p, std::size_t i, int a, int b) {
  const InputConfig& in = p.config().inputs[i];
  const auto [ex, ey] = p.input_extent(i);
  const int sx = in.sensors_x, sy = in.sensors_y;
  const bool cells = in.sensor_layout == SensorLayout::cells;
  const double q = p.norm().q_ref();
  model::PowerMap m;
  if (cells) {
    m.rows = sy;
    m.cols = sx;
    const double area = (ex / sx) * (ey / sy);
    for (int r = 0; r < sy; ++r)
      for (int c = 0; c < sx; ++c)
        m.tile_watts.push_back(q * mode_value(a, c, sx, true) * mode_value(b, r, sy, true) * area);
    return m;
  }
  const std::vector<double> xs = sensor_nodes(sx, ex), ys = sensor_nodes(sy, ey);
  const auto wx = model::control_widths(xs), wy = model::control_widths(ys);
  for (int c = 0; c < sx; ++c)
    for (int r = 0; r < sy; ++r) {
      const double x0 = std::max(0.0, xs[c] - (c > 0 ? (xs[c] - xs[c - 1]) / 2 : 0.0));
      const double y0 = std::max(0.0, ys[r] - (r > 0 ? (ys[r] - ys[r - 1]) / 2 : 0.0));
      m.blocks.push_back(
          {"", x0, y0, wx[c], wy[r],
           q * mode_value(a, c, sx, false) * mode_value(b, r, sy, false) * wx[c] * wy[r]});
    }
  return m;
}

solve::SolverConfig tight_solver() {
  solve::SolverConfig sc;
  sc.options.rel_tol = 1e-10;
  sc.options.max_iterations = 1000;
  return sc;
}

template <class T>
void put(std::string& s, const T& v) {
  s.append(reinterpret_cast<const char*>(&v), sizeof v);
}
template <class T>
void put_all(std::string& s, const std::vector<T>& v) {
  s.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

bool same_axis(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  const double tol = 1e-9 * std::max(std::abs(a.back() - a.front()), 1e-300);
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::abs(a[i] - b[i]) > tol) return false;
  return true;
}

std::string dims(const model::Grid& g) {
  return std::to_string(g.nx()) + "x" + std::to_string(g.ny()) + "x" + std::to_string(g.nz());
}

}  // namespace

bool ResponseOperator::describes(const OperatorConfig& cfg) {
  return cfg.network.core == Core::modal && cfg.network.modal_core == ModalCore::response;
}

void ResponseOperator::setup(const OperatorConfig& cfg) {
  if (!describes(cfg))
    throw std::invalid_argument(
        "not a response operator (network.core: modal with network.modal_core: response)");
  const int m = cfg.network.trunk.modes;
  count_ = 0;
  for (const InputConfig& in : cfg.inputs) {
    if (in.type != InputType::power_map)
      throw std::invalid_argument("network.modal_core: response takes power-map inputs only");
    const bool cells = in.sensor_layout == SensorLayout::cells;
    mx_.push_back(std::min(m, in.sensors_x));
    my_.push_back(std::min(m, in.sensors_y));
    ax_.push_back(projection(mx_.back(), in.sensors_x, cells));
    by_.push_back(projection(my_.back(), in.sensors_y, cells));
    count_ += mx_.back() * my_.back();
  }
}

void ResponseOperator::mark_material(const fv::LayeredOperator& op) {
  active_.assign(grid_.size(), 1);
  if (op.has_footprints())
    for (int i = 0; i < grid_.nx(); ++i)
      for (int j = 0; j < grid_.ny(); ++j)
        for (int k = 0; k < grid_.nz(); ++k)
          active_[grid_.index(i, j, k)] = op.node_active(i, j, k);
}

ResponseOperator::ResponseOperator(const model::Design& base, const OperatorConfig& cfg,
                                   const std::function<void(int, int)>& progress)
    : problem_(base, cfg), grid_(model::build_grid(problem_.base())) {
  setup(cfg);
  const Problem& p = problem_;
  const std::size_t n = grid_.size();
  // The base field: every input's map removed.
  model::Design d0 = p.design_with(InputValues{std::vector<model::PowerMap>(cfg.inputs.size()),
                                               std::vector<double>(cfg.inputs.size(), 0.0)});
  fv::System sys = fv::discretize(d0, grid_);
  mark_material(*sys.op);
  const solve::FvSolver solver(*sys.op, tight_solver());
  const int total = count_ + 1;
  auto run = [&](const std::vector<double>& b, std::vector<double>& x, const std::string& what) {
    const solve::SolveReport r = solver.solve(b.data(), x.data());
    if (!r.converged)
      throw std::runtime_error("response operator: the FV solve of " + what +
                               " did not converge: " + r.summary());
  };
  base_.assign(n, model::reference_temperature(d0));
  run(sys.rhs, base_, "the base field");
  int done = 1;
  if (progress) progress(done, total);
  const std::vector<double> power0 = sys.power;
  built_.resize(static_cast<std::size_t>(count_) * n);
  resp_ = built_.data();
  std::vector<double> b(n), x(n);
  std::size_t k = 0;
  for (std::size_t i = 0; i < cfg.inputs.size(); ++i)
    for (int a = 0; a < mx_[i]; ++a)
      for (int bb = 0; bb < my_[i]; ++bb, ++k) {
        InputValues v{std::vector<model::PowerMap>(cfg.inputs.size()),
                      std::vector<double>(cfg.inputs.size(), 0.0)};
        v.maps[i] = mode_map(p, i, a, bb);
        const std::vector<double> pw = fv::assemble_power(p.design_with(v), grid_);
        for (std::size_t q = 0; q < n; ++q) {
          b[q] = pw[q] - power0[q];
          if (!sys.fixed_node.empty() && sys.fixed_node[q]) b[q] = 0;
        }
        std::fill(x.begin(), x.end(), 0.0);
        run(b, x,
            "input " + cfg.inputs[i].name + " mode (" + std::to_string(a) + ", " +
                std::to_string(bb) + ")");
        std::copy(x.begin(), x.end(), built_.begin() + static_cast<std::ptrdiff_t>(k * n));
        if (progress) progress(++done, total);
      }
}

namespace {

std::shared_ptr<const void> hold(std::string&& bytes) {
  return std::make_shared<const std::string>(std::move(bytes));
}

}  // namespace

ResponseOperator::ResponseOperator(const model::Design& base, const OperatorConfig& cfg,
                                   std::string payload, const std::string& where)
    : ResponseOperator(base, cfg, std::string_view(), hold(std::move(payload)), where) {}

ResponseOperator::ResponseOperator(const model::Design& base, const OperatorConfig& cfg,
                                   std::string_view payload_view, std::shared_ptr<const void> owner,
                                   const std::string& where)
    : problem_(base, cfg), grid_(model::build_grid(problem_.base())), owner_(std::move(owner)) {
  // Without a view, the owner is the payload string itself (the constructor above).
  const std::string_view payload =
      payload_view.data() ? payload_view
                          : std::string_view(*static_cast<const std::string*>(owner_.get()));
  setup(cfg);
  mark_material(*fv::discretize(problem_.base(), grid_).op);
  const std::size_t n = grid_.size();
  auto bad = [&](const std::string& why) {
    return std::runtime_error(where + ": response payload: " + why);
  };
  std::size_t at = 0;
  auto take = [&](void* dst, std::size_t bytes) {
    if (payload.size() - at < bytes) throw bad("truncated");
    std::memcpy(dst, payload.data() + at, bytes);
    at += bytes;
  };
  char magic[8];
  if (payload.size() < 8) throw bad("truncated");
  take(magic, 8);
  if (std::memcmp(magic, kPayloadMagic, 8) != 0) throw bad("not a response payload");
  std::uint32_t h[4];
  take(h, sizeof h);
  if (h[0] != static_cast<std::uint32_t>(grid_.nx()) ||
      h[1] != static_cast<std::uint32_t>(grid_.ny()) ||
      h[2] != static_cast<std::uint32_t>(grid_.nz()) || h[3] != static_cast<std::uint32_t>(count_))
    throw bad("holds " + std::to_string(h[3]) + " responses on a " + std::to_string(h[0]) + "x" +
              std::to_string(h[1]) + "x" + std::to_string(h[2]) +
              " grid; the design and "
              "configuration in the header give " +
              std::to_string(count_) + " on " + dims(grid_));
  const std::size_t need = (grid_.nx() + grid_.ny() + grid_.nz() + n) * sizeof(double) +
                           static_cast<std::size_t>(count_) * n * sizeof(float);
  if (payload.size() - at != need) throw bad("has the wrong length");
  model::Grid g = grid_;
  take(g.x.data(), g.x.size() * sizeof(double));
  take(g.y.data(), g.y.size() * sizeof(double));
  take(g.z.data(), g.z.size() * sizeof(double));
  if (!same_axis(g.x, grid_.x) || !same_axis(g.y, grid_.y) || !same_axis(g.z, grid_.z))
    throw bad("its grid's nodes are not those of the design in the header");
  base_.resize(n);
  take(base_.data(), n * sizeof(double));
  // The responses stay in the payload's bytes (8-byte aligned there: every part before them is a
  // multiple of 8 bytes long); copied only where the string's storage is not float-aligned.
  const std::size_t count = static_cast<std::size_t>(count_) * n;
  if (reinterpret_cast<std::uintptr_t>(payload.data() + at) % alignof(float) == 0) {
    resp_ = reinterpret_cast<const float*>(payload.data() + at);
  } else {
    built_.resize(count);
    std::memcpy(built_.data(), payload.data() + at, count * sizeof(float));
    resp_ = built_.data();
  }
  for (double v : base_)
    if (!std::isfinite(v)) throw bad("non-finite base temperature");
  bool finite = true;
#pragma omp parallel for reduction(&& : finite) schedule(static)
  for (std::ptrdiff_t q = 0; q < static_cast<std::ptrdiff_t>(count); ++q)
    finite = finite && std::isfinite(resp_[q]);
  if (!finite) throw bad("non-finite response value");
}

std::string ResponseOperator::payload() const {
  std::string s(kPayloadMagic, 8);
  put(s, static_cast<std::uint32_t>(grid_.nx()));
  put(s, static_cast<std::uint32_t>(grid_.ny()));
  put(s, static_cast<std::uint32_t>(grid_.nz()));
  put(s, static_cast<std::uint32_t>(count_));
  put_all(s, grid_.x);
  put_all(s, grid_.y);
  put_all(s, grid_.z);
  put_all(s, base_);
  s.append(reinterpret_cast<const char*>(resp_),
           static_cast<std::size_t>(count_) * grid_.size() * sizeof(float));
  return s;
}

void ResponseOperator::check_grid(const model::Grid& g) const {
  if (same_axis(g.x, grid_.x) && same_axis(g.y, grid_.y) && same_axis(g.z, grid_.z)) return;
  const std::string other = dims(g) == dims(grid_) ? "another " + dims(g) +
                                                         " grid (other node "
                                                         "positions)"
                                                   : dims(g);
  throw std::invalid_argument(
      "the response model predicts on the grid it was built on, its design's " + dims(grid_) +
      " grid, not on " + other +
      "; use that grid (optimize: eval_grid and verify_grid `design`), or build the model on "
      "this one (heatop train DESIGN --input ... with the design's grid set so)");
}

void ResponseOperator::coefficients(const std::vector<std::vector<double>>& q, std::size_t b,
                                    double* c) const {
  const auto& inputs = problem_.config().inputs;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const int sx = inputs[i].sensors_x, sy = inputs[i].sensors_y, mx = mx_[i], my = my_[i];
    const double* qi = q[i].data() + b * static_cast<std::size_t>(sx) * sy;
    // (A q): [mx, sy], then (A q) B^T: [mx, my].
    std::vector<double> aq(static_cast<std::size_t>(mx) * sy, 0.0);
    for (int a = 0; a < mx; ++a)
      for (int x = 0; x < sx; ++x) {
        const double w = ax_[i][static_cast<std::size_t>(a) * sx + x];
        if (w == 0) continue;
        for (int y = 0; y < sy; ++y) aq[static_cast<std::size_t>(a) * sy + y] += w * qi[x * sy + y];
      }
    for (int a = 0; a < mx; ++a)
      for (int bb = 0; bb < my; ++bb) {
        double s = 0;
        for (int y = 0; y < sy; ++y)
          s += aq[static_cast<std::size_t>(a) * sy + y] *
               by_[i][static_cast<std::size_t>(bb) * sy + y];
        *c++ = s;
      }
  }
}

void ResponseOperator::combine(const double* c, double* out) const {
  const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(grid_.size());
  constexpr std::ptrdiff_t kChunk = 4096;
  // Chunks of nodes, each summing every response in double precision (cache-sized slices).
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t c0 = 0; c0 < n; c0 += kChunk) {
    const std::ptrdiff_t c1 = std::min(n, c0 + kChunk);
    for (std::ptrdiff_t q = c0; q < c1; ++q) out[q] = base_[q];
    for (int k = 0; k < count_; ++k) {
      const double ck = c[k];
      if (ck == 0) continue;
      const float* r = resp_ + static_cast<std::size_t>(k) * n;
      for (std::ptrdiff_t q = c0; q < c1; ++q) out[q] += ck * r[q];
    }
  }
}

std::vector<field::Field3D> ResponseOperator::predict(const std::vector<InputValues>& inputs,
                                                      const model::Grid& grid) const {
  check_grid(grid);
  const std::vector<std::vector<double>> q = branch_values(problem_, inputs);
  std::vector<field::Field3D> out;
  std::vector<double> c(count_);
  for (std::size_t b = 0; b < inputs.size(); ++b) {
    coefficients(q, b, c.data());
    std::vector<double> v(grid_.size());
    combine(c.data(), v.data());
    out.push_back(field::Field3D{grid.x, grid.y, grid.z, std::move(v), "T", "K"});
  }
  return out;
}

std::vector<double> ResponseOperator::predict_peaks(const std::vector<InputValues>& inputs,
                                                    const model::Grid& grid) const {
  std::vector<double> out;
  for (const field::Field3D& f : predict(inputs, grid)) {
    double peak = -std::numeric_limits<double>::infinity();
    for (std::size_t q = 0; q < f.values.size(); ++q)
      if (active_[q]) peak = std::max(peak, f.values[q]);
    out.push_back(peak);
  }
  return out;
}

std::unique_ptr<ResponseModel> ResponseModel::load(const std::string& path) {
  const std::string file = model_file(path);
  // The header first (without the payload), then the whole file once, checksum included.
  CheckpointSetup setup = read_checkpoint_setup(file, false);
  if (!ResponseOperator::describes(setup.config))
    throw std::invalid_argument(file + ": not a response operator");
  const MappedCheckpoint mapped = map_checkpoint(file);
  return std::make_unique<ResponseModel>(
      std::make_shared<const ResponseOperator>(setup.base, setup.config, mapped.payload,
                                               mapped.mapping, file),
      std::move(setup.header));
}

ResponseBuild build_response_model(const OperatorConfig& cfg, const std::string& out_dir,
                                   const std::string& command_line, bool resume,
                                   const std::function<void(int, int)>& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string ckpt = (fs::path(out_dir) / "model.hnop").string();
  if (resume)
    throw std::invalid_argument(
        "--resume: a response model (network.modal_core: response) is built, not trained: "
        "there is nothing to resume; build it into a new folder");
  if (fs::exists(ckpt))
    throw std::invalid_argument(out_dir +
                                " already holds a model (model.hnop); build into another folder");
  const ResponseOperator op(io::load_design(cfg.design).design, cfg, progress);
  ResponseBuild rep;
  rep.solves = op.responses() + 1;
  // Checked against FV on maps of the inputs' generators, on the model's grid.
  const TrainingConfig& tc = cfg.training;
  const Problem& p = op.problem();
  std::string vlog = "step,mean_rel_l2_rise,max_rel_l2_rise,max_abs_K\n";
  if (tc.validation_functions > 0) {
    const std::vector<InputValues> in =
        draw_inputs(p, tc.seed, 0x7fffffff, tc.validation_functions);
    const std::vector<field::Field3D> pred = op.predict(in, op.grid());
    for (std::size_t b = 0; b < in.size(); ++b) {
      const field::Field3D ref = fv_reference(p.design_with(in[b]), op.grid());
      const ErrorMetrics e = compare(pred[b].values, ref.values, p.norm().t_amb_K);
      rep.mean_rel_l2 += e.rel_l2_rise / static_cast<double>(in.size());
      rep.max_rel_l2 = std::max(rep.max_rel_l2, e.rel_l2_rise);
      rep.max_abs_K = std::max(rep.max_abs_K, e.max_abs_K);
    }
    rep.validation_designs = static_cast<int>(in.size());
    char line[160];
    std::snprintf(line, sizeof line, "0,%.9g,%.9g,%.9g\n", rep.mean_rel_l2, rep.max_rel_l2,
                  rep.max_abs_K);
    vlog += line;
  }
  fs::create_directories(out_dir);
  io::write_file_atomically((fs::path(out_dir) / "config.yaml").string(), cfg.yaml + "\n");
  const nlohmann::json m{{"heatop_version", HEATOP_VERSION},
                         {"command_line", command_line},
                         {"config_file", cfg.design},
                         {"seed", tc.seed},
                         {"device", "cpu"}};
  io::write_file_atomically((fs::path(out_dir) / "manifest.json").string(), m.dump(2) + "\n");
  io::write_file_atomically((fs::path(out_dir) / "validation.csv").string(), vlog);
  const nlohmann::json header{{"format", "heatop neural operator"},
                              {"heatop_version", HEATOP_VERSION},
                              {"step", 0},
                              {"config_yaml", cfg.yaml},
                              {"design", design_to_json(p.base())},
                              {"normalisation", p.normalisation_json()},
                              {"responses", op.responses()},
                              {"grid", {op.grid().nx(), op.grid().ny(), op.grid().nz()}}};
  // The header padded with spaces (still the same JSON) so that the payload, and in it the
  // responses, start 8-byte aligned in the file: a mapped file is then read in place.
  std::string text = header.dump();
  text.append((8 - (8 + 4 + 8 + text.size() + 8) % 8) % 8, ' ');
  io::write_file_atomically(ckpt, checkpoint_bytes(text, op.payload()));
  rep.checkpoint = ckpt;
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

std::unique_ptr<OperatorModel> load_linear_model(const std::string& path) {
  const OperatorConfig cfg = read_checkpoint_setup(model_file(path), false).config;
  if (SolvedOperator::describes(cfg)) return SolvedModel::load(path);
  if (ResponseOperator::describes(cfg)) return ResponseModel::load(path);
  return nullptr;
}

}  // namespace heatop::surrogate
