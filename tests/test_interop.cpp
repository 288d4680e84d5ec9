// HotSpot and 3D-ICE interoperability: readers, importers, exports, and cross-validation against
// the exact two-source slab, HotSpot examples 2-4 and the 3D-ICE solid regression stacks (data
// and provenance in tests/data/README-interop.md; tolerances explained in docs/interop.md).

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "fv/system.hpp"
#include "interop/export_formats.hpp"
#include "interop/hotspot.hpp"
#include "interop/ice3d.hpp"
#include "interop/importer.hpp"
#include "io/design_file.hpp"
#include "model/grid.hpp"
#include "solve/solver.hpp"

namespace fs = std::filesystem;
using namespace heatop;

namespace {

const std::string kData = std::string(HEATOP_TEST_DATA) + "/interop";
const std::string kHs = kData + "/hotspot";
const std::string kIce = kData + "/3d-ice";

struct Solved {
  io::LoadedDesign loaded;
  model::Grid grid;
  std::vector<double> t;
};

// Solves a loaded design like `heatop solve` does (void nodes become NaN).
Solved solve_design(io::LoadedDesign loaded, double tol = 1e-8) {
  Solved s{std::move(loaded), {}, {}};
  s.grid = model::build_grid(s.loaded.design);
  fv::System sys = fv::discretize(s.loaded.design, s.grid);
  s.t.assign(s.grid.size(), 300.0);
  s.loaded.solver.options.rel_tol = tol;
  const auto rep = solve::solve_system(*sys.op, sys.rhs.data(), s.t.data(), s.loaded.solver);
  EXPECT_TRUE(rep.converged) << rep.summary();
  if (sys.op->has_footprints())
    for (int i = 0; i < s.grid.nx(); ++i)
      for (int j = 0; j < s.grid.ny(); ++j)
        for (int k = 0; k < s.grid.nz(); ++k)
          if (!sys.op->node_active(i, j, k)) s.t[s.grid.index(i, j, k)] = NAN;
  return s;
}

std::string tmp_dir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("heatop_interop_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

std::string write_file(const std::string& dir, const std::string& name, const std::string& text) {
  const std::string p = dir + "/" + name;
  std::ofstream(p) << text;
  return p;
}

std::string read_text(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::map<std::string, double> read_steady(const std::string& p) {
  std::map<std::string, double> m;
  std::ifstream in(p);
  std::string name;
  double v;
  while (in >> name >> v) m[name] = v;
  return m;
}

// The message of the exception `f` throws ("" when it does not throw).
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

io::LoadedDesign load_hotspot(const interop::hotspot::ImportOptions& o) {
  const auto r = interop::hotspot::import_design(o);
  return io::parse_design(interop::hotspot::design_text(r, "test"), "imported.yaml", ".");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// HotSpot readers

TEST(HotSpotReaders, FloorplanEv6) {
  const auto f = interop::hotspot::read_flp(kHs + "/example2/ev6.flp");
  EXPECT_EQ(f.blocks.size(), 30u);
  EXPECT_NEAR(f.width(), 0.016, 1e-9);
  EXPECT_NEAR(f.height(), 0.016, 1e-9);
  ASSERT_NE(f.find("IntReg_0"), nullptr);
  EXPECT_NEAR(f.find("IntReg_0")->w, 0.0009, 1e-12);
}

TEST(HotSpotReaders, FloorplanDetailedColumns) {
  const auto f = interop::hotspot::read_flp(kHs + "/example4/ev6_3D_TIM_TSV.flp");
  const auto* tsv = f.find("TIM_tsv_0");
  ASSERT_NE(tsv, nullptr);
  EXPECT_TRUE(tsv->has_properties);
  EXPECT_NEAR(tsv->resistivity, 0.0058, 1e-12);
  EXPECT_NEAR(tsv->heat_capacity, 4e6, 1e-3);
  EXPECT_FALSE(f.find("TIM_unit_0")->has_properties);
}

TEST(HotSpotReaders, PowerTraceKeepsRowsAndAverages) {
  const auto p = interop::hotspot::read_ptrace(kHs + "/example2/gcc.ptrace");
  EXPECT_EQ(p.names.size(), 30u);
  EXPECT_GT(p.rows.size(), 10u);
  const auto avg = p.average();
  double total = 0;
  for (double v : avg) total += v;
  EXPECT_NEAR(total, 40.21, 0.01);  // README: mean total 40.21 W
}

TEST(HotSpotReaders, ConfigAndOverrides) {
  auto c = interop::hotspot::read_config(kHs + "/example2/example.config");
  EXPECT_NEAR(c.num("r_convec", 0), 0.1, 1e-12);
  EXPECT_EQ(c.str("material_sink"), "aluminum");
  EXPECT_FALSE(c.has("init_file"));  // "(null)"
  interop::hotspot::apply_overrides(c, {"-grid_rows", "128", "-r_convec", "0.2"});
  EXPECT_EQ(c.num("grid_rows", 0), 128);
  EXPECT_EQ(c.where("grid_rows"), "command line");
  EXPECT_NE(
      error_of([&] { interop::hotspot::apply_overrides(c, {"-grid_rows"}); }).find("no value"),
      std::string::npos);
}

TEST(HotSpotReaders, MaterialsAndLcf) {
  const auto m = interop::hotspot::read_materials(kHs + "/example3/example.materials");
  ASSERT_TRUE(m.count("copper"));
  EXPECT_EQ(m.at("copper").k, 400.0);
  EXPECT_TRUE(m.at("water").fluid);
  const auto l = interop::hotspot::read_lcf(kHs + "/example3/example.lcf");
  ASSERT_EQ(l.size(), 4u);
  EXPECT_TRUE(l[0].power);
  EXPECT_FALSE(l[1].power);
  EXPECT_NEAR(l[1].resistivity, 0.25, 1e-12);
  EXPECT_NEAR(l[2].thickness, 150e-6, 1e-12);
  const auto l5 = interop::hotspot::read_lcf(kHs + "/example5/example.lcf");
  EXPECT_EQ(l5[0].material, "silicon");  // HotSpot 7 material-name form
}

// ---------------------------------------------------------------------------------------------
// Malformed inputs: a clear message naming file and line, never a crash.

TEST(HotSpotErrors, MalformedFilesNameFileAndLine) {
  const std::string d = tmp_dir("hs_errors");
  const std::string flp = write_file(d, "a.flp", "A 0.001 0.001 0 0\nB 0.001 0.001 0.001 0\n");
  struct Case {
    std::string what, file, text, expect;
  };
  const std::vector<Case> cases = {
      {"overlap", "o.flp", "A 0.002 0.001 0 0\nB 0.001 0.001 0.001 0\n",
       "o.flp:2: block 'B' overlaps"},
      {"gap", "g.flp", "A 0.001 0.001 0 0\nB 0.001 0.001 0.001 0.001\n",
       "g.flp:2: the blocks leave a gap"},
      {"negative", "n.flp", "A -0.001 0.001 0 0\n", "n.flp:1: block 'A' has width -0.001"},
      {"columns", "c.flp", "A 0.001 0.001 0\n", "c.flp:1: expected 'name width"},
      {"number", "x.flp", "A 0.001 abc 0 0\n",
       "x.flp:1: height of 'A': expected a number, got 'abc'"},
      {"duplicate", "d.flp", "A 0.001 0.001 0 0\nA 0.001 0.001 0.001 0\n",
       "d.flp:2: block name 'A' appears twice"},
  };
  for (const auto& c : cases) {
    const std::string p = write_file(d, c.file, c.text);
    EXPECT_NE(error_of([&] { interop::hotspot::read_flp(p); }).find(c.expect), std::string::npos)
        << c.what << ": " << error_of([&] { interop::hotspot::read_flp(p); });
  }
  // Trace: missing block, unknown block, short row.
  interop::hotspot::ImportOptions o;
  o.flp = flp;
  o.ptrace = write_file(d, "miss.ptrace", "A\n1.0\n");
  EXPECT_NE(
      error_of([&] { interop::hotspot::import_design(o); }).find("miss.ptrace:1: block 'B' of"),
      std::string::npos)
      << error_of([&] { interop::hotspot::import_design(o); });
  o.ptrace = write_file(d, "extra.ptrace", "A B C\n1 1 1\n");
  EXPECT_NE(error_of([&] {
              interop::hotspot::import_design(o);
            }).find("extra.ptrace:1: block 'C' is in the trace"),
            std::string::npos);
  o.ptrace = write_file(d, "short.ptrace", "A B\n1 1\n1\n");
  EXPECT_NE(error_of([&] {
              interop::hotspot::import_design(o);
            }).find("short.ptrace:3: expected 2 power values"),
            std::string::npos);
  // Unknown material in the config; fluid material.
  o.ptrace = write_file(d, "ok.ptrace", "A B\n1 2\n");
  o.config = write_file(d, "m.config", "# c\n-material_sink unobtainium\n");
  o.materials = kHs + "/example2/example.materials";
  EXPECT_NE(error_of([&] {
              interop::hotspot::import_design(o);
            }).find("m.config:2: -material_sink: unknown material 'unobtainium'"),
            std::string::npos)
      << error_of([&] { interop::hotspot::import_design(o); });
  o.config = write_file(d, "v.config", "-r_convec\n");
  EXPECT_NE(error_of([&] {
              interop::hotspot::import_design(o);
            }).find("v.config:1: option -r_convec has no value"),
            std::string::npos);
  // LCF: bad flag, microchannel layer (example 5), unknown material.
  const std::string lcf = write_file(d, "bad.lcf", "0\nY\nmaybe\n1e6\n0.01\n1e-4\na.flp\n");
  EXPECT_NE(error_of([&] {
              interop::hotspot::read_lcf(lcf);
            }).find("bad.lcf:3: power dissipation flag: expected Y or N"),
            std::string::npos);
  // Found by fuzz_hotspot_lcf: a huge layer number reached an int conversion.
  const std::string huge = write_file(d, "huge.lcf", "6.7e85\nY\nY\n1e6\n0.01\n1e-4\na.flp\n");
  EXPECT_NE(error_of([&] {
              interop::hotspot::read_lcf(huge);
            }).find("huge.lcf:1: expected the layer number (0, 1, 2, ...), got '6.7e85'"),
            std::string::npos)
      << error_of([&] { interop::hotspot::read_lcf(huge); });
  // Found by fuzz_hotspot_lcf: a floorplan name longer than the file system allows threw
  // std::filesystem's "File name too long" (naming no input file) while the LCF was read; it is
  // now a floorplan that does not exist, reported when the floorplan is read.
  const std::string long_name(300, 'f');
  const auto ll = interop::hotspot::read_lcf(
      write_file(d, "long.lcf", "0\nY\nY\n1e6\n0.01\n1e-4\n" + long_name + ".flp\n"));
  ASSERT_EQ(ll.size(), 1u);
  EXPECT_EQ(ll[0].floorplan, long_name + ".flp");
  EXPECT_NE(error_of([&] {
              interop::hotspot::read_flp(ll[0].floorplan_path);
            }).find("not found: " + ll[0].floorplan_path),
            std::string::npos)
      << error_of([&] { interop::hotspot::read_flp(ll[0].floorplan_path); });
  // A huge -grid_rows is refused by name before any conversion or allocation.
  interop::hotspot::ImportOptions og;
  og.config = write_file(d, "g.config", "-grid_rows 1e300\n");
  og.flp = kHs + "/example2/ev6.flp";
  og.ptrace = kHs + "/example2/gcc.ptrace";
  EXPECT_NE(error_of([&] {
              interop::hotspot::import_design(og);
            }).find("g.config:1: -grid_rows/-grid_cols must be whole numbers from 1 to 100000"),
            std::string::npos)
      << error_of([&] { interop::hotspot::import_design(og); });
  interop::hotspot::ImportOptions o5;
  o5.config = kHs + "/example5/example.config";
  o5.lcf = kHs + "/example5/example.lcf";
  o5.materials = kHs + "/example5/example.materials";
  o5.ptrace = kHs + "/example5/example.ptrace";
  EXPECT_NE(error_of([&] { interop::hotspot::import_design(o5); }).find("microchannel"),
            std::string::npos)
      << error_of([&] { interop::hotspot::import_design(o5); });
  interop::hotspot::ImportOptions om;
  om.lcf = write_file(d, "mat.lcf", "0\nY\nY\nadamantium\n1e-4\na.flp\n");
  om.ptrace = o.ptrace;
  EXPECT_NE(error_of([&] {
              interop::hotspot::import_design(om);
            }).find("mat.lcf:1: layer 0: unknown material 'adamantium'"),
            std::string::npos)
      << error_of([&] { interop::hotspot::import_design(om); });
  // Missing files name the path.
  EXPECT_NE(error_of([&] { interop::hotspot::read_flp(d + "/nope.flp"); }).find("nope.flp"),
            std::string::npos);
}

TEST(HotSpotErrors, UnsupportedOptionsWarn) {
  interop::hotspot::ImportOptions o;
  o.config = kHs + "/example2/example.config";
  o.flp = kHs + "/example2/ev6.flp";
  o.ptrace = kHs + "/example2/gcc.ptrace";
  o.materials = kHs + "/example2/example.materials";
  o.overrides = {"-model_secondary", "1", "-leakage_used", "1", "-frobnicate", "3"};
  const auto r = interop::hotspot::import_design(o);
  auto has = [&](const std::string& s) {
    for (const auto& w : r.warnings)
      if (w.find(s) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(has("-model_secondary 1 (command line)"));
  EXPECT_TRUE(has("-leakage_used"));
  EXPECT_TRUE(has("unknown HotSpot option -frobnicate"));
  EXPECT_TRUE(has("-model_type block"));  // the config says block
}

TEST(Ice3dErrors, MalformedFilesNameFileAndLine) {
  const std::string d = tmp_dir("ice_errors");
  const std::string head =
      "material SI :\n thermal conductivity 1.3e-4 ;\n volumetric heat capacity 1.6e-12 ;\n"
      "top heat sink :\n heat transfer coefficient 1e-7 ;\n temperature 300 ;\n"
      "dimensions :\n chip length 1000, width 1000 ;\n cell length 100, width 100 ;\n"
      "die D :\n source 2 SI ;\n layer 50 SI ;\n";
  write_file(d, "ok.flp",
             "A : position 0, 0 ; dimension 500, 1000 ; power values 1 ;\n"
             "B : rectangle (500, 0, 500, 1000) ; power values 2 ;\n");
  write_file(d, "overlap.flp",
             "A : position 0, 0 ; dimension 600, 1000 ; power values 1 ;\n"
             "B : rectangle (500, 0, 500, 1000) ; power values 2 ;\n");
  write_file(d, "neg.flp", "A : position 0, 0 ;\n dimension -5, 1000 ; power values 1 ;\n");
  write_file(d, "out.flp", "A : position 900, 0 ; dimension 500, 1000 ; power values 1 ;\n");
  write_file(d, "nopower.flp", "A : position 0, 0 ; dimension 500, 1000 ;\n");
  struct Case {
    std::string what, text, expect;
  };
  const std::vector<Case> cases = {
      {"unknown material", head + "stack :\n die X D floorplan \"ok.flp\" ;\n",
       ""},  // valid, checked below
      {"unknown material",
       "material SI :\n thermal conductivity 1.3e-4 ;\n volumetric heat capacity 1.6e-12 ;\n"
       "top heat sink :\n heat transfer coefficient 1e-7 ;\n temperature 300 ;\n"
       "dimensions :\n chip length 1000, width 1000 ;\n cell length 100, width 100 ;\n"
       "die D :\n source 2 CU ;\nstack :\n die X D floorplan \"ok.flp\" ;\n",
       "s.stk:11: unknown material 'CU'"},
      {"missing semicolon", head + "stack :\n die X D floorplan \"ok.flp\"\n",
       "s.stk:15: expected ';'"},
      {"microchannel", head + "microchannel 4rm :\n height 100 ;\n", "s.stk:13: 'microchannel'"},
      {"channel in stack", head + "stack :\n channel C ;\n",
       "s.stk:14: the stack holds a microchannel"},
      {"overlap", head + "stack :\n die X D floorplan \"overlap.flp\" ;\n",
       "overlap.flp:2: element 'B' overlaps element 'A'"},
      {"negative", head + "stack :\n die X D floorplan \"neg.flp\" ;\n",
       "neg.flp:2: dimension (length) must be positive"},
      {"outside", head + "stack :\n die X D floorplan \"out.flp\" ;\n",
       "out.flp:1: element 'A' at (900, 0) um"},
      {"no power", head + "stack :\n die X D floorplan \"nopower.flp\" ;\n",
       "nopower.flp:1: element 'A' has no 'power values'"},
      {"no sink",
       "material SI :\n thermal conductivity 1.3e-4 ;\n volumetric heat capacity 1.6e-12 ;\n"
       "dimensions :\n chip length 1000, width 1000 ;\n cell length 100, width 100 ;\n"
       "die D :\n source 2 SI ;\nstack :\n die X D floorplan \"ok.flp\" ;\n",
       "no heat sink"},
      {"comment", head + "/* open\n", "s.stk:13: unterminated /* comment"},
      {"missing floorplan", head + "stack :\n die X D floorplan \"none.flp\" ;\n",
       "s.stk:14: 3D-ICE floorplan file not found"},
      // Found by fuzz_ice_stk: a huge count reached an int conversion (undefined behaviour).
      {"huge discretization",
       head + "stack :\n die X D floorplan \"ok.flp\" discretization 1e300 4 ;\n",
       "s.stk:14: discretization nx must be a whole number from 1 to 100000, got 1e+300"},
  };
  for (const auto& c : cases) {
    const std::string p = write_file(d, "s.stk", c.text);
    const std::string e = error_of([&] { interop::ice3d::import_design(p); });
    if (c.expect.empty())
      EXPECT_EQ(e, "") << c.what;
    else
      EXPECT_NE(e.find(c.expect), std::string::npos) << c.what << ": " << e;
  }
  // The repository's microchannel example is refused, not half-imported.
  const std::string e = error_of(
      [&] { interop::ice3d::import_design(kIce + "/example_steady_4rm/example_steady.stk"); });
  EXPECT_NE(e.find("example_steady.stk:13: 'microchannel'"), std::string::npos) << e;
}

// Random truncations and byte flips of valid files: every reader throws std::exception or
// succeeds; none crashes (run under ASan in CI).
TEST(InteropFuzz, NoCrashOnMangledInputs) {
  const std::string d = tmp_dir("fuzz");
  std::mt19937 rng(12345);
  const std::vector<std::pair<std::string, int>> files = {
      {kHs + "/example2/ev6.flp", 0},
      {kHs + "/example2/gcc.ptrace", 1},
      {kHs + "/example2/example.config", 2},
      {kHs + "/example3/example.materials", 3},
      {kHs + "/example3/example.lcf", 4},
      {kIce + "/test_solid/topsink.stk", 5},
      {kIce + "/test_solid/four_elements.flp", 6}};
  const std::string junk = " \t\n-#;:,()\"/*0123456789.eE+abcXYZ\x01\xff";
  for (const auto& [src, kind] : files) {
    const std::string text = read_text(src);
    for (int trial = 0; trial < 60; ++trial) {
      std::string t = text;
      if (trial % 3 == 0) t = t.substr(0, rng() % (t.size() + 1));
      const int flips = 1 + static_cast<int>(rng() % 6);
      for (int f = 0; f < flips && !t.empty(); ++f) t[rng() % t.size()] = junk[rng() % junk.size()];
      const std::string p = write_file(d, "f" + fs::path(src).filename().string(), t);
      try {
        switch (kind) {
          case 0:
            interop::hotspot::read_flp(p);
            break;
          case 1:
            interop::hotspot::read_ptrace(p);
            break;
          case 2:
            interop::hotspot::read_config(p);
            break;
          case 3:
            interop::hotspot::read_materials(p);
            break;
          case 4:
            interop::hotspot::read_lcf(p);
            break;
          case 5:
            interop::ice3d::read_stack(p);
            break;
          case 6:
            interop::ice3d::read_floorplan(p);
            break;
        }
      } catch (const std::exception&) {
      }
    }
  }
  SUCCEED();
}

// ---------------------------------------------------------------------------------------------
// Exports: layouts and orientation.

TEST(Exports, HotSpotAndIce3dLayouts) {
  // A 4 mm x 2 mm die with a hot block in its north-east corner.
  const std::string yaml =
      "name: tiny\ndie: {size_mm: [4, 2]}\nlayers:\n"
      "  - {name: src, thickness_mm: 0.1, k_W_per_mK: 100, power_blocks: ["
      "{name: NE, x_mm: 3, y_mm: 1, w_mm: 1, h_mm: 1, power_W: 2},"
      "{name: REST, x_mm: 0, y_mm: 0, w_mm: 3, h_mm: 1, power_W: 0},"
      "{name: REST, x_mm: 0, y_mm: 1, w_mm: 3, h_mm: 1, power_W: 0},"
      "{name: S, x_mm: 3, y_mm: 0, w_mm: 1, h_mm: 1, power_W: 0}]}\n"
      "  - {name: sink, thickness_mm: 0.5, k_W_per_mK: 200}\n"
      "top: {type: convective, h_W_per_m2K: 1.0e4, T_amb_K: 300}\ngrid: {nx: 9, ny: 5}\n";
  Solved s = solve_design(io::parse_design(yaml, "tiny.yaml", "."));
  const std::string d = tmp_dir("exports");
  auto file = [&](const std::string& n) { return d + "/" + n; };
  const auto hs = interop::write_exports("hotspot", s.loaded.design, s.grid, s.t, file);
  EXPECT_EQ(hs, (std::vector<std::string>{"tiny.steady", "tiny.grid.steady"}));
  const auto st = read_steady(d + "/tiny.steady");
  EXPECT_GT(st.at("NE"), st.at("S"));
  // grid.steady: 8 x 4 cells per layer, row 0 = north edge: index 7 (row 0, last col) is hot.
  std::ifstream g(d + "/tiny.grid.steady");
  std::string line;
  std::getline(g, line);
  EXPECT_EQ(line, "Layer 0:");
  std::vector<double> l0;
  for (int n = 0; n < 32 && std::getline(g, line); ++n)
    l0.push_back(std::stod(line.substr(line.find('\t') + 1)));
  ASSERT_EQ(l0.size(), 32u);
  EXPECT_EQ(std::max_element(l0.begin(), l0.end()) - l0.begin(), 7);
  std::getline(g, line);
  EXPECT_EQ(line, "Layer 1:");

  const auto ice = interop::write_exports("3d-ice", s.loaded.design, s.grid, s.t, file);
  ASSERT_GE(ice.size(), 4u);
  EXPECT_EQ(ice[0], "Tmap_src.txt");
  // Tmap: row 0 = south, so the hot corner is the last value of the last line.
  std::ifstream tm(d + "/Tmap_src.txt");
  std::getline(tm, line);
  EXPECT_EQ(line[0], '%');
  std::vector<std::vector<double>> rows;
  while (std::getline(tm, line)) {
    std::istringstream ss(line);
    std::vector<double> r;
    for (double v; ss >> v;) r.push_back(v);
    if (!r.empty()) rows.push_back(r);
  }
  ASSERT_EQ(rows.size(), 4u);
  ASSERT_EQ(rows[0].size(), 8u);
  EXPECT_GT(rows[3][7], rows[0][7]);
  EXPECT_GT(rows[3][7], rows[3][0]);
  // Tflp: the two REST rectangles form one element.
  const std::string tf = read_text(d + "/Tflp_src_maximum.txt");
  EXPECT_NE(tf.find("NE(K) \t REST(K) \t S(K)"), std::string::npos) << tf;
  EXPECT_NE(error_of([&] { interop::check_export_format("ansys"); }).find("valid: hotspot, 3d-ice"),
            std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Cross-validation

// The exact two-source slab: heatop's heated-face nodes against the Fourier-series solution
// (peak rise 19.4 K). 3D-ICE's best is 0.17 K off, HotSpot's one-layer model 3 K.
TEST(CrossValidation, SlabTwoSources) {
  std::vector<std::vector<double>> exact;
  {
    std::ifstream in(kIce + "/analytic/analytic_nodes_101x101_z0_heated_face.txt");
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '%') continue;
      std::istringstream ss(line);
      std::vector<double> r;
      for (double v; ss >> v;) r.push_back(v);
      exact.push_back(r);
    }
  }
  ASSERT_EQ(exact.size(), 101u);
  for (const int n : {201, 101}) {
    Solved s = solve_design(
        io::load_design(std::string(HEATOP_EXAMPLES) + "/slab_two_sources.yaml",
                        {"grid.nx=" + std::to_string(n), "grid.ny=" + std::to_string(n)}));
    const int step = (n - 1) / 100;
    double err = 0;
    for (int i = 0; i <= 100; ++i)
      for (int j = 0; j <= 100; ++j)
        err = std::max(err, std::abs(s.t[s.grid.index(i * step, j * step, 0)] - exact[j][i]));
    std::printf("slab two sources, %d x %d lateral nodes, %d z nodes: max error %.4f K\n", n, n,
                s.grid.nz(), err);
    EXPECT_LE(err, n == 201 ? 0.02 : 0.05);
  }
}

// 3D-ICE's solid regression stacks: two 50 um dies, 4 layers, cells 50 x 200 um, sinks on top,
// bottom or both. 3D-ICE reports cell temperatures of the source layers at die1 (5000, 4800)
// and die2 (0, 0) um, i.e. the cells whose centres are (5025, 4900) and (25, 100) um.
TEST(CrossValidation, Ice3dSolidStacks) {
  for (const std::string which : {"top", "bottom", "both"}) {
    const std::string stk = kIce + "/test_solid/" + which + "sink.stk";
    std::vector<std::string> warnings;
    interop::DesignSource src;
    src.path = stk;
    Solved s = solve_design(interop::load_any_design(src, &warnings));
    double ref1 = 0, ref2 = 0;
    {
      std::ifstream in(kIce + "/test_solid/output_" + which + ".txt");
      double time;
      in >> time >> ref1 >> ref2;
    }
    const auto& d = s.loaded.design;
    auto layer_of = [&](const std::string& n) {
      for (std::size_t l = 0; l < d.layers.size(); ++l)
        if (d.layers[l].name == n) return static_cast<int>(l);
      return -1;
    };
    const int l1 = layer_of("die1"), l2 = layer_of("die2");
    ASSERT_GE(l1, 0);
    ASSERT_GE(l2, 0);
    const auto p1 = interop::layer_average(s.grid, s.t, l1),
               p2 = interop::layer_average(s.grid, s.t, l2);
    const double t1 = interop::plane_at(s.grid.x, s.grid.y, p1, 5025e-6, 4900e-6);
    const double t2 = interop::plane_at(s.grid.x, s.grid.y, p2, 25e-6, 100e-6);
    std::printf(
        "3D-ICE solid %-6s: die1 heatop %.3f 3D-ICE %.3f (%+.3f K) | die2 heatop %.3f "
        "3D-ICE %.3f (%+.3f K)\n",
        which.c_str(), t1, ref1, t1 - ref1, t2, ref2, t2 - ref2);
    EXPECT_NEAR(t1, ref1, 0.05);
    EXPECT_NEAR(t2, ref2, 0.05);
  }
}

namespace {

struct HsCase {
  std::string dir, config, flp, ptrace, lcf, materials, steady;
  std::vector<std::string> overrides;
};

void hotspot_case(const HsCase& c, double tol_die, double tol_sink) {
  interop::hotspot::ImportOptions o;
  o.config = kHs + "/" + c.dir + "/" + c.config;
  if (!c.flp.empty()) o.flp = kHs + "/" + c.dir + "/" + c.flp;
  o.ptrace = kHs + "/" + c.dir + "/" + c.ptrace;
  if (!c.lcf.empty()) o.lcf = kHs + "/" + c.dir + "/" + c.lcf;
  if (!c.materials.empty()) o.materials = kHs + "/" + c.dir + "/" + c.materials;
  o.overrides = c.overrides;
  Solved s = solve_design(load_hotspot(o), 1e-7);
  const std::string d = tmp_dir(c.dir);
  interop::write_exports("hotspot", s.loaded.design, s.grid, s.t,
                         [&](const std::string& n) { return d + "/" + n; });
  const auto ours = read_steady(d + "/" + s.loaded.design.name + ".steady");
  const auto ref = read_steady(kHs + "/" + c.dir + "/" + c.steady);
  // Blocks of the die layers (no iface_/hsp_/hsink_/inode_ prefix).
  auto die_block = [](const std::string& n) {
    return n.rfind("iface_", 0) != 0 && n.rfind("hsp_", 0) != 0 && n.rfind("hsink_", 0) != 0 &&
           n.rfind("inode_", 0) != 0;
  };
  std::string hot_ours, hot_ref;
  double max_d = 0, mean_d = 0;
  int n = 0;
  for (const auto& [name, t] : ref) {
    if (!die_block(name)) continue;
    ASSERT_TRUE(ours.count(name)) << name;
    const double dt = ours.at(name) - t;
    max_d = std::max(max_d, std::abs(dt));
    mean_d += dt;
    ++n;
    if (hot_ref.empty() || t > ref.at(hot_ref)) hot_ref = name;
    if (hot_ours.empty() || ours.at(name) > ours.at(hot_ours)) hot_ours = name;
  }
  mean_d /= n;
  std::printf(
      "HotSpot %s: %d die blocks, heatop - HotSpot: mean %+.2f K, max |d| %.2f K; hottest "
      "heatop %s %.2f K, HotSpot %s %.2f K\n",
      c.dir.c_str(), n, mean_d, max_d, hot_ours.c_str(), ours.at(hot_ours), hot_ref.c_str(),
      ref.at(hot_ref));
  EXPECT_EQ(hot_ours, hot_ref);
  EXPECT_LE(max_d, tol_die);
  // The sink layer: HotSpot's hsink_ nodes (the sink over each die block) against heatop's
  // export over the same rectangles, compared like the die blocks.
  double max_sink = 0, mean_sink = 0, lo_sink = INFINITY, hi_sink = -INFINITY;
  int n_sink = 0;
  for (const auto& [name, t] : ref) {
    if (name.rfind("hsink_", 0) != 0) continue;
    ASSERT_TRUE(ours.count(name)) << name;
    const double dt = ours.at(name) - t;
    max_sink = std::max(max_sink, std::abs(dt));
    lo_sink = std::min(lo_sink, dt);
    hi_sink = std::max(hi_sink, dt);
    mean_sink += dt;
    ++n_sink;
  }
  ASSERT_GT(n_sink, 0) << "no hsink_ blocks in " << c.steady;
  mean_sink /= n_sink;
  std::printf(
      "HotSpot %s: %d sink blocks, heatop - HotSpot: mean %+.2f K (%+.2f ... %+.2f K), max |d| "
      "%.2f K\n",
      c.dir.c_str(), n_sink, mean_sink, lo_sink, hi_sink, max_sink);
  EXPECT_LE(max_sink, tol_sink);
}

}  // namespace

// HotSpot example 2 (EV6, grid 64 x 64, Al spreader and sink): full package geometry.
// Measured, heatop - HotSpot: die blocks mean +2.37 K, max |d| 3.36 K (asserted <= 4 K; why
// the die differs: docs/interop.md); sink blocks (hsink_) mean -0.13 K, -0.24 ... +0.05 K, max
// |d| 0.24 K (asserted <= 0.5 K, about twice the measured maximum).
TEST(CrossValidation, HotSpotExample2) {
  hotspot_case({"example2",
                "example.config",
                "ev6.flp",
                "gcc.ptrace",
                "",
                "example.materials",
                "out_gcc.steady",
                {"-model_type", "grid"}},
               4.0, 0.5);
}

// Examples 3 and 4 (LCF stacks, -detailed_3D on): in detailed-3D mode HotSpot's vertical
// resistance between two layers is half of each layer's rz, and the sink's rz already contains
// its cell's share of r_convec (r_convec * s_sink^2 / cell area), so half of the convection
// resistance sits between spreader and sink under the die (docs/interop.md, "Why HotSpot
// differs"). That lifts HotSpot's die by 11.6 K (ex. 3) and 20.6 K (ex. 4) and is why heatop is
// 16 K / 23 K cooler. It leaves the drop from the die to the spreader unchanged (4.11 K in a
// rebuild of HotSpot's network with and without the term), so that drop is compared like for
// like (example 3), together with the block temperatures relative to the die average and the
// hottest block.
TEST(CrossValidation, HotSpotExamples3And4Stacks) {
  for (const auto& c : {HsCase{"example3",
                               "example.config",
                               "",
                               "example.ptrace",
                               "example.lcf",
                               "example.materials",
                               "out_example.steady",
                               {"-model_type", "grid", "-detailed_3D", "on"}},
                        HsCase{"example4",
                               "example.config",
                               "",
                               "ev6_3D.ptrace",
                               "ev6_3D.lcf",
                               "",
                               "out_example.steady",
                               {"-model_type", "grid", "-detailed_3D", "on"}}}) {
    interop::hotspot::ImportOptions o;
    o.config = kHs + "/" + c.dir + "/" + c.config;
    o.ptrace = kHs + "/" + c.dir + "/" + c.ptrace;
    o.lcf = kHs + "/" + c.dir + "/" + c.lcf;
    if (!c.materials.empty()) o.materials = kHs + "/" + c.dir + "/" + c.materials;
    o.overrides = c.overrides;
    Solved s = solve_design(load_hotspot(o), 1e-7);
    const std::string d = tmp_dir(c.dir);
    interop::write_exports("hotspot", s.loaded.design, s.grid, s.t,
                           [&](const std::string& n) { return d + "/" + n; });
    const auto ours = read_steady(d + "/" + s.loaded.design.name + ".steady");
    const auto ref = read_steady(kHs + "/" + c.dir + "/" + c.steady);
    double mo = 0, mr = 0;
    int n = 0;
    std::string hot_ours, hot_ref;
    for (const auto& [name, t] : ref) {
      if (name.rfind("layer_", 0) != 0) continue;
      ASSERT_TRUE(ours.count(name)) << name;
      mo += ours.at(name);
      mr += t;
      ++n;
      if (hot_ref.empty() || t > ref.at(hot_ref)) hot_ref = name;
      if (hot_ours.empty() || ours.at(name) > ours.at(hot_ours)) hot_ours = name;
    }
    mo /= n;
    mr /= n;
    double max_rel = 0;
    for (const auto& [name, t] : ref)
      if (name.rfind("layer_", 0) == 0)
        max_rel = std::max(max_rel, std::abs((ours.at(name) - mo) - (t - mr)));
    std::printf(
        "HotSpot %s: %d blocks, mean heatop %.2f K, HotSpot %.2f K (offset %+.2f K); "
        "relative to the mean, max |d| %.2f K; hottest heatop %s, HotSpot %s\n",
        c.dir.c_str(), n, mo, mr, mo - mr, max_rel, hot_ours.c_str(), hot_ref.c_str());
    // Measured: 6.1 K (ex. 3), 11.3 K (ex. 4: HotSpot maps blocks by their centre cell and
    // models the TSV strips' own conductivity, heatop averages and keeps one k per layer).
    EXPECT_LE(max_rel, c.dir == "example3" ? 7.0 : 12.5);
    if (c.dir == "example3") {
      EXPECT_EQ(hot_ours, hot_ref);
      // Die-layer-0 mean minus spreader mean, both over the die. HotSpot: area-weighted block
      // averages of layer_0_* (floorplan1) and hsp_* (the last LCF layer's floorplan2) from its
      // .steady (-grid_map_mode avg). heatop: layer_0_* from its export, spreader = layer 4 of
      // its .grid.steady (the die's 64 x 64 cells). Measured: heatop 3.86 K, HotSpot 4.01 K.
      // Tolerance 0.5 K (12 % of the drop): heatop resolves each layer in z and reports
      // thickness averages, HotSpot has one node per layer (layer 0 counted in full).
      auto area_mean = [](const std::map<std::string, double>& st, const std::string& prefix,
                          const interop::hotspot::Floorplan& f) {
        double s = 0, a = 0;
        for (const auto& b : f.blocks) {
          const auto it = st.find(prefix + b.name);
          if (it == st.end()) continue;
          s += b.w * b.h * it->second;
          a += b.w * b.h;
        }
        return a > 0 ? s / a : std::nan("");
      };
      const auto f1 = interop::hotspot::read_flp(kHs + "/example3/floorplan1.flp");
      const auto f2 = interop::hotspot::read_flp(kHs + "/example3/floorplan2.flp");
      const double drop_ref = area_mean(ref, "layer_0_", f1) - area_mean(ref, "hsp_", f2);
      double sp_ours = 0;
      {
        std::ifstream in(d + "/" + s.loaded.design.name + ".grid.steady");
        std::string line;
        int layer = -1, cells = 0;
        while (std::getline(in, line)) {
          if (line.rfind("Layer ", 0) == 0) {
            layer = std::stoi(line.substr(6));
            continue;
          }
          std::istringstream ls(line);
          int idx;
          double t;
          if (layer == 4 && (ls >> idx >> t)) {
            sp_ours += t;
            ++cells;
          }
        }
        ASSERT_EQ(cells, 64 * 64);
        sp_ours /= cells;
      }
      const double drop_ours = area_mean(ours, "layer_0_", f1) - sp_ours;
      std::printf("HotSpot example3: die layer 0 - spreader: heatop %.2f K, HotSpot %.2f K\n",
                  drop_ours, drop_ref);
      EXPECT_NEAR(drop_ours, drop_ref, 0.5);
    }
  }
}
