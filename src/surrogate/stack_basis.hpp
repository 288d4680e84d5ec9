#pragma once
// Depth functions computed from a layered stack: the z basis of the `stack` trunk (trunks.hpp).
//
// A lateral cosine mode of wavenumber l (per die width L, l = pi L sqrt(a^2/Lx^2 + b^2/Ly^2))
// has a depth profile Z that, inside layer j, solves k_z Z_zz = k_xy l^2 Z / L^2 - q, with Z and
// the flux k_z Z_z continuous across every interface. In the trunk coordinate xi (problem.hpp),
// with d xi / d z^ = g_j constant in layer j, that is
//     Z_xixi = rho_j^2 Z - q_j,   rho_j = l c_j,   c_j = sqrt(k_xy / k_z)_j / g_j,
// and the interface condition is continuity of Z and of w_j Z_xi, w_j = k_z,j g_j (constant
// through the stack in the thermal-resistance coordinate, where Z_xi itself is continuous).
//
// For every rate l in {0, l_1 .. l_J} the basis holds every solution of that equation:
//   bottom  the homogeneous solution that is 1 at the bottom face and 0 at the top face,
//   top     the one that is 0 at the bottom and 1 at the top,
//   source  for each layer that can carry volumetric power, the solution for a unit source
//           q_j = 1 in that layer (0 elsewhere) that is 0 at both faces.
// Every depth profile of mode l of the stack (any face conditions, any power in those layers) is
// a combination of the three kinds at rate l, so a Tucker core over these functions needs only
// to interpolate between neighbouring rates. Each function is exact in every layer: the
// interface conditions hold by construction and its PDE residual is zero away from l's
// neighbours. Inside layer j a function is h_j a(xi) + h_{j+1} b(xi) (+ B(xi) in its source
// layer), where h are its values at the interfaces and a, b, B the layer's shape functions with
// rate rho_j, evaluated in forms that neither overflow nor cancel for any rho Delta.
// No LibTorch here.

#include <vector>

namespace heatop::surrogate {

/// The geometry of a stack in the trunk coordinate.
struct StackProfile {
  std::vector<double> xi;    // interface positions, bottom face (-1) .. top face (1): L + 1
  std::vector<double> c;     // per layer: rho_j = l c_j
  std::vector<double> w;     // per layer: w_j Z_xi is continuous across interfaces
  std::vector<int> sources;  // layers with a source function (volumetric power)
  /// Per source (optional): the source strength, in the trunk coordinate, of a unit input (the
  /// design's q_ref of areal power spread through the layer). Given, a source function is that
  /// solution times this strength (its coefficient is then about 1 whatever the layer);
  /// otherwise it is scaled to a peak of 1.
  std::vector<double> source_strength;
  double rate_min = 0, rate_max = 0;  // the lateral wavenumbers the depth rates should cover
  /// Throws std::invalid_argument when sizes, order or signs are inconsistent.
  void validate() const;
};

class StackBasis {
 public:
  /// The functions for `rates` (lateral wavenumbers per die width, >= 0), in that order, each
  /// rate's kinds together: bottom, top, then one source function per p.sources.
  /// `source_scale` (optional, one per rate): a further factor on that rate's source functions.
  StackBasis(const StackProfile& p, const std::vector<double>& rates,
             const std::vector<double>& source_scale = {});
  /// 0 and `count` geometric rates from p.rate_min to p.rate_max.
  static std::vector<double> geometric_rates(const StackProfile& p, int count);

  int size() const { return static_cast<int>(fn_.size()); }
  /// Functions per rate: 2 + p.sources.size().
  int kinds() const { return 2 + static_cast<int>(p_.sources.size()); }
  /// Values and first and second xi-derivatives of every function at the points, each
  /// [points.size() x size()], row-major. At an interface the layer above gives the second
  /// derivative (the layer below at the top face); values and w Z_xi agree on both sides.
  void evaluate(const std::vector<double>& points, std::vector<double>& v, std::vector<double>& d1,
                std::vector<double>& d2) const;
  /// The values alone (a prediction needs no derivatives).
  void evaluate(const std::vector<double>& points, std::vector<double>& v) const;
  /// The rate and kind (0 bottom, 1 top, 2 + s: source of p.sources[s]) of function f.
  double rate(int f) const { return fn_[f].rate; }
  int kind(int f) const { return fn_[f].kind; }
  /// The factor applied to function f (its value at its face, or the source's strength).
  double scale(int f) const { return fn_[f].scale; }
  const StackProfile& profile() const { return p_; }

 private:
  // The values and, where d1 and d2 are not null, the derivatives.
  void evaluate(const std::vector<double>& points, std::vector<double>& v, std::vector<double>* d1,
                std::vector<double>* d2) const;
  struct Function {
    double rate = 0;
    int kind = 0;
    int source_layer = -1;
    std::vector<double> h;  // values at the interfaces (unscaled)
    double scale = 1;
  };
  // Unscaled value and derivatives of f at xi.
  void point(const Function& f, double xi, double& v, double& d1, double& d2) const;
  StackProfile p_;
  std::vector<Function> fn_;
};

/// A face condition of the depth profiles, in the trunk coordinate: w u_xi - bi u = 0 at the
/// bottom face and w u_xi + bi u = 0 at the top (heat leaves through h; bi = h L / k_ref, 0 for
/// an adiabatic face), or u = 0 (`fixed`, at the ambient temperature).
struct DepthFaceCondition {
  bool fixed = false;
  double bi = 0;
};

/// Per rate of a basis, the 2x2 system that the bottom and top weights of a modal core solve
/// (NetworkConfig::modal_core `solved`): [a b; c d] [D_bottom; D_top] = [r0; r1] with
/// a = a0 - bi_b a1 and d = d0 + bi_t d1, where bi_b and bi_t are heat-transfer coefficients
/// (as Biot numbers) on top of the conditions given: inputs of the operator. Fixed faces have
/// a1 = 0 or d1 = 0.
struct ModalFaceSystem {
  std::vector<double> a0, a1, b, c, d0, d1;
};
ModalFaceSystem modal_face_system(const StackBasis& basis, const DepthFaceCondition& bottom,
                                  const DepthFaceCondition& top);

/// The right-hand sides [r0; r1] per rate for one power-map input: it drives source function
/// `source` (an index into basis.profile().sources; its weight is 1, since source functions are
/// scaled to the input's strength times sigma) or, with source = -1, the face `power_face` (0
/// bottom, 1 top) as a surface flux. They do not depend on the faces' heat-transfer coefficients.
void modal_drive(const StackBasis& basis, const DepthFaceCondition& bottom,
                 const DepthFaceCondition& top, int source, int power_face,
                 const std::vector<double>& sigma, std::vector<double>& r0,
                 std::vector<double>& r1);

}  // namespace heatop::surrogate
