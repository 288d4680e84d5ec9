#include "petsc/backend.hpp"

#include <petscdmda.h>
#include <petscksp.h>
// DM_DA's coarsening ratios: PETSc 3.18 has no public setter for them (DMDASetRefinementFactor
// sets only the refinement ratios), and the z axis must not be coarsened.
#include <petsc/private/dmdaimpl.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/npy.hpp"

namespace heatop::petsc {

namespace {

bool g_started = false;  // PetscInitialize called here
// -log_view events of heatop's own parts of the set-up (registered by the first solve).
PetscLogEvent g_ev_assembly = 0, g_ev_zline_setup = 0;
bool g_events_registered = false;
std::string g_last_error;  // the first message of the last PETSc error

// Keeps PETSc's error message instead of printing a traceback; check() turns it into an
// exception.
PetscErrorCode capture_error(MPI_Comm, int, const char*, const char*, PetscErrorCode n,
                             PetscErrorType p, const char* mess, void*) {
  if (p == PETSC_ERROR_INITIAL) g_last_error = mess ? mess : "";
  return n;
}

void check(PetscErrorCode ierr, const char* what) {
  if (!ierr) return;
  std::string text = g_last_error;
  if (text.empty()) {
    const char* t = nullptr;
    PetscErrorMessage(ierr, &t, nullptr);
    text = t ? t : "unknown error";
  }
  g_last_error.clear();
  throw std::runtime_error(std::string("PETSc: ") + text + " (in " + what + ")");
}
#define CHK(x) check((x), #x)

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double peak_rss_mb() {
  struct rusage u {};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;  // kB on Linux
}

// The z-line smoother's preconditioner: exact solves of the tridiagonal z block of every local
// column (Thomas algorithm), i.e. block Jacobi over z lines. The blocks come from the level's
// matrix (the fine matrix or a Galerkin product): local rows are whole columns, z fastest, so a
// row's z neighbours are rows +-1 of the same column.
struct ZLine {
  PetscInt nz = 0, n = 0;
  std::vector<double> lower, inv, cprime;  // forward elimination factors
};

PetscErrorCode zline_setup(PC pc) {
  ZLine* z = nullptr;
  PetscCall(PCShellGetContext(pc, &z));
  PetscCall(PetscLogEventBegin(g_ev_zline_setup, 0, 0, 0, 0));
  Mat A;
  PetscCall(PCGetOperators(pc, &A, nullptr));
  PetscInt r0, r1;
  PetscCall(MatGetOwnershipRange(A, &r0, &r1));
  const PetscInt n = r1 - r0, nz = z->nz;
  z->n = n;
  std::vector<double> lo(n, 0.0), di(n, 0.0), up(n, 0.0);
  for (PetscInt r = r0; r < r1; ++r) {
    PetscInt nc;
    const PetscInt* cols;
    const PetscScalar* vals;
    PetscCall(MatGetRow(A, r, &nc, &cols, &vals));
    const PetscInt k = (r - r0) % nz;
    for (PetscInt q = 0; q < nc; ++q) {
      if (cols[q] == r)
        di[r - r0] = vals[q];
      else if (cols[q] == r - 1 && k > 0)
        lo[r - r0] = vals[q];
      else if (cols[q] == r + 1 && k + 1 < nz)
        up[r - r0] = vals[q];
    }
    PetscCall(MatRestoreRow(A, r, &nc, &cols, &vals));
  }
  z->lower = lo;
  z->inv.assign(n, 0.0);
  z->cprime.assign(n, 0.0);
  for (PetscInt c0 = 0; c0 < n; c0 += nz)
    for (PetscInt k = 0; k < nz; ++k) {
      const PetscInt p = c0 + k;
      const double d = di[p] - (k > 0 ? lo[p] * z->cprime[p - 1] : 0.0);
      z->inv[p] = 1.0 / d;
      z->cprime[p] = up[p] * z->inv[p];
    }
  PetscCall(PetscLogEventEnd(g_ev_zline_setup, 0, 0, 0, 0));
  return 0;
}

PetscErrorCode zline_apply(PC pc, Vec r, Vec y) {
  ZLine* z = nullptr;
  PetscCall(PCShellGetContext(pc, &z));
  const PetscScalar* pr;
  PetscScalar* py;
  PetscCall(VecGetArrayRead(r, &pr));
  PetscCall(VecGetArray(y, &py));
  const PetscInt nz = z->nz;
  for (PetscInt c0 = 0; c0 < z->n; c0 += nz) {
    for (PetscInt k = 0; k < nz; ++k) {
      const PetscInt p = c0 + k;
      py[p] = (pr[p] - (k > 0 ? z->lower[p] * py[p - 1] : 0.0)) * z->inv[p];
    }
    for (PetscInt k = nz - 2; k >= 0; --k) py[c0 + k] -= z->cprime[c0 + k] * py[c0 + k + 1];
  }
  PetscCall(VecRestoreArray(y, &py));
  PetscCall(VecRestoreArrayRead(r, &pr));
  return 0;
}

// Objects destroyed on every path (exceptions included).
struct Objects {
  std::vector<DM> coarse;
  std::vector<Mat> interp;
  std::vector<Mat> level_ops;  // rediscretized coarse operators
  Mat A = nullptr;
  Vec b = nullptr, x = nullptr;
  KSP ksp = nullptr;
  PetscOptions opts = nullptr;
  bool pushed = false;
  std::vector<ZLine> zlines;  // the level smoothers' contexts (freed after the KSP)
  ~Objects() {
    if (pushed) PetscOptionsPop();
    KSPDestroy(&ksp);
    VecDestroy(&x);
    VecDestroy(&b);
    MatDestroy(&A);
    for (Mat& m : interp) MatDestroy(&m);
    for (Mat& m : level_ops) MatDestroy(&m);
    for (DM& d : coarse) DMDestroy(&d);
    PetscOptionsDestroy(&opts);
  }
};

// The coarsening ratio of one direction with n nodes on p ranks: the smallest of 2, 3, 5, 7
// that divides the n - 1 intervals (the DMDA's interpolation needs whole ratios) and leaves at
// least 2 intervals and 2 nodes per rank; 1 (no coarsening) when none does.
int coarsening_ratio(int n, int p) {
  for (int r : {2, 3, 5, 7})
    if ((n - 1) % r == 0 && (n - 1) / r >= 2 && (n - 1) / r + 1 >= 2 * p) return r;
  return 1;
}

// Lateral sizes of the multigrid levels, finest first: coarsen until neither direction can be
// coarsened or the coarse grid has at most 5 x 5 columns: its operator couples whole z columns
// (27-point Galerkin products), so its LU grows fast with the lateral size.
std::vector<std::array<int, 2>> multigrid_levels(int nx, int ny, int px, int py) {
  std::vector<std::array<int, 2>> lv{{1, 1}};
  while (lv.size() < 16 && (nx > 5 || ny > 5)) {
    const int rx = nx > 5 ? coarsening_ratio(nx, px) : 1;
    const int ry = ny > 5 ? coarsening_ratio(ny, py) : 1;
    if (rx == 1 && ry == 1) break;
    lv.back() = {rx, ry};
    nx = (nx - 1) / rx + 1;
    ny = (ny - 1) / ry + 1;
    lv.push_back({1, 1});
  }
  return lv;  // lv[l] = the ratios from level l (0 = finest) to the next coarser
}

Mat assemble(const fv::LayeredOperator& op, DM da) {
  // The matrix of the operator on the DMDA `da` (its grid, this rank's rows): the operator's z-line
  // blocks and in-plane links (7-point stencil), assembled in bulk: the local rows as one CSR array
  // (ghosted local column indices mapped to global ones in one call), handed to PETSc with exact
  // preallocation (cheaper than DMCreateMatrix's preallocation and one MatSetValuesStencil per row:
  // bench/results/petsc-lab-notes.md).
  CHK(PetscLogEventBegin(g_ev_assembly, 0, 0, 0, 0));
  Mat A = nullptr;
  {
    const int nx = op.nx(), ny = op.ny(), nz = op.nz();
    PetscInt ks, js, is, km, jm, im;
    CHK(DMDAGetCorners(da, &ks, &js, &is, &km, &jm, &im));
    PetscInt gks, gjs, gis, gkm, gjm, gim;
    CHK(DMDAGetGhostCorners(da, &gks, &gjs, &gis, &gkm, &gjm, &gim));
    const PetscInt nloc = km * jm * im;
    std::vector<PetscInt> rowptr(static_cast<std::size_t>(nloc) + 1, 0), cols;
    std::vector<PetscScalar> vals;
    cols.reserve(static_cast<std::size_t>(nloc) * 7);
    vals.reserve(static_cast<std::size_t>(nloc) * 7);
    std::vector<double> lo(nz), di(nz), up(nz), w(nz), e(nz), s(nz), n(nz);
    // The ghosted local index of heatop's node (i, j, k): PETSc's x is heatop's z.
    auto ghosted = [&](PetscInt i, PetscInt j, PetscInt k) {
      return ((i - gis) * gjm + (j - gjs)) * gkm + (k - gks);
    };
    PetscInt row = 0;
    for (PetscInt i = is; i < is + im; ++i)
      for (PetscInt j = js; j < js + jm; ++j) {
        op.line_matrix(static_cast<int>(i), static_cast<int>(j), lo.data(), di.data(), up.data());
        op.inplane_links(static_cast<int>(i), static_cast<int>(j), w.data(), e.data(), s.data(),
                         n.data());
        for (int k = 0; k < nz; ++k, ++row) {
          // Columns in increasing global order within the rank's block: x-1, y-1, z-1, self,
          // z+1, y+1, x+1 (neighbours on other ranks are ordered after mapping, below).
          auto add = [&](PetscInt ci, PetscInt cj, PetscInt ck, double v) {
            cols.push_back(ghosted(ci, cj, ck));
            vals.push_back(v);
          };
          if (i > 0 && w[k] != 0) add(i - 1, j, k, -w[k]);
          if (j > 0 && s[k] != 0) add(i, j - 1, k, -s[k]);
          if (k > 0 && lo[k] != 0) add(i, j, k - 1, lo[k]);
          add(i, j, k, di[k]);
          if (k + 1 < nz && up[k] != 0) add(i, j, k + 1, up[k]);
          if (j + 1 < ny && n[k] != 0) add(i, j + 1, k, -n[k]);
          if (i + 1 < nx && e[k] != 0) add(i + 1, j, k, -e[k]);
          rowptr[static_cast<std::size_t>(row) + 1] = static_cast<PetscInt>(cols.size());
        }
      }
    ISLocalToGlobalMapping ltog = nullptr;
    CHK(DMGetLocalToGlobalMapping(da, &ltog));
    CHK(ISLocalToGlobalMappingApply(ltog, static_cast<PetscInt>(cols.size()), cols.data(),
                                    cols.data()));
    // Sort each row by global column (MPIAIJ wants sorted rows; on one rank they already are).
    for (PetscInt r = 0; r < nloc; ++r) {
      const PetscInt a = rowptr[static_cast<std::size_t>(r)],
                     b = rowptr[static_cast<std::size_t>(r) + 1];
      for (PetscInt p = a + 1; p < b; ++p)
        for (PetscInt q = p; q > a && cols[q - 1] > cols[q]; --q) {
          std::swap(cols[q - 1], cols[q]);
          std::swap(vals[q - 1], vals[q]);
        }
    }
    CHK(MatCreate(PetscObjectComm(reinterpret_cast<PetscObject>(da)), &A));
    CHK(MatSetSizes(A, nloc, nloc, PETSC_DETERMINE, PETSC_DETERMINE));
    CHK(MatSetType(A, MATAIJ));
    CHK(MatSeqAIJSetPreallocationCSR(A, rowptr.data(), cols.data(), vals.data()));
    CHK(MatMPIAIJSetPreallocationCSR(A, rowptr.data(), cols.data(), vals.data()));
  }
  CHK(PetscLogEventEnd(g_ev_assembly, 0, 0, 0, 0));
  CHK(MatSetOption(A, MAT_SYMMETRIC, PETSC_TRUE));
  CHK(MatSetOption(A, MAT_SPD, PETSC_TRUE));
  return A;
}

}  // namespace

void initialize() {
  PetscBool done = PETSC_FALSE;
  PetscInitialized(&done);
  if (done) return;
  if (PetscInitializeNoArguments()) throw std::runtime_error("PETSc: PetscInitialize failed");
  g_started = true;
  PetscPushErrorHandler(capture_error, nullptr);
}

void finalize() {
  if (!g_started) return;
  PetscFinalize();
  g_started = false;
}

bool initialized() {
  PetscBool done = PETSC_FALSE;
  PetscInitialized(&done);
  return done == PETSC_TRUE;
}

int rank() {
  if (!initialized()) return 0;
  PetscMPIInt r = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &r);
  return r;
}

