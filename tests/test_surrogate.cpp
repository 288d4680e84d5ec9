// Tests of the neural-operator surrogate (issue 3).

#include <gtest/gtest.h>
#include <omp.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <random>

#include "io/design_file.hpp"
#include "model/grid.hpp"
#include "surrogate/auto_config.hpp"
#include "surrogate/batch.hpp"
#include "surrogate/checkpoint.hpp"
#include "surrogate/config.hpp"
#include "surrogate/evaluation.hpp"
#include "surrogate/generators.hpp"
#include "surrogate/operator_net.hpp"
#include "surrogate/physics_loss.hpp"
#include "surrogate/problem.hpp"
#include "surrogate/solved_operator.hpp"
#include "surrogate/surrogate_model.hpp"
#include "surrogate/trainer.hpp"
#include "surrogate/trunks.hpp"

using namespace heatop;
using namespace heatop::surrogate;

namespace {

TrunkConfig trunk_config(const std::string& type) {
  TrunkConfig c;
  c.type = parse(kTrunkTypeNames, type, "trunk type");
  c.widths = {16, 12};
  c.degree = 5;
  c.grid = 6;
  c.fourier_features = 4;
  c.fourier_scale = 1.0;
  c.modes = 7;
  return c;
}

double max_abs(const torch::Tensor& t) { return t.abs().max().item<double>(); }

const std::string kExamples = HEATOP_EXAMPLES_DIR;

// A small C1 operator configuration; `extra` lines are appended (later keys override).
std::string c1_config(const std::string& network =
                          "{rank: 16, branch: {widths: [32]}, trunk: {type: mlp, widths: [16]}}",
                      const std::string& training =
                          "{steps: 6, functions_per_step: 4, collocation: [7, 7, 5], "
                          "validate_every: 0, checkpoint_every: 0, log_every: 1}",
                      const std::string& sensors = "[11, 11]") {
  return "design: " + kExamples +
         "/c1_surface.yaml\n"
         "inputs:\n"
         "  - {name: top_power, type: power_map, target: top, sensors: " +
         sensors +
         ",\n"
         "     generator: {type: mixture, tiles: [20, 20]}}\n"
         "network: " +
         network +
         "\n"
         "training: " +
         training + "\n";
}

OperatorConfig parse(const std::string& text) {
  return parse_operator_config(text, "test.yaml", ".");
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

std::string temp_dir(const std::string& name) {
  const auto p = std::filesystem::temp_directory_path() / ("heatop_test_surrogate_" + name);
  std::filesystem::remove_all(p);
  return p.string();
}

}  // namespace

class TrunkDerivatives : public ::testing::TestWithParam<std::string> {};

TEST_P(TrunkDerivatives, TaylorMatchesFiniteDifferences) {
  torch::manual_seed(3);
  auto trunk = make_trunk(trunk_config(GetParam()), 1, 5);
  trunk->to(torch::kFloat64);
  torch::NoGradGuard ng;
  const torch::Tensor x = torch::linspace(-0.95, 0.95, 17, torch::kFloat64).view({-1, 1});
  const Taylor t = trunk->taylor(x, true);
  ASSERT_EQ(t.v.sizes(), (std::vector<int64_t>{17, 5}));
  ASSERT_EQ(t.d2.sizes(), (std::vector<int64_t>{17, 5}));
  EXPECT_LT(max_abs(t.v - trunk->forward(x)), 1e-12);
  const double h1 = 1e-5, h2 = 1e-4;  // B-spline d2 is only piecewise linear: O(h2) there
  const torch::Tensor fp = trunk->forward(x + h1), fm = trunk->forward(x - h1);
  const torch::Tensor d1_fd = (fp - fm) / (2 * h1);
  const torch::Tensor gp = trunk->forward(x + h2), gm = trunk->forward(x - h2);
  const torch::Tensor d2_fd = (gp - 2 * t.v + gm) / (h2 * h2);
  const double e1 = max_abs(t.d1 - d1_fd) / std::max(1.0, max_abs(t.d1));
  const double e2 = max_abs(t.d2 - d2_fd) / std::max(1.0, max_abs(t.d2));
  std::printf("[%s] relative error vs finite differences: d1 %.2e, d2 %.2e\n", GetParam().c_str(),
              e1, e2);
  EXPECT_LT(e1, 1e-6);
  EXPECT_LT(e2, 1e-3);
}

TEST_P(TrunkDerivatives, TaylorMatchesAutograd) {
  torch::manual_seed(4);
  auto trunk = make_trunk(trunk_config(GetParam()), 1, 3);
  trunk->to(torch::kFloat64);
  const torch::Tensor x =
      torch::linspace(-0.9, 0.9, 11, torch::kFloat64).view({-1, 1}).requires_grad_(true);
  const Taylor t = trunk->taylor(x.detach(), true);
  const torch::Tensor v = trunk->forward(x);
  double e1 = 0, e2 = 0;
  for (int r = 0; r < 3; ++r) {
    const torch::Tensor g = torch::autograd::grad({v.select(1, r).sum()}, {x}, {}, true, true)[0];
    const torch::Tensor g2 = torch::autograd::grad({g.sum()}, {x}, {}, true, false)[0];
    e1 = std::max(e1, max_abs(g.view(-1) - t.d1.select(1, r)));
    e2 = std::max(e2, max_abs(g2.view(-1) - t.d2.select(1, r)));
  }
  std::printf("[%s] max |Taylor - autograd|: d1 %.2e, d2 %.2e\n", GetParam().c_str(), e1, e2);
  EXPECT_LT(e1, 1e-10);
  EXPECT_LT(e2, 1e-10);
}

INSTANTIATE_TEST_SUITE_P(AllTrunks, TrunkDerivatives,
                         ::testing::Values("mlp", "fourier-mlp", "chebykan", "bspline-kan",
                                           "cosine", "exponential"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (auto& c : s)
                             if (c == '-') c = '_';
                           return s;
                         });

// With as many outputs as basis functions the exponential trunk has no parameters and is
// exactly [1, xi, exp(-m (1 - xi)) / (1 + m), exp(-m (1 + xi)) / (1 + m)] at geometric rates m.
TEST(Trunk, ExponentialTrunkIsTheFixedBasis) {
  TrunkConfig c = trunk_config("exponential");
  c.modes = 3;
  c.rate_min = 1;
  c.rate_max = 16;
  auto trunk = make_trunk(c, 1, 8);
  trunk->to(torch::kFloat64);
  EXPECT_TRUE(trunk->parameters().empty());
  const torch::Tensor x = torch::tensor({-1.0, 0.25, 1.0}, torch::kFloat64).view({-1, 1});
  const torch::Tensor v = trunk->forward(x);
  ASSERT_EQ(v.sizes(), (std::vector<int64_t>{3, 8}));
  const double rates[3] = {1, 4, 16};
  for (int i = 0; i < 3; ++i) {
    const double xi = x[i][0].item<double>();
    EXPECT_NEAR(v[i][0].item<double>(), 1.0, 1e-15);
    EXPECT_NEAR(v[i][1].item<double>(), xi, 1e-15);
    for (int j = 0; j < 3; ++j) {
      const double m = rates[j];
      EXPECT_NEAR(v[i][2 + j].item<double>(), std::exp(-m * (1 - xi)) / (1 + m), 1e-7);
      EXPECT_NEAR(v[i][5 + j].item<double>(), std::exp(-m * (1 + xi)) / (1 + m), 1e-7);
    }
  }
}

TEST(Trunk, UnknownTypeIsAClearError) {
  try {
    parse(kTrunkTypeNames, "transformer", "network.trunk.type");
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("unknown trunk type 'transformer'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("chebykan"), std::string::npos);
  }
}

TEST(SeparableDeepONet, ShapesAndContractionMatchesEinsum) {
  torch::manual_seed(1);
  NetworkConfig nc;
  nc.rank = 6;
  nc.branch_widths = {8};
  nc.trunk = trunk_config("chebykan");
  nc.dtype = DType::float64;
  auto net = make_operator_net(nc, {9, 1});
  const auto opt = torch::TensorOptions().dtype(torch::kFloat64);
  std::vector<torch::Tensor> in{torch::randn({4, 9}, opt), torch::randn({4, 1}, opt)};
  const torch::Tensor xs = torch::linspace(-1, 1, 5, opt), ys = torch::linspace(-1, 1, 3, opt),
                      zs = torch::linspace(-1, 1, 7, opt);
  const GridFields f = net->fields(in, xs, ys, zs, true);
  EXPECT_EQ(f.u.sizes(), (std::vector<int64_t>{4, 5, 3, 7}));
  EXPECT_EQ(f.uzz.sizes(), (std::vector<int64_t>{4, 5, 3, 7}));
  const torch::Tensor beta = torch::randn({4, 6}, opt), X = torch::randn({5, 6}, opt),
                      Y = torch::randn({3, 6}, opt), Z = torch::randn({7, 6}, opt);
  const torch::Tensor ref = torch::einsum("br,ir,jr,kr->bijk", {beta, X, Y, Z});
  EXPECT_LT(max_abs(separable_contract(beta, X, Y, Z) - ref), 1e-12);
}

TEST(SeparableDeepONet, TuckerCoreShapesAndContractionMatchesEinsum) {
  torch::manual_seed(2);
  NetworkConfig nc;
  nc.core = Core::tucker;
  nc.tucker_ranks[0] = 3;
  nc.tucker_ranks[1] = 4;
  nc.tucker_ranks[2] = 2;
  nc.branch_widths = {8};
  nc.trunk = trunk_config("mlp");
  nc.dtype = DType::float64;
  auto net = make_operator_net(nc, {9});
  EXPECT_EQ(net->rank(), 24);
  const auto opt = torch::TensorOptions().dtype(torch::kFloat64);
  std::vector<torch::Tensor> in{torch::randn({4, 9}, opt)};
  const torch::Tensor xs = torch::linspace(-1, 1, 5, opt), ys = torch::linspace(-1, 1, 3, opt),
                      zs = torch::linspace(-1, 1, 7, opt);
  const GridFields f = net->fields(in, xs, ys, zs, true);
  EXPECT_EQ(f.u.sizes(), (std::vector<int64_t>{4, 5, 3, 7}));
  EXPECT_EQ(f.uyy.sizes(), (std::vector<int64_t>{4, 5, 3, 7}));
  auto& sep = dynamic_cast<SeparableDeepONet&>(*net);
  const SeparableFactors s = sep.factors(in, xs, ys, zs, false);
  EXPECT_TRUE(s.tucker);
  EXPECT_EQ(s.beta.sizes(), (std::vector<int64_t>{4, 3, 4, 2}));
  EXPECT_EQ(s.x.v.sizes(), (std::vector<int64_t>{5, 3}));
  EXPECT_EQ(s.z.v.sizes(), (std::vector<int64_t>{7, 2}));
  const torch::Tensor g = torch::randn({4, 3, 4, 2}, opt), X = torch::randn({5, 3}, opt),
                      Y = torch::randn({6, 4}, opt), Z = torch::randn({7, 2}, opt);
  const torch::Tensor ref = torch::einsum("bpqr,ip,jq,kr->bijk", {g, X, Y, Z});
  EXPECT_LT(max_abs(tucker_contract(g, X, Y, Z) - ref), 1e-12);
  EXPECT_LT(max_abs(f.u - torch::einsum("bpqr,ip,jq,kr->bijk", {s.beta, s.x.v, s.y.v, s.z.v})),
            1e-12);
}

// With a linear branch the operator is affine in its input: f(a) + f(b) = f(a + b) + f(0).
TEST(SeparableDeepONet, LinearBranchMakesTheOperatorAffine) {
  torch::manual_seed(3);
  NetworkConfig nc;
  nc.core = Core::tucker;
  nc.branch_widths = {16};
  nc.branch_activation = BranchActivation::linear;
  nc.trunk = trunk_config("mlp");
  nc.dtype = DType::float64;
  auto net = make_operator_net(nc, {9});
  {
    torch::NoGradGuard ng;  // a linear branch starts at zero: give it random weights
    for (auto& prm : net->parameters()) prm.normal_();
  }
  const auto opt = torch::TensorOptions().dtype(torch::kFloat64);
  const torch::Tensor a = torch::randn({1, 9}, opt), b = torch::randn({1, 9}, opt);
  const torch::Tensor xs = torch::linspace(-1, 1, 4, opt);
  auto u = [&](const torch::Tensor& q) { return net->fields({q}, xs, xs, xs, false).u; };
  const torch::Tensor lhs = u(a) + u(b), rhs = u(a + b) + u(torch::zeros({1, 9}, opt));
  EXPECT_GT(max_abs(u(a)), 1e-3);
  EXPECT_LT(max_abs(lhs - rhs), 1e-12 * max_abs(lhs));
  nc.branch_activation = BranchActivation::tanh;  // the default is not affine
  auto net2 = make_operator_net(nc, {9});
  auto u2 = [&](const torch::Tensor& q) { return net2->fields({q}, xs, xs, xs, false).u; };
  EXPECT_GT(max_abs(u2(a) + u2(b) - u2(a + b) - u2(torch::zeros({1, 9}, opt))), 1e-6);
}

// ---- physics loss -------------------------------------------------------------------------

// Uniform 2.5 W/mm^2 on top of C1: T = T_amb + 5 K + 12.5 K z / 0.5 mm, i.e. u = 0.2 + z/L.
TEST(PhysicsLoss, ZeroForTheExactOneDimensionalSolution) {
  const model::Design d = io::load_design(kExamples + "/c1_surface.yaml",
                                          {"top.power_map=" + kExamples + "/maps/map_20_20.txt"})
                              .design;
  const OperatorConfig cfg = parse(c1_config());
  const Problem p(d, cfg);
  EXPECT_DOUBLE_EQ(p.norm().q_ref(), 2.5e6);
  const model::Grid grid = p.grid(9, 9, 11);
  const TensorOptions to{torch::kCPU, torch::kFloat64};
  const PhysicsLoss loss(p, grid, to);
  InputValues v;
  v.maps = {d.faces[model::kTop].power};
  v.htc = {0};
  const PhysicsBatch batch = physics_batch(p, grid, {v, v}, to);
  const auto opt = torch::TensorOptions().dtype(torch::kFloat64);
  const torch::Tensor zhat = torch::tensor(grid.z, opt).view({1, 1, 1, -1}) / p.norm().length_m;
  GridFields f;
  f.u = (0.2 + zhat).expand({2, 9, 9, 11}).contiguous();
  f.uz = torch::ones_like(f.u);
  f.ux = f.uy = f.uxx = f.uyy = f.uzz = torch::zeros_like(f.u);
  const LossValue exact = loss.evaluate_physical(f, batch);
  std::printf("exact solution: loss %.3e (pde %.1e, power %.1e, convective %.1e, adiabatic %.1e)\n",
              exact.total.item<double>(), exact.terms.at("pde"), exact.terms.at("power"),
              exact.terms.at("convective"), exact.terms.at("adiabatic"));
  EXPECT_LT(exact.total.item<double>(), 1e-24);
  EXPECT_EQ(exact.terms.size(), 4u);  // pde, adiabatic, convective, power

  // The same through the trunk coordinates: d xi / d z^ = 2 L / Lz = 4.
  GridFields fx = f;
  fx.uz = f.uz / 4.0;
  EXPECT_LT(loss.evaluate(fx, batch).total.item<double>(), 1e-24);

  // Wrong fields are penalised by the right terms.
  GridFields g = f;
  g.u = f.u - 0.2;  // bottom no longer convective
  const LossValue wrong = loss.evaluate_physical(g, batch);
  EXPECT_NEAR(wrong.terms.at("convective"), 1.0, 1e-12);  // (Bi * 0.2)^2 = 1
  EXPECT_LT(wrong.terms.at("power"), 1e-24);
  GridFields h = f;
  h.uz = f.uz * 2;
  EXPECT_GT(loss.evaluate_physical(h, batch).terms.at("power"), 0.5);
}

// training.collocation_grading moves the z collocation nodes toward a powered face and keeps
// the face, the node count and the order; a stack without power faces is left uniform.
TEST(Problem, CollocationGradingClustersNodesAtThePowerFace) {
  const model::Design d = io::load_design(kExamples + "/c1_surface.yaml").design;
  const Problem uniform(d, parse(c1_config("{rank: 8}", "{steps: 5, collocation: [5, 5, 11]}")));
  const Problem graded(d, parse(c1_config("{rank: 8}",
                                          "{steps: 5, collocation: [5, 5, 11], "
                                          "collocation_grading: 2}")));
  const model::Grid u = uniform.collocation_grid(), g = graded.collocation_grid();
  ASSERT_EQ(u.nz(), 11);
  ASSERT_EQ(g.nz(), 11);
  EXPECT_DOUBLE_EQ(g.z.front(), u.z.front());
  EXPECT_DOUBLE_EQ(g.z.back(), u.z.back());
  for (int k = 1; k < 11; ++k) EXPECT_GT(g.z[k], g.z[k - 1]);
  const double top_gap = g.z[10] - g.z[9], bottom_gap = g.z[1] - g.z[0];
  EXPECT_NEAR(top_gap, 0.01 * d.lz(), 1e-15);  // 1 - (1 - 0.9)^2 = 0.99
  EXPECT_NEAR(bottom_gap, 0.19 * d.lz(), 1e-15);
  EXPECT_EQ(g.x, u.x);
  EXPECT_NE(error_of([] {
              parse(c1_config("{rank: 8}", "{steps: 5, collocation_grading: 0.5}"));
            }).find("training.collocation_grading must be in [1, 4]"),
            std::string::npos);
}

// The cell-averaged power residual (training.power_residual: cells): zero for the exact
// solution of the uniform map, and a flux error of one tile shows up in that tile's term.
TEST(PhysicsLoss, CellAveragedPowerResidual) {
  std::vector<double> gx, gw;
  gauss_legendre(3, gx, gw);
  EXPECT_NEAR(gx[0], -std::sqrt(0.6), 1e-14);
  EXPECT_NEAR(gw[1], 8.0 / 9.0, 1e-14);
  gauss_legendre(5, gx, gw);  // exact for x^8 on [-1, 1]: 2/9
  double s = 0;
  for (int i = 0; i < 5; ++i) s += gw[i] * std::pow(gx[i], 8);
  EXPECT_NEAR(s, 2.0 / 9.0, 1e-14);

  const model::Design d = io::load_design(kExamples + "/c1_surface.yaml",
                                          {"top.power_map=" + kExamples + "/maps/map_20_20.txt"})
                              .design;
  const OperatorConfig cfg =
      parse(c1_config("{rank: 8}", "{steps: 5, power_residual: cells, quadrature_points: 2}"));
  const Problem p(d, cfg);
  EXPECT_EQ(flux_cells(p, model::kTop), (std::array<int, 2>{20, 20}));
  EXPECT_EQ(flux_cells(p, model::kBottom), (std::array<int, 2>{0, 0}));  // convective face
  const model::Grid grid = p.grid(9, 9, 11);
  const TensorOptions to{torch::kCPU, torch::kFloat64};
  const PhysicsLoss loss(p, grid, to);
  ASSERT_TRUE(loss.has_cells(model::kTop));
  EXPECT_EQ(loss.cell_xi(model::kTop, 0).numel(), 40);  // 20 tiles x 2 points
  InputValues v;
  v.maps = {d.faces[model::kTop].power};
  v.htc = {0};
  const PhysicsBatch batch = physics_batch(p, grid, {v}, to);
  ASSERT_TRUE(batch.q_cells[model::kTop].defined());
  EXPECT_NEAR(batch.q_cells[model::kTop].mean().item<double>(), 1.0, 1e-12);  // 2.5 W/mm^2
  const auto opt = torch::TensorOptions().dtype(torch::kFloat64);
  const torch::Tensor zhat = torch::tensor(grid.z, opt).view({1, 1, 1, -1}) / p.norm().length_m;
  GridFields f;
  f.u = (0.2 + zhat).expand({1, 9, 9, 11}).contiguous();
  f.uz = torch::ones_like(f.u);
  f.ux = f.uy = f.uxx = f.uyy = f.uzz = torch::zeros_like(f.u);
  CellFields cells;  // trunk coordinates: d xi / d z^ = 4
  cells[model::kTop].u = torch::full({1, 40, 40, 1}, 0.7, opt);
  cells[model::kTop].uz = torch::full({1, 40, 40, 1}, 0.25, opt);
  const LossValue exact = loss.evaluate_physical(f, batch, cells);
  EXPECT_LT(exact.total.item<double>(), 1e-24);
  // Double the flux on the first tile (its 2 x 2 quadrature points): one of 400 cells off by 1.
  cells[model::kTop].uz.index_put_(
      {0, torch::indexing::Slice(0, 2), torch::indexing::Slice(0, 2), 0}, 0.5);
  EXPECT_NEAR(loss.evaluate_physical(f, batch, cells).terms.at("power"), 1.0 / 400, 1e-12);
  EXPECT_THROW(loss.evaluate_physical(f, batch), std::logic_error);  // cells not evaluated
}

// power_residual modes: the face residual's cosine coefficients (K = 20 per axis here).
// Zero for the exact field; a pure mode k < K in the flux shows up with its mean square
// (Parseval); a mode k >= K (the part of a tile map the model cannot carry) is not seen.
TEST(PhysicsLoss, GalerkinModePowerResidual) {
  const model::Design d = io::load_design(kExamples + "/c1_surface.yaml",
                                          {"top.power_map=" + kExamples + "/maps/map_20_20.txt"})
                              .design;
  const OperatorConfig cfg = parse(c1_config(
      "{rank: 8}", "{steps: 5, power_residual: modes, residual_modes: 20, quadrature_points: 4}"));
  const Problem p(d, cfg);
  EXPECT_EQ(flux_cells(p, model::kTop), (std::array<int, 2>{20, 20}));
  const model::Grid grid = p.grid(9, 9, 11);
  const TensorOptions to{torch::kCPU, torch::kFloat64};
  const PhysicsLoss loss(p, grid, to);
  ASSERT_TRUE(loss.has_cells(model::kTop));
  InputValues v;
  v.maps = {d.faces[model::kTop].power};
  v.htc = {0};
  const PhysicsBatch batch = physics_batch(p, grid, {v}, to);
  const auto opt = torch::TensorOptions().dtype(torch::kFloat64);
  const torch::Tensor zhat = torch::tensor(grid.z, opt).view({1, 1, 1, -1}) / p.norm().length_m;
  GridFields f;
  f.u = (0.2 + zhat).expand({1, 9, 9, 11}).contiguous();
  f.uz = torch::ones_like(f.u);
  f.ux = f.uy = f.uxx = f.uyy = f.uzz = torch::zeros_like(f.u);
  const torch::Tensor x = (loss.cell_xi(model::kTop, 0) + 1) / 2,  // x / L in [0, 1]
      y = (loss.cell_xi(model::kTop, 1) + 1) / 2;
  ASSERT_EQ(x.numel(), 80);
  auto flux_with = [&](int kx, int ky, double eps) {
    CellFields cells;
    cells[model::kTop].u = torch::full({1, 80, 80, 1}, 0.7, opt);
    const torch::Tensor mode =
        torch::cos(kx * M_PI * x).view({-1, 1}) * torch::cos(ky * M_PI * y).view({1, -1});
    cells[model::kTop].uz = (0.25 * (1 + eps * mode)).view({1, 80, 80, 1});
    return loss.evaluate_physical(f, batch, cells).terms.at("power");
  };
  EXPECT_LT(flux_with(0, 0, 0.0), 1e-24);
  EXPECT_NEAR(flux_with(3, 2, 0.1), 0.01 / 4, 1e-8);  // mean of (0.1 cos cos)^2
  EXPECT_NEAR(flux_with(19, 0, 0.1), 0.01 / 2, 1e-7);
  EXPECT_LT(flux_with(23, 1, 0.1), 1e-6);  // beyond K = 20
}

// ---- generators ---------------------------------------------------------------------------

TEST(Generators, SeededReproducibleAndInRange) {
  GeneratorConfig g;
  g.type = GeneratorType::blocks;
  PowerMapGenerator gen(g, 1e-3, 1e-3);
  std::mt19937_64 a(stream_seed(1, 7, 3)), b(stream_seed(1, 7, 3)), c(stream_seed(1, 8, 3));
  const auto ma = gen.sample(a), mb = gen.sample(b), mc = gen.sample(c);
  EXPECT_EQ(ma.tile_watts, mb.tile_watts);
  EXPECT_NE(ma.tile_watts, mc.tile_watts);
  ASSERT_EQ(ma.tile_watts.size(), 400u);
  const double tile_mm2 = 0.05 * 0.05;
  for (double w : ma.tile_watts) {
    EXPECT_GE(w, 0.0);
    EXPECT_LE(w / tile_mm2, 0.5 + 6 * 10.0 + 1e-9);
  }
  // GRF: sample mean and variance over many draws match the configuration.
  g.type = GeneratorType::grf;
  g.grf.clip_nonnegative = false;
  PowerMapGenerator grf(g, 1e-3, 1e-3);
  double sum = 0, sq = 0;
  int n = 0;
  for (int s = 0; s < 400; ++s) {
    std::mt19937_64 r(stream_seed(2, s, 0));
    const auto m = grf.sample(r);
    const double d = m.tile_watts[7 * 20 + 11] / tile_mm2;
    sum += d;
    sq += d * d;
    ++n;
  }
  const double mean = sum / n, var = sq / n - mean * mean;
  EXPECT_NEAR(mean, g.grf.mean_W_per_mm2, 0.25);
  EXPECT_NEAR(std::sqrt(var), g.grf.std_W_per_mm2, 0.2);
}

// Independent tiles: in range, mean (min + max) / 2, neighbours uncorrelated; a mixture with
// noise_fraction draws all three kinds.
TEST(Generators, NoiseTilesAreIndependentAndUniform) {
  GeneratorConfig g;
  g.type = GeneratorType::noise;
  g.noise.min_W_per_mm2 = 1.0;
  g.noise.max_W_per_mm2 = 5.0;
  PowerMapGenerator gen(g, 1e-3, 1e-3);
  const double tile_mm2 = 0.05 * 0.05;
  double sum = 0, prod = 0, lo = 1e9, hi = -1e9;
  int n = 0, pairs = 0;
  for (int s = 0; s < 50; ++s) {
    std::mt19937_64 r(stream_seed(3, s, 0));
    const auto m = gen.sample(r);
    ASSERT_EQ(m.tile_watts.size(), 400u);
    EXPECT_EQ(m.source, "noise");
    for (int i = 0; i < 400; ++i) {
      const double d = m.tile_watts[i] / tile_mm2;
      lo = std::min(lo, d);
      hi = std::max(hi, d);
      sum += d;
      ++n;
      if (i % 20 != 19) {
        prod += (d - 3.0) * (m.tile_watts[i + 1] / tile_mm2 - 3.0);
        ++pairs;
      }
    }
  }
  EXPECT_GE(lo, 1.0);
  EXPECT_LE(hi, 5.0);
  EXPECT_GT(hi - lo, 3.5);
  EXPECT_NEAR(sum / n, 3.0, 0.05);
  // Variance of U(1, 5) is 4/3; the neighbour covariance of independent tiles is ~0.
  EXPECT_LT(std::abs(prod / pairs), 0.05);
  g.type = GeneratorType::mixture;
  g.grf_fraction = 0.3;
  g.noise_fraction = 0.3;
  PowerMapGenerator mix(g, 1e-3, 1e-3);
  std::map<std::string, int> kinds;
  for (int s = 0; s < 200; ++s) {
    std::mt19937_64 r(stream_seed(4, s, 0));
    ++kinds[mix.sample(r).source];
  }
  EXPECT_GT(kinds["grf"], 30);
  EXPECT_GT(kinds["noise"], 30);
  EXPECT_GT(kinds["blocks"], 60);
}

// sensor_layout: cells reads each sensor cell's mean power: a tile map on the sensor grid comes
// through exactly (node sensors on tile edges average neighbouring tiles instead).
TEST(Batch, CellSensorsReadTileValues) {
  const model::Design c1 = io::load_design(kExamples + "/c1_surface.yaml").design;
  std::string text = c1_config("{rank: 8}", "{steps: 5}", "[20, 20]");
  text.replace(text.find("sensors: [20, 20]"), 17, "sensors: [20, 20], sensor_layout: cells");
  const OperatorConfig cfg = parse(text);
  EXPECT_EQ(cfg.inputs[0].sensor_layout, SensorLayout::cells);
  const Problem p(c1, cfg);
  GeneratorConfig g;
  g.type = GeneratorType::noise;
  std::mt19937_64 r(5);
  InputValues in;
  in.maps.push_back(PowerMapGenerator(g, 1e-3, 1e-3).sample(r));
  in.htc.push_back(0);
  TensorOptions to;
  to.dtype = torch::kFloat64;
  const torch::Tensor b = branch_inputs(p, {in}, to)[0];
  ASSERT_EQ(b.sizes(), (std::vector<int64_t>{1, 400}));
  const double tile_m2 = 0.05e-3 * 0.05e-3;
  double err = 0;
  for (int c = 0; c < 20; ++c)            // x
    for (int row = 0; row < 20; ++row) {  // y
      const double want = in.maps[0].tile_watts[row * 20 + c] / tile_m2 / p.norm().q_ref();
      err = std::max(err, std::abs(b[0][c * 20 + row].item<double>() - want) / want);
    }
  EXPECT_LT(err, 1e-12);
  // A block off the tile grid: its power is shared by area, and all of it arrives.
  model::PowerMap blk;
  blk.blocks.push_back({"b", 0.12e-3, 0.20e-3, 0.21e-3, 0.06e-3, 0.01});
  in.maps[0] = blk;
  const torch::Tensor c = branch_inputs(p, {in}, to)[0] * p.norm().q_ref();  // W/m^2
  EXPECT_NEAR(c.sum().item<double>() * tile_m2, 0.01, 1e-15);
  const double dens = 0.01 / (0.21e-3 * 0.06e-3);
  EXPECT_NEAR(c[0][2 * 20 + 4].item<double>(), dens * 0.03 / 0.05, 1e-9 * dens);  // x 0.12-0.15
  EXPECT_NEAR(c[0][3 * 20 + 4].item<double>(), dens, 1e-9 * dens);                // inside
  EXPECT_NEAR(c[0][3 * 20 + 5].item<double>(), dens * 0.01 / 0.05, 1e-9 * dens);  // y 0.25-0.26
  EXPECT_EQ(c[0][3 * 20 + 6].item<double>(), 0.0);
}

TEST(Generators, PsdSquareRootReproducesTheCovariance) {
  const int n = 12;
  std::vector<double> c(n * n);
  for (int a = 0; a < n; ++a)
    for (int b = 0; b < n; ++b) c[a * n + b] = std::exp(-(a - b) * (a - b) / 8.0);
  const auto l = psd_sqrt(c, n);
  double err = 0;
  for (int a = 0; a < n; ++a)
    for (int b = 0; b < n; ++b) {
      double s = 0;
      for (int k = 0; k < n; ++k) s += l[a * n + k] * l[b * n + k];
      err = std::max(err, std::abs(s - c[a * n + b]));
    }
  EXPECT_LT(err, 1e-9);
}

// ---- configuration errors -----------------------------------------------------------------

TEST(Config, ClearErrorsForBadConfigurations) {
  struct Case {
    std::string network, training, expected;
  };
  const std::string steps5 = "{steps: 5}";
  const std::vector<Case> cases{
      {"{trunk: {type: transformer}}", "",
       "unknown trunk type 'transformer'; valid types: mlp, fourier-mlp, chebykan, bspline-kan"},
      {"{rank: 8}", "{steps: 0}", "training.steps: 0 is not valid"},
      {"{rank: 8}", "{stepz: 10}",
       "training.stepz: unknown key 'stepz'; valid keys in training: steps,"},
      {"{core: tensor-train}", "", "network.core: unknown core 'tensor-train'; valid: cp, tucker"},
      {"{core: tucker, tucker_ranks: [8, 8]}", "", "tucker_ranks: expected a list of 3 numbers"},
      {"{model: pointwise, core: tucker}", "", "tucker needs network.model: separable"},
      {"{rank: 8}", "{steps: 5, power_residual: tiles}",
       "training.power_residual: 'tiles' is not valid; use cells, modes or points"},
      {"{rank: 8}", "{steps: 5, quadrature_points: 0}",
       "training.quadrature_points: 0 is not in 1..8"},
      {"{rank: 8}", "{steps: 5, residual_modes: -1}",
       "training.residual_modes: -1 is not in 0..512"},
      {"{model: pointwise, trunk_z: {type: mlp, widths: [8]}}", "",
       "a separate z trunk needs network.model: separable"},
      {"{trunk: {type: cosine, modes: 0}}", "", "network.trunk.modes: 0 is not in 1..512"},
      {"{trunk: {type: exponential, modes: 4, rates: [0, 8]}}", "",
       "network.trunk.rates: [0, 8] must satisfy 0 < min <= max <= 200"},
      {"{model: pointwise, trunk: {type: exponential}}", "",
       "exponential is an axis basis; it needs network.model: separable"},
      {"{branch: {type: separable}}", "",
       "network.branch.type: separable needs network.core: tucker"},
      {"{branch: {activation: relu}}", "",
       "network.branch.activation: 'relu' is not valid; use tanh or linear"},
  };
  for (const Case& c : cases) {
    const std::string e = error_of([&] {
      parse(c.training.empty() ? c1_config(c.network) : c1_config(c.network, c.training));
    });
    EXPECT_NE(e.find(c.expected), std::string::npos) << c.network << " " << c.training << ": " << e;
  }
  // Input keys: the sensor layout and the mixture fractions.
  std::string t = c1_config();
  t.replace(t.find("sensors: [11, 11]"), 17, "sensors: [11, 11], sensor_layout: corners");
  EXPECT_NE(error_of([&] {
              parse(t);
            }).find(".sensor_layout: unknown layout 'corners'; valid: nodes, cells"),
            std::string::npos);
  t = c1_config();
  t.replace(t.find("tiles: [20, 20]"), 15,
            "tiles: [20, 20], grf_fraction: 0.6, noise_fraction: 0.6");
  EXPECT_NE(error_of([&] {
              parse(t);
            }).find("noise_fraction must be >= 0 and grf_fraction + noise_fraction <= 1"),
            std::string::npos);
  // A sensor grid that does not match the design (1 x 1 mm die read at 21 x 3 nodes).
  const OperatorConfig bad_sensors = parse(c1_config("{rank: 8}", "{steps: 5}", "[21, 3]"));
  const model::Design c1 = io::load_design(kExamples + "/c1_surface.yaml").design;
  const std::string e = error_of([&] { Problem(c1, bad_sensors); });
  EXPECT_NE(e.find("sensors: [21, 3] does not match the input's"), std::string::npos) << e;
  // A power-map input on a face that is not a power face.
  OperatorConfig bottom = parse(c1_config());
  bottom.inputs[0].target = "bottom";
  EXPECT_NE(error_of([&] { Problem(c1, bottom); }).find("bottom face is 'convective', not 'power'"),
            std::string::npos);
}

// ---- models, checkpoints, training ---------------------------------------------------------

TEST(Checkpoint, RoundTripAndCorruptionAreDetected) {
  const OperatorConfig cfg = parse(c1_config());
  const model::Design c1 = io::load_design(kExamples + "/c1_surface.yaml").design;
  SurrogateModel m(cfg, c1, torch::kCPU);
  const std::string dir = temp_dir("ckpt");
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/model.hnop";
  save_checkpoint(path, m.header(42), m.net(), nullptr);
  const auto h = read_checkpoint_header(path);
  EXPECT_EQ(h.at("step").get<long>(), 42);
  EXPECT_EQ(h.at("heatop_version").get<std::string>(), HEATOP_VERSION);
  const auto back = SurrogateModel::load(dir, torch::kCPU);
  const model::Grid g = back->problem().grid(13, 13, 7);
  const field::Field3D a = m.predict(c1, g), b = back->predict(c1, g);
  EXPECT_EQ(a.values, b.values);
  EXPECT_EQ(back->problem().base().layers[0].k_z, 100.0);

  // Flip one payload byte: the checksum catches it.
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-20, std::ios::end);
    char c;
    f.read(&c, 1);
    f.seekp(-20, std::ios::end);
    c ^= 0x55;
    f.write(&c, 1);
  }
  EXPECT_NE(error_of([&] { read_checkpoint_header(path); }).find("checksum mismatch"),
            std::string::npos);
  std::ofstream(dir + "/junk.hnop") << "not a checkpoint at all";
  EXPECT_NE(error_of([&] { read_checkpoint_header(dir + "/junk.hnop"); }).find("bad magic number"),
            std::string::npos);

