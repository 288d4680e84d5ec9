#pragma once
// Checking an operator against the finite-volume reference: FV solves on a given grid and the
// error metrics of docs/cases.md (on the temperature rise above ambient). No LibTorch here.

#include <string>
#include <vector>

#include "field/field.hpp"
#include "model/design.hpp"
#include "model/grid.hpp"

namespace heatop::surrogate {

/// Solves a design on a grid with the FV solver (CG + multigrid to 1e-10). Throws
/// std::runtime_error if the solver does not converge.
field::Field3D fv_reference(const model::Design& d, const model::Grid& grid);

struct ErrorMetrics {
  double rel_l2_rise = 0;  // ||T - T_ref||_2 / ||T_ref - T_amb||_2
  double max_abs_K = 0;    // max |T - T_ref|
  double peak_err_K = 0;   // max T - max T_ref
  double mape = 0;         // mean |T - T_ref| / T_ref, percent
  double pape = 0;         // max |T - T_ref| / T_ref, percent
};

/// Metrics of `t` against `ref` (same size, K) with ambient `t_amb_K`.
ErrorMetrics compare(const std::vector<double>& t, const std::vector<double>& ref, double t_amb_K);

}  // namespace heatop::surrogate
