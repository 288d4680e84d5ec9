#pragma once
// The vertex-centred finite-volume operator of a layered box, applied matrix-free.
//
// Conductivity is constant within each z cell layer (in-plane k_xy and through-plane k_z), so
// every conductance is a product of 1D factors and nothing of size N is stored:
//   x link (i, i+1) at node row (j, k): G = wy[j] * Kxy[k] / (x[i+1] - x[i])
//   z link (k, k+1) at column (i, j):   G = wx[i] * wy[j] * k_z(cell k) / (z[k+1] - z[k])
// with w* the control-volume widths and Kxy[k] the in-plane conductivity integrated over the
// z control volume of node k (half of each adjacent cell). This area-weighted conductance
// (a series/parallel mix of the layers a control volume straddles) is conservative across
// layer interfaces.
//
// Fixed-temperature faces are eliminated symmetrically: a node on such a face keeps only its
// diagonal entry, its links are removed from the operator and their coupling moves into the
// right-hand side of the neighbours. The operator is therefore symmetric positive definite
// whenever at least one face is convective or fixed.

#include <array>
#include <cstddef>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace heatop::fv {

/// std::allocator whose value-initialisation leaves the elements uninitialised: for per-node
/// arrays that a parallel loop fills entirely, so that the threads touch (and the kernel
/// faults in) their own parts instead of one thread zeroing the whole array first.
template <class T>
struct UninitializedAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  UninitializedAllocator() = default;
  template <class U>
  UninitializedAllocator(const UninitializedAllocator<U>&) noexcept {}
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    if constexpr (sizeof...(Args) == 0)
      ::new (static_cast<void*>(p)) U;
    else
      ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
/// A per-node array that starts uninitialised (see UninitializedAllocator).
using NodeArray = std::vector<double, UninitializedAllocator<double>>;

/// Grids smaller than this run their loops on one thread: for them the cost of waking and
/// synchronising threads exceeds the work (and under CPU contention it is far worse).
constexpr std::size_t kMinParallelNodes = 32768;

/// Boundary data the operator needs for one face (W/(m^2 K), K).
struct FaceBc {
  double h = 0;        // convective coefficient, 0 = none
  double t_amb = 0;    // ambient temperature for h
  bool fixed = false;  // fixed temperature face
  double t_fixed = 0;  // its temperature
};

/// A block of whole z columns: x nodes [i0, i1) and y nodes [j0, j1), nz nodes each. Arrays over
/// a box hold its nodes in the grid's order (z fastest), as index() numbers them. The whole grid
/// is LayeredOperator::box(); an MPI rank's part of it is a smaller one.
struct Box {
  int i0 = 0, i1 = 0, j0 = 0, j1 = 0, nz = 0;
  std::size_t columns() const { return static_cast<std::size_t>(i1 - i0) * (j1 - j0); }
  std::size_t size() const { return columns() * nz; }
  bool contains(int i, int j) const { return i >= i0 && i < i1 && j >= j0 && j < j1; }
  std::size_t index(int i, int j, int k) const {
    return (static_cast<std::size_t>(i - i0) * (j1 - j0) + (j - j0)) * nz + k;
  }
};

class LayeredOperator {
 public:
  /// x, y, z: node coordinates (m), at least 2 each; cell_kxy, cell_kz: conductivity of each z
  /// cell (size z.size() - 1); bc: faces in model::Face order.
  /// cell_footprint (optional, one per z cell): {x0, y0, x1, y1} in m of the region where the
  /// cell's material exists; cells whose (x, y) centre lies outside are void (no conduction, no
  /// boundary exchange). A width <= 0 means the whole box. Nodes with no material around them
  /// are decoupled (identity rows) and reported by node_active().
  LayeredOperator(std::vector<double> x, std::vector<double> y, std::vector<double> z,
                  std::vector<double> cell_kxy, std::vector<double> cell_kz,
                  std::array<FaceBc, 6> bc, std::vector<std::array<double, 4>> cell_footprint = {});

