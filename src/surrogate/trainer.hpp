#pragma once
// Physics-informed training of an operator (docs/surrogate.md): Adam with exponential learning-rate
// decay, a fresh batch of input functions every step (drawn from (seed, step), so resuming
// reproduces an uninterrupted run), periodic validation against FV solutions, checkpoints, and
// a stop with a message on NaN or divergence that keeps the last good checkpoint.
//
// The model folder holds: model.hnop (latest good checkpoint, docs/checkpoint-format.md),
// config.yaml (effective configuration), train_log.csv (step, loss, terms, lr, seconds),
// validation.csv (step, mean and max relative L2 of the rise, max |dT| in K) and manifest.json.

#include <torch/torch.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "surrogate/config.hpp"
#include "surrogate/generators.hpp"
#include "surrogate/operator_net.hpp"
#include "surrogate/physics_loss.hpp"
#include "surrogate/problem.hpp"

namespace heatop::surrogate {

struct ValidationRecord {
  long step = 0;
  double mean_rel_l2 = 0, max_rel_l2 = 0, max_abs_K = 0;
};

struct TrainProgress {
  long step = 0, steps = 0;  // steps done, total
  double loss = 0, lr = 0;
  std::map<std::string, double> terms;
  const ValidationRecord* validation = nullptr;  // set on steps that validated
};

struct TrainOptions {
  std::string out_dir;
  bool resume = false;
  torch::Device device = torch::kCPU;
  /// > 0: stop after this many steps of this run and write a checkpoint, as an interruption
  /// would (tests of resume).
  long stop_after = 0;
  std::string command_line;                               // for the manifest
  std::function<void(const TrainProgress&)> on_progress;  // every step
};

struct TrainReport {
  long start_step = 0, step = 0;  // first step of this run, steps done in total
  int threads = 1;                // threads that shared each step's functions
  std::string reason;   // done | stopped | nan | diverged | solved | built (nothing to train)
  std::string message;  // for nan / diverged
  double loss = 0, seconds = 0;
  std::map<std::string, double> terms;
  std::vector<ValidationRecord> validation;
  std::string checkpoint;  // path of the last good checkpoint ("" if none)
  bool ok() const {
    return reason == "done" || reason == "stopped" || reason == "solved" || reason == "built";
  }
};

/// Trains (or, with opt.resume, continues) the operator of `cfg` into opt.out_dir. Throws
/// std::invalid_argument for bad configurations, a folder that already holds a model without
/// --resume, or a resume whose configuration differs from the checkpoint's.
TrainReport train(const OperatorConfig& cfg, const TrainOptions& opt);

/// The physics loss of a model on a batch: separable models through their factors, others
/// through full-grid fields.
LossValue loss_of(OperatorNet& net, const PhysicsLoss& loss, const PhysicsBatch& batch);

}  // namespace heatop::surrogate
