// libFuzzer harness: neural-operator configurations (surrogate::parse_operator_config; plain
// C++, built here without LibTorch).
#include "fuzz_util.hpp"
#include "surrogate/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fz = heatop::fuzz;
  const std::string name = "fuzz_operator.yaml";
  try {
    heatop::surrogate::parse_operator_config(fz::as_text(data, size), name, fz::scratch_dir());
  } catch (const std::exception& e) {
    fz::check_rejection(e, name);
  }
  return 0;
}
