// tests/reference_nn.h — independent float64 references for Foundation II
// (convolution, normalization, pooling, resampling, padding, joining and
// indexing, softmax and losses).
//
// Plain loops written from the definitions (PyTorch's semantics), sharing no
// code with the kernels: convolution as a direct sum over the window,
// transposed convolution by scattering each input element, the convolution
// gradients as the sums that define them, statistics by explicit passes.
// Image tensors are NCHW; row-major throughout.
#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "tests/reference.h"

namespace ref {
namespace nn {

using P2 = std::array<int64_t, 2>;  // (height, width)

enum class Red { Mean, Sum, None };

inline int64_t i4(int64_t n, int64_t c, int64_t h, int64_t w, const Shape& s) {
  return ((n * s[1] + c) * s[2] + h) * s[3] + w;
}

// Output size of a convolution / pooling window along one dim.
inline int64_t conv_out(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d) {
  return (in + 2 * p - d * (k - 1) - 1) / s + 1;
}

// ------------------------------------------------------------- convolution
// y[n,o,oh,ow] = b[o] + sum_{ci,kh,kw} x[n, g*Cg+ci, oh*s-p+kh*d, ow*s-p+kw*d] * w[o,ci,kh,kw]
// (out-of-range positions are zero padding), g = o / (O/G).
inline Ref conv2d(const Ref& x, const Ref& w, const Ref* b, P2 s, P2 p, P2 d, int64_t G) {
  const int64_t N = x.shape[0], H = x.shape[2], W = x.shape[3];
  const int64_t O = w.shape[0], Cg = w.shape[1], KH = w.shape[2], KW = w.shape[3];
  const int64_t OH = conv_out(H, KH, s[0], p[0], d[0]), OW = conv_out(W, KW, s[1], p[1], d[1]);
  const int64_t Og = O / G;
  Ref y{{N, O, OH, OW}, std::vector<double>(N * O * OH * OW)};
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < O; ++o)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          const int64_t g = o / Og;
          double acc = b ? b->v[o] : 0.0;
          for (int64_t ci = 0; ci < Cg; ++ci)
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t ih = oh * s[0] - p[0] + kh * d[0];
                const int64_t iw = ow * s[1] - p[1] + kw * d[1];
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                acc += x.v[i4(n, g * Cg + ci, ih, iw, x.shape)] * w.v[i4(o, ci, kh, kw, w.shape)];
              }
          y.v[i4(n, o, oh, ow, y.shape)] = acc;
        }
  return y;
}

// x [N,C,H,W], w [C,Og,KH,KW]: every input element x[n,c,ih,iw] adds
// x * w[c,oc,kh,kw] to y[n, g*Og+oc, ih*s-p+kh*d, iw*s-p+kw*d] (dropped when
// outside the output), g = c / (C/G).
// OH = (H-1)*s - 2p + d*(KH-1) + output_padding + 1.
inline Ref conv_transpose2d(const Ref& x, const Ref& w, const Ref* b, P2 s, P2 p, P2 op,
                            int64_t G, P2 d) {
  const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  const int64_t Og = w.shape[1], KH = w.shape[2], KW = w.shape[3];
  const int64_t O = Og * G, Cg = C / G;
  const int64_t OH = (H - 1) * s[0] - 2 * p[0] + d[0] * (KH - 1) + op[0] + 1;
  const int64_t OW = (W - 1) * s[1] - 2 * p[1] + d[1] * (KW - 1) + op[1] + 1;
  Ref y{{N, O, OH, OW}, std::vector<double>(N * O * OH * OW, 0.0)};
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t ih = 0; ih < H; ++ih)
        for (int64_t iw = 0; iw < W; ++iw) {
          const double xv = x.v[i4(n, c, ih, iw, x.shape)];
          const int64_t g = c / Cg;
          for (int64_t oc = 0; oc < Og; ++oc)
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t oh = ih * s[0] - p[0] + kh * d[0];
                const int64_t ow = iw * s[1] - p[1] + kw * d[1];
                if (oh < 0 || oh >= OH || ow < 0 || ow >= OW) continue;
                y.v[i4(n, g * Og + oc, oh, ow, y.shape)] += xv * w.v[i4(c, oc, kh, kw, w.shape)];
              }
        }
  if (b)
    for (int64_t i = 0; i < numel(y.shape); ++i) y.v[i] += b->v[(i / (OH * OW)) % O];
  return y;
}

// d(conv2d)/dx contracted with gy [N,O,OH,OW]: for each input position, the
// sum over the (o, kh, kw) that read it, solving ih = oh*s - p + kh*d for oh.
inline Ref conv2d_input_grad(const Ref& gy, const Ref& w, const Shape& input_shape, P2 s, P2 p,
                             P2 d, int64_t G) {
  const int64_t N = input_shape[0], C = input_shape[1], H = input_shape[2], W = input_shape[3];
  const int64_t O = w.shape[0], KH = w.shape[2], KW = w.shape[3];
  const int64_t OH = gy.shape[2], OW = gy.shape[3];
  const int64_t Cg = C / G, Og = O / G;
  Ref dx{input_shape, std::vector<double>(N * C * H * W, 0.0)};
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t ih = 0; ih < H; ++ih)
        for (int64_t iw = 0; iw < W; ++iw) {
          const int64_t g = c / Cg, ci = c % Cg;
          double acc = 0;
          for (int64_t o = g * Og; o < (g + 1) * Og; ++o)
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t th = ih + p[0] - kh * d[0], tw = iw + p[1] - kw * d[1];
                if (th < 0 || tw < 0 || th % s[0] != 0 || tw % s[1] != 0) continue;
                const int64_t oh = th / s[0], ow = tw / s[1];
                if (oh >= OH || ow >= OW) continue;
                acc += gy.v[i4(n, o, oh, ow, gy.shape)] * w.v[i4(o, ci, kh, kw, w.shape)];
              }
          dx.v[i4(n, c, ih, iw, dx.shape)] = acc;
        }
  return dx;
}

