// libFuzzer harness: probe lists (io::read_probes_csv) (fuzz/README.md).
#include "fuzz_util.hpp"
#include "io/probes.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  heatop::fuzz::read_file_input(data, size, "fuzz_probes.csv",
                                [](const std::string& p) { heatop::io::read_probes_csv(p); });
  return 0;
}
