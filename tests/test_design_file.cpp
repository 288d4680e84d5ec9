// Unit tests of the design-file parser (src/io/design_file.hpp): defaults, face types, unknown
// keys, --set overrides, path resolution, and the messages of malformed files. The keys are
// those of docs/design-file.md.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/design_file.hpp"
#include "model/grid.hpp"

namespace heatop::io {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// The smallest valid design: one layer, a convective bottom, everything else by default.
const std::string kMinimal =
    "die: {size_mm: [2, 1]}\n"
    "layers:\n"
    "  - {thickness_mm: 0.5, k_W_per_mK: 100}\n"
    "bottom: {type: convective, h_W_per_m2K: 1.0e4}\n";

// A fresh folder per test (removed afterwards); tests that change the current folder restore it.
class DesignFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           ("heatop_design_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    cwd_ = fs::current_path();
  }
  void TearDown() override {
    fs::current_path(cwd_);
    fs::remove_all(dir_);
  }

  std::string write(const std::string& rel, const std::string& text) const {
    const fs::path p = dir_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }

  fs::path dir_, cwd_;
};

// A 1 x 2 tile map whose total power is `watts` (2 tiles of watts / 2).
std::string tile_map(double watts) {
  return "POWER MAP\n1 2\n" + std::to_string(watts / 2) + " " + std::to_string(watts / 2) + "\n";
}

// The message of the std::exception that `f` throws; a test failure when it does not throw.
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  ADD_FAILURE() << "no exception thrown";
  return "";
}

LoadedDesign parse(const std::string& text, const std::vector<std::string>& overrides = {}) {
  return parse_design(text, "d.yaml", ".", overrides);
}

// ---------------------------------------------------------------------------------------------
// Defaults and faces

TEST(DesignDefaults, AppliedWhereKeysAreAbsent) {
  const LoadedDesign l = parse_design(kMinimal, "dir/chip_a.yaml", ".");
  const model::Design& d = l.design;
  EXPECT_EQ(d.name, "chip_a");  // name: the file name without extension
  EXPECT_DOUBLE_EQ(d.lx, 2e-3);
  EXPECT_DOUBLE_EQ(d.ly, 1e-3);
  ASSERT_EQ(d.layers.size(), 1u);
  EXPECT_EQ(d.layers[0].name, "layer0");
  EXPECT_DOUBLE_EQ(d.layers[0].thickness, 0.5e-3);
  EXPECT_DOUBLE_EQ(d.layers[0].k_xy, 100);
  EXPECT_DOUBLE_EQ(d.layers[0].k_z, 100);
  EXPECT_EQ(d.layers[0].cells, 0);  // from grid.nz
  EXPECT_FALSE(d.layers[0].has_footprint());
  EXPECT_TRUE(d.layers[0].power.empty());
  // Faces: adiabatic unless given; T_amb_K defaults to 298.15 K.
  for (int f : {model::kWest, model::kEast, model::kSouth, model::kNorth, model::kTop})
    EXPECT_EQ(d.faces[f].type, model::BcType::kAdiabatic) << f;
  EXPECT_EQ(d.faces[model::kBottom].type, model::BcType::kConvective);
  EXPECT_DOUBLE_EQ(d.faces[model::kBottom].h, 1e4);
  EXPECT_DOUBLE_EQ(d.faces[model::kBottom].t_amb, 298.15);
  // Grid: 21 x 21 lateral nodes, nz from the layers, no explicit nodes.
  EXPECT_EQ(d.grid.nx, 21);
  EXPECT_EQ(d.grid.ny, 21);
  EXPECT_EQ(d.grid.nz, 0);
  EXPECT_TRUE(d.grid.x_nodes.empty());
  EXPECT_TRUE(d.grid.z_nodes.empty());
  // Solver: tol 1e-8, 500 iterations, GMRES restart 30, one smoothing sweep.
  EXPECT_DOUBLE_EQ(l.solver.options.rel_tol, 1e-8);
  EXPECT_EQ(l.solver.options.max_iterations, 500);
  EXPECT_EQ(l.solver.options.restart, 30);
  EXPECT_EQ(l.solver.multigrid.pre_smooth, 1);
  EXPECT_EQ(l.solver.multigrid.post_smooth, 1);
  EXPECT_EQ(l.path, "dir/chip_a.yaml");
}