// d(conv2d)/dw contracted with gy: dw[o,ci,kh,kw] = sum_{n,oh,ow} gy * x at the tap.
inline Ref conv2d_weight_grad(const Ref& x, const Ref& gy, const Shape& weight_shape, P2 s, P2 p,
                              P2 d, int64_t G) {
  const int64_t N = x.shape[0], H = x.shape[2], W = x.shape[3];
  const int64_t O = weight_shape[0], Cg = weight_shape[1], KH = weight_shape[2],
                KW = weight_shape[3];
  const int64_t OH = gy.shape[2], OW = gy.shape[3], Og = O / G;
  Ref dw{weight_shape, std::vector<double>(O * Cg * KH * KW, 0.0)};
  for (int64_t o = 0; o < O; ++o)
    for (int64_t ci = 0; ci < Cg; ++ci)
      for (int64_t kh = 0; kh < KH; ++kh)
        for (int64_t kw = 0; kw < KW; ++kw) {
          const int64_t c = (o / Og) * Cg + ci;
          double acc = 0;
          for (int64_t n = 0; n < N; ++n)
            for (int64_t oh = 0; oh < OH; ++oh)
              for (int64_t ow = 0; ow < OW; ++ow) {
                const int64_t ih = oh * s[0] - p[0] + kh * d[0];
                const int64_t iw = ow * s[1] - p[1] + kw * d[1];
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                acc += gy.v[i4(n, o, oh, ow, gy.shape)] * x.v[i4(n, c, ih, iw, x.shape)];
              }
          dw.v[i4(o, ci, kh, kw, dw.shape)] = acc;
        }
  return dw;
}

// ----------------------------------------------------------- normalization
// Elements per (n, c) slot of x [N,C,*].
inline int64_t inner_size(const Shape& s) {
  int64_t r = 1;
  for (size_t i = 2; i < s.size(); ++i) r *= s[i];
  return r;
}

struct ChannelStats {
  std::vector<double> mean, var_biased, var_unbiased;
};

// Per-channel statistics of x [N,C,*] over N and the spatial dims.
inline ChannelStats channel_stats(const Ref& x) {
  const int64_t N = x.shape[0], C = x.shape[1], S = inner_size(x.shape), M = N * S;
  ChannelStats st;
  for (int64_t c = 0; c < C; ++c) {
    double sum = 0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < S; ++i) sum += x.v[(n * C + c) * S + i];
    const double m = sum / M;
    double ss = 0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < S; ++i) {
        const double dv = x.v[(n * C + c) * S + i] - m;
        ss += dv * dv;
      }
    st.mean.push_back(m);
    st.var_biased.push_back(ss / M);
    st.var_unbiased.push_back(ss / (M - 1));
  }
  return st;
}

// y = (x - mean[c]) / sqrt(var[c] + eps) * w[c] + b[c]
inline Ref channel_affine_norm(const Ref& x, const std::vector<double>& mean,
                               const std::vector<double>& var, const Ref* w, const Ref* b,
                               double eps) {
  const int64_t C = x.shape[1], S = inner_size(x.shape);
  Ref y{x.shape, std::vector<double>(x.v.size())};
  for (int64_t i = 0; i < numel(x.shape); ++i) {
    const int64_t c = (i / S) % C;
    double v = (x.v[i] - mean[c]) / std::sqrt(var[c] + eps);
    if (w) v *= w->v[c];
    if (b) v += b->v[c];
    y.v[i] = v;
  }
  return y;
}

// Training: batch mean and biased batch variance.
inline Ref batch_norm_train(const Ref& x, const Ref* w, const Ref* b, double eps = 1e-5) {
  ChannelStats st = channel_stats(x);
  return channel_affine_norm(x, st.mean, st.var_biased, w, b, eps);
}

// Training-mode gradients for an output gradient g, through the explicit
// per-channel Jacobian dy_j/dx_i = w r (delta_ij - 1/M - xhat_i xhat_j / M)
// (O(M^2): small test shapes only). Returns [dx..., dweight..., dbias...].
inline Ref batch_norm_train_grads(const Ref& x, const Ref& w, const Ref& g, double eps = 1e-5) {
  ChannelStats st = channel_stats(x);
  const int64_t N = x.shape[0], C = x.shape[1], S = inner_size(x.shape), M = N * S;
  std::vector<double> dx(x.v.size()), dw(C), db(C);
  for (int64_t c = 0; c < C; ++c) {
    const double r = 1.0 / std::sqrt(st.var_biased[c] + eps);
    std::vector<int64_t> idx;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < S; ++i) idx.push_back((n * C + c) * S + i);
    std::vector<double> xhat(M);
    for (int64_t i = 0; i < M; ++i) xhat[i] = (x.v[idx[i]] - st.mean[c]) * r;
    for (int64_t i = 0; i < M; ++i) {
      double s = 0;
      for (int64_t j = 0; j < M; ++j)
        s += g.v[idx[j]] * w.v[c] * r * ((i == j ? 1.0 : 0.0) - 1.0 / M - xhat[i] * xhat[j] / M);
      dx[idx[i]] = s;
      dw[c] += g.v[idx[i]] * xhat[i];
      db[c] += g.v[idx[i]];
    }
  }
  Ref out{{static_cast<int64_t>(dx.size() + 2 * C)}, dx};
  out.v.insert(out.v.end(), dw.begin(), dw.end());
  out.v.insert(out.v.end(), db.begin(), db.end());
  return out;
}

