// bench/stylegan_shapes.h — the shapes of the style-based rows, shared by
// bench_ops (Gantry) and bench_libtorch (the same composed ops in LibTorch),
// so the two programs time the same work. They are the 16 -> 32 block of
// configs/stylegan2.toml at batch 32: 64 feature maps at 16x16, 32 at 32x32.
#pragma once
#include <cstdint>

namespace gantry {
namespace bench {

// upfirdn2d with the [1,3,3,1] filter, separable (two passes), as the
// networks use it: Arg 0 = upsample 2x [32,64,16,16] -> [32,64,32,32]
// (pads 2,1), Arg 1 = downsample 2x [32,64,32,32] -> [32,64,16,16] (pads 1,1).
struct ResampleShape {
  const char* name;
  int64_t N, C, H, W, up, down, pad0, pad1;
};
constexpr ResampleShape kResampleShapes[] = {
    {"upsample2d 16->32", 32, 64, 16, 16, 2, 1, 2, 1},
    {"downsample2d 32->16", 32, 64, 32, 32, 1, 2, 1, 1},
};

// Modulated 3x3 convolution with demodulation: x [32,64,32,32], w [32,64,3,3],
// styles [32,64], padding 1 -> [32,32,32,32].
constexpr int64_t kModN = 32, kModC = 64, kModO = 32, kModHW = 32, kModK = 3;

}  // namespace bench
}  // namespace gantry