  // Truncated (a copy cut in the payload), and a header claiming a huge payload: both refused by
  // name before anything is allocated for them.
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::ofstream(dir + "/cut.hnop", std::ios::binary) << bytes.substr(0, bytes.size() - 100);
  const std::string cut = error_of([&] { read_checkpoint_header(dir + "/cut.hnop"); });
  EXPECT_NE(cut.find("cut.hnop: truncated or corrupted heatop checkpoint (the payload claims"),
            std::string::npos)
      << cut;
  std::uint64_t header_len = 0;
  for (int i = 0; i < 8; ++i)
    header_len |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[12 + i])) << (8 * i);
  std::string huge = bytes;
  for (int i = 0; i < 8; ++i) huge[20 + header_len + i] = static_cast<char>(0xff);  // 2^64 - 1
  std::ofstream(dir + "/huge.hnop", std::ios::binary) << huge;
  const std::string big = error_of([&] { read_checkpoint_header(dir + "/huge.hnop"); });
  EXPECT_NE(big.find("huge.hnop: truncated or corrupted heatop checkpoint (the payload claims "
                     "18446744073709551615 bytes"),
            std::string::npos)
      << big;
}

// A header with a valid checksum but damaged fields (what fuzz/fuzz_checkpoint.cpp explores):
// each is refused naming the file and the field, before any conversion or allocation.
TEST(Checkpoint, DamagedHeaderFieldsAreRefusedByName) {
  const OperatorConfig cfg = parse(c1_config());
  const model::Design c1 = io::load_design(kExamples + "/c1_surface.yaml").design;
  const nlohmann::json good = SurrogateModel(cfg, c1, torch::kCPU).header(7);
  const std::string dir = temp_dir("ckpt-fields");
  std::filesystem::create_directories(dir);
  auto refusal = [&](const std::function<void(nlohmann::json&)>& damage) {
    nlohmann::json h = good;
    damage(h);
    const std::string path = dir + "/model.hnop";
    std::ofstream(path, std::ios::binary) << checkpoint_bytes(h.dump(), "");
    return error_of([&] { read_checkpoint_setup(path); });
  };
  // The undamaged header is accepted (the payload is LibTorch's, read later).
  EXPECT_EQ(refusal([](nlohmann::json&) {}), "(no error)");
  EXPECT_EQ(read_checkpoint_setup(dir + "/model.hnop").base.layers[0].k_z, 100.0);
  const std::string cells = refusal([](auto& h) { h["design"]["layers"][0]["cells"] = 1e300; });
  EXPECT_NE(cells.find("model.hnop: checkpoint header: design.layers[0].cells = 1e+300 is not a "
                       "whole number"),
            std::string::npos)
      << cells;
  const std::string type = refusal([](auto& h) { h["design"]["faces"][4]["type"] = 9; });
  EXPECT_NE(type.find("design.faces[4].type = 9 is not a whole number in [0, 3]"),
            std::string::npos)
      << type;
  const std::string tiles =
      refusal([](auto& h) { h["design"]["faces"][5]["power"]["rows"] = 1 << 30; });
  EXPECT_NE(tiles.find("design.faces[5].power.tile_watts holds 400 values for 1073741824 x 20"),
            std::string::npos)
      << tiles;
  const std::string kz = refusal([](auto& h) { h["design"]["layers"][0]["k_z"] = "hot"; });
  EXPECT_NE(kz.find("design.layers[0].k_z is not a number"), std::string::npos) << kz;
  const std::string norm =
      refusal([](auto& h) { h["normalisation"]["delta_T_K"] = "twenty-five"; });
  EXPECT_NE(norm.find("normalisation.delta_T_K = \"twenty-five\" differs from 25"),
            std::string::npos)
      << norm;
  const std::string step = refusal([](auto& h) { h["step"] = -3; });
  EXPECT_NE(step.find("field 'step' is not a whole number >= 0"), std::string::npos) << step;
  const std::string config = refusal([](auto& h) { h.erase("config_yaml"); });
  EXPECT_NE(config.find("lacks the field 'config_yaml'"), std::string::npos) << config;
}