// Running stats after one training step from (mean0, var0):
// (1-m)*running + m*batch, with the unbiased batch variance. Returns [mean..., var...].
inline Ref batch_norm_running_update(const Ref& x, const std::vector<double>& mean0,
                                     const std::vector<double>& var0, double momentum) {
  ChannelStats st = channel_stats(x);
  const int64_t C = x.shape[1];
  Ref r{{2 * C}, {}};
  for (int64_t c = 0; c < C; ++c) r.v.push_back((1 - momentum) * mean0[c] + momentum * st.mean[c]);
  for (int64_t c = 0; c < C; ++c)
    r.v.push_back((1 - momentum) * var0[c] + momentum * st.var_unbiased[c]);
  return r;
}

inline Ref batch_norm_eval(const Ref& x, const Ref& rm, const Ref& rv, const Ref* w, const Ref* b,
                           double eps = 1e-5) {
  return channel_affine_norm(x, rm.v, rv.v, w, b, eps);
}

// Normalizes contiguous blocks of `block` elements (biased variance); the
// affine parameters are indexed by affine_index(i).
template <typename F>
Ref block_norm(const Ref& x, int64_t block, const Ref* w, const Ref* b, double eps, F affine_index) {
  Ref y{x.shape, std::vector<double>(x.v.size())};
  for (int64_t start = 0; start < numel(x.shape); start += block) {
    double sum = 0;
    for (int64_t i = 0; i < block; ++i) sum += x.v[start + i];
    const double m = sum / block;
    double ss = 0;
    for (int64_t i = 0; i < block; ++i) ss += (x.v[start + i] - m) * (x.v[start + i] - m);
    const double inv = 1.0 / std::sqrt(ss / block + eps);
    for (int64_t i = 0; i < block; ++i) {
      const int64_t k = start + i;
      double v = (x.v[k] - m) * inv;
      if (w) v *= w->v[affine_index(k)];
      if (b) v += b->v[affine_index(k)];
      y.v[k] = v;
    }
  }
  return y;
}

// Normalizes over the last `ndims` dims; w/b have those dims' shape.
inline Ref layer_norm(const Ref& x, int64_t ndims, const Ref* w, const Ref* b, double eps = 1e-5) {
  int64_t block = 1;
  for (int64_t i = 0; i < ndims; ++i) block *= x.shape[x.shape.size() - 1 - i];
  return block_norm(x, block, w, b, eps, [block](int64_t k) { return k % block; });
}

// x [N,C,*]: G groups of C/G consecutive channels; w/b [C].
inline Ref group_norm(const Ref& x, int64_t G, const Ref* w, const Ref* b, double eps = 1e-5) {
  const int64_t C = x.shape[1], S = inner_size(x.shape);
  return block_norm(x, C / G * S, w, b, eps, [C, S](int64_t k) { return (k / S) % C; });
}

// x [N,C,*]: each (n, position) vector over C divided by its RMS (+ eps).
inline Ref pixel_norm(const Ref& x, double eps = 1e-8) {
  const int64_t N = x.shape[0], C = x.shape[1], S = numel(x.shape) / (N * C);
  Ref y{x.shape, std::vector<double>(x.v.size())};
  for (int64_t n = 0; n < N; ++n)
    for (int64_t p = 0; p < S; ++p) {
      double ss = 0;
      for (int64_t c = 0; c < C; ++c) ss += x.v[(n * C + c) * S + p] * x.v[(n * C + c) * S + p];
      const double inv = 1.0 / std::sqrt(ss / static_cast<double>(C) + eps);
      for (int64_t c = 0; c < C; ++c) y.v[(n * C + c) * S + p] = x.v[(n * C + c) * S + p] * inv;
    }
  return y;
}

// x [N,C,H,W] -> [N, C+F, H, W]: groups of G = min(group, N) samples
// {m, m + M, m + 2M, ...} (M = N/G); per group and channel slice f, the mean
// over the slice's values of sqrt(biased variance over the group + 1e-8).
inline Ref minibatch_stddev(const Ref& x, int64_t group, int64_t F) {
  const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  const int64_t G = std::min(group, N), M = N / G, Cf = C / F;
  Ref y{{N, C + F, H, W}, std::vector<double>(N * (C + F) * H * W)};
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t w = 0; w < W; ++w) y.v[i4(n, c, h, w, y.shape)] = x.v[i4(n, c, h, w, x.shape)];
  for (int64_t m = 0; m < M; ++m)
    for (int64_t f = 0; f < F; ++f) {
      double acc = 0;
      for (int64_t c = f * Cf; c < (f + 1) * Cf; ++c)
        for (int64_t h = 0; h < H; ++h)
          for (int64_t w = 0; w < W; ++w) {
            double mu = 0, var = 0;
            for (int64_t g = 0; g < G; ++g) mu += x.v[i4(g * M + m, c, h, w, x.shape)];
            mu /= static_cast<double>(G);
            for (int64_t g = 0; g < G; ++g) {
              const double d = x.v[i4(g * M + m, c, h, w, x.shape)] - mu;
              var += d * d;
            }
            acc += std::sqrt(var / static_cast<double>(G) + 1e-8);
          }
      acc /= static_cast<double>(Cf * H * W);
      for (int64_t g = 0; g < G; ++g)
        for (int64_t h = 0; h < H; ++h)
          for (int64_t w = 0; w < W; ++w) y.v[i4(g * M + m, C + f, h, w, y.shape)] = acc;
    }
  return y;
}

