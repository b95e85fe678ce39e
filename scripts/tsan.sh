#!/usr/bin/env bash
# scripts/tsan.sh — the threading tests (tests/test_threads.cpp: shared
# parameters across threads, algorithm forcing during dispatch, RNG
# reservations during reseeding) built with ThreadSanitizer (GCC) into
# ./build-tsan (or $GANTRY_TSAN_DIR) and run. Any reported race fails.
#
#   bash scripts/tsan.sh
#
# OpenMP's runtime (libgomp) is not instrumented, so its barriers look like
# races to TSan: the kernels run on one OpenMP thread here (OMP_NUM_THREADS=1),
# and the threads under test are the program's own std::threads.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR="${GANTRY_TSAN_DIR:-build-tsan}"
SAN="-fsanitize=thread -fno-omit-frame-pointer"
start=$(date +%s)
cmake -S . -B "$BUILD_DIR" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DGANTRY_CUDA=OFF -DGANTRY_BENCH=OFF -DGANTRY_TESTS=ON -DGANTRY_LINK_CHECK=OFF \
  -DCMAKE_DISABLE_FIND_PACKAGE_Torch=ON \
  -DCMAKE_CXX_FLAGS="$SAN" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
  -DCMAKE_EXE_LINKER_FLAGS="$SAN" \
  -DCMAKE_SHARED_LINKER_FLAGS="$SAN" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" --target test_threads
echo "tsan: built in $(( $(date +%s) - start )) s"
export OMP_NUM_THREADS=1
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
"$BUILD_DIR/tests/test_threads"
echo "tsan: clean in $(( $(date +%s) - start )) s"
