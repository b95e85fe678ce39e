// nn/spectral_norm.cpp — the spectral-normalization wrapper (see spectral_norm.h).
#include "nn/spectral_norm.h"

namespace gantry {
namespace nn {

namespace {
// x / (||x|| + eps), x 1-D.
Tensor normalized(const Tensor& x, double eps) { return div(x, add(sqrt(sum(square(x))), eps)); }
}  // namespace

SpectralNorm::SpectralNorm(std::shared_ptr<Module> layer, int64_t iters, double eps_, RandomState* g)
    : power_iterations(iters), eps(eps_) {
  GANTRY_CHECK(layer != nullptr, "SpectralNorm: the layer is null");
  transposed_ = dynamic_cast<ConvTranspose2d*>(layer.get()) != nullptr;
  GANTRY_CHECK(dynamic_cast<Conv2d*>(layer.get()) || dynamic_cast<Linear*>(layer.get()) ||
                   dynamic_cast<Embedding*>(layer.get()) || transposed_,
               "SpectralNorm: wraps Conv2d, ConvTranspose2d, Linear or Embedding, got ", layer->repr());
  GANTRY_CHECK(iters >= 1, "SpectralNorm: power_iterations must be >= 1, got ", iters);
  // The layer's weight handle keeps pointing at the same tensor (so
  // initializers that walk the tree, such as init::dcgan_, still reach it),
  // but it is no longer one of the layer's parameters: we own it.
  weight_orig = register_parameter("weight_orig", layer->take_parameter("weight"));
  const int64_t out = weight_orig.size(transposed_ ? 1 : 0), k = weight_orig.numel() / out;
  NoGradGuard ng;
  u = register_buffer("u", normalized(randn({out}, {}, g), eps));
  v = register_buffer("v", normalized(randn({k}, {}, g), eps));
  module = register_module("module", std::move(layer));
}

Tensor SpectralNorm::matrix(const Tensor& w) const {
  if (transposed_) return reshape(transpose(w, 0, 1), {w.size(1), -1});  // [in, out, KH, KW] -> [out, in*KH*KW]
  return reshape(w, {w.size(0), -1});                                     // [out, K]
}

void SpectralNorm::power_iterate() {
  NoGradGuard ng;
  Tensor w = matrix(weight_orig.detach());  // [out, K]
  Tensor uu = u, vv = v;
  for (int64_t i = 0; i < power_iterations; ++i) {
    vv = normalized(matmul(transpose(w, 0, 1), uu), eps);  // [K]
    uu = normalized(matmul(w, vv), eps);                   // [out]
  }
  core::copy_(u, uu);
  core::copy_(v, vv);
}

double SpectralNorm::sigma() const {
  NoGradGuard ng;
  Tensor w = matrix(weight_orig.detach());
  return sum(mul(u, matmul(w, v))).item<double>();
}

Tensor SpectralNorm::normalized_weight() {
  if (is_training()) power_iterate();
  // The graph keeps copies of u and v: the buffers change in place at the
  // next training forward (D runs on real and fake images before one
  // backward), and the backward of this forward needs the values used here.
  Tensor uc, vc;
  {
    NoGradGuard ng;
    uc = clone(u);
    vc = clone(v);
  }
  Tensor w = matrix(weight_orig);           // [out, K]
  Tensor s = sum(mul(uc, matmul(w, vc)));  // 0-d, graph through W
  return div(weight_orig, s);
}

Tensor SpectralNorm::forward(const Tensor& x) {
  Tensor w = normalized_weight();
  if (auto* c = dynamic_cast<Conv2d*>(module.get()))
    return conv2d(x, w, c->bias, c->stride, c->padding, c->dilation, c->groups);
  if (auto* t = dynamic_cast<ConvTranspose2d*>(module.get()))
    return conv_transpose2d(x, w, t->bias, t->stride, t->padding, t->output_padding, t->groups, t->dilation);
  if (dynamic_cast<Embedding*>(module.get())) return embedding(x, w);  // x: int64 indices
  auto* l = static_cast<Linear*>(module.get());
  return linear(x, w, l->bias);
}

std::string SpectralNorm::repr() const { return repr_with_children("SpectralNorm"); }

}  // namespace nn
}  // namespace gantry
