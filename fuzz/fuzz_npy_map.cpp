// libFuzzer harness: NPY power maps (io::read_npy_map, io::read_npy) (fuzz/README.md).
#include "fuzz_util.hpp"
#include "io/power_files.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  heatop::fuzz::read_file_input(data, size, "fuzz_map.npy",
                                [](const std::string& p) { heatop::io::read_npy_map(p); });
  return 0;
}
