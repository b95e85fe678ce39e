#!/usr/bin/env bash
# scripts/bench-wgan-gp-step.sh — WGAN-GP training step time and peak memory,
# two gantry binaries alternated (ABAB...), for before/after comparisons of the
# step loop. Each run trains 30 steps of wgan-gp (batch 64, 5 critic steps) on
# 4096 Fashion-MNIST images with 2 threads; ms/step is the mean over the
# metrics.csv windows of steps 11-20 and 21-30 (one step = 64 x 6 images), and
# max RSS is the process's peak (GNU time).
#
#   bash scripts/bench-wgan-gp-step.sh OLD/gantry NEW/gantry [ROUNDS=3]
set -euo pipefail
A=$1
B=$2
ROUNDS=${3:-3}
for r in $(seq 1 "$ROUNDS"); do
  for name in A B; do
    bin=${!name}
    out=$(mktemp -d)
    /usr/bin/time -f "%M" -o "$out/rss" "$bin" train --model wgan-gp --steps 30 --data-limit 4096 \
      --threads 2 --log-every 10 --sample-every 0 --checkpoint-every 0 --quiet --out "$out/run" \
      >/dev/null 2>&1
    ms=$(awk -F, 'NR > 2 { s += 64 * 6 / $9 * 1000; n++ } END { printf "%.1f", s / n }' "$out/run/metrics.csv")
    echo "$name ($bin) round $r: $ms ms/step, max RSS $(($(cat "$out/rss") / 1024)) MiB"
    rm -rf "$out"
  done
done
