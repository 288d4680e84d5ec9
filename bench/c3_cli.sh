#!/usr/bin/env bash
# C3 placement through the CLI (issue 10, item 6): FD-only against the hybrid search
# (--checks final --shortlist 2) at a 101x101x51 search grid, interleaved: per round one FD-only
# run, then five hybrid runs. Prints every run's wall seconds, then the final FV peaks, then the
# medians over the hybrid runs of summary.json's `seconds` (time by phase) and of the process
# wall time outside the library call (start-up, output files, exit).
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
    /usr/bin/time -f "hybrid  threads=$OMP_NUM_THREADS %e s" -o "$tmp/time$r$i" "$heatop" \
      optimize "$problem" --model "$model" --checks final --shortlist 2 --set "$grid" \
      -o "$tmp/hy$r$i" >/dev/null 2>&1
    cat "$tmp/time$r$i"
  done
done
for d in "$tmp/fd1" "$tmp/hy11"; do
  python3 -c 'import json, sys; s = json.load(open(sys.argv[1])); print(s["mode"], "final peak", s["final_peak_K_fv"], "K")' "$d/summary.json"
done
python3 - "$tmp" <<'EOF'
import glob, json, os, statistics, sys
runs = sorted(glob.glob(os.path.join(sys.argv[1], "hy*")))
phases = ["setup", "start", "search", "final_checks", "verification", "surrogate", "fv_checks"]
rows = {p: [] for p in phases + ["process", "outside"]}
for d in runs:
    s = json.load(open(os.path.join(d, "summary.json")))
    timing = os.path.join(os.path.dirname(d), "time" + os.path.basename(d)[2:])
    wall = float(open(timing).read().split()[2])
    for p in phases:
        rows[p].append(s["seconds"][p])
    rows["process"].append(wall)
    rows["outside"].append(wall - s["seconds"]["setup"] - s["wall_seconds"])
print("hybrid medians over %d runs (s):" % len(runs),
      " ".join("%s %.4f" % (p, statistics.median(v)) for p, v in rows.items()))
EOF
