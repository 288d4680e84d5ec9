// libFuzzer harness: HotSpot layer configuration files (hotspot::read_lcf) (fuzz/README.md).
#include "fuzz_util.hpp"
#include "interop/hotspot.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  heatop::fuzz::read_file_input(
      data, size, "fuzz.lcf", [](const std::string& p) { heatop::interop::hotspot::read_lcf(p); });
  return 0;
}