// ---------------------------------------------------------------- pooling
// Window origin oh*s - p; avg divides by KH*KW (count_include_pad = True).
inline Ref avg_pool2d(const Ref& x, P2 k, P2 s, P2 p) {
  if (s[0] == 0 && s[1] == 0) s = k;
  const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  const int64_t OH = conv_out(H, k[0], s[0], p[0], 1), OW = conv_out(W, k[1], s[1], p[1], 1);
  Ref y{{N, C, OH, OW}, std::vector<double>(N * C * OH * OW)};
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          double acc = 0;
          for (int64_t a = 0; a < k[0]; ++a)
            for (int64_t bb = 0; bb < k[1]; ++bb) {
              const int64_t ih = oh * s[0] - p[0] + a, iw = ow * s[1] - p[1] + bb;
              if (ih >= 0 && ih < H && iw >= 0 && iw < W) acc += x.v[i4(n, c, ih, iw, x.shape)];
            }
          y.v[i4(n, c, oh, ow, y.shape)] = acc / static_cast<double>(k[0] * k[1]);
        }
  return y;
}

// Max over the in-range taps of each (dilated) window: padding never wins.
inline Ref max_pool2d(const Ref& x, P2 k, P2 s, P2 p, P2 d) {
  if (s[0] == 0 && s[1] == 0) s = k;
  const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  const int64_t OH = conv_out(H, k[0], s[0], p[0], d[0]), OW = conv_out(W, k[1], s[1], p[1], d[1]);
  Ref y{{N, C, OH, OW}, std::vector<double>(N * C * OH * OW)};
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          double best = -std::numeric_limits<double>::infinity();
          for (int64_t a = 0; a < k[0]; ++a)
            for (int64_t bb = 0; bb < k[1]; ++bb) {
              const int64_t ih = oh * s[0] - p[0] + a * d[0], iw = ow * s[1] - p[1] + bb * d[1];
              if (ih >= 0 && ih < H && iw >= 0 && iw < W)
                best = std::max(best, x.v[i4(n, c, ih, iw, x.shape)]);
            }
          y.v[i4(n, c, oh, ow, y.shape)] = best;
        }
  return y;
}

// Bin i of `out` over `in`: [floor(i*in/out), ceil((i+1)*in/out)).
inline Ref adaptive_avg_pool2d(const Ref& x, P2 out) {
  const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  const int64_t OH = out[0], OW = out[1];
  Ref y{{N, C, OH, OW}, std::vector<double>(N * C * OH * OW)};
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          const int64_t h0 = (oh * H) / OH, h1 = ((oh + 1) * H + OH - 1) / OH;
          const int64_t w0 = (ow * W) / OW, w1 = ((ow + 1) * W + OW - 1) / OW;
          double acc = 0;
          for (int64_t ih = h0; ih < h1; ++ih)
            for (int64_t iw = w0; iw < w1; ++iw) acc += x.v[i4(n, c, ih, iw, x.shape)];
          y.v[i4(n, c, oh, ow, y.shape)] = acc / static_cast<double>((h1 - h0) * (w1 - w0));
        }
  return y;
}

// -------------------------------------------------------------- resampling
// Source index floor(dst * in / out), in exact integer arithmetic.
inline Ref upsample_nearest2d(const Ref& x, P2 out) {
  const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  const int64_t OH = out[0], OW = out[1];
  Ref y{{N, C, OH, OW}, std::vector<double>(N * C * OH * OW)};
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          const int64_t ih = std::min(oh * H / OH, H - 1), iw = std::min(ow * W / OW, W - 1);
          y.v[i4(n, c, oh, ow, y.shape)] = x.v[i4(n, c, ih, iw, x.shape)];
        }
  return y;
}

struct Lerp {
  int64_t i0, i1;
  double l1;  // weight of i1
};

// PyTorch's linear source coordinate for output index `dst`.
inline Lerp linear_source(int64_t dst, int64_t in, int64_t out, bool align_corners) {
  double src;
  if (align_corners) {
    src = out > 1 ? static_cast<double>(dst) * (in - 1) / (out - 1) : 0.0;
  } else {
    src = (dst + 0.5) * static_cast<double>(in) / out - 0.5;
    if (src < 0) src = 0;
  }
  int64_t i0 = static_cast<int64_t>(std::floor(src));
  if (i0 > in - 1) i0 = in - 1;
  const int64_t i1 = std::min(i0 + 1, in - 1);
  return {i0, i1, src - i0};
}

