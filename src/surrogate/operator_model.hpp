#pragma once
// A model of the operator as the predict and eval drivers (drivers.hpp) use it: the LibTorch
// network (SurrogateModel), a solved modal model (SolvedModel, solved_operator.hpp) or a
// response model (ResponseModel, response_operator.hpp); the last two need no LibTorch. No
// LibTorch here.

#include <memory>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "field/field.hpp"
#include "model/grid.hpp"
#include "surrogate/problem.hpp"

namespace heatop::surrogate {

class OperatorModel {
 public:
  virtual ~OperatorModel() = default;
  virtual const Problem& problem() const = 0;
  const OperatorConfig& config() const { return problem().config(); }
  /// The checkpoint header this model came from (empty for a fresh model).
  virtual const nlohmann::json& info() const = 0;
  /// Temperatures (K) for each input set on `grid`, evaluated `batch` designs at a time.
  virtual std::vector<field::Field3D> predict(const std::vector<InputValues>& inputs,
                                              const model::Grid& grid, int batch = 16) = 0;
  /// The temperature of one design on its own grid (any resolution). Throws
  /// std::invalid_argument when the design is not of the model's family.
  virtual field::Field3D predict(const model::Design& d, const model::Grid& grid) = 0;
  /// The peak temperature (K) of each design on `grid`, from the node planes where it can lie
  /// (peak_planes in solved_operator.hpp), `batch` designs at a time.
  virtual std::vector<double> predict_peaks(const std::vector<InputValues>& inputs,
                                            const model::Grid& grid, int batch = 64) = 0;
};

/// A model that is plain linear algebra over an operator `Op` (SolvedOperator, ResponseOperator)
/// and its checkpoint header, on the CPU, without LibTorch. Op provides problem(),
/// predict(inputs, grid) and predict_peaks(inputs, grid); the batch sizes are not used.
template <class Op>
class LinearOperatorModel : public OperatorModel {
 public:
  LinearOperatorModel(std::shared_ptr<const Op> op, nlohmann::json header)
      : op_(std::move(op)), header_(std::move(header)) {}
  const Problem& problem() const override { return op_->problem(); }
  const nlohmann::json& info() const override { return header_; }
  std::vector<field::Field3D> predict(const std::vector<InputValues>& inputs,
                                      const model::Grid& grid, int = 16) override {
    return op_->predict(inputs, grid);
  }
  field::Field3D predict(const model::Design& d, const model::Grid& grid) override {
    // Moved out: a copy of the field would cost as much as writing it.
    return std::move(op_->predict({op_->problem().inputs_of(d)}, grid).front());
  }
  std::vector<double> predict_peaks(const std::vector<InputValues>& inputs, const model::Grid& grid,
                                    int = 64) override {
    return op_->predict_peaks(inputs, grid);
  }
  const Op& op() const { return *op_; }
  std::shared_ptr<const Op> op_ptr() const { return op_; }

 private:
  std::shared_ptr<const Op> op_;
  nlohmann::json header_;
};

}  // namespace heatop::surrogate
