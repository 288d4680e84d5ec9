// The response operator (surrogate/response_operator.hpp) on a die on a wider spreader (layers
// with footprints), against independent FV solves of the same designs. No LibTorch.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/design_file.hpp"
#include "surrogate/auto_config.hpp"
#include "surrogate/checkpoint_file.hpp"
#include "surrogate/evaluation.hpp"
#include "surrogate/response_operator.hpp"
#include "surrogate/solved_predictors.hpp"

using namespace heatop;
using namespace heatop::surrogate;
namespace fs = std::filesystem;

namespace {

const std::string kDesign = std::string(HEATOP_EXAMPLES_DIR) + "/die_on_spreader.yaml";

// The die-on-spreader example on a coarse grid, as a design file the configuration names.
std::string small_design(const fs::path& dir) {
  fs::create_directories(dir);
  std::ifstream in(kDesign);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto at = text.find("  nx: 41\n  ny: 41");
  text.replace(at, std::string("  nx: 41\n  ny: 41").size(), "  nx: 17\n  ny: 17");
  const fs::path p = dir / "die_small.yaml";
  std::ofstream(p) << text;
  return p.string();
}

OperatorConfig config(const std::string& design, int sensors, int modes) {
  return training_config(
      design, {"layer:die"},
      {"inputs.0.sensors=[" + std::to_string(sensors) + ", " + std::to_string(sensors) + "]",
       "network.trunk.modes=" + std::to_string(modes)});
}

// A map of s x s tiles over the die's footprint with random watts (0 .. 0.2 W per tile).
model::PowerMap random_tiles(int s, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 0.2);
  model::PowerMap m;
  m.rows = m.cols = s;
  for (int i = 0; i < s * s; ++i) m.tile_watts.push_back(u(rng));
  return m;
}

fs::path temp_dir(const std::string& name) {
  const fs::path d =
      fs::temp_directory_path() / ("heatop_response_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  return d;
}

}  // namespace

TEST(ResponseOperator, MapsInTheModesSpanMatchFvOnTheFootprintStack) {
  const fs::path dir = temp_dir("exact");
  const OperatorConfig cfg = config(small_design(dir), 8, 8);
  const model::Design base = io::load_design(cfg.design).design;
  ASSERT_TRUE(base.layers[2].has_footprint());
  const ResponseOperator op(base, cfg);
  EXPECT_EQ(op.responses(), 64);
  const Problem& p = op.problem();
  for (unsigned seed : {1u, 2u}) {
    InputValues v{{random_tiles(8, seed)}, {0.0}};
    const field::Field3D pred = op.predict({v}, op.grid()).front();
    const field::Field3D ref = fv_reference(p.design_with(v), op.grid());
    const ErrorMetrics e = compare(pred.values, ref.values, p.norm().t_amb_K);
    double rise = 0;
    for (double t : ref.values)
      if (!std::isnan(t)) rise = std::max(rise, t - p.norm().t_amb_K);
    ASSERT_GT(rise, 1.0);
    // Exact up to the solver tolerance and the float storage of the responses.
    EXPECT_LT(e.max_abs_K, 1e-5 * rise) << "seed " << seed;
    EXPECT_LT(e.rel_l2_rise, 1e-6);
    // The peak over the material nodes is the field's.
    double ref_peak = -1e300;
    for (double t : ref.values)
      if (!std::isnan(t)) ref_peak = std::max(ref_peak, t);
    EXPECT_NEAR(op.predict_peaks({v}, op.grid()).front(), ref_peak, 1e-5 * rise);
  }
  fs::remove_all(dir);
}

TEST(ResponseOperator, TwoInputsSuperposeEachExactInItsModesSpan) {
  // The die's map and one in the spreader below it (no footprint: its map spans the whole
  // 10 mm), each with its own modes; every mode's response is that input's alone.
  const fs::path dir = temp_dir("two");
  const OperatorConfig cfg = training_config(
      small_design(dir), {"layer:die", "layer:spreader"},
      {"inputs.0.sensors=[6, 6]", "inputs.1.sensors=[5, 5]", "network.trunk.modes=6"});
  const ResponseOperator op(io::load_design(cfg.design).design, cfg);
  EXPECT_EQ(op.responses(), 36 + 25);
  const Problem& p = op.problem();
  InputValues v{{random_tiles(6, 7), random_tiles(5, 8)}, {0.0, 0.0}};
  const field::Field3D pred = op.predict({v}, op.grid()).front();
  const field::Field3D ref = fv_reference(p.design_with(v), op.grid());
  const ErrorMetrics e = compare(pred.values, ref.values, p.norm().t_amb_K);
  EXPECT_LT(e.rel_l2_rise, 1e-6);
  // Either map alone is the other's zero.
  InputValues only_die = v;
  only_die.maps[1] = model::PowerMap{};
  const ErrorMetrics d =
      compare(op.predict({only_die}, op.grid()).front().values,
              fv_reference(p.design_with(only_die), op.grid()).values, p.norm().t_amb_K);
  EXPECT_LT(d.rel_l2_rise, 1e-6);
  fs::remove_all(dir);
}

TEST(ResponseOperator, FewerModesTruncateTheMapAndMoreConverge) {
  const fs::path dir = temp_dir("modes");
  const std::string design = small_design(dir);
  InputValues v{{random_tiles(8, 3)}, {0.0}};
  std::vector<double> err;
  for (int modes : {2, 4, 8}) {
    const OperatorConfig cfg = config(design, 8, modes);
    const ResponseOperator op(io::load_design(cfg.design).design, cfg);
    EXPECT_EQ(op.responses(), modes * modes);
    const Problem& p = op.problem();
    const ErrorMetrics e =
        compare(op.predict({v}, op.grid()).front().values,
                fv_reference(p.design_with(v), op.grid()).values, p.norm().t_amb_K);
    err.push_back(e.rel_l2_rise);
  }
  EXPECT_GT(err[0], err[1]);
  EXPECT_GT(err[1], 100 * err[2]);  // 8 modes of 8 sensors: the whole map
  EXPECT_GT(err[0], 1e-4);          // 2 modes cannot be exact for a random map
  fs::remove_all(dir);
}

