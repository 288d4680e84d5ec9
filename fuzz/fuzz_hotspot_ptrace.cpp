// libFuzzer harness: HotSpot power traces (hotspot::read_ptrace) (fuzz/README.md).
#include "fuzz_util.hpp"
#include "interop/hotspot.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  heatop::fuzz::read_file_input(data, size, "fuzz.ptrace", [](const std::string& p) {
    heatop::interop::hotspot::read_ptrace(p).average();
  });
  return 0;
}
