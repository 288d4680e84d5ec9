// libFuzzer harness: 3D-ICE floorplans (ice3d::read_floorplan) (fuzz/README.md).
#include "fuzz_util.hpp"
#include "interop/ice3d.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  heatop::fuzz::read_file_input(data, size, "fuzz_ice.flp", [](const std::string& p) {
    heatop::interop::ice3d::read_floorplan(p);
  });
  return 0;
}