inline Ref upsample_bilinear2d(const Ref& x, P2 out, bool align_corners) {
  const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  const int64_t OH = out[0], OW = out[1];
  Ref y{{N, C, OH, OW}, std::vector<double>(N * C * OH * OW)};
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          const Lerp h = linear_source(oh, H, OH, align_corners);
          const Lerp w = linear_source(ow, W, OW, align_corners);
          auto at = [&](int64_t a, int64_t b) { return x.v[i4(n, c, a, b, x.shape)]; };
          y.v[i4(n, c, oh, ow, y.shape)] =
              (1 - h.l1) * ((1 - w.l1) * at(h.i0, w.i0) + w.l1 * at(h.i0, w.i1)) +
              h.l1 * ((1 - w.l1) * at(h.i1, w.i0) + w.l1 * at(h.i1, w.i1));
        }
  return y;
}

// ----------------------------------------------------------------- padding
enum class PadKind { Constant, Reflect, Replicate };

// pads = {left, right, top, bottom, ...}: pairs from the last dim backwards.
inline Ref pad(const Ref& x, const std::vector<int64_t>& pads, PadKind mode, double value) {
  const int64_t nd = static_cast<int64_t>(x.shape.size());
  std::vector<int64_t> before(nd, 0), after(nd, 0);
  for (size_t k = 0; 2 * k + 1 < pads.size(); ++k) {
    before[nd - 1 - k] = pads[2 * k];
    after[nd - 1 - k] = pads[2 * k + 1];
  }
  Shape os(nd);
  for (int64_t d = 0; d < nd; ++d) os[d] = x.shape[d] + before[d] + after[d];
  Ref y{os, std::vector<double>(numel(os))};
  for (int64_t i = 0; i < numel(os); ++i) {
    auto idx = unravel(i, os);
    bool outside = false;
    int64_t src = 0;
    for (int64_t d = 0; d < nd; ++d) {
      const int64_t n = x.shape[d];
      int64_t j = idx[d] - before[d];
      if (j < 0 || j >= n) {
        if (mode == PadKind::Constant) outside = true;
        else if (mode == PadKind::Replicate) j = j < 0 ? 0 : n - 1;
        else j = j < 0 ? -j : 2 * (n - 1) - j;  // reflect (edge not repeated)
      }
      src = src * n + (outside ? 0 : j);
    }
    y.v[i] = outside ? value : x.v[src];
  }
  return y;
}

// ------------------------------------------------------- joining, indexing
inline int64_t norm_dim(int64_t d, int64_t rank) { return d < 0 ? d + rank : d; }

inline Ref cat(const std::vector<Ref>& xs, int64_t dim) {
  const int64_t nd = static_cast<int64_t>(xs[0].shape.size());
  dim = norm_dim(dim, nd);
  Shape os = xs[0].shape;
  os[dim] = 0;
  for (const auto& x : xs) os[dim] += x.shape[dim];
  Ref y{os, std::vector<double>(numel(os))};
  for (int64_t i = 0; i < numel(os); ++i) {
    auto idx = unravel(i, os);
    int64_t k = 0, j = idx[dim];
    while (j >= xs[k].shape[dim]) j -= xs[k++].shape[dim];
    idx[dim] = j;
    int64_t src = 0;
    for (int64_t d = 0; d < nd; ++d) src = src * xs[k].shape[d] + idx[d];
    y.v[i] = xs[k].v[src];
  }
  return y;
}

// New dim `dim` (of the result's rank) indexing the inputs.
inline Ref stack(const std::vector<Ref>& xs, int64_t dim) {
  const int64_t nd = static_cast<int64_t>(xs[0].shape.size()) + 1;
  dim = norm_dim(dim, nd);
  Shape os = xs[0].shape;
  os.insert(os.begin() + dim, static_cast<int64_t>(xs.size()));
  Ref y{os, std::vector<double>(numel(os))};
  for (int64_t i = 0; i < numel(os); ++i) {
    auto idx = unravel(i, os);
    const int64_t k = idx[dim];
    idx.erase(idx.begin() + dim);
    int64_t src = 0;
    for (size_t d = 0; d < idx.size(); ++d) src = src * xs[k].shape[d] + idx[d];
    y.v[i] = xs[k].v[src];
  }
  return y;
}

inline int64_t ravel(const std::vector<int64_t>& idx, const Shape& s) {
  int64_t o = 0;
  for (size_t d = 0; d < s.size(); ++d) o = o * s[d] + idx[d];
  return o;
}

inline Ref index_select(const Ref& x, int64_t dim, const Ref& idx) {
  dim = norm_dim(dim, static_cast<int64_t>(x.shape.size()));
  Shape os = x.shape;
  os[dim] = static_cast<int64_t>(idx.v.size());
  Ref y{os, std::vector<double>(numel(os))};
  for (int64_t i = 0; i < numel(os); ++i) {
    auto id = unravel(i, os);
    id[dim] = static_cast<int64_t>(idx.v[id[dim]]);
    y.v[i] = x.v[ravel(id, x.shape)];
  }
  return y;
}

// y of idx's shape: y[i] = x[i with dim replaced by idx[i]].
inline Ref gather(const Ref& x, int64_t dim, const Ref& idx) {
  dim = norm_dim(dim, static_cast<int64_t>(x.shape.size()));
  Ref y{idx.shape, std::vector<double>(idx.v.size())};
  for (int64_t i = 0; i < numel(idx.shape); ++i) {
    auto id = unravel(i, idx.shape);
    id[dim] = static_cast<int64_t>(idx.v[i]);
    y.v[i] = x.v[ravel(id, x.shape)];
  }
  return y;
}

