#pragma once
// MPI runs of the PETSc backend (docs/petsc.md): which rank this process is, and PETSc's
// start-up and shutdown around a command. Without HEATOP_PETSC every process is rank 0 of 1.

#include <string>
#include <vector>

namespace heatop::api {

/// Whether this build has the PETSc backend (solver.backend: petsc).
bool petsc_available();

/// Whether the process was started by mpirun/mpiexec (OpenMPI, MPICH or PMIx environment).
bool launched_by_mpi();

/// Holds PETSc/MPI for the duration of a command: starts it at construction when the process
/// was launched by mpirun (so every rank takes part), and finalizes what it started at
/// destruction. A single process that asks for the PETSc backend starts it on demand instead.
class ParallelSession {
 public:
  ParallelSession();
  ~ParallelSession();
  ParallelSession(const ParallelSession&) = delete;
  ParallelSession& operator=(const ParallelSession&) = delete;
  int rank() const;
  int size() const;
  /// Ends every rank with `code` (a failure on some ranks only would leave the others waiting).
  [[noreturn]] void abort(int code) const;
};

/// Splits PETSc's options out of a command line: arguments "-name" (one dash) with an underscore
/// in the name (-ksp_monitor, -pc_type, -log_view, -mg_levels_ksp_type), each with the next
/// argument as its value when that does not start with '-' (so they go after the design file).
/// Returns them as one options string; `args` keeps the rest.
std::string take_petsc_options(std::vector<std::string>& args);

}  // namespace heatop::api
