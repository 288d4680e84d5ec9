#pragma once
// The response operator (NetworkConfig::modal_core `response`): for stacks the modal operators
// cannot describe with cosine modes over the die, above all layers with footprints (a die on a
// wider spreader and sink, as the HotSpot importer writes). The field is linear in the inputs'
// power maps, so
//     T = T_0 + sum_i sum_{a,b} c_{i,ab} R_{i,ab},
// where T_0 is the base design's field with every input's map removed, c_{i,ab} are the cosine
// coefficients of input i's branch values (its mean density over each sensor cell, or each
// sensor node's control area, branch_values.hpp) for modes a < min(modes, sensors_x),
// b < min(modes, sensors_y), and R_{i,ab} is the FV field of a unit map shaped as that mode
// (constant over each sensor cell), with the faces' fixed and ambient values at zero. The
// modes are exactly orthogonal over the sensors (DCT-II over cells, trapezoid-weighted DCT-I
// over nodes), so a map that varies only between sensors and has no higher mode than the
// model keeps is predicted exactly, up to the solver tolerance (1e-10) and the float storage
// of R (about 1e-7 of the rise).
//
// Building the model costs one FV solve per mode and input on the design's own grid (the
// multigrid hierarchy is set up once); the solved fields are the model, stored in the
// checkpoint's payload (docs/checkpoint-format.md). It predicts on that grid only.
// No LibTorch here: commands that use such a model never load it.

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "field/field.hpp"
#include "fv/operator.hpp"
#include "model/grid.hpp"
#include "surrogate/operator_model.hpp"
#include "surrogate/problem.hpp"

namespace heatop::surrogate {

class ResponseOperator {
 public:
  /// Whether `cfg` describes a response core (network.core modal, modal_core response).
  static bool describes(const OperatorConfig& cfg);
  /// Builds the operator: one FV solve of the base field and one per kept mode of every input,
  /// on model::build_grid(base); `progress(done, total)` after each solve. Throws
  /// std::invalid_argument when `cfg` is not a response core, std::runtime_error when a solve
  /// does not converge.
  ResponseOperator(const model::Design& base, const OperatorConfig& cfg,
                   const std::function<void(int, int)>& progress = {});
  /// From a checkpoint's payload (payload()); throws std::runtime_error naming `where` when
  /// it is not a response payload, its sizes disagree with the design's grid or its modes, or
  /// it holds non-finite values.
  /// The operator reads its responses in place in `payload` (no copy) and keeps `owner`, which
  /// keeps those bytes (a mapped checkpoint, checkpoint_file.hpp), alive.
  ResponseOperator(const model::Design& base, const OperatorConfig& cfg, std::string_view payload,
                   std::shared_ptr<const void> owner, const std::string& where);
  /// The same from bytes the operator takes over.
  ResponseOperator(const model::Design& base, const OperatorConfig& cfg, std::string payload,
                   const std::string& where);
  ResponseOperator(const ResponseOperator&) = delete;
  ResponseOperator& operator=(const ResponseOperator&) = delete;

  /// The payload a checkpoint stores: grid, base field and responses (little-endian).
  std::string payload() const;

  const Problem& problem() const { return problem_; }
  /// The grid the model predicts on: the base design's own.
  const model::Grid& grid() const { return grid_; }
  /// Response fields (modes kept, over all inputs); the build took this many FV solves + 1.
  int responses() const { return count_; }
  /// Modes kept per axis of input i.
  int modes_x(std::size_t i) const { return mx_.at(i); }
  int modes_y(std::size_t i) const { return my_.at(i); }

  /// Temperatures (K) of each design on `grid`. Throws std::invalid_argument when `grid` is
  /// not the model's grid (naming both). Nodes in void regions hold the FV solver's value there
  /// (decoupled rows), as an unmasked FV solution does.
  std::vector<field::Field3D> predict(const std::vector<InputValues>& inputs,
                                      const model::Grid& grid) const;
  /// The peak temperature (K) of each design over the grid's material nodes.
  std::vector<double> predict_peaks(const std::vector<InputValues>& inputs,
                                    const model::Grid& grid) const;

 private:
  // The modes and projections of cfg's inputs.
  void setup(const OperatorConfig& cfg);
  // active_ from the operator of the model's grid.
  void mark_material(const fv::LayeredOperator& op);
  void check_grid(const model::Grid& g) const;
  // The coefficients [count_] of one design's branch values (each input's [sx * sy] at q[i]).
  void coefficients(const std::vector<std::vector<double>>& q, std::size_t b, double* c) const;
  // T_0 + sum_k c_k R_k into out [N].
  void combine(const double* c, double* out) const;

  Problem problem_;
  model::Grid grid_;
  std::vector<int> mx_, my_;
  std::vector<std::vector<double>> ax_, by_;  // per input: projections [mx, sx], [my, sy]
  std::vector<double> base_;                  // T_0, K
  std::vector<float> built_;                  // a built operator's responses
  std::shared_ptr<const void> owner_;         // what keeps a loaded operator's payload
  const float* resp_ = nullptr;               // [count_][N], K per unit coefficient: in either
  std::vector<char> active_;                  // material nodes
  int count_ = 0;
};

/// A saved response model as predict, eval and optimize use it, on the CPU, without LibTorch.
class ResponseModel : public LinearOperatorModel<ResponseOperator> {
 public:
  using LinearOperatorModel::LinearOperatorModel;
  /// From a checkpoint file or a model folder: read_checkpoint_setup's errors, and
  /// std::invalid_argument when the model is not a response one.
  static std::unique_ptr<ResponseModel> load(const std::string& path);
};

/// What build_response_model did.
struct ResponseBuild {
  std::string checkpoint;  // model.hnop in the folder
  double seconds = 0;      // the whole build, validation included
  int solves = 0;          // FV solves of the build (base field and responses)
  int validation_designs = 0;
  double mean_rel_l2 = 0, max_rel_l2 = 0, max_abs_K = 0;  // against FV on the model's grid
};

/// `heatop train` of a response core: builds the operator, checks it against FV on
/// training.validation_functions maps drawn from the inputs' generators (on the model's grid),
/// and writes config.yaml, manifest.json, validation.csv and model.hnop into `out_dir`
/// (model.hnop last, atomically). Throws std::invalid_argument when `out_dir` already holds a
/// model or `resume` is set (there is nothing to resume).
ResponseBuild build_response_model(const OperatorConfig& cfg, const std::string& out_dir,
                                   const std::string& command_line, bool resume,
                                   const std::function<void(int, int)>& progress = {});

/// A model that predicts without LibTorch (solved modal or response), from a checkpoint file or
/// folder; null when the checkpoint holds a trained network. read_checkpoint_setup's errors.
std::unique_ptr<OperatorModel> load_linear_model(const std::string& path);

}  // namespace heatop::surrogate