  int nx() const { return nx_; }
  int ny() const { return ny_; }
  int nz() const { return nz_; }
  std::size_t size() const { return static_cast<std::size_t>(nx_) * ny_ * nz_; }
  /// The whole grid as a box.
  Box box() const { return {0, nx_, 0, ny_, nz_}; }
  std::size_t index(int i, int j, int k) const {
    return (static_cast<std::size_t>(i) * ny_ + j) * nz_ + k;
  }
  const std::vector<double>& x() const { return x_; }
  const std::vector<double>& y() const { return y_; }
  const std::vector<double>& z() const { return z_; }
  const std::vector<double>& cell_kxy() const { return cell_kxy_; }
  const std::vector<double>& cell_kz() const { return cell_kz_; }
  const std::array<FaceBc, 6>& bc() const { return bc_; }
  const std::vector<double>& wx() const { return wx_; }
  const std::vector<double>& wy() const { return wy_; }
  const std::vector<double>& wz() const { return wz_; }
  const std::vector<std::array<double, 4>>& cell_footprint() const { return footprint_; }
  bool has_footprints() const { return has_footprints_; }
  /// Verification hook: evaluate every coefficient by the general (footprint-aware) code even
  /// when the box is full of material. Results must agree with the fast path to rounding.
  void use_general_path(bool on) {
    has_footprints_ = on || any_void_;
    if (has_footprints_ && gdiag_.empty()) build_general_cache();
    if (has_footprints_ && !cap_z_.empty() && gcap_.empty()) build_capacity_cache();
  }
  /// Transient runs: the heat capacity per unit area of each z node's control volume,
  /// J/(m^2 K) (the volumetric heat capacity integrated over the node's z control width, like
  /// the in-plane conductivity). Node (i, j, k) holds C = wx[i] * wy[j] * cz[k] (J/K), 0 on
  /// fixed faces; with footprints, 1/8 of the volume of each adjacent cell with material (0 in
  /// void regions).
  void set_capacity(std::vector<double> cz);
  const std::vector<double>& capacity_z() const { return cap_z_; }
  /// Adds a * C to the diagonal (backward Euler a = 1/dt, BDF2 3/(2 dt)); apply, diagonal,
  /// line_matrix and residual include it. 0 (the default) is the steady operator.
  void set_capacity_shift(double a);
  double capacity_shift() const { return shift_; }
  /// C of node (i, j, k) in J/K (0 without capacity, and on fixed faces).
  double node_capacity(int i, int j, int k) const;
  /// Whether node (i, j, k) lies on a fixed-temperature face (no capacity, no shift).
  bool node_fixed(int i, int j, int k) const {
    return column_fixed(i, j) || (k == 0 && bc_[4].fixed) || (k == nz_ - 1 && bc_[5].fixed);
  }

  /// Whether node (i, j, k) touches material (false only inside void regions).
  bool node_active(int i, int j, int k) const {
    return !has_footprints_ || active_[index(i, j, k)] != 0;
  }
  /// With footprints, one byte per node (index() order): 1 where node_active, 0 in void
  /// regions; empty without footprints (every node is active).
  const std::vector<unsigned char>& active_mask() const { return active_; }
  /// Area (m^2) of face f (model::Face order) that belongs to node (i, j, k) and borders
  /// material; 0 if the node is not on that face.
  double face_area(int f, int i, int j, int k) const;

  /// y = A x (OpenMP over x planes; the result does not depend on the thread count).
  void apply(const double* x, double* y) const;
  /// y = A x, returning x . y (one pass over memory; the CG step's p . A p).
  double apply_dot(const double* x, double* y) const;
  /// r = b - A x.
  void residual(const double* b, const double* x, double* r) const;
  /// The residual b - A x on the nodes of x row i only, into r_row (ny * nz values, column j
  /// at j * nz): multigrid restricts it row by row without storing the whole residual.
  void residual_row(int i, const double* b, const double* x, double* r_row) const;
  /// The diagonal of A.
  void diagonal(double* d) const;

  /// The tridiagonal z-line block of column (i, j): lower[k] couples k to k-1, upper[k] couples
  /// k to k+1 (both <= 0), diag[k] > 0. Each array holds nz values.
  void line_matrix(int i, int j, double* lower, double* diag, double* upper) const;
  /// rhs[k] += sum of in-plane neighbour couplings of column (i, j) times x (the part of -A x
  /// outside the z-line block).
  void add_inplane_coupling(int i, int j, const double* x, double* rhs) const;
  /// The in-plane couplings of column (i, j) as entries of -A: for each k, the conductance to
  /// the west, east, south and north neighbour node (>= 0; 0 where there is no link, e.g. to or
  /// from a fixed node). add_inplane_coupling adds w[k] x_W + e[k] x_E + s[k] x_S + n[k] x_N.
  /// For assembling A as a sparse matrix (the PETSc backend). Each array holds nz values.
  void inplane_links(int i, int j, double* w, double* e, double* s, double* n) const;