int size() {
  if (!initialized()) return 1;
  PetscMPIInt s = 1;
  MPI_Comm_size(PETSC_COMM_WORLD, &s);
  return s;
}

void abort(int code) {
  if (initialized()) MPI_Abort(PETSC_COMM_WORLD, code);
  std::_Exit(code);
}

double max(double v) {
  if (size() > 1) MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_MAX, PETSC_COMM_WORLD);
  return v;
}

int ranks_on_this_machine() {
  if (size() == 1) return 1;
  MPI_Comm local;
  MPI_Comm_split_type(PETSC_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank(), MPI_INFO_NULL, &local);
  int n = 1;
  MPI_Comm_size(local, &n);
  MPI_Comm_free(&local);
  return n;
}

void sum(double* v, int n) {
  if (size() > 1) MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_DOUBLE, MPI_SUM, PETSC_COMM_WORLD);
}

bool all(bool flag) {
  if (size() == 1) return flag;
  int in = flag ? 1 : 0, out = 0;
  MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_LAND, PETSC_COMM_WORLD);
  return out != 0;
}

std::vector<std::vector<double>> gather_to_root(const std::vector<double>& v) {
  std::vector<std::vector<double>> out;
  const MPI_Comm comm = PETSC_COMM_WORLD;
  if (rank() == 0) {
    out.push_back(v);
    for (int r = 1; r < size(); ++r) {
      long long n = 0;
      MPI_Recv(&n, 1, MPI_LONG_LONG, r, 2, comm, MPI_STATUS_IGNORE);
      out.emplace_back(static_cast<std::size_t>(n));
      MPI_Recv(out.back().data(), static_cast<int>(n), MPI_DOUBLE, r, 3, comm, MPI_STATUS_IGNORE);
    }
  } else {
    const long long n = static_cast<long long>(v.size());
    MPI_Send(&n, 1, MPI_LONG_LONG, 0, 2, comm);
    MPI_Send(v.data(), static_cast<int>(n), MPI_DOUBLE, 0, 3, comm);
  }
  return out;
}

