// Operator configurations (surrogate/config.hpp) without LibTorch: the reader's range checks and
// the memory rule that refuses a network too large to train on this machine.

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "surrogate/config.hpp"

namespace {

using heatop::surrogate::parse_operator_config;

const std::string kHead =
    "design: chip.yaml\ninputs: [{name: p, type: power_map, target: top, sensors: [11, 11]}]\n";

std::string refusal(const std::string& text) {
  try {
    parse_operator_config(text, "op.yaml", ".");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "accepted";
}

}  // namespace

// The estimate counts LibTorch's layers: Linear(in, out) has in*out weights and out biases.
TEST(OperatorConfig, ParameterEstimateCountsTheLayers) {
  const auto c = parse_operator_config(
      kHead + "network: {rank: 8, branch: {widths: [16]}, trunk: {type: mlp, widths: [8]}}\n",
      "op.yaml", ".");
  // Branch 121 -> 16 -> 8; three axis trunks 1 -> 8 -> 8.
  const double branch = 121 * 16 + 16 + 16 * 8 + 8, trunk = 1 * 8 + 8 + 8 * 8 + 8;
  EXPECT_EQ(c.estimated_parameters(), branch + 3 * trunk);
  // A Chebyshev KAN layer has one weight per basis function (degree + 1) and no bias.
  const auto k = parse_operator_config(kHead +
                                           "network: {rank: 8, branch: {widths: [16]}, "
                                           "trunk: {type: chebykan, widths: [8], degree: 3}}\n",
                                       "op.yaml", ".");
  EXPECT_GT(k.estimated_parameters(), branch + 3 * (1 * 8 * 4 + 8 * 8 * 4));
  EXPECT_LE(k.estimated_parameters(), branch + 3 * (1 * 8 * 4 + 8 + 8 * 8 * 4 + 8));
}

// Eight power-map inputs of 1024 x 1024 sensors, each into a branch layer of 8192 (the largest
// values each key allows), in float64: 6.87e10 parameters, 2.2 TB to train. Refused by the
// reader, naming the file and the keys to reduce, before LibTorch could allocate anything.
TEST(OperatorConfig, NetworkTooLargeIsRefused) {
  std::string text = "design: chip.yaml\ninputs:\n";
  for (const char* t :
       {"top", "bottom", "layer:a", "layer:b", "layer:c", "layer:d", "layer:e", "layer:f"})
    text += std::string("  - {type: power_map, target: '") + t + "', sensors: [1024, 1024]}\n";
  text += "network: {dtype: float64, branch: {widths: [8192]}}\n";
  const std::string m = refusal(text);
  EXPECT_NE(m.find("op.yaml"), std::string::npos) << m;
  EXPECT_NE(m.find("network too large for this machine: about 6.87e+10 parameters"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("network.branch.widths"), std::string::npos) << m;
}

// Whole numbers out of int range are refused by key before the conversion.
TEST(OperatorConfig, NumbersOutOfIntRangeAreRefusedByKey) {
  const std::pair<std::string, std::string> cases[] = {
      {"network: {branch: {widths: [1.0e300]}}\n", "network.branch.widths: expected whole"},
      {"network: {trunk: {widths: [-3.0e9]}}\n", "network.trunk.widths: expected whole"},
      {"network: {tucker_ranks: [4, 4, 2.5]}\n", "network.tucker_ranks: expected whole"},
      {"training: {collocation: [9, 9, 1.0e12]}\n", "training.collocation: expected whole"},
      {"training: {seed: 1.0e30}\n", "training.seed: expected an integer"}};
  for (const auto& [extra, needle] : cases) {
    const std::string m = refusal(kHead + extra);
    EXPECT_NE(m.find("op.yaml"), std::string::npos) << m;
    EXPECT_NE(m.find(needle), std::string::npos) << extra << " -> " << m;
  }
  const std::string s =
      refusal("design: chip.yaml\ninputs: [{name: p, type: power_map, sensors: [11, 5.0e9]}]\n");
  EXPECT_NE(s.find("inputs[0].sensors: expected whole"), std::string::npos) << s;
}

// `heatop train --set`: overrides apply to the configuration's YAML before it is read, so they
// are checked like the file's own keys and are part of the effective configuration (what a
// --resume compares).
TEST(OperatorConfig, OverridesAreAppliedAndChecked) {
  const std::string text = kHead + "training: {steps: 100, seed: 1}\n";
  const auto c = parse_operator_config(text, "op.yaml", ".",
                                       {"training.steps=7", "training.collocation=[9, 9, 5]"});
  EXPECT_EQ(c.training.steps, 7);
  EXPECT_EQ(c.training.seed, 1u);
  EXPECT_EQ(c.training.collocation_x, 9);
  EXPECT_EQ(c.training.collocation_z, 5);
  EXPECT_NE(c.yaml.find("steps: 7"), std::string::npos) << c.yaml;
  EXPECT_EQ(parse_operator_config(text, "op.yaml", ".").training.steps, 100);
  auto refused = [&](const std::string& o) {
    try {
      parse_operator_config(text, "op.yaml", ".", {o});
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  const std::string unknown = refused("training.stepz=3");
  EXPECT_NE(unknown.find("op.yaml"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("unknown key 'stepz'"), std::string::npos) << unknown;
  EXPECT_NE(refused("training.steps=-2").find("training.steps"), std::string::npos);
  EXPECT_NE(refused("training.steps").find("expected key=value"), std::string::npos);
}
