#!/usr/bin/env bash
# Issue 11, item 3: a 10^4-step HotSpot-style trace on EV6 at 64 x 64 (HotSpot example 2's
# config, floorplan and materials in bench/data/ev6; a deterministic 10^4-row .ptrace made from
# its gcc.ptrace by bench/data/ev6/make_ptrace.py; HotSpot's default sampling interval
# 3.333 us, so the trace covers 33.3 ms). Measures wall time and peak memory of
# `heatop transient` (/usr/bin/time) and reads steps, rejections and CG iterations from its
# summary.json. Usage: bench/transient_ev6.sh [HEATOP] [ROWS] [TOL] [THREADS] [OUT.json]
set -euo pipefail
cd "$(dirname "$0")/.."
H=${1:-build/apps/heatop/heatop}
ROWS=${2:-10000}
TOL=${3:-0.05}
THREADS=${4:-1}
OUT=${5:-bench/results/transient_ev6.json}
D=bench/data/ev6
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
python3 $D/make_ptrace.py $D/gcc.ptrace "$W/trace.ptrace" "$ROWS"
"$H" import hotspot -c $D/example.config -f $D/ev6.flp -p $D/gcc.ptrace \
  --materials $D/example.materials -grid_rows 64 -grid_cols 64 -o "$W/ev6.yaml" > /dev/null
/usr/bin/time -f "%e %M" -o "$W/time.txt" "$H" transient "$W/ev6.yaml" --trace "$W/trace.ptrace" \
  --sampling-intvl 3.333e-6 --initial steady-mean --tol "$TOL" --threads "$THREADS" \
  --no-progress -o "$W/out" | tee "$W/line.txt"
python3 - "$W" "$OUT" "$ROWS" "$TOL" "$THREADS" <<'PY'
import json, os, sys
w, out, rows, tol, threads = sys.argv[1:6]
wall, kb = open(os.path.join(w, "time.txt")).read().split()[-2:]
s = json.load(open(os.path.join(w, "out", "summary.json")))
r = {
    "case": "EV6 (HotSpot example 2) at 64 x 64, deterministic %s-row .ptrace, 3.333 us per row" % rows,
    "command": "bench/transient_ev6.sh HEATOP %s %s %s" % (rows, tol, threads),
    "grid": [s["grid"]["nx"], s["grid"]["ny"], s["grid"]["nz"]], "nodes": s["grid"]["nodes"],
    "rows": int(rows), "simulated_s": s["t_end_s"] - s["t_start_s"],
    "tol_K": float(tol), "threads": int(threads),
    "steps_accepted": s["steps"]["accepted"], "steps_rejected": s["steps"]["rejected"],
    "cg_iterations": s["cg_iterations"]["total"], "wall_s": float(wall),
    "peak_rss_mib": int(kb) / 1024.0, "T_max_over_run_K": s["T_max_over_run_K"],
    "max_step_balance_rel": s["energy"]["max_step_balance_rel"],
    "load_average": open("/proc/loadavg").read().split()[:3], "nproc": os.cpu_count(),
}
os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
json.dump(r, open(out, "w"), indent=1)
print(json.dumps(r, indent=1))
PY