// y = x; y[i with dim replaced by idx[i]] += src[i] for every i of idx.
inline Ref scatter_add(const Ref& x, int64_t dim, const Ref& idx, const Ref& src) {
  dim = norm_dim(dim, static_cast<int64_t>(x.shape.size()));
  Ref y = x;
  for (int64_t i = 0; i < numel(idx.shape); ++i) {
    auto id = unravel(i, idx.shape);
    const double sv = src.v[ravel(id, src.shape)];
    id[dim] = static_cast<int64_t>(idx.v[i]);
    y.v[ravel(id, x.shape)] += sv;
  }
  return y;
}

// idx [*], w [V, D] -> [*, D].
inline Ref embedding(const Ref& idx, const Ref& w) {
  const int64_t D = w.shape[1];
  Shape os = idx.shape;
  os.push_back(D);
  Ref y{os, {}};
  for (double k : idx.v)
    for (int64_t j = 0; j < D; ++j) y.v.push_back(w.v[static_cast<int64_t>(k) * D + j]);
  return y;
}

inline Ref one_hot(const Ref& idx, int64_t K) {
  Shape os = idx.shape;
  os.push_back(K);
  Ref y{os, {}};
  for (double k : idx.v)
    for (int64_t j = 0; j < K; ++j) y.v.push_back(static_cast<int64_t>(k) == j ? 1.0 : 0.0);
  return y;
}

inline Ref masked_fill(const Ref& x, const Ref& mask, double value) {
  Ref r = map2(x, mask, [value](double a, double m) { return m != 0 ? value : a; });
  return r;
}

// ------------------------------------------------------- softmax and losses
// Along `dim`, with the maximum subtracted (the reference must not overflow).
inline Ref softmax_impl(const Ref& x, int64_t dim, bool log) {
  const int64_t nd = static_cast<int64_t>(x.shape.size());
  dim = norm_dim(dim, nd);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < dim; ++d) outer *= x.shape[d];
  for (int64_t d = dim + 1; d < nd; ++d) inner *= x.shape[d];
  const int64_t L = x.shape[dim];
  Ref y{x.shape, std::vector<double>(x.v.size())};
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t in = 0; in < inner; ++in) {
      auto at = [&](int64_t l) { return (o * L + l) * inner + in; };
      double m = -std::numeric_limits<double>::infinity();
      for (int64_t l = 0; l < L; ++l) m = std::max(m, x.v[at(l)]);
      double s = 0;
      for (int64_t l = 0; l < L; ++l) s += std::exp(x.v[at(l)] - m);
      for (int64_t l = 0; l < L; ++l)
        y.v[at(l)] = log ? x.v[at(l)] - m - std::log(s) : std::exp(x.v[at(l)] - m) / s;
    }
  return y;
}
inline Ref softmax(const Ref& x, int64_t dim) { return softmax_impl(x, dim, false); }
inline Ref log_softmax(const Ref& x, int64_t dim) { return softmax_impl(x, dim, true); }

// Mean/Sum -> 0-d; None -> the elementwise losses.
inline Ref reduce_loss(const Ref& l, Red r) {
  if (r == Red::None) return l;
  double s = 0;
  for (double v : l.v) s += v;
  return Ref{{}, {r == Red::Mean ? s / static_cast<double>(l.v.size()) : s}};
}

inline Ref binary_cross_entropy(const Ref& p, const Ref& t, Red r) {
  return reduce_loss(map2(p, t,
                          [](double pv, double tv) {
                            const double lp = std::max(std::log(pv), -100.0);
                            const double lq = std::max(std::log(1 - pv), -100.0);
                            return -(tv * lp + (1 - tv) * lq);
                          }),
                     r);
}

// softplus(x) - x*t in the form that cannot overflow.
inline Ref binary_cross_entropy_with_logits(const Ref& x, const Ref& t, Red r) {
  return reduce_loss(map2(x, t,
                          [](double xv, double tv) {
                            return std::max(xv, 0.0) - xv * tv + std::log1p(std::exp(-std::fabs(xv)));
                          }),
                     r);
}

inline Ref mse_loss(const Ref& x, const Ref& t, Red r) {
  return reduce_loss(map2(x, t, [](double a, double b) { return (a - b) * (a - b); }), r);
}

inline Ref l1_loss(const Ref& x, const Ref& t, Red r) {
  return reduce_loss(map2(x, t, [](double a, double b) { return std::fabs(a - b); }), r);
}

// log_probs [N,C], target [N]: -log_probs[n, target[n]]; Mean divides by N.
inline Ref nll_loss(const Ref& lp, const Ref& target, Red r) {
  const int64_t N = lp.shape[0], C = lp.shape[1];
  Ref l{{N}, std::vector<double>(N)};
  for (int64_t n = 0; n < N; ++n) l.v[n] = -lp.v[n * C + static_cast<int64_t>(target.v[n])];
  return reduce_loss(l, r);
}

inline Ref cross_entropy(const Ref& logits, const Ref& target, Red r) {
  return nll_loss(log_softmax(logits, 1), target, r);
}


