#!/usr/bin/env bash
# scripts/sanitize.sh — the library, the CLI and the whole test suite built
# with AddressSanitizer + UndefinedBehaviorSanitizer (GCC) into ./build-asan
# (or $GANTRY_ASAN_DIR), with the CUDA backend in emulation
# (-DGANTRY_CUDA_EMULATION=ON: kernels/cuda runs on the CPU, docs/cuda.md), so
# device memory is host memory and an out-of-bounds kernel access is an ASan
# report. Then CTest's `unit` and `cuda` labels (tests/CMakeLists.txt) run
# with LeakSanitizer on, and the `cuda` label once more under a second
# thread schedule (GANTRY_CUDA_EMU_SCHEDULE=2); the end-to-end training runs
# are left to the main build.
# Any sanitizer report fails the test that triggered it (UBSan does not
# recover; ASan aborts), so a green CTest means a clean run.
#
#   bash scripts/sanitize.sh
#
# Debug information is line tables only (-g1), zlib-compressed (-gz): enough
# for a report's stack to name files and lines (libsanitizer's symbolizer
# reads compressed sections), and the tree stays small. With full -g every
# test binary carried the whole library's DWARF, about 200 MB each and 8 GB
# in all, which filled the CI machine's disk once; -g1 alone left 5.1 GB.
#
# LibTorch is not instrumented, so its cross-check is left out
# (CMAKE_DISABLE_FIND_PACKAGE_Torch); the benchmarks are off.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR="${GANTRY_ASAN_DIR:-build-asan}"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
start=$(date +%s)

cmake -S . -B "$BUILD_DIR" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DGANTRY_CUDA_EMULATION=ON -DGANTRY_BENCH=OFF -DGANTRY_TESTS=ON \
  -DCMAKE_DISABLE_FIND_PACKAGE_Torch=ON \
  -DCMAKE_CXX_FLAGS="$SAN" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -gz -DNDEBUG" \
  -DCMAKE_EXE_LINKER_FLAGS="$SAN -gz" \
  -DCMAKE_SHARED_LINKER_FLAGS="$SAN -gz"
cmake --build "$BUILD_DIR" -j"$(nproc)"
built=$(date +%s)
echo "sanitize: built in $((built - start)) s"

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
if [ -f scripts/lsan.supp ]; then
  export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0"
fi
# The unit label: training smoke runs (e2e) happen once, in the main build.
ctest --test-dir "$BUILD_DIR" --output-on-failure -L '^unit$'
unit_done=$(date +%s)
echo "sanitize: unit clean in $((unit_done - built)) s"
# The cuda label (every CUDA test, the kernels running in emulation), under
# two thread schedules. Stack-use-after-return detection is off for these:
# ASan would create and destroy a fake stack for every CUDA thread's fiber
# (kernels/cuda/emu/scheduler.cpp), which made the DCGAN runs 10x slower;
# kernels keep no pointers to their locals, and every other check stays on.
export ASAN_OPTIONS="${ASAN_OPTIONS/detect_stack_use_after_return=1/detect_stack_use_after_return=0}"
GANTRY_CUDA_EMU_SCHEDULE=1 ctest --test-dir "$BUILD_DIR" --output-on-failure -L '^cuda$'
s1_done=$(date +%s)
echo "sanitize: cuda (emulated, schedule 1) clean in $((s1_done - unit_done)) s"
GANTRY_CUDA_EMU_SCHEDULE=2 ctest --test-dir "$BUILD_DIR" --output-on-failure -L '^cuda$'
echo "sanitize: cuda (emulated, schedule 2) clean in $(( $(date +%s) - s1_done )) s" \
     "(total $(( $(date +%s) - start )) s)"
