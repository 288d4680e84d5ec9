#!/usr/bin/env bash
# The main job on a fresh Debian machine: install dependencies, build, then the end-to-end demo:
# solve designs with the FV solver, train a small neural operator, predict with a confidence
# estimate, refine, optimize a placement (FV-only and hybrid), run a short transient (a power
# trace over 40 ms), and leave pictures and a summary
# in out/ (out/SUMMARY.md). A few minutes on a 2-core CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
H=build/apps/heatop/heatop
step() { echo; echo "== $*"; }
step "1. FV solves (C1 surface map, C4 stiff two-die stack with sensors)"
$H solve examples/c1_surface.yaml -o out/c1
$H solve examples/c4_stack.yaml --probe examples/sensors.csv -o out/c4
step "2. train a small neural operator for C1 (3,000 steps, about a minute)"
$H train examples/c1_operator_quick.yaml -o out/model_c1
step "3. predict with a confidence estimate, then refine to 0.01 K"
$H predict out/model_c1 examples/c1_surface.yaml -o out/c1_pred
$H predict out/model_c1 examples/c1_surface.yaml --refine --tol 0.01 -o out/c1_refined
step "4. placement optimization (C3): FV-only baseline and hybrid"
$H optimize examples/c3_placement.yaml --fd-only -o out/opt_fd
$H optimize examples/c3_placement.yaml --model out/model_c1 -o out/opt_hybrid
$H optimize examples/c3_placement.yaml --model out/model_c1 --checks final --shortlist 2 -o out/opt_final
step "5. transient: a power trace over 40 ms (adaptive BDF2, a few seconds)"
$H transient examples/t1_transient.yaml --trace examples/t1_trace.csv --until 0.04 \
    --probe examples/t1_probes.csv --save-every 0.01 --no-progress -o out/t1
step "summary"
/usr/bin/python3 - <<'PY'
import json
def j(p): return json.load(open(p))
c1, c4, pr, rf = j("out/c1/summary.json"), j("out/c4/summary.json"), j("out/c1_pred/summary.json"), j("out/c1_refined/summary.json")
fd, hy, hf = j("out/opt_fd/summary.json"), j("out/opt_hybrid/summary.json"), j("out/opt_final/summary.json")
t1 = j("out/t1/summary.json")
lines = [
  "# heatop demo summary", "",
  f"- C1 FV solve: peak {c1['T_max_K']:.3f} K, {c1['solver']['iterations']} CG+MG iterations, {c1['solver']['seconds']:.3f} s (out/c1/top.png)",
  f"- C4 FV solve: peak {c4['T_max_K']:.3f} K, {c4['grid']['nodes']} nodes, {c4['solver']['iterations']} iterations, {c4['solver']['seconds']:.2f} s (out/c4/*.png, probes.csv)",
  f"- C1 surrogate prediction: peak {pr['T_max_K']:.3f} K; estimated max error {pr['confidence']['est_max_error_K']:.3f} K, score {pr['confidence']['score']:.2f}, trusted: {pr['confidence']['trusted']} (out/c1_pred/error.png)",
  f"- refined to {rf['refinement']['tolerance_K']} K: peak {rf['T_max_K']:.3f} K, estimated error {rf['confidence']['est_max_error_K']:.4f} K",
  f"- C3 placement, FV-only: {fd['start_peak_K_fv']:.3f} K -> {fd['final_peak_K_fv']:.3f} K in {fd['wall_seconds']:.1f} s (out/opt_fd/floorplan.png)",
  f"- C3 placement, hybrid (FV checks of every new best): {hy['start_peak_K_fv']:.3f} K -> {hy['final_peak_K_fv']:.3f} K (surrogate said {hy['final_peak_K_surrogate']:.3f} K) in {hy['wall_seconds']:.1f} s, {hy['evaluations']['surrogate']} surrogate and {hy['evaluations']['fv']} FV evaluations",
  f"- C3 placement, hybrid (surrogate search, FV on the best 2): {hf['start_peak_K_fv']:.3f} K -> {hf['final_peak_K_fv']:.3f} K (surrogate said {hf['final_peak_K_surrogate']:.3f} K) in {hf['wall_seconds']:.1f} s, {hf['evaluations']['surrogate']} surrogate and {hf['evaluations']['fv']} FV evaluations (out/opt_final/convergence.png)",
  f"- t1 transient (3 power changes over {t1['t_end_s']:g} s): {t1['steps']['accepted']} BDF2 steps ({t1['steps']['rejected']} rejected), {t1['cg_iterations']['total']} CG iterations, peak {t1['T_max_over_run_K']:.3f} K at t = {t1['T_max_time_s']:g} s, energy balance {t1['energy']['run_balance_rel']:.1e}, {t1['wall_seconds']:.1f} s (out/t1/temperature_vs_time.png, trace.csv, probes.csv, T.pvd)",
]
open("out/SUMMARY.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