void broadcast(std::string& s) {
  if (size() == 1) return;
  long long n = static_cast<long long>(s.size());
  MPI_Bcast(&n, 1, MPI_LONG_LONG, 0, PETSC_COMM_WORLD);
  s.resize(static_cast<std::size_t>(n));
  MPI_Bcast(s.data(), static_cast<int>(n), MPI_CHAR, 0, PETSC_COMM_WORLD);
}

void write_npy_parts(const std::string& path, int nx, int ny, int nz, const fv::Box& part,
                     const double* values) {
  const MPI_Comm comm = PETSC_COMM_WORLD;
  std::string file = path;
  broadcast(file);
  const std::string head = io::npy_header(
      {static_cast<std::size_t>(nx), static_cast<std::size_t>(ny), static_cast<std::size_t>(nz)});
  MPI_File fh;
  // Rank 0 creates (and truncates) the file; the others open it after.
  int err = MPI_SUCCESS;
  if (rank() == 0) {
    err = MPI_File_open(MPI_COMM_SELF, file.c_str(), MPI_MODE_CREATE | MPI_MODE_WRONLY,
                        MPI_INFO_NULL, &fh);
    if (err == MPI_SUCCESS) {
      MPI_File_set_size(fh, 0);
      err = MPI_File_write_at(fh, 0, head.data(), static_cast<int>(head.size()), MPI_CHAR,
                              MPI_STATUS_IGNORE);
      MPI_File_close(&fh);
    }
  }
  if (!all(err == MPI_SUCCESS) ||
      MPI_File_open(comm, file.c_str(), MPI_MODE_WRONLY, MPI_INFO_NULL, &fh) != MPI_SUCCESS)
    throw std::runtime_error("npy file '" + file + "': cannot open for writing (MPI-IO)");
  // This rank's block of the (nx, ny, nz) array, as a file view after the header.
  const int sizes[3] = {nx, ny, nz}, sub[3] = {part.i1 - part.i0, part.j1 - part.j0, nz},
            start[3] = {part.i0, part.j0, 0};
  MPI_Datatype block;
  MPI_Type_create_subarray(3, sizes, sub, start, MPI_ORDER_C, MPI_DOUBLE, &block);
  MPI_Type_commit(&block);
  MPI_File_set_view(fh, static_cast<MPI_Offset>(head.size()), MPI_DOUBLE, block, "native",
                    MPI_INFO_NULL);
  err =
      MPI_File_write_all(fh, values, static_cast<int>(part.size()), MPI_DOUBLE, MPI_STATUS_IGNORE);
  MPI_Type_free(&block);
  MPI_File_close(&fh);
  if (!all(err == MPI_SUCCESS))
    throw std::runtime_error("npy file '" + file + "': write failed (MPI-IO)");
}

