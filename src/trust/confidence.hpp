#pragma once
// Trust layer: how far is a temperature field (e.g. a surrogate prediction) from the
// finite-volume solution, in kelvin, and how to close the gap (docs/trust.md).
//
// Error estimate: the FV residual r = b - A T_pred is exact information about the error
// e = T_fv - T_pred, since A e = r. A few multigrid V-cycles on A e = r give e to a few digits
// at the cost of a few stencil sweeps; the raw residual, dominated by high-frequency noise
// amplified by 1/h^2, would say little about kelvins.
//
// Confidence score: s = 1 / (1 + (e_max / tol)^2), monotone decreasing in the estimated max
// error e_max: 1 for an exact field, 0.5 at the tolerance, 0.2 at twice it. "trusted" means
// e_max <= tol.

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "fv/system.hpp"
#include "solve/fv_solver.hpp"
#include "solve/solver.hpp"

namespace heatop::trust {

/// How the error e = A^-1 r is estimated from the residual r.
enum class ErrorEstimate { coarse, vcycles };
inline constexpr NameTable<ErrorEstimate, 2> kErrorEstimateNames{
    {{ErrorEstimate::coarse, "coarse",
      "the multigrid's coarse-grid correction of r (the next level's V-cycle, interpolated; "
      "predict adds one fine-level sweep on grids coarser than a modal model's modes): about a "
      "tenth of an FV solve; recovers 0.7-0.95 of the max error"},
     {ErrorEstimate::vcycles, "vcycles",
      "`cycles` multigrid V-cycles on A e = r (default 4): the discrete error to ~0.1 %, about "
      "half an FV solve"}},
    "error estimate must be {either}, got '{got}'"};

struct ConfidenceOptions {
  double tolerance_K = 0.5;  // error the user accepts
  ErrorEstimate method = ErrorEstimate::coarse;
  int cycles = 4;  // multigrid V-cycles for the vcycles estimate
  /// coarse: z-line sweeps on the finest level after the coarse-grid correction (0..4). They
  /// add the grid-scale part of the error, which is what an accurate prediction's error against
  /// FV mostly is on a grid coarser than the prediction's own resolution (docs/trust.md); each
  /// costs about 0.04 of an FV solve.
  int fine_sweeps = 0;
  /// Keep the estimated error field (Confidence::error_field). Without it the statistics are
  /// the same and the coarse estimate (no fine sweeps) reduces e row by row as it interpolates
  /// it, never storing it: no N-value vector to allocate and fill, for checks that want the
  /// numbers only (batches of predictions).
  bool error_field = true;
  void validate() const;
};

struct Confidence {
  double score = 0;                      // in [0, 1], see above
  double est_max_error_K = 0;            // max |e| over material nodes
  double est_mean_error_K = 0;           // mean |e| over material nodes
  std::array<double, 3> est_max_at_m{};  // where the max sits (m)
  double rel_residual = 0;               // ||b - A T|| / ||b||
  double tolerance_K = 0;
  ErrorEstimate method = ErrorEstimate::coarse;
  int fine_sweeps = 0;  // coarse: ConfidenceOptions::fine_sweeps
  bool trusted = false;
  std::vector<double> error_field;  // estimated T_fv - T, K, the solver's layout (empty
                                    // without ConfidenceOptions::error_field)
};

/// The confidence score of an estimated max error (documented function above).
double confidence_score(double est_max_error_K, double tolerance_K);

/// Estimates the error of `t` (K, size sys.grid.size()) against the FV solution of `sys`.
/// `mg`: a multigrid hierarchy of sys's operator to reuse (solve::FvSolver::multigrid());
/// null builds one.
Confidence estimate_confidence(const fv::System& sys, const std::vector<double>& t,
                               const ConfidenceOptions& opt = {},
                               const solve::Multigrid* mg = nullptr);

/// Error estimates of many fields on designs that differ only in their power (a batch of maps
/// on one stack and grid): the operator is discretized and its multigrid hierarchy built once,
/// and each check only sets the power (fv::set_power) and runs the estimate.
class ConfidenceChecker {
 public:
  /// `base`: the designs' stack; throws std::invalid_argument for invalid options or a design
  /// that does not discretize.
  ConfidenceChecker(const model::Design& base, const model::Grid& grid,
                    const ConfidenceOptions& opt = {});
  ~ConfidenceChecker();
  /// The estimate for the field `t` of `design` (base with other power maps; fv::set_power
  /// throws std::invalid_argument for anything else).
  Confidence check(const model::Design& design, const std::vector<double>& t);
  const ConfidenceOptions& options() const { return opt_; }
  double setup_seconds() const { return setup_seconds_; }  // discretization and hierarchy

 private:
  ConfidenceOptions opt_;
  fv::System sys_;
  std::unique_ptr<solve::Multigrid> mg_;
  double setup_seconds_ = 0;
};

struct RefineResult {
  solve::SolveReport warm;  // from the given field
  solve::SolveReport cold;  // from a uniform start (only if requested)
  bool has_cold = false;
};

/// The solvers a refinement may use (`heatop predict --method`): the Krylov methods.
inline constexpr NameTable<solve::Method, 2> kRefineMethodNames{
    {{solve::Method::cg, "cg", "conjugate gradients with the multigrid preconditioner"},
     {solve::Method::gmres, "gmres", "restarted GMRES with the multigrid preconditioner"}},
    "refinement method must be {either}, got '{got}'"};

/// Refines `t` in place by a warm-started solve (cfg.method cg or gmres) to cfg's tolerance.
/// With cold_start_K > 0 the same solve from a uniform field at that temperature is timed too.
RefineResult refine(const fv::System& sys, std::vector<double>& t, const solve::SolverConfig& cfg,
                    double cold_start_K = 0);

/// Refines `t` in place by a warm-started solve with a reusable solver of sys's operator.
solve::SolveReport refine(const fv::System& sys, std::vector<double>& t,
                          const solve::FvSolver& solver);

struct RefineToErrorResult {
  int iterations = 0;          // Krylov iterations over all stages
  double seconds = 0;          // all of it: set-up, solves and error estimates
  double setup_seconds = 0;    // the solver's set-up (multigrid hierarchy), shared by all
  double solve_seconds = 0;    // the warm-started solves alone
  double rel_tol_reached = 0;  // the residual tolerance of the last stage
  double est_max_error_K = 0;  // estimated max error after refinement
  bool reached = false;        // est_max_error_K <= tol_K
  solve::SolveReport cold;     // a cold start from cold_start_K to rel_tol_reached (if
                               // requested), with the same solver: its seconds, solve alone
  bool has_cold = false;
};

/// Refines `t` until its estimated max error is at most tol_K: warm-started solves (cfg.method
/// cg or gmres) at relative residual tolerances 1e-4, 1e-6, ... 1e-12, each followed by an
/// error estimate (V-cycles: the stopping test needs the accurate one), all with one solver
/// (one multigrid set-up). With cold_start_K > 0 a solve from that uniform field to the final
/// residual tolerance is timed with the same solver for comparison (solve_seconds against
/// cold.seconds: neither includes the set-up).
RefineToErrorResult refine_to_error(const fv::System& sys, std::vector<double>& t,
                                    const solve::SolverConfig& cfg, double tol_K,
                                    double cold_start_K = 0);

}  // namespace heatop::trust
