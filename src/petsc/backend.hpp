#pragma once
// The PETSc backend (solver.backend: petsc): the finite-volume system on a PETSc DMDA
// distributed over MPI ranks in x and y (z columns whole on each rank), solved by KSP.
// Built only with HEATOP_PETSC=ON; docs/petsc.md. This header does not include PETSc.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "fv/operator.hpp"
#include "solve/linear.hpp"
#include "solve/solver.hpp"

namespace heatop::petsc {

/// Initializes PETSc (and MPI) once per process; later calls do nothing. Initialized here,
/// PETSc is finalized by finalize().
void initialize();
/// Finalizes PETSc if initialize() started it.
void finalize();
bool initialized();
/// This process's rank and the number of ranks in PETSC_COMM_WORLD (0 and 1 before
/// initialize()).
int rank();
int size();
/// Ends every rank of the run (MPI_Abort) with `code`; used when one rank fails alone.
[[noreturn]] void abort(int code);

struct Result {
  solve::SolveReport report;  // method = KSP type, preconditioner = PC type, PETSc's reason
  int ranks = 1;
  int ranks_x = 1, ranks_y = 1;  // the process grid over x and y
  int mg_levels = 0;             // levels of heatop's default multigrid (0: another PC)
  /// How that multigrid's coarse levels get their operators: "rediscretized" (uniform lateral
  /// grids) or "galerkin"; empty for another PC.
  std::string coarse_operators;
  /// Why the default preconditioner is not heatop's geometric multigrid, if it is not.
  std::string preconditioner_note;
  std::size_t local_nodes_min = 0, local_nodes_max = 0;
  double setup_seconds = 0;         // matrix assembly and preconditioner set-up
  double solve_seconds = 0;         // KSPSolve
  std::vector<double> peak_rss_mb;  // peak resident memory of each rank at the end (rank 0 only)
  /// Options given (design or command line) that PETSc never used: likely misspelt.
  std::vector<std::string> unused_options;
  std::string options;  // the options database text in effect (design, then command line)
};

/// Bytes per unknown a rank needs for its part of the grid with heatop's default preconditioner
/// (matrices, multigrid hierarchy, Krylov and smoother vectors, heatop's arrays): the non-root
/// rank's peak RSS per unknown of its part was 498-500 B in 2-rank runs of C5 201^3 and
/// C4 513^2 x 53 (bench/results/petsc_large.json).
constexpr double kBytesPerUnknown = 500;

/// The largest of `v` over all ranks (collective).
double max(double v);
/// The number of ranks on this rank's machine (that share its memory).
int ranks_on_this_machine();
/// Sums `n` values over all ranks, in place (collective).
void sum(double* v, int n);
/// Whether `flag` holds on every rank (collective).
bool all(bool flag);
/// Every rank's `v`, in rank order, on rank 0; empty on the others (collective).
std::vector<std::vector<double>> gather_to_root(const std::vector<double>& v);
/// Rank 0's `s` on every rank (collective).
void broadcast(std::string& s);
/// Writes a '<f8' C-order array of shape (nx, ny, nz) to the .npy file `path` (rank 0's
/// path), each rank its block of columns `part` (values over it, z fastest) with MPI-IO
/// (collective; the ranks must see the same file system). Throws std::runtime_error naming the
/// file when it cannot be written.
void write_npy_parts(const std::string& path, int nx, int ny, int nz, const fv::Box& part,
                     const double* values);

/// How a grid's z columns are spread over the ranks of PETSC_COMM_WORLD: a PETSc DMDA split in
/// x and y only, so every z column lies whole on one rank. Creating one is collective (and
/// calls initialize()); every rank then holds arrays over its own part only. Throws
/// std::invalid_argument for more ranks than columns, or a grid PETSc cannot split.
class Distribution {
 public:
  Distribution(int nx, int ny, int nz);
  ~Distribution();
  Distribution(const Distribution&) = delete;
  Distribution& operator=(const Distribution&) = delete;

  fv::Box owned() const;    // this rank's columns
  fv::Box ghosted() const;  // with the neighbouring column on each side, where there is one
  int ranks_x() const;      // the process grid over x and y
  int ranks_y() const;

  /// Solves A x = b for the operator on every rank (collective). b and x are over owned(): x
  /// is the initial guess, and on return this rank's part of the solution. cfg.petsc_options
  /// and then `command_line_options` ("-ksp_monitor -pc_type hypre") go into a private options
  /// database. Throws std::invalid_argument for bad options and std::runtime_error with PETSc's
  /// message for PETSc errors; non-convergence is reported (report.converged == false,
  /// report.reason = PETSc's KSPConvergedReason).
  Result solve(const fv::LayeredOperator& op, const double* b, double* x,
               const solve::SolverConfig& cfg, const std::string& command_line_options = "") const;
  /// This rank's part of a field with its neighbours' columns next to it: an array over
  /// ghosted() (collective; the corner columns, which a 7-point stencil never reads, are 0).
  std::vector<double> with_ghosts(const double* x) const;
  /// The whole field, in heatop's node order, on rank 0; empty on the others (collective).
  std::vector<double> gather(const double* x) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace heatop::petsc
