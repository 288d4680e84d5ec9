// libFuzzer harness: HotSpot floorplans (hotspot::read_flp) (fuzz/README.md).
#include "fuzz_util.hpp"
#include "interop/hotspot.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  heatop::fuzz::read_file_input(data, size, "fuzz.flp", [](const std::string& p) {
    heatop::interop::hotspot::read_flp(p, true);
  });
  return 0;
}
