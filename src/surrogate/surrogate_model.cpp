// Operator bundle: construction, loading and batched prediction.

#include "surrogate/surrogate_model.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "surrogate/auto_config.hpp"
#include "surrogate/checkpoint.hpp"
#include "surrogate/solved_operator.hpp"

namespace heatop::surrogate {

torch::Device parse_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available())
      throw std::invalid_argument("device '" + name +
                                  "': this LibTorch build has no usable CUDA "
                                  "device; use --device cpu or a CUDA build of LibTorch");
    return torch::Device(name);
  }
  throw std::invalid_argument("device '" + name + "' is not valid; use cpu or cuda");
}

namespace {

// LibTorch's first parallel call on a thread sets that thread's OpenMP thread count to LibTorch's
// default, the physical cores it counts (1 of 2 on a 2-vCPU machine). Made here, under the count
// heatop runs with (OMP_NUM_THREADS, --threads), so that inference and the finite-volume work
// after it keep the threads they were given.
void init_torch_threads() {
  const int n = omp_get_max_threads();
  (void)at::get_num_threads();
  omp_set_num_threads(n);
}

std::vector<InputShape> input_dims(const OperatorConfig& cfg) {
  std::vector<InputShape> d;
  for (const auto& in : cfg.inputs)
    d.push_back(in.type == InputType::htc ? InputShape(1)
                                          : InputShape(in.sensors_x, in.sensors_y,
                                                       in.sensor_layout == SensorLayout::cells));
  return d;
}

}  // namespace

SurrogateModel::SurrogateModel(const OperatorConfig& cfg, const model::Design& base,
                               torch::Device device)
    : problem_(std::make_unique<Problem>(base, cfg)), device_(device) {
  if (cfg.network.modal_core == ModalCore::response)
    throw std::invalid_argument(
        "a response model (network.modal_core: response) has no network: it predicts on the "
        "CPU (--device cpu), without LibTorch");
  init_torch_threads();
  to_.device = device;
  to_.dtype = cfg.network.dtype == DType::float64 ? torch::kFloat64 : torch::kFloat32;
  torch::manual_seed(cfg.training.seed);
  NetworkConfig net = cfg.network;
  if (net.trunk_z.type == TrunkType::stack) {
    const StackProfile sp = problem_->stack_profile();
    net.trunk_z.stack = std::make_shared<const StackProfile>(sp);
    if (net.core == Core::modal) {
      // Every cosine mode (a, b) gets the stack's functions at its own wavenumber.
      const int m = net.trunk.modes;
      const ModalRates mr = modal_rates(*problem_, m);
      net.trunk_z.modal_rates = mr.rates;
      net.trunk_z.modal_source_scale = mr.source_scale;
      net.tucker_ranks[0] = net.tucker_ranks[1] = m;
      net.tucker_ranks[2] = 2 + static_cast<int>(sp.sources.size());
    }
  }
  net_ = make_operator_net(net, input_dims(cfg));
  if (SolvedOperator::describes(cfg)) {
    // Nothing trains: the weights come from the stack (solved_operator.hpp), which also
    // predicts on the CPU.
    solved_ = std::make_shared<const SolvedOperator>(base, cfg);
    net_->set_solved(solved_);
  }
  net_->to(device);
}

std::unique_ptr<SurrogateModel> SurrogateModel::load(const std::string& path,
                                                     torch::Device device) {
  const std::string file = model_file(path);
  const CheckpointSetup setup = read_checkpoint_setup(file);
  auto m = std::make_unique<SurrogateModel>(setup.config, setup.base, device);
  load_checkpoint_state(file, *m->net_, nullptr, device);
  m->info_ = setup.header;
  return m;
}

nlohmann::json SurrogateModel::header(long step) const {
  return {{"format", "heatop neural operator"},
          {"heatop_version", HEATOP_VERSION},
          {"torch_version", TORCH_VERSION},
          {"step", step},
          {"config_yaml", config().yaml},
          {"design", design_to_json(problem_->base())},
          {"normalisation", problem_->normalisation_json()}};
}

