// gan/models/translation/translation.h — the image-to-image translation
// family: generators that map an image of one domain to one of another, of
// the same size, and the patch discriminator that judges them. pix2pix
// (Isola et al. 2017) learns from aligned pairs; CycleGAN (Zhu et al. 2017)
// from two unpaired sets (gan/translation_trainer.h trains both). Images are
// [N, C, H, W] in [-1, 1].
//
//   UNetGenerator    pix2pix's G: `depth` UNetSkipBlock levels
//                    (nn/translation_layers.h), each halving the side on the
//                    way down and doubling it on the way up, the encoder's
//                    map of each size concatenated to the decoder's. Level i
//                    (0 outermost) makes ngf * min(2^i, 8) channels; dropout
//                    0.5 (pix2pix's only noise: it has no z) sits in the up
//                    path of the (up to) three levels just outside the
//                    innermost one, as unet_256 has it. Any H, W: the input
//                    is edge-padded up to a multiple of 2^depth and the
//                    output cropped back. The paper's 256x256 net is depth 8,
//                    ngf 64; Fashion-MNIST (28 -> 32) takes depth 5.
//   ResnetGenerator  CycleGAN's G (after Johnson et al. 2016): reflection
//                    pad 3 + 7x7 conv (ngf), two stride-2 3x3 convs (x2, x4),
//                    `blocks` ResnetBlocks, two stride-2 transposed convs
//                    back, reflection pad 3 + 7x7 conv + Tanh. Norm after
//                    every conv but the last (instance norm in CycleGAN).
//                    Any H, W (padded to a multiple of 4 and cropped back).
//                    The paper: 9 blocks at 256x256, 6 at 128x128.
//   PatchGAN         the "70x70 PatchGAN" for n_layers = 3: 4x4 convs, stride
//                    2 for the first n_layers (widths ndf x 1, 2, 4, 8, 8 ..),
//                    then one stride-1 conv of the next width and a stride-1
//                    conv to 1 channel; LeakyReLU(0.2), norm after all but the
//                    first and last. Output: a logit per patch [N, 1, h, w],
//                    each seeing patchgan_receptive_field(n_layers) pixels
//                    square (n_layers 1: 16, 2: 34, 3: 70).
//
// Weights: N(0, 0.02) convs, N(1, 0.02) batch-norm scales, zero biases
// (init::dcgan_, the papers' "normal" init).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "nn/translation_layers.h"

namespace gantry {
namespace gan {

// The translation models `gantry train --model` knows (TranslationTrainer,
// gan/translation_trainer.h): pix2pix and cyclegan.
const std::vector<std::string>& translation_model_names();
bool is_translation_model(const std::string& name);

// x [N, in, H, W] -> [N, out, H, W] in (-1, 1)
class UNetGenerator : public nn::Module {
 public:
  UNetGenerator(int64_t in_channels, int64_t out_channels, int64_t depth = 8, int64_t ngf = 64,
                const std::string& norm = "batch", bool dropout = true);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<nn::UNetSkipBlock> net;  // the outermost level
  int64_t in_channels, out_channels, depth, ngf;
};

// x [N, in, H, W] -> [N, out, H, W] in (-1, 1)
class ResnetGenerator : public nn::Module {
 public:
  ResnetGenerator(int64_t in_channels, int64_t out_channels, int64_t ngf = 64, int64_t blocks = 9,
                  const std::string& norm = "instance", bool dropout = false);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<nn::Sequential> net;
  int64_t in_channels, out_channels, ngf, blocks;
};

// x [N, in, H, W] -> logits [N, 1, h, w] (a logit per patch)
class PatchGAN : public nn::Module {
 public:
  PatchGAN(int64_t in_channels, int64_t ndf = 64, int64_t n_layers = 3, const std::string& norm = "batch");
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<nn::Sequential> net;
  int64_t in_channels, ndf, n_layers;
};

// The side of the input square one output logit of PatchGAN(n_layers) sees.
int64_t patchgan_receptive_field(int64_t n_layers);
// Its output side for an input side (<= 0: the input is too small).
int64_t patchgan_output_side(int64_t n_layers, int64_t side);

}  // namespace gan
}  // namespace gantry