TEST(DesignDefaults, GivenValuesReplaceThem) {
  const LoadedDesign l = parse(
      "name: named\ndie: {size_mm: [1, 1]}\n"
      "layers: [{name: die, thickness_mm: 0.5, kxy_W_per_mK: 20, kz_W_per_mK: 5, cells: 4}]\n"
      "bottom: {type: convective, h_W_per_m2K: 1.0e4, T_amb_K: 310}\n"
      "grid: {nx: 11, ny: 7}\n"
      "solver: {tol: 1.0e-6, max_iterations: 50, restart: 10, smoothing_sweeps: 2}\n");
  EXPECT_EQ(l.design.name, "named");
  EXPECT_EQ(l.design.layers[0].name, "die");
  EXPECT_DOUBLE_EQ(l.design.layers[0].k_xy, 20);
  EXPECT_DOUBLE_EQ(l.design.layers[0].k_z, 5);
  EXPECT_EQ(l.design.layers[0].cells, 4);
  EXPECT_DOUBLE_EQ(l.design.faces[model::kBottom].t_amb, 310);
  EXPECT_EQ(l.design.grid.nx, 11);
  EXPECT_EQ(l.design.grid.ny, 7);
  EXPECT_DOUBLE_EQ(l.solver.options.rel_tol, 1e-6);
  EXPECT_EQ(l.solver.options.max_iterations, 50);
  EXPECT_EQ(l.solver.options.restart, 10);
  EXPECT_EQ(l.solver.multigrid.pre_smooth, 2);
  EXPECT_EQ(l.solver.multigrid.post_smooth, 2);
}

TEST(DesignFaces, EveryType) {
  const LoadedDesign l = parse(
      "die: {size_mm: [1, 1]}\nlayers: [{thickness_mm: 0.5, k_W_per_mK: 100}]\n"
      "top: {type: power, power_W: 2.5}\n"
      "bottom: {type: convective, h_W_per_m2K: 5.0e5, T_amb_K: 300}\n"
      "west: {type: fixed, T_K: 320}\n"
      "east: {type: adiabatic}\n"
      "sides: {type: convective, h_W_per_m2K: 10, T_amb_K: 290}\n");
  const auto& f = l.design.faces;
  EXPECT_EQ(f[model::kTop].type, model::BcType::kPower);
  EXPECT_DOUBLE_EQ(f[model::kTop].power.total(), 2.5);
  EXPECT_DOUBLE_EQ(f[model::kTop].h, 0);  // power without h: not convective
  EXPECT_EQ(f[model::kBottom].type, model::BcType::kConvective);
  EXPECT_DOUBLE_EQ(f[model::kBottom].h, 5e5);
  EXPECT_DOUBLE_EQ(f[model::kBottom].t_amb, 300);
  EXPECT_EQ(f[model::kWest].type, model::BcType::kFixed);
  EXPECT_DOUBLE_EQ(f[model::kWest].t_fixed, 320);
  EXPECT_EQ(f[model::kEast].type, model::BcType::kAdiabatic);
  // south and north are not given: they take `sides`.
  for (int s : {model::kSouth, model::kNorth}) {
    EXPECT_EQ(f[s].type, model::BcType::kConvective) << s;
    EXPECT_DOUBLE_EQ(f[s].h, 10) << s;
    EXPECT_DOUBLE_EQ(f[s].t_amb, 290) << s;
  }
}

TEST(DesignFaces, PowerFaceForms) {
  // Blocks, and a power face that is also convective (h > 0).
  const LoadedDesign l = parse(
      "die: {size_mm: [1, 1]}\nlayers: [{thickness_mm: 0.5, k_W_per_mK: 100}]\n"
      "top: {type: power, h_W_per_m2K: 100, T_amb_K: 305, power_blocks: ["
      "{name: A, x_mm: 0, y_mm: 0, w_mm: 0.5, h_mm: 0.5, power_W: 1},"
      "{name: B, x_mm: 0.5, y_mm: 0.5, w_mm: 0.25, h_mm: 0.5, power_W: 0.5}]}\n"
      "bottom: {type: convective, h_W_per_m2K: 1.0e4}\n");
  const model::Boundary& top = l.design.faces[model::kTop];
  EXPECT_EQ(top.type, model::BcType::kPower);
  EXPECT_DOUBLE_EQ(top.h, 100);
  EXPECT_DOUBLE_EQ(top.t_amb, 305);
  ASSERT_EQ(top.power.blocks.size(), 2u);
  EXPECT_EQ(top.power.blocks[1].name, "B");
  EXPECT_DOUBLE_EQ(top.power.blocks[1].x, 0.5e-3);
  EXPECT_DOUBLE_EQ(top.power.blocks[1].w, 0.25e-3);
  EXPECT_DOUBLE_EQ(top.power.total(), 1.5);
}

