// The training loop.

#include "surrogate/trainer.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "io/design_file.hpp"
#include "io/output_dir.hpp"
#include "surrogate/batch.hpp"
#include "surrogate/checkpoint.hpp"
#include "surrogate/evaluation.hpp"
#include "surrogate/generators.hpp"
#include "surrogate/physics_loss.hpp"
#include "surrogate/response_operator.hpp"
#include "surrogate/surrogate_model.hpp"

namespace heatop::surrogate {

namespace fs = std::filesystem;

namespace {

// Validation functions are drawn from a stream no training step reaches.
constexpr std::uint64_t kValidationStep = 1ULL << 62;
// Collocation jitter draws use their own index within a step's stream.
constexpr std::uint64_t kGridStream = 1ULL << 40;

double learning_rate(const TrainingConfig& t, long step) {
  return t.learning_rate * std::pow(t.decay_rate, static_cast<double>(step) / t.decay_steps);
}

// Keeps the header and the whole rows whose first column (the step) is <= `step`: rows logged
// after the checkpoint, and a last row cut short when a run was killed while writing it, go.
void truncate_log(const std::string& path, long step) {
  std::ifstream in(path);
  if (!in) return;
  std::string line, kept;
  std::size_t columns = 0;
  bool header = true;
  while (std::getline(in, line)) {
    const std::size_t n = std::count(line.begin(), line.end(), ',');
    if (header) {
      columns = n;
      kept += line + "\n";
      header = false;
      continue;
    }
    if (n != columns || in.eof()) continue;  // a partial row (the last, without its newline)
    char* end = nullptr;
    const long s = std::strtol(line.c_str(), &end, 10);
    if (end != line.c_str() && *end == ',' && s <= step) kept += line + "\n";
  }
  in.close();
  io::write_file_atomically(path, kept);
}

struct Validator {
  std::vector<InputValues> inputs;
  std::vector<field::Field3D> reference;
  model::Grid grid;

