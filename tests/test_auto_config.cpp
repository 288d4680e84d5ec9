// Operator configurations built from a design (surrogate/auto_config.hpp), without LibTorch: what
// the stack and the design's power give, and the refusals.

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>

#include "io/design_file.hpp"
#include "surrogate/auto_config.hpp"

using namespace heatop;
using namespace heatop::surrogate;

namespace {

const std::string kExamples = HEATOP_EXAMPLES_DIR;

std::string refusal(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "accepted";
}

}  // namespace

TEST(AutoConfig, C2LayerInputGivesTheModalFormScaledToTheDesign) {
  const std::string path = kExamples + "/c2_volumetric.yaml";
  const OperatorConfig c = training_config(path, {"layer:active"}, {});
  ASSERT_EQ(c.inputs.size(), 1u);
  const InputConfig& in = c.inputs[0];
  EXPECT_EQ(in.target, "layer:active");
  EXPECT_EQ(in.sensor_layout, SensorLayout::cells);
  // The design's own 20 x 20 tile map.
  EXPECT_EQ(in.sensors_x, 20);
  EXPECT_EQ(in.generator.tiles_x, 20);
  // 0.1716 W over 1 mm^2: the GRF mean, blocks and noise up to 6x.
  const double watts = io::load_design(path).design.layers[1].power.total();
  EXPECT_NEAR(in.generator.grf.mean_W_per_mm2, watts, 1e-3 * watts);
  EXPECT_NEAR(in.generator.blocks.density_max_W_per_mm2, 6 * watts, 1e-2 * watts);
  EXPECT_EQ(c.network.core, Core::modal);
  EXPECT_EQ(c.network.trunk.type, TrunkType::cosine);
  EXPECT_EQ(c.network.trunk_z.type, TrunkType::stack);
  EXPECT_EQ(c.network.branch_init, BranchInit::cosine);
  // C2 meets what the solved core needs: 48 x 48 modes x 3 functions; the parameters are the
  // separable branch's A (48 x 20), B (48 x 20) and D (48 x 48 x 3), nothing for the trunks.
  EXPECT_EQ(c.network.modal_core, ModalCore::solved);
  EXPECT_EQ(c.network.tucker_ranks[0], 48);
  EXPECT_EQ(c.network.tucker_ranks[2], 3);
  EXPECT_EQ(c.estimated_parameters(), 48 * 20 * 2 + 48 * 48 * 3);
  // 1D resistance from the active layer to both convective faces (h = 3750): about 25 K.
  EXPECT_NEAR(c.delta_T_K, 25, 1);
  // Overrides apply to the built configuration.
  const OperatorConfig o = training_config(path, {"layer:active"}, {"training.steps=7"});
  EXPECT_EQ(o.training.steps, 7);
  EXPECT_NE(o.yaml.find("core: modal"), std::string::npos);
}

TEST(AutoConfig, C1TopFaceInput) {
  const OperatorConfig c = training_config(kExamples + "/c1_surface.yaml", {"top"}, {});
  EXPECT_EQ(c.inputs[0].target, "top");
  EXPECT_EQ(c.network.core, Core::modal);
  EXPECT_GT(c.delta_T_K, 1);
}

// A design that no modal operator can model is refused with the reason: here the fixed power of
// a layer that is not an input (C4 with only die 1 varying; the operator has no offset term).
TEST(AutoConfig, RefusesADesignTheModalCoreCannotModel) {
  const std::string e =
      refusal([] { training_config(kExamples + "/c4_stack.yaml", {"layer:die1"}, {}); });
  EXPECT_NE(e.find("cannot build an operator for this design"), std::string::npos) << e;
  EXPECT_NE(e.find("layer 'die2' carries power that is not an input"), std::string::npos) << e;
  // Both dies as inputs: solved, 48 modes; --set can still ask for the trained core.
  const OperatorConfig s =
      training_config(kExamples + "/c4_stack.yaml", {"layer:die1", "layer:die2"}, {});
  EXPECT_EQ(s.network.modal_core, ModalCore::solved);
  EXPECT_EQ(s.network.trunk.modes, 48);
  const OperatorConfig t =
      training_config(kExamples + "/c4_stack.yaml", {"layer:die1", "layer:die2"},
                      {"network.modal_core=trained", "network.trunk.modes=30"});
  EXPECT_EQ(t.network.modal_core, ModalCore::trained);
}

// Two powered dies: one input each, their responses added.
TEST(AutoConfig, TwoDiesOfC4AreSummedInputs) {
  const OperatorConfig c =
      training_config(kExamples + "/c4_stack.yaml", {"layer:die1", "layer:die2"}, {});
  ASSERT_EQ(c.inputs.size(), 2u);
  EXPECT_EQ(c.network.combine, Combine::sum);
  // 20 W and 30 W over 100 mm^2.
  EXPECT_NEAR(c.inputs[0].generator.grf.mean_W_per_mm2, 0.2, 1e-6);
  EXPECT_NEAR(c.inputs[1].generator.grf.mean_W_per_mm2, 0.3, 1e-6);
  EXPECT_NEAR(c.inputs[0].generator.grf.length_scale_mm, 1.5, 1e-9);
}

TEST(AutoConfig, RefusalsNameTheProblem) {
  const std::string c2 = kExamples + "/c2_volumetric.yaml";
  EXPECT_NE(refusal([&] { training_config(c2, {}, {}); }).find("is a design file"),
            std::string::npos);
  EXPECT_NE(refusal([&] {
              training_config(c2, {"layer:nope"}, {});
            }).find("no layer 'nope'; its layers are substrate, active, top"),
            std::string::npos);
  EXPECT_NE(refusal([&] { training_config(c2, {"top"}, {}); }).find("not 'power'"),
            std::string::npos);
  EXPECT_NE(refusal([&] { training_config(c2, {"side"}, {}); }).find("use top, bottom or layer"),
            std::string::npos);
  EXPECT_NE(refusal([&] {
              training_config(c2, {"layer:active", "layer:active"}, {});
            }).find("given twice"),
            std::string::npos);
  EXPECT_NE(
      refusal([&] { training_config(c2, {"layer:active"}, {"training.stepz=3"}); }).find("stepz"),
      std::string::npos);
}

TEST(AutoConfig, UniformLayerPowerGetsTheDefaultSensors) {
  // `power_W` spreads the power uniformly (one tile): the sensors are the default 20 along the
  // wider side, not 1 x 1 (which the configuration's checks would refuse).
  const std::string dir = testing::TempDir();
  const std::string path = dir + "/uniform_power.yaml";
  std::ofstream(path) << "name: uniform\ndie: {size_mm: [2, 1]}\n"
                         "layers:\n"
                         "  - {name: base, thickness_mm: 0.5, k_W_per_mK: 150}\n"
                         "  - {name: act, thickness_mm: 0.05, k_W_per_mK: 100, power_W: 0.5}\n"
                         "bottom: {type: convective, h_W_per_m2K: 5000, T_amb_K: 300}\n";
  const OperatorConfig c = training_config(path, {"layer:act"}, {});
  EXPECT_EQ(c.inputs[0].sensors_x, 20);
  EXPECT_EQ(c.inputs[0].sensors_y, 10);
  EXPECT_EQ(c.inputs[0].generator.tiles_x, 20);
}
