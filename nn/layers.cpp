// nn/layers.cpp — the standard layers (see nn/layers.h): parameters with
// PyTorch's default initialization, forward passes through the differentiable
// ops of autograd/, and PyTorch-style repr() strings.
#include "nn/layers.h"

#include <cmath>

#include "nn/init.h"

namespace gantry {
namespace nn {

namespace {

std::string pair_str(const Pair& p) { return "(" + std::to_string(p[0]) + ", " + std::to_string(p[1]) + ")"; }

std::string bool_str(bool b) { return b ? "True" : "False"; }

// PyTorch's bias init for Linear/Conv: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
void init_bias(const Tensor& b, int64_t fan_in) {
  const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
  init::uniform_(b, -bound, bound);
}

void check_pair(const char* layer, const char* what, const Pair& p, int64_t min) {
  GANTRY_CHECK(p[0] >= min && p[1] >= min, layer, ": ", what, " ", pair_str(p), " must be >= ",
               min);
}

// The shared part of a convolution's repr: "in, out, kernel_size=..., stride=...",
// then the non-default settings, as torch.nn's _ConvNd.extra_repr.
std::string conv_repr(const char* name, const Tensor& w, int64_t in, int64_t out, const Pair& stride,
                      const Pair& padding, const Pair* output_padding, const Pair& dilation,
                      int64_t groups, bool bias) {
  std::string s = std::string(name) + "(" + std::to_string(in) + ", " + std::to_string(out) +
                  ", kernel_size=" + pair_str({w.size(2), w.size(3)}) +
                  ", stride=" + pair_str(stride);
  if (padding[0] != 0 || padding[1] != 0) s += ", padding=" + pair_str(padding);
  if (dilation[0] != 1 || dilation[1] != 1) s += ", dilation=" + pair_str(dilation);
  if (output_padding && ((*output_padding)[0] != 0 || (*output_padding)[1] != 0))
    s += ", output_padding=" + pair_str(*output_padding);
  if (groups != 1) s += ", groups=" + std::to_string(groups);
  if (!bias) s += ", bias=False";
  return s + ")";
}

}  // namespace

// ------------------------------------------------------------------ Linear
Linear::Linear(int64_t in, int64_t out, bool with_bias) {
  GANTRY_CHECK(in >= 0 && out >= 0, "Linear: sizes (", in, ", ", out, ") must be >= 0");
  weight = register_parameter("weight", empty({out, in}));
  init::kaiming_uniform_(weight);
  if (with_bias) {
    bias = register_parameter("bias", empty({out}));
    init_bias(bias, in);
  }
}

Tensor Linear::forward(const Tensor& x) { return linear(x, weight, bias); }

std::string Linear::repr() const {
  return "Linear(in_features=" + std::to_string(weight.size(1)) +
         ", out_features=" + std::to_string(weight.size(0)) + ", bias=" + bool_str(bias.defined()) +
         ")";
}

// ------------------------------------------------------------------ Conv2d
Conv2d::Conv2d(int64_t in, int64_t out, Pair kernel, Pair stride, Pair padding, bool with_bias,
               Pair dilation, int64_t groups)
    : stride(stride), padding(padding), dilation(dilation), groups(groups) {
  GANTRY_CHECK(in > 0 && out > 0, "Conv2d: channels (", in, ", ", out, ") must be positive");
  GANTRY_CHECK(groups > 0 && in % groups == 0 && out % groups == 0, "Conv2d: groups ", groups,
               " must divide in_channels ", in, " and out_channels ", out);
  check_pair("Conv2d", "kernel_size", kernel, 1);
  check_pair("Conv2d", "stride", stride, 1);
  check_pair("Conv2d", "padding", padding, 0);
  check_pair("Conv2d", "dilation", dilation, 1);
  weight = register_parameter("weight", empty({out, in / groups, kernel[0], kernel[1]}));
  init::kaiming_uniform_(weight);
  if (with_bias) {
    bias = register_parameter("bias", empty({out}));
    init_bias(bias, init::fans(weight).first);
  }
}

Tensor Conv2d::forward(const Tensor& x) {
  return conv2d(x, weight, bias, stride, padding, dilation, groups);
}

std::string Conv2d::repr() const {
  return conv_repr("Conv2d", weight, weight.size(1) * groups, weight.size(0), stride, padding,
                   nullptr, dilation, groups, bias.defined());
}

// --------------------------------------------------------- ConvTranspose2d
ConvTranspose2d::ConvTranspose2d(int64_t in, int64_t out, Pair kernel, Pair stride, Pair padding,
                                 Pair output_padding, bool with_bias, int64_t groups,
                                 Pair dilation)
    : stride(stride),
      padding(padding),
      output_padding(output_padding),
      dilation(dilation),
      groups(groups) {
  GANTRY_CHECK(in > 0 && out > 0, "ConvTranspose2d: channels (", in, ", ", out,
               ") must be positive");
  GANTRY_CHECK(groups > 0 && in % groups == 0 && out % groups == 0, "ConvTranspose2d: groups ",
               groups, " must divide in_channels ", in, " and out_channels ", out);
  check_pair("ConvTranspose2d", "kernel_size", kernel, 1);
  check_pair("ConvTranspose2d", "stride", stride, 1);
  check_pair("ConvTranspose2d", "padding", padding, 0);
  check_pair("ConvTranspose2d", "output_padding", output_padding, 0);
  check_pair("ConvTranspose2d", "dilation", dilation, 1);
  GANTRY_CHECK(output_padding[0] < std::max(stride[0], dilation[0]) &&
                   output_padding[1] < std::max(stride[1], dilation[1]),
               "ConvTranspose2d: output_padding ", pair_str(output_padding),
               " must be smaller than stride ", pair_str(stride), " or dilation ",
               pair_str(dilation));
  // [in, out/groups, KH, KW]; as in PyTorch, fan_in is computed from dim 1
  // (out/groups * KH * KW), for the weight and for the bias bound.
  weight = register_parameter("weight", empty({in, out / groups, kernel[0], kernel[1]}));
  init::kaiming_uniform_(weight);
  if (with_bias) {
    bias = register_parameter("bias", empty({out}));
    init_bias(bias, init::fans(weight).first);
  }
}

Tensor ConvTranspose2d::forward(const Tensor& x) {
  return conv_transpose2d(x, weight, bias, stride, padding, output_padding, groups, dilation);
}

std::string ConvTranspose2d::repr() const {
  return conv_repr("ConvTranspose2d", weight, weight.size(0), weight.size(1) * groups, stride,
                   padding, &output_padding, dilation, groups, bias.defined());
}

// ------------------------------------------------------------- BatchNorm2d
BatchNorm2d::BatchNorm2d(int64_t channels, double eps, double momentum, bool affine)
    : eps(eps), momentum(momentum) {
  GANTRY_CHECK(channels > 0, "BatchNorm2d: channels ", channels, " must be positive");
  GANTRY_CHECK(eps > 0, "BatchNorm2d: eps ", eps, " must be positive");
  GANTRY_CHECK(momentum >= 0 && momentum <= 1, "BatchNorm2d: momentum ", momentum,
               " must be in [0, 1]");
  if (affine) {
    weight = register_parameter("weight", ones({channels}));
    bias = register_parameter("bias", zeros({channels}));
  }
  running_mean = register_buffer("running_mean", zeros({channels}));
  running_var = register_buffer("running_var", ones({channels}));
  num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, kInt64));
}

