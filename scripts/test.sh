#!/usr/bin/env bash
# The test command: formatting check, Release build + every test, then an ASan/UBSan build that
# runs the solver and I/O tests (design files included) and the importers' mangled-input test
# (label fuzz) again.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "== clang-format check"
files=$(git ls-files 'src/*.cpp' 'src/*.hpp' 'apps/*.cpp' 'apps/*.hpp' 'tests/*.cpp' 'bench/*.cpp')
clang-format --dry-run -Werror $files
echo "== Release build and tests"
scripts/build.sh
(cd build && ctest --output-on-failure -j2)
echo "== ASan/UBSan build: solver, I/O and mangled-input tests"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DHEATOP_SANITIZE=ON -DHEATOP_BUILD_BENCH=OFF -DHEATOP_WITH_TORCH=OFF >/dev/null
cmake --build build-asan -j"$(nproc)" --target test_solver test_io test_design_file test_interop
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure -L 'solver|io|fuzz' -j2)
echo "== libFuzzer harnesses (clang, ASan/UBSan): replay fuzz/corpus, then 4 s of fuzzing each"
scripts/fuzz.sh smoke 4
