// nn/layers.h — the standard layers, with PyTorch's default initialization
// (Kaiming-uniform weights, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) biases).
// Shapes follow the functional ops in autograd/ops_nn.h (NCHW). Parameter and
// buffer names match PyTorch's ("weight", "bias", "running_mean", ...), and
// repr() prints what PyTorch prints, so checkpoints and summaries line up.
#pragma once
#include <functional>

#include "nn/module.h"

namespace gantry {
namespace nn {

// x [*, in] -> [*, out]
class Linear : public Module {
 public:
  Linear(int64_t in, int64_t out, bool bias = true);
  Tensor forward(const Tensor& x) override;
  std::string repr() const override;
  Tensor weight, bias;  // [out, in], [out] (undefined without bias)
};

// x [N, in, H, W] -> [N, out, OH, OW]
class Conv2d : public Module {
 public:
  Conv2d(int64_t in, int64_t out, Pair kernel, Pair stride = {1, 1}, Pair padding = {0, 0},
         bool bias = true, Pair dilation = {1, 1}, int64_t groups = 1);
  Conv2d(int64_t in, int64_t out, int64_t k, int64_t stride = 1, int64_t padding = 0,
         bool bias = true)
      : Conv2d(in, out, {k, k}, {stride, stride}, {padding, padding}, bias) {}
  Tensor forward(const Tensor& x) override;
  std::string repr() const override;
  Tensor weight, bias;  // [out, in/groups, KH, KW], [out]
  Pair stride, padding, dilation;
  int64_t groups;
};

// x [N, in, H, W] -> [N, out, OH, OW]
class ConvTranspose2d : public Module {
 public:
  ConvTranspose2d(int64_t in, int64_t out, Pair kernel, Pair stride = {1, 1},
                  Pair padding = {0, 0}, Pair output_padding = {0, 0}, bool bias = true,
                  int64_t groups = 1, Pair dilation = {1, 1});
  ConvTranspose2d(int64_t in, int64_t out, int64_t k, int64_t stride = 1, int64_t padding = 0,
                  bool bias = true)
      : ConvTranspose2d(in, out, {k, k}, {stride, stride}, {padding, padding}, {0, 0}, bias) {}
  Tensor forward(const Tensor& x) override;
  std::string repr() const override;
  Tensor weight, bias;  // [in, out/groups, KH, KW], [out]
  Pair stride, padding, output_padding, dilation;
  int64_t groups;
};

// x [N, C, H, W]; running_mean/var [C] and num_batches_tracked (int64, 0-d)
// are buffers; weight/bias [C] when affine. Training: batch statistics, the
// running stats updated with `momentum`, num_batches_tracked += 1; eval: the
// running stats.
class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int64_t channels, double eps = 1e-5, double momentum = 0.1,
                       bool affine = true);
  Tensor forward(const Tensor& x) override;
  std::string repr() const override;
  Tensor weight, bias, running_mean, running_var, num_batches_tracked;
  double eps, momentum;
  // PyTorch's momentum=None: the running stats are the plain average of
  // every batch seen (momentum 1 / num_batches_tracked at each call).
  bool cumulative = false;
};

// "Standing statistics" (Brock et al. 2019, BigGAN): re-estimates the running
// mean and variance of every BatchNorm2d in `m` (ConditionalBatchNorm2d's
// included) as the plain average over the `batches` calls of `forward`
// (cumulative mode), without gradients. Only the BatchNorm layers are put in
// training mode, the rest of `m` in eval mode (no spectral-norm power
// iteration, nothing random), so nothing but the statistics changes. An EMA
// generator needs this: its averaged weights see different activations from
// the running statistics it copied from the live network. Afterwards `m` is
// back in its training flag (one flag for the whole tree); a layer that
// `forward` never reached, or every layer if `forward` throws, keeps its old
// statistics; num_batches_tracked counts the calls each layer saw.
void recompute_batchnorm_stats(Module& m, int64_t batches, const std::function<void()>& forward);
// The BatchNorm2d layers of `m` and its descendants (empty: nothing to re-estimate).
std::vector<BatchNorm2d*> batchnorm_layers(Module& m);

// x [*, normalized_shape]; weight/bias [normalized_shape] when affine.
class LayerNorm : public Module {
 public:
  explicit LayerNorm(Shape normalized_shape, double eps = 1e-5, bool affine = true);
  Tensor forward(const Tensor& x) override;
  std::string repr() const override;
  Tensor weight, bias;
  Shape normalized_shape;
  double eps;
};

// idx int64 [*] -> [*, dim]; weight ~ N(0, 1) as PyTorch.
class Embedding : public Module {
 public:
  Embedding(int64_t num, int64_t dim);
  Tensor forward(const Tensor& idx) override;
  std::string repr() const override;
  Tensor weight;  // [num, dim]
};

// Zeroes elements with probability p in training (scaling the rest by 1/(1-p));
// identity in eval. Draws from the default generator.
class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5);
  Tensor forward(const Tensor& x) override;
  std::string repr() const override;
  double p;
};

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override { return relu(x); }
  std::string repr() const override { return "ReLU()"; }
};
class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double slope = 0.01) : slope(slope) {}
  Tensor forward(const Tensor& x) override { return leaky_relu(x, slope); }
  std::string repr() const override;
  double slope;
};
class Tanh : public Module {
 public:
  Tensor forward(const Tensor& x) override { return tanh(x); }
  std::string repr() const override { return "Tanh()"; }
};
class Sigmoid : public Module {
 public:
  Tensor forward(const Tensor& x) override { return sigmoid(x); }
  std::string repr() const override { return "Sigmoid()"; }
};

// Nearest or bilinear resize by a scale factor: [N,C,H,W] -> [N,C,floor(H*s),floor(W*s)].
class Upsample : public Module {
 public:
  explicit Upsample(double scale, bool bilinear = false, bool align_corners = false)
      : scale(scale), bilinear(bilinear), align_corners(align_corners) {}
  Tensor forward(const Tensor& x) override;
  std::string repr() const override;
  double scale;
  bool bilinear, align_corners;
};

// x [N, ...] -> [N, prod(...)] (dims start..end flattened).
class Flatten : public Module {
 public:
  explicit Flatten(int64_t start = 1, int64_t end = -1) : start(start), end(end) {}
  Tensor forward(const Tensor& x) override { return flatten(x, start, end); }
  std::string repr() const override;
  int64_t start, end;
};

// Runs its children in order; they are named "0", "1", ...
class Sequential : public Module {
 public:
  Sequential() = default;
  explicit Sequential(std::vector<std::shared_ptr<Module>> mods);
  void push_back(std::shared_ptr<Module> m);
  Tensor forward(const Tensor& x) override;
  std::string repr() const override;
  size_t size() const { return mods_.size(); }
  std::shared_ptr<Module> operator[](size_t i) const { return mods_.at(i); }

 private:
  std::vector<std::shared_ptr<Module>> mods_;
};

}  // namespace nn
}  // namespace gantry
