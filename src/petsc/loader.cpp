// backend.hpp's functions as the rest of heatop calls them: each forwards to the PETSc module,
// which is loaded on first use (module.hpp).

#include <dlfcn.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>

#include "petsc/module.hpp"

namespace heatop::petsc {

namespace {

namespace fs = std::filesystem;

std::atomic<const ModuleTable*> g_table{nullptr};

const ModuleTable* open_module() {
  const std::string path = module_path();
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw std::runtime_error("the PETSc backend needs its module " + path +
                             ", which is not there (HEATOP_PETSC_MODULE can name it; rebuild "
                             "heatop with -DHEATOP_PETSC=ON)");
  // RTLD_GLOBAL: Open MPI loads its own components later, and they look for libmpi's symbols in
  // the global scope. The module exports nothing but its entry point.
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (!h) throw std::runtime_error("could not load the PETSc module " + path + ": " + dlerror());
  const auto entry = reinterpret_cast<ModuleEntryFn>(dlsym(h, "heatop_petsc_module"));
  if (!entry)
    throw std::runtime_error("the PETSc module " + path +
                             " has no entry point heatop_petsc_module; rebuild heatop");
  const ModuleTable* t = entry();
  if (!t || t->abi != kModuleAbi || std::string(t->version) != HEATOP_VERSION)
    throw std::runtime_error("the PETSc module " + path +
                             " is of another build; use the module built with this heatop");
  return t;
}

// The module's table, loading the module the first time.
const ModuleTable& table() {
  static std::mutex m;
  if (const ModuleTable* t = g_table.load()) return *t;
  std::lock_guard<std::mutex> lock(m);
  if (!g_table.load()) g_table = open_module();
  return *g_table.load();
}

const ModuleTable* loaded() { return g_table.load(); }

}  // namespace

std::string module_path() {
  if (const char* env = std::getenv("HEATOP_PETSC_MODULE"); env && *env) return env;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const fs::path& p :
         {exe.parent_path() / "libheatop_petsc.so",
          exe.parent_path().parent_path() / "lib" / "heatop" / "libheatop_petsc.so"})
      if (fs::exists(p, ec)) return p.string();
  }
  return HEATOP_PETSC_MODULE_BUILT;
}

bool module_loaded() { return loaded() != nullptr; }

void initialize() { table().initialize(); }

void finalize() {
  if (const ModuleTable* t = loaded()) t->finalize();
}

bool initialized() {
  const ModuleTable* t = loaded();
  return t && t->initialized();
}

int rank() {
  const ModuleTable* t = loaded();
  return t ? t->rank() : 0;
}

int size() {
  const ModuleTable* t = loaded();
  return t ? t->size() : 1;
}

void abort(int code) {
  if (const ModuleTable* t = loaded()) t->abort(code);
  std::_Exit(code);
}

double max(double v) { return size() > 1 ? table().max(v) : v; }

int ranks_on_this_machine() { return size() > 1 ? table().ranks_on_this_machine() : 1; }

void sum(double* v, int n) {
  if (size() > 1) table().sum(v, n);
}

bool all(bool flag) { return size() > 1 ? table().all(flag) : flag; }

std::vector<std::vector<double>> gather_to_root(const std::vector<double>& v) {
  if (size() == 1) return {v};
  return table().gather_to_root(v);
}

void broadcast(std::string& s) {
  if (size() > 1) table().broadcast(s);
}

void write_npy_parts(const std::string& path, int nx, int ny, int nz, const fv::Box& part,
                     const double* values) {
  table().write_npy_parts(path, nx, ny, nz, part, values);
}

struct Distribution::Impl {
  const ModuleTable* t = nullptr;
  void* d = nullptr;
};

Distribution::Distribution(int nx, int ny, int nz) : impl_(std::make_unique<Impl>()) {
  impl_->t = &table();
  impl_->d = impl_->t->distribution_create(nx, ny, nz);
}

Distribution::~Distribution() {
  if (impl_ && impl_->d) impl_->t->distribution_destroy(impl_->d);
}

fv::Box Distribution::owned() const { return impl_->t->owned(impl_->d); }
fv::Box Distribution::ghosted() const { return impl_->t->ghosted(impl_->d); }
int Distribution::ranks_x() const { return impl_->t->ranks_x(impl_->d); }
int Distribution::ranks_y() const { return impl_->t->ranks_y(impl_->d); }

Result Distribution::solve(const fv::LayeredOperator& op, const double* b, double* x,
                           const solve::SolverConfig& cfg,
                           const std::string& command_line_options) const {
  return impl_->t->solve(impl_->d, op, b, x, cfg, command_line_options);
}

std::vector<double> Distribution::with_ghosts(const double* x) const {
  return impl_->t->with_ghosts(impl_->d, x);
}

std::vector<double> Distribution::gather(const double* x) const {
  return impl_->t->gather(impl_->d, x);
}

}  // namespace heatop::petsc
