#pragma once
// A model of the operator as the predict and eval drivers (drivers.hpp) use it: the LibTorch
// network (SurrogateModel) or a solved modal model (SolvedModel, solved_operator.hpp), which
// needs no LibTorch. No LibTorch here.

#include <nlohmann/json.hpp>
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

}  // namespace heatop::surrogate