std::vector<field::Field3D> SurrogateModel::predict(const std::vector<InputValues>& inputs,
                                                    const model::Grid& grid, int batch) {
  if (solved_ && device_.is_cpu()) return solved_->predict(inputs, grid);
  init_torch_threads();
  torch::NoGradGuard ng;
  net_->eval();
  const Problem& p = *problem_;
  auto axis = [&](const AxisMap& a) {
    return torch::tensor(a.xi, torch::kFloat64).to(to_.options());
  };
  const torch::Tensor xx = axis(p.x_axis(grid.x)), yy = axis(p.y_axis(grid.y)),
                      zz = axis(p.z_axis(grid));
  const double dt = p.norm().delta_T_K, ta = p.norm().t_amb_K;
  std::vector<field::Field3D> out;
  for (std::size_t s = 0; s < inputs.size(); s += static_cast<std::size_t>(batch)) {
    const std::vector<InputValues> chunk(inputs.begin() + s,
                                         inputs.begin() + std::min(inputs.size(), s + batch));
    const std::vector<torch::Tensor> in = branch_inputs(p, chunk, to_);
    auto* sep = dynamic_cast<SeparableDeepONet*>(net_.get());
    if (sep && config().network.core == Core::modal && device_.is_cpu()) {
      // The modal core on the CPU: the last GEMM (over the x modes, the largest) runs in blocks
      // that stay in cache, each turned into kelvin in the field's storage at once, so the whole
      // float field is never written and read back.
      const SeparableFactors sf = sep->factors(in, xx, yy, zz, false);
      const torch::Tensor t = modal_partial(sf.beta, sf.y.v, sf.z.v);  // [B, Rx, ny, nz]
      const torch::Tensor a = sf.x.v.contiguous();                     // [nx, Rx]
      // Column blocks of the last GEMM: each packs its slice of t once and writes a cache-sized
      // [nx, cols] block, which goes into the field's rows at once.
      const int64_t na = a.size(0), ra = a.size(1), plane = t.size(2) * t.size(3), cols = 256;
      for (std::size_t b = 0; b < chunk.size(); ++b) {
        std::vector<double> v(grid.size());
        const torch::Tensor tb = t[static_cast<int64_t>(b)].view({ra, plane});
        std::exception_ptr err;
#pragma omp parallel
        {
          torch::Tensor buf = torch::empty({na * cols}, t.options());
#pragma omp for schedule(static)
          for (int64_t c0 = 0; c0 < plane; c0 += cols) {
            try {
              const int64_t n = std::min(cols, plane - c0);
              torch::Tensor blk = buf.narrow(0, 0, na * n).view({na, n});
              at::mm_out(blk, a, tb.narrow(1, c0, n));
              auto put = [&](const auto* src) {
                for (int64_t i = 0; i < na; ++i) {
                  double* dst = v.data() + i * plane + c0;
                  const auto* s = src + i * n;
                  for (int64_t q = 0; q < n; ++q) dst[q] = static_cast<double>(s[q]) * dt + ta;
                }
              };
              if (blk.scalar_type() == torch::kFloat32)
                put(blk.data_ptr<float>());
              else
                put(blk.data_ptr<double>());
            } catch (...) {
#pragma omp critical
              err = std::current_exception();
            }
          }
        }
        if (err) std::rethrow_exception(err);
        out.push_back(field::Field3D{grid.x, grid.y, grid.z, std::move(v), "T", "K"});
      }
      continue;
    }
    const GridFields f = net_->fields(in, xx, yy, zz, false);
    // One pass from the network's values to kelvin, straight into each field's storage.
    torch::Tensor t = f.u.to(torch::kCPU).contiguous();
    if (t.scalar_type() != torch::kFloat32) t = t.to(torch::kFloat64);
    const auto n = static_cast<int64_t>(grid.size());
    auto kelvin = [&](const auto* d, std::vector<double>& v) {
      at::parallel_for(0, n, 1 << 16, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i) v[i] = static_cast<double>(d[i]) * dt + ta;
      });
    };
    for (std::size_t b = 0; b < chunk.size(); ++b) {
      std::vector<double> v(grid.size());
      const torch::Tensor tb = t[static_cast<int64_t>(b)];
      if (tb.scalar_type() == torch::kFloat32)
        kelvin(tb.data_ptr<float>(), v);
      else
        kelvin(tb.data_ptr<double>(), v);
      out.push_back(field::Field3D{grid.x, grid.y, grid.z, std::move(v), "T", "K"});
    }
  }
  net_->train();
  return out;
}

std::vector<double> SurrogateModel::predict_peaks(const std::vector<InputValues>& inputs,
                                                  const model::Grid& grid, int batch) {
  if (solved_ && device_.is_cpu()) return solved_->predict_peaks(inputs, grid);
  init_torch_threads();
  torch::NoGradGuard ng;
  net_->eval();
  const Problem& p = *problem_;
  // Only the nodes where the maximum can be (peak_planes).
  const std::vector<int> planes = peak_planes(p, grid);
  auto axis = [&](const std::vector<double>& xi) {
    return torch::tensor(xi, torch::kFloat64).to(to_.options());
  };
  const torch::Tensor xx = axis(p.x_axis(grid.x).xi), yy = axis(p.y_axis(grid.y).xi);
  const std::vector<double> zall = p.z_axis(grid).xi;
  std::vector<double> zsel;
  for (int k : planes) zsel.push_back(zall[k]);
  const torch::Tensor zz = axis(zsel);
  const double dt = p.norm().delta_T_K, ta = p.norm().t_amb_K;
  std::vector<double> out;
  for (std::size_t s = 0; s < inputs.size(); s += static_cast<std::size_t>(batch)) {
    const std::vector<InputValues> chunk(inputs.begin() + s,
                                         inputs.begin() + std::min(inputs.size(), s + batch));
    const GridFields f = net_->fields(branch_inputs(p, chunk, to_), xx, yy, zz, false);
    const torch::Tensor m =
        std::get<0>(f.u.reshape({f.u.size(0), -1}).max(1)).to(torch::kCPU, torch::kFloat64);
    for (int64_t b = 0; b < m.size(0); ++b) out.push_back(m[b].item<double>() * dt + ta);
  }
  net_->train();
  return out;
}

field::Field3D SurrogateModel::predict(const model::Design& d, const model::Grid& grid) {
  // Moved out: a copy of the field would cost as much as the kelvin pass.
  return std::move(predict(std::vector<InputValues>{problem_->inputs_of(d)}, grid, 1).front());
}

}  // namespace heatop::surrogate