Tensor BatchNorm2d::forward(const Tensor& x) {
  GANTRY_CHECK(x.defined() && x.dim() == 4, "BatchNorm2d: expected input [N,C,H,W], got ",
               x.defined() ? shape_str(x.shape()) : std::string("undefined"));
  GANTRY_CHECK(x.size(1) == running_mean.size(0), "BatchNorm2d: input ", shape_str(x.shape()),
               " has ", x.size(1), " channels, the layer has ", running_mean.size(0));
  const bool training = is_training();
  const double seen = training ? num_batches_tracked.item<double>() : 0.0;
  const double m = cumulative ? 1.0 / (seen + 1.0) : momentum;
  Tensor y = batch_norm(x, running_mean, running_var, weight, bias, training, m, eps);
  if (training) core::fill_(num_batches_tracked, seen + 1);
  return y;
}

std::string BatchNorm2d::repr() const {
  return "BatchNorm2d(" + std::to_string(running_mean.size(0)) + ", eps=" +
         detail::py_float(eps) + ", momentum=" + (cumulative ? std::string("None") : detail::py_float(momentum)) +
         ", affine=" + bool_str(weight.defined()) + ", track_running_stats=True)";
}

std::vector<BatchNorm2d*> batchnorm_layers(Module& m) {
  std::vector<BatchNorm2d*> out;
  if (auto* bn = dynamic_cast<BatchNorm2d*>(&m)) out.push_back(bn);
  for (auto& child : m.named_children()) {
    std::vector<BatchNorm2d*> sub = batchnorm_layers(*child.second);
    out.insert(out.end(), sub.begin(), sub.end());
  }
  return out;
}

void recompute_batchnorm_stats(Module& m, int64_t batches, const std::function<void()>& forward) {
  GANTRY_CHECK(batches >= 1, "recompute_batchnorm_stats: batches must be >= 1, got ", batches);
  const std::vector<BatchNorm2d*> bns = batchnorm_layers(m);
  if (bns.empty()) return;
  struct Saved {
    Tensor mean, var, count;
  };
  std::vector<Saved> saved;
  NoGradGuard ng;
  for (BatchNorm2d* bn : bns) {
    saved.push_back({clone(bn->running_mean), clone(bn->running_var), clone(bn->num_batches_tracked)});
    core::fill_(bn->running_mean, 0.0);
    core::fill_(bn->running_var, 1.0);
    core::fill_(bn->num_batches_tracked, 0.0);
  }
  auto restore = [&](size_t i) {
    core::copy_(bns[i]->running_mean, saved[i].mean);
    core::copy_(bns[i]->running_var, saved[i].var);
    core::copy_(bns[i]->num_batches_tracked, saved[i].count);
  };
  const bool was_training = m.is_training();
  m.eval();
  for (BatchNorm2d* bn : bns) {
    bn->train(true);
    bn->cumulative = true;
  }
  auto finish = [&] {
    for (BatchNorm2d* bn : bns) bn->cumulative = false;
    m.train(was_training);
  };
  try {
    for (int64_t k = 0; k < batches; ++k) forward();
  } catch (...) {
    for (size_t i = 0; i < bns.size(); ++i) restore(i);
    finish();
    throw;
  }
  for (size_t i = 0; i < bns.size(); ++i)
    if (bns[i]->num_batches_tracked.item<int64_t>() == 0) restore(i);
  finish();
}

