#pragma once
// Seeded generators of the operator's input functions: power maps drawn as Gaussian random
// fields, random rectangular blocks on a tile grid or a mixture of both, and heat-transfer
// coefficients drawn uniformly from a range. Draws depend only on (seed, step, stream), so a
// run resumed at step s draws exactly what an uninterrupted run draws there.

#include <cstdint>
#include <random>
#include <vector>

#include "model/design.hpp"
#include "surrogate/config.hpp"
#include "surrogate/problem.hpp"

namespace heatop::surrogate {

/// A well-mixed 64-bit seed for draw `index` of `step` of a run seeded with `seed`.
std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t step, std::uint64_t index);

/// Draws tile power maps (W per tile) over a footprint of lx x ly metres.
class PowerMapGenerator {
 public:
  /// Throws std::invalid_argument on a bad configuration (see GeneratorConfig).
  PowerMapGenerator(const GeneratorConfig& cfg, double lx_m, double ly_m);
  model::PowerMap sample(std::mt19937_64& rng) const;
  model::PowerMap sample_grf(std::mt19937_64& rng) const;
  model::PowerMap sample_blocks(std::mt19937_64& rng) const;
  model::PowerMap sample_noise(std::mt19937_64& rng) const;

 private:
  GeneratorConfig cfg_;
  double lx_, ly_;
  std::vector<double> lx_factor_, ly_factor_;  // GRF square roots of the axis covariances
};

/// Square root L (L L^T = C) of a symmetric positive semi-definite n x n matrix (row-major) by
/// Jacobi eigen-decomposition; negative eigenvalues from rounding are clipped to zero.
std::vector<double> psd_sqrt(const std::vector<double>& c, int n);

/// A uniform draw of an HTC input, W/(m^2 K).
double sample_htc(const InputConfig& in, std::mt19937_64& rng);

/// The input values of step `step` of a run: draws first .. first + count - 1 of the step
/// (each from its own stream, so any split of a step's functions draws the same values).
std::vector<InputValues> draw_inputs(const Problem& p, std::uint64_t seed, std::uint64_t step,
                                     int count, int first = 0);

}  // namespace heatop::surrogate
