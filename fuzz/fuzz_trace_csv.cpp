// libFuzzer harness: transient power traces (transient::read_trace_csv) (fuzz/README.md).
#include "fuzz_util.hpp"
#include "transient/trace.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  heatop::fuzz::read_file_input(data, size, "fuzz_trace.csv",
                                [](const std::string& p) { heatop::transient::read_trace_csv(p); });
  return 0;
}