// Modulated convolution by its definition: per sample n, the weight
// w[o,c,..] * s[n,c], demodulated by the root of its per-o sum of squares
// (+ eps), then an ordinary convolution of that sample.
inline Ref modulated_conv2d(const Ref& x, const Ref& w, const Ref& s, bool demod, int64_t pad,
                            double eps = 1e-8) {
  const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  const int64_t O = w.shape[0], KK = w.shape[2] * w.shape[3];
  Ref out;
  for (int64_t n = 0; n < N; ++n) {
    Ref wn{w.shape, w.v};
    for (int64_t o = 0; o < O; ++o) {
      double ss = 0;
      for (int64_t c = 0; c < C; ++c)
        for (int64_t k = 0; k < KK; ++k) {
          double& v = wn.v[(o * C + c) * KK + k];
          v *= s.v[n * C + c];
          ss += v * v;
        }
      if (demod)
        for (int64_t k = 0; k < C * KK; ++k) wn.v[o * C * KK + k] /= std::sqrt(ss + eps);
    }
    Ref xn{{1, C, H, W}, std::vector<double>(x.v.begin() + n * C * H * W, x.v.begin() + (n + 1) * C * H * W)};
    Ref yn = conv2d(xn, wn, nullptr, {1, 1}, {pad, pad}, {1, 1}, 1);
    if (n == 0) out = Ref{{N, O, yn.shape[2], yn.shape[3]}, {}};
    out.v.insert(out.v.end(), yn.v.begin(), yn.v.end());
  }
  return out;
}

// upfirdn2d, step by step as its definition reads (kernels/ops/upfirdn.h):
// x [N,C,H,W] is upsampled by zero insertion into a [H*uh, W*uw] grid, padded
// (negative pads crop) into an explicit array, convolved with f [FH,FW]
// (flipped unless flip), and every down-th sample kept.
inline Ref upfirdn2d(const Ref& x, const Ref& f, int64_t uh, int64_t uw, int64_t dh, int64_t dw,
                     int64_t left, int64_t right, int64_t top, int64_t bottom, bool flip,
                     double gain) {
  const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  const int64_t FH = f.shape[0], FW = f.shape[1];
  const int64_t PH = H * uh + top + bottom, PW = W * uw + left + right;
  const int64_t OH = (PH - FH) / dh + 1, OW = (PW - FW) / dw + 1;
  Ref y{{N, C, OH, OW}, std::vector<double>(N * C * OH * OW)};
  std::vector<double> up(H * uh * W * uw), padded(PH * PW);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c) {
      std::fill(up.begin(), up.end(), 0.0);
      for (int64_t h = 0; h < H; ++h)
        for (int64_t w = 0; w < W; ++w) up[(h * uh) * (W * uw) + w * uw] = x.v[i4(n, c, h, w, x.shape)];
      for (int64_t ph = 0; ph < PH; ++ph)
        for (int64_t pw = 0; pw < PW; ++pw) {
          const int64_t sh = ph - top, sw = pw - left;  // position in the upsampled grid
          const bool inside = sh >= 0 && sh < H * uh && sw >= 0 && sw < W * uw;
          padded[ph * PW + pw] = inside ? up[sh * (W * uw) + sw] : 0.0;
        }
      // Full-resolution "valid" filtering, then keep every down-th sample.
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          double acc = 0;
          for (int64_t a = 0; a < FH; ++a)
            for (int64_t b = 0; b < FW; ++b) {
              const double tap = flip ? f.v[a * FW + b] : f.v[(FH - 1 - a) * FW + (FW - 1 - b)];
              acc += tap * padded[(oh * dh + a) * PW + (ow * dw + b)];
            }
          y.v[i4(n, c, oh, ow, y.shape)] = gain * acc;
        }
    }
  return y;
}

// bias_act unfused: z = x + b (b [C] along dim 1, or none), the activation,
// the gain, then the clamp (clamp < 0: none).
// act: 0 linear, 1 relu, 2 leaky relu (alpha), 3 tanh, 4 sigmoid.
inline double activation(int act, double z, double alpha) {
  switch (act) {
    case 1: return z > 0 ? z : 0.0;
    case 2: return z > 0 ? z : alpha * z;
    case 3: return std::tanh(z);
    case 4: return 1.0 / (1.0 + std::exp(-z));
    default: return z;
  }
}
inline Ref bias_act(const Ref& x, const Ref* b, int act, double alpha, double gain, double clamp) {
  const int64_t C = x.shape[1], S = inner_size(x.shape);
  Ref y{x.shape, std::vector<double>(x.v.size())};
  for (size_t i = 0; i < x.v.size(); ++i) {
    const int64_t c = (static_cast<int64_t>(i) / S) % C;
    double v = activation(act, x.v[i] + (b ? b->v[c] : 0.0), alpha) * gain;
    if (clamp >= 0) v = std::min(std::max(v, -clamp), clamp);
    y.v[i] = v;
  }
  return y;
}
// bias_act's backward from the output: g * gain * act'(z) with z recovered
// from y (inverting the activation), 0 where |y| reached the clamp.
inline Ref bias_act_grad(const Ref& g, const Ref& y, int act, double alpha, double gain, double clamp) {
  Ref d{y.shape, std::vector<double>(y.v.size())};
  for (size_t i = 0; i < y.v.size(); ++i) {
    const double s = y.v[i] / gain;
    double slope = 1.0;
    if (act == 1) slope = s > 0 ? 1.0 : 0.0;
    if (act == 2) slope = s > 0 ? 1.0 : alpha;
    if (act == 3) slope = 1.0 - s * s;          // tanh' = 1 - tanh^2
    if (act == 4) slope = s * (1.0 - s);        // sigmoid' = s (1 - s)
    if (clamp >= 0 && std::fabs(y.v[i]) >= clamp) slope = 0.0;
    d.v[i] = g.v[i] * gain * slope;
  }
  return d;
}