TEST(DesignFaces, TypeErrorsNameTheKeyAndTheValidTypes) {
  const std::string base = "die: {size_mm: [1, 1]}\nlayers: [{thickness_mm: 0.5, k_W_per_mK: 1}]\n";
  EXPECT_THAT(error_of([&] { parse(base + "top: {type: radiative}\n"); }),
              AllOf(HasSubstr("d.yaml:3"), HasSubstr("top.type"), HasSubstr("'radiative'"),
                    HasSubstr("adiabatic, convective, fixed, power")));
  EXPECT_THAT(error_of([&] { parse(base + "bottom: {h_W_per_m2K: 5}\n"); }),
              AllOf(HasSubstr("bottom.type"), HasSubstr("is required")));
  // A key of another type.
  EXPECT_THAT(
      error_of([&] { parse(base + "top: {type: convective, h_W_per_m2K: 5, T_K: 300}\n"); }),
      AllOf(HasSubstr("top.T_K"), HasSubstr("applies only to type fixed")));
  EXPECT_THAT(error_of([&] { parse(base + "bottom: {type: fixed, T_K: 300, power_W: 1}\n"); }),
              AllOf(HasSubstr("bottom.power_W"), HasSubstr("applies only to type power")));
  // Required values of a type.
  EXPECT_THAT(error_of([&] { parse(base + "top: {type: convective}\n"); }),
              AllOf(HasSubstr("top.h_W_per_m2K"), HasSubstr("is required")));
  EXPECT_THAT(error_of([&] { parse(base + "west: {type: fixed}\n"); }),
              AllOf(HasSubstr("west.T_K"), HasSubstr("is required")));
  EXPECT_THAT(error_of([&] {
                parse(base + "top: {type: power}\nbottom: {type: convective, h_W_per_m2K: 1}\n");
              }),
              AllOf(HasSubstr("top"), HasSubstr("power_map, power_blocks or power_W")));
}

// ---------------------------------------------------------------------------------------------
// Unknown keys

TEST(DesignKeys, UnknownKeyListsTheValidOnes) {
  EXPECT_THAT(error_of([&] { parse(kMinimal + "grdi: {nx: 5}\n"); }),
              AllOf(HasSubstr("d.yaml:5"), HasSubstr("unknown key 'grdi'"),
                    HasSubstr("valid keys: heatop, name, die, layers, top, bottom, sides, west, "
                              "east, south, north, grid, solver")));
  EXPECT_THAT(error_of([&] { parse(kMinimal + "grid: {nx: 5, nq: 3}\n"); }),
              AllOf(HasSubstr("grid.nq"), HasSubstr("unknown key 'nq'"),
                    HasSubstr("valid keys in grid: nx, ny, nz, x_nodes_mm, y_nodes_mm, "
                              "z_nodes_mm")));
  EXPECT_THAT(
      error_of([&] {
        parse(
            "die: {size_mm: [1, 1]}\nlayers:\n  - {thickness_mm: 0.5, k_W_per_mK: 1, thick: 2}\n");
      }),
      AllOf(HasSubstr("d.yaml:3"), HasSubstr("layers[0].thick"),
            HasSubstr("valid keys in layers[0]: name, thickness_mm, k_W_per_mK, kxy_W_per_mK, "
                      "kz_W_per_mK, c_J_per_m3K, cells, footprint_mm, power_map, power_blocks, "
                      "power_W")));
  EXPECT_THAT(error_of([&] { parse(kMinimal + "top: {type: adiabatic, h: 5}\n"); }),
              AllOf(HasSubstr("top.h"), HasSubstr("valid keys in top: type, h_W_per_m2K, "
                                                  "T_amb_K, T_K, power_map, power_blocks, "
                                                  "power_W")));
  EXPECT_THAT(error_of([&] { parse(kMinimal + "solver: {tolerance: 1.0e-6}\n"); }),
              AllOf(HasSubstr("solver.tolerance"),
                    HasSubstr("valid keys in solver: backend, method, preconditioner, tol, "
                              "max_iterations, restart, smoothing_sweeps, petsc_options")));
  EXPECT_THAT(error_of([&] { parse(kMinimal + "die2: 1\n", {}); }), HasSubstr("'die2'"));
}