  /// Without footprints (has_footprints() false) every coefficient of column (i, j) is an x
  /// part plus a y part: with the column area a = wx[i] wy[j], its z-line block is
  /// a * S(axis_x().p[i] + axis_y().p[j], axis_x().u[i] + axis_y().u[j], fixed) (see
  /// scaled_line_matrix), and its in-plane coupling to the west neighbour is
  /// inplane_z()[k] * wy[j] * axis_x().lo[i] (east: hi[i]; south and north: wx[i] times the y
  /// terms). The multigrid smoother factors S once per distinct (p, u, fixed).
  struct AxisTerms {
    std::vector<double> lo, hi;  // 1/h to the lower and upper neighbour, 0 if none or masked
    std::vector<double> p;       // unmasked (1/h_lo + 1/h_hi) / w: in-plane diagonal per area
    std::vector<double> u;       // side-face convection h / w (end nodes only)
    std::vector<char> fixed;     // the node lies on a fixed-temperature side face
  };
  const AxisTerms& axis_x() const { return ax_; }
  const AxisTerms& axis_y() const { return ay_; }
  /// Per z node: the in-plane conductivity times z control width, 0 on fixed z faces (their
  /// nodes keep no in-plane links).
  const std::vector<double>& inplane_z() const { return kin_; }
  /// S(p, u, fixed): the z-line block of a column divided by its area (capacity shift included
  /// except on fixed faces). Each array holds nz values; lower[0] = upper[nz-1] = 0.
  void scaled_line_matrix(double p, double u, bool fixed, double* lower, double* diag,
                          double* upper) const;

  /// Right-hand side contribution of the boundary conditions (h A T_amb and the fixed-face
  /// lifting), added to b.
  void add_boundary_rhs(double* b) const { add_boundary_rhs(b, box()); }
  /// The same for the nodes of `part` only, b over `part`.
  void add_boundary_rhs(double* b, const Box& part) const;
  /// Whether node (i, j, k) lies on a fixed-temperature face, and that temperature.
  bool is_fixed(int i, int j, int k, double* t = nullptr) const;

  /// Heat leaving through each face (W) for a temperature field T and nodal power P (W), and
  /// the total power entering. Fixed faces report the heat their nodes absorb.
  std::array<double, 6> heat_out(const double* t, const double* power) const {
    return heat_out(t, box(), power, box());
  }
  /// The share of the nodes of `part`: t over `tbox` (part and the columns next to it, where
  /// the grid has them), power over `part` (or null). Shares of disjoint parts add up.
  std::array<double, 6> heat_out(const double* t, const Box& tbox, const double* power,
                                 const Box& part) const;

 private:
  bool cell_active(int ci, int cj, int ck) const {
    return ci >= ci0_[ck] && ci < ci1_[ck] && cj >= cj0_[ck] && cj < cj1_[ck];
  }
  // Unmasked conductance of the link from node (i, j, k) towards direction d
  // (0 west, 1 east, 2 south, 3 north, 4 down, 5 up); 0 where there is no neighbour.
  double link(int d, int i, int j, int k) const;
  /// Whether any cell around node (i, j, k) holds material (active_ caches it).
  bool touches_material(int i, int j, int k) const;
  bool column_fixed(int i, int j) const;
  void line_matrix_general(int i, int j, double* lower, double* diag, double* upper) const;
  void add_inplane_general(int i, int j, const double* x, double* rhs) const;
  template <bool kResidual>
  double row_kernel(int i, const double* x, const double* b, double* out) const;
  /// S_kk of scaled_line_matrix, with zd = zd0_ (fixed columns) or zd_ (the others): the one
  /// place the separable diagonal is written.
  double scaled_diag(int k, double p, double u, const double* zd) const {
    return kxy_cv_[k] * p + zd[k] + u * wz_[k];
  }
  void build_layered_terms();
  void update_shift_terms();
  void build_general_cache();
  void build_capacity_cache();

  int nx_, ny_, nz_;
  std::vector<double> x_, y_, z_, cell_kxy_, cell_kz_;
  std::array<FaceBc, 6> bc_;
  std::vector<double> wx_, wy_, wz_;
  std::vector<double> inv_dx_, inv_dy_;
  std::vector<double> kxy_cv_;  // in-plane conductivity times z control width, per z node
  std::vector<double> gz_;      // k_z / dz per z cell (unmasked)
  std::vector<double> mask_x_, mask_y_, mask_z_;  // 0 for links that touch a fixed face
  std::vector<std::array<double, 4>> footprint_;
  bool has_footprints_ = false;
  bool any_void_ = false;
  std::vector<double> hx_, hy_, hz_;        // cell sizes
  std::vector<int> ci0_, ci1_, cj0_, cj1_;  // active cell ranges per z cell
  NodeArray ge_, gn_, gu_, gdiag_;          // general path: per-node links and diagonal
  std::vector<unsigned char> active_;       // general path: node_active per node
  std::vector<double> cap_z_;               // heat capacity per area per z node (transient)
  std::vector<double> gcap_;                // general path: node capacities (J/K)
  double shift_ = 0;                        // a in A + a C
  // Layered path (see AxisTerms): per z node, the z part of S's diagonal without and with the
  // capacity shift, and its lower and upper links (masked).
  AxisTerms ax_, ay_;
  std::vector<double> kin_, zd0_, zd_, zlo_, zup_;
};

}  // namespace heatop::fv
