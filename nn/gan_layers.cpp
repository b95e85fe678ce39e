// nn/gan_layers.cpp — equalized-learning-rate layers, PixelNorm,
// MinibatchStdDev (see nn/gan_layers.h).
#include "nn/gan_layers.h"

#include <sstream>

#include "autograd/ops.h"
#include "core/error.h"
#include "nn/init.h"

namespace gantry {
namespace nn {

namespace {
double he_scale(const char* who, int64_t fan_in, double gain) {
  GANTRY_CHECK(gain > 0 && std::isfinite(gain), who, ": gain ", gain, " must be positive and finite");
  return gain / std::sqrt(static_cast<double>(fan_in));
}
void check_conv(const char* who, int64_t in, int64_t out, int64_t k, int64_t stride, int64_t padding) {
  GANTRY_CHECK(in > 0 && out > 0, who, ": channels (", in, ", ", out, ") must be positive");
  GANTRY_CHECK(k > 0 && stride > 0 && padding >= 0, who, ": kernel ", k, " and stride ", stride,
               " must be positive, padding ", padding, " non-negative");
}
// The weight as the op sees it: stored * scale (a graph node, so gradients of
// any order reach the stored parameter).
Tensor scaled(const Tensor& w, double scale) { return mul(w, scale); }
}  // namespace

// ---------------------------------------------------------- EqualizedLinear
EqualizedLinear::EqualizedLinear(int64_t in, int64_t out, bool with_bias, double gain, double lr_mul,
                                 double bias_init)
    : lr_mul(lr_mul) {
  GANTRY_CHECK(in > 0 && out > 0, "EqualizedLinear: features (", in, ", ", out, ") must be positive");
  GANTRY_CHECK(lr_mul > 0 && std::isfinite(lr_mul), "EqualizedLinear: lr_mul ", lr_mul,
               " must be positive and finite");
  scale = he_scale("EqualizedLinear", in, gain) * lr_mul;
  weight = register_parameter("weight", empty({out, in}));
  init::normal_(weight, 0.0, 1.0 / lr_mul);
  if (with_bias) {
    bias = register_parameter("bias", empty({out}));
    init::constant_(bias, bias_init / lr_mul);
  }
}

Tensor EqualizedLinear::forward(const Tensor& x) {
  Tensor y = matmul(x, transpose(scaled(weight, scale), 0, 1));
  return bias.defined() ? add(y, scaled(bias, lr_mul)) : y;
}

std::string EqualizedLinear::repr() const {
  std::ostringstream os;
  os << "EqualizedLinear(in_features=" << weight.size(1) << ", out_features=" << weight.size(0)
     << ", bias=" << (bias.defined() ? "True" : "False") << ", scale=" << scale << ", lr_mul=" << lr_mul
     << ")";
  return os.str();
}

// ---------------------------------------------------------- EqualizedConv2d
EqualizedConv2d::EqualizedConv2d(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t padding,
                                 bool with_bias, double gain)
    : stride(stride), padding(padding) {
  check_conv("EqualizedConv2d", in, out, k, stride, padding);
  scale = he_scale("EqualizedConv2d", in * k * k, gain);
  weight = register_parameter("weight", empty({out, in, k, k}));
  init::normal_(weight, 0.0, 1.0);
  if (with_bias) {
    bias = register_parameter("bias", empty({out}));
    init::zeros_(bias);
  }
}

Tensor EqualizedConv2d::forward(const Tensor& x) {
  return conv2d(x, scaled(weight, scale), bias, {stride, stride}, {padding, padding});
}

std::string EqualizedConv2d::repr() const {
  std::ostringstream os;
  os << "EqualizedConv2d(" << weight.size(1) << ", " << weight.size(0) << ", kernel_size=" << weight.size(2)
     << ", stride=" << stride << ", padding=" << padding << ", bias=" << (bias.defined() ? "True" : "False")
     << ", scale=" << scale << ")";
  return os.str();
}

// ------------------------------------------------- EqualizedConvTranspose2d
EqualizedConvTranspose2d::EqualizedConvTranspose2d(int64_t in, int64_t out, int64_t k, int64_t stride,
                                                   int64_t padding, bool with_bias, double gain)
    : stride(stride), padding(padding) {
  check_conv("EqualizedConvTranspose2d", in, out, k, stride, padding);
  scale = he_scale("EqualizedConvTranspose2d", in * k * k, gain);
  weight = register_parameter("weight", empty({in, out, k, k}));
  init::normal_(weight, 0.0, 1.0);
  if (with_bias) {
    bias = register_parameter("bias", empty({out}));
    init::zeros_(bias);
  }
}

Tensor EqualizedConvTranspose2d::forward(const Tensor& x) {
  return conv_transpose2d(x, scaled(weight, scale), bias, {stride, stride}, {padding, padding});
}

std::string EqualizedConvTranspose2d::repr() const {
  std::ostringstream os;
  os << "EqualizedConvTranspose2d(" << weight.size(0) << ", " << weight.size(1)
     << ", kernel_size=" << weight.size(2) << ", stride=" << stride << ", padding=" << padding
     << ", bias=" << (bias.defined() ? "True" : "False") << ", scale=" << scale << ")";
  return os.str();
}

// ------------------------------------------------------ PixelNorm, MinibatchStdDev
Tensor PixelNorm::forward(const Tensor& x) { return pixel_norm(x, eps); }
std::string PixelNorm::repr() const {
  std::ostringstream os;
  os << "PixelNorm(eps=" << eps << ")";
  return os.str();
}

MinibatchStdDev::MinibatchStdDev(int64_t group_size, int64_t features)
    : group_size(group_size), features(features) {
  GANTRY_CHECK(group_size >= 1 && features >= 1, "MinibatchStdDev: group_size ", group_size,
               " and features ", features, " must be positive");
}
Tensor MinibatchStdDev::forward(const Tensor& x) { return minibatch_stddev(x, group_size, features); }
std::string MinibatchStdDev::repr() const {
  std::ostringstream os;
  os << "MinibatchStdDev(group_size=" << group_size << ", features=" << features << ")";
  return os.str();
}

std::shared_ptr<EqualizedConv2d> to_rgb(int64_t in, int64_t channels) {
  return std::make_shared<EqualizedConv2d>(in, channels, 1, 1, 0, true, 1.0);
}
std::shared_ptr<EqualizedConv2d> from_rgb(int64_t channels, int64_t out) {
  return std::make_shared<EqualizedConv2d>(channels, out, 1, 1, 0, true, kSqrt2);
}

}  // namespace nn
}  // namespace gantry
