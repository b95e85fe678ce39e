// nn/translation_layers.h — the layers of image-to-image translation nets
// (pix2pix, CycleGAN; Isola et al. 2017, Zhu et al. 2017), reusable by any
// model family:
//
//   InstanceNorm2d   each (sample, channel) plane normalized by its own mean
//                    and (biased) variance, y = (x - mean) / sqrt(var + eps),
//                    then, when affine, * weight[c] + bias[c]. It is
//                    group_norm with one channel per group (autograd/ops_nn.h),
//                    so its derivatives, to any order, are group_norm's.
//                    No running statistics (PyTorch's default, and the papers').
//   ReflectionPad2d  mirror padding without repeating the edge pixel
//   ResnetBlock      y = x + [pad, conv3x3, norm, ReLU, (dropout 0.5), pad,
//                    conv3x3, norm](x), reflection-padded (CycleGAN's G)
//   UNetSkipBlock    one level of pix2pix's U-Net, built from the innermost
//                    level outwards:
//                      down = [LeakyReLU(0.2)], Conv 4x4 s2 p1, [norm]
//                      up   = ReLU, ConvTranspose 4x4 s2 p1, [norm | Tanh], [Dropout 0.5]
//                      y    = cat(x, up(inner(down(x))))   (the skip),
//                    the outermost level returning up(...) alone. The
//                    outermost down has no activation or norm, the innermost
//                    down no norm, the outermost up a Tanh instead of a norm.
//
// `norm` is "batch" (BatchNorm2d), "instance" (InstanceNorm2d, affine off)
// or "none". As in the papers' code, a conv followed by batch norm has no
// bias (the norm's shift replaces it); before instance norm, which has no
// shift of its own, it keeps its bias.
#pragma once
#include <memory>
#include <string>

#include "nn/layers.h"

namespace gantry {
namespace nn {

// x [N, C, H, W] -> the same shape; weight/bias [C] when affine.
class InstanceNorm2d : public Module {
 public:
  explicit InstanceNorm2d(int64_t channels, double eps = 1e-5, bool affine = false);
  Tensor forward(const Tensor& x) override;
  std::string repr() const override;
  Tensor weight, bias;
  int64_t channels;
  double eps;
};

// x [N, C, H, W] -> [N, C, H + 2p, W + 2p]; p < H and p < W.
class ReflectionPad2d : public Module {
 public:
  explicit ReflectionPad2d(int64_t padding) : padding(padding) {}
  Tensor forward(const Tensor& x) override;
  std::string repr() const override;
  int64_t padding;
};

// "batch" -> BatchNorm2d, "instance" -> InstanceNorm2d, "none" -> nullptr;
// anything else is an error naming the kinds.
std::shared_ptr<Module> make_norm2d(const std::string& kind, int64_t channels);
// Whether a conv followed by this norm keeps its bias.
bool conv_bias_before(const std::string& norm);

// x [N, dim, H, W] -> the same shape (H, W >= 2 for the reflection).
class ResnetBlock : public Module {
 public:
  ResnetBlock(int64_t dim, const std::string& norm, bool dropout = false);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<Sequential> block;
  int64_t dim;
};

// x [N, outer_in, H, W] -> [N, outer + outer_in, H, W] (the skip
// concatenated), or [N, outer, H, W] at the outermost level. H and W even,
// and halved `depth` times without reaching an odd side before the innermost
// level (UNetGenerator pads for that).
class UNetSkipBlock : public Module {
 public:
  enum class Level { Outermost, Middle, Innermost };
  // outer: the level's output channels (before the skip); inner: the
  // channels the down conv makes; outer_in: the input's channels (outer if 0).
  UNetSkipBlock(int64_t outer, int64_t inner, int64_t outer_in, std::shared_ptr<UNetSkipBlock> submodule,
                Level level, const std::string& norm, bool dropout);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<Sequential> down, up;
  std::shared_ptr<UNetSkipBlock> submodule;  // null at the innermost level
  Level level;
};

}  // namespace nn
}  // namespace gantry