TEST(Checkpoint, ModelLoadedWithTheWrongDesignIsAClearError) {
  const OperatorConfig cfg = parse(c1_config());
  const model::Design c1 = io::load_design(kExamples + "/c1_surface.yaml").design;
  SurrogateModel m(cfg, c1, torch::kCPU);
  const model::Design c2 = io::load_design(kExamples + "/c2_volumetric.yaml").design;
  const std::string e = error_of([&] { m.predict(c2, model::build_grid(c2)); });
  EXPECT_NE(e.find("is not of the family this model was trained on ('c1_surface')"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("number of layers 1 (model) vs 3 (design)"), std::string::npos) << e;
  model::Design hotter = c1;
  hotter.faces[model::kBottom].h = 1e5;
  EXPECT_NE(error_of([&] { m.predict(hotter, model::build_grid(hotter)); }).find("bottom face h"),
            std::string::npos);
}

// With two OpenMP threads each step's functions are split into two shares evaluated on two
// threads; the loss and the trained parameters equal a one-thread run's to rounding, and the
// OpenMP thread count is restored afterwards.
TEST(Trainer, TwoThreadsShareEachStepsFunctions) {
  const OperatorConfig cfg = parse(c1_config());
  const int saved = omp_get_max_threads();
  std::vector<TrainReport> reps;
  std::vector<std::string> dirs;
  for (int threads : {1, 2}) {
    omp_set_num_threads(threads);
    TrainOptions o;
    o.out_dir = temp_dir("threads" + std::to_string(threads));
    reps.push_back(train(cfg, o));
    EXPECT_EQ(omp_get_max_threads(), threads);
    dirs.push_back(o.out_dir);
  }
  omp_set_num_threads(saved);
  EXPECT_EQ(reps[0].threads, 1);
  EXPECT_EQ(reps[1].threads, 2);
  const auto m1 = SurrogateModel::load(dirs[0], torch::kCPU);
  const auto m2 = SurrogateModel::load(dirs[1], torch::kCPU);
  double worst = 0, scale = 0;
  const auto p1 = m1->net().named_parameters(), p2 = m2->net().named_parameters();
  for (const auto& kv : p1) {
    worst = std::max(worst, (kv.value() - p2[kv.key()]).abs().max().item<double>());
    scale = std::max(scale, kv.value().abs().max().item<double>());
  }
  std::printf(
      "[threads] loss %.9g (1 thread) vs %.9g (2 shares); max parameter difference %.2e "
      "of %.2e\n",
      reps[0].loss, reps[1].loss, worst, scale);
  EXPECT_NEAR(reps[1].loss, reps[0].loss, 1e-5 * std::abs(reps[0].loss));
  EXPECT_LT(worst, 1e-5 * scale);
}

TEST(Trainer, ResumeGivesTheSameResultAsAnUninterruptedRun) {
  const OperatorConfig cfg = parse(c1_config());
  TrainOptions full;
  full.out_dir = temp_dir("full");
  const TrainReport a = train(cfg, full);
  EXPECT_EQ(a.reason, "done");
  EXPECT_EQ(a.step, 6);

  TrainOptions part;
  part.out_dir = temp_dir("part");
  part.stop_after = 3;
  const TrainReport b1 = train(cfg, part);
  EXPECT_EQ(b1.reason, "stopped");
  EXPECT_EQ(b1.step, 3);
  EXPECT_NE(error_of([&] { train(cfg, part); }).find("already holds a model"), std::string::npos);
  part.stop_after = 0;
  part.resume = true;
  const TrainReport b2 = train(cfg, part);
  EXPECT_EQ(b2.start_step, 3);
  EXPECT_EQ(b2.step, 6);
  EXPECT_EQ(b2.loss, a.loss);

  const auto ma = SurrogateModel::load(full.out_dir, torch::kCPU);
  const auto mb = SurrogateModel::load(part.out_dir, torch::kCPU);
  const auto pa = ma->net().named_parameters(), pb = mb->net().named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (const auto& kv : pa) EXPECT_TRUE(torch::equal(kv.value(), pb[kv.key()])) << kv.key();
  // The log holds every step once.
  std::ifstream log(part.out_dir + "/train_log.csv");
  int lines = 0;
  for (std::string l; std::getline(log, l);) ++lines;
  EXPECT_EQ(lines, 7);

  // Resuming with another configuration is refused.
  const OperatorConfig other = parse(
      c1_config("{rank: 16, branch: {widths: [32]}, trunk: {type: mlp, widths: [16]}}",
                "{steps: 9, functions_per_step: 4, collocation: [7, 7, 5], validate_every: 0}"));
  EXPECT_NE(error_of([&] { train(other, part); }).find("the configuration differs"),
            std::string::npos);
}

TEST(Trainer, NanStopsTheRunAndKeepsTheLastGoodCheckpoint) {
  // An absurd learning rate blows the loss up; the run must stop with a message.
  const OperatorConfig cfg =
      parse(c1_config("{rank: 16, branch: {widths: [32]}, trunk: {type: mlp, widths: [16]}}",
                      "{steps: 200, functions_per_step: 4, collocation: [7, 7, 5], validate_every: "
                      "0, checkpoint_every: 1, learning_rate: 1.0e+6, divergence_factor: 100}"));
  TrainOptions o;
  o.out_dir = temp_dir("nan");
  const TrainReport r = train(cfg, o);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.reason == "nan" || r.reason == "diverged") << r.reason;
  EXPECT_NE(r.message.find("training stopped at step"), std::string::npos);
  EXPECT_LT(r.step, 200);
  if (r.step > 0) {
    const auto h = read_checkpoint_header(o.out_dir + "/model.hnop");
    EXPECT_EQ(h.at("step").get<long>(), r.step);
    const auto m = SurrogateModel::load(o.out_dir, torch::kCPU);
    const model::Design c1 = io::load_design(kExamples + "/c1_surface.yaml").design;
    const auto f = m->predict(c1, m->problem().grid(5, 5, 3));
    for (double t : f.values) EXPECT_TRUE(std::isfinite(t));
  }
}