struct Distribution::Impl {
  DM da = nullptr;
  int nx = 0, ny = 0, nz = 0;
  fv::Box owned, ghosted;
  int ranks_x = 1, ranks_y = 1;
  ~Impl() { DMDestroy(&da); }
};

Distribution::Distribution(int nx, int ny, int nz) : impl_(std::make_unique<Impl>()) {
  initialize();
  const int nranks = size();
  if (static_cast<long long>(nranks) > static_cast<long long>(nx) * ny)
    throw std::invalid_argument(
        "solver.backend petsc: " + std::to_string(nranks) + " MPI ranks but the grid has only " +
        std::to_string(nx) + " x " + std::to_string(ny) + " = " + std::to_string(nx * ny) +
        " z columns; run with at most " + std::to_string(nx * ny) + " ranks");
  Impl& m = *impl_;
  m.nx = nx;
  m.ny = ny;
  m.nz = nz;
  // DMDA axes: PETSc's x (fastest) is heatop's z, y is y, z is x, so that the natural ordering
  // equals heatop's index (i, j, k) and z columns are never split (one rank along PETSc's x).
  try {
    CHK(DMDACreate3d(PETSC_COMM_WORLD, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE,
                     DMDA_STENCIL_STAR, nz, ny, nx, 1, PETSC_DECIDE, PETSC_DECIDE, 1, 1, nullptr,
                     nullptr, nullptr, &m.da));
    CHK(DMSetUp(m.da));
  } catch (const std::runtime_error& e) {
    throw std::invalid_argument(std::string("solver.backend petsc: the grid (") +
                                std::to_string(nx) + " x " + std::to_string(ny) +
                                " columns) cannot be split over " + std::to_string(nranks) +
                                " ranks: " + e.what());
  }
  PetscInt pm = 1, pn = 1, pp = 1;
  CHK(DMDAGetInfo(m.da, nullptr, nullptr, nullptr, nullptr, &pm, &pn, &pp, nullptr, nullptr,
                  nullptr, nullptr, nullptr, nullptr));
  m.ranks_x = static_cast<int>(pp);
  m.ranks_y = static_cast<int>(pn);
  PetscInt ks, js, is, km, jm, im;
  CHK(DMDAGetCorners(m.da, &ks, &js, &is, &km, &jm, &im));
  m.owned = {static_cast<int>(is), static_cast<int>(is + im), static_cast<int>(js),
             static_cast<int>(js + jm), nz};
  CHK(DMDAGetGhostCorners(m.da, &ks, &js, &is, &km, &jm, &im));
  m.ghosted = {static_cast<int>(is), static_cast<int>(is + im), static_cast<int>(js),
               static_cast<int>(js + jm), nz};
}

