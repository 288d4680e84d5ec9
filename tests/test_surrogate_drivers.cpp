// The library drivers under heatop predict / eval (surrogate/drivers.hpp), with an untrained
// model: they are checked for what they compute and write, not for accuracy.

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "io/design_file.hpp"
#include "io/output_dir.hpp"
#include "surrogate/checkpoint.hpp"
#include "surrogate/config.hpp"
#include "surrogate/drivers.hpp"
#include "surrogate/predictors.hpp"
#include "surrogate/surrogate_model.hpp"

using namespace heatop;
using namespace heatop::surrogate;
namespace fs = std::filesystem;

namespace {

const std::string kExamples = HEATOP_EXAMPLES_DIR;
const std::string kData = HEATOP_TEST_DATA_DIR;

SurrogateModel tiny_model() {
  const OperatorConfig cfg = parse_operator_config(
      "design: " + kExamples +
          "/c1_surface.yaml\n"
          "inputs: [{name: p, type: power_map, target: top, sensors: [11, 11]}]\n"
          "network: {rank: 8, branch: {widths: [16]}, trunk: {type: mlp, widths: [8]}}\n"
          "training: {steps: 1, functions_per_step: 2, collocation: [5, 5, 3], validate_every: 0,\n"
          "           checkpoint_every: 0}\n",
      "tiny.yaml", ".");
  return SurrogateModel(cfg, io::load_design(kExamples + "/c1_surface.yaml").design, torch::kCPU);
}

std::string temp_dir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("heatop_drivers_" + name);
  fs::remove_all(p);
  return p.string();
}

}  // namespace

TEST(SurrogateDrivers, ParseGrid) {
  EXPECT_EQ(parse_grid("101x101x51"), (std::array<int, 3>{101, 101, 51}));
  for (const char* bad : {"101x101", "1x5x5", "axbxc", "5,5,5"})
    EXPECT_THROW(parse_grid(bad), std::invalid_argument) << bad;
}

TEST(SurrogateDrivers, CelsiusReferenceFiles) {
  EXPECT_EQ(celsius_reference_path("a/b/map_c1.txt"), "a/b/map_c1-celsius3d.csv");
  std::vector<io::Probe> pts;
  std::vector<double> t;
  EXPECT_FALSE(read_reference_csv(kData + "/celsius/no_such-celsius3d.csv", pts, t));
  ASSERT_TRUE(read_reference_csv(kData + "/celsius/map_c1-celsius3d.csv", pts, t));
  ASSERT_EQ(pts.size(), t.size());
  EXPECT_GT(t.size(), 10u);
  for (double v : t) EXPECT_GT(v, 250.0);                     // kelvin
  for (const auto& p : pts) EXPECT_LT(std::abs(p.x_m), 0.1);  // mm became m
}

TEST(SurrogateDrivers, PredictWithConfidenceAndRefinement) {
  SurrogateModel m = tiny_model();
  const io::LoadedDesign d =
      io::load_design(kExamples + "/c1_surface.yaml", {"grid.nx=13", "grid.ny=13", "grid.nz=7"});
  PredictRequest req;
  req.model_path = "tiny";
  const PredictResult p = predict_design(m, d, req);
  EXPECT_EQ(p.field.values.size(), p.grid.size());
  EXPECT_FALSE(p.refinement);
  EXPECT_EQ(p.summary.at("source"), "surrogate");
  EXPECT_EQ(p.summary.at("surrogate").at("model"), "tiny");
  EXPECT_FALSE(p.summary.contains("refinement"));
  EXPECT_EQ(p.prediction_confidence.error_field.size(), p.grid.size());
  EXPECT_DOUBLE_EQ(p.summary.at("confidence").at("est_max_error_K").get<double>(),
                   p.confidence().est_max_error_K);

  req.refine = true;
  req.tolerance_K = 0.01;
  const PredictResult r = predict_design(m, d, req);
  ASSERT_TRUE(r.refinement);
  EXPECT_TRUE(r.refinement->result.reached);
  EXPECT_LE(r.confidence().est_max_error_K, 0.01);
  EXPECT_EQ(r.summary.at("source"), "surrogate+fv-refinement");
  EXPECT_EQ(r.summary.at("refinement").at("reached"), true);
  EXPECT_TRUE(r.summary.contains("prediction_confidence"));
  {  // the parts of the refinement's time: one set-up, the solves, within the whole
    const auto& j = r.summary.at("refinement");
    const double whole = j.at("warm_seconds").get<double>();
    EXPECT_GT(j.at("setup_seconds").get<double>(), 0.0);
    EXPECT_LE(j.at("setup_seconds").get<double>() + j.at("warm_solve_seconds").get<double>(),
              whole);
  }
  EXPECT_EQ(refinement_line(r).rfind("refined: ", 0), 0u);
  EXPECT_EQ(refinement_line(p), "");

  const std::string dir = temp_dir("predict");
  io::OutputDir out(dir);
  write_predict_results(out, r, d, {"c1_surface.yaml", {}, "heatop predict ...", {}, {}});
  for (const char* f : {"error.png", "error.vti", "T.npy", "T.vti", "top.png", "summary.json"})
    EXPECT_TRUE(fs::exists(fs::path(dir) / f)) << f;
  const auto s = nlohmann::json::parse(std::ifstream(fs::path(dir) / "summary.json"));
  EXPECT_EQ(s.at("files").front(), "error.png");
  EXPECT_EQ(s.at("files").back(), "summary.json");
  EXPECT_DOUBLE_EQ(s.at("T_max_K").get<double>(), r.stats.t_max);
  EXPECT_NE(predict_line(r, "c1_surface", dir).find("(trusted)"), std::string::npos);
  fs::remove_all(dir);
}