// The separable fast path (factors, rank-2R GEMM, face planes) equals the full-grid path, on a
// layered stack with every kind of term (C2, plain z coordinate: interface term present).
TEST(PhysicsLoss, SeparableFactorPathEqualsFullGridPath) {
  for (const std::string core : {"cp", "tucker"})
    for (const std::string design : {"c1_surface.yaml", "c2_volumetric.yaml"}) {
      const bool c2 = design == "c2_volumetric.yaml";
      std::string text = c1_config(
          "{rank: 8, core: " + core +
          ", tucker_ranks: [3, 4, 5], branch: {widths: [16]}, "
          "trunk: {type: chebykan, widths: [8]}, dtype: float64, resistance_coordinate: off}");
      text.replace(text.find("c1_surface.yaml"), 15, design);
      if (c2) text.replace(text.find("target: top"), 11, "target: 'layer:active'");
      const OperatorConfig cfg = parse(text);
      const model::Design d = io::load_design(kExamples + "/" + design).design;
      SurrogateModel m(cfg, d, torch::kCPU);
      const model::Grid grid = m.problem().grid(9, 7, c2 ? 12 : 6);
      const PhysicsLoss loss(m.problem(), grid, m.tensor_options());
      const PhysicsBatch batch =
          physics_batch(m.problem(), grid, draw_inputs(m.problem(), 5, 0, 3), m.tensor_options());
      auto& net = dynamic_cast<SeparableDeepONet&>(m.net());
      const LossValue a =
          loss.evaluate(net.fields(batch.branch, loss.xi(0), loss.xi(1), loss.xi(2), true), batch);
      const LossValue b =
          loss.evaluate(net.factors(batch.branch, loss.xi(0), loss.xi(1), loss.xi(2), true), batch);
      ASSERT_EQ(a.terms.size(), b.terms.size());
      EXPECT_EQ(a.terms.count("interface"), c2 ? 1u : 0u);
      for (const auto& [k, v] : a.terms)
        EXPECT_NEAR(b.terms.at(k), v, 1e-12 * std::max(1.0, std::abs(v)))
            << core << " " << design << " " << k;
      EXPECT_NEAR(a.total.item<double>(), b.total.item<double>(), 1e-12 * a.total.item<double>());
    }
}

