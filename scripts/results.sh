#!/usr/bin/env bash
# scripts/results.sh — trains every model of the GAN family on Fashion-MNIST,
# draws 10,000 samples from each, scores them with `gantry eval`, and prints
# the docs/results.md table (markdown) on stdout; logs go to $OUT/<model>/.
#
#   bash scripts/results.sh                      # 5 epochs per model (hours on 2 cores)
#   STEPS=200 bash scripts/results.sh            # a short smoke run per model
#   MODELS="dcgan sngan" EPOCHS=1 bash scripts/results.sh
#   MINUTES=30 bash scripts/results.sh           # the equal-wall-clock table
# Environment: EPOCHS (default 5; an epoch = one pass of D over the 60,000
# training images), STEPS (generator steps; overrides EPOCHS), MINUTES (a
# wall-clock budget per model, max_minutes; overrides both), SEED (0),
# THREADS (2), MODELS (all six), OUT (runs/results), N (10000 samples),
# NICE (19: the priority the runs use on a shared machine).
# Each checkpoint is scored by `gantry eval CHECKPOINT --seed 7` (the same
# numbers as sampling with seed 7 and scoring the .npy); for the
# class-conditional cdcgan the row adds intra-FID and intra-class recall.
set -euo pipefail
cd "$(dirname "$0")/.."
GANTRY=${GANTRY:-./build/apps/gantry}
EPOCHS=${EPOCHS:-5}
STEPS=${STEPS:-}
SEED=${SEED:-0}
THREADS=${THREADS:-2}
MINUTES=${MINUTES:-}
MODELS=${MODELS:-"dcgan wgan-gp r1 sngan cdcgan sagan"}
OUT=${OUT:-runs/results}
N=${N:-10000}
NICE=${NICE:-19}
# On a shared machine, idle OpenMP threads should sleep rather than spin.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
[ -x "$GANTRY" ] || { echo "results.sh: $GANTRY not built (bash scripts/setup.sh)" >&2; exit 1; }

if [ -n "$MINUTES" ]; then length=(--steps 100000000 --max-minutes "$MINUTES")
elif [ -n "$STEPS" ]; then length=(--steps "$STEPS"); else length=(--epochs "$EPOCHS"); fi
mkdir -p "$OUT"
# The metrics' classifier is committed in assets/; recreate it only if it is missing.
[ -f assets/fmnist_classifier.safetensors ] ||
  nice -n "$NICE" "$GANTRY" train-classifier --threads "$THREADS" >&2

row() {  # model, seconds, steps, eval output file
  local m=$1 secs=$2 steps=$3 ev=$4
  local per_epoch
  if [ -n "$STEPS" ] || [ -n "$MINUTES" ]; then per_epoch="-"
  else per_epoch=$(awk -v s="$secs" -v e="$EPOCHS" 'BEGIN{printf "%.0f", s/e}'); fi
  get() { awk -v who="$1" -v what="$2" '$1==who && $2==what {print $3}' "$ev"; }
  local intra="-"
  [ -n "$(get samples intra-FID)" ] && intra="$(get samples intra-FID) / $(get samples intra-recall)"
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$m" "$steps" \
    "$(get samples FID-FMNIST)" "$(get samples KID)" "$(get samples precision)" "$(get samples recall)" \
    "$(get samples class-coverage)" "$intra" "$secs" "$per_epoch"
}

echo "| model | G steps | FID-FMNIST | KID | precision | recall | class coverage | intra-FID / intra-recall | wall s | s/epoch |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for m in $MODELS; do
  dir="$OUT/$m"
  rm -rf "$dir"
  mkdir -p "$dir"
  start=$(date +%s)
  nice -n "$NICE" "$GANTRY" train --config "configs/$m.toml" "${length[@]}" --seed "$SEED" \
    --threads "$THREADS" --out "$dir" --quiet 2> "$dir/train.log"
  secs=$(( $(date +%s) - start ))
  steps=$(tail -n 1 "$dir/metrics.csv" | cut -d, -f1)
  nice -n "$NICE" "$GANTRY" sample --checkpoint "$dir/checkpoint.safetensors" --n "$N" \
    --out "$dir/samples.npy" --png "$dir/samples.png" --seed 7 2> "$dir/sample.log"
  nice -n "$NICE" "$GANTRY" eval "$dir/checkpoint.safetensors" --n "$N" --seed 7 --threads "$THREADS" \
    > "$dir/eval.txt" 2> "$dir/eval.log"
  row "$m" "$secs" "$steps" "$dir/eval.txt"
done
# The calibration floor: real training images against the test images.
ev="$OUT/$(echo $MODELS | awk '{print $1}')/eval.txt"
get() { awk -v who="$1" -v what="$2" '$1==who && $2==what {print $3}' "$ev"; }
printf '| real train vs test | - | %s | %s | %s | %s | %s | - | - | - |\n' \
  "$(get real-train FID-FMNIST)" "$(get real-train KID)" "$(get real-train precision)" \
  "$(get real-train recall)" "$(get real-train class-coverage)"