  ValidationRecord run(SurrogateModel& m, long step) {
    ValidationRecord r;
    r.step = step;
    const auto pred = m.predict(inputs, grid);
    for (std::size_t i = 0; i < pred.size(); ++i) {
      const ErrorMetrics e =
          compare(pred[i].values, reference[i].values, m.problem().norm().t_amb_K);
      r.mean_rel_l2 += e.rel_l2_rise / pred.size();
      r.max_rel_l2 = std::max(r.max_rel_l2, e.rel_l2_rise);
      r.max_abs_K = std::max(r.max_abs_K, e.max_abs_K);
    }
    return r;
  }
};

}  // namespace

namespace {

// One share of a step's input functions, evaluated on its own thread: its loss, and the
// gradient of weight x loss (weight = the share's fraction of the functions) with respect to
// every parameter (undefined where a parameter does not reach the loss).
struct Share {
  LossValue lv;
  double weight = 0;
  std::vector<torch::Tensor> grads;
  std::exception_ptr error;
};

// Threads that live for the whole run and take one share each per step (the step's last share
// runs on the calling thread): a thread started afresh every step made 400 C1 steps on two
// threads about 2 % slower (8.48-8.56 s against 8.27-8.44 s, four alternating runs each).
class StepThreads {
 public:
  explicit StepThreads(int n) : slots_(static_cast<std::size_t>(n)) {
    for (int w = 0; w < n; ++w) threads_.emplace_back([this, w] { loop(w); });
  }
  ~StepThreads() {
    {
      const std::lock_guard<std::mutex> lock(m_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  /// Starts jobs[w] on thread w (as many jobs as threads); the jobs catch their own errors.
  void start(std::vector<std::function<void()>> jobs) {
    {
      const std::lock_guard<std::mutex> lock(m_);
      for (std::size_t w = 0; w < slots_.size(); ++w) slots_[w] = {std::move(jobs[w]), false};
      ++generation_;
    }
    cv_.notify_all();
  }
  /// Returns when every job of the last start() has returned.
  void wait() {
    std::unique_lock<std::mutex> lock(m_);
    done_cv_.wait(lock, [this] {
      for (const auto& s : slots_)
        if (!s.done) return false;
      return true;
    });
  }

 private:
  struct Slot {
    std::function<void()> job;
    bool done = true;
  };
  void loop(int w) {
    std::uint64_t seen = 0;
    while (true) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(m_);
        cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        job = std::move(slots_[w].job);
      }
      job();
      {
        const std::lock_guard<std::mutex> lock(m_);
        slots_[w].done = true;
      }
      done_cv_.notify_all();
    }
  }
  std::mutex m_;
  std::condition_variable cv_, done_cv_;
  std::vector<Slot> slots_;
  std::vector<std::thread> threads_;
  std::uint64_t generation_ = 0;
  bool stop_ = false;
};

void run_share(Share& s, OperatorNet& net, const PhysicsLoss& loss, const Problem& p,
               const model::Grid& grid, std::uint64_t seed, std::uint64_t step, int first,
               int count, const TensorOptions& to, const std::vector<torch::Tensor>& params) {
  try {
    const PhysicsBatch batch = physics_batch(p, grid, draw_inputs(p, seed, step, count, first), to);
    s.lv = loss_of(net, loss, batch);
    s.grads = torch::autograd::grad({s.lv.total * s.weight}, params, {}, false, false, true);
  } catch (...) {
    s.error = std::current_exception();
  }
}

}  // namespace

LossValue loss_of(OperatorNet& net, const PhysicsLoss& loss, const PhysicsBatch& batch) {
  CellFields cells;
  auto* sep = dynamic_cast<SeparableDeepONet*>(&net);
  for (int f = 0; f < model::kNumFaces; ++f) {
    if (!loss.has_cells(f)) continue;
    const torch::Tensor zf = loss.xi(2).narrow(0, loss.face_node(f), 1);
    if (sep) {  // only u and u_z are needed on the face
      const SeparableFactors c =
          sep->factors(batch.branch, loss.cell_xi(f, 0), loss.cell_xi(f, 1), zf, true);
      cells[f].u = contract(c, c.x.v, c.y.v, c.z.v);
      cells[f].uz = contract(c, c.x.v, c.y.v, c.z.d1);
    } else {
      cells[f] = net.fields(batch.branch, loss.cell_xi(f, 0), loss.cell_xi(f, 1), zf, true);
    }
  }
  cells.volume.resize(loss.volume_layers());
  for (int v = 0; v < loss.volume_layers(); ++v) {
    GridFields& g = cells.volume[v];
    if (sep) {
      const SeparableFactors c = sep->factors(batch.branch, loss.volume_xi(v, 0),
                                              loss.volume_xi(v, 1), loss.volume_z(v), true);
      g.uxx = contract(c, c.x.d2, c.y.v, c.z.v);
      g.uyy = contract(c, c.x.v, c.y.d2, c.z.v);
      g.uzz = contract(c, c.x.v, c.y.v, c.z.d2);
    } else {
      g = net.fields(batch.branch, loss.volume_xi(v, 0), loss.volume_xi(v, 1), loss.volume_z(v),
                     true);
    }
  }
  if (auto* s = sep)
    return loss.evaluate(s->factors(batch.branch, loss.xi(0), loss.xi(1), loss.xi(2), true), batch,
                         cells);
  return loss.evaluate(net.fields(batch.branch, loss.xi(0), loss.xi(1), loss.xi(2), true), batch,
                       cells);
}

TrainReport train(const OperatorConfig& cfg, const TrainOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  if (ResponseOperator::describes(cfg)) {
    // Nothing trains and no network: FV responses of the modes (response_operator.hpp).
    if (!opt.device.is_cpu())
      throw std::invalid_argument(
          "a response model (network.modal_core: response) is built with the FV solver on the "
          "CPU; use --device cpu");
    const ResponseBuild b = build_response_model(cfg, opt.out_dir, opt.command_line, opt.resume,
                                                 [&](int done, int total) {
                                                   if (!opt.on_progress) return;
                                                   TrainProgress pr;
                                                   pr.step = done;
                                                   pr.steps = total;
                                                   opt.on_progress(pr);
                                                 });
    TrainReport rep;
    rep.reason = "built";
    rep.step = 0;
    rep.checkpoint = b.checkpoint;
    rep.seconds = b.seconds;
    if (b.validation_designs > 0)
      rep.validation.push_back({0, b.mean_rel_l2, b.max_rel_l2, b.max_abs_K});
    return rep;
  }
  const TrainingConfig& tc = cfg.training;
  fs::create_directories(opt.out_dir);
  const std::string ckpt = (fs::path(opt.out_dir) / "model.hnop").string();
  const std::string log_path = (fs::path(opt.out_dir) / "train_log.csv").string();
  const std::string val_path = (fs::path(opt.out_dir) / "validation.csv").string();

  // On the CPU with several OpenMP threads, each step's functions are split into one share
  // per thread (at most one per function), evaluated in parallel, one core each (LibTorch's
  // own intra-op threads do not speed up these small operations). LibTorch runs on one thread
  // for the whole run, set-up included, so that a run's numbers do not depend on which of its
  // operations happened to be parallel. On other devices, or with one thread, the whole batch
  // runs as one.
  const int omp_threads = omp_get_max_threads();  // before LibTorch's thread calls change it
  const int workers =
      opt.device.is_cpu() ? std::max(1, std::min(omp_threads, tc.functions_per_step)) : 1;
  // Restores both counts: LibTorch's set_num_threads also sets OpenMP's (to 1 with its native
  // thread pool), which heatop's own loops and the next run's share count read.
  struct RestoreThreads {
    int torch, omp;
    ~RestoreThreads() {
      at::set_num_threads(torch);
      omp_set_num_threads(omp);
    }
  } restore{at::get_num_threads(), omp_threads};
  if (workers > 1) at::set_num_threads(1);
  const model::Design base = io::load_design(cfg.design).design;
  SurrogateModel model(cfg, base, opt.device);
  const Problem& p = model.problem();
  OperatorNet& net = model.net();
  torch::optim::Adam adam(net.parameters(), torch::optim::AdamOptions(tc.learning_rate));

  TrainReport rep;
  rep.threads = workers;
  if (opt.resume) {
    if (!fs::exists(ckpt))
      throw std::invalid_argument(opt.out_dir + ": no checkpoint (model.hnop) to resume from");
    const nlohmann::json h = read_checkpoint_setup(ckpt).header;
    if (h["config_yaml"].get<std::string>() != cfg.yaml)
      throw std::invalid_argument(ckpt +
                                  ": the configuration differs from the one this model was "
                                  "trained with (see " +
                                  opt.out_dir +
                                  "/config.yaml); resume with "
                                  "the same configuration or train into a new folder");
    load_checkpoint_state(ckpt, net, &adam, opt.device);
    rep.start_step = h["step"].get<long>();
    truncate_log(log_path, rep.start_step);
    truncate_log(val_path, rep.start_step);
  } else {
    if (fs::exists(ckpt))
      throw std::invalid_argument(opt.out_dir +
                                  " already holds a model (model.hnop); continue it "
                                  "with --resume or train into another folder");
    io::write_file_atomically((fs::path(opt.out_dir) / "config.yaml").string(), cfg.yaml + "\n");
    nlohmann::json m{{"heatop_version", HEATOP_VERSION},
                     {"command_line", opt.command_line},
                     {"config_file", cfg.design},
                     {"seed", tc.seed},
                     {"device", opt.device.str()}};
    io::write_file_atomically((fs::path(opt.out_dir) / "manifest.json").string(), m.dump(2) + "\n");
  }
  rep.step = rep.start_step;
  rep.checkpoint = fs::exists(ckpt) ? ckpt : "";

  const model::Grid grid = p.collocation_grid();
  const std::vector<std::string> terms = PhysicsLoss(p, grid, model.tensor_options()).term_names();
  Validator val;
  if (tc.validate_every > 0 && tc.validation_functions > 0) {
    val.grid = p.grid(tc.validation_x, tc.validation_y, tc.validation_z);
    val.inputs = draw_inputs(p, tc.seed, kValidationStep, tc.validation_functions);
    for (const auto& v : val.inputs)
      val.reference.push_back(fv_reference(p.design_with(v), val.grid));
  }

  const bool new_log = !fs::exists(log_path);
  std::ofstream log(log_path, std::ios::app), vlog(val_path, std::ios::app);
  if (new_log) {
    log << "step,loss";
    for (const auto& n : terms) log << "," << n;
    log << ",lr,seconds\n";
    vlog << "step,mean_rel_l2_rise,max_rel_l2_rise,max_abs_K\n";
  }

  auto save = [&](long step) {
    save_checkpoint(ckpt, model.header(step), net, &adam);
    rep.checkpoint = ckpt;
  };
  const std::vector<torch::Tensor> params = net.parameters();
  bool trainable = false;
  for (const torch::Tensor& t : params) trainable |= t.requires_grad();
  if (!trainable) {
    // A solved core (network.modal_core): nothing to learn. It is checked against FV once, as a
    // trained model is at its last step, and written.
    if (!val.inputs.empty()) {
      rep.validation.push_back(val.run(model, 0));
      const ValidationRecord& v = rep.validation.back();
      vlog << v.step << "," << v.mean_rel_l2 << "," << v.max_rel_l2 << "," << v.max_abs_K << "\n";
      vlog.flush();
    }
    save(0);
    rep.reason = "solved";
    rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return rep;
  }
  std::unique_ptr<PhysicsLoss> fixed_loss;
  std::unique_ptr<StepThreads> step_threads;  // the shares' threads, from the first step on
  double best = INFINITY;
  for (long s = rep.start_step; s < tc.steps; ++s) {
    const double lr = learning_rate(tc, s);
    for (auto& g : adam.param_groups()) static_cast<torch::optim::AdamOptions&>(g.options()).lr(lr);
    model::Grid step_grid = grid;
    if (tc.collocation_sampling == CollocationSampling::random) {
      std::mt19937_64 rng(stream_seed(tc.seed, s, kGridStream));
      step_grid = jitter_grid(grid, rng);
    }
    // The loss's operators depend only on the collocation grid: built once unless it moves.
    if (!fixed_loss || tc.collocation_sampling == CollocationSampling::random)
      fixed_loss = std::make_unique<PhysicsLoss>(p, step_grid, model.tensor_options());
    const PhysicsLoss& loss = *fixed_loss;
    LossValue lv;
    std::vector<Share> shares;
    if (workers > 1) {
      // The losses are means over the functions, so the step's loss and gradient are the
      // shares' weighted by their fraction of the functions, summed in share order: the same
      // result whatever the threads' timing.
      shares.resize(static_cast<std::size_t>(workers));
      if (!step_threads) step_threads = std::make_unique<StepThreads>(workers - 1);
      std::vector<std::function<void()>> jobs;
      const int n = tc.functions_per_step;
      for (int w = 0; w < workers; ++w) {
        const int a = n * w / workers, b = n * (w + 1) / workers;
        shares[w].weight = static_cast<double>(b - a) / n;
        jobs.push_back([&, w, a, b] {
          at::set_num_threads(1);  // one core per share: no nested pools
          run_share(shares[w], net, loss, p, step_grid, tc.seed, s, a, b - a,
                    model.tensor_options(), params);
        });
      }
      std::function<void()> own = std::move(jobs.back());
      jobs.pop_back();
      step_threads->start(std::move(jobs));
      own();
      step_threads->wait();
      for (const auto& sh : shares)
        if (sh.error) std::rethrow_exception(sh.error);
      double total = 0;
      for (const auto& sh : shares) {
        total += sh.weight * sh.lv.total.item<double>();
        for (const auto& [name, v] : sh.lv.terms) lv.terms[name] += sh.weight * v;
      }
      lv.total = torch::tensor(total, torch::kFloat64);
    } else {
      lv = loss_of(net, loss,
                   physics_batch(p, step_grid, draw_inputs(p, tc.seed, s, tc.functions_per_step),
                                 model.tensor_options()));
    }
    const double l = lv.total.item<double>();
    if (!std::isfinite(l) || l > tc.divergence_factor * best) {
      rep.reason = std::isfinite(l) ? "diverged" : "nan";
      std::ostringstream msg;
      msg << "training stopped at step " << s << ": the loss "
          << (std::isfinite(l) ? "diverged to " : "became ") << l << " (best so far " << best
          << "). The last good checkpoint "
          << (rep.checkpoint.empty() ? "does not exist yet" : "is " + rep.checkpoint)
          << "; lower training.learning_rate or raise training.decay_rate's decay.";
      rep.message = msg.str();
      break;
    }
    best = std::min(best, l);
    adam.zero_grad();
    if (workers > 1) {
      for (std::size_t i = 0; i < params.size(); ++i) {
        torch::Tensor g;
        for (const auto& sh : shares)
          if (sh.grads[i].defined()) g = g.defined() ? g + sh.grads[i] : sh.grads[i];
        if (g.defined()) params[i].mutable_grad() = g;
      }
    } else {
      lv.total.backward();
    }
    adam.step();
    rep.step = s + 1;
    rep.loss = l;
    rep.terms = lv.terms;

    TrainProgress pr{rep.step, tc.steps, l, lr, lv.terms, nullptr};
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (rep.step % tc.log_every == 0 || rep.step == tc.steps) {
      log << rep.step << "," << l;
      for (const auto& n : terms) log << "," << (lv.terms.count(n) ? lv.terms.at(n) : 0.0);
      log << "," << lr << "," << secs << "\n";
      log.flush();
    }
    if (!val.inputs.empty() && (rep.step % tc.validate_every == 0 || rep.step == tc.steps)) {
      rep.validation.push_back(val.run(model, rep.step));
      const ValidationRecord& v = rep.validation.back();
      vlog << v.step << "," << v.mean_rel_l2 << "," << v.max_rel_l2 << "," << v.max_abs_K << "\n";
      vlog.flush();
      pr.validation = &rep.validation.back();
    }
    const bool stop = opt.stop_after > 0 && rep.step - rep.start_step >= opt.stop_after;
    if ((tc.checkpoint_every > 0 && rep.step % tc.checkpoint_every == 0) || rep.step == tc.steps ||
        stop)
      save(rep.step);
    if (opt.on_progress) opt.on_progress(pr);
    if (stop) {
      rep.reason = rep.step == tc.steps ? "done" : "stopped";
      break;
    }
  }
  if (rep.reason.empty()) rep.reason = "done";
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

}  // namespace heatop::surrogate
