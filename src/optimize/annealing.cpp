#include "optimize/annealing.hpp"

#include <chrono>
#include <cmath>
#include <stdexcept>

namespace heatop::optimize {

void AnnealingOptions::validate() const {
  if (evaluations < 1)
    throw std::invalid_argument("optimizer.evaluations must be >= 1, got " +
                                std::to_string(evaluations));
  if (population < 1)
    throw std::invalid_argument("optimizer.population must be >= 1, got " +
                                std::to_string(population));
  if (!(t_start_K > 0) || !(t_end_K > 0) || t_end_K > t_start_K)
    throw std::invalid_argument("optimizer: need 0 < t_end_K <= t_start_K");
}

AnnealingResult anneal(const PlacementProblem& prob, const Placement& start,
                       const BatchObjective& f, const AnnealingOptions& opt,
                       const AnnealingProgress& progress) {
  opt.validate();
  std::string why;
  if (!prob.feasible(start, &why))
    throw std::invalid_argument("start placement infeasible: " + why);
  const auto t0 = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  std::mt19937_64 rng(opt.seed);
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  AnnealingResult res;
  Placement cur = start;
  double fcur = f({start}).at(0);
  res.evaluations = 1;
  res.best = cur;
  res.best_value = fcur;
  res.trace.push_back({1, seconds(), fcur});
  const int rounds = std::max(1, (opt.evaluations - 1 + opt.population - 1) / opt.population);
  int round = 0;
  while (res.evaluations < opt.evaluations) {
    const double frac = rounds > 1 ? static_cast<double>(round) / (rounds - 1) : 1.0;
    const double temp = opt.t_start_K * std::pow(opt.t_end_K / opt.t_start_K, frac);
    const int m = std::min(opt.population, opt.evaluations - res.evaluations);
    std::vector<Placement> cands;
    for (int c = 0; c < m; ++c) {
      Placement p;
      if (random_neighbour(prob, cur, rng, &p)) cands.push_back(std::move(p));
    }
    if (cands.empty()) break;  // nothing can move
    const std::vector<double> vals = f(cands);
    if (vals.size() != cands.size())
      throw std::runtime_error("objective returned " + std::to_string(vals.size()) +
                               " values for " + std::to_string(cands.size()) + " placements");
    res.evaluations += static_cast<int>(cands.size());
    std::size_t bi = 0;
    for (std::size_t c = 1; c < vals.size(); ++c)
      if (vals[c] < vals[bi]) bi = c;
    if (!std::isfinite(vals[bi])) throw std::runtime_error("objective returned NaN or Inf");
    if (vals[bi] < res.best_value) {
      res.best_value = vals[bi];
      res.best = cands[bi];
    }
    if (vals[bi] <= fcur || u01(rng) < std::exp(-(vals[bi] - fcur) / temp)) {
      cur = cands[bi];
      fcur = vals[bi];
    }
    res.trace.push_back({res.evaluations, seconds(), res.best_value});
    ++round;
    if (progress && !progress(res.evaluations, opt.evaluations, res.best_value)) break;
  }
  return res;
}

}  // namespace heatop::optimize
