// autograd/ops_nn.cpp — normalization, pooling, resampling, padding, softmax
// and losses, composed from differentiable ops (so first and second
// derivatives come from the parts, and each part is conformance-tested).
//
// Resampling and adaptive pooling are linear maps along H and W, applied as
// out[n,c] = Mh [OH,H] @ x[n,c] @ Mw^T [W,OW] with small constant matrices;
// average pooling is a depthwise convolution with a constant kernel; max
// pooling gathers the window maxima found by a kernel; reflect/replicate
// padding are index_selects. Fused kernels for the hot paths (batch norm,
// softmax) can replace these later without changing this API.
#include <algorithm>
#include <cmath>

#include "autograd/op_helpers.h"

namespace gantry {

namespace {

void check_4d(const char* op, const Tensor& x) {
  detail::check_defined(op, x);
  detail::check_floating(op, x);
  GANTRY_CHECK(x.dim() == 4, op, ": input must be [N,C,H,W], got ", shape_str(x.shape()));
}

// out[n,c] = Mh @ x[n,c] @ Mw^T; Mh [OH,H], Mw [OW,W] (constants, x's dtype/device).
Tensor separable(const Tensor& x, const Tensor& mh, const Tensor& mw) {
  Tensor t = matmul(x, transpose(mw, 0, 1));                  // [N,C,H,OW]
  t = matmul(transpose(t, 2, 3), transpose(mh, 0, 1));         // [N,C,OW,OH]
  return transpose(t, 2, 3);                                   // [N,C,OH,OW]
}

Tensor matrix_like(const Tensor& x, const std::vector<double>& v, int64_t rows, int64_t cols) {
  return core::to_device(core::cast(from_vector<double>(v, {rows, cols}), x.dtype()), x.device());
}

Tensor adaptive_matrix(const Tensor& x, int64_t in, int64_t out) {
  std::vector<double> m(out * in, 0.0);
  for (int64_t i = 0; i < out; ++i) {
    const int64_t s = (i * in) / out, e = ((i + 1) * in + out - 1) / out;
    for (int64_t j = s; j < e; ++j) m[i * in + j] = 1.0 / static_cast<double>(e - s);
  }
  return matrix_like(x, m, out, in);
}

Tensor nearest_matrix(const Tensor& x, int64_t in, int64_t out) {
  std::vector<double> m(out * in, 0.0);
  const double scale = static_cast<double>(in) / static_cast<double>(out);
  for (int64_t i = 0; i < out; ++i)
    m[i * in + std::min<int64_t>(static_cast<int64_t>(std::floor(i * scale)), in - 1)] = 1.0;
  return matrix_like(x, m, out, in);
}

Tensor bilinear_matrix(const Tensor& x, int64_t in, int64_t out, bool align_corners) {
  std::vector<double> m(out * in, 0.0);
  for (int64_t i = 0; i < out; ++i) {
    double src;
    if (align_corners) {
      src = out > 1 ? static_cast<double>(i) * (in - 1) / static_cast<double>(out - 1) : 0.0;
    } else {
      src = (static_cast<double>(i) + 0.5) * in / static_cast<double>(out) - 0.5;
      if (src < 0) src = 0;
    }
    int64_t i0 = std::min<int64_t>(static_cast<int64_t>(std::floor(src)), in - 1);
    int64_t i1 = std::min<int64_t>(i0 + 1, in - 1);
    const double l = src - static_cast<double>(i0);
    m[i * in + i0] += 1.0 - l;
    m[i * in + i1] += l;
  }
  return matrix_like(x, m, out, in);
}

void check_out_size(const char* op, Pair s) {
  GANTRY_CHECK(s[0] > 0 && s[1] > 0, op, ": output size (", s[0], ",", s[1],
               ") must be positive");
}

// Applies a reduction mode to an elementwise loss.
Tensor reduce_loss(const Tensor& l, Reduction r) {
  switch (r) {
    case Reduction::Mean: return mean(l);
    case Reduction::Sum: return sum(l);
    case Reduction::None: return l;
  }
  return l;
}

void check_loss_pair(const char* op, const Tensor& x, const Tensor& t) {
  detail::check_same(op, x, t);
  detail::check_floating(op, x);
  GANTRY_CHECK(x.shape() == t.shape(), op, ": input ", shape_str(x.shape()), " and target ",
               shape_str(t.shape()), " must have one shape");
}

}  // namespace

// ----------------------------------------------------------- normalization
Tensor layer_norm(const Tensor& x, const Shape& ns, const Tensor& weight, const Tensor& bias,
                  double eps) {
  const char* op = "layer_norm";
  detail::check_defined(op, x);
  detail::check_floating(op, x);
  const int64_t k = static_cast<int64_t>(ns.size());
  GANTRY_CHECK(k >= 1 && k <= x.dim() && Shape(x.shape().end() - k, x.shape().end()) == ns, op,
               ": normalized_shape ", shape_str(ns), " is not the trailing shape of input ",
               shape_str(x.shape()));
  std::vector<int64_t> dims;
  for (int64_t d = x.dim() - k; d < x.dim(); ++d) dims.push_back(d);
  Tensor y = mul(sub(x, mean(x, dims, true)), rsqrt(add(var(x, dims, false, true), eps)));
  for (const Tensor* p : {&weight, &bias})
    if (p->defined()) {
      detail::check_same(op, x, *p);
      GANTRY_CHECK(p->shape() == ns, op, ": weight/bias ", shape_str(p->shape()),
                   " must have the normalized shape ", shape_str(ns));
    }
  if (weight.defined()) y = mul(y, weight);
  if (bias.defined()) y = add(y, bias);
  return y;
}

Tensor group_norm(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias,
                  double eps) {
  const char* op = "group_norm";
  detail::check_defined(op, x);
  detail::check_floating(op, x);
  GANTRY_CHECK(x.dim() >= 2, op, ": input must be [N,C,*], got ", shape_str(x.shape()));
  GANTRY_CHECK(groups >= 1 && x.size(1) % groups == 0, op, ": ", x.size(1),
               " channels of input ", shape_str(x.shape()), " do not split into ", groups,
               " groups");
  Tensor g = reshape(x, {x.size(0), groups, -1});  // [N, G, C/G * spatial]
  Tensor y = mul(sub(g, mean(g, {2}, true)), rsqrt(add(var(g, {2}, false, true), eps)));
  return detail::affine(op, reshape(y, x.shape()), x, weight, bias);
}

Tensor pixel_norm(const Tensor& x, double eps) {
  const char* op = "pixel_norm";
  detail::check_defined(op, x);
  detail::check_floating(op, x);
  GANTRY_CHECK(x.dim() >= 2, op, ": input must be [N,C,*], got ", shape_str(x.shape()));
  GANTRY_CHECK(eps > 0, op, ": eps ", eps, " must be positive");
  return mul(x, rsqrt(add(mean(mul(x, x), {1}, true), eps)));  // [N,1,*] broadcast over C
}

Tensor minibatch_stddev(const Tensor& x, int64_t group_size, int64_t features) {
  const char* op = "minibatch_stddev";
  check_4d(op, x);
  detail::check_floating(op, x);
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  GANTRY_CHECK(group_size >= 1, op, ": group_size ", group_size, " must be positive");
  const int64_t G = std::min(group_size, N);
  GANTRY_CHECK(N % G == 0, op, ": batch ", N, " of input ", shape_str(x.shape()),
               " is not a multiple of the group size ", G);
  GANTRY_CHECK(features >= 1 && C % features == 0, op, ": ", C, " channels of input ",
               shape_str(x.shape()), " do not split into ", features, " features");
  const int64_t M = N / G, F = features;
  Tensor y = reshape(x, {G, M, F, C / F, H, W});                  // sample n = g*M + m
  Tensor sd = sqrt(add(var(y, {0}, /*unbiased=*/false), 1e-8));   // [M, F, C/F, H, W]
  Tensor s = mean(sd, {2, 3, 4});                                  // [M, F]
  s = expand(reshape(s, {1, M, F, 1, 1}), {G, M, F, H, W});        // the group's value, per sample
  return cat({x, reshape(s, {N, F, H, W})}, 1);
}

Tensor modulated_conv2d(const Tensor& x, const Tensor& w, const Tensor& s, bool demodulate,
                        int64_t padding, ModConvForm form, double eps) {
  const char* op = "modulated_conv2d";
  check_4d(op, x);
  detail::check_floating(op, x);
  detail::check_same(op, x, w);
  detail::check_same(op, x, s);
  GANTRY_CHECK(w.dim() == 4 && w.size(1) == x.size(1), op, ": weight ", shape_str(w.shape()),
               " must be [O, C, K, K] with C = ", x.size(1), " input channels of ", shape_str(x.shape()));
  GANTRY_CHECK(s.dim() == 2 && s.size(0) == x.size(0) && s.size(1) == x.size(1), op, ": styles ",
               shape_str(s.shape()), " must be [N, C] = [", x.size(0), ", ", x.size(1), "]");
  GANTRY_CHECK(padding >= 0, op, ": negative padding ", padding);
  GANTRY_CHECK(eps > 0, op, ": eps ", eps, " must be positive");
  const int64_t N = x.size(0), C = x.size(1), O = w.size(0), KH = w.size(2), KW = w.size(3);
  if (form == ModConvForm::ScaleConvScale) {
    Tensor y = conv2d(mul(x, reshape(s, {N, C, 1, 1})), w, Tensor(), {1, 1}, {padding, padding});
    if (!demodulate) return y;
    // sum_{c,k} (w[o,c,k] s[n,c])^2 = (s^2 [N,C]) @ (sum_k w^2 [O,C])^T -> [N,O]
    Tensor d = rsqrt(add(matmul(mul(s, s), transpose(sum(mul(w, w), {2, 3}), 0, 1)), eps));
    return mul(y, reshape(d, {N, O, 1, 1}));
  }
  Tensor wn = mul(reshape(w, {1, O, C, KH, KW}), reshape(s, {N, 1, C, 1, 1}));  // [N,O,C,K,K]
  if (demodulate) wn = mul(wn, rsqrt(add(sum(mul(wn, wn), {2, 3, 4}, true), eps)));
  Tensor y = conv2d(reshape(x, {1, N * C, x.size(2), x.size(3)}), reshape(wn, {N * O, C, KH, KW}),
                    Tensor(), {1, 1}, {padding, padding}, {1, 1}, N);
  return reshape(y, {N, O, y.size(2), y.size(3)});
}

// ---------------------------------------------------------------- pooling
Tensor avg_pool2d(const Tensor& x, Pair k, Pair stride, Pair padding) {
  check_4d("avg_pool2d", x);
  if (stride[0] == 0 && stride[1] == 0) stride = k;
  GANTRY_CHECK(k[0] > 0 && k[1] > 0, "avg_pool2d: kernel (", k[0], ",", k[1],
               ") must be positive");
  GANTRY_CHECK(2 * padding[0] <= k[0] && 2 * padding[1] <= k[1],
               "avg_pool2d: padding (", padding[0], ",", padding[1],
               ") must be at most half the kernel (", k[0], ",", k[1], ")");
  const int64_t C = x.size(1);
  Tensor w = full({C, 1, k[0], k[1]}, 1.0 / static_cast<double>(k[0] * k[1]),
                  Options(x.dtype()).device(x.device()));
  return conv2d(x, w, Tensor(), stride, padding, {1, 1}, C);
}

Tensor max_pool2d(const Tensor& x, Pair k, Pair stride, Pair padding, Pair dilation) {
  const char* op = "max_pool2d";
  check_4d(op, x);
  if (stride[0] == 0 && stride[1] == 0) stride = k;
  Shape out = {x.size(0), x.size(1), 0, 0};
  for (int i = 0; i < 2; ++i) {
    GANTRY_CHECK(k[i] > 0 && stride[i] > 0 && dilation[i] > 0 && padding[i] >= 0, op,
                 ": kernel, stride and dilation must be positive and padding non-negative");
    GANTRY_CHECK(2 * padding[i] <= k[i], op, ": padding (", padding[0], ",", padding[1],
                 ") must be at most half the kernel (", k[0], ",", k[1], ")");
    const int64_t span = dilation[i] * (k[i] - 1) + 1;
    GANTRY_CHECK(x.size(2 + i) + 2 * padding[i] >= span, op, ": window ", span,
                 " is larger than the padded input ", shape_str(x.shape()));
    out[2 + i] = (x.size(2 + i) + 2 * padding[i] - span) / stride[i] + 1;
  }
  const kernels::PoolAttrs a{k[0], k[1], stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1]};
  Tensor idx = detail::new_output(x, out, kInt64);
  kernels::run(kernels::OpId::max_pool2d_indices, {x}, {idx}, a);
  Tensor flat = reshape(x, {x.size(0), x.size(1), -1});
  return reshape(gather(flat, 2, core::reshape(idx, {out[0], out[1], -1})), out);
}