Distribution::~Distribution() = default;

fv::Box Distribution::owned() const { return impl_->owned; }
fv::Box Distribution::ghosted() const { return impl_->ghosted; }
int Distribution::ranks_x() const { return impl_->ranks_x; }
int Distribution::ranks_y() const { return impl_->ranks_y; }

namespace {

// A PETSc vector destroyed on every path.
struct OwnedVec {
  Vec v = nullptr;
  ~OwnedVec() { VecDestroy(&v); }
};

// A global vector of the DMDA holding this rank's part `x` (n values).
void global_from(DM da, const double* x, std::size_t n, OwnedVec* g) {
  CHK(DMCreateGlobalVector(da, &g->v));
  PetscScalar* pg = nullptr;
  CHK(VecGetArray(g->v, &pg));
  std::copy(x, x + n, pg);
  CHK(VecRestoreArray(g->v, &pg));
}

}  // namespace

std::vector<double> Distribution::with_ghosts(const double* x) const {
  DM da = impl_->da;
  OwnedVec g, l;
  global_from(da, x, impl_->owned.size(), &g);
  CHK(DMCreateLocalVector(da, &l.v));
  CHK(VecSet(l.v, 0.0));
  CHK(DMGlobalToLocalBegin(da, g.v, INSERT_VALUES, l.v));
  CHK(DMGlobalToLocalEnd(da, g.v, INSERT_VALUES, l.v));
  std::vector<double> out(impl_->ghosted.size(), 0.0);
  const PetscScalar* pl = nullptr;
  CHK(VecGetArrayRead(l.v, &pl));
  std::copy(pl, pl + out.size(), out.data());
  CHK(VecRestoreArrayRead(l.v, &pl));
  return out;
}

std::vector<double> Distribution::gather(const double* x) const {
  DM da = impl_->da;
  OwnedVec natural;
  {
    // The DMDA's natural ordering is heatop's node order, and each rank holds one contiguous
    // range of it.
    OwnedVec g;
    global_from(da, x, impl_->owned.size(), &g);
    CHK(DMDACreateNaturalVector(da, &natural.v));
    CHK(DMDAGlobalToNaturalBegin(da, g.v, INSERT_VALUES, natural.v));
    CHK(DMDAGlobalToNaturalEnd(da, g.v, INSERT_VALUES, natural.v));
  }
  // Rank 0 receives the ranges one after the other straight into the result (one whole-field
  // array on rank 0; counts per rank, offsets in 64 bits).
  PetscInt n = 0, lo = 0, hi = 0;
  CHK(VecGetLocalSize(natural.v, &n));
  CHK(VecGetOwnershipRange(natural.v, &lo, &hi));
  const PetscScalar* pn = nullptr;
  CHK(VecGetArrayRead(natural.v, &pn));
  const MPI_Comm comm = PETSC_COMM_WORLD;
  std::vector<double> out;
  if (rank() == 0) {
    out.resize(static_cast<std::size_t>(impl_->nx) * impl_->ny * impl_->nz);
    std::copy(pn, pn + n, out.begin() + lo);
    for (int r = 1; r < size(); ++r) {
      long long range[2] = {0, 0};
      MPI_Recv(range, 2, MPI_LONG_LONG, r, 0, comm, MPI_STATUS_IGNORE);
      MPI_Recv(out.data() + range[0], static_cast<int>(range[1] - range[0]), MPI_DOUBLE, r, 1, comm,
               MPI_STATUS_IGNORE);
    }
  } else {
    long long range[2] = {lo, hi};
    MPI_Send(range, 2, MPI_LONG_LONG, 0, 0, comm);
    MPI_Send(pn, static_cast<int>(n), MPI_DOUBLE, 0, 1, comm);
  }
  CHK(VecRestoreArrayRead(natural.v, &pn));
  return out;
}