// A short C1 training run (about 15 s on 2 cores) brings the error against FV under a loose bound
// that the untrained model fails. The validation set: 4 held-out functions of the training
// distribution (GRFs and block floorplans), FV-solved on a 21 x 21 x 11 grid; plus the uniform
// map of docs/cases.md.
struct ShortRun {
  ErrorMetrics before, after;
  TrainReport report;
};

// Trains a C1 operator for a few hundred steps and measures the uniform map's error against FV
// on 21 x 21 x 11 nodes before and after.
ShortRun short_c1_run(const std::string& network, const std::string& training,
                      const std::string& dir) {
  const OperatorConfig cfg = parse(
      c1_config(network,
                "{functions_per_step: 20, collocation: [21, 21, 11], validation_functions: 4, "
                "validation_grid: [21, 21, 11], checkpoint_every: 0, log_every: 50, " +
                    training + "}",
                "[21, 21]"));
  const model::Design uniform =
      io::load_design(kExamples + "/c1_surface.yaml",
                      {"top.power_map=" + kExamples + "/maps/map_20_20.txt"})
          .design;
  SurrogateModel fresh(cfg, uniform, torch::kCPU);
  const model::Grid grid = fresh.problem().grid(21, 21, 11);
  const field::Field3D ref = fv_reference(uniform, grid);
  ShortRun out;
  out.before = compare(fresh.predict(uniform, grid).values, ref.values, 298.15);
  TrainOptions o;
  o.out_dir = temp_dir(dir);
  out.report = train(cfg, o);
  EXPECT_EQ(out.report.reason, "done");
  EXPECT_EQ(out.report.validation.size(), 1u);
  const auto m = SurrogateModel::load(o.out_dir, torch::kCPU);
  out.after = compare(m->predict(uniform, grid).values, ref.values, 298.15);
  std::printf(
      "uniform map: rel. L2 of the rise %.1f%% untrained -> %.2f%% after %ld steps (%.1f s); "
      "validation set: mean %.2f%%, max |dT| %.2f K\n",
      100 * out.before.rel_l2_rise, 100 * out.after.rel_l2_rise, out.report.step,
      out.report.seconds, 100 * out.report.validation.at(0).mean_rel_l2,
      out.report.validation.at(0).max_abs_K);
  return out;
}

TEST(Trainer, ShortTrainingRunBeatsAnUntrainedModelAgainstFv) {
  const ShortRun r =
      short_c1_run("{rank: 64, branch: {widths: [128, 128]}, trunk: {type: mlp, widths: [64, 64]}}",
                   "steps: 600, validate_every: 600", "short");
  ASSERT_EQ(r.report.validation.size(), 1u);
  EXPECT_GT(r.before.rel_l2_rise, 0.9);
  EXPECT_LT(r.after.rel_l2_rise, 0.15);
  EXPECT_LT(r.report.validation[0].mean_rel_l2, 0.3);
}

// The spectral form (cosine x/y trunks, MLP z trunk, Tucker core, separable branch, tile-
// averaged power residual) starts from the zero field; in the MLP run's budget it gets closer.
TEST(Trainer, ShortSpectralRunReachesAFewPercentAgainstFv) {
  const ShortRun r = short_c1_run(
      "{core: tucker, tucker_ranks: [12, 12, 8], branch: {type: separable}, "
      "trunk: {type: cosine, modes: 12}, trunk_z: {type: mlp, widths: [32, 32]}}",
      "steps: 600, validate_every: 600, power_residual: cells, quadrature_points: 2, "
      "decay_steps: 100",
      "short_spectral");
  ASSERT_EQ(r.report.validation.size(), 1u);
  EXPECT_NEAR(r.before.rel_l2_rise, 1.0, 1e-9);  // the zero field
  EXPECT_LT(r.after.rel_l2_rise, 0.05);
  EXPECT_LT(r.report.validation[0].mean_rel_l2, 0.10);
}

// C2 with uniform power in the active layer: the exact 1D solution (piecewise linear in the
// passive layers, quadratic in the active one, flux continuous at both interfaces) has zero
// loss; the z trunk coordinate is the thermal-resistance coordinate there.
TEST(PhysicsLoss, ZeroForTheExactLayeredSolutionOfC2) {
  const model::Design d = io::load_design(kExamples + "/c2_volumetric.yaml",
                                          {"layers.1.power_map=null", "layers.1.power_W=0.2"})
                              .design;
  std::string text = c1_config();
  text.replace(text.find("c1_surface.yaml"), 15, "c2_volumetric.yaml");
  text.replace(text.find("target: top"), 11, "target: 'layer:active'");
  const OperatorConfig cfg = parse(text);
  const Problem p(d, cfg);
  EXPECT_TRUE(p.resistance_coordinate());  // auto: k_z jumps 150 -> 7.5
  const model::Grid grid = p.grid(5, 5, 23);
  const TensorOptions to{torch::kCPU, torch::kFloat64};
  const PhysicsLoss loss(p, grid, to);
  InputValues v;
  v.maps = {d.layers[1].power};
  v.htc = {0};
  const PhysicsBatch batch = physics_batch(p, grid, {v}, to);
  // G(z) = k dT/dz: G0 in the substrate, G0 - q (z - z1) in the active layer, G0 - q t2 above.
  const double h = 3750, ta = 298.15, t1 = 1e-4, t2 = 5e-5, t3 = 4e-4, k1 = 150, k2 = 7.5, k3 = 7.5;
  const double q = 0.2 / (1e-6 * t2);
  const double g0 = (q * t2 * t2 / (2 * k2) + q * t2 * t3 / k3 + q * t2 / h) /
                    (2 / h + t1 / k1 + t2 / k2 + t3 / k3);
  auto temp = [&](double z, double& dtdz, double& d2) {
    const double T0 = ta + g0 / h, T1 = T0 + g0 * t1 / k1;
    const double T2 = T1 + (g0 * t2 - q * t2 * t2 / 2) / k2;
    d2 = 0;
    if (z <= t1) {
      dtdz = g0 / k1;
      return T0 + g0 * z / k1;
    }
    if (z <= t1 + t2) {
      const double s = z - t1;
      dtdz = (g0 - q * s) / k2;
      d2 = -q / k2;
      return T1 + (g0 * s - q * s * s / 2) / k2;
    }
    dtdz = (g0 - q * t2) / k3;
    return T2 + (g0 - q * t2) * (z - t1 - t2) / k3;
  };
  const double L = p.norm().length_m, dT = p.norm().delta_T_K;
  std::vector<double> u, uz, uzz;
  for (double z : grid.z) {
    double a, b;
    u.push_back((temp(z, a, b) - ta) / dT);
    uz.push_back(a * L / dT);
    uzz.push_back(b * L * L / dT);
  }
  // Top face: -k dT/dz = h (T - T_amb).
  double a, b;
  const double ttop = temp(t1 + t2 + t3, a, b);
  EXPECT_NEAR(-k3 * a, h * (ttop - ta), 1e-9 * h * (ttop - ta));
  const auto opt = torch::TensorOptions().dtype(torch::kFloat64);
  GridFields f;
  f.u = torch::tensor(u, opt).view({1, 1, 1, -1}).expand({1, 5, 5, grid.nz()}).contiguous();
  f.uz = torch::tensor(uz, opt).view({1, 1, 1, -1}).expand({1, 5, 5, grid.nz()}).contiguous();
  f.uzz = torch::tensor(uzz, opt).view({1, 1, 1, -1}).expand({1, 5, 5, grid.nz()}).contiguous();
  f.ux = f.uy = f.uxx = f.uyy = torch::zeros_like(f.u);
  const LossValue l = loss.evaluate_physical(f, batch);
  std::printf("C2 exact layered solution: T top %.3f K, loss %.2e\n", ttop, l.total.item<double>());
  EXPECT_EQ(l.terms.count("interface"), 0u);
  EXPECT_LT(l.total.item<double>(), 1e-20);
  // Resistance coordinate: xi spans [-1, 1] and d xi / d z^ is 20x larger in the k = 7.5 layers.
  const AxisMap zm = p.z_axis(grid);
  EXPECT_DOUBLE_EQ(zm.xi.front(), -1.0);
  EXPECT_NEAR(zm.xi.back(), 1.0, 1e-12);
  EXPECT_NEAR(zm.dxi.back() / zm.dxi.front(), 20.0, 1e-9);

  // The same with the source averaged over tiles (power_residual: cells) or projected on cosine
  // modes (modes): the active layer's nodes leave the pointwise PDE term and get one residual
  // per tile (per mode), also zero here. A uniform error in the curvature is mode 0 only, and
  // both forms weigh it the same against the pointwise nodes.
  std::map<std::string, double> doubled;
  for (const std::string form : {"cells", "modes"}) {
    std::string ct =
        c1_config("{rank: 16, branch: {widths: [32]}, trunk: {type: mlp, widths: [16]}}",
                  "{steps: 6, functions_per_step: 4, collocation: [7, 7, 5], validate_every: 0, "
                  "checkpoint_every: 0, power_residual: " +
                      form + "}");
    ct.replace(ct.find("c1_surface.yaml"), 15, "c2_volumetric.yaml");
    ct.replace(ct.find("target: top"), 11, "target: 'layer:active'");
    const Problem pc(d, parse(ct));
    ASSERT_EQ(volume_cells(pc).size(), 1u);
    EXPECT_EQ(volume_cells(pc)[0].layer, 1);
    const PhysicsLoss lc(pc, grid, to);
    ASSERT_EQ(lc.volume_layers(), 1);
    const PhysicsBatch bc = physics_batch(pc, grid, {v}, to);
    ASSERT_EQ(bc.source_cells.size(), 1u);
    int kact = -1;
    for (int k = 1; k + 1 < grid.nz(); ++k)
      if (Problem::node_layer(grid, k) == 1 && grid.cell_layer[k - 1] == 1) kact = k;
    ASSERT_GE(kact, 0);
    const int64_t nqx = lc.volume_xi(0, 0).numel(), nqy = lc.volume_xi(0, 1).numel(),
                  nk = lc.volume_z(0).numel();
    CellFields vcells;
    vcells.volume.resize(1);
    vcells.volume[0].uxx = torch::zeros({1, nqx, nqy, nk}, opt);
    vcells.volume[0].uyy = torch::zeros({1, nqx, nqy, nk}, opt);
    vcells.volume[0].uzz =
        torch::full({1, nqx, nqy, nk}, uzz[kact] / (zm.dxi[kact] * zm.dxi[kact]), opt);
    const LossValue lcv = lc.evaluate_physical(f, bc, vcells);
    EXPECT_LT(lcv.total.item<double>(), 1e-20) << form;
    vcells.volume[0].uzz = vcells.volume[0].uzz * 2;  // twice the curvature: the cell term sees it
    doubled[form] = lc.evaluate_physical(f, bc, vcells).terms.at("pde");
    EXPECT_GT(doubled[form], 1e-3) << form;
    EXPECT_THROW(lc.evaluate_physical(f, bc), std::logic_error);
  }
  EXPECT_NEAR(doubled["modes"], doubled["cells"], 1e-9 * doubled["cells"]);
}