TEST(DesignKeys, RequiredKeysAndEmptyFiles) {
  EXPECT_THAT(error_of([&] { parse("layers: [{thickness_mm: 1, k_W_per_mK: 1}]\n"); }),
              AllOf(HasSubstr("die"), HasSubstr("is required")));
  EXPECT_THAT(error_of([&] { parse("die: {size_mm: [1, 1]}\n"); }), HasSubstr("layers"));
  EXPECT_THAT(error_of([&] { parse("die: {size_mm: [1, 1]}\nlayers: [{k_W_per_mK: 1}]\n"); }),
              AllOf(HasSubstr("layers[0].thickness_mm"), HasSubstr("is required")));
  EXPECT_THAT(error_of([&] { parse("die: {size_mm: [1, 1]}\nlayers: [{thickness_mm: 1}]\n"); }),
              AllOf(HasSubstr("layers[0]"), HasSubstr("k_W_per_mK")));
  EXPECT_THAT(error_of([&] { parse(""); }), HasSubstr("d.yaml: the design file is empty"));
  EXPECT_THAT(error_of([&] { parse("- a\n- b\n"); }), HasSubstr("a mapping of keys"));
  // Every face adiabatic: no steady state, refused.
  EXPECT_THAT(error_of([&] {
                parse("die: {size_mm: [1, 1]}\nlayers: [{thickness_mm: 1, k_W_per_mK: 1}]\n");
              }),
              AllOf(HasSubstr("d.yaml"), HasSubstr("no heat path")));
}

// ---------------------------------------------------------------------------------------------
// Overrides

TEST(DesignOverrides, ScalarsAndListEntries) {
  const std::string two_layers =
      "die: {size_mm: [1, 1]}\n"
      "layers:\n"
      "  - {name: a, thickness_mm: 0.5, k_W_per_mK: 100}\n"
      "  - {name: b, thickness_mm: 0.1, k_W_per_mK: 5}\n"
      "bottom: {type: convective, h_W_per_m2K: 1.0e4}\n"
      "grid: {nx: 11}\n";
  const LoadedDesign l = parse(two_layers, {"grid.nx=41", "layers.0.k_W_per_mK=150",
                                            "layers.1.name=tim", "top.type=fixed", "top.T_K=330"});
  EXPECT_EQ(l.design.grid.nx, 41);
  EXPECT_DOUBLE_EQ(l.design.layers[0].k_xy, 150);
  EXPECT_DOUBLE_EQ(l.design.layers[0].k_z, 150);
  EXPECT_DOUBLE_EQ(l.design.layers[1].k_z, 5);  // the other entry is untouched
  EXPECT_EQ(l.design.layers[1].name, "tim");
  EXPECT_EQ(l.design.faces[model::kTop].type, model::BcType::kFixed);  // a new mapping
  EXPECT_DOUBLE_EQ(l.design.faces[model::kTop].t_fixed, 330);
  // The effective tree holds the overridden values.
  EXPECT_EQ(l.effective["grid"]["nx"].as<int>(), 41);
  EXPECT_EQ(l.effective["layers"][0]["k_W_per_mK"].as<double>(), 150);
  // key=null removes the key: grid.nx goes back to its default.
  EXPECT_EQ(parse(two_layers, {"grid.nx=null"}).design.grid.nx, 21);
  // A YAML value: a whole list.
  const LoadedDesign s = parse(kMinimal, {"die.size_mm=[3, 4]"});
  EXPECT_DOUBLE_EQ(s.design.lx, 3e-3);
  EXPECT_DOUBLE_EQ(s.design.ly, 4e-3);
  // Overridden values are validated like the file's.
  EXPECT_THAT(error_of([&] { parse(two_layers, {"layers.0.k_W_per_mK=abc"}); }),
              AllOf(HasSubstr("layers[0].k_W_per_mK"), HasSubstr("expected a number")));
}

