#pragma once
// The modal operator solved from the stack (NetworkConfig::modal_core `solved`) as plain linear
// algebra, without LibTorch. Such a model has nothing that trains: the branch of every power map
// is its cosine transform, each lateral cosine mode (a, b) has the stack's exact depth functions
// at its own wavenumber (stack_basis.hpp), and the mode's bottom and top weights solve its 2x2
// face system (heat-transfer coefficients as inputs enter its diagonal). A prediction is
//     u(x, y, z) = sum_{a,b} X_a(x) Y_b(y) sum_k beta[a,b,k] Z_{a,b,k}(z),
// evaluated as a weighting of the depth functions and two GEMMs (BLAS), in double precision.
// The model is defined by its configuration and base design alone (the checkpoint's header), so
// commands that only use a solved model do not load LibTorch. The LibTorch model
// (surrogate_model.hpp) takes its weights and its CPU predictions from here.

#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "field/field.hpp"
#include "model/grid.hpp"
#include "surrogate/operator_model.hpp"
#include "surrogate/problem.hpp"
#include "surrogate/stack_basis.hpp"

namespace heatop::surrogate {

/// Lateral mode k of the `cosine` trunk (trunks.hpp): cos(rate (xi + 1)) * scale.
double cosine_mode_rate(int k);
double cosine_mode_scale(int k);

/// [r, s] row-major: row k the k-th cosine mode cos(k pi x) on [0, 1], as the mean over each of
/// s tiles (`cells`) or as the value at each of s nodes times its trapezoid weight. The
/// separable branch's transform A (or B) starts as this; a solved core keeps it.
std::vector<double> cosine_transform(int r, int s, bool cells);

/// The depth functions of a modal core with `modes` cosine modes per lateral axis: per mode
/// (a, b), a-major, its wavenumber per die width and the scale of its source functions.
struct ModalRates {
  std::vector<double> rates, source_scale;
};
ModalRates modal_rates(const Problem& p, int modes);

/// The z nodes of `grid` where the peak temperature of a design of p's family can lie: the
/// nodes of the powered layers and of a top or bottom face that receives power or holds a fixed
/// temperature (maximum principle in the source-free layers; Hopf's lemma rules out adiabatic
/// faces and convective faces above ambient); every node when a side face holds power or a
/// fixed temperature, or when nothing is powered.
std::vector<int> peak_planes(const Problem& p, const model::Grid& grid);

class SolvedOperator {
 public:
  /// Whether `cfg` describes a solved modal core (network.core modal, modal_core solved).
  static bool describes(const OperatorConfig& cfg);
  /// Builds the operator of `cfg` for the family of `base`. Throws std::invalid_argument when
  /// the configuration is not a solved modal core, or names what the design has that the
  /// solved core cannot model.
  SolvedOperator(const model::Design& base, const OperatorConfig& cfg);
  /// From a checkpoint file or a model folder (only its header is read; the checksum covers the
  /// whole file). Throws std::runtime_error naming the file when it cannot be read, and
  /// std::invalid_argument when the model is not a solved one.
  static std::shared_ptr<const SolvedOperator> load(const std::string& path);

  const Problem& problem() const { return problem_; }
  int modes() const { return modes_; }
  /// Depth functions per mode: bottom, top and one per powered layer (StackBasis::kinds).
  int kinds() const { return basis_.kinds(); }
  const StackBasis& basis() const { return basis_; }
  /// The input that sets the bottom (side 0) or top (side 1) face's h, or -1.
  int htc_input(int side) const { return htc_input_[side]; }
  /// The Biot number of a heat-transfer coefficient (W/(m^2 K)) in the model's scales.
  double biot(double h_W_per_m2K) const { return h_W_per_m2K * bi_per_h_; }

  /// The cosine coefficients [modes * modes] (a-major) of power-map input `input`'s branch
  /// values q [sx * sy] (branch_values.hpp): A q B^T.
  void transform(std::size_t input, const double* q, double* p) const;
  /// One design's core beta [modes * modes * kinds] ((a, b, kind), kind fastest) from each
  /// power-map input's cosine coefficients (p[i], nullptr for HTC inputs) and the Biot numbers
  /// of the faces whose h is an input (ignored for the others).
  void weights(const std::vector<const double*>& p, double bi_bottom, double bi_top,
               double* beta) const;

  /// Temperatures (K) of each design on `grid`.
  std::vector<field::Field3D> predict(const std::vector<InputValues>& inputs,
                                      const model::Grid& grid) const;
  /// The peak temperature (K) of each design on `grid`, from the nodes of peak_planes() only
  /// (the last product in single precision: within 1e-6 of the rise of the full field's).
  std::vector<double> predict_peaks(const std::vector<InputValues>& inputs,
                                    const model::Grid& grid) const;

 private:
  struct Drive {
    std::size_t input = 0;
    int source = -1;  // source function (kind 2 + source), or -1 for a face input
    std::vector<double> r0, r1;
  };
  // The cores of a batch, [B][modes * modes * kinds].
  std::vector<std::vector<double>> cores(const std::vector<InputValues>& inputs) const;
  // u (non-dimensional) of one core on x nodes, y nodes and the depth values z ([nz * functions],
  // basis order), written [nx, ny, nz] row-major into out.
  void contract(const double* beta, const std::vector<double>& x, const std::vector<double>& y,
                const std::vector<double>& z, int nz, double* out) const;
  using ValueCache =
      std::vector<std::pair<std::vector<double>, std::shared_ptr<const std::vector<double>>>>;
  // The depth functions at trunk coordinates. The last few point sets are kept: a placement
  // search alternates between a peak plane's points and a whole grid's.
  std::shared_ptr<const std::vector<double>> depth_values(const std::vector<double>& xi) const;
  // Lateral mode values [n, modes] at trunk coordinates, kept the same way (every answer of a
  // search is on the same grid).
  std::shared_ptr<const std::vector<double>> lateral_values(const std::vector<double>& xi) const;
  // The values of `xi` from `cache` (most recently used last), or `compute(xi)` kept there.
  std::shared_ptr<const std::vector<double>> cached(
      ValueCache& cache, const std::vector<double>& xi,
      const std::function<std::vector<double>(const std::vector<double>&)>& compute) const;

  Problem problem_;
  int modes_ = 0;
  StackBasis basis_;
  ModalFaceSystem faces_;
  std::vector<Drive> drives_;
  std::vector<std::vector<double>> ax_, by_;  // per input: A [modes, sx], B [modes, sy]
  int htc_input_[2] = {-1, -1};
  double bi_per_h_ = 0;
  mutable std::mutex cache_mutex_;
  mutable ValueCache depth_cache_, lateral_cache_;  // (points, values)
};

/// A saved solved model as the predict and eval drivers use it: its operator and its checkpoint
/// header, on the CPU, without LibTorch.
class SolvedModel : public LinearOperatorModel<SolvedOperator> {
 public:
  using LinearOperatorModel::LinearOperatorModel;
  /// From a checkpoint file or a model folder: read_checkpoint_setup's errors, and
  /// std::invalid_argument when the model is not a solved one.
  static std::unique_ptr<SolvedModel> load(const std::string& path);
};

}  // namespace heatop::surrogate
