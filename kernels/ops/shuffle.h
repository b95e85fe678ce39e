// kernels/ops/shuffle.h — pixel shuffle in the op table: the rearrangement
// behind sub-pixel convolution (Shi et al. 2016, "Real-Time Single Image and
// Video Super-Resolution Using an Efficient Sub-Pixel Convolutional Neural
// Network"), which the super-resolution generators upsample with, and its
// inverse (kernels: kernels/cpu/shuffle.cpp, kernels/cuda/shuffle.cu;
// attributes: ShuffleAttrs). See kernels/ops/begin.h for how this file is read.
//
// With r the factor, channel c*r*r + i*r + j of the small tensor holds the
// (i, j) sub-pixel of channel c of the large one:
//   large [N, C, H*r, W*r] at (n, c, h*r + i, w*r + j)
//     = small [N, C*r*r, H, W] at (n, c*r*r + i*r + j, h, w).
// Both are permutations, each other's inverse, so each one's derivative is
// the other applied to the gradient, to any order.
#include "kernels/ops/begin.h"

// ----------------------------------------------------------------- entries
//        name             attrs         in out flags
GANTRY_OP(pixel_shuffle,   ShuffleAttrs, 1, 1,  kNoFlags)  // small -> large
GANTRY_OP(pixel_unshuffle, ShuffleAttrs, 1, 1,  kNoFlags)  // large -> small

// ------------------------------------------------------------- public API
#if defined(GANTRY_OPS_DECLARE)
namespace gantry {
// x [N, C*r*r, H, W] -> [N, C, H*r, W*r]
Tensor pixel_shuffle(const Tensor& x, int64_t upscale_factor);
// x [N, C, H*r, W*r] -> [N, C*r*r, H, W]
Tensor pixel_unshuffle(const Tensor& x, int64_t downscale_factor);
}  // namespace gantry
#endif  // GANTRY_OPS_DECLARE

// ------------------------------------------------ definitions, derivatives
#if defined(GANTRY_OPS_DEFINE)
namespace gantry {

namespace {
void check_shuffle_input(const char* op, const Tensor& x, int64_t r) {
  detail::check_defined(op, x);
  detail::check_floating(op, x);
  GANTRY_CHECK(x.dim() == 4, op, ": input must be [N,C,H,W], got ", shape_str(x.shape()));
  GANTRY_CHECK(r >= 1, op, ": factor must be >= 1, got ", r);
}
}  // namespace

Tensor pixel_shuffle(const Tensor& x, int64_t r) {
  check_shuffle_input("pixel_shuffle", x, r);
  GANTRY_CHECK(x.size(1) % (r * r) == 0, "pixel_shuffle: input ", shape_str(x.shape()), " has ",
               x.size(1), " channels, not divisible by factor^2 = ", r * r);
  Tensor y = detail::new_output(
      x, {x.size(0), x.size(1) / (r * r), x.size(2) * r, x.size(3) * r}, x.dtype());
  kernels::run(kernels::OpId::pixel_shuffle, {x}, {y}, kernels::ShuffleAttrs{r});
  record("PixelShuffleBackward", {x}, {y}, [r](const Tensors& g, const NeedMask&) {
    return Tensors{pixel_unshuffle(g[0], r)};
  });
  return y;
}

Tensor pixel_unshuffle(const Tensor& x, int64_t r) {
  check_shuffle_input("pixel_unshuffle", x, r);
  GANTRY_CHECK(x.size(2) % r == 0 && x.size(3) % r == 0, "pixel_unshuffle: input ",
               shape_str(x.shape()), " has spatial size ", x.size(2), "x", x.size(3),
               ", not divisible by the factor ", r);
  Tensor y = detail::new_output(
      x, {x.size(0), x.size(1) * r * r, x.size(2) / r, x.size(3) / r}, x.dtype());
  kernels::run(kernels::OpId::pixel_unshuffle, {x}, {y}, kernels::ShuffleAttrs{r});
  record("PixelUnshuffleBackward", {x}, {y}, [r](const Tensors& g, const NeedMask&) {
    return Tensors{pixel_shuffle(g[0], r)};
  });
  return y;
}

}  // namespace gantry
#endif  // GANTRY_OPS_DEFINE

#include "kernels/ops/end.h"