// MIONet inputs: a power map and the bottom HTC. Per-sample Biot numbers reach the loss: the
// exact 1D solutions of two designs with different h in one batch have zero loss, and the
// model's branch product has the right shape.
TEST(PhysicsLoss, PerSampleHtcInputsOfAMionetBatch) {
  std::string text = c1_config();
  text.replace(text.find("network:"), 8,
               "  - {name: h_bottom, type: htc, target: bottom, range_W_per_m2K: [2.0e+5, "
               "8.0e+5]}\nnetwork:");
  const OperatorConfig cfg = parse(text);
  ASSERT_EQ(cfg.inputs.size(), 2u);
  const model::Design d = io::load_design(kExamples + "/c1_surface.yaml",
                                          {"top.power_map=" + kExamples + "/maps/map_20_20.txt"})
                              .design;
  SurrogateModel m(cfg, d, torch::kCPU);
  const Problem& p = m.problem();
  const model::Grid grid = p.grid(7, 7, 9);
  const TensorOptions to{torch::kCPU, torch::kFloat64};
  const PhysicsLoss loss(p, grid, to);
  std::vector<InputValues> vs(2);
  const double hs[2] = {2.5e5, 7.5e5};
  for (int b = 0; b < 2; ++b) {
    vs[b].maps = {d.faces[model::kTop].power, {}};
    vs[b].htc = {0, hs[b]};
  }
  const PhysicsBatch batch = physics_batch(p, grid, vs, to);
  ASSERT_EQ(batch.branch.size(), 2u);
  EXPECT_EQ(batch.branch[1].sizes(), (std::vector<int64_t>{2, 1}));
  EXPECT_NEAR(batch.branch[1][0][0].item<double>(), -5.0 / 6.0, 1e-12);  // (2.5e5 - 5e5) / 3e5
  const auto opt = torch::TensorOptions().dtype(torch::kFloat64);
  const torch::Tensor zhat = torch::tensor(grid.z, opt).view({1, 1, 1, -1}) / p.norm().length_m;
  // u = q^/Bi + z^ with q^ = 1 and Bi = h L / k.
  const torch::Tensor offset =
      torch::tensor({100.0 / (hs[0] * 1e-3), 100.0 / (hs[1] * 1e-3)}, opt).view({2, 1, 1, 1});
  GridFields f;
  f.u = (offset + zhat).expand({2, 7, 7, 9}).contiguous();
  f.uz = torch::ones_like(f.u);
  f.ux = f.uy = f.uxx = f.uyy = f.uzz = torch::zeros_like(f.u);
  EXPECT_LT(loss.evaluate_physical(f, batch).total.item<double>(), 1e-24);
  // Swapping the samples' HTCs breaks the convective residual.
  std::swap(vs[0].htc[1], vs[1].htc[1]);
  EXPECT_GT(loss.evaluate_physical(f, physics_batch(p, grid, vs, to)).terms.at("convective"), 0.1);
  // The separable model takes both inputs (MIONet product of the two branches).
  const GridFields g =
      m.net().fields(branch_inputs(p, vs, m.tensor_options()), loss.xi(0).to(torch::kFloat32),
                     loss.xi(1).to(torch::kFloat32), loss.xi(2).to(torch::kFloat32), false);
  EXPECT_EQ(g.u.sizes(), (std::vector<int64_t>{2, 7, 7, 9}));
  // A design outside the trained HTC range is refused.
  model::Design cold = d;
  cold.faces[model::kBottom].h = 1e6;
  EXPECT_NE(error_of([&] { p.inputs_of(cold); }).find("outside the model's training range"),
            std::string::npos);
}

// The modal core (stack trunk at every cosine mode's own wavenumber) on C2.
namespace {

std::string c2_modal_config(int modes, const std::string& training) {
  return "design: " + kExamples +
         "/c2_volumetric.yaml\n"
         "inputs:\n"
         "  - {name: p, type: power_map, target: 'layer:active', sensors: [20, 20],\n"
         "     sensor_layout: cells, generator: {type: mixture, tiles: [20, 20],\n"
         "     grf: {mean_W_per_mm2: 0.17, std_W_per_mm2: 0.1},\n"
         "     blocks: {density_W_per_mm2: [0.05, 1.0], background_W_per_mm2: [0.0, 0.2]}}}\n"
         "network: {core: modal, branch: {type: separable, init: cosine}, trunk: {type: cosine, "
         "modes: " +
         std::to_string(modes) +
         "}, trunk_z: {type: stack}, dtype: float64}\n"
         "training: " +
         training + "\n";
}

}  // namespace

TEST(SeparableDeepONet, ModalContractionMatchesEinsum) {
  torch::manual_seed(4);
  const auto opt = torch::TensorOptions().dtype(torch::kFloat64);
  const torch::Tensor g = torch::randn({2, 3, 4, 2}, opt), X = torch::randn({5, 3}, opt),
                      Y = torch::randn({6, 4}, opt), Z = torch::randn({7, 3 * 4 * 2}, opt);
  const torch::Tensor ref = torch::einsum("bpqk,ip,jq,lpqk->bijl", {g, X, Y, Z.view({7, 3, 4, 2})});
  EXPECT_LT(max_abs(modal_contract(g, X, Y, Z) - ref), 1e-12);
}

// Whatever its coefficients, a modal C2 model solves the heat equation exactly in the passive
// layers (each mode's depth functions solve that mode's equation there), and its temperature and
// heat flux k_z dT/dz are continuous across both interfaces.
TEST(StackTrunk, ModalModelSolvesThePassiveLayersWithContinuousFlux) {
  const OperatorConfig cfg = parse(c2_modal_config(8, "{steps: 1}"));
  const model::Design d = io::load_design(kExamples + "/c2_volumetric.yaml").design;
  SurrogateModel m(cfg, d, torch::kCPU);
  const Problem& p = m.problem();
  auto& net = dynamic_cast<SeparableDeepONet&>(m.net());
  {
    torch::NoGradGuard ng;  // D starts at zero (the zero field): give it random entries
    for (auto& prm : net.named_parameters())
      if (prm.key().find(".d") != std::string::npos) prm.value().normal_();
  }
  const auto opt = torch::TensorOptions().dtype(torch::kFloat64);
  const std::vector<torch::Tensor> in{torch::rand({2, 400}, opt)};
  const torch::Tensor xs = torch::linspace(-0.9, 0.9, 7, opt),
                      ys = torch::linspace(-0.8, 0.8, 5, opt);
  // Passive layers: nodes of a grid away from the interfaces and the active layer.
  const model::Grid grid = p.grid(7, 5, 56);
  const AxisMap zm = p.z_axis(grid);
  std::vector<double> zi, dz, kz;
  for (int k = 1; k + 1 < grid.nz(); ++k) {
    const int l = Problem::node_layer(grid, k);
    if (l == 1 || grid.cell_layer[k - 1] != grid.cell_layer[k]) continue;
    zi.push_back(zm.xi[k]);
    dz.push_back(zm.dxi[k]);
    kz.push_back(d.layers[l].k_z);
  }
  const torch::Tensor zt = torch::tensor(zi, opt);
  const GridFields f = net.fields(in, xs, ys, zt, true);
  const double cx = p.x_axis({0.0}).dxi[0], cy = p.y_axis({0.0}).dxi[0];
  const torch::Tensor cz = torch::tensor(dz, opt).view({1, 1, 1, -1}),
                      k = torch::tensor(kz, opt).view({1, 1, 1, -1});
  const torch::Tensor lat = k * (f.uxx * cx * cx + f.uyy * cy * cy), vert = k * f.uzz * cz * cz;
  const double scale = max_abs(vert);
  EXPECT_GT(scale, 1e-3);
  // (The cosine trunk's wavenumbers are float32 constants: 1e-7 relative.)
  EXPECT_LT(max_abs(lat + vert), 1e-6 * scale);
  // Across the interfaces: u and k_z u_z from both sides (d xi / d z^ is constant per layer).
  std::vector<double> layer_dxi(3, 0.0), zint{0.0};
  for (int k = 1; k + 1 < grid.nz(); ++k) layer_dxi[Problem::node_layer(grid, k)] = zm.dxi[k];
  for (const auto& l : d.layers) zint.push_back(zint.back() + l.thickness);
  for (int i = 1; i <= 2; ++i) {
    // xi is linear in z within a layer: step eps below and above the interface's xi.
    int kint = 0;
    while (std::abs(grid.z[kint] - zint[i]) > 1e-12) ++kint;
    const double eps = 1e-9;
    const torch::Tensor zz = torch::tensor({zm.xi[kint] - eps, zm.xi[kint] + eps}, opt);
    const GridFields s = net.fields(in, xs, ys, zz, true);
    const torch::Tensor lo = s.uz.select(3, 0) * layer_dxi[i - 1] * d.layers[i - 1].k_z,
                        hi = s.uz.select(3, 1) * layer_dxi[i] * d.layers[i].k_z;
    const double flux = max_abs(lo);
    EXPECT_GT(flux, 1e-6) << "interface " << i;
    EXPECT_LT(max_abs(lo - hi), 1e-6 * flux) << "interface " << i;
    EXPECT_LT(max_abs(s.u.select(3, 0) - s.u.select(3, 1)), 1e-6 * max_abs(s.u)) << i;
  }
}