// --------------------------------------------------------------- LayerNorm
LayerNorm::LayerNorm(Shape normalized_shape, double eps, bool affine)
    : normalized_shape(normalized_shape), eps(eps) {
  GANTRY_CHECK(!normalized_shape.empty(), "LayerNorm: normalized_shape must not be empty");
  for (int64_t d : normalized_shape)
    GANTRY_CHECK(d > 0, "LayerNorm: normalized_shape ", shape_str(normalized_shape),
                 " must have positive sizes");
  if (affine) {
    weight = register_parameter("weight", ones(normalized_shape));
    bias = register_parameter("bias", zeros(normalized_shape));
  }
}

Tensor LayerNorm::forward(const Tensor& x) {
  return layer_norm(x, normalized_shape, weight, bias, eps);
}

std::string LayerNorm::repr() const {
  std::string s = "LayerNorm((";
  for (size_t i = 0; i < normalized_shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(normalized_shape[i]);
  if (normalized_shape.size() == 1) s += ",";
  return s + "), eps=" + detail::py_float(eps) +
         ", elementwise_affine=" + bool_str(weight.defined()) + ")";
}

// --------------------------------------------------------------- Embedding
Embedding::Embedding(int64_t num, int64_t dim) {
  GANTRY_CHECK(num > 0 && dim > 0, "Embedding: sizes (", num, ", ", dim, ") must be positive");
  weight = register_parameter("weight", empty({num, dim}));
  init::normal_(weight, 0.0, 1.0);
}

Tensor Embedding::forward(const Tensor& idx) { return embedding(idx, weight); }

std::string Embedding::repr() const {
  return "Embedding(" + std::to_string(weight.size(0)) + ", " + std::to_string(weight.size(1)) + ")";
}

// ----------------------------------------------------------------- Dropout
Dropout::Dropout(double p) : p(p) {
  GANTRY_CHECK(p >= 0 && p <= 1, "Dropout: probability ", p, " must be in [0, 1]");
}

Tensor Dropout::forward(const Tensor& x) {
  if (!is_training() || p == 0) return x;
  if (p == 1) return mul(x, 0.0);  // everything dropped (keeps the graph)
  // Keep an element when its uniform draw is >= p (probability 1 - p).
  Tensor keep = ge(rand_like(x), p);
  return where(keep, mul(x, 1.0 / (1.0 - p)), 0.0);
}

std::string Dropout::repr() const { return "Dropout(p=" + detail::py_float(p) + ", inplace=False)"; }

// ------------------------------------------------------------ activations
std::string LeakyReLU::repr() const {
  return "LeakyReLU(negative_slope=" + detail::py_float(slope) + ")";
}

std::string Flatten::repr() const {
  return "Flatten(start_dim=" + std::to_string(start) + ", end_dim=" + std::to_string(end) + ")";
}

// ---------------------------------------------------------------- Upsample
Tensor Upsample::forward(const Tensor& x) {
  GANTRY_CHECK(x.defined() && x.dim() == 4, "Upsample: expected input [N,C,H,W], got ",
               x.defined() ? shape_str(x.shape()) : std::string("undefined"));
  GANTRY_CHECK(scale > 0, "Upsample: scale ", scale, " must be positive");
  const Pair out = {static_cast<int64_t>(std::floor(static_cast<double>(x.size(2)) * scale)),
                    static_cast<int64_t>(std::floor(static_cast<double>(x.size(3)) * scale))};
  return bilinear ? upsample_bilinear2d(x, out, align_corners) : upsample_nearest2d(x, out);
}

std::string Upsample::repr() const {
  return "Upsample(scale_factor=" + detail::py_float(scale) + ", mode='" +
         (bilinear ? "bilinear" : "nearest") + "')";
}

// -------------------------------------------------------------- Sequential
Sequential::Sequential(std::vector<std::shared_ptr<Module>> mods) {
  for (auto& m : mods) push_back(std::move(m));
}

void Sequential::push_back(std::shared_ptr<Module> m) {
  GANTRY_CHECK(m != nullptr, "Sequential: module ", mods_.size(), " is null");
  register_module(std::to_string(mods_.size()), m);
  mods_.push_back(std::move(m));
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (auto& m : mods_) y = m->forward(y);
  return y;
}

std::string Sequential::repr() const {
  return mods_.empty() ? "Sequential()" : repr_with_children("Sequential");
}

}  // namespace nn
}  // namespace gantry
