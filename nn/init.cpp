// nn/init.cpp — weight initializers (see nn/init.h). Each draws a fresh
// random tensor of the target's shape and dtype from the generator, maps it to
// the wanted distribution without recording a graph, and copies it into the
// target in place (core::copy_), so handles to the tensor stay valid.
#include "nn/init.h"

#include <cmath>
#include <functional>

#include "nn/layers.h"

namespace gantry {
namespace nn {
namespace init {

namespace {

void check_float(const Tensor& t, const char* op) {
  GANTRY_CHECK(t.defined(), op, ": undefined tensor");
  GANTRY_CHECK(t.dtype() == kFloat32 || t.dtype() == kFloat64, op, ": ", tensor_desc(t),
               " must be float32 or float64");
}

// dst[...] = v[...] (v is a cpu tensor of dst's shape), across devices.
void assign(const Tensor& dst, const Tensor& v) {
  if (dst.device().is_cpu()) {
    core::copy_(dst, v);
  } else {
    core::copy_(dst, core::to_device(core::contiguous(core::cast(v, dst.dtype())), dst.device()));
  }
}

}  // namespace

std::pair<int64_t, int64_t> fans(const Tensor& w) {
  GANTRY_CHECK(w.defined() && w.dim() >= 2, "init::fans: needs a tensor of at least 2 dims, got ",
               w.defined() ? shape_str(w.shape()) : std::string("undefined"));
  int64_t rf = 1;  // receptive field: the product of the kernel dims
  for (int64_t d = 2; d < w.dim(); ++d) rf *= w.size(d);
  return {w.size(1) * rf, w.size(0) * rf};
}

void uniform_(const Tensor& t, double lo, double hi, RandomState* g) {
  check_float(t, "init::uniform_");
  GANTRY_CHECK(lo <= hi, "init::uniform_: lo ", lo, " > hi ", hi);
  NoGradGuard ng;
  Tensor u = rand(t.shape(), Options(t.dtype()), g);  // [0, 1)
  assign(t, add(mul(u, hi - lo), lo));
}

void normal_(const Tensor& t, double mean, double std, RandomState* g) {
  check_float(t, "init::normal_");
  GANTRY_CHECK(std >= 0, "init::normal_: std ", std, " is negative");
  NoGradGuard ng;
  Tensor z = randn(t.shape(), Options(t.dtype()), g);
  assign(t, add(mul(z, std), mean));
}

void zeros_(const Tensor& t) { constant_(t, 0.0); }
void ones_(const Tensor& t) { constant_(t, 1.0); }
void constant_(const Tensor& t, double v) {
  GANTRY_CHECK(t.defined(), "init::constant_: undefined tensor");
  core::fill_(t, v);
}

void kaiming_uniform_(const Tensor& w, double a, RandomState* g) {
  check_float(w, "init::kaiming_uniform_");
  if (w.numel() == 0) return;
  const int64_t fan_in = fans(w).first;
  // gain for leaky_relu(a) = sqrt(2 / (1 + a^2)); bound = sqrt(3) * gain / sqrt(fan_in).
  const double gain = std::sqrt(2.0 / (1.0 + a * a));
  const double bound = std::sqrt(3.0) * gain / std::sqrt(static_cast<double>(fan_in));
  uniform_(w, -bound, bound, g);
}

void kaiming_normal_(const Tensor& w, double a, RandomState* g) {
  check_float(w, "init::kaiming_normal_");
  if (w.numel() == 0) return;
  const int64_t fan_in = fans(w).first;
  const double gain = std::sqrt(2.0 / (1.0 + a * a));
  normal_(w, 0.0, gain / std::sqrt(static_cast<double>(fan_in)), g);
}

void xavier_uniform_(const Tensor& w, double gain, RandomState* g) {
  check_float(w, "init::xavier_uniform_");
  if (w.numel() == 0) return;
  auto f = fans(w);
  const double bound = gain * std::sqrt(6.0 / static_cast<double>(f.first + f.second));
  uniform_(w, -bound, bound, g);
}

void xavier_normal_(const Tensor& w, double gain, RandomState* g) {
  check_float(w, "init::xavier_normal_");
  if (w.numel() == 0) return;
  auto f = fans(w);
  normal_(w, 0.0, gain * std::sqrt(2.0 / static_cast<double>(f.first + f.second)), g);
}

void dcgan_(Module& root, RandomState* g) {
  // Pre-order walk (the module, then its children in registration order), so
  // the draws, and hence the weights, depend only on the seed.
  std::function<void(Module&)> visit = [&](Module& m) {
    if (auto* c = dynamic_cast<Conv2d*>(&m)) {
      normal_(c->weight, 0.0, 0.02, g);
      if (c->bias.defined()) zeros_(c->bias);
    } else if (auto* t = dynamic_cast<ConvTranspose2d*>(&m)) {
      normal_(t->weight, 0.0, 0.02, g);
      if (t->bias.defined()) zeros_(t->bias);
    } else if (auto* b = dynamic_cast<BatchNorm2d*>(&m)) {
      if (b->weight.defined()) normal_(b->weight, 1.0, 0.02, g);
      if (b->bias.defined()) zeros_(b->bias);
    } else if (auto* l = dynamic_cast<Linear*>(&m)) {
      normal_(l->weight, 0.0, 0.02, g);
      if (l->bias.defined()) zeros_(l->bias);
    }
    for (auto& c : m.named_children()) visit(*c.second);
  };
  visit(root);
}

}  // namespace init
}  // namespace nn
}  // namespace gantry
