// libFuzzer harness: HotSpot materials files (hotspot::read_materials) (fuzz/README.md).
#include "fuzz_util.hpp"
#include "interop/hotspot.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  heatop::fuzz::read_file_input(data, size, "fuzz.materials", [](const std::string& p) {
    heatop::interop::hotspot::read_materials(p);
  });
  return 0;
}
