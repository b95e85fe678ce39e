// nn/gan_layers.h — the layers progressive and style-based GANs are built
// from (Karras et al. 2018, 2019, 2020):
//
//   EqualizedLinear / EqualizedConv2d / EqualizedConvTranspose2d
//       the equalized learning rate: weights are stored N(0, 1) / lr_mul and
//       multiplied at run time by gain / sqrt(fan_in) * lr_mul (He's
//       constant), biases stored / lr_mul and multiplied by lr_mul. Adam's
//       per-parameter step is then the same relative size for every layer,
//       whatever its fan-in. fan_in = in * KH * KW for both convolutions (the
//       papers' convention, also for the transposed one).
//   PixelNorm        each pixel's feature vector to unit RMS (pixel_norm)
//   MinibatchStdDev  appends the batch's standard deviation as feature maps
//                    (minibatch_stddev)
//   to_rgb / from_rgb  1x1 equalized convolutions between features and
//                    image channels (to_rgb with gain 1: a linear read-out)
//   ModulatedConv2d  StyleGAN2's convolution: a style per input channel from
//                    w (an affine layer, bias 1), modulation and
//                    demodulation (modulated_conv2d, either form), optional
//                    2x upsampling through the [1,3,3,1] filter (upfirdn2d)
//
// forward_act(x, act) runs a layer's bias and activation as one fused
// bias_act (with StyleGAN's gains: sqrt 2 for leaky relu) instead of a
// separate add and activation.
//
// The scaling is ops on the stored weight (mul), so every derivative order
// comes from the ops; the new normalizations are composite ops of
// autograd/ops_nn.h with conformance rows of their own.
//
//   auto conv = std::make_shared<nn::EqualizedConv2d>(64, 128, 3, 1, 1);
//   Tensor y = leaky_relu(conv->forward(x), 0.2);   // x [N,64,H,W] -> [N,128,H,W]
#pragma once
#include <cmath>
#include <memory>

#include "autograd/ops.h"
#include "nn/module.h"

namespace gantry {
namespace nn {

constexpr double kSqrt2 = 1.4142135623730951;  // He's gain for (leaky) ReLU layers

// x [*, in] -> [*, out]
class EqualizedLinear : public Module {
 public:
  EqualizedLinear(int64_t in, int64_t out, bool bias = true, double gain = kSqrt2, double lr_mul = 1.0,
                  double bias_init = 0.0);
  Tensor forward(const Tensor& x) override;
  // act(x W^T + b) * act_gain, fused (bias_act); clamp < 0: no clamp.
  Tensor forward_act(const Tensor& x, Activation act, double clamp = -1.0);
  std::string repr() const override;
  Tensor weight, bias;  // [out, in] ~ N(0, 1) / lr_mul, [out]
  double scale;         // gain / sqrt(in) * lr_mul
  double lr_mul;
};

// x [N, in, H, W] -> [N, out, OH, OW]
class EqualizedConv2d : public Module {
 public:
  EqualizedConv2d(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t padding = 0,
                  bool bias = true, double gain = kSqrt2);
  Tensor forward(const Tensor& x) override;
  // act(conv(x) + b) * act_gain, the bias and activation fused (bias_act).
  Tensor forward_act(const Tensor& x, Activation act, double clamp = -1.0);
  std::string repr() const override;
  Tensor weight, bias;  // [out, in, K, K] ~ N(0, 1), [out] = 0
  double scale;         // gain / sqrt(in * K * K)
  int64_t stride, padding;
};

// x [N, in, H, W] -> [N, out, (H-1)*stride - 2*padding + K, ...]
class EqualizedConvTranspose2d : public Module {
 public:
  EqualizedConvTranspose2d(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1,
                           int64_t padding = 0, bool bias = true, double gain = kSqrt2);
  Tensor forward(const Tensor& x) override;
  std::string repr() const override;
  Tensor weight, bias;  // [in, out, K, K] ~ N(0, 1), [out] = 0
  double scale;         // gain / sqrt(in * K * K)
  int64_t stride, padding;
};

// x [N, C, *] -> x / sqrt(mean_C x^2 + eps)
class PixelNorm : public Module {
 public:
  explicit PixelNorm(double eps = 1e-8) : eps(eps) {}
  Tensor forward(const Tensor& x) override;
  std::string repr() const override;
  double eps;
};

// x [N, C, H, W] -> [N, C + features, H, W]
class MinibatchStdDev : public Module {
 public:
  explicit MinibatchStdDev(int64_t group_size = 4, int64_t features = 1);
  Tensor forward(const Tensor& x) override;
  std::string repr() const override;
  int64_t group_size, features;
};

// x [N, in, H, W], w [N, w_dim] -> [N, out, H*up, W*up] (padding K/2: same size
// before the upsampling). styles = affine(w) [N, in], scaled by 1/sqrt(in*K*K)
// (the equalized learning rate, applied to the styles); with up = 2 the input
// is upsampled through the [1,3,3,1] filter first. No bias here: StyleGAN's
// layers add noise before their bias_act.
class ModulatedConv2d : public Module {
 public:
  ModulatedConv2d(int64_t in, int64_t out, int64_t kernel, int64_t w_dim, bool demodulate = true,
                  int64_t up = 1, ModConvForm form = ModConvForm::Grouped);
  Tensor forward(const Tensor& x) override;  // an error: the layer needs w
  Tensor forward(const Tensor& x, const Tensor& w);
  // The styles for w: [N, w_dim] -> [N, in] (before the equalized scale).
  Tensor styles(const Tensor& w);
  std::string repr() const override;
  std::shared_ptr<EqualizedLinear> affine;  // w_dim -> in, bias init 1
  Tensor weight;                            // [out, in, K, K] ~ N(0, 1)
  Tensor filter;                            // [4] buffer: [1,3,3,1] / 8
  double scale;                             // 1 / sqrt(in * K * K)
  bool demodulate;
  int64_t up;
  ModConvForm form;
};

// Features [N, in, H, W] -> image channels [N, channels, H, W] (gain 1).
std::shared_ptr<EqualizedConv2d> to_rgb(int64_t in, int64_t channels);
// Image channels [N, channels, H, W] -> features [N, out, H, W] (gain sqrt 2;
// follow it with leaky_relu).
std::shared_ptr<EqualizedConv2d> from_rgb(int64_t channels, int64_t out);

}  // namespace nn
}  // namespace gantry
