// nn/sagan_layers.cpp — conditional batch norm and SAGAN's self-attention
// block (see sagan_layers.h).
#include "nn/sagan_layers.h"

#include <algorithm>

#include "nn/init.h"
#include "nn/spectral_norm.h"

namespace gantry {
namespace nn {

// ------------------------------------------------- ConditionalBatchNorm2d
ConditionalBatchNorm2d::ConditionalBatchNorm2d(int64_t channels, int64_t classes, double eps, double momentum) {
  GANTRY_CHECK(channels > 0 && classes > 0, "ConditionalBatchNorm2d: channels (", channels, ") and classes (",
               classes, ") must be positive");
  bn = register_module("bn", std::make_shared<BatchNorm2d>(channels, eps, momentum, /*affine=*/false));
  gamma = register_module("gamma", std::make_shared<Embedding>(classes, channels));
  beta = register_module("beta", std::make_shared<Embedding>(classes, channels));
  NoGradGuard ng;
  core::fill_(gamma->weight, 1.0);  // every class starts as plain batch norm
  core::fill_(beta->weight, 0.0);
}

Tensor ConditionalBatchNorm2d::forward(const Tensor&) {
  throw Error("ConditionalBatchNorm2d: forward needs the class labels: forward(x, labels)");
}

Tensor ConditionalBatchNorm2d::forward(const Tensor& x, const Tensor& labels) {
  GANTRY_CHECK(x.defined() && x.dim() == 4, "ConditionalBatchNorm2d: expected input [N,C,H,W], got ",
               x.defined() ? shape_str(x.shape()) : std::string("undefined"));
  GANTRY_CHECK(labels.defined() && labels.dim() == 1 && labels.size(0) == x.size(0),
               "ConditionalBatchNorm2d: labels must be [N] = [", x.size(0), "], got ",
               labels.defined() ? shape_str(labels.shape()) : std::string("undefined"));
  const int64_t n = x.size(0), c = x.size(1);
  const Tensor h = bn->forward(x);                               // [N,C,H,W], unit scale
  const Tensor g = reshape(gamma->forward(labels), {n, c, 1, 1});  // [N,C,1,1]
  const Tensor b = reshape(beta->forward(labels), {n, c, 1, 1});
  return add(mul(h, g), b);
}

std::string ConditionalBatchNorm2d::repr() const {
  return "ConditionalBatchNorm2d(" + std::to_string(bn->running_mean.size(0)) + ", classes=" +
         std::to_string(gamma->weight.size(0)) + ", eps=" + detail::py_float(bn->eps) +
         ", momentum=" + detail::py_float(bn->momentum) + ")";
}

// ---------------------------------------------------------- SelfAttention2d
namespace {
std::shared_ptr<Module> conv1x1(int64_t in, int64_t out, bool spectral) {
  auto c = std::make_shared<Conv2d>(in, out, 1, 1, 0, /*bias=*/false);
  if (spectral) return std::make_shared<SpectralNorm>(c);
  return c;
}
}  // namespace

SelfAttention2d::SelfAttention2d(int64_t ch, bool sn)
    : channels(ch), qk_channels(std::max<int64_t>(1, ch / 8)), v_channels(std::max<int64_t>(1, ch / 2)),
      spectral(sn) {
  GANTRY_CHECK(ch > 0, "SelfAttention2d: channels must be positive, got ", ch);
  query = register_module("query", conv1x1(ch, qk_channels, sn));
  key = register_module("key", conv1x1(ch, qk_channels, sn));
  value = register_module("value", conv1x1(ch, v_channels, sn));
  out = register_module("out", conv1x1(v_channels, ch, sn));
  gamma = register_parameter("gamma", zeros({1}));
}

Tensor SelfAttention2d::attention(const Tensor& x) {
  GANTRY_CHECK(x.defined() && x.dim() == 4 && x.size(1) == channels, "SelfAttention2d: expected input [N,",
               channels, ",H,W], got ", x.defined() ? shape_str(x.shape()) : std::string("undefined"));
  const int64_t n = x.size(0), hw = x.size(2) * x.size(3);
  const Tensor q = reshape(query->forward(x), {n, qk_channels, hw});  // [N,C8,HW]
  const Tensor k = reshape(key->forward(x), {n, qk_channels, hw});    // [N,C8,HW]
  return softmax(bmm(transpose(q, 1, 2), k), 2);                      // [N,HW,HW]
}

Tensor SelfAttention2d::forward(const Tensor& x) {
  const Tensor a = attention(x);  // [N,HW,HW]
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
  const Tensor v = reshape(value->forward(x), {n, v_channels, h * w});  // [N,C2,HW]
  const Tensor o = reshape(bmm(v, transpose(a, 1, 2)), {n, v_channels, h, w});  // o_i = sum_j a_ij v_j
  return add(x, mul(out->forward(o), gamma));
}

std::string SelfAttention2d::repr() const {
  return repr_with_children("SelfAttention2d(" + std::to_string(channels) +
                            (spectral ? ", spectral_norm=True" : "") + ")");
}

}  // namespace nn
}  // namespace gantry
