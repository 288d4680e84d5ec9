#pragma once
// Solving a design end to end, as `heatop solve` does: memory check, grid, discretization,
// initial guess (model::reference_temperature), solve, NaN check, energy balance, void-node
// masking, statistics and the summary. The CLI and the Python module are shells over this.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/results.hpp"
#include "fv/system.hpp"
#include "io/design_file.hpp"
#include "io/output_dir.hpp"
#include "io/probes.hpp"
#include "model/grid.hpp"
#include "solve/linear.hpp"

namespace heatop::api {

struct SolveRequest {
  int threads = 0;  // OpenMP threads; 0 keeps the current setting
  /// Initial field (K, solver layout); empty: uniform at model::reference_temperature.
  std::vector<double> initial;
  /// PETSc options from the command line ("-ksp_monitor -pc_type hypre"), after the design's
  /// solver.petsc_options; solver.backend petsc only.
  std::string petsc_options;
  /// PETSc on several ranks: true gathers the field on rank 0 (SolveResult::field); false
  /// leaves every rank its own columns (SolveResult::parts), so no process holds the whole
  /// field, and write_solve_results writes collectively.
  bool gather_field = true;
};

struct SolveResult {
  model::Grid grid;
  field::Field3D field;  // K; NaN at nodes in void regions
  solve::SolveReport report;
  fv::EnergyBalance balance;
  FieldStats stats;
  std::size_t void_nodes = 0;
  double tolerance = 0;  // the relative residual asked for
  int threads = 0;       // OpenMP threads used
  /// summary.json without the per-run file list: statistics, energy balance, solver report.
  nlohmann::json summary;
  /// Whether this process holds the result (rank 0 of an MPI run of the PETSc backend, or any
  /// native run). On other ranks only `report` is filled and nothing is to be written.
  bool root = true;
  /// Set when the field stays spread over MPI ranks (SolveRequest::gather_field false):
  /// `field` is then empty and write_solve_results reads this, on every rank.
  std::shared_ptr<const FieldReader> parts;
  /// Warnings for the user (e.g. PETSc options that were never used); also in the summary.
  std::vector<std::string> warnings;
  bool converged() const { return report.converged; }
};

/// Solves a loaded design with its solver.backend (native, or PETSc on every MPI rank: rank 0's
/// result holds the field, see SolveResult::root). Throws std::runtime_error when the grid does
/// not fit in memory or the solver produces NaN/Inf, std::invalid_argument when the backend is
/// not built in or the MPI run does not fit the design; a solve that does not converge is returned
/// with converged() == false (the caller decides: the CLI writes the results and exits 3).
/// Nodes in void regions (outside every layer footprint around them) carry no temperature:
/// sets them to NaN in `t` over the columns of `part` and returns their number.
std::size_t mask_void_nodes(const fv::LayeredOperator& op, const fv::Box& part, double* t);

SolveResult solve_design(const io::LoadedDesign& loaded, const SolveRequest& request = {});

/// Solves designs that differ only in their power (a batch of power maps on one design), with
/// one discretization and one solver (multigrid hierarchy) for all of them; every solve starts
/// from the same initial guess as solve_design, so each result equals solve_design's to the
/// solver tolerance. Throws std::invalid_argument naming the first design that differs from the
/// first in anything but power (geometry, materials, boundaries, grid, solver settings).
std::vector<SolveResult> solve_designs(const std::vector<io::LoadedDesign>& designs,
                                       const SolveRequest& request = {});

/// Where a run came from, for manifest.json.
struct RunInfo {
  std::string design_path;
  std::vector<std::string> overrides;
  std::string command_line;
  std::vector<io::Probe> probes;             // probes.csv when not empty
  std::string export_format;                 // "", "hotspot" or "3d-ice": another tool's layout too
  FieldFiles field_files = FieldFiles::all;  // which 3D field files to write
};

/// Writes the results folder of a solve (summary.json, T.npy, T.vti/.vtr, PNG maps, probes.csv,
/// design.yaml, manifest.json, exports) into `out` and commits it. A result whose field is
/// spread over MPI ranks (SolveResult::parts) is written collectively: every rank calls this,
/// and only rank 0's `out` is used (the others may pass null); T.npy is written by all ranks
/// with MPI-IO. Exports need the gathered field.
void write_solve_results(io::OutputDir* out, const SolveResult& result,
                         const io::LoadedDesign& loaded, const RunInfo& info);

/// The one-line report `heatop solve` prints.
std::string solve_line(const SolveResult& result, const std::string& design_name,
                       const std::string& output);

}  // namespace heatop::api
