// The phases of one FV solve of a design file, each the mean of N runs: fv::discretize, the
// solver's set-up (multigrid hierarchy) and the solve (CG + multigrid to the design's
// tolerance). For operators with footprints (imported HotSpot designs) discretization and
// set-up build per-node caches, which this shows apart from the solve. Last, the trust layer's
// default error estimate (the coarse-grid correction, trust::estimate_confidence) of the solved
// field with the solver's hierarchy: what a check costs when the set-up is shared.
//
//   heatop_bench_setup DESIGN [--runs N]      (default 10; OMP_NUM_THREADS sets the threads)

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench_args.hpp"
#include "fv/system.hpp"
#include "io/design_file.hpp"
#include "solve/fv_solver.hpp"
#include "trust/confidence.hpp"

namespace {

void usage(int code) {
  std::fprintf(code ? stderr : stdout, "usage: heatop_bench_setup DESIGN [--runs N]\n");
  std::exit(code);
}

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace heatop;
  std::string design;
  int runs = 10;
  try {
    bench::ArgCursor c(argc, argv, "heatop_bench_setup", usage);
    while (c.next()) {
      if (c.arg() == "--runs")
        runs = std::stoi(c.value());
      else if (design.empty() && c.arg()[0] != '-')
        design = c.arg();
      else
        throw std::invalid_argument("unknown argument " + c.arg() + "; usage: DESIGN [--runs N]");
    }
    if (design.empty() || runs < 1)
      throw std::invalid_argument("usage: heatop_bench_setup DESIGN [--runs N >= 1]");
    const io::LoadedDesign ld = io::load_design(design);
    double discretize = 0, setup = 0, solve = 0, check = 0;
    std::size_t nodes = 0;
    int iterations = 0;
    for (int r = 0; r < runs; ++r) {
      const double t0 = now();
      const fv::System sys = fv::discretize(ld.design);
      const double t1 = now();
      const solve::FvSolver solver(*sys.op, ld.solver);
      const double t2 = now();
      std::vector<double> x(sys.rhs.size(), model::reference_temperature(ld.design));
      const solve::SolveReport rep = solver.solve(sys.rhs.data(), x.data());
      const double t3 = now();
      if (!rep.converged) throw std::runtime_error("the solve did not converge: " + rep.summary());
      const trust::Confidence conf = trust::estimate_confidence(sys, x, {}, solver.multigrid());
      const double t4 = now();
      if (!std::isfinite(conf.est_max_error_K))
        throw std::runtime_error("the error estimate of the solved field is not finite");
      check += t4 - t3;
      discretize += t1 - t0;
      setup += t2 - t1;
      solve += t3 - t2;
      nodes = sys.rhs.size();
      iterations = rep.iterations;
    }
    std::printf(
        "%s: %zu nodes, %d runs: discretize %.1f ms, solver set-up %.1f ms, solve %.1f ms "
        "(%d iterations), coarse error estimate %.2f ms, means\n",
        design.c_str(), nodes, runs, 1e3 * discretize / runs, 1e3 * setup / runs,
        1e3 * solve / runs, iterations, 1e3 * check / runs);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "heatop_bench_setup: error: %s\n", e.what());
    return 2;
  }
  return 0;
}
