#pragma once
// The PETSc backend is a shared module, libheatop_petsc.so, that heatop loads (dlopen) the first
// time a PETSc function is needed: PETSc and Open MPI bring about 100 shared libraries, and a
// program that links them pays their dynamic linking at every start (about 0.05 s), whether it
// solves with PETSc or not. The functions of backend.hpp, as the rest of heatop calls them, live
// in loader.cpp and forward to the module's table below; backend.cpp, the real implementation,
// is compiled into the module only. rank(), size() and initialized() answer 0, 1 and false
// without loading it while nothing has initialized PETSc.

#include <string>
#include <vector>

#include "petsc/backend.hpp"

namespace heatop::petsc {

/// Changes whenever the table changes; the loader refuses a module of another interface.
constexpr int kModuleAbi = 1;

/// What the module exports, through its one entry point `heatop_petsc_module`.
struct ModuleTable {
  int abi = kModuleAbi;
  const char* version = HEATOP_VERSION;
  void (*initialize)();
  void (*finalize)();
  bool (*initialized)();
  int (*rank)();
  int (*size)();
  void (*abort)(int code);
  double (*max)(double v);
  int (*ranks_on_this_machine)();
  void (*sum)(double* v, int n);
  bool (*all)(bool flag);
  std::vector<std::vector<double>> (*gather_to_root)(const std::vector<double>& v);
  void (*broadcast)(std::string& s);
  void (*write_npy_parts)(const std::string& path, int nx, int ny, int nz, const fv::Box& part,
                          const double* values);
  // A Distribution of the module, behind an opaque pointer.
  void* (*distribution_create)(int nx, int ny, int nz);
  void (*distribution_destroy)(void* d);
  fv::Box (*owned)(const void* d);
  fv::Box (*ghosted)(const void* d);
  int (*ranks_x)(const void* d);
  int (*ranks_y)(const void* d);
  Result (*solve)(const void* d, const fv::LayeredOperator& op, const double* b, double* x,
                  const solve::SolverConfig& cfg, const std::string& command_line_options);
  std::vector<double> (*with_ghosts)(const void* d, const double* x);
  std::vector<double> (*gather)(const void* d, const double* x);
};

using ModuleEntryFn = const ModuleTable* (*)();

/// Where the module is looked for: $HEATOP_PETSC_MODULE, else libheatop_petsc.so next to the
/// executable (/proc/self/exe), else ../lib/heatop/libheatop_petsc.so from it, else where this
/// build put it (programs of the build tree that are not the executable: the Python module, the
/// tests).
std::string module_path();

/// Whether the module has been loaded in this process.
bool module_loaded();

}  // namespace heatop::petsc