// grid_sample, bilinear, as PyTorch documents it: a grid value g in [-1, 1]
// maps to the pixel coordinate (g + 1) / 2 * (S - 1) with align_corners, else
// ((g + 1) * S - 1) / 2; border clamps the coordinate into [0, S - 1]; a
// neighbour outside the image reads 0. x [N,C,H,W], grid [N,OH,OW,2].
// With g_out (an output gradient) it returns dx (want == 1) or dgrid
// (want == 2) instead, from the same bilinear weights and their slopes.
inline double grid_coord(double g, int64_t S, bool align, bool border, double* slope) {
  double i = align ? (g + 1) / 2 * (S - 1) : ((g + 1) * S - 1) / 2;
  *slope = align ? (S - 1) / 2.0 : S / 2.0;
  if (border && (i < 0 || i > S - 1)) {
    *slope = 0;
    i = std::min(std::max(i, 0.0), static_cast<double>(S - 1));
  }
  return i;
}
inline Ref grid_sample(const Ref& x, const Ref& grid, bool border, bool align, const Ref* g_out = nullptr,
                       int want = 0) {
  const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  const int64_t OH = grid.shape[1], OW = grid.shape[2];
  Ref y{{N, C, OH, OW}, std::vector<double>(N * C * OH * OW, 0.0)};
  Ref dx{x.shape, std::vector<double>(x.v.size(), 0.0)};
  Ref dgrid{grid.shape, std::vector<double>(grid.v.size(), 0.0)};
  for (int64_t n = 0; n < N; ++n)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t gi = ((n * OH + oh) * OW + ow) * 2;
        double sx, sy;
        const double ix = grid_coord(grid.v[gi], W, align, border, &sx);
        const double iy = grid_coord(grid.v[gi + 1], H, align, border, &sy);
        int64_t x0 = static_cast<int64_t>(std::floor(ix)), y0 = static_cast<int64_t>(std::floor(iy));
        if (border) {  // a point on the last pixel: that pixel is its right corner (the left slope)
          if (W >= 2) x0 = std::min<int64_t>(x0, W - 2);
          if (H >= 2) y0 = std::min<int64_t>(y0, H - 2);
        }
        const double tx = ix - x0, ty = iy - y0;
        auto at = [&](int64_t c, int64_t yy, int64_t xx) {
          return (yy >= 0 && yy < H && xx >= 0 && xx < W) ? x.v[i4(n, c, yy, xx, x.shape)] : 0.0;
        };
        for (int64_t c = 0; c < C; ++c) {
          const double v00 = at(c, y0, x0), v01 = at(c, y0, x0 + 1), v10 = at(c, y0 + 1, x0),
                       v11 = at(c, y0 + 1, x0 + 1);
          y.v[i4(n, c, oh, ow, y.shape)] =
              (1 - ty) * ((1 - tx) * v00 + tx * v01) + ty * ((1 - tx) * v10 + tx * v11);
          if (!g_out) continue;
          const double gv = g_out->v[i4(n, c, oh, ow, y.shape)];
          const double w[4] = {(1 - ty) * (1 - tx), (1 - ty) * tx, ty * (1 - tx), ty * tx};
          for (int k = 0; k < 4; ++k) {
            const int64_t yy = y0 + k / 2, xx = x0 + k % 2;
            if (yy >= 0 && yy < H && xx >= 0 && xx < W) dx.v[i4(n, c, yy, xx, x.shape)] += w[k] * gv;
          }
          dgrid.v[gi] += gv * sx * ((1 - ty) * (v01 - v00) + ty * (v11 - v10));
          dgrid.v[gi + 1] += gv * sy * ((1 - tx) * (v10 - v00) + tx * (v11 - v01));
        }
      }
  return want == 1 ? dx : want == 2 ? dgrid : y;
}

// affine_grid: theta [N,2,3] -> [N,H,W,2], each pixel centre (x, y) in
// [-1, 1] (align_corners: the corner pixels' centres at +-1) mapped to
// theta (x, y, 1)^T.
inline Ref affine_grid(const Ref& theta, int64_t H, int64_t W, bool align) {
  const int64_t N = theta.shape[0];
  auto centre = [&](int64_t i, int64_t S) {
    if (align) return S > 1 ? -1.0 + 2.0 * i / (S - 1) : 0.0;
    return (2.0 * i + 1) / S - 1.0;
  };
  Ref g{{N, H, W, 2}, std::vector<double>(N * H * W * 2)};
  for (int64_t n = 0; n < N; ++n)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t w = 0; w < W; ++w) {
        const double xc = centre(w, W), yc = centre(h, H);
        const double* t = &theta.v[n * 6];
        g.v[((n * H + h) * W + w) * 2] = t[0] * xc + t[1] * yc + t[2];
        g.v[((n * H + h) * W + w) * 2 + 1] = t[3] * xc + t[4] * yc + t[5];
      }
  return g;
}

}  // namespace nn
}  // namespace ref