Tensor adaptive_avg_pool2d(const Tensor& x, Pair s) {
  check_4d("adaptive_avg_pool2d", x);
  check_out_size("adaptive_avg_pool2d", s);
  return separable(x, adaptive_matrix(x, x.size(2), s[0]), adaptive_matrix(x, x.size(3), s[1]));
}

// -------------------------------------------------------------- resampling
Tensor upsample_nearest2d(const Tensor& x, Pair s) {
  check_4d("upsample_nearest2d", x);
  check_out_size("upsample_nearest2d", s);
  return separable(x, nearest_matrix(x, x.size(2), s[0]), nearest_matrix(x, x.size(3), s[1]));
}

Tensor upsample_bilinear2d(const Tensor& x, Pair s, bool align_corners) {
  check_4d("upsample_bilinear2d", x);
  check_out_size("upsample_bilinear2d", s);
  return separable(x, bilinear_matrix(x, x.size(2), s[0], align_corners),
                   bilinear_matrix(x, x.size(3), s[1], align_corners));
}

// ----------------------------------------------------------------- padding
Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, PadMode mode, double value) {
  const char* op = "pad";
  detail::check_defined(op, x);
  GANTRY_CHECK(pads.size() % 2 == 0 && static_cast<int64_t>(pads.size()) <= 2 * x.dim(), op,
               ": ", pads.size(), " pad values for a tensor of ", x.dim(),
               " dims (need pairs, at most 2 per dim)");
  for (int64_t p : pads)
    GANTRY_CHECK(p >= 0, op, ": negative padding ", shape_str(pads), " (crop with narrow)");
  const int64_t np = static_cast<int64_t>(pads.size()) / 2;
  if (mode == PadMode::Constant) {
    Shape out = x.shape();
    std::vector<int64_t> lo(x.dim(), 0);
    for (int64_t i = 0; i < np; ++i) {
      const int64_t d = x.dim() - 1 - i;
      out[d] += pads[2 * i] + pads[2 * i + 1];
      lo[d] = pads[2 * i];
    }
    Tensor y = full(out, value, Options(x.dtype()).device(x.device()));
    Tensor inner = y;
    for (int64_t d = 0; d < x.dim(); ++d) inner = core::slice(inner, d, lo[d], lo[d] + x.size(d), 1);
    core::copy_(inner, x);
    record("PadBackward", {x}, {y}, [xs = x.shape(), lo](const Tensors& g, const NeedMask&) {
      Tensor r = g[0];
      for (size_t d = 0; d < xs.size(); ++d) r = narrow(r, d, lo[d], xs[d]);
      return Tensors{r};
    });
    return y;
  }
  // Reflect / replicate: gather rows and columns through an index vector.
  Tensor y = x;
  for (int64_t i = 0; i < np; ++i) {
    const int64_t d = x.dim() - 1 - i, n = x.size(d), l = pads[2 * i], r = pads[2 * i + 1];
    if (l == 0 && r == 0) continue;
    GANTRY_CHECK(n > 0, op, ": cannot pad an empty dim ", d);
    if (mode == PadMode::Reflect)
      GANTRY_CHECK(l < n && r < n, op, ": reflect padding (", l, ",", r, ") must be smaller than",
                   " dim ", d, " of size ", n, " in ", shape_str(x.shape()));
    std::vector<int64_t> src;
    for (int64_t j = -l; j < n + r; ++j) {
      int64_t s = j;
      if (mode == PadMode::Replicate) {
        s = std::min(std::max<int64_t>(j, 0), n - 1);
      } else {
        if (s < 0) s = -s;
        if (s >= n) s = 2 * (n - 1) - s;
      }
      src.push_back(s);
    }
    Tensor idx = core::to_device(from_vector<int64_t>(src, {static_cast<int64_t>(src.size())}),
                                 x.device());
    y = index_select(y, d, idx);
  }
  return y;
}

