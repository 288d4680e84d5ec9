#!/usr/bin/env bash
# Training speed on one and on two threads (issue 12, item 7): the same configuration and
# number of steps, one run after the other, validation and checkpoints off. Prints each run's
# wall seconds, CPU seconds (user + system) and the ratio of the wall times; then the training's
# own seconds (train_log.csv's last `seconds`: from the start of training, after the process
# has loaded LibTorch, which takes the same serial time in every run) and their ratio.
#
# usage: bench/train_threads.sh HEATOP [CONFIG] [STEPS] [THREADS...]
#   HEATOP   a heatop built with LibTorch (e.g. build/apps/heatop/heatop)
#   CONFIG   operator configuration (default examples/c1_operator.yaml)
#   STEPS    training steps per run (default 400)
#   THREADS  OpenMP thread counts to compare, the first is the baseline (default 1 2)
set -euo pipefail
heatop=${1:?usage: bench/train_threads.sh HEATOP [CONFIG] [STEPS] [THREADS...]}
config=${2:-examples/c1_operator.yaml}
steps=${3:-400}
shift $(($# < 3 ? $# : 3))
threads=("$@")
[ ${#threads[@]} -gt 0 ] || threads=(1 2)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
base=""
base_train=""
printf '%-8s %10s %10s %8s %10s %8s\n' threads "wall s" "CPU s" speed-up "train s" speed-up
for t in "${threads[@]}"; do
  /usr/bin/time -f '%e %U %S' -o "$tmp/time$t" env OMP_NUM_THREADS="$t" "$heatop" train "$config" \
    --set training.steps="$steps" --set training.validate_every=0 \
    --set training.checkpoint_every=0 -o "$tmp/run$t" >"$tmp/log$t" 2>&1 ||
    { cat "$tmp/log$t"; exit 1; }
  read -r wall user sys <"$tmp/time$t"
  train=$(tail -n 1 "$tmp/run$t/train_log.csv" | awk -F, '{ print $NF }')
  [ -n "$base" ] || base=$wall
  [ -n "$base_train" ] || base_train=$train
  awk -v t="$t" -v w="$wall" -v u="$user" -v s="$sys" -v b="$base" -v tr="$train" \
    -v bt="$base_train" \
    'BEGIN { printf "%-8s %10.2f %10.2f %7.2fx %10.2f %7.2fx\n", t, w, u + s, b / w, tr, bt / tr }'
done
