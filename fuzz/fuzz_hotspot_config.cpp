// libFuzzer harness: HotSpot .config files (hotspot::read_config) (fuzz/README.md).
#include "fuzz_util.hpp"
#include "interop/hotspot.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  heatop::fuzz::read_file_input(data, size, "fuzz.config", [](const std::string& p) {
    heatop::interop::hotspot::read_config(p);
  });
  return 0;
}
