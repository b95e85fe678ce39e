// gan/models/sr/sr.h — the super-resolution family: generators that map a
// low-resolution image to one `scale` times larger, and the discriminators
// that judge high-resolution images (ESRGAN, Wang et al. 2018; Real-ESRGAN,
// Wang et al. 2021, and its compact model). Images are [N, C, H, W] in
// [-1, 1]; a generator maps [N, C, h, w] -> [N, C, h*scale, w*scale].
//
//   RRDBNet        conv_first -> `blocks` RRDBs -> conv_body, plus the long
//                  skip from conv_first; then per factor 2 a nearest x2
//                  upsampling + 3x3 conv + LeakyReLU(0.2); conv_hr + LeakyReLU;
//                  conv_last. Scale 1 or 2 first pixel-unshuffles the input
//                  by 4 / scale, so the body always upsamples x4 (as
//                  Real-ESRGAN's x2 model). The paper's model is
//                  features 64, growth 32, blocks 23; small ones train on 2 cores.
//                  With bilinear_skip the output adds the input enlarged
//                  bilinearly (global residual learning, as VDSR, Kim et al.
//                  2016; Real-ESRGAN's compact net adds nearest), and
//                  conv_last starts at 0.1 x its default weights: the net
//                  starts near bilinear interpolation instead of near 0,
//                  which a short CPU budget needs (docs/sr.md).
//   SRVGGCompact   Real-ESRGAN's compact net: conv_first + PReLU, `convs`
//                  x (3x3 conv + PReLU), a conv to C*scale^2 channels and a
//                  pixel shuffle, plus the nearest-upsampled input (the net
//                  learns the residual over nearest neighbour).
//   VGGStyleD      ESRGAN's discriminator: stages of a 3x3 conv and a 4x4
//                  stride-2 conv, each with BatchNorm (not the very first
//                  conv) and LeakyReLU(0.2), widths features x (1, 2, 4, 8, 8,
//                  ...), until the side is 4; then Linear(100) + LeakyReLU +
//                  Linear(1): one logit per image. ESRGAN's VGG128 is
//                  input_size 128 (5 stages); any power of two >= 8 works.
//   UNetDSN        Real-ESRGAN's U-Net discriminator with spectral norm: an
//                  encoder of three stride-2 steps (widths x2, x4, x8), a
//                  decoder of three bilinear x2 steps with skips, two more SN
//                  convs and a 3x3 conv to 1 channel: a logit per PIXEL
//                  [N, 1, H, W], so it judges local texture as well as the
//                  whole (H and W divisible by 8).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "nn/sr_layers.h"

namespace gantry {
namespace gan {

// The super-resolution models `gantry train --model` knows (they train with
// SRTrainer, gan/sr_trainer.h, not the GAN registry of gan/models/model.h):
// esrgan (RRDBNet or compact G, VGG-style D, bicubic LR, RaGAN) and
// realesrgan (U-Net D, the second-order degradations, vanilla GAN).
const std::vector<std::string>& sr_model_names();
bool is_sr_model(const std::string& name);

// x [N, C, h, w] -> [N, C, h*scale, w*scale]; scale 1, 2 or 4 (h and w
// divisible by 4 / scale).
class RRDBNet : public nn::Module {
 public:
  RRDBNet(int64_t channels = 3, int64_t scale = 4, int64_t features = 64, int64_t blocks = 23,
          int64_t growth = 32, bool bilinear_skip = false);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<nn::Conv2d> conv_first, conv_body, conv_up1, conv_up2, conv_hr, conv_last;
  std::shared_ptr<nn::Sequential> body;
  int64_t channels, scale, features, blocks, growth;
  bool bilinear_skip;
};

// x [N, C, h, w] -> [N, C, h*scale, w*scale]; scale >= 1
class SRVGGCompact : public nn::Module {
 public:
  SRVGGCompact(int64_t channels = 3, int64_t scale = 4, int64_t features = 64, int64_t convs = 16);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<nn::Sequential> body;  // conv, PReLU, (conv, PReLU) x convs, conv
  int64_t channels, scale, features, convs;
};

// x [N, C, S, S], S = input_size (a power of two >= 8) -> logits [N, 1]
class VGGStyleD : public nn::Module {
 public:
  VGGStyleD(int64_t channels = 3, int64_t features = 64, int64_t input_size = 128);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<nn::Sequential> features_net;
  std::shared_ptr<nn::Linear> linear1, linear2;
  int64_t channels, input_size;
};

// x [N, C, H, W] (H, W divisible by 8) -> per-pixel logits [N, 1, H, W]
class UNetDSN : public nn::Module {
 public:
  UNetDSN(int64_t channels = 3, int64_t features = 64);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<nn::Conv2d> conv0, conv9;
  std::shared_ptr<nn::UNetSNDown> down1, down2, down3;
  std::shared_ptr<nn::UNetSNUp> up1, up2, up3;
  std::shared_ptr<nn::Module> conv7, conv8;  // SpectralNorm(Conv2d 3x3, no bias)
  int64_t channels, features;
};

}  // namespace gan
}  // namespace gantry
