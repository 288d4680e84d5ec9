// libFuzzer harness: YAML design files (io::parse_design, then model::build_grid, which holds
// the memory limit). Power maps named in the input resolve against a scratch folder that holds
// maps/map.txt, maps/map.csv and maps/map.npy (the seeds use those names).
#include "fuzz_util.hpp"
#include "io/design_file.hpp"
#include "io/npy.hpp"
#include "model/grid.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  namespace fz = heatop::fuzz;
  std::filesystem::create_directories(fz::scratch_dir() + "/maps");
  fz::write_file("maps/map.txt", "POWER MAP\n2 3\n0.1 0.2 0.3\n0.4 0.5 0.6\n");
  fz::write_file("maps/map.csv", "0.1,0.2,0.3\n0.4,0.5,0.6\n");
  heatop::io::write_npy(fz::scratch_dir() + "/maps/map.npy", {2, 3},
                        {0.1, 0.2, 0.3, 0.4, 0.5, 0.6});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fz = heatop::fuzz;
  const std::string name = "fuzz_design.yaml";
  heatop::io::LoadedDesign loaded;
  try {
    loaded = heatop::io::parse_design(fz::as_text(data, size), name, fz::scratch_dir());
  } catch (const std::exception& e) {
    fz::check_rejection(e, name);
    return 0;
  }
  try {
    heatop::model::build_grid(loaded.design);
  } catch (const std::exception& e) {
    fz::check_rejection(e, "grid");  // the key at fault: grid.nx, grid.z_nodes_mm, ...
  }
  return 0;
}
