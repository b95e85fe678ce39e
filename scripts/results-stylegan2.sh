#!/usr/bin/env bash
# scripts/results-stylegan2.sh — the stylegan2 row of docs/results.md:
# stylegan2 and dcgan trained side by side for the same wall-clock budget
# (one CPU thread each, so each has one of the two cores), then FID-FMNIST
# etc. on 10,000 samples, PPL-W for stylegan2, a style-mixing grid, a
# projection of a real test image and a direction sheet.
#
#   OUT=/tmp/r19 MINUTES=60 bash scripts/results-stylegan2.sh [train|eval|all]
#
# GANTRY (default ./build/apps/gantry) is the CLI; train runs in the
# background of each other, eval after both have stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-/tmp/results-stylegan2}"
MINUTES="${MINUTES:-60}"
G="${GANTRY:-./build/apps/gantry}"
what="${1:-all}"
mkdir -p "$OUT"

if [ "$what" = train ] || [ "$what" = all ]; then
  "$G" train --config configs/stylegan2.toml --steps 1000000 --max-minutes "$MINUTES" --seed 0 \
    --threads 1 --out "$OUT/stylegan2" --quiet >"$OUT/stylegan2.log" 2>&1 &
  a=$!
  "$G" train --config configs/dcgan.toml --steps 1000000 --max-minutes "$MINUTES" --seed 0 \
    --threads 1 --out "$OUT/dcgan" --quiet >"$OUT/dcgan.log" 2>&1 &
  b=$!
  wait $a
  wait $b
fi

if [ "$what" = eval ] || [ "$what" = all ]; then
  S="$OUT/stylegan2/checkpoint.safetensors"
  D="$OUT/dcgan/checkpoint.safetensors"
  # The samplers: stylegan2's EMA generator (its config keeps one), dcgan's G
  # (its config keeps none); 10,000 samples of seed 7 against the test set.
  "$G" eval "$S" --ema --n 10000 --seed 7 --threads 2 | tee "$OUT/stylegan2.eval"
  "$G" eval "$D" --n 10000 --seed 7 --threads 2 | tee "$OUT/dcgan.eval"
  "$G" sample --checkpoint "$S" --ema --n 64 --seed 7 --out "$OUT/sg2.npy" --png "$OUT/stylegan2.png"
  "$G" sample --checkpoint "$D" --n 64 --seed 7 --out "$OUT/dc.npy" --png "$OUT/dcgan.png"
  "$G" sample --checkpoint "$S" --ema --truncation-psi 0.7 --n 64 --seed 7 --out "$OUT/sg2-psi.npy" \
    --png "$OUT/stylegan2-psi0.7.png"
  # Rows give the coarse styles (layers 0..3: 4x4 and 8x8), columns the rest.
  "$G" sample --checkpoint "$S" --ema --mix-rows 1,2,3,4 --mix-cols 11,12,13,14,15 --mix-cutoff 4 \
    --out "$OUT/mix.npy" --png "$OUT/stylegan2-mixing.png"
  "$G" sample --checkpoint "$S" --ema --interpolate --space w --seed 3 --seed-b 4 \
    --out "$OUT/interp.npy" --png "$OUT/stylegan2-interp-w.png"
  # A real test image (test index 1, a pullover) projected into W+.
  scripts/fmnist-png 1 "$OUT/target.png"
  "$G" project --checkpoint "$S" --ema --target "$OUT/target.png" --w-plus --steps 1000 \
    --out "$OUT/project" | tee "$OUT/project.log"
  "$G" directions --checkpoint "$S" --ema --method both --k 10 --rows 5 --seeds 0,1,2 \
    --out "$OUT/directions" | tee "$OUT/directions.log"
fi