// The stack trunk keeps its last point sets' values: a repeated call gives the same values as a
// fresh trunk, a caller's in-place change of what it got does not reach the next call, and other
// points (or a point set in between) get their own values.
TEST(StackTrunk, CachedValuesMatchAFreshTrunkAndSurviveInPlaceChanges) {
  const OperatorConfig cfg = parse(c2_modal_config(4, "{steps: 1}"));
  const model::Design d = io::load_design(kExamples + "/c2_volumetric.yaml").design;
  SurrogateModel m1(cfg, d, torch::kCPU), m2(cfg, d, torch::kCPU);
  Trunk& t1 = dynamic_cast<SeparableDeepONet&>(m1.net()).trunk(2);
  Trunk& t2 = dynamic_cast<SeparableDeepONet&>(m2.net()).trunk(2);
  const torch::Tensor za = torch::linspace(-1.0, 1.0, 9).view({-1, 1}),
                      zb = torch::linspace(-0.5, 0.7, 6).view({-1, 1});
  Taylor first = t1.taylor(za, true);
  const Taylor fresh_a = t2.taylor(za, true), fresh_b = t2.taylor(zb, false);
  first.v.mul_(0.0);  // the caller's own copy
  first.d2.add_(1.0);
  (void)t1.taylor(zb, true);  // another point set in between
  const Taylor again = t1.taylor(za, true);
  EXPECT_TRUE(torch::equal(again.v, fresh_a.v));
  EXPECT_TRUE(torch::equal(again.d1, fresh_a.d1));
  EXPECT_TRUE(torch::equal(again.d2, fresh_a.d2));
  EXPECT_GT(max_abs(again.v), 0.1);
  const Taylor b = t1.taylor(zb, false);
  EXPECT_FALSE(b.has_derivatives());
  EXPECT_TRUE(torch::equal(b.v, fresh_b.v));
  EXPECT_EQ(b.v.size(0), 6);
}

// A short run of the shipped C2 recipe's form (12 modes here) reaches well under 1 % against FV.
TEST(Trainer, ShortModalRunOnC2ReachesUnderOnePercent) {
  const OperatorConfig cfg = parse(c2_modal_config(
      12,
      "{steps: 1000, functions_per_step: 20, collocation: [13, 13, 12], power_residual: modes, "
      "quadrature_points: 2, learning_rate: 1.0e-2, decay_rate: 0.8, decay_steps: 250, "
      "validate_every: 1000, validation_functions: 4, validation_grid: [21, 21, 23], "
      "checkpoint_every: 0, log_every: 100}"));
  TrainOptions o;
  o.out_dir = temp_dir("short_modal_c2");
  const TrainReport r = train(cfg, o);
  ASSERT_EQ(r.validation.size(), 1u);
  std::printf("C2 modal, %ld steps (%.1f s): validation mean %.3f%%, max |dT| %.3f K\n", r.step,
              r.seconds, 100 * r.validation[0].mean_rel_l2, r.validation[0].max_abs_K);
  EXPECT_LT(r.validation[0].mean_rel_l2, 0.01);
  EXPECT_LT(r.validation[0].max_abs_K, 0.5);
  // Peak-only answers evaluate the powered layer's nodes only (the maximum principle in the
  // passive layers): the same peaks as the whole field's.
  const auto m = SurrogateModel::load(o.out_dir, torch::kCPU);
  const auto ins = draw_inputs(m->problem(), 77, 0, 6);
  const model::Grid g = m->problem().grid(21, 21, 40);
  const auto fields = m->predict(ins, g, 3);
  const auto peaks = m->predict_peaks(ins, g, 4);
  ASSERT_EQ(peaks.size(), ins.size());
  for (std::size_t i = 0; i < ins.size(); ++i)
    EXPECT_NEAR(peaks[i], *std::max_element(fields[i].values.begin(), fields[i].values.end()), 1e-4)
        << i;
}

// Two dies as inputs (C4): each die's source is averaged over tiles, the bottom die's face node
// included (without its source there, the pointwise residual at that node could never vanish:
// training stalled at 21 % before this was so).
TEST(PhysicsLoss, EverySourceLayerIsAveragedOverTilesFaceNodesIncluded) {
  const std::string path = kExamples + "/c4_stack.yaml";
  const OperatorConfig cfg =
      training_config(path, {"layer:die1", "layer:die2"},
                      {"training.collocation=[9, 9, 12]", "network.modal_core=trained"});
  const model::Design d = io::load_design(path).design;
  SurrogateModel m(cfg, d, torch::kCPU);
  EXPECT_EQ(cfg.network.combine, Combine::sum);
  const model::Grid grid = m.problem().collocation_grid();
  const PhysicsLoss loss(m.problem(), grid, m.tensor_options());
  ASSERT_EQ(loss.volume_layers(), 2);
  const torch::Tensor z0 = loss.volume_z(0).to(torch::kFloat64);
  EXPECT_NEAR(z0.min().item<double>(), -1.0, 1e-6);  // die1 starts at the bottom face
  const PhysicsBatch batch =
      physics_batch(m.problem(), grid, draw_inputs(m.problem(), 3, 0, 2), m.tensor_options());
  ASSERT_EQ(batch.source_cells.size(), 2u);
  // The two branches add: the zero map in one input leaves the other's field.
  auto& net = dynamic_cast<SeparableDeepONet&>(m.net());
  {
    torch::NoGradGuard ng;
    for (auto& prm : net.named_parameters())
      if (prm.key().find(".d") != std::string::npos) prm.value().normal_();
  }
  const auto opt = m.tensor_options().options();
  const torch::Tensor q = torch::rand({1, 400}, opt), zero = torch::zeros({1, 400}, opt);
  const torch::Tensor xs = torch::linspace(-1, 1, 5, opt);
  auto u = [&](const torch::Tensor& a, const torch::Tensor& b) {
    return net.fields({a, b}, xs, xs, xs, false).u;
  };
  EXPECT_LT(max_abs(u(q, q) - u(q, zero) - u(zero, q)), 1e-4 * max_abs(u(q, q)));
  EXPECT_GT(max_abs(u(q, zero)), 0);
}

namespace {

// A three-layer stack (a powered die on the bottom, a low-k bond, a spreader) with the given
// bottom and top faces, written to a file so that an operator configuration can name it.
std::string solved_stack_design(const std::string& name, const std::string& bottom,
                                const std::string& top) {
  const std::string path = temp_dir("solved_" + name) + ".yaml";
  std::ofstream(path) << "name: " << name
                      << "\n"
                         "die: {size_mm: [4, 3]}\n"
                         "layers:\n"
                         "  - {name: die, thickness_mm: 0.1, k_W_per_mK: 120, cells: 4,\n"
                         "     power_blocks: [{name: b, x_mm: 0, y_mm: 0, w_mm: 4, h_mm: 3, "
                         "power_W: 2}]}\n"
                         "  - {name: bond, thickness_mm: 0.02, k_W_per_mK: 1.5, cells: 2}\n"
                         "  - {name: spreader, thickness_mm: 0.5, k_W_per_mK: 390, cells: 8}\n"
                         "bottom: "
                      << bottom << "\ntop: " << top
                      << "\n"
                         "sides: {type: adiabatic}\n"
                         "grid: {nx: 41, ny: 31}\n";
  return path;
}

std::string solved_config(const std::string& design, const std::string& inputs, int modes) {
  return "design: " + design + "\ninputs:\n" + inputs +
         "network: {core: modal, modal_core: solved, branch: {type: separable, init: cosine}, "
         "combine: sum, trunk: {type: cosine, modes: " +
         std::to_string(modes) +
         "}, trunk_z: {type: stack}, dtype: float64}\ntraining: {steps: 1}\n";
}

// Replaces the first `from` in the file at `path` by `to`.
void replace_in_file(const std::string& path, const std::string& from, const std::string& to) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  const std::size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
  std::ofstream(path) << text;
}

const std::string kDieInput =
    "  - {name: p, type: power_map, target: 'layer:die', sensors: [20, 15], sensor_layout: "
    "cells,\n     generator: {type: mixture, tiles: [20, 15], grf: {mean_W_per_mm2: 0.2, "
    "std_W_per_mm2: 0.1}, blocks: {density_W_per_mm2: [0.1, 1.0]}}}\n";

}  // namespace

// Uniform power in the die: only the (0, 0) mode is driven, and the solved core must give the 1D
// closed form: T_top = T_amb + q / h, linear through the spreader and the bond, and a parabola
// through the die (adiabatic bottom), at any depth, not only at nodes.
TEST(SolvedCore, UniformPowerGivesTheClosedFormProfile) {
  const std::string path = solved_stack_design(
      "uniform", "{type: adiabatic}", "{type: convective, h_W_per_m2K: 5000, T_amb_K: 300}");
  const OperatorConfig cfg = parse(solved_config(path, kDieInput, 6));
  const model::Design d = io::load_design(path).design;
  SurrogateModel m(cfg, d, torch::kCPU);
  const double q = 2.0 / (4e-3 * 3e-3);  // W/m^2
  const model::Grid g = m.problem().grid(9, 7, 60);
  const field::Field3D t = m.predict(d, g);
  double worst = 0;
  for (std::size_t i = 0; i < g.x.size(); ++i)
    for (std::size_t j = 0; j < g.y.size(); ++j)
      for (std::size_t k = 0; k < g.z.size(); ++k) {
        const double z = g.z[k], z1 = 0.1e-3, z2 = 0.12e-3, z3 = 0.62e-3;
        const double top = 300 + q / 5000, bond_top = top + q * (z3 - z2) / 390,
                     die_top = bond_top + q * (z2 - z1) / 1.5;
        double exact;
        if (z >= z2)
          exact = top + q * (z3 - z) / 390;
        else if (z >= z1)
          exact = bond_top + q * (z2 - z) / 1.5;
        else
          exact = die_top + q / (120 * z1) * (z1 * z1 - z * z) / 2;
        worst = std::max(worst, std::abs(t.at(i, j, k) - exact) / (exact - 300));
      }
  std::printf("uniform power, solved core: max relative error of the rise %.2e\n", worst);
  EXPECT_LT(worst, 1e-6);  // float32 constants in the cosine trunk set the floor
}

// Block and GRF maps against FV, for every kind of face the solved core handles: convective
// on both sides, an adiabatic or a fixed bottom, and a bottom power face as a second input. The
// solved model is exact up to its modes and the sensor tiles, so its error against FV falls as
// the modes grow (at 81 x 61 lateral nodes FV's own error is below the 48-mode model's).
TEST(SolvedCore, AgreesWithFvForEveryFaceKindAndConvergesWithTheModes) {
  struct Case {
    std::string name, bottom, top, inputs;
    double mean_at_48;  // bound on the mean rel. L2 of the rise with 48 modes
  };
  const std::string conv_top = "{type: convective, h_W_per_m2K: 20000, T_amb_K: 310}";
  const std::vector<Case> cases{
      {"convective", "{type: convective, h_W_per_m2K: 800, T_amb_K: 310}", conv_top, kDieInput,
       2e-4},
      {"adiabatic", "{type: adiabatic}", conv_top, kDieInput, 2e-4},
      // The fixed bottom takes nearly all the heat: a 0.6 K rise that follows the tiles' edges.
      {"fixed", "{type: fixed, T_K: 310}", conv_top, kDieInput, 1e-2},
      {"power_face", "{type: power, power_W: 0.5}", conv_top,
       kDieInput +
           "  - {name: f, type: power_map, target: bottom, sensors: [20, 15], sensor_layout: "
           "cells,\n     generator: {type: mixture, tiles: [20, 15], grf: {mean_W_per_mm2: "
           "0.05, std_W_per_mm2: 0.03}, blocks: {density_W_per_mm2: [0.02, 0.2]}}}\n",
       2e-4}};
  for (const Case& c : cases) {
    const std::string path = solved_stack_design(c.name, c.bottom, c.top);
    const model::Design d = io::load_design(path).design;
    std::map<int, std::pair<double, double>> err;  // modes -> (mean rel. L2, max |dT|)
    for (const int modes : {24, 48}) {
      SurrogateModel m(parse(solved_config(path, c.inputs, modes)), d, torch::kCPU);
      const model::Grid g = m.problem().grid(81, 61, 0);
      const auto ins = draw_inputs(m.problem(), 5, 0, 6);
      const auto pred = m.predict(ins, g, 3);
      double mean = 0, worst = 0;
      for (std::size_t i = 0; i < ins.size(); ++i) {
        const field::Field3D ref = fv_reference(m.problem().design_with(ins[i]), g);
        const ErrorMetrics e = compare(pred[i].values, ref.values, 310);
        mean += e.rel_l2_rise / ins.size();
        worst = std::max(worst, e.max_abs_K);
      }
      err[modes] = {mean, worst};
      std::printf("solved core, %s, %d modes: mean rel. L2 of the rise %.4f %%, max |dT| %.4f K\n",
                  c.name.c_str(), modes, 100 * mean, worst);
    }
    EXPECT_LT(err[48].first, c.mean_at_48) << c.name;
    EXPECT_LT(err[48].first, 0.5 * err[24].first) << c.name;
    EXPECT_LT(err[48].second, 0.5 * err[24].second) << c.name;
  }
}