TEST(ResponseOperator, SavedModelPredictsTheSameAndRefusesOtherGridsAndBadPayloads) {
  const fs::path dir = temp_dir("saved");
  const OperatorConfig cfg = config(small_design(dir), 6, 6);
  const ResponseBuild b = build_response_model(cfg, (dir / "model").string(), "test", false);
  EXPECT_EQ(b.solves, 37);
  EXPECT_EQ(b.validation_designs, cfg.training.validation_functions);
  EXPECT_LT(b.mean_rel_l2, 0.1);  // 20 x 20-tile maps read by 6 x 6 sensors
  EXPECT_TRUE(fs::exists(dir / "model" / "config.yaml"));
  EXPECT_TRUE(is_solved_model((dir / "model").string()));  // predicts without LibTorch
  const auto m = ResponseModel::load((dir / "model").string());
  const ResponseOperator fresh(io::load_design(cfg.design).design, cfg);
  InputValues v{{random_tiles(6, 4)}, {0.0}};
  const auto a = m->predict({v}, fresh.grid()).front().values;
  const auto c = fresh.predict({v}, fresh.grid()).front().values;
  ASSERT_EQ(a.size(), c.size());
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], c[i]) << i;
  // Another grid: refused, naming both.
  model::Design finer = io::load_design(cfg.design, {"grid.nx=21"}).design;
  try {
    m->predict({v}, model::build_grid(finer));
    FAIL() << "another grid was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("17x17x13"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("21x17x13"), std::string::npos) << e.what();
  }
  // A second build into the same folder, and --resume: refused.
  EXPECT_THROW(build_response_model(cfg, (dir / "model").string(), "test", false),
               std::invalid_argument);
  EXPECT_THROW(build_response_model(cfg, (dir / "other").string(), "test", true),
               std::invalid_argument);
  EXPECT_FALSE(fs::exists(dir / "other" / "model.hnop"));
  // A flipped byte in the payload: the checksum of the mapped file refuses it.
  const std::string file = model_file((dir / "model").string());
  const std::string good = read_checkpoint_parts(file).payload;
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-100, std::ios::end);
    f.put('\x5a');
  }
  try {
    ResponseModel::load((dir / "model").string());
    FAIL() << "a corrupted file was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("checksum mismatch"), std::string::npos) << e.what();
  }
  // A payload cut short (rewritten with a valid checksum): refused, naming the file.
  CheckpointParts parts;
  parts.header = read_checkpoint_parts(file, false).header;
  parts.payload = good;
  parts.payload.resize(parts.payload.size() - 4);
  std::ofstream(file, std::ios::binary) << checkpoint_bytes(parts.header, parts.payload);
  try {
    ResponseModel::load((dir / "model").string());
    FAIL() << "a short payload was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("model.hnop: response payload"), std::string::npos)
        << e.what();
  }
  fs::remove_all(dir);
}

TEST(ResponseOperator, FootprintDesignsGetTheResponseCoreAndSolvedCoresRefuseThem) {
  const OperatorConfig cfg = training_config(kDesign, {"layer:die"}, {});
  EXPECT_EQ(cfg.network.modal_core, ModalCore::response);
  // The die's own 4 x 4 mm footprint: square sensors, as many modes as sensors.
  EXPECT_EQ(cfg.inputs[0].sensors_x, 20);
  EXPECT_EQ(cfg.inputs[0].sensors_y, 20);
  EXPECT_EQ(cfg.network.trunk.modes, 20);
  // The generators draw over the footprint: 0.09375 W/mm^2 (1.5 W over 16 mm^2).
  EXPECT_NEAR(cfg.inputs[0].generator.grf.mean_W_per_mm2, 1.5 / 16, 1e-3);
  OperatorConfig solved = cfg;
  solved.network.modal_core = ModalCore::solved;
  try {
    Problem p(io::load_design(kDesign).design, solved);
    FAIL() << "a solved core accepted layers with footprints";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("modal_core: response"), std::string::npos) << e.what();
  }
  // A grid where 20 x 20 stored responses would exceed 256 MiB (121 x 121 x 13 nodes): fewer
  // modes, and the sensors then read the map finely (64 along the wider side) for the modes'
  // truncated series.
  {
    const fs::path dir = temp_dir("budget");
    fs::create_directories(dir);
    std::ifstream in(kDesign);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string grid = "  nx: 41\n  ny: 41";
    text.replace(text.find(grid), grid.size(), "  nx: 121\n  ny: 121");
    std::ofstream(dir / "fine.yaml") << text;
    const OperatorConfig fine = training_config((dir / "fine.yaml").string(), {"layer:die"}, {});
    EXPECT_EQ(fine.network.trunk.modes, 18);  // 18^2 x 190,333 floats fit, 19^2 do not
    EXPECT_EQ(fine.inputs[0].sensors_x, 64);
    EXPECT_EQ(fine.inputs[0].generator.tiles_x, 20);
    fs::remove_all(dir);
  }
  // A design of another footprint is not of the model's family.
  const Problem p(io::load_design(kDesign).design, cfg);
  const model::Design other =
      io::load_design(kDesign, {"layers.2.footprint_mm=[2.0, 3.0, 4.0, 4.0]"}).design;
  try {
    p.inputs_of(other);
    FAIL() << "another footprint was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("footprint[0]"), std::string::npos) << e.what();
  }
}
