// PDE and boundary-condition residuals.

#include "surrogate/physics_loss.hpp"

#include <cmath>
#include <stdexcept>

namespace heatop::surrogate {

namespace {

torch::Tensor vec(const std::vector<double>& v, const TensorOptions& to) {
  return torch::tensor(v, torch::kFloat64).to(to.options());
}

}  // namespace

PhysicsLoss::PhysicsLoss(const Problem& p, const model::Grid& grid, const TensorOptions& to)
    : p_(p), grid_(grid), to_(to), w_(p.config().training.weights) {
  const AxisMap ax[3] = {p.x_axis(grid.x), p.y_axis(grid.y), p.z_axis(grid)};
  for (int a = 0; a < 3; ++a) {
    xi_[a] = vec(ax[a].xi, to);
    dxi_[a] = vec(ax[a].dxi, to);
  }
  const int nz = grid.nz();
  const double kref = p.norm().k_ref_W_per_mK;
  std::vector<double> kxy(nz), kz(nz), mask(nz, 1.0);
  for (int k = 0; k < nz; ++k) {
    const model::Layer& l = p.base().layers[Problem::node_layer(grid, k)];
    kxy[k] = l.k_xy / kref;
    kz[k] = l.k_z / kref;
    if (k > 0 && k + 1 < nz && grid.cell_layer[k - 1] != grid.cell_layer[k]) {
      mask[k] = 0;
      interfaces_.push_back(k);
    }
  }
  // Source layers averaged over tiles: their nodes leave the pointwise PDE term, face nodes
  // included (a source layer at the bottom or top of the stack: the PDE holds there too, and
  // without its source a pointwise residual there could never vanish).
  const std::vector<VolumeCells> vcs = volume_cells(p);
  std::vector<std::array<std::vector<double>, 4>> vnodes(vcs.size());  // z, kxy, kz, dz
  {
    const AxisMap zm = p.z_axis(grid);
    for (std::size_t v = 0; v < vcs.size(); ++v)
      for (int k = 0; k < nz; ++k)
        if (mask[k] != 0 && Problem::node_layer(grid, k) == vcs[v].layer) {
          mask[k] = 0;
          vnodes[v][0].push_back(zm.xi[k]);
          vnodes[v][1].push_back(kxy[k]);
          vnodes[v][2].push_back(kz[k]);
          vnodes[v][3].push_back(zm.dxi[k]);
        }
  }
  kxy_ = vec(kxy, to);
  kz_ = vec(kz, to);
  pde_mask_ = vec(mask, to);
  names_.push_back("pde");
  for (const char* t : {"adiabatic", "convective", "power", "fixed"})
    for (const auto& f : p.base().faces)
      if (std::string(model::bc_type_name(f.type)) == t) {
        names_.push_back(t);
        break;
      }
  if (!interfaces_.empty() && !p.resistance_coordinate()) names_.push_back("interface");
  std::vector<double> gx, gw;
  gauss_legendre(p.config().training.quadrature_points, gx, gw);
  const int nq = static_cast<int>(gx.size());
  // Quadrature points of a cells x cells tile grid along one axis and the matrix that averages
  // point values into tile means.
  auto quadrature = [&](int a, int cells, torch::Tensor& xi, torch::Tensor& avg) {
    const double len = a == 0 ? p.base().lx : p.base().ly, h = len / cells;
    std::vector<double> pts, w(static_cast<std::size_t>(cells) * cells * nq, 0.0);
    for (int c = 0; c < cells; ++c)
      for (int q = 0; q < nq; ++q) {
        pts.push_back((c + 0.5 + 0.5 * gx[q]) * h);
        w[static_cast<std::size_t>(c) * cells * nq + c * nq + q] = 0.5 * gw[q];
      }
    xi = vec((a == 0 ? p.x_axis(pts) : p.y_axis(pts)).xi, to);
    avg = vec(w, to).view({cells, cells * nq});
  };
  // Orthonormal cosine projection by the same quadrature: P[k][c nq + q] =
  // s_k (h w_q / 2) / len cos(k pi x_cq / len), s_0 = 1, s_k = sqrt(2), so that the sum of
  // squared coefficients of a field with modes < K is its mean square over the face.
  const TrainingConfig& tc = p.config().training;
  auto projection = [&](int a, int cells, torch::Tensor& pts, torch::Tensor& tiles) {
    const double len = a == 0 ? p.base().lx : p.base().ly, h = len / cells;
    const TrunkConfig& trunk = p.config().network.trunk;
    const int k_modes = tc.residual_modes > 0             ? tc.residual_modes
                        : trunk.type == TrunkType::cosine ? trunk.modes
                                                          : cells;
    std::vector<double> pv(static_cast<std::size_t>(k_modes) * cells * nq, 0.0),
        tv(static_cast<std::size_t>(k_modes) * cells, 0.0);
    for (int k = 0; k < k_modes; ++k)
      for (int c = 0; c < cells; ++c)
        for (int q = 0; q < nq; ++q) {
          const double x = (c + 0.5 + 0.5 * gx[q]) * h;
          const double w = (k == 0 ? 1.0 : std::sqrt(2.0)) * 0.5 * gw[q] * h / len *
                           std::cos(k * M_PI * x / len);
          pv[(static_cast<std::size_t>(k) * cells + c) * nq + q] = w;
          tv[static_cast<std::size_t>(k) * cells + c] += w;
        }
    pts = vec(pv, to).view({k_modes, cells * nq});
    tiles = vec(tv, to).view({k_modes, cells});
  };
  for (std::size_t v = 0; v < vcs.size(); ++v) {
    if (vnodes[v][0].empty()) continue;
    Volume vol;
    quadrature(0, vcs[v].cx, vol.xi[0], vol.avg[0]);
    quadrature(1, vcs[v].cy, vol.xi[1], vol.avg[1]);
    if (tc.power_residual == PowerResidual::modes)
      for (int a = 0; a < 2; ++a)
        projection(a, a == 0 ? vcs[v].cx : vcs[v].cy, vol.proj[a], vol.tile_proj[a]);
    vol.z = vec(vnodes[v][0], to);
    vol.kxy = vec(vnodes[v][1], to);
    vol.kz = vec(vnodes[v][2], to);
    vol.dz = vec(vnodes[v][3], to);
    vol_.push_back(vol);
  }
  if (vol_.size() != vcs.size())
    throw std::invalid_argument(
        "a powered layer has no interior collocation node; raise training.collocation's z count");
  for (int face = 0; face < model::kNumFaces; ++face) {
    const std::array<int, 2> cells = flux_cells(p, face);
    if (cells[0] <= 0) continue;
    for (int a = 0; a < 2; ++a) {
      quadrature(a, cells[a], cell_xi_[face][a], cell_avg_[face][a]);
      if (tc.power_residual == PowerResidual::modes)
        projection(a, cells[a], mode_proj_[face][a], tile_proj_[face][a]);
    }
  }
}

GridFields PhysicsLoss::to_physical(const GridFields& f) const {
  GridFields g;
  g.u = f.u;
  const torch::Tensor cx = dxi_[0].view({1, -1, 1, 1}), cy = dxi_[1].view({1, 1, -1, 1}),
                      cz = dxi_[2].view({1, 1, 1, -1});
  g.ux = f.ux * cx;
  g.uy = f.uy * cy;
  g.uz = f.uz * cz;
  g.uxx = f.uxx * cx * cx;
  g.uyy = f.uyy * cy * cy;
  g.uzz = f.uzz * cz * cz;
  return g;
}

LossValue PhysicsLoss::evaluate(const GridFields& f_xi, const PhysicsBatch& batch,
                                const CellFields& cells) const {
  return evaluate_physical(to_physical(f_xi), batch, cells);
}

// Where residuals get the field from: full grids (any model) or separable factors (no full
// grid of derivatives is ever formed). Each returns tensors in its own layout; boundary data
// come aligned to that layout.
class FieldSource {
 public:
  virtual ~FieldSource() = default;
  /// k_xy (u_xx + u_yy) + k_z u_zz + q_v at every node, zero rows where the PDE is not imposed.
  virtual torch::Tensor pde(const torch::Tensor& kxy, const torch::Tensor& kz,
                            const torch::Tensor& mask, const torch::Tensor& source) const = 0;
  virtual torch::Tensor face_u(int face) const = 0;
  /// Outward normal derivative on a face (x^ units).
  virtual torch::Tensor face_dn(int face) const = 0;
  /// Side-face conductivity k_xy per z node, broadcast to the face layout.
  virtual torch::Tensor side_k(int face, const torch::Tensor& kxy) const = 0;
  virtual torch::Tensor align_bi(const torch::Tensor& bi) const = 0;  // [B|1,1,1] ->
  virtual torch::Tensor align_q(const torch::Tensor& q) const = 0;    // [B|1,nx,ny] ->
  virtual torch::Tensor uz_plane(int k) const = 0;
  virtual int64_t batch() const = 0;
};

namespace {

int64_t face_index(int face, int64_t nx, int64_t ny, int64_t nz) {
  const int axis = face / 2;
  return face % 2 == 1 ? (axis == 0 ? nx : axis == 1 ? ny : nz) - 1 : 0;
}

class GridSource : public FieldSource {
 public:
  explicit GridSource(const GridFields& f) : f_(f) {}
  torch::Tensor pde(const torch::Tensor& kxy, const torch::Tensor& kz, const torch::Tensor& mask,
                    const torch::Tensor& source) const override {
    torch::Tensor r = kxy.view({1, 1, 1, -1}) * (f_.uxx + f_.uyy) + kz.view({1, 1, 1, -1}) * f_.uzz;
    if (source.defined()) r = r + source;
    return r * mask.view({1, 1, 1, -1});
  }
  torch::Tensor face_u(int face) const override { return f_.u.select(face / 2 + 1, idx(face)); }
  torch::Tensor face_dn(int face) const override {
    const int axis = face / 2;
    const torch::Tensor& d = axis == 0 ? f_.ux : axis == 1 ? f_.uy : f_.uz;
    return d.select(axis + 1, idx(face)) * (face % 2 == 1 ? 1.0 : -1.0);
  }
  torch::Tensor side_k(int, const torch::Tensor& kxy) const override {
    return kxy.view({1, 1, -1});
  }
  torch::Tensor align_bi(const torch::Tensor& bi) const override { return bi; }
  torch::Tensor align_q(const torch::Tensor& q) const override { return q; }
  torch::Tensor uz_plane(int k) const override { return f_.uz.select(3, k); }
  int64_t batch() const override { return f_.u.size(0); }

