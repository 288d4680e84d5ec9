#!/usr/bin/env bash
# The main job on a fresh Debian machine: install dependencies, build, solve the example designs
# and leave results and pictures in out/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
H=build/apps/heatop/heatop
$H solve examples/c1_surface.yaml -o out/c1
$H solve examples/c1_surface.yaml --set grid.nx=41 --set grid.ny=41 --set grid.nz=21 \
    --set top.power_map=maps/map_c6.txt -o out/c6
$H solve examples/c2_volumetric.yaml -o out/c2
$H solve examples/c4_stack.yaml --probe examples/sensors.csv -o out/c4
echo "results: out/c1 out/c6 out/c2 out/c4 (summary.json, T.npy, T.vti/.vtr, *.png, probes.csv)"
