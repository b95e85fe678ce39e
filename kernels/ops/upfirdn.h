// kernels/ops/upfirdn.h — upfirdn2d in the op table: upsample, FIR filter,
// downsample in one pass, the resampling primitive of style-based generators
// (kernels: kernels/cpu/upfirdn.cpp, kernels/cuda/upfirdn.cu; attributes:
// UpFirDnAttrs). See kernels/ops/begin.h for how this file is read.
//
// Per spatial axis, with up u, down d, pads (p0, p1) and a filter of K taps:
//   1. upsample: xu[i*u] = x[i], zeros elsewhere        (length H*u)
//   2. pad p0 zeros in front and p1 behind; a negative pad crops instead
//   3. filter: convolve with f (flip_filter = false), or correlate with f as
//      stored (flip_filter = true); keep only the "valid" outputs
//   4. downsample: keep every d-th sample
// so OH = (H*u + p0 + p1 - K) / d + 1 and, with F the correlation taps,
//   y[o] = gain * sum_k F[k] * xu[o*d + k - p0]          (2-D: both axes).
//
// The map is linear in x, and its adjoint is again an upfirdn2d: the roles
// of up and down swap, the filter is flipped, and the pads become
//   p0' = K - 1 - p0,   p1' = H*u - OH*d + p0 - u + 1
// (p1' makes the output exactly H long). So dx is one more call of the same
// op, and derivatives of every order follow. The map is also linear in f:
// its gradient correlates the upsampled, padded input with the gradient, a
// grouped conv2d_weight_grad (one group per image channel) summed over the
// channels — differentiable too.
//
// A 1-D filter [K] is separable: the op runs it along W, then along H (two
// calls, each 2-D with a [1,K] or [K,1] filter), which costs 2K taps per
// output instead of K^2.
#include "kernels/ops/begin.h"

// ----------------------------------------------------------------- entries
//        name       attrs         in out flags
GANTRY_OP(upfirdn2d, UpFirDnAttrs, 2, 1,  kNoFlags)  // (x [N,C,H,W], f [FH,FW]) -> y

// ------------------------------------------------------------- public API
#if defined(GANTRY_OPS_DECLARE)
namespace gantry {
// Pads of upfirdn2d: {left, right, top, bottom}, as gantry::pad; negative crops.
using Pad4 = std::array<int64_t, 4>;

// x [N,C,H,W], f [FH,FW] (full) or [K] (separable) ->
// [N, C, (H*up_h + top + bottom - FH)/down_h + 1, (W*up_w + left + right - FW)/down_w + 1].
// up/down are (height, width). Differentiable in x and f, to any order.
Tensor upfirdn2d(const Tensor& x, const Tensor& f, Pair up = {1, 1}, Pair down = {1, 1},
                 Pad4 pad = {0, 0, 0, 0}, bool flip_filter = false, double gain = 1.0);

// A resampling filter from its 1-D taps (e.g. {1, 3, 3, 1}), normalized to
// sum 1, with `like`'s dtype and device (float32 on the CPU if undefined):
// [K] when separable, else the outer product [K, K].
Tensor make_resample_filter(const std::vector<double>& taps, const Tensor& like,
                            bool separable = true);

// The usual uses, with the pads that keep the image centred: x [N,C,H,W] ->
//   upsample2d   [N, C, H*factor, W*factor]  (gain factor^2 keeps the mean)
//   downsample2d [N, C, H/factor, W/factor]  (H, W divisible by factor)
//   filter2d     [N, C, H, W]                (same size; pad = K-1 in total)
Tensor upsample2d(const Tensor& x, const Tensor& f, int64_t factor = 2);
Tensor downsample2d(const Tensor& x, const Tensor& f, int64_t factor = 2);
Tensor filter2d(const Tensor& x, const Tensor& f);
}  // namespace gantry
#endif  // GANTRY_OPS_DECLARE

