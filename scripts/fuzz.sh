#!/usr/bin/env bash
# scripts/fuzz.sh — builds the libFuzzer targets (tests/fuzz, clang 14, ASan +
# UBSan) into ./build-fuzz (or $GANTRY_FUZZ_DIR) and runs each for a fixed,
# deterministic budget (-seed=1, -runs=N) on a scratch copy of its committed
# seed corpus (tests/fuzz/corpus/<target>/, never grown by this script).
# Prints each run's final libFuzzer line (executions, cov, exec/s, rss) and
# exits non-zero on any crash, sanitizer report, leak, timeout or
# out-of-memory; the offending input is kept under $GANTRY_FUZZ_DIR/artifacts/.
#
#   bash scripts/fuzz.sh                      # all five targets
#   bash scripts/fuzz.sh fuzz_npy fuzz_idx    # some of them
#   GANTRY_FUZZ_SCALE=10 bash scripts/fuzz.sh # ten times the runs
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR="${GANTRY_FUZZ_DIR:-build-fuzz}"
SCALE="${GANTRY_FUZZ_SCALE:-1}"
CC_BIN="${GANTRY_FUZZ_CC:-clang-14}"
CXX_BIN="${GANTRY_FUZZ_CXX:-clang++-14}"

# Runs per target: 25–45 s each on the 2-core CI machine, about 3 minutes in all
# (figures in docs/reliability.md).
declare -A RUNS=(
  [fuzz_idx]=150000
  [fuzz_npy]=150000
  [fuzz_safetensors]=150000
  [fuzz_config]=300000   # toml++ + the option table: 5,100-7,000 exec/s here, under 60 s (was 1M for the old parser)
  [fuzz_image]=150000
)
ALL=(fuzz_idx fuzz_npy fuzz_safetensors fuzz_config fuzz_image)
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${ALL[@]}")

if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  CC="$CC_BIN" CXX="$CXX_BIN" cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release \
    -DGANTRY_FUZZ=ON -DGANTRY_CUDA=OFF -DGANTRY_BENCH=OFF -DGANTRY_TESTS=OFF
fi
cmake --build "$BUILD_DIR" -j"$(nproc)" --target "${TARGETS[@]}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
summary=()
failed=0
for t in "${TARGETS[@]}"; do
  n=$(( ${RUNS[$t]} * SCALE ))
  corpus="$work/$t"
  mkdir -p "$corpus" "$BUILD_DIR/artifacts/$t"
  cp tests/fuzz/corpus/"$t"/* "$corpus"/
  log="$BUILD_DIR/artifacts/$t.log"
  echo "== $t: -runs=$n =="
  start=$EPOCHREALTIME
  rc=0
  "$BUILD_DIR/tests/fuzz/$t" -seed=1 -runs="$n" -rss_limit_mb=2048 -malloc_limit_mb=2048 \
    -max_len=65536 -timeout=60 -print_final_stats=1 \
    -artifact_prefix="$BUILD_DIR/artifacts/$t/" "$corpus" >"$log" 2>&1 || rc=$?
  secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  final=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
  [ -z "$final" ] && final=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  if [ "$rc" -ne 0 ]; then
    failed=1
    echo "$t: FAILED (exit $rc) — log: $log"
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written|==[0-9]+==' "$log" | head -20 || true
  fi
  line=$(printf '%-17s %6s s  %s' "$t" "$secs" "$final")
  echo "$line"
  summary+=("$line")
done

echo "== fuzz summary (seed 1) =="
printf '%s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
  echo "fuzz: FAILED — crash inputs under $BUILD_DIR/artifacts/"
  exit 1
fi
echo "fuzz: all targets clean"
