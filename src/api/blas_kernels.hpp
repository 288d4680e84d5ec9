#pragma once
// OpenBLAS, the BLAS under LibTorch's matrix products, picks its kernels by CPU model at load
// time, and a model it does not know gets its generic SSE3 kernels ("Prescott"). On an AVX-512
// Xeon that OpenBLAS 0.3.21 does not know, that made the operator's inference 1.5-2x slower
// (docs/surrogate.md). A program about to do such work calls this first thing in main: if
// OpenBLAS is loaded, runs on the generic kernels and the CPU (with the OS) supports AVX-512 or
// AVX2 + FMA, the program runs itself again with OPENBLAS_CORETYPE naming those kernels. A
// user's own OPENBLAS_CORETYPE is left alone, and nothing happens where OpenBLAS is not the BLAS
// or chose well. Header-only: executables that link no heatop library use it too.

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace heatop::api {

/// The OpenBLAS kernel family this CPU supports beyond the generic ones ("SkylakeX" or
/// "Haswell"), or nullptr.
inline const char* supported_blas_kernels() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512cd"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
  return nullptr;
}

/// Returns only when nothing needs to change (or the re-run could not start).
inline void rerun_with_blas_kernels(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE")) return;
  using CoreName = char* (*)();
  const auto corename = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (!corename) return;
  const char* core = corename();
  if (!core || std::strcmp(core, "Prescott") != 0) return;
  const char* better = supported_blas_kernels();
  if (!better) return;
  if (setenv("OPENBLAS_CORETYPE", better, 0) != 0) return;
  execv("/proc/self/exe", argv);  // on failure: carry on with the generic kernels
}

}  // namespace heatop::api