TEST(DesignOverrides, ApplyOverrideOnATree) {
  YAML::Node root = YAML::Load("a: {b: 1, c: [10, 20, 30]}\n");
  apply_override(root, "a.b=2");
  apply_override(root, "a.c.2=33");
  apply_override(root, "a.d.e=x");  // creates the missing mappings
  EXPECT_EQ(root["a"]["b"].as<int>(), 2);
  EXPECT_EQ(root["a"]["c"][2].as<int>(), 33);
  EXPECT_EQ(root["a"]["c"].size(), 3u);
  EXPECT_EQ(root["a"]["d"]["e"].as<std::string>(), "x");
  apply_override(root, "a.b=null");
  EXPECT_FALSE(root["a"]["b"]);
}

TEST(DesignOverrides, BadSyntaxMessages) {
  YAML::Node root = YAML::Load("grid: {nx: 5}\nlayers: [{k: 1}]\n");
  EXPECT_THAT(
      error_of([&] { apply_override(root, "grid.nx"); }),
      AllOf(HasSubstr("--set 'grid.nx'"), HasSubstr("expected key=value, e.g. grid.nx=41")));
  EXPECT_THAT(error_of([&] { apply_override(root, "=41"); }),
              HasSubstr("expected key=value, e.g. grid.nx=41"));
  EXPECT_THAT(error_of([&] { apply_override(root, "grid..nx=3"); }),
              AllOf(HasSubstr("--set 'grid..nx=3'"), HasSubstr("empty key segment")));
  EXPECT_THAT(error_of([&] { apply_override(root, "layers.3.k=2"); }),
              AllOf(HasSubstr("--set layers.3.k"), HasSubstr("'3' is not an index of a list")));
  EXPECT_THAT(error_of([&] { apply_override(root, "layers.k.x=2"); }),
              AllOf(HasSubstr("--set layers.k.x"), HasSubstr("'k' must be a list index")));
  EXPECT_THAT(error_of([&] { apply_override(root, "layers.1=2"); }),
              AllOf(HasSubstr("--set layers.1"), HasSubstr("index out of range")));
  // The value is YAML: malformed YAML names the key.
  EXPECT_THAT(error_of([&] { apply_override(root, "grid.nx=[1, 2"); }),
              AllOf(HasSubstr("--set grid.nx"), HasSubstr("malformed YAML")));
  // The tree is unchanged by the failed assignments.
  EXPECT_EQ(root["grid"]["nx"].as<int>(), 5);
  // Through parse_design as well (the CLI's --set).
  EXPECT_THAT(error_of([&] { parse(kMinimal, {"grid.nx"}); }),
              HasSubstr("expected key=value, e.g. grid.nx=41"));
}

// ---------------------------------------------------------------------------------------------
// File paths

TEST_F(DesignFileTest, RelativePowerMapsResolveAgainstTheDesignFolder) {
  write("proj/maps/top.txt", tile_map(2.0));
  write("proj/maps/layer.txt", tile_map(1.0));
  const std::string design = write(
      "proj/chip.yaml",
      "die: {size_mm: [1, 1]}\n"
      "layers: [{thickness_mm: 0.5, k_W_per_mK: 100, power_map: {file: maps/layer.txt, scale: "
      "3}}]\n"
      "top: {type: power, power_map: maps/top.txt}\n"
      "bottom: {type: convective, h_W_per_m2K: 1.0e4}\n");
  fs::current_path(dir_);  // a folder without maps/: only the design folder has them
  const LoadedDesign l = load_design(design);
  const auto& top = l.design.faces[model::kTop].power;
  EXPECT_TRUE(fs::equivalent(top.source, dir_ / "proj/maps/top.txt")) << top.source;
  EXPECT_EQ(top.rows, 1);
  EXPECT_EQ(top.cols, 2);
  EXPECT_NEAR(top.total(), 2.0, 1e-9);
  const auto& layer = l.design.layers[0].power;
  EXPECT_TRUE(fs::equivalent(layer.source, dir_ / "proj/maps/layer.txt")) << layer.source;
  EXPECT_NEAR(layer.total(), 3.0, 1e-9);  // 1 W x scale 3
  // A missing map names the key and the resolved path.
  const std::string bad = write("proj/bad.yaml",
                                "die: {size_mm: [1, 1]}\n"
                                "layers: [{thickness_mm: 0.5, k_W_per_mK: 100}]\n"
                                "top: {type: power, power_map: maps/none.txt}\n"
                                "bottom: {type: convective, h_W_per_m2K: 1.0e4}\n");
  EXPECT_THAT(error_of([&] { load_design(bad); }),
              AllOf(HasSubstr("bad.yaml:3"), HasSubstr("top.power_map"), HasSubstr("none.txt")));
}