 private:
  int64_t idx(int face) const { return face_index(face, f_.u.size(1), f_.u.size(2), f_.u.size(3)); }
  const GridFields& f_;
};

// Factors with derivatives in x^ already (chain rule applied per node).
class SeparableSource : public FieldSource {
 public:
  SeparableSource(const torch::Tensor& beta, const Taylor& x, const Taylor& y, const Taylor& z,
                  bool tucker, bool modal)
      : beta_(beta), x_(x), y_(y), z_(z), tucker_(tucker), modal_(modal) {}
  torch::Tensor pde(const torch::Tensor& kxy, const torch::Tensor& kz, const torch::Tensor& mask,
                    const torch::Tensor& source) const override {
    if (tucker_) {
      // Three Tucker contractions in the [nx, ny, B, nz] layout of the cp path.
      const torch::Tensor zk = z_.v * (kxy * mask).view({-1, 1});
      torch::Tensor res = core(x_.d2, y_.v, zk) + core(x_.v, y_.d2, zk) +
                          core(x_.v, y_.v, z_.d2 * (kz * mask).view({-1, 1}));
      if (source.defined()) res = res + source * mask.view({1, 1, 1, -1});
      return res.permute({1, 2, 0, 3});
    }
    // One GEMM of rank 2R: [X''Y + XY'' | XY] against [beta (x) Z k_xy ; beta (x) Z'' k_z].
    const int64_t nx = x_.v.size(0), ny = y_.v.size(0), nz = z_.v.size(0), r = beta_.size(1),
                  b = beta_.size(0);
    const torch::Tensor lap =
        (x_.d2.unsqueeze(1) * y_.v.unsqueeze(0) + x_.v.unsqueeze(1) * y_.d2.unsqueeze(0));
    const torch::Tensor xy = (x_.v.unsqueeze(1) * y_.v.unsqueeze(0));
    const torch::Tensor a = torch::cat({lap, xy}, -1).reshape({nx * ny, 2 * r});
    const torch::Tensor zk = torch::cat({z_.v * kxy.view({-1, 1}) * mask.view({-1, 1}),
                                         z_.d2 * kz.view({-1, 1}) * mask.view({-1, 1})},
                                        -1);  // [nz, 2R]
    const torch::Tensor bz = torch::cat({beta_, beta_}, -1).t().unsqueeze(2) * zk.t().unsqueeze(1);
    torch::Tensor res = torch::mm(a, bz.reshape({2 * r, b * nz})).view({nx, ny, b, nz});
    if (source.defined()) res = res + source.permute({1, 2, 0, 3}) * mask.view({1, 1, 1, -1});
    return res;
  }
  torch::Tensor face_u(int face) const override { return plane(face, false); }
  torch::Tensor face_dn(int face) const override {
    return plane(face, true) * (face % 2 == 1 ? 1.0 : -1.0);
  }
  torch::Tensor side_k(int face, const torch::Tensor& kxy) const override {
    // Side layouts are (y, z) or (x, z) with z fastest.
    const int64_t n = face / 2 == 0 ? y_.v.size(0) : x_.v.size(0);
    return kxy.repeat({n}).view({-1, 1});
  }
  torch::Tensor align_bi(const torch::Tensor& bi) const override { return bi.reshape({1, -1}); }
  torch::Tensor align_q(const torch::Tensor& q) const override {
    return q.reshape({q.size(0), -1}).t();
  }
  torch::Tensor uz_plane(int k) const override {
    if (tucker_) return core(x_.v, y_.v, z_.d1.narrow(0, k, 1)).reshape({beta_.size(0), -1}).t();
    return torch::mm((x_.v.unsqueeze(1) * y_.v.unsqueeze(0)).reshape({-1, beta_.size(1)}),
                     (beta_ * z_.d1[k]).t());
  }
  int64_t batch() const override { return beta_.size(0); }