TEST(SurrogateDrivers, EvaluateMapsComparesWithFvAndCelsius) {
  SurrogateModel m = tiny_model();
  EvalRequest req;
  req.model_path = "tiny";
  req.design = kExamples + "/c1_surface.yaml";
  req.maps = {kData + "/celsius/map_c1.txt", kExamples + "/maps/map_c1.txt"};
  req.grid = "11x11x6";
  int started = 0, rows = 0;
  EvalCallbacks cb;
  cb.on_start = [&] { ++started; };
  cb.on_map = [&](const MapEvaluation&) { ++rows; };
  const EvalResult r = evaluate_maps(m, req, cb);
  EXPECT_EQ(started, 1);
  EXPECT_EQ(rows, 2);
  ASSERT_EQ(r.maps.size(), 2u);
  ASSERT_TRUE(r.maps[0].celsius);  // map_c1-celsius3d.csv lies next to the first map
  EXPECT_GT(r.maps[0].celsius->points, 10u);
  EXPECT_FALSE(r.maps[1].celsius);
  EXPECT_DOUBLE_EQ(r.max_rel_l2_rise, std::max(r.maps[0].fv.rel_l2_rise, r.maps[1].fv.rel_l2_rise));
  EXPECT_EQ(r.summary.at("maps").size(), 2u);
  EXPECT_TRUE(r.summary.at("maps")[0].contains("celsius"));
  EXPECT_NE(eval_summary_line(r).find("over 2 maps (grid 11x11x6)"), std::string::npos);

  const std::string dir = temp_dir("eval");
  io::OutputDir out(dir);
  write_eval_results(out, r, "heatop eval ...");
  const auto j = nlohmann::json::parse(std::ifstream(fs::path(dir) / "eval.json"));
  EXPECT_EQ(j.at("command_line"), "heatop eval ...");
  EXPECT_TRUE(fs::exists(fs::path(dir) / "eval.csv"));
  fs::remove_all(dir);

  req.grid = "11x11";
  EXPECT_THROW(evaluate_maps(m, req), std::invalid_argument);
}

// LibTorch's first parallel operation in a thread sets the thread's OpenMP thread count to its
// own default; the drivers give heatop's count back (checked in fresh threads, where LibTorch
// has not run yet).
TEST(SurrogateDrivers, OpenMpThreadsSurviveLibTorch) {
  SurrogateModel m = tiny_model();
  const io::LoadedDesign d =
      io::load_design(kExamples + "/c1_surface.yaml", {"grid.nx=41", "grid.ny=41", "grid.nz=21"});
  int after_predict = 0;
  std::thread([&] {
    omp_set_num_threads(3);
    predict_design(m, d, {});
    after_predict = omp_get_max_threads();
  }).join();
  EXPECT_EQ(after_predict, 3);

  const std::string dir = temp_dir("omp_model");
  fs::create_directories(dir);
  save_checkpoint(dir + "/model.hnop", m.header(1), m.net(), nullptr);
  int after_load = 0, after_fields = 0, after_peaks = 0;
  std::thread([&] {
    omp_set_num_threads(3);
    const optimize::SurrogatePredictors p = load_hybrid_predictors(dir, d.design);
    after_load = omp_get_max_threads();
    const model::Grid g = model::build_grid(d.design);
    p.fields({d.design}, g);
    after_fields = omp_get_max_threads();
    p.peaks({d.design}, g);
    after_peaks = omp_get_max_threads();
  }).join();
  EXPECT_EQ(after_load, 3);
  EXPECT_EQ(after_fields, 3);
  EXPECT_EQ(after_peaks, 3);
  fs::remove_all(dir);
}
