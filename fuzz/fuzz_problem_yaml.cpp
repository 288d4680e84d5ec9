// libFuzzer harness: placement problem files (optimize::load_problem). The design a problem
// names resolves against a scratch folder that holds design.yaml (the seeds use that name); a
// design that is missing or wrong is reported by the problem file's `design` key, so every
// rejection names the problem file.
#include "fuzz_util.hpp"
#include "optimize/problem_file.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  heatop::fuzz::write_file("design.yaml", R"(name: fuzz_chip
die: {size_mm: [1, 1]}
layers:
  - {name: si, thickness_mm: 0.5, k_W_per_mK: 100}
top: {type: power, power_W: 1}
bottom: {type: convective, h_W_per_m2K: 5.0e5, T_amb_K: 298.15}
sides: {type: adiabatic}
grid: {nx: 21, ny: 21, nz: 11}
)");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  heatop::fuzz::read_file_input(data, size, "fuzz_problem.yaml",
                                [](const std::string& p) { heatop::optimize::load_problem(p); });
  return 0;
}