// ------------------------------------------------------------ softmax
Tensor log_softmax(const Tensor& x, int64_t dim) {
  detail::check_defined("log_softmax", x);
  detail::check_floating("log_softmax", x);
  dim = wrap_dim(dim, x.dim(), "log_softmax");
  Tensor shifted = sub(x, max(x, {dim}, true).detach());  // exact for any shift
  return sub(shifted, log(sum(exp(shifted), {dim}, true)));
}

Tensor softmax(const Tensor& x, int64_t dim) {
  detail::check_defined("softmax", x);
  detail::check_floating("softmax", x);
  dim = wrap_dim(dim, x.dim(), "softmax");
  Tensor e = exp(sub(x, max(x, {dim}, true).detach()));
  return div(e, sum(e, {dim}, true));
}

// ------------------------------------------------------------------ losses
Tensor binary_cross_entropy(const Tensor& p, const Tensor& t, Reduction r) {
  const char* op = "binary_cross_entropy";
  check_loss_pair(op, p, t);
  if (p.numel() > 0) {
    NoGradGuard ng;
    const double lo = min(p).item<double>(), hi = max(p).item<double>();
    GANTRY_CHECK(lo >= 0 && hi <= 1, op, ": input values must be probabilities in [0, 1], got ",
                 "a range [", lo, ", ", hi, "] (use binary_cross_entropy_with_logits for logits)");
  }
  // Elementwise l = -(t lp + (1 - t) lq) with lp = max(log p, -100) and
  // lq = max(log(1 - p), -100), so the loss stays finite at p = 0 and 1.
  // Its derivative is analytic, as in PyTorch: composed through the clamped
  // logs it would send 0/0 into log's backward at p in {0, 1} (NaN):
  //   dl/dp = (p - t) / max(p (1 - p), 1e-12),   dl/dt = lq - lp,
  // written with differentiable ops, so a double backward works too.
  Tensor l;
  {
    NoGradGuard ng;
    Tensor lp = maximum(log(p), -100.0), lq = maximum(log(sub(1.0, p)), -100.0);
    l = neg(add(mul(t, lp), mul(sub(1.0, t), lq)));
  }
  record("BinaryCrossEntropyBackward", {p, t}, {l},
         [sp = save(p, "input"), st = save_if(will_need_grad(p), t, "target")](
             const Tensors& g, const NeedMask& n) {
           const Tensor pv = sp.unpack();
           Tensor d_p, d_t;
           // The floor keeps p(1 - p) > 0; float16 cannot hold 1e-12.
           const double eps_floor = pv.dtype() == kFloat16 ? 6.103515625e-05 : 1e-12;
           if (n[0])
             d_p = mul(g[0], div(sub(pv, st.unpack()), maximum(mul(pv, sub(1.0, pv)), eps_floor)));
           if (n[1]) {
             // max(log q, -100) with log never evaluated at q = 0, so the
             // double backward sees no 0/0 there either.
             auto clamped_log = [](const Tensor& q) {
               const Tensor pos = gt(q, 0.0);
               return where(pos, maximum(log(where(pos, q, 1.0)), -100.0),
                            scalar_tensor(-100.0, Options(q.dtype()).device(q.device())));
             };
             d_t = mul(g[0], sub(clamped_log(sub(1.0, pv)), clamped_log(pv)));
           }
           return Tensors{d_p, d_t};
         });
  return reduce_loss(l, r);
}

