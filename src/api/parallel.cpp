#include "api/parallel.hpp"

#include <cstdlib>

#ifdef HEATOP_HAVE_PETSC
#include "petsc/backend.hpp"
#endif

namespace heatop::api {

bool petsc_available() {
#ifdef HEATOP_HAVE_PETSC
  return true;
#else
  return false;
#endif
}

bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(v)) return true;
  return false;
}

ParallelSession::ParallelSession() {
#ifdef HEATOP_HAVE_PETSC
  if (launched_by_mpi()) petsc::initialize();
#endif
}

ParallelSession::~ParallelSession() {
#ifdef HEATOP_HAVE_PETSC
  petsc::finalize();
#endif
}

int ParallelSession::rank() const {
#ifdef HEATOP_HAVE_PETSC
  return petsc::rank();
#else
  return 0;
#endif
}

int ParallelSession::size() const {
#ifdef HEATOP_HAVE_PETSC
  return petsc::size();
#else
  return 1;
#endif
}

void ParallelSession::abort(int code) const {
#ifdef HEATOP_HAVE_PETSC
  if (size() > 1) petsc::abort(code);
#endif
  std::_Exit(code);
}

std::string take_petsc_options(std::vector<std::string>& args) {
  std::string opts;
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool petsc = a.size() > 2 && a[0] == '-' && a[1] != '-' &&
                       a.find('_') != std::string::npos && a.find('=') == std::string::npos;
    if (!petsc) {
      rest.push_back(a);
      continue;
    }
    opts += (opts.empty() ? "" : " ") + a;
    if (i + 1 < args.size() && !args[i + 1].empty() && args[i + 1][0] != '-') {
      opts += " " + args[i + 1];
      ++i;
    }
  }
  args = rest;
  return opts;
}

}  // namespace heatop::api
