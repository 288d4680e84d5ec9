// The PETSc module's entry point: the table of backend.cpp's functions (module.hpp).

#include "petsc/module.hpp"

namespace heatop::petsc {
namespace {

const Distribution& dist(const void* d) { return *static_cast<const Distribution*>(d); }

const ModuleTable kTable = [] {
  ModuleTable t{};
  t.abi = kModuleAbi;
  t.version = HEATOP_VERSION;
  t.initialize = initialize;
  t.finalize = finalize;
  t.initialized = initialized;
  t.rank = rank;
  t.size = size;
  t.abort = [](int code) { petsc::abort(code); };
  t.max = max;
  t.ranks_on_this_machine = ranks_on_this_machine;
  t.sum = sum;
  t.all = all;
  t.gather_to_root = gather_to_root;
  t.broadcast = broadcast;
  t.write_npy_parts = write_npy_parts;
  t.distribution_create = [](int nx, int ny, int nz) -> void* {
    return new Distribution(nx, ny, nz);
  };
  t.distribution_destroy = [](void* d) { delete static_cast<Distribution*>(d); };
  t.owned = [](const void* d) { return dist(d).owned(); };
  t.ghosted = [](const void* d) { return dist(d).ghosted(); };
  t.ranks_x = [](const void* d) { return dist(d).ranks_x(); };
  t.ranks_y = [](const void* d) { return dist(d).ranks_y(); };
  t.solve = [](const void* d, const fv::LayeredOperator& op, const double* b, double* x,
               const solve::SolverConfig& cfg,
               const std::string& options) { return dist(d).solve(op, b, x, cfg, options); };
  t.with_ghosts = [](const void* d, const double* x) { return dist(d).with_ghosts(x); };
  t.gather = [](const void* d, const double* x) { return dist(d).gather(x); };
  return t;
}();

}  // namespace
}  // namespace heatop::petsc

extern "C" __attribute__((visibility("default"))) const heatop::petsc::ModuleTable*
heatop_petsc_module() {
  return &heatop::petsc::kTable;
}