TEST_F(DesignFileTest, OverridePathsPreferTheCurrentFolder) {
  write("proj/maps/m.txt", tile_map(1.0));    // next to the design
  write("run/maps/m.txt", tile_map(4.0));     // in the folder the command runs in
  write("run/maps/only.txt", tile_map(7.0));  // only there
  const std::string design = write("proj/chip.yaml",
                                   "die: {size_mm: [1, 1]}\n"
                                   "layers: [{thickness_mm: 0.5, k_W_per_mK: 100}]\n"
                                   "top: {type: power, power_map: maps/m.txt}\n"
                                   "bottom: {type: convective, h_W_per_m2K: 1.0e4}\n");
  // From the run folder: the file's own path resolves against the design folder, but an
  // override's path against the current folder, where the file exists there.
  fs::current_path(dir_ / "run");
  EXPECT_NEAR(load_design(design).design.faces[model::kTop].power.total(), 1.0, 1e-9);
  const LoadedDesign cwd = load_design(design, {"top.power_map=maps/m.txt"});
  EXPECT_NEAR(cwd.design.faces[model::kTop].power.total(), 4.0, 1e-9);
  EXPECT_TRUE(fs::equivalent(cwd.design.faces[model::kTop].power.source, dir_ / "run/maps/m.txt"));
  // From a folder without maps/: the override falls back to the design folder.
  fs::current_path(dir_);
  const LoadedDesign fallback = load_design(design, {"top.power_map=maps/m.txt"});
  EXPECT_NEAR(fallback.design.faces[model::kTop].power.total(), 1.0, 1e-9);
  EXPECT_TRUE(
      fs::equivalent(fallback.design.faces[model::kTop].power.source, dir_ / "proj/maps/m.txt"));
  // Neither has it: the error names the key.
  EXPECT_THAT(error_of([&] { load_design(design, {"top.power_map=maps/only.txt"}); }),
              AllOf(HasSubstr("top.power_map"), HasSubstr("only.txt")));
  // A layer's map (list entry): the override key "layers.0.power_map" is matched although
  // messages name the entry "layers[0].power_map".
  fs::current_path(dir_ / "run");
  const LoadedDesign layer = load_design(design, {"layers.0.power_map=maps/only.txt"});
  EXPECT_NEAR(layer.design.layers[0].power.total(), 7.0, 1e-9);
  EXPECT_TRUE(fs::equivalent(layer.design.layers[0].power.source, dir_ / "run/maps/only.txt"));
  fs::current_path(dir_);
}

// ---------------------------------------------------------------------------------------------
// Malformed files and wrong types

TEST_F(DesignFileTest, MalformedYamlGivesFileAndLine) {
  const std::string p = write("broken.yaml",
                              "die: {size_mm: [1, 1]}\n"
                              "layers:\n"
                              "  - {thickness_mm: 0.5, k_W_per_mK: [100}\n"
                              "bottom: {type: convective, h_W_per_m2K: 1.0e4}\n");
  try {
    load_design(p);
    ADD_FAILURE() << "no exception thrown";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr(p + ":3:"), HasSubstr("malformed YAML")));
  }
  EXPECT_THAT(error_of([&] { load_design((dir_ / "absent.yaml").string()); }),
              AllOf(HasSubstr("design file not found"), HasSubstr("absent.yaml")));
  // parse_design names the given name.
  EXPECT_THAT(error_of([&] { parse("a: [1,\nb: 2\n"); }),
              AllOf(HasSubstr("d.yaml:"), HasSubstr("malformed YAML")));
}

