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

Tensor EqualizedLinear::forward_act(const Tensor& x, Activation act, double clamp) {
  Tensor y = matmul(x, transpose(scaled(weight, scale), 0, 1));
  return bias_act(y, bias.defined() ? scaled(bias, lr_mul) : Tensor(), act, 0.2, -1.0, clamp);
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

Tensor EqualizedConv2d::forward_act(const Tensor& x, Activation act, double clamp) {
  return bias_act(conv2d(x, scaled(weight, scale), Tensor(), {stride, stride}, {padding, padding}), bias,
                  act, 0.2, -1.0, clamp);
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

// ---------------------------------------------------------- ModulatedConv2d
ModulatedConv2d::ModulatedConv2d(int64_t in, int64_t out, int64_t k, int64_t w_dim, bool demodulate,
                                 int64_t up, ModConvForm form)
    : demodulate(demodulate), up(up), form(form) {
  check_conv("ModulatedConv2d", in, out, k, 1, k / 2);
  GANTRY_CHECK(w_dim > 0, "ModulatedConv2d: w_dim ", w_dim, " must be positive");
  GANTRY_CHECK(up == 1 || up == 2, "ModulatedConv2d: up must be 1 or 2, got ", up);
  GANTRY_CHECK(k % 2 == 1, "ModulatedConv2d: kernel ", k, " must be odd (same-size padding)");
  affine = register_module("affine", std::make_shared<EqualizedLinear>(w_dim, in, true, 1.0, 1.0, 1.0));
  weight = register_parameter("weight", empty({out, in, k, k}));
  init::normal_(weight, 0.0, 1.0);
  filter = register_buffer("filter", make_resample_filter({1, 3, 3, 1}, Tensor()));
  scale = 1.0 / std::sqrt(static_cast<double>(in * k * k));
}

Tensor ModulatedConv2d::forward(const Tensor&) {
  throw Error("ModulatedConv2d: forward needs the latent w as well: call forward(x, w)");
}

Tensor ModulatedConv2d::styles(const Tensor& w) { return affine->forward(w); }

Tensor ModulatedConv2d::forward(const Tensor& x, const Tensor& w) {
  GANTRY_CHECK(x.dim() == 4 && x.size(1) == weight.size(1), "ModulatedConv2d: input ",
               shape_str(x.shape()), " must be [N, ", weight.size(1), ", H, W]");
  GANTRY_CHECK(w.dim() == 2 && w.size(0) == x.size(0) && w.size(1) == affine->weight.size(1),
               "ModulatedConv2d: w ", shape_str(w.shape()), " must be [", x.size(0), ", ",
               affine->weight.size(1), "]");
  const Tensor s = mul(styles(w), scale);
  const Tensor in = up == 2 ? upsample2d(x, filter.to(x.dtype()), 2) : x;
  return modulated_conv2d(in, weight, s, demodulate, weight.size(2) / 2, form);
}

std::string ModulatedConv2d::repr() const {
  std::ostringstream os;
  os << "ModulatedConv2d(" << weight.size(1) << ", " << weight.size(0) << ", kernel_size=" << weight.size(2)
     << ", w_dim=" << affine->weight.size(1) << ", demodulate=" << (demodulate ? "True" : "False")
     << ", up=" << up << ", form=" << (form == ModConvForm::Grouped ? "grouped" : "scale_conv_scale") << ")";
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
