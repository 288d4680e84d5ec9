// libFuzzer harness: 3D-ICE stack files (ice3d::read_stack) (fuzz/README.md).
#include "fuzz_util.hpp"
#include "interop/ice3d.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  heatop::fuzz::read_file_input(
      data, size, "fuzz.stk", [](const std::string& p) { heatop::interop::ice3d::read_stack(p); });
  return 0;
}