 private:
  // Values (or the derivative along the face normal) on a face: [n_a * n_b, B].
  torch::Tensor plane(int face, bool derivative) const {
    const int axis = face / 2;
    const Taylor* f[3] = {&x_, &y_, &z_};
    const Taylor& n = *f[axis];
    const Taylor& a = *f[axis == 0 ? 1 : 0];
    const Taylor& c = *f[axis == 2 ? 1 : 2];
    const int64_t i = face % 2 == 1 ? n.v.size(0) - 1 : 0;
    if (tucker_) {
      // The face's row of the normal axis, full tensors along the other two: [B, na * nc].
      const torch::Tensor row = (derivative ? n.d1 : n.v).narrow(0, i, 1);
      const torch::Tensor t = axis == 0   ? core(row, y_.v, z_.v)
                              : axis == 1 ? core(x_.v, row, z_.v)
                                          : core(x_.v, y_.v, row);
      return t.reshape({beta_.size(0), -1}).t();
    }
    const torch::Tensor w = beta_ * (derivative ? n.d1[i] : n.v[i]);  // [B, R]
    const torch::Tensor ac = (a.v.unsqueeze(1) * c.v.unsqueeze(0)).reshape({-1, beta_.size(1)});
    return torch::mm(ac, w.t());
  }
  // The Tucker or modal contraction of beta with three axis factors.
  torch::Tensor core(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& c) const {
    return modal_ ? modal_contract(beta_, a, b, c) : tucker_contract(beta_, a, b, c);
  }
  torch::Tensor beta_;
  Taylor x_, y_, z_;
  bool tucker_, modal_;
};

}  // namespace

LossValue PhysicsLoss::evaluate_physical(const GridFields& f, const PhysicsBatch& batch,
                                         const CellFields& cells) const {
  return assemble(GridSource(f), batch, cells);
}

LossValue PhysicsLoss::evaluate(const SeparableFactors& s, const PhysicsBatch& batch,
                                const CellFields& cells) const {
  auto phys = [&](const Taylor& t, const torch::Tensor& c) {
    const torch::Tensor cc = c.view({-1, 1});
    return Taylor{t.v, t.d1 * cc, t.d2 * cc * cc};
  };
  return assemble(SeparableSource(s.beta, phys(s.x, dxi_[0]), phys(s.y, dxi_[1]),
                                  phys(s.z, dxi_[2]), s.tucker, s.modal),
                  batch, cells);
}

LossValue PhysicsLoss::assemble(const FieldSource& src, const PhysicsBatch& batch,
                                const CellFields& cells) const {
  const int64_t nx = grid_.nx(), ny = grid_.ny();
  std::map<std::string, torch::Tensor> sums;
  std::map<std::string, double> counts;
  auto add = [&](const std::string& term, const torch::Tensor& r, double count) {
    const torch::Tensor s = (r * r).sum();
    sums[term] = sums.count(term) ? sums[term] + s : s;
    counts[term] += count;
  };
  const int64_t b = src.batch();
  const double active = pde_mask_.sum().item<double>();
  add("pde", src.pde(kxy_, kz_, pde_mask_, batch.source), double(b) * nx * ny * active);

  for (std::size_t v = 0; v < vol_.size(); ++v) {
    // Tile means of k_xy (u_xx + u_yy) + k_z u_zz at every node of source layer v, plus the
    // tile's mean source: one residual per tile and node.
    const Volume& vol = vol_[v];
    if (cells.volume.size() <= v || !cells.volume[v].uzz.defined())
      throw std::logic_error(
          "PhysicsLoss: the fields at the source layer's tiles were not evaluated");
    const GridFields& g = cells.volume[v];
    const torch::Tensor& source = batch.source_cells.at(v);
    const double cx = dxi_[0][0].item<double>(), cy = dxi_[1][0].item<double>();
    const torch::Tensor dz2 = (vol.dz * vol.dz).view({1, 1, 1, -1});
    torch::Tensor r = vol.kxy.view({1, 1, 1, -1}) * (g.uxx * (cx * cx) + g.uyy * (cy * cy)) +
                      vol.kz.view({1, 1, 1, -1}) * g.uzz * dz2;  // [B, nqx, nqy, nk]
    if (vol.proj[0].defined()) {
      // Galerkin, as for power faces: cosine coefficients per node [B, nk, K, K].
      r = torch::matmul(torch::matmul(vol.proj[0], r.permute({0, 3, 1, 2})), vol.proj[1].t()) +
          torch::matmul(torch::matmul(vol.tile_proj[0], source), vol.tile_proj[1].t()).unsqueeze(1);
      // Scaled by sqrt(cx cy) so that the sum of squares weighs as much against the pointwise
      // PDE nodes as the cx cy tile means of `cells` do (Parseval: sum of coefficients^2 is
      // the mean square, sum of tile means^2 about cx cy times it).
      const double tiles = double(source.size(1) * source.size(2));
      add("pde", r * std::sqrt(tiles), double(r.size(0) * r.size(1)) * tiles);
    } else {
      r = torch::matmul(torch::matmul(vol.avg[0], r.permute({0, 3, 1, 2})), vol.avg[1].t());
      r = r + source.unsqueeze(1);  // [B, nk, cx, cy]
      add("pde", r, double(r.numel()));
    }
  }
  const Normalisation& nm = p_.norm();
  for (int face = 0; face < model::kNumFaces; ++face) {
    const model::Boundary& bc = p_.base().faces[face];
    const std::string term = model::bc_type_name(bc.type);
    if (has_cells(face)) {
      // Cell means of -k du/dn - Bi (u - u_amb) over the quadrature points, plus the cell's
      // mean power: one residual per cell.
      const GridFields& g = cells[face];
      if (!g.u.defined())
        throw std::logic_error("PhysicsLoss: the fields at the power cells of face " +
                               std::to_string(face) + " were not evaluated");
      const int64_t k = face_node(face);
      const double sign = face % 2 == 1 ? 1.0 : -1.0;
      const torch::Tensor kk = kz_[k], dz = dxi_[2][k];
      torch::Tensor r = -kk * sign * g.uz.squeeze(3) * dz;  // [B, nqx, nqy]
      if (batch.bi[face].defined())
        r = r - batch.bi[face] * (g.u.squeeze(3) - (bc.t_amb - nm.t_amb_K) / nm.delta_T_K);
      if (mode_proj_[face][0].defined()) {
        // Galerkin: cosine coefficients of the residual; the tiles' power is piecewise
        // constant, so its coefficients come from per-tile sums of the same weights.
        r = torch::matmul(torch::matmul(mode_proj_[face][0], r), mode_proj_[face][1].t()) +
            torch::matmul(torch::matmul(tile_proj_[face][0], batch.q_cells[face]),
                          tile_proj_[face][1].t());
        add(term, r, double(r.size(0)));
        continue;
      }
      r = torch::matmul(torch::matmul(cell_avg_[face][0], r), cell_avg_[face][1].t());
      r = r + batch.q_cells[face];
      add(term, r, double(r.numel()));
      continue;
    }
    const torch::Tensor u = src.face_u(face);
    if (bc.type == model::BcType::kFixed) {
      add(term, u - (bc.t_fixed - nm.t_amb_K) / nm.delta_T_K, double(u.numel()));
      continue;
    }
    // -k du/dn = Bi (u - u_amb) - q, with k_z on top and bottom and k_xy on the sides.
    const torch::Tensor k =
        face / 2 == 2 ? kz_[face_index(face, nx, ny, grid_.nz())] : src.side_k(face, kxy_);
    torch::Tensor r = -k * src.face_dn(face);
    if (batch.bi[face].defined())
      r = r - src.align_bi(batch.bi[face]) * (u - (bc.t_amb - nm.t_amb_K) / nm.delta_T_K);
    if (batch.q[face].defined()) r = r + src.align_q(batch.q[face]);
    add(term, r, double(r.numel()));
  }
  if (!interfaces_.empty() && !p_.resistance_coordinate()) {
    for (int k : interfaces_) {
      const double kb = p_.base().layers[grid_.cell_layer[k - 1]].k_z / nm.k_ref_W_per_mK;
      const double ka = p_.base().layers[grid_.cell_layer[k]].k_z / nm.k_ref_W_per_mK;
      add("interface", (kb - ka) * src.uz_plane(k), double(b) * nx * ny);
    }
  }
  LossValue out;
  const std::map<std::string, double> weight{
      {"pde", w_.pde},     {"adiabatic", w_.adiabatic}, {"convective", w_.convective},
      {"power", w_.power}, {"fixed", w_.fixed},         {"interface", w_.interface}};
  for (const auto& [name, s] : sums) {
    const torch::Tensor mse = s / counts[name];
    out.total = out.total.defined() ? out.total + weight.at(name) * mse : weight.at(name) * mse;
    out.terms[name] = mse.item<double>();
  }
  return out;
}

}  // namespace heatop::surrogate
