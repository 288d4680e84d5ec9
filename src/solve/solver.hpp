#pragma once
// One entry point that picks a method and a preconditioner (kMethodNames, kPreconditionerNames
// in linear.hpp: cg | gmres | multigrid and multigrid | jacobi | none).

#include "fv/operator.hpp"
#include "solve/linear.hpp"
#include "solve/multigrid.hpp"

namespace heatop::solve {

/// solver.backend: which engine solves the system.
enum class Backend { native, petsc };
inline constexpr NameTable<Backend, 2> kBackendNames{
    {{Backend::native, "native",
      "heatop's own solvers (`solver.method`, `solver.preconditioner`), one process with OpenMP"},
     {Backend::petsc, "petsc",
      "PETSc KSP on a DMDA distributed over MPI ranks in x and y (`mpirun -n P heatop solve`; "
      "builds with `HEATOP_PETSC=ON`, docs/petsc.md); CG with multigrid (x/y coarsening, z-line "
      "smoothing) by default, any KSP/PC through `solver.petsc_options`"}}};

struct SolverConfig {
  Backend backend = Backend::native;
  /// solver.petsc_options: PETSc options-database text ("-ksp_monitor -pc_type hypre"), applied
  /// before the command line's; petsc backend only.
  std::string petsc_options;
  Method method = Method::cg;
  PreconditionerKind preconditioner = PreconditionerKind::multigrid;  // of cg and gmres
  SolveOptions options;
  MultigridOptions multigrid;
  /// Throws std::invalid_argument naming the bad field.
  void validate() const;
};

/// Solves A x = b for the finite-volume operator; x holds the initial guess.
SolveReport solve_system(const fv::LayeredOperator& op, const double* b, double* x,
                         const SolverConfig& cfg);

}  // namespace heatop::solve