Tensor binary_cross_entropy_with_logits(const Tensor& x, const Tensor& t, Reduction r) {
  check_loss_pair("binary_cross_entropy_with_logits", x, t);
  // -[t log s(x) + (1-t) log(1-s(x))] = softplus(x) - t x
  return reduce_loss(sub(softplus(x), mul(t, x)), r);
}

Tensor mse_loss(const Tensor& x, const Tensor& t, Reduction r) {
  check_loss_pair("mse_loss", x, t);
  return reduce_loss(square(sub(x, t)), r);
}

Tensor l1_loss(const Tensor& x, const Tensor& t, Reduction r) {
  check_loss_pair("l1_loss", x, t);
  return reduce_loss(abs(sub(x, t)), r);
}

Tensor nll_loss(const Tensor& lp, const Tensor& t, Reduction r) {
  const char* op = "nll_loss";
  detail::check_defined(op, lp);
  detail::check_floating(op, lp);
  GANTRY_CHECK(lp.dim() == 2, op, ": input must be [N, C], got ", shape_str(lp.shape()));
  GANTRY_CHECK(t.defined() && t.dtype() == kInt64 && t.dim() == 1 && t.size(0) == lp.size(0),
               op, ": target must be int64 [", lp.size(0), "], got ", tensor_desc(t));
  Tensor picked = squeeze(gather(lp, 1, core::reshape(t, {-1, 1})), 1);
  return reduce_loss(neg(picked), r);
}

Tensor cross_entropy(const Tensor& logits, const Tensor& t, Reduction r) {
  detail::check_defined("cross_entropy", logits);
  GANTRY_CHECK(logits.dim() == 2, "cross_entropy: logits must be [N, C], got ",
               shape_str(logits.shape()));
  return nll_loss(log_softmax(logits, 1), t, r);
}

}  // namespace gantry
