// gan/models/progan/progan.h — the progressive GAN of Karras et al., "Progressive
// Growing of GANs for Improved Quality, Stability, and Variation" (ICLR 2018),
// at the sizes a CPU trains: both networks hold a block per resolution
// 4, 8, ..., R (R = config.resolution, a power of two), every convolution
// with the equalized learning rate (nn/gan_layers.h). nf(r) = min(fmap_base /
// r, fmap_max) feature maps at resolution r; lrelu = leaky_relu(0.2).
//
//   G: z [N, latent] -> pixel_norm
//      base  EqualizedLinear(latent -> nf(4)*16, gain sqrt2/4) -> [N, nf(4), 4, 4]
//            -> lrelu -> pixel_norm -> conv3x3 -> lrelu -> pixel_norm       [N, nf(4), 4, 4]
//      block r (8..R): upsample_nearest x2 -> conv3x3 -> lrelu -> pixel_norm
//                      -> conv3x3 -> lrelu -> pixel_norm                   [N, nf(r), r, r]
//      to_rgb r: 1x1 conv, gain 1 (linear output)                          [N, C, r, r]
//   D: x [N, C, r, r]
//      from_rgb r: 1x1 conv -> lrelu                                       [N, nf(r), r, r]
//      block r (R..8): conv3x3 -> lrelu -> conv3x3 (nf(r) -> nf(r/2)) -> lrelu
//                      -> avg_pool 2x2                                     [N, nf(r/2), r/2, r/2]
//      final: minibatch_stddev (group mbstd_group) -> conv3x3 -> lrelu
//             -> EqualizedLinear(nf(4)*16 -> nf(4)) -> lrelu
//             -> EqualizedLinear(nf(4) -> 1, gain 1)                       scores [N]
//
// Growth (GrowingNet): at level L the networks work at resolution
// start_resolution * 2^L, through the blocks up to that resolution. While
// block r is faded in (alpha < 1), G's output is
//   lerp(upsample_nearest x2(to_rgb r/2 (h_{r/2})), to_rgb r (h_r), alpha)
// and D's first features are
//   lerp(lrelu(from_rgb r/2 (avg_pool 2x2 (x))), block r (lrelu(from_rgb r (x))), alpha),
// so alpha = 0 is exactly the previous level's network. Blocks above the
// current level exist (their parameters are saved and loaded) but are not
// used and get no gradient.
#pragma once
#include <memory>
#include <vector>

#include "gan/models/model.h"
#include "nn/gan_layers.h"

namespace gantry {
namespace gan {

// Feature maps at resolution r: max(1, min(fmap_base / r, fmap_max)).
int64_t progan_features(const ModelConfig& c, int64_t r);
// Checks resolution and start_resolution: powers of two, 4 <= start <=
// resolution, resolution >= 8; the error names them.
void check_progan_config(const ModelConfig& c);

// The growth state both networks share: blocks at 4, 8, ..., R; level 0 is
// the block of start_resolution (first_block); the current resolution is
// 4 * 2^(first_block + level).
class ProGANGrowth : public GrowingNet {
 public:
  ProGANGrowth(const ModelConfig& c, const char* who);
  void set_growth(int64_t level, double alpha) override;
  int64_t level() const override { return level_; }
  double alpha() const override { return alpha_; }
  int64_t max_level() const override { return max_level_; }

 protected:
  struct Block {
    std::shared_ptr<nn::EqualizedConv2d> conv0, conv1;
  };
  int64_t current_resolution() const { return int64_t{4} << (first_block_ + level_); }
  int64_t top_block() const { return first_block_ + level_; }
  bool fading() const { return level_ > 0 && alpha_ < 1.0; }
  const char* who_;
  int64_t nblocks_ = 0;      // blocks 4 .. R
  int64_t first_block_ = 0;  // the block of start_resolution
  int64_t max_level_ = 0, level_ = 0;
  double alpha_ = 1.0;
};

class ProGANGenerator : public GeneratorNet, public ProGANGrowth {
 public:
  explicit ProGANGenerator(const ModelConfig& c);
  // z [N, latent] -> images [N, C, r, r], r = resolution() (linear output)
  Tensor generate(const Tensor& z, const Tensor& labels) override;
  std::string repr() const override { return "ProGANGenerator"; }
  int64_t resolution() const override { return current_resolution(); }

 private:
  std::shared_ptr<nn::EqualizedLinear> dense_;
  std::vector<Block> blocks_;  // blocks_[b]: resolution 4 * 2^b (b = 0: the base's conv)
  std::vector<std::shared_ptr<nn::EqualizedConv2d>> to_rgb_;
};

class ProGANDiscriminator : public DiscriminatorNet, public ProGANGrowth {
 public:
  explicit ProGANDiscriminator(const ModelConfig& c);
  // images [N, C, r, r] (r = resolution()) -> scores [N]
  Tensor score(const Tensor& x, const Tensor& labels) override;
  std::string repr() const override { return "ProGANDiscriminator"; }
  int64_t resolution() const override { return current_resolution(); }

 private:
  std::vector<Block> blocks_;  // blocks_[b]: resolution 4 * 2^b, b >= 1 (blocks_[0] unused)
  std::vector<std::shared_ptr<nn::EqualizedConv2d>> from_rgb_;
  std::shared_ptr<nn::MinibatchStdDev> mbstd_;
  std::shared_ptr<nn::EqualizedConv2d> final_conv_;
  std::shared_ptr<nn::EqualizedLinear> final_dense_, out_;
};

}  // namespace gan
}  // namespace gantry
