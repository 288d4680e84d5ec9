#!/usr/bin/env bash
# The libFuzzer harnesses of fuzz/ (fuzz/README.md), built with clang (-O1, ASan + UBSan, the
# fuzzer's coverage instrumentation) in build-fuzz/ (or $HEATOP_FUZZ_BUILD).
#   scripts/fuzz.sh build [TARGET...]   configure and build the harnesses and the given targets
#                                       (scripts/test.sh builds its sanitizer tests this way, so
#                                       they share one build of the libraries with the harnesses)
#   scripts/fuzz.sh smoke [SECONDS]     replay every corpus, then fuzz each harness SECONDS
#                                       (default 4); part of scripts/test.sh
#   scripts/fuzz.sh campaign [RUNS] [HARNESS...]
#                                       each harness (default: all) to RUNS executions (default
#                                       1000000), one at a time, one job; prints executions,
#                                       crashes, leaks, timeouts and out-of-memory per harness
# New inputs go to build-fuzz/work/<harness>/ (fuzz/corpus/ is only read); findings to
# build-fuzz/findings/<harness>/. Exit status 1 when any harness found something.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-smoke}
B=${HEATOP_FUZZ_BUILD:-build-fuzz}
if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ not found (scripts/setup.sh installs clang and libclang-rt-dev)" >&2
  exit 2
fi
# PETSc/MPI, LibTorch, Python and the benchmarks are left out: none of them reads these files.
cmake -S . -B $B -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" -DHEATOP_FUZZ=ON \
  -DHEATOP_WITH_TORCH=OFF -DHEATOP_PETSC=OFF -DHEATOP_BUILD_TESTS=ON -DHEATOP_BUILD_BENCH=OFF \
  -DHEATOP_PYTHON=OFF >/dev/null
if [ "$mode" = build ]; then
  shift
  cmake --build $B -j"$(nproc)" --target fuzzers "$@"
  exit 0
fi
cmake --build $B -j"$(nproc)" --target fuzzers >/dev/null
harnesses=$(ls fuzz/corpus)
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
status=0

# run HARNESS ARGS...: one libFuzzer run; prints a table row from its log and findings.
run() {
  local h=$1
  shift
  local work=$B/work/$h findings=$B/findings/$h log=$B/findings/$h.log
  mkdir -p "$work" "$findings"
  local t0=$SECONDS
  set +e
  "$B/fuzz/fuzz_$h" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$findings/" -print_final_stats=1 \
    "$@" "$work" "fuzz/corpus/$h" >"$log" 2>&1
  local rc=$?
  set -e
  local execs crashes leaks timeouts ooms
  execs=$(grep -aE '^stat::number_of_executed_units:' "$log" | awk '{print $2}' | tail -1)
  crashes=$(grep -acE 'ERROR: (AddressSanitizer|libFuzzer: deadly signal)|runtime error:' "$log" || true)
  leaks=$(grep -ac 'ERROR: LeakSanitizer' "$log" || true)
  timeouts=$(grep -ac 'ERROR: libFuzzer: timeout' "$log" || true)
  ooms=$(grep -acE 'ERROR: libFuzzer: out-of-memory|malloc\(.*\) exceeds limit' "$log" || true)
  printf "%-24s %10s %8s %6s %9s %5s %7ss\n" "$h" "${execs:-?}" "$crashes" "$leaks" "$timeouts" \
    "$ooms" "$((SECONDS - t0))"
  if [ $rc -ne 0 ] || [ "$crashes$leaks$timeouts$ooms" != "0000" ]; then
    echo "  finding (exit $rc), see $log:" >&2
    grep -aE 'ERROR|runtime error|fuzz: vague|Test unit written' "$log" | head -5 >&2
    status=1
  fi
}

printf "%-24s %10s %8s %6s %9s %5s %8s\n" harness executions crashes leaks timeouts ooms time
case $mode in
  smoke)
    secs=${2:-4}
    for h in $harnesses; do run "$h" -max_total_time="$secs"; done
    ;;
  campaign)
    runs=${2:-1000000}
    shift $(($# >= 2 ? 2 : $#))
    [ $# -gt 0 ] && harnesses="$*"
    for h in $harnesses; do run "$h" -runs="$runs"; done
    ;;
  *)
    echo "usage: scripts/fuzz.sh build [TARGET...] | smoke [SECONDS] | campaign [RUNS] [HARNESS...]" >&2
    exit 2
    ;;
esac
exit $status
