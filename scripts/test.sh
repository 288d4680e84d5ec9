#!/usr/bin/env bash
# The test command: formatting check, Release build + every test, then one clang build with
# ASan/UBSan (-O1) that runs the solver and I/O tests (design files and operator configurations
# included) and the importers' mangled-input test (label fuzz) again, and the libFuzzer harnesses
# of fuzz/ on their corpora (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "== clang-format check"
files=$(git ls-files 'src/*.cpp' 'src/*.hpp' 'apps/*.cpp' 'apps/*.hpp' 'tests/*.cpp' 'bench/*.cpp' \
  'fuzz/*.cpp' 'fuzz/*.hpp')
clang-format --dry-run -Werror $files
echo "== Release build and tests"
scripts/build.sh
(cd build && ctest --output-on-failure -j2)
echo "== clang ASan/UBSan build (-O1): solver, I/O and mangled-input tests, libFuzzer harnesses"
scripts/fuzz.sh build test_solver test_io test_design_file test_interop test_operator_config
(cd build-fuzz && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure -L 'solver|io|fuzz' -j2)
echo "== libFuzzer harnesses: replay fuzz/corpus, then 4 s of fuzzing each"
scripts/fuzz.sh smoke 4
