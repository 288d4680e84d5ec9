#!/usr/bin/env bash
# The test command: formatting check, Release build + every test, then an ASan/UBSan build that
# runs the solver and I/O tests again.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "== clang-format check"
files=$(git ls-files 'src/*.cpp' 'src/*.hpp' 'apps/*.cpp' 'apps/*.hpp' 'tests/*.cpp' 'bench/*.cpp')
clang-format --dry-run -Werror $files
echo "== Release build and tests"
scripts/build.sh
(cd build && ctest --output-on-failure -j2)
echo "== ASan/UBSan build: solver and I/O tests"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DHEATOP_SANITIZE=ON -DHEATOP_BUILD_BENCH=OFF -DHEATOP_WITH_TORCH=OFF >/dev/null
cmake --build build-asan -j"$(nproc)" --target test_solver test_io
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure -L 'solver|io' -j2)
