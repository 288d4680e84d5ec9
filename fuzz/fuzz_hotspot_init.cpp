// libFuzzer harness: HotSpot init files (hotspot::read_init_file, then hotspot::initial_field
// matching the names against a two-block model and painting a small grid) (fuzz/README.md).
#include "fuzz_util.hpp"
#include "interop/hotspot.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace hs = heatop::interop::hotspot;
  static const heatop::model::Design design = [] {
    heatop::model::Design d;
    d.name = "fuzz";
    d.lx = d.ly = 1e-3;
    heatop::model::Layer l;
    l.name = "chip";
    l.thickness = 1e-4;
    l.k_xy = l.k_z = 100;
    d.layers.push_back(l);
    d.faces[heatop::model::kTop].type = heatop::model::BcType::kConvective;
    d.faces[heatop::model::kTop].h = 1e4;
    d.faces[heatop::model::kTop].t_amb = 300;
    d.grid.nx = d.grid.ny = 5;
    d.grid.nz = 3;
    return d;
  }();
  static const heatop::model::Grid grid = heatop::model::build_grid(design);
  static const hs::NodeMap map = {{"A", {0, {0, 0, 0.5e-3, 1e-3}, {}, -1}},
                                  {"B", {0, {0.5e-3, 0, 0.5e-3, 1e-3}, {}, -1}}};
  heatop::fuzz::read_file_input(data, size, "fuzz.init", [&](const std::string& p) {
    hs::initial_field(map, p, design, grid);
  });
  return 0;
}
