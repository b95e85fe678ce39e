// gan/models/stylegan/stylegan2.h — the style-based generator and residual
// discriminator of StyleGAN2 (Karras et al., "Analyzing and Improving the
// Image Quality of StyleGAN", CVPR 2020; config F's layout), at sizes a CPU
// trains. R = config.resolution (a power of two >= 4); nf(r) =
// min(fmap_base / r, fmap_max) feature maps at resolution r; every layer has
// the equalized learning rate; lrelu = leaky relu 0.2 with gain sqrt 2, fused
// with the bias (bias_act); resampling goes through the [1,3,3,1] filter
// (upfirdn2d).
//
//   G = mapping + synthesis (StyleNet, gan/models/model.h)
//   mapping: z [N, latent] -> pixel_norm -> mapping_layers x
//            EqualizedLinear(-> w_dim, lr_mul mapping_lr_mul) + lrelu  w [N, w_dim]
//            broadcast to ws [N, num_ws, w_dim]; w_avg tracked (beta 0.995)
//   synthesis (the skip architecture), ws [N, num_ws, w_dim]:
//     block 4:  learned constant [nf(4), 4, 4] -> layer conv1 -> to-RGB
//     block r:  layer conv0 (upsample 2x, nf(r/2) -> nf(r)) -> layer conv1
//               -> to-RGB; img = upsample2d(img) + to-RGB(x)
//     layer:    ModulatedConv2d 3x3 (demodulated) + noise * strength (init 0)
//               + bias, lrelu                                        [N, nf(r), r, r]
//     to-RGB:   ModulatedConv2d 1x1 (not demodulated) + bias, linear [N, C, r, r]
//     Layer i reads ws[:, i]; each to-RGB reads the w of the next block's
//     first layer (the last one ws[:, num_ws - 1]): num_ws = 2 log2(R) - 2.
//   D (residual), x [N, C, R, R]:
//     from-RGB: 1x1 conv + lrelu                                      [N, nf(R), R, R]
//     block r (R..8): y = conv3x3 + lrelu; y = downsample2d, conv3x3 (-> nf(r/2)) + lrelu
//                     skip = downsample2d, 1x1 conv (no bias);  x = (y + skip) / sqrt 2
//     epilogue: minibatch_stddev (group mbstd_group) -> conv3x3 + lrelu
//               -> EqualizedLinear(nf(4)*16 -> nf(4)) + lrelu -> EqualizedLinear(-> 1)
//                                                                      scores [N]
#pragma once
#include <memory>
#include <vector>

#include "gan/models/model.h"
#include "nn/gan_layers.h"

namespace gantry {
namespace gan {

// Checks a stylegan2 config (resolution a power of two >= 4; w_dim,
// mapping_layers, mapping_lr_mul positive); the error names the field.
void check_stylegan2_config(const ModelConfig& c);
// ws the synthesis network of resolution R reads: 2 log2(R) - 2.
int64_t stylegan2_num_ws(int64_t resolution);

class MappingNetwork : public nn::Module {
 public:
  MappingNetwork(int64_t latent, int64_t w_dim, int64_t layers, double lr_mul, int64_t num_ws,
                 double w_avg_beta = 0.995);
  // z [N, latent] -> w [N, w_dim]; in training mode also updates w_avg.
  Tensor forward(const Tensor& z) override { return map(z, true); }
  Tensor map(const Tensor& z, bool track_w_avg);
  // z -> ws [N, num_ws, w_dim], truncated towards w_avg (see StyleNet::mapping).
  Tensor forward_ws(const Tensor& z, double psi, int64_t cutoff, bool track_w_avg = true);
  std::string repr() const override;
  std::vector<std::shared_ptr<nn::EqualizedLinear>> fc;
  Tensor w_avg;  // [w_dim] buffer
  int64_t num_ws;
  double w_avg_beta;
};

class SynthesisLayer : public nn::Module {
 public:
  SynthesisLayer(int64_t in, int64_t out, int64_t w_dim, int64_t resolution, int64_t up);
  // x [N, in, r/up, r/up], w [N, w_dim] -> [N, out, r, r]; `map` [r, r], when
  // defined, is the noise to add instead of the mode's.
  Tensor forward(const Tensor& x, const Tensor& w, NoiseMode noise, const Tensor& map = Tensor());
  std::string repr() const override { return repr_with_children("SynthesisLayer"); }
  std::shared_ptr<nn::ModulatedConv2d> conv;
  Tensor noise_strength;  // [1], init 0
  Tensor noise_const;     // [r, r] buffer ~ N(0, 1)
  Tensor bias;            // [out]
  int64_t resolution;
};

class ToRGBLayer : public nn::Module {
 public:
  ToRGBLayer(int64_t in, int64_t channels, int64_t w_dim);
  // x [N, in, r, r], w [N, w_dim] -> [N, channels, r, r] (linear)
  Tensor forward(const Tensor& x, const Tensor& w);
  std::string repr() const override { return repr_with_children("ToRGBLayer"); }
  std::shared_ptr<nn::ModulatedConv2d> conv;
  Tensor bias;  // [channels]
};

class StyleGAN2Generator : public GeneratorNet, public StyleNet {
 public:
  explicit StyleGAN2Generator(const ModelConfig& c);
  // z [N, latent] -> images [N, C, R, R] (linear output: clamp when saving);
  // random noise in training mode, the stored noise maps in eval mode.
  Tensor generate(const Tensor& z, const Tensor& labels) override;
  int64_t num_ws() const override { return num_ws_; }
  int64_t w_dim() const override { return config.w_dim; }
  Tensor mapping(const Tensor& z, double psi = 1.0, int64_t cutoff = -1, bool track_w_avg = true) override;
  Tensor synthesis(const Tensor& ws, NoiseMode noise = NoiseMode::Random) override;
  Tensor synthesis(const Tensor& ws, const std::vector<Tensor>& noise) override;
  std::vector<Tensor> const_noise() const override;
  Tensor w_avg() const override { return mapping_->w_avg; }
  Tensor first_style_weight() const override;
  std::string repr() const override { return repr_with_children("StyleGAN2Generator"); }

 private:
  struct Block {
    std::shared_ptr<SynthesisLayer> conv0, conv1;  // conv0: null in block 4
    std::shared_ptr<ToRGBLayer> rgb;
  };
  std::shared_ptr<MappingNetwork> mapping_;
  Tensor const_;  // [nf(4), 4, 4]
  std::vector<Block> blocks_;
  Tensor filter_;  // [4] buffer: [1,3,3,1] / 8
  int64_t num_ws_;
  Tensor run_synthesis(const Tensor& ws, NoiseMode mode, const std::vector<Tensor>* maps);
};

class StyleGAN2Discriminator : public DiscriminatorNet {
 public:
  explicit StyleGAN2Discriminator(const ModelConfig& c);
  // images [N, C, R, R] -> scores [N] (logits)
  Tensor score(const Tensor& x, const Tensor& labels) override;
  std::string repr() const override { return repr_with_children("StyleGAN2Discriminator"); }

 private:
  struct Block {
    std::shared_ptr<nn::EqualizedConv2d> conv0, conv1, skip;
  };
  std::shared_ptr<nn::EqualizedConv2d> from_rgb_;
  std::vector<Block> blocks_;  // resolution R, R/2, ..., 8
  std::shared_ptr<nn::MinibatchStdDev> mbstd_;
  std::shared_ptr<nn::EqualizedConv2d> final_conv_;
  std::shared_ptr<nn::EqualizedLinear> final_dense_, out_;
  Tensor filter_;  // [4] buffer
};

}  // namespace gan
}  // namespace gantry
