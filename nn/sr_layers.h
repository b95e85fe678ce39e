// nn/sr_layers.h — the layers of super-resolution and image-to-image nets
// (ESRGAN, Real-ESRGAN, pix2pix), each reusable by any model family:
//
//   PReLU               y = max(0, x) + w * min(0, x), one learned slope per
//                       channel (or one for all), init 0.25 (He et al. 2015)
//   PixelShuffle        [N, C r^2, H, W] -> [N, C, H r, W r] (Shi et al. 2016)
//   PixelUnshuffle      its inverse
//   ResidualDenseBlock  ESRGAN's dense block (Wang et al. 2018): five 3x3
//                       convs, each seeing the block input and every earlier
//                       output concatenated (the first four add `growth`
//                       channels each, followed by LeakyReLU(0.2)); the fifth
//                       maps back to `features`, and
//                         y = x + 0.2 * conv5([x, x1, x2, x3, x4])
//   RRDB                residual-in-residual: three dense blocks in a row,
//                         y = x + 0.2 * rdb3(rdb2(rdb1(x)))
//   UNetSNDown          a U-Net discriminator's encoder step (Real-ESRGAN):
//                       spectrally normalized 4x4 stride-2 conv, no bias,
//                       LeakyReLU(0.2): [N, in, H, W] -> [N, out, H/2, W/2]
//   UNetSNUp            its decoder step: bilinear x2 upsampling, a spectrally
//                       normalized 3x3 conv (no bias), LeakyReLU(0.2), plus the
//                       encoder's feature map of that size (the skip)
//
// Residual scaling (0.2) and the small initialization (He-normal weights
// times 0.1, zero biases: esrgan_init_) keep a deep stack of blocks close to
// the identity at the start, which is what lets 23 RRDBs train without
// batch norm. Everything is composed of existing differentiable ops
// (conv2d, cat, leaky_relu, prelu, pixel_shuffle, upsample_bilinear2d), so
// every derivative order comes from the ops.
#pragma once
#include <memory>
#include <vector>

#include "nn/layers.h"

namespace gantry {
namespace nn {

// x [N, C, ...] -> the same shape. weight [num_parameters] (1 or C).
class PReLU : public Module {
 public:
  explicit PReLU(int64_t num_parameters = 1, double init = 0.25);
  Tensor forward(const Tensor& x) override;
  std::string repr() const override;
  Tensor weight;
};

// x [N, C r^2, H, W] -> [N, C, H r, W r]
class PixelShuffle : public Module {
 public:
  explicit PixelShuffle(int64_t upscale_factor) : r(upscale_factor) {}
  Tensor forward(const Tensor& x) override;
  std::string repr() const override;
  int64_t r;
};

// x [N, C, H r, W r] -> [N, C r^2, H, W]
class PixelUnshuffle : public Module {
 public:
  explicit PixelUnshuffle(int64_t downscale_factor) : r(downscale_factor) {}
  Tensor forward(const Tensor& x) override;
  std::string repr() const override;
  int64_t r;
};

// He-normal weights scaled by `scale`, zero biases, for every Conv2d and
// Linear inside m (ESRGAN's default_init_weights, scale 0.1 in its blocks).
void esrgan_init_(Module& m, double scale, RandomState* g = nullptr);

// x [N, features, H, W] -> the same shape
class ResidualDenseBlock : public Module {
 public:
  ResidualDenseBlock(int64_t features = 64, int64_t growth = 32);
  Tensor forward(const Tensor& x) override;
  std::vector<std::shared_ptr<Conv2d>> convs;  // conv1..conv5
  int64_t features, growth;
};

// x [N, features, H, W] -> the same shape
class RRDB : public Module {
 public:
  RRDB(int64_t features = 64, int64_t growth = 32);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<ResidualDenseBlock> rdb1, rdb2, rdb3;
};

// x [N, in, H, W] -> [N, out, H/2, W/2] (H and W even)
class UNetSNDown : public Module {
 public:
  UNetSNDown(int64_t in, int64_t out);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<Module> conv;  // SpectralNorm(Conv2d 4x4, stride 2, pad 1, no bias)
};

// x [N, in, H, W], skip [N, out, 2H, 2W] -> [N, out, 2H, 2W]
class UNetSNUp : public Module {
 public:
  UNetSNUp(int64_t in, int64_t out);
  Tensor forward(const Tensor& x) override;  // an error: the block needs its skip
  Tensor forward(const Tensor& x, const Tensor& skip);
  std::shared_ptr<Module> conv;  // SpectralNorm(Conv2d 3x3, pad 1, no bias)
  int64_t in_channels, out_channels;
};

}  // namespace nn
}  // namespace gantry