// Heat-transfer coefficients as inputs: the weights follow h per design (it enters each mode's
// 2x2 system), so the solved model stays exact across the whole range, at both ends of it and
// between; FV with the same h is the reference.
TEST(SolvedCore, HtcInputsAreExactAcrossTheirRange) {
  const std::string path =
      solved_stack_design("htc", "{type: convective, h_W_per_m2K: 500, T_amb_K: 300}",
                          "{type: convective, h_W_per_m2K: 5000, T_amb_K: 300}");
  const std::string inputs =
      kDieInput +
      "  - {name: ht, type: htc, target: top, range_W_per_m2K: [1000, 100000]}\n"
      "  - {name: hb, type: htc, target: bottom, range_W_per_m2K: [100, 2000]}\n";
  std::string text = solved_config(path, inputs, 48);
  text.replace(text.find("combine: sum"), 12, "combine: product");  // MIONet's; solved ignores it
  const OperatorConfig cfg = parse(text);
  const model::Design d = io::load_design(path).design;
  SurrogateModel m(cfg, d, torch::kCPU);
  const model::Grid g = m.problem().grid(81, 61, 0);
  std::vector<InputValues> ins = draw_inputs(m.problem(), 11, 0, 4);
  const double hs[4][2] = {{1000, 100}, {100000, 2000}, {3000, 1500}, {40000, 150}};
  for (std::size_t i = 0; i < ins.size(); ++i) {
    ins[i].htc[1] = hs[i][0];
    ins[i].htc[2] = hs[i][1];
  }
  const auto pred = m.predict(ins, g, 2);
  for (std::size_t i = 0; i < ins.size(); ++i) {
    const field::Field3D ref = fv_reference(m.problem().design_with(ins[i]), g);
    const ErrorMetrics e = compare(pred[i].values, ref.values, 300);
    const double rise = *std::max_element(ref.values.begin(), ref.values.end()) - 300;
    std::printf(
        "solved core, h top %g / bottom %g: rise %.2f K, rel. L2 %.4f %%, max |dT| %.4f K\n",
        hs[i][0], hs[i][1], rise, 100 * e.rel_l2_rise, e.max_abs_K);
    EXPECT_LT(e.rel_l2_rise, 5e-4) << i;
    EXPECT_LT(e.max_abs_K, 2e-3 * rise) << i;
  }
}

// The solved core is plain linear algebra (solved_operator.hpp): the LibTorch network (its
// branches' cosine transforms and its modal contraction, the path a GPU takes) and the plain
// operator give the same field, with an HTC input and with a power map in a layer and on a face;
// the peak-only answer is the full field's maximum to 1e-6 of the rise; and a saved model loads
// into the plain operator from its header alone, predicting what the LibTorch model predicts.
TEST(SolvedCore, PlainOperatorMatchesTheNetworkAndLoadsWithoutLibTorch) {
  const std::string path =
      solved_stack_design("plain", "{type: power, power_W: 0.5, h_W_per_m2K: 300, T_amb_K: 300}",
                          "{type: convective, h_W_per_m2K: 5000, T_amb_K: 300}");
  const std::string inputs =
      kDieInput +
      "  - {name: f, type: power_map, target: bottom, sensors: [16, 12],\n"
      "     generator: {type: mixture, tiles: [16, 12], grf: {mean_W_per_mm2: 0.05, "
      "std_W_per_mm2: 0.03}, blocks: {density_W_per_mm2: [0.02, 0.2]}}}\n"
      "  - {name: ht, type: htc, target: top, range_W_per_m2K: [1000, 100000]}\n";
  std::string text = solved_config(path, inputs, 32);
  text.replace(text.find("combine: sum"), 12, "combine: product");
  const OperatorConfig cfg = parse(text);
  ASSERT_TRUE(SolvedOperator::describes(cfg));
  const model::Design d = io::load_design(path).design;
  SurrogateModel m(cfg, d, torch::kCPU);
  const model::Grid g = m.problem().grid(37, 29, 0);
  std::vector<InputValues> ins = draw_inputs(m.problem(), 21, 0, 3);
  const double hs[3] = {1000, 100000, 7000};
  for (std::size_t i = 0; i < ins.size(); ++i) ins[i].htc[2] = hs[i];

  const std::vector<field::Field3D> plain = m.predict(ins, g, 2);  // CPU: the plain operator
  torch::Tensor net_u;
  {
    torch::NoGradGuard ng;
    const auto to = m.tensor_options();
    auto axis = [&](const AxisMap& a) { return torch::tensor(a.xi, torch::kFloat64); };
    net_u = m.net()
                .fields(branch_inputs(m.problem(), ins, to), axis(m.problem().x_axis(g.x)),
                        axis(m.problem().y_axis(g.y)), axis(m.problem().z_axis(g)), false)
                .u.contiguous();
  }
  const double dt = m.problem().norm().delta_T_K, ta = m.problem().norm().t_amb_K;
  const std::vector<double> peaks = m.predict_peaks(ins, g);
  ASSERT_EQ(plain.size(), ins.size());
  ASSERT_EQ(peaks.size(), ins.size());
  for (std::size_t b = 0; b < ins.size(); ++b) {
    const double* u = net_u[static_cast<int64_t>(b)].data_ptr<double>();
    double diff = 0, rise = 0, top = -1e300;
    for (std::size_t n = 0; n < g.size(); ++n) {
      diff = std::max(diff, std::abs(plain[b].values[n] - (u[n] * dt + ta)));
      rise = std::max(rise, plain[b].values[n] - 300);
      top = std::max(top, plain[b].values[n]);
    }
    std::printf("solved core %zu (h %g): rise %.3f K, plain vs network %.2e K\n", b, hs[b], rise,
                diff);
    EXPECT_GT(rise, 0.1) << b;
    // The network keeps its fixed bases (cosine transform, lateral rates) in float32 even in a
    // float64 model: a few 1e-8 of the rise apart.
    EXPECT_LT(diff, 1e-6 * rise) << b;
    EXPECT_NEAR(peaks[b], top, 1e-6 * rise) << b;  // the peak's last product is float32
  }

  // Saved, then loaded from the header alone.
  const std::string dir = temp_dir("solved_plain_model");
  std::filesystem::create_directories(dir);
  save_checkpoint(model_file(dir), m.header(0), m.net(), nullptr);
  const std::shared_ptr<const SolvedOperator> op = SolvedOperator::load(dir);
  const std::vector<field::Field3D> again = op->predict(ins, g);
  for (std::size_t b = 0; b < ins.size(); ++b) EXPECT_EQ(again[b].values, plain[b].values) << b;
  // Depth values are kept per point set: answers that alternate between the peak planes and the
  // whole grid (a placement search, then its FV checks) stay the same.
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(op->predict_peaks(ins, g), peaks) << round;
    EXPECT_EQ(op->predict(ins, g).at(1).values, plain[1].values) << round;
  }
  // Lateral values are kept per point set too: another grid in between changes neither grid's
  // answers (the other grid's equal those of a freshly loaded operator, which has kept nothing),
  // and a batch's peaks, answered per design in parallel, are each design's own answer.
  const model::Grid g2 = m.problem().grid(23, 41, 0);
  const std::vector<field::Field3D> other = op->predict(ins, g2);
  const std::vector<field::Field3D> fresh = SolvedOperator::load(dir)->predict(ins, g2);
  for (std::size_t b = 0; b < ins.size(); ++b) {
    EXPECT_EQ(other[b].values, fresh[b].values) << b;
    EXPECT_EQ(op->predict({ins[b]}, g).at(0).values, plain[b].values) << b;
    EXPECT_EQ(op->predict_peaks({ins[b]}, g).at(0), peaks[b]) << b;
  }
  EXPECT_NE(other[0].values.size(), plain[0].values.size());
  // A trained (not solved) configuration is refused by the plain operator, by name.
  OperatorConfig trained = cfg;
  trained.network.modal_core = ModalCore::trained;
  EXPECT_FALSE(SolvedOperator::describes(trained));
  try {
    SolvedOperator bad(d, trained);
    ADD_FAILURE() << "a trained core was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("not a solved modal operator"), std::string::npos)
        << e.what();
  }
}

// What the solved core cannot model is refused by name, before anything is built.
TEST(SolvedCore, RefusesWhatItCannotModel) {
  const std::string conv = "{type: convective, h_W_per_m2K: 2000, T_amb_K: 300}";
  // The error of building a solved model (one die input) of the design file at `path`.
  auto solved_model_error = [](const std::string& path) {
    return error_of([&] {
      SurrogateModel m(parse(solved_config(path, kDieInput, 4)), io::load_design(path).design,
                       torch::kCPU);
    });
  };
  auto build = [&](const std::string& bottom, const std::string& top, const std::string& inputs) {
    return error_of([&] {
      const std::string path = solved_stack_design("refuse", bottom, top);
      const OperatorConfig cfg = parse(solved_config(path, inputs, 4));
      SurrogateModel m(cfg, io::load_design(path).design, torch::kCPU);
    });
  };
  EXPECT_NE(build("{type: convective, h_W_per_m2K: 500, T_amb_K: 290}", conv, kDieInput)
                .find("ambient temperatures differ"),
            std::string::npos);
  EXPECT_NE(build("{type: fixed, T_K: 330}", conv, kDieInput).find("fixed at another temperature"),
            std::string::npos);
  EXPECT_NE(build("{type: power, power_W: 1}", conv, kDieInput)
                .find("bottom face carries power that is not an input"),
            std::string::npos);
  // (Two adiabatic faces: the design itself is refused before the core, "no heat path".)
  EXPECT_NE(build("{type: adiabatic}", "{type: adiabatic}", kDieInput).find("no heat path"),
            std::string::npos);
  {
    const std::string path = solved_stack_design("random_init", "{type: adiabatic}", conv);
    std::string text = solved_config(path, kDieInput, 4);
    text.replace(text.find("init: cosine"), 12, "init: random");
    EXPECT_NE(error_of([&] { parse(text); }).find("init: cosine"), std::string::npos);
  }
  // A layer whose power is not an input: the spreader carries some here.
  const std::string path = solved_stack_design("fixedpower", "{type: adiabatic}", conv);
  replace_in_file(path, "cells: 8}",
                  "cells: 8, power_blocks: [{name: s, x_mm: 0, y_mm: 0, w_mm: 1, h_mm: 1, "
                  "power_W: 0.1}]}");
  EXPECT_NE(solved_model_error(path).find("layer 'spreader' carries power that is not an input"),
            std::string::npos);
  // Cooled sides: the lateral cosine modes assume adiabatic ones.
  const std::string cooled = solved_stack_design("cooled_sides", "{type: adiabatic}", conv);
  replace_in_file(cooled, "sides: {type: adiabatic}",
                  "sides: {type: convective, h_W_per_m2K: 100, T_amb_K: 300}");
  EXPECT_NE(solved_model_error(cooled).find("side is not adiabatic"), std::string::npos);
}
