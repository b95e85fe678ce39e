// autograd/ops_nn.h — the composite ops GANs are made of: normalization,
// pooling, resampling, padding, softmax and losses. Included by
// autograd/ops.h. (Convolution, batch norm and indexing are table ops:
// kernels/ops/conv.h, norm.h, index.h.)
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

// ----------------------------------------------------------- normalization
// Normalizes over the trailing dims `normalized_shape`; weight/bias have that shape.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);
// x [N,C,*] in `groups` groups of C/groups channels; weight/bias [C].
Tensor group_norm(const Tensor& x, int64_t groups, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);

// Pixelwise feature normalization (Karras et al., ProGAN): every pixel's
// feature vector scaled to unit root-mean-square over the channels,
//   y[n,c,...] = x[n,c,...] / sqrt(mean_c x[n,:,...]^2 + eps),  x [N,C,*].
Tensor pixel_norm(const Tensor& x, double eps = 1e-8);
// Minibatch standard deviation (ProGAN; StyleGAN2's grouping): x [N,C,H,W]
// -> [N, C + features, H, W]. The batch is split into groups of
// G = min(group_size, N) samples, sample n in group n % (N/G) (N must be a
// multiple of G); the C channels into `features` slices. For each group and
// slice: the standard deviation over the group's samples (biased, + 1e-8
// inside the root) of every value, averaged over the slice's channels and
// pixels; that number, as a constant H x W map, is appended to each of the
// group's samples. It lets D see a batch's variety (against mode collapse).
Tensor minibatch_stddev(const Tensor& x, int64_t group_size = 4, int64_t features = 1);

// Modulated convolution (StyleGAN2, Karras et al. 2020): each sample n
// convolves with its own weight, the shared weight w [O,C,K,K] scaled per
// input channel by its style s [N,C],
//   w'[n,o,c,...] = w[o,c,...] * s[n,c],
// and, when demodulating, rescaled so each output channel has unit expected
// norm again: w''[n,o,...] = w'[n,o,...] / sqrt(sum_{c,kh,kw} w'[n,o,c,kh,kw]^2 + eps).
// x [N,C,H,W] -> [N,O,OH,OW] (stride 1, `padding` on each side). Two forms,
// equal up to rounding (a test holds them to it):
//   Grouped         one grouped conv2d with groups = N over x viewed as
//                   [1, N*C, H, W] and the per-sample weights [N*O, C, K, K]
//   ScaleConvScale  scale x by s, one ordinary conv2d with the shared w,
//                   scale the output by the per-(n, o) demodulation factor
// Differentiable in x, w and s, to any order (both are composed of ops).
enum class ModConvForm { Grouped, ScaleConvScale };
Tensor modulated_conv2d(const Tensor& x, const Tensor& w, const Tensor& styles, bool demodulate = true,
                        int64_t padding = 0, ModConvForm form = ModConvForm::Grouped,
                        double eps = 1e-8);

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
