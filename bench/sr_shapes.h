// bench/sr_shapes.h — the super-resolution row of `gantry bench`: the
// default model of configs/esrgan.toml (RRDBNet, 32 features, 4 blocks,
// growth 16, x4, plus the bilinear enlargement of the input) upscaling one 256x256 RGB image to 1024x1024, forward only
// (inference). Shared by apps/bench.cpp (Gantry) and bench_libtorch (its
// twin), so both time the same network. Plain C++: no Gantry or LibTorch types.
#pragma once
#include <cstdint>

namespace gantry {
namespace bench {

constexpr int64_t kSRChannels = 3, kSRScale = 4, kSRFeatures = 32, kSRBlocks = 4, kSRGrowth = 16;
constexpr int64_t kSRSize = 256;  // the LR side
constexpr bool kSRBilinearSkip = true;

}  // namespace bench
}  // namespace gantry
