#!/usr/bin/env bash
# C3 placement through the CLI (issue 10, item 6): FD-only against the hybrid search
# (--checks final --shortlist 2) at a 101x101x51 search grid, interleaved: per round one FD-only
# run, then five hybrid runs. Prints every run's wall seconds, then the final FV peaks.
#
# usage: bench/c3_cli.sh HEATOP MODEL [THREADS] [ROUNDS]
#   HEATOP   the heatop executable (e.g. build/apps/heatop/heatop)
#   MODEL    a C1 model folder (e.g. from `heatop train examples/c1_surface.yaml --input top -o M`)
#   THREADS  OMP_NUM_THREADS for both modes (default 1)
#   ROUNDS   rounds (default 2)
set -euo pipefail
heatop=$(realpath "${1:?usage: bench/c3_cli.sh HEATOP MODEL [THREADS] [ROUNDS]}")
model=$(realpath "${2:?usage: bench/c3_cli.sh HEATOP MODEL [THREADS] [ROUNDS]}")
export OMP_NUM_THREADS=${3:-1}
rounds=${4:-2}
problem=$(realpath "$(dirname "$0")/../examples/c3_placement.yaml")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
grid='optimizer.eval_grid=[101,101,51]'
for r in $(seq "$rounds"); do
  /usr/bin/time -f "fd-only threads=$OMP_NUM_THREADS %e s" "$heatop" optimize "$problem" \
    --fd-only --set "$grid" -o "$tmp/fd$r" 2>&1 >/dev/null | tail -1
  for i in 1 2 3 4 5; do
    /usr/bin/time -f "hybrid  threads=$OMP_NUM_THREADS %e s" "$heatop" optimize "$problem" \
      --model "$model" --checks final --shortlist 2 --set "$grid" -o "$tmp/hy$r$i" 2>&1 \
      >/dev/null | tail -1
  done
done
for d in "$tmp/fd1" "$tmp/hy11"; do
  python3 -c 'import json, sys; s = json.load(open(sys.argv[1])); print(s["mode"], "final peak", s["final_peak_K_fv"], "K")' "$d/summary.json"
done
