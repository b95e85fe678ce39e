#!/usr/bin/env bash
# scripts/setup.sh — one idempotent step from a fresh Debian 12 machine (as
# root) to a built Gantry: installs the Debian packages the project needs
# (apt-get update once, only when something is missing), configures and
# builds into ./build (or $GANTRY_BUILD_DIR).
#
#   bash scripts/setup.sh                 # Release build, CUDA when nvcc exists
#   GANTRY_CMAKE_ARGS="-DGANTRY_CUDA=OFF" bash scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# Everything the build, tests and benchmarks need from Debian.
PACKAGES=(
  build-essential cmake pkg-config
  libeigen3-dev       # GEMM on the CPU
  catch2              # tests (Catch2 v2)
  libbenchmark-dev    # bench/
  libtorch-dev        # tests and bench only: the LibTorch cross-check and bench/bench_libtorch
  libopenblas0-openmp # so LibTorch's matmul is not the reference BLAS
  libopenblas-openmp-dev # bench only: the OpenBLAS GEMM rows of bench/bench_libtorch
  zlib1g-dev          # gzipped IDX data (gan/data/idx)
  libstb-dev          # PNG read and write (gan/data/image)
  libjpeg62-turbo-dev # JPEG read (gan/data/image)
  nlohmann-json3-dev  # safetensors checkpoint headers (nn/safetensors)
  libtomlplusplus-dev # TOML configs (gan/config.cpp; header-only use)
  libcli11-dev        # the command line and its --help (apps/cli.cpp; header-only)
  dataset-fashion-mnist # the training data: /usr/share/datasets/fashion-mnist
  clang-14 libclang-rt-14-dev libomp-14-dev  # scripts/fuzz.sh: libFuzzer + ASan/UBSan, OpenMP for clang
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

BUILD_DIR="${GANTRY_BUILD_DIR:-build}"
# shellcheck disable=SC2086
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release ${GANTRY_CMAKE_ARGS:-}
cmake --build "$BUILD_DIR" -j"$(nproc)"
echo "setup: built into $BUILD_DIR"
