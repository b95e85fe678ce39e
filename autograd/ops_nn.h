// autograd/ops_nn.h — the differentiable ops GANs are made of: convolution,
// normalization, pooling, resampling, padding, joining and indexing, softmax
// and losses. Included by autograd/ops.h.
//
// Image tensors are NCHW: x [N, C, H, W]. Every op validates its inputs and
// names the shapes in its errors. First derivatives exist for every op; second
// derivatives for convolution (both kinds), linear, layer_norm, group_norm,
// avg_pool2d, upsampling, padding and the activations (their backward passes
// are written with differentiable ops), and in fact for every op here.
#pragma once
#include <array>
#include <vector>

#include "core/tensor.h"

namespace gantry {

using Pair = std::array<int64_t, 2>;  // (height, width)

// ------------------------------------------------------------- convolution
// x [N,C,H,W], w [O,C/groups,KH,KW], b [O] (optional) -> [N,O,OH,OW],
// OH = (H + 2*pad_h - dil_h*(KH-1) - 1) / stride_h + 1.
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b = Tensor(), Pair stride = {1, 1},
              Pair padding = {0, 0}, Pair dilation = {1, 1}, int64_t groups = 1);
// x [N,C,H,W], w [C,O/groups,KH,KW], b [O] -> [N,O,OH,OW],
// OH = (H-1)*stride_h - 2*pad_h + dil_h*(KH-1) + output_padding_h + 1.
Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& b = Tensor(),
                        Pair stride = {1, 1}, Pair padding = {0, 0},
                        Pair output_padding = {0, 0}, int64_t groups = 1,
                        Pair dilation = {1, 1});
// The two halves of conv2d's backward, as differentiable ops of their own:
// dx [input_shape] from g [N,O,OH,OW] and w; dw [weight_shape] from x and g.
Tensor conv2d_input_grad(const Tensor& g, const Tensor& w, const Shape& input_shape, Pair stride,
                         Pair padding, Pair dilation, int64_t groups);
Tensor conv2d_weight_grad(const Tensor& x, const Tensor& g, const Shape& weight_shape,
                          Pair stride, Pair padding, Pair dilation, int64_t groups);

// ----------------------------------------------------------- normalization
// x [N,C,*]. Training: normalizes with the batch statistics (biased variance)
// and, when running stats are given, updates them in place:
//   running = (1 - momentum) * running + momentum * batch  (unbiased variance).
// Eval: normalizes with the running stats. weight/bias [C] are optional.
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training,
                  double momentum = 0.1, double eps = 1e-5);
// Normalizes over the trailing dims `normalized_shape`; weight/bias have that shape.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);
// x [N,C,*] in `groups` groups of C/groups channels; weight/bias [C].
Tensor group_norm(const Tensor& x, int64_t groups, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);

// ---------------------------------------------------------------- pooling
// stride {0,0} means stride = kernel. avg_pool2d counts padding in the divisor.
Tensor avg_pool2d(const Tensor& x, Pair kernel, Pair stride = {0, 0}, Pair padding = {0, 0});
Tensor max_pool2d(const Tensor& x, Pair kernel, Pair stride = {0, 0}, Pair padding = {0, 0},
                  Pair dilation = {1, 1});
// Output [N,C,OH,OW]; bin i covers [floor(i*H/OH), ceil((i+1)*H/OH)).
Tensor adaptive_avg_pool2d(const Tensor& x, Pair output_size);

// -------------------------------------------------------------- resampling
// Nearest: source index floor(dst * in / out). Bilinear: half-pixel centres
// (align_corners = false) or corner-aligned, as PyTorch.
Tensor upsample_nearest2d(const Tensor& x, Pair output_size);
Tensor upsample_bilinear2d(const Tensor& x, Pair output_size, bool align_corners = false);

// ----------------------------------------------------------------- padding
enum class PadMode { Constant, Reflect, Replicate };
// pads = {left, right, top, bottom, ...}: pairs for the last dim, then the one
// before it, as torch.nn.functional.pad. Non-negative.
Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, PadMode mode = PadMode::Constant,
           double value = 0.0);

// ------------------------------------------------------- joining, indexing
Tensor cat(const std::vector<Tensor>& xs, int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& xs, int64_t dim = 0);
// Pieces of `split_size` along dim (the last may be smaller); views.
std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim = 0);
// idx: int64 [K] -> x with dim `dim` replaced by K.
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& idx);
// idx int64 with x's rank -> y of idx's shape, y[..i..] = x[.. idx[..i..] at dim ..].
Tensor gather(const Tensor& x, int64_t dim, const Tensor& idx);
// y = x, then y[.. idx[..i..] at dim ..] += src[..i..]; idx and src have one shape.
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& idx, const Tensor& src);
// idx int64 [*] -> weight rows [*, D]; weight [V, D].
Tensor embedding(const Tensor& idx, const Tensor& weight);
// idx int64 [*] -> int64 [*, num_classes] of 0/1.
Tensor one_hot(const Tensor& idx, int64_t num_classes);
// value where mask (uint8, broadcastable), else x.
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);

// ------------------------------------------------------- softmax and losses
Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);

enum class Reduction { Mean, Sum, None };
// p in [0,1], targets of p's shape; log terms clamped at -100 (as PyTorch).
Tensor binary_cross_entropy(const Tensor& p, const Tensor& target,
                            Reduction r = Reduction::Mean);
// Logits x; computed as softplus(x) - x*target, stable for any |x|.
Tensor binary_cross_entropy_with_logits(const Tensor& x, const Tensor& target,
                                        Reduction r = Reduction::Mean);
Tensor mse_loss(const Tensor& x, const Tensor& target, Reduction r = Reduction::Mean);
Tensor l1_loss(const Tensor& x, const Tensor& target, Reduction r = Reduction::Mean);
// logits [N,C], target int64 [N] of class indices in [0, C).
Tensor cross_entropy(const Tensor& logits, const Tensor& target, Reduction r = Reduction::Mean);
// log_probs [N,C], target int64 [N].
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, Reduction r = Reduction::Mean);

}  // namespace gantry