// ------------------------------------------------ definitions, derivatives
#if defined(GANTRY_OPS_DEFINE)
namespace gantry {

namespace {

using kernels::UpFirDnAttrs;

// Output length along one axis, or an error naming the call.
int64_t upfirdn_out(const Shape& xs, const Shape& fs, int64_t in, int64_t k, int64_t u, int64_t d,
                    int64_t p0, int64_t p1) {
  const int64_t padded = in * u + p0 + p1;
  GANTRY_CHECK(padded >= k, "upfirdn2d: filter ", shape_str(fs), " is longer than the input ",
               shape_str(xs), " after upsampling by ", u, " and padding (", p0, ", ", p1,
               "): ", padded, " samples");
  return (padded - k) / d + 1;
}

Tensor upfirdn2d_op(const Tensor& x, const Tensor& f, const UpFirDnAttrs& a);

// d/df: correlate the upsampled, padded input with the gradient g, per image
// channel, and add the channels up (then undo the flip of the taps).
Tensor upfirdn2d_filter_grad(const Tensor& x, const Tensor& g, const Shape& fs,
                             const UpFirDnAttrs& a) {
  const int64_t N = x.size(0), C = x.size(1);
  UpFirDnAttrs spread = a;  // xu padded: upsample and pad only, by a 1x1 unit filter
  spread.down_h = spread.down_w = 1;
  spread.gain = 1.0;
  Tensor xp = upfirdn2d_op(x, full({1, 1}, 1.0, Options(x.dtype()).device(x.device())), spread);
  xp = reshape(xp, {1, N * C, xp.size(2), xp.size(3)});
  Tensor dF = conv2d_weight_grad(xp, reshape(g, {1, N * C, g.size(2), g.size(3)}),
                                 {N * C, 1, fs[0], fs[1]}, {a.down_h, a.down_w}, {0, 0}, {1, 1},
                                 N * C);
  dF = mul(sum(reshape(dF, {N * C, fs[0], fs[1]}), {0}), a.gain);  // [FH, FW]
  if (a.flip_filter) return dF;
  auto reversed = [&](int64_t n) {
    Tensor idx = empty({n}, kInt64);
    for (int64_t i = 0; i < n; ++i) idx.data<int64_t>()[i] = n - 1 - i;
    return idx.to(x.device());
  };
  return index_select(index_select(dF, 0, reversed(fs[0])), 1, reversed(fs[1]));
}

// The adjoint's attributes (see the opening comment), for an input of
// spatial size (H, W), output (OH, OW) and a filter (FH, FW).
UpFirDnAttrs adjoint(const UpFirDnAttrs& a, int64_t H, int64_t W, int64_t OH, int64_t OW,
                     int64_t FH, int64_t FW) {
  UpFirDnAttrs t;
  t.up_h = a.down_h;
  t.up_w = a.down_w;
  t.down_h = a.up_h;
  t.down_w = a.up_w;
  t.pad_left = FW - 1 - a.pad_left;
  t.pad_right = W * a.up_w - OW * a.down_w + a.pad_left - a.up_w + 1;
  t.pad_top = FH - 1 - a.pad_top;
  t.pad_bottom = H * a.up_h - OH * a.down_h + a.pad_top - a.up_h + 1;
  t.flip_filter = !a.flip_filter;
  t.gain = a.gain;
  return t;
}

Tensor upfirdn2d_op(const Tensor& x, const Tensor& f, const UpFirDnAttrs& a) {
  const Shape& xs = x.shape();
  const Shape& fs = f.shape();
  const int64_t OH = upfirdn_out(xs, fs, xs[2], fs[0], a.up_h, a.down_h, a.pad_top, a.pad_bottom);
  const int64_t OW = upfirdn_out(xs, fs, xs[3], fs[1], a.up_w, a.down_w, a.pad_left, a.pad_right);
  Tensor y = detail::new_output(x, {xs[0], xs[1], OH, OW}, x.dtype());
  kernels::run(kernels::OpId::upfirdn2d, {x, f}, {y}, a);
  // x's gradient reads only f; f's gradient reads x.
  record("UpFirDn2dBackward", {x, f}, {y},
         [sf = save(f, "filter"), sx = save_if(will_need_grad(f), x, "input"), a,
          t = adjoint(a, xs[2], xs[3], OH, OW, fs[0], fs[1]), fs](const Tensors& g, const NeedMask& n) {
           return Tensors{n[0] ? upfirdn2d_op(g[0], sf.unpack(), t) : Tensor(),
                          n[1] ? upfirdn2d_filter_grad(sx.unpack(), g[0], fs, a) : Tensor()};
         });
  return y;
}

}  // namespace

Tensor upfirdn2d(const Tensor& x, const Tensor& f, Pair up, Pair down, Pad4 pad, bool flip_filter,
                 double gain) {
  const char* op = "upfirdn2d";
  detail::check_same(op, x, f);
  detail::check_floating(op, x);
  GANTRY_CHECK(x.dim() == 4, op, ": input must be [N,C,H,W], got ", shape_str(x.shape()));
  GANTRY_CHECK(f.dim() == 1 || f.dim() == 2, op, ": filter must be [K] (separable) or [FH,FW], got ",
               shape_str(f.shape()));
  GANTRY_CHECK(f.numel() > 0, op, ": empty filter ", shape_str(f.shape()));
  for (int i = 0; i < 2; ++i) {
    GANTRY_CHECK(up[i] >= 1 && down[i] >= 1, op, ": up (", up[0], ",", up[1], ") and down (",
                 down[0], ",", down[1], ") must be >= 1");
  }
  GANTRY_CHECK(std::isfinite(gain), op, ": gain must be finite, got ", gain);
  if (f.dim() == 2) {
    UpFirDnAttrs a{up[0], up[1], down[0], down[1], pad[0], pad[1], pad[2], pad[3], flip_filter, gain};
    return upfirdn2d_op(x, f, a);
  }
  // Separable: along W (a [1,K] filter), then along H ([K,1]); the gain once.
  // The sizes are checked here, so an error names the caller's x and f.
  const int64_t K = f.size(0);
  upfirdn_out(x.shape(), f.shape(), x.size(2), K, up[0], down[0], pad[2], pad[3]);
  upfirdn_out(x.shape(), f.shape(), x.size(3), K, up[1], down[1], pad[0], pad[1]);
  UpFirDnAttrs along_w{1, up[1], 1, down[1], pad[0], pad[1], 0, 0, flip_filter, gain};
  UpFirDnAttrs along_h{up[0], 1, down[0], 1, 0, 0, pad[2], pad[3], flip_filter, 1.0};
  return upfirdn2d_op(upfirdn2d_op(x, reshape(f, {1, K}), along_w), reshape(f, {K, 1}), along_h);
}

Tensor make_resample_filter(const std::vector<double>& taps, const Tensor& like, bool separable) {
  GANTRY_CHECK(!taps.empty(), "make_resample_filter: no taps");
  double total = 0;
  for (double t : taps) total += t;
  GANTRY_CHECK(std::isfinite(total) && total != 0.0,
               "make_resample_filter: the taps must have a finite, non-zero sum, got ", total);
  const int64_t K = static_cast<int64_t>(taps.size());
  Tensor f = empty(separable ? Shape{K} : Shape{K, K}, kFloat64);
  double* p = f.data<double>();
  for (int64_t i = 0; i < K; ++i) {
    if (separable) {
      p[i] = taps[i] / total;
    } else {
      for (int64_t j = 0; j < K; ++j) p[i * K + j] = taps[i] * taps[j] / (total * total);
    }
  }
  if (!like.defined()) return f.to(kFloat32);
  return f.to(like.dtype()).to(like.device());
}

namespace {
int64_t filter_taps(const char* op, const Tensor& f) {
  GANTRY_CHECK(f.dim() == 1 || (f.dim() == 2 && f.size(0) == f.size(1)), op,
               ": filter must be [K] or square [K,K], got ", shape_str(f.shape()));
  return f.size(0);
}
}  // namespace

Tensor upsample2d(const Tensor& x, const Tensor& f, int64_t factor) {
  GANTRY_CHECK(factor >= 1, "upsample2d: factor must be >= 1, got ", factor);
  const int64_t K = filter_taps("upsample2d", f);
  const int64_t p0 = (K + factor - 1) / 2, p1 = (K - factor) / 2;
  return upfirdn2d(x, f, {factor, factor}, {1, 1}, {p0, p1, p0, p1}, false,
                   static_cast<double>(factor * factor));
}

Tensor downsample2d(const Tensor& x, const Tensor& f, int64_t factor) {
  GANTRY_CHECK(factor >= 1, "downsample2d: factor must be >= 1, got ", factor);
  GANTRY_CHECK(x.dim() == 4 && x.size(2) % factor == 0 && x.size(3) % factor == 0,
               "downsample2d: input ", shape_str(x.shape()), " is not [N,C,H,W] with H and W divisible by ",
               factor);
  const int64_t K = filter_taps("downsample2d", f);
  const int64_t p0 = (K - factor + 1) / 2, p1 = (K - factor) / 2;
  return upfirdn2d(x, f, {1, 1}, {factor, factor}, {p0, p1, p0, p1});
}

Tensor filter2d(const Tensor& x, const Tensor& f) {
  const int64_t K = filter_taps("filter2d", f);
  const int64_t p0 = K / 2, p1 = (K - 1) / 2;
  return upfirdn2d(x, f, {1, 1}, {1, 1}, {p0, p1, p0, p1});
}

}  // namespace gantry
#endif  // GANTRY_OPS_DEFINE

#include "kernels/ops/end.h"