TEST(DesignTypes, WrongTypesNameTheKey) {
  const std::string die = "die: {size_mm: [1, 1]}\n";
  const std::string layer = "layers: [{thickness_mm: 0.5, k_W_per_mK: 100}]\n";
  const std::string bottom = "bottom: {type: convective, h_W_per_m2K: 1.0e4}\n";
  EXPECT_THAT(error_of([&] { parse(die + layer + bottom + "grid: {nx: many}\n"); }),
              AllOf(HasSubstr("d.yaml:4"), HasSubstr("grid.nx: expected a number, got 'many'")));
  EXPECT_THAT(error_of([&] { parse(die + layer + bottom + "grid: {nx: 2.5}\n"); }),
              AllOf(HasSubstr("grid.nx"), HasSubstr("expected an integer")));
  EXPECT_THAT(error_of([&] { parse(die + layer + bottom + "grid: {ny: [1, 2]}\n"); }),
              AllOf(HasSubstr("grid.ny"), HasSubstr("expected a number")));
  EXPECT_THAT(
      error_of([&] { parse(die + "layers: [{thickness_mm: [0.5], k_W_per_mK: 100}]\n" + bottom); }),
      AllOf(HasSubstr("layers[0].thickness_mm"), HasSubstr("expected a number")));
  EXPECT_THAT(
      error_of([&] { parse(die + "layers: [{thickness_mm: 0.5, k_W_per_mK: .nan}]\n" + bottom); }),
      AllOf(HasSubstr("layers[0].k_W_per_mK"), HasSubstr("must be a finite number")));
  EXPECT_THAT(error_of([&] { parse("name: [a, b]\n" + die + layer + bottom); }),
              AllOf(HasSubstr("d.yaml:1"), HasSubstr("name: expected a string")));
  EXPECT_THAT(error_of([&] { parse("die: {size_mm: 3}\n" + layer + bottom); }),
              AllOf(HasSubstr("die.size_mm"), HasSubstr("expected [width_mm, length_mm]")));
  EXPECT_THAT(error_of([&] { parse("die: {size_mm: [1, wide]}\n" + layer + bottom); }),
              AllOf(HasSubstr("die.size_mm"), HasSubstr("expected a number, got 'wide'")));
  EXPECT_THAT(error_of([&] { parse(die + "layers: {thickness_mm: 0.5}\n" + bottom); }),
              AllOf(HasSubstr("layers"), HasSubstr("expected a list of layers")));
  EXPECT_THAT(error_of([&] { parse(die + layer + "bottom: convective\n"); }),
              AllOf(HasSubstr("bottom"), HasSubstr("expected a mapping of keys")));
  EXPECT_THAT(error_of([&] {
                parse(die + layer + bottom + "top: {type: power, power_blocks: {x_mm: 1}}\n");
              }),
              AllOf(HasSubstr("top.power_blocks"), HasSubstr("expected a list of blocks")));
  EXPECT_THAT(error_of([&] { parse(die + layer + bottom + "grid: {z_nodes_mm: 0.5}\n"); }),
              AllOf(HasSubstr("grid.z_nodes_mm"), HasSubstr("expected a list of coordinates")));
  EXPECT_THAT(error_of([&] { parse(die + layer + bottom + "solver: {method: lu}\n"); }),
              AllOf(HasSubstr("solver.method"), HasSubstr("'lu'")));
  // A number where a string is expected is fine (YAML scalars): name: 42.
  EXPECT_EQ(parse("name: 42\n" + die + layer + bottom).design.name, "42");
}

// ---------------------------------------------------------------------------------------------
// Writing designs back

TEST(DesignText, CommentedTextAndYamlRoundTrip) {
  const LoadedDesign l = parse(kMinimal, {"grid.nx=31"});
  const std::string text =
      commented_design_text(l.effective, "imported from X\nsecond line", {"w1", "w2"}, {"n1"});
  EXPECT_EQ(text.rfind("# imported from X\n# second line\n# warning: w1\n# warning: w2\n"
                       "# note: n1\n",
                       0),
            0u)
      << text;
  // The text is a design file again, with the overrides applied.
  const LoadedDesign again = parse(text);
  EXPECT_EQ(again.design.grid.nx, 31);
  EXPECT_DOUBLE_EQ(again.design.lx, l.design.lx);
  EXPECT_EQ(again.design.faces[model::kBottom].type, model::BcType::kConvective);
  const std::string y = to_yaml(l.effective);
  EXPECT_EQ(y.back(), '\n');
  EXPECT_THAT(y, Not(HasSubstr("# ")));
  EXPECT_EQ(parse(y).design.grid.nx, 31);
  EXPECT_EQ(to_yaml(parse(y).effective), y);
}

}  // namespace
}  // namespace heatop::io

