// gan/models/progan/progan.cpp — the progressive generator and discriminator
// (see progan.h). Parameter names: G "dense", "b4.conv1", "b8.conv0", ...,
// "rgb4", "rgb8", ...; D "rgb4", ..., "b8.conv0", ..., "final_conv",
// "final_dense", "out".
#include "gan/models/progan/progan.h"

#include <string>

#include "autograd/ops.h"
#include "core/error.h"

namespace gantry {
namespace gan {

using std::make_shared;

namespace {
Tensor lrelu(const Tensor& x) { return leaky_relu(x, 0.2); }
// a + alpha * (b - a)
Tensor lerp(const Tensor& a, const Tensor& b, double alpha) { return add(a, mul(sub(b, a), alpha)); }
Tensor up2(const Tensor& x) { return upsample_nearest2d(x, {2 * x.size(2), 2 * x.size(3)}); }
Tensor down2(const Tensor& x) { return avg_pool2d(x, {2, 2}); }

// A named holder of a block's two convolutions, so parameters read "b8.conv0".
class Pair2 : public nn::Module {
 public:
  Pair2(std::shared_ptr<nn::EqualizedConv2d> a, std::shared_ptr<nn::EqualizedConv2d> b) {
    if (a) register_module("conv0", a);
    register_module("conv1", b);
  }
  std::string repr() const override { return "ProGANBlock"; }
};

}  // namespace

ProGANGrowth::ProGANGrowth(const ModelConfig& c, const char* who) : who_(who) {
  check_progan_config(c);
  nblocks_ = log2_ceil(c.resolution) - 1;  // 4 .. R
  first_block_ = log2_ceil(c.start_resolution) - 2;
  max_level_ = nblocks_ - 1 - first_block_;
  level_ = max_level_;  // a fresh network is the full one; the trainer sets the growth
}

void ProGANGrowth::set_growth(int64_t level, double alpha) {
  GANTRY_CHECK(level >= 0 && level <= max_level_, who_, ": level ", level, " is outside [0, ", max_level_, "]");
  GANTRY_CHECK(alpha >= 0 && alpha <= 1, who_, ": alpha ", alpha, " is outside [0, 1]");
  level_ = level;
  alpha_ = alpha;
}

int64_t progan_features(const ModelConfig& c, int64_t r) { return feature_maps(c, r); }

void check_progan_config(const ModelConfig& c) {
  GANTRY_CHECK(is_power_of_two(c.resolution) && c.resolution >= 8, "progan: resolution ", c.resolution,
               " must be a power of two, at least 8");
  GANTRY_CHECK(is_power_of_two(c.start_resolution) && c.start_resolution >= 4 && c.start_resolution < c.resolution,
               "progan: start_resolution ", c.start_resolution,
               " must be a power of two, at least 4 and below the resolution ", c.resolution);
  GANTRY_CHECK(c.fmap_base >= 1 && c.fmap_max >= 1, "progan: fmap_base (", c.fmap_base, ") and fmap_max (",
               c.fmap_max, ") must be positive");
  GANTRY_CHECK(c.mbstd_group >= 1, "progan: mbstd_group ", c.mbstd_group, " must be positive");
}

// ---------------------------------------------------------------- generator
ProGANGenerator::ProGANGenerator(const ModelConfig& c) : GeneratorNet(c), ProGANGrowth(c, "ProGANGenerator") {
  const int64_t f4 = progan_features(c, 4);
  dense_ = register_module("dense", make_shared<nn::EqualizedLinear>(c.latent, f4 * 16, true, nn::kSqrt2 / 4));
  for (int64_t b = 0; b < nblocks_; ++b) {
    const int64_t r = int64_t{4} << b, f = progan_features(c, r);
    Block blk;
    if (b > 0) blk.conv0 = make_shared<nn::EqualizedConv2d>(progan_features(c, r / 2), f, 3, 1, 1);
    blk.conv1 = make_shared<nn::EqualizedConv2d>(f, f, 3, 1, 1);
    register_module("b" + std::to_string(r), make_shared<Pair2>(blk.conv0, blk.conv1));
    blocks_.push_back(blk);
    to_rgb_.push_back(register_module("rgb" + std::to_string(r), nn::to_rgb(f, c.channels)));
  }
}

Tensor ProGANGenerator::generate(const Tensor& z, const Tensor& labels) {
  GANTRY_CHECK(z.dim() == 2 && z.size(1) == config.latent, "ProGANGenerator: latent codes must be [N, ",
               config.latent, "], got ", shape_str(z.shape()));
  GANTRY_CHECK(!labels.defined(), "ProGANGenerator: unconditional, but labels were given");
  const int64_t top = top_block();
  const int64_t f4 = progan_features(config, 4);
  Tensor x = reshape(dense_->forward(pixel_norm(z)), {z.size(0), f4, 4, 4});  // [N, nf(4), 4, 4]
  x = pixel_norm(lrelu(x));
  x = pixel_norm(lrelu(blocks_[0].conv1->forward(x)));
  Tensor prev;
  for (int64_t b = 1; b <= top; ++b) {
    if (b == top) prev = x;                                    // [N, nf(r/2), r/2, r/2]
    x = pixel_norm(lrelu(blocks_[b].conv0->forward(up2(x))));  // [N, nf(r), r, r]
    x = pixel_norm(lrelu(blocks_[b].conv1->forward(x)));
  }
  Tensor img = to_rgb_[top]->forward(x);  // [N, C, r, r]
  if (fading()) img = lerp(up2(to_rgb_[top - 1]->forward(prev)), img, alpha_);
  return img;
}

// ------------------------------------------------------------ discriminator
ProGANDiscriminator::ProGANDiscriminator(const ModelConfig& c)
    : DiscriminatorNet(c), ProGANGrowth(c, "ProGANDiscriminator") {
  blocks_.resize(nblocks_);
  for (int64_t b = 0; b < nblocks_; ++b) {
    const int64_t r = int64_t{4} << b, f = progan_features(c, r);
    from_rgb_.push_back(register_module("rgb" + std::to_string(r), nn::from_rgb(c.channels, f)));
  }
  for (int64_t b = nblocks_ - 1; b >= 1; --b) {
    const int64_t r = int64_t{4} << b, f = progan_features(c, r);
    blocks_[b].conv0 = make_shared<nn::EqualizedConv2d>(f, f, 3, 1, 1);
    blocks_[b].conv1 = make_shared<nn::EqualizedConv2d>(f, progan_features(c, r / 2), 3, 1, 1);
    register_module("b" + std::to_string(r), make_shared<Pair2>(blocks_[b].conv0, blocks_[b].conv1));
  }
  const int64_t f4 = progan_features(c, 4);
  mbstd_ = register_module("mbstd", make_shared<nn::MinibatchStdDev>(c.mbstd_group, 1));
  final_conv_ = register_module("final_conv", make_shared<nn::EqualizedConv2d>(f4 + 1, f4, 3, 1, 1));
  final_dense_ = register_module("final_dense", make_shared<nn::EqualizedLinear>(f4 * 16, f4));
  out_ = register_module("out", make_shared<nn::EqualizedLinear>(f4, 1, true, 1.0));
}

Tensor ProGANDiscriminator::score(const Tensor& x, const Tensor& labels) {
  const int64_t r = resolution();
  GANTRY_CHECK(x.dim() == 4 && x.size(1) == config.channels && x.size(2) == r && x.size(3) == r,
               "ProGANDiscriminator: images must be [N, ", config.channels, ", ", r, ", ", r,
               "] at this growth level, got ", shape_str(x.shape()));
  GANTRY_CHECK(!labels.defined(), "ProGANDiscriminator: unconditional, but labels were given");
  const int64_t top = top_block();
  Tensor h = lrelu(from_rgb_[top]->forward(x));  // [N, nf(r), r, r]
  for (int64_t b = top; b >= 1; --b) {
    h = lrelu(blocks_[b].conv0->forward(h));
    h = down2(lrelu(blocks_[b].conv1->forward(h)));  // [N, nf(r/2), r/2, r/2]
    if (b == top && fading()) h = lerp(lrelu(from_rgb_[top - 1]->forward(down2(x))), h, alpha_);
  }
  h = lrelu(final_conv_->forward(mbstd_->forward(h)));  // [N, nf(4), 4, 4]
  h = lrelu(final_dense_->forward(reshape(h, {x.size(0), -1})));
  return reshape(out_->forward(h), {x.size(0)});
}

}  // namespace gan
}  // namespace gantry