Result Distribution::solve(const fv::LayeredOperator& op, const double* bpart, double* xpart,
                           const solve::SolverConfig& cfg,
                           const std::string& command_line_options) const {
  if (op.nx() != impl_->nx || op.ny() != impl_->ny || op.nz() != impl_->nz)
    throw std::invalid_argument(
        "petsc::Distribution::solve: the operator's grid is not the "
        "distribution's");
  if (!g_events_registered) {
    CHK(PetscLogEventRegister("heatopAssembly", MAT_CLASSID, &g_ev_assembly));
    CHK(PetscLogEventRegister("heatopZLineSetUp", PC_CLASSID, &g_ev_zline_setup));
    g_events_registered = true;
  }
  const double t0 = now();
  Result res;
  const MPI_Comm comm = PETSC_COMM_WORLD;
  const int nranks = size(), me = rank();
  res.ranks = nranks;
  const int nx = op.nx(), ny = op.ny(), nz = op.nz();
  Objects o;
  // A private options database: the design's options, then the command line's (later wins).
  CHK(PetscOptionsCreate(&o.opts));
  res.options = cfg.petsc_options;
  if (!command_line_options.empty())
    res.options += (res.options.empty() ? "" : " ") + command_line_options;
  if (!res.options.empty()) {
    const PetscErrorCode e = PetscOptionsInsertString(o.opts, res.options.c_str());
    if (e) {
      g_last_error.clear();
      throw std::invalid_argument("solver.petsc_options / command line: PETSc cannot parse '" +
                                  res.options + "'");
    }
  }
  CHK(PetscOptionsPush(o.opts));
  o.pushed = true;
  PetscBool log_view = PETSC_FALSE;
  CHK(PetscOptionsHasName(nullptr, nullptr, "-log_view", &log_view));
  if (log_view) CHK(PetscLogDefaultBegin());

  DM da = impl_->da;
  res.ranks_x = impl_->ranks_x;
  res.ranks_y = impl_->ranks_y;
  PetscInt ks, js, is, km, jm, im;
  CHK(DMDAGetCorners(da, &ks, &js, &is, &km, &jm, &im));
  {
    const long long local = static_cast<long long>(km) * jm * im;
    long long mn = 0, mx = 0;
    MPI_Allreduce(&local, &mn, 1, MPI_LONG_LONG, MPI_MIN, comm);
    MPI_Allreduce(&local, &mx, 1, MPI_LONG_LONG, MPI_MAX, comm);
    res.local_nodes_min = static_cast<std::size_t>(mn);
    res.local_nodes_max = static_cast<std::size_t>(mx);
  }

  o.A = assemble(op, da);

  CHK(DMCreateGlobalVector(da, &o.b));
  CHK(VecDuplicate(o.b, &o.x));
  {
    // The local part of a DMDA vector is ordered as heatop's node index within the part.
    const std::size_t nloc = static_cast<std::size_t>(km) * jm * im;
    PetscScalar *pb = nullptr, *px = nullptr;
    CHK(VecGetArray(o.b, &pb));
    CHK(VecGetArray(o.x, &px));
    std::copy(bpart, bpart + nloc, pb);
    std::copy(xpart, xpart + nloc, px);
    CHK(VecRestoreArray(o.x, &px));
    CHK(VecRestoreArray(o.b, &pb));
  }

  // KSP: CG to ||b - A x|| <= tol ||b|| (heatop's test), then the options database.
  CHK(KSPCreate(comm, &o.ksp));
  CHK(KSPSetOperators(o.ksp, o.A, o.A));
  const bool gmres = cfg.method == solve::Method::gmres;
  const bool vcycles = cfg.method == solve::Method::multigrid;  // stand-alone V-cycles
  CHK(KSPSetType(o.ksp, gmres ? KSPFGMRES : (vcycles ? KSPRICHARDSON : KSPCG)));
  if (gmres) CHK(KSPGMRESSetRestart(o.ksp, cfg.options.restart));
  CHK(KSPSetNormType(o.ksp, KSP_NORM_UNPRECONDITIONED));
  if (gmres) CHK(KSPSetPCSide(o.ksp, PC_RIGHT));
  CHK(KSPSetTolerances(o.ksp, cfg.options.rel_tol, 0.0, PETSC_DEFAULT, cfg.options.max_iterations));
  CHK(KSPSetInitialGuessNonzero(o.ksp, PETSC_TRUE));
  PC pc;
  CHK(KSPGetPC(o.ksp, &pc));
  // heatop's default preconditioner: geometric multigrid with x/y coarsening (the DMDA's
  // interpolation, Galerkin coarse operators) and z-line smoothing: Chebyshev on exact solves
  // of every local z column (ZLine); the coarse grid is solved by (redundant) LU.
  const bool jacobi = cfg.preconditioner == solve::PreconditionerKind::jacobi;
  const bool none = cfg.preconditioner == solve::PreconditionerKind::none;
  if (jacobi || none) {
    CHK(PCSetType(pc, jacobi ? PCJACOBI : PCNONE));
  } else if (op.has_footprints()) {
    // Layers with footprints (void regions, material edges inside the box): the DMDA's
    // coarsening ignores the material edges, which the native multigrid keeps as grid lines on
    // every level, and its interpolation crosses them: 38 iterations on the HotSpot EV6 import
    // against the native 7. BoomerAMG's operator-dependent interpolation needs 7 there.
    CHK(PCSetType(pc, PCHYPRE));
    CHK(PCHYPRESetType(pc, "boomeramg"));
    res.preconditioner_note =
        "hypre BoomerAMG: the design has layers with footprints, whose material edges the "
        "DMDA multigrid's coarsening and interpolation do not follow";
  } else {
    // Coarse operators: on uniform lateral grids, the finite-volume operator rediscretized on
    // the coarse nodes (as the native multigrid does: 7-point, no Galerkin product, whose
    // 27-point coarse matrices and their set-up took most of the memory and set-up time);
    // otherwise Galerkin products, as the DMDA's interpolation weights follow node indices,
    // not coordinates. Fixed-temperature faces also take Galerkin products: with rediscretized
    // levels the C1 case with fixed sides needed 14 iterations against the native 10.
    auto uniform = [](const std::vector<double>& v) {
      const double h = (v.back() - v.front()) / static_cast<double>(v.size() - 1);
      for (std::size_t q = 1; q < v.size(); ++q)
        if (!(std::abs(v[q] - v[q - 1] - h) <= 1e-9 * std::abs(h))) return false;
      return true;
    };
    bool fixed_faces = false;
    for (const auto& f : op.bc()) fixed_faces = fixed_faces || f.fixed;
    const bool rediscretize = uniform(op.x()) && uniform(op.y()) && !fixed_faces;
    res.coarse_operators = rediscretize ? "rediscretized" : "galerkin";
    const auto ratios = multigrid_levels(nx, ny, res.ranks_x, res.ranks_y);
    const int levels = static_cast<int>(ratios.size());
    res.mg_levels = levels;
    std::vector<DM> dms(levels);
    dms[levels - 1] = da;
    for (int l = levels - 1; l > 0; --l) {
      DM c = nullptr;
      auto* dd = static_cast<DM_DA*>(dms[l]->data);
      const auto& r = ratios[static_cast<std::size_t>(levels - 1 - l)];
      dd->coarsen_x = 1;  // heatop's z: whole columns, never coarsened
      dd->coarsen_y = r[1];
      dd->coarsen_z = r[0];
      CHK(DMCoarsen(dms[l], comm, &c));
      o.coarse.push_back(c);
      dms[l - 1] = c;
      Mat P = nullptr;
      CHK(DMCreateInterpolation(c, dms[l], &P, nullptr));
      o.interp.push_back(P);
    }
    CHK(PCSetType(pc, PCMG));
    CHK(PCMGSetLevels(pc, levels, nullptr));
    CHK(PCMGSetGalerkin(pc, rediscretize ? PC_MG_GALERKIN_NONE : PC_MG_GALERKIN_BOTH));
    for (int l = 1; l < levels; ++l)
      CHK(PCMGSetInterpolation(pc, l, o.interp[static_cast<std::size_t>(levels - 1 - l)]));
    if (rediscretize) {
      // Level l's nodes are every r-th node of level l + 1 (the DMDA's coarsening).
      std::vector<double> xc = op.x(), yc = op.y();
      for (int l = levels - 2; l >= 0; --l) {
        const auto& r = ratios[static_cast<std::size_t>(levels - 2 - l)];
        std::vector<double> xn, yn;
        for (std::size_t q = 0; q < xc.size(); q += static_cast<std::size_t>(r[0]))
          xn.push_back(xc[q]);
        for (std::size_t q = 0; q < yc.size(); q += static_cast<std::size_t>(r[1]))
          yn.push_back(yc[q]);
        xc = std::move(xn);
        yc = std::move(yn);
        const fv::LayeredOperator cop(xc, yc, op.z(), op.cell_kxy(), op.cell_kz(), op.bc(),
                                      op.cell_footprint());
        o.level_ops.push_back(assemble(cop, dms[l]));
        KSP lk;
        CHK(PCMGGetSmoother(pc, l, &lk));
        CHK(KSPSetOperators(lk, o.level_ops.back(), o.level_ops.back()));
      }
    }
    // A coarse grid that could not be coarsened below 9 x 9 columns (lateral node counts whose
    // intervals have no small factor, e.g. HotSpot's imported grids) gets one BoomerAMG cycle
    // instead of LU, whose fill grows fast with its lateral size.
    PetscInt cnx = 0, cny = 0;
    CHK(DMDAGetInfo(dms[0], nullptr, nullptr, &cny, &cnx, nullptr, nullptr, nullptr, nullptr,
                    nullptr, nullptr, nullptr, nullptr, nullptr));
    if (cnx > 9 || cny > 9) {
      KSP ck;
      PC cp;
      CHK(PCMGGetCoarseSolve(pc, &ck));
      CHK(KSPSetType(ck, KSPPREONLY));
      CHK(KSPGetPC(ck, &cp));
      CHK(PCSetType(cp, PCHYPRE));
      CHK(PCHYPRESetType(cp, "boomeramg"));
    }
    o.zlines.resize(static_cast<std::size_t>(levels));
    for (int l = 1; l < levels; ++l) {
      KSP sk;
      PC sp;
      CHK(PCMGGetSmoother(pc, l, &sk));
      CHK(KSPSetType(sk, KSPCHEBYSHEV));
      CHK(KSPChebyshevEstEigSet(sk, 0, 0.1, 0, 1.1));
      CHK(KSPSetTolerances(sk, PETSC_DEFAULT, PETSC_DEFAULT, PETSC_DEFAULT,
                           std::max(2, cfg.multigrid.pre_smooth + 1)));
      CHK(KSPGetPC(sk, &sp));
      CHK(PCSetType(sp, PCSHELL));
      o.zlines[static_cast<std::size_t>(l)].nz = nz;
      CHK(PCShellSetContext(sp, &o.zlines[static_cast<std::size_t>(l)]));
      CHK(PCShellSetSetUp(sp, zline_setup));
      CHK(PCShellSetApply(sp, zline_apply));
      CHK(PCShellSetName(sp, "heatop z-line (tridiagonal solves per z column)"));
    }
  }
  CHK(KSPSetFromOptions(o.ksp));
  CHK(KSPSetUp(o.ksp));
  const double t1 = now();
  CHK(KSPSolve(o.ksp, o.b, o.x));
  const double t2 = now();
  res.setup_seconds = t1 - t0;
  res.solve_seconds = t2 - t1;

  KSPConvergedReason reason;
  CHK(KSPGetConvergedReason(o.ksp, &reason));
  PetscInt its = 0;
  CHK(KSPGetIterationNumber(o.ksp, &its));
  KSPType kt;
  PCType pt;
  CHK(KSPGetType(o.ksp, &kt));
  CHK(PCGetType(pc, &pt));
  // The true relative residual ||b - A x|| / ||b||, as the native solvers report it.
  Vec r;
  CHK(VecDuplicate(o.b, &r));
  CHK(MatMult(o.A, o.x, r));
  CHK(VecAYPX(r, -1.0, o.b));
  PetscReal rn = 0, bn = 0;
  CHK(VecNorm(r, NORM_2, &rn));
  CHK(VecNorm(o.b, NORM_2, &bn));
  CHK(VecDestroy(&r));
  solve::SolveReport& rep = res.report;
  rep.method = kt;
  rep.preconditioner = pt;
  rep.iterations = static_cast<int>(its);
  rep.rel_residual = bn > 0 ? rn / bn : rn;
  rep.converged = reason > 0;
  rep.reason = KSPConvergedReasons[reason];
  rep.seconds = t2 - t0;
  if (log_view) CHK(PetscLogView(PETSC_VIEWER_STDOUT_WORLD));

  // Options nobody asked for: PETSc's "option left" list.
  PetscInt nleft = 0;
  char **names = nullptr, **values = nullptr;
  CHK(PetscOptionsLeftGet(o.opts, &nleft, &names, &values));
  for (PetscInt q = 0; q < nleft; ++q)
    res.unused_options.push_back(std::string("-") + names[q] +
                                 (values[q] ? std::string(" ") + values[q] : std::string()));
  CHK(PetscOptionsLeftRestore(o.opts, &nleft, &names, &values));

  {
    const PetscScalar* px = nullptr;
    CHK(VecGetArrayRead(o.x, &px));
    std::copy(px, px + static_cast<std::size_t>(km) * jm * im, xpart);
    CHK(VecRestoreArrayRead(o.x, &px));
  }
  const double rss = peak_rss_mb();
  res.peak_rss_mb.assign(me == 0 ? nranks : 0, 0.0);
  MPI_Gather(&rss, 1, MPI_DOUBLE, me == 0 ? res.peak_rss_mb.data() : nullptr, 1, MPI_DOUBLE, 0,
             comm);
  return res;
}

}  // namespace heatop::petsc