namespace heatop::io {
namespace {

// Found by fuzz_design_yaml and fuzz_problem_yaml: a list or mapping used as a key ("? {a: 1}",
// "{[6, 3]: x}") escaped as yaml-cpp's "bad conversion" without the file's name.
TEST(DesignKeys, NonScalarKeysNameTheFileAndLine) {
  const std::string e = error_of([] {
    parse(
        "die: {size_mm: [2, 1]}\nlayers:\n  - {thickness_mm: 0.5, [6, 3]: 1}\n"
        "bottom: {type: convective, h_W_per_m2K: 1.0e4}\n");
  });
  EXPECT_THAT(e, AllOf(HasSubstr("d.yaml:3: layers[0]: a key must be a plain name, found a list"),
                       HasSubstr("valid keys")));
  EXPECT_THAT(error_of([] { parse("? {a: 1}\n: 2\n"); }),
              HasSubstr("d.yaml:1: (top level): a key must be a plain name, found a mapping"));
}

// The memory rule (model::check_grid_memory) applies in build_grid before anything of the
// grid's size exists, and counts the nodes the grid would have however they are given.
TEST(DesignGrid, NodeCountWithoutBuildingAndHugeGridsRefused) {
  for (const std::string extra : {"grid: {nx: 7, ny: 5, nz: 9}\n", "grid: {nx: 7, ny: 5}\n",
                                  "grid: {nx: 3, ny: 4, z_nodes_mm: [0, 0.1, 0.5]}\n"}) {
    const model::Design d = parse(kMinimal + extra).design;
    EXPECT_EQ(model::grid_node_count(d), model::build_grid(d).size()) << extra;
  }
  const model::Design wide = parse(kMinimal + "grid: {nx: 200000, ny: 200000, nz: 9}\n").design;
  EXPECT_THAT(error_of([&] { model::build_grid(wide); }),
              AllOf(HasSubstr("grid too large for this machine: 3.6e+11 nodes need about"),
                    HasSubstr("Reduce grid.nx, grid.ny or grid.nz")));
  // Layer cells (no grid.nz) were not counted by the check that preceded this one.
  const model::Design deep =
      parse(kMinimal + "grid: {nx: 101, ny: 101}\n", {"layers.0.cells=2000000000"}).design;
  EXPECT_EQ(model::grid_node_count(deep), std::size_t{101} * 101 * 2000000001);
  EXPECT_THAT(error_of([&] { model::build_grid(deep); }),
              HasSubstr("grid too large for this machine"));
}

// Long explicit node lists are read (the list reader copied every element into a new node,
// quadratic in yaml-cpp's node memory: 2000 widths in an operator configuration took 8 s, an
// imported 10^5-column HotSpot grid did not finish), and a bad element is named by its index.
TEST(DesignGrid, LongNodeListsAreRead) {
  const int n = 20001;
  std::string nodes;
  for (int i = 0; i < n; ++i) nodes += (i ? ", " : "") + std::to_string(2.0 * i / (n - 1));
  const model::Design d =
      parse(kMinimal + "grid: {ny: 3, nz: 2, x_nodes_mm: [" + nodes + "]}\n").design;
  ASSERT_EQ(d.grid.x_nodes.size(), static_cast<std::size_t>(n));
  EXPECT_EQ(d.grid.nx, n);
  EXPECT_DOUBLE_EQ(d.grid.x_nodes.back(), 2e-3);
  EXPECT_THAT(error_of([&] { parse(kMinimal + "grid: {x_nodes_mm: [0, 1, x, 2]}\n"); }),
              HasSubstr("d.yaml:5: grid.x_nodes_mm[2]: expected a number, got 'x'"));
}

}  // namespace
}  // namespace heatop::io
