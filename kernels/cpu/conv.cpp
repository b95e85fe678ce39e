// kernels/cpu/conv.cpp — 2-D convolution on the CPU: im2col + GEMM.
//
// Three ops cover convolution and transposed convolution, forward and both
// backward passes (a transposed convolution *is* conv2d_input_grad):
//   conv2d             in {x [N,C,H,W], w [O,C/G,KH,KW]}   out {y [N,O,OH,OW]}
//   conv2d_input_grad  in {g [N,O,OH,OW], w}               out {dx [N,C,H,W]}
//   conv2d_weight_grad in {x [N,C,H,W], g [N,O,OH,OW]}     out {dw [O,C/G,KH,KW]}
// ConvAttrs {stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, groups}; the
// spatial sizes come from the tensors (so output_padding needs no attribute).
//
// For one sample n and group g, with cols = im2col(x[n], g) of shape
// [C/G*KH*KW, OH*OW] (row (c*KH + kh)*KW + kw, column oh*OW + ow):
//   y[n, g]  = W_g [O/G, C/G*KH*KW] @ cols
//   dx[n, g] = col2im(W_g^T @ g[n, g])
//   dw_g    += g[n, g] @ cols^T                (summed over n in order)
// The per-sample algorithms run (sample, group) pairs in parallel for the
// forward and input-grad (one thread each, single-threaded GEMM inside) and
// groups in parallel for weight-grad (each summing its samples in order); the
// batched ones run one large GEMM per chunk of samples (below). All are
// bit-identical for any thread count.
#include <algorithm>
#include <type_traits>
#include <atomic>
#include <cstring>
#include <vector>

#include "core/parallel.h"
#include "kernels/cpu/conv.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/scratch.h"
#include "kernels/registry.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#ifdef _OPENMP
#include <omp.h>
#endif

namespace gantry {
namespace kernels {
namespace {

struct ConvGeom {
  int64_t N, C, H, W, O, KH, KW, OH, OW;
  int64_t sh, sw, ph, pw, dh, dw, G;
  int64_t Cg() const { return C / G; }
  int64_t Og() const { return O / G; }
  int64_t rows() const { return Cg() * KH * KW; }  // im2col rows per group
  int64_t cols() const { return OH * OW; }
  // The kernel covers the whole (unpadded) input and the output is 1x1, as in
  // a DCGAN's first generator layer or last discriminator layer: im2col of a
  // sample is the sample itself, and the convolution is a plain matrix product.
  bool full_window() const {
    return G == 1 && OH == 1 && OW == 1 && ph == 0 && pw == 0 && KH == H && KW == W;
  }
  // 1x1, stride 1, no padding: im2col is the identity.
  bool pointwise() const {
    return KH == 1 && KW == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0;
  }
};

ConvGeom geom(const Tensor& x, const Tensor& w, const Tensor& y, const OpAttrs& a) {
  const ConvAttrs& p = a.as<ConvAttrs>();
  return ConvGeom{x.size(0), x.size(1), x.size(2), x.size(3), w.size(0), w.size(2), w.size(3),
                  y.size(2), y.size(3), p.stride_h, p.stride_w, p.pad_h, p.pad_w, p.dil_h,
                  p.dil_w, p.groups};
}

// cols [rows, OH*OW] (row stride ld) from the group-g channels of one sample
// (xs: [C,H,W] contiguous).
template <typename T>
void im2col(const T* xs, const ConvGeom& g, int64_t grp, T* cols, int64_t ld) {
  for (int64_t c = 0; c < g.Cg(); ++c) {
    const T* xc = xs + (grp * g.Cg() + c) * g.H * g.W;
    for (int64_t kh = 0; kh < g.KH; ++kh)
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        T* row = cols + ((c * g.KH + kh) * g.KW + kw) * ld;
        // Output columns ow whose input column iw = ow*sw - pw + kw*dw is inside [0, W).
        const int64_t off = kw * g.dw - g.pw;
        const int64_t lo = std::min(g.OW, off >= 0 ? 0 : (-off + g.sw - 1) / g.sw);
        const int64_t hi = std::max(lo, std::min(g.OW, off >= g.W ? 0 : (g.W - 1 - off) / g.sw + 1));
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          const int64_t ih = oh * g.sh - g.ph + kh * g.dh;
          T* r = row + oh * g.OW;
          if (ih < 0 || ih >= g.H) {
            std::fill(r, r + g.OW, T(0));
            continue;
          }
          const T* xr = xc + ih * g.W;
          for (int64_t ow = 0; ow < lo; ++ow) r[ow] = T(0);
          if (g.sw == 1) {
            if (hi > lo) std::memcpy(r + lo, xr + lo + off, (hi - lo) * sizeof(T));
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) r[ow] = xr[ow * g.sw + off];
          }
          for (int64_t ow = hi; ow < g.OW; ++ow) r[ow] = T(0);
        }
      }
  }
}

// Adds cols [rows, OH*OW] (row stride ld) back into the group-g channels of dxs [C,H,W].
template <typename T>
void col2im(const T* cols, const ConvGeom& g, int64_t grp, T* dxs, int64_t ld) {
  for (int64_t c = 0; c < g.Cg(); ++c) {
    T* xc = dxs + (grp * g.Cg() + c) * g.H * g.W;
    for (int64_t kh = 0; kh < g.KH; ++kh)
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        const T* row = cols + ((c * g.KH + kh) * g.KW + kw) * ld;
        const int64_t off = kw * g.dw - g.pw;
        const int64_t lo = std::min(g.OW, off >= 0 ? 0 : (-off + g.sw - 1) / g.sw);
        const int64_t hi = std::max(lo, std::min(g.OW, off >= g.W ? 0 : (g.W - 1 - off) / g.sw + 1));
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          const int64_t ih = oh * g.sh - g.ph + kh * g.dh;
          if (ih < 0 || ih >= g.H) continue;
          T* xr = xc + ih * g.W;
          const T* r = row + oh * g.OW;
          for (int64_t ow = lo; ow < hi; ++ow) xr[ow * g.sw + off] += r[ow];
        }
      }
  }
}

template <typename T>
void conv2d_per_sample(const Tensors& in, const Tensors& out, const OpAttrs& a) {
  const Tensor x = core::contiguous(in[0]), w = core::contiguous(in[1]);
  const Tensor& y = out[0];
  const ConvGeom g = geom(x, w, y, a);
  const T* px = x.data<T>();
  const T* pw = w.data<T>();
  T* py = y.data<T>();
  const int64_t R = g.rows(), P = g.cols();
#pragma omp parallel
  {
    std::vector<T> cols(g.pointwise() ? 0 : R * P);
#pragma omp for collapse(2) schedule(static)
    for (int64_t n = 0; n < g.N; ++n)
      for (int64_t grp = 0; grp < g.G; ++grp) {
        const T* xs = px + n * g.C * g.H * g.W;
        const T* c = xs + grp * g.Cg() * g.H * g.W;
        if (!g.pointwise()) {
          im2col(xs, g, grp, cols.data(), P);
          c = cols.data();
        }
        // y[n, grp] [Og, P] = W_g [Og, R] @ cols [R, P]
        gemm<T>(pw + grp * g.Og() * R, g.Og(), R, R, 1, c, P, P, 1,
                py + (n * g.O + grp * g.Og()) * P, P);
      }
  }
}

template <typename T>
void conv2d_input_grad_per_sample(const Tensors& in, const Tensors& out, const OpAttrs& a) {
  const Tensor gy = core::contiguous(in[0]), w = core::contiguous(in[1]);
  const Tensor& dx = out[0];
  const ConvGeom g = geom(dx, w, gy, a);
  const T* pg = gy.data<T>();
  const T* pw = w.data<T>();
  T* pdx = dx.data<T>();
  const int64_t R = g.rows(), P = g.cols();
  std::fill(pdx, pdx + dx.numel(), T(0));
#pragma omp parallel
  {
    std::vector<T> cols(R * P);
#pragma omp for collapse(2) schedule(static)
    for (int64_t n = 0; n < g.N; ++n)
      for (int64_t grp = 0; grp < g.G; ++grp) {
        // cols [R, P] = W_g^T [R, Og] @ g[n, grp] [Og, P], scattered into the group's channels
        gemm<T>(pw + grp * g.Og() * R, R, g.Og(), 1, R, pg + (n * g.O + grp * g.Og()) * P, P, P,
                1, cols.data(), P);
        col2im(cols.data(), g, grp, pdx + n * g.C * g.H * g.W, P);
      }
  }
}

template <typename T>
void conv2d_weight_grad_per_sample(const Tensors& in, const Tensors& out, const OpAttrs& a) {
  const Tensor x = core::contiguous(in[0]), gy = core::contiguous(in[1]);
  const Tensor& dw = out[0];
  const ConvGeom g = geom(x, dw, gy, a);
  const T* px = x.data<T>();
  const T* pg = gy.data<T>();
  T* pdw = dw.data<T>();
  const int64_t R = g.rows(), P = g.cols();
  std::fill(pdw, pdw + dw.numel(), T(0));
  // Groups in parallel, each summing its samples in order (deterministic);
  // one group runs on this thread with the GEMM parallel inside.
#pragma omp parallel if (g.G > 1)
  {
    std::vector<T> cols(g.pointwise() ? 0 : R * P);
#pragma omp for schedule(static)
    for (int64_t grp = 0; grp < g.G; ++grp)
      for (int64_t n = 0; n < g.N; ++n) {
        const T* xs = px + n * g.C * g.H * g.W;
        const T* c = xs + grp * g.Cg() * g.H * g.W;
        if (!g.pointwise()) {
          im2col(xs, g, grp, cols.data(), P);
          c = cols.data();
        }
        // dW_g [Og, R] += g[n, grp] [Og, P] @ cols^T [P, R]
        gemm<T>(pg + (n * g.O + grp * g.Og()) * P, g.Og(), P, P, 1, c, R, 1, P,
                pdw + grp * g.Og() * R, R, /*accumulate=*/true);
      }
  }
}


// The per-sample algorithms above parallelize over (sample, group) pairs
// (the weight gradient over groups), so they are also the algorithm for a
// modulated convolution: one grouped convolution with groups = batch over a
// single "sample" (x viewed as [1, N*C, H, W]), where the batched form would
// run the groups' small GEMMs one after another. Registered first under the
// name per_group for calls with more groups than samples.
bool many_groups(const Tensors& in, const OpAttrs& a) {
  const int64_t G = a.as<ConvAttrs>().groups;
  return G > 1 && in[0].dim() == 4 && in[0].size(0) < G;
}

// ---- Batched algorithms: one large GEMM per chunk of samples ----------------
// The per-sample GEMMs above have a short dimension of OH*OW (49 for a 7x7
// map), where a GEMM runs far below peak. Here the im2col matrices of a chunk
// of Nc samples sit side by side, cols [R, Nc*P] (column n*P + p), so each op
// is one GEMM with a long dimension Nc*P:
//   forward:     Y [Og, Nc*P] = W_g [Og, R] @ cols,        then y[n, g*Og+o, p] = Y[o, n*P+p]
//   input grad:  cols = W_g^T [R, Og] @ G [Og, Nc*P],      then col2im per sample
//   weight grad: dW_g [Og, R] += G [Og, Nc*P] @ cols^T     (K = Nc*P)
// where G [Og, Nc*P] is gy regrouped the same way. Chunks keep cols under
// the workspace limit (conv.h); they depend only on the shapes and that
// limit, so results are bit-identical for any thread count.
std::atomic<int64_t> g_cols_budget{int64_t(64) << 20};

template <typename T>
int64_t chunk_samples(const ConvGeom& g) {
  const int64_t per_sample = std::max<int64_t>(1, g.rows() * g.cols()) * int64_t(sizeof(T));
  return std::max<int64_t>(1, std::min<int64_t>(g.N, g_cols_budget.load() / per_sample));
}

// buf [Og, Nc*P] <- t[n0 + n, grp*Og + o, p]   (t: [N, O, P] contiguous)
template <typename T>
void gather_groups(const T* t, const ConvGeom& g, int64_t grp, int64_t n0, int64_t nc, T* buf) {
  const int64_t P = g.cols(), Og = g.Og(), ld = nc * P;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t o = 0; o < Og; ++o)
    for (int64_t n = 0; n < nc; ++n)
      std::memcpy(buf + o * ld + n * P, t + ((n0 + n) * g.O + grp * Og + o) * P, P * sizeof(T));
}

// ---- Implicit im2col (float32, with Gantry's AVX-512 GEMM) ----------------
// The im2col matrix is never written: the GEMM asks for 32-column panels of
// B and these packers gather them straight from the image, with a masked
// AVX-512 gather per 16 values (out-of-image taps read as 0). This saves
// writing the whole cols matrix and reading it back to pack it.
#if defined(__AVX512F__)
constexpr bool kImplicit = true;

// The 32 lanes of one packed panel row: lane j reads x[off[j] + base] when
// its pixel (row[j] + dr, col[j] + dc) lies inside the H x W image, else 0.
// Forward packing varies the tap (dr, dc) per row and the output position per
// lane; weight-gradient packing the other way round.
struct Lanes32 {
  __m512i row[2], col[2], off[2];
  Lanes32(const int32_t* r, const int32_t* c, const int32_t* o) {
    for (int h = 0; h < 2; ++h) {
      row[h] = _mm512_load_si512(r + 16 * h);
      col[h] = _mm512_load_si512(c + 16 * h);
      off[h] = _mm512_load_si512(o + 16 * h);
    }
  }
  void gather(float* dst, const float* x, int32_t dr, int32_t dc, int32_t base, int32_t H,
              int32_t W) const {
    const __m512i vdr = _mm512_set1_epi32(dr), vdc = _mm512_set1_epi32(dc);
    const __m512i vb = _mm512_set1_epi32(base);
    const __m512i vH = _mm512_set1_epi32(H), vW = _mm512_set1_epi32(W);
    for (int h = 0; h < 2; ++h) {
      const __mmask16 m = _mm512_cmplt_epu32_mask(_mm512_add_epi32(row[h], vdr), vH) &
                          _mm512_cmplt_epu32_mask(_mm512_add_epi32(col[h], vdc), vW);
      _mm512_store_ps(dst + 16 * h, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m,
                                                             _mm512_add_epi32(off[h], vb), x, 4));
    }
  }
};

// Forward: B = cols [R, nc*P] of samples n0.. of group grp; panel columns are
// output positions, rows are taps r = (c*KH + kh)*KW + kw.
struct PackColsForward {
  const float* x;
  const ConvGeom* g;
  int64_t n0, grp;
  void operator()(int64_t pc, int64_t kc, int64_t j0, int64_t cols, float* dst) const {
    const ConvGeom& G = *g;
    const int64_t P = G.cols(), HW = G.H * G.W;
    alignas(64) int32_t ih0[32], iw0[32], pos[32];
    for (int64_t j = 0; j < 32; ++j) {
      if (j < cols) {
        const int64_t col = j0 + j, n = col / P, p = col % P, oh = p / G.OW, ow = p % G.OW;
        ih0[j] = int32_t(oh * G.sh - G.ph);
        iw0[j] = int32_t(ow * G.sw - G.pw);
        pos[j] = int32_t((n0 + n) * G.C * HW + grp * G.Cg() * HW + ih0[j] * G.W + iw0[j]);
      } else {
        ih0[j] = -(1 << 30);  // never inside the image: packs zeros
        iw0[j] = 0;
        pos[j] = 0;
      }
    }
    const Lanes32 lanes(ih0, iw0, pos);
    const int64_t KHW = G.KH * G.KW;
    int64_t c = pc / KHW, kh = (pc % KHW) / G.KW, kw = pc % G.KW;
    for (int64_t k = 0; k < kc; ++k) {
      const int32_t dh = int32_t(kh * G.dh), dw = int32_t(kw * G.dw);
      lanes.gather(dst + k * 32, x, dh, dw, int32_t(c * HW + dh * G.W + dw), int32_t(G.H),
                   int32_t(G.W));
      if (++kw == G.KW) {
        kw = 0;
        if (++kh == G.KH) {
          kh = 0;
          ++c;
        }
      }
    }
  }
};

// Weight gradient: B = cols^T [nc*P, R]; panel columns are taps, rows are
// output positions of samples n0.. .
struct PackColsTransposed {
  const float* x;
  const ConvGeom* g;
  int64_t n0, grp;
  void operator()(int64_t pc, int64_t kc, int64_t j0, int64_t cols, float* dst) const {
    const ConvGeom& G = *g;
    const int64_t P = G.cols(), HW = G.H * G.W, KHW = G.KH * G.KW;
    alignas(64) int32_t rkh[32], rkw[32], roff[32];
    for (int64_t j = 0; j < 32; ++j) {
      if (j < cols) {
        const int64_t r = j0 + j, c = r / KHW, kh = (r % KHW) / G.KW, kw = r % G.KW;
        rkh[j] = int32_t(kh * G.dh);
        rkw[j] = int32_t(kw * G.dw);
        roff[j] = int32_t(c * HW + rkh[j] * G.W + rkw[j]);
      } else {
        rkh[j] = -(1 << 30);
        rkw[j] = 0;
        roff[j] = 0;
      }
    }
    const Lanes32 lanes(rkh, rkw, roff);
    int64_t n = pc / P, p = pc % P;
    int64_t oh = p / G.OW, ow = p % G.OW;
    for (int64_t k = 0; k < kc; ++k) {
      const int32_t ih0 = int32_t(oh * G.sh - G.ph), iw0 = int32_t(ow * G.sw - G.pw);
      lanes.gather(dst + k * 32, x, ih0, iw0,
                   int32_t((n0 + n) * G.C * HW + grp * G.Cg() * HW + ih0 * G.W + iw0),
                   int32_t(G.H), int32_t(G.W));
      if (++ow == G.OW) {
        ow = 0;
        if (++oh == G.OH) {
          oh = 0;
          ++n;
        }
      }
    }
  }
};
#else
constexpr bool kImplicit = false;
#endif

// The implicit path applies to float32 with the packed GEMM selected, when
// 32-bit gather offsets reach the whole input.
template <typename T>
bool use_implicit(const ConvGeom& g) {
  return kImplicit && std::is_same<T, float>::value && gemm_backend() == GemmBackend::Auto &&
         g.N * g.C * g.H * g.W < (int64_t(1) << 30) && !g.pointwise();
}

template <typename T>
void conv2d_batched(const Tensors& in, const Tensors& out, const OpAttrs& a) {
  const Tensor x = core::contiguous(in[0]), w = core::contiguous(in[1]);
  const Tensor& y = out[0];
  const ConvGeom g = geom(x, w, y, a);
  const T* px = x.data<T>();
  const T* pw = w.data<T>();
  T* py = y.data<T>();
  const int64_t R = g.rows(), P = g.cols(), Og = g.Og(), CHW = g.C * g.H * g.W;
  if (g.full_window()) {  // y [N,O] = x [N,R] @ W^T [R,O]
    gemm<T>(px, g.N, R, R, 1, pw, g.O, 1, R, py, g.O);
    return;
  }
  const bool implicit = use_implicit<T>(g);
  const int64_t Nc = implicit ? g.N : chunk_samples<T>(g);  // implicit: no cols matrix
  T* cols = implicit ? nullptr : scratch<T>(ScratchSlot::ConvCols, R * Nc * P);
  T* Y = scratch<T>(ScratchSlot::ConvOut, Og * Nc * P);
  for (int64_t n0 = 0; n0 < g.N; n0 += Nc) {
    const int64_t nc = std::min(Nc, g.N - n0), ld = nc * P;
    for (int64_t grp = 0; grp < g.G; ++grp) {
      if (implicit) {
#if defined(__AVX512F__)
        const PackColsForward pack{reinterpret_cast<const float*>(px), &g, n0, grp};
        sgemm_avx512_packb(reinterpret_cast<const float*>(pw + grp * Og * R), Og, R, R, 1, pack, ld,
                           reinterpret_cast<float*>(Y), ld, false);
#endif
      } else {
#pragma omp parallel for schedule(static)
        for (int64_t n = 0; n < nc; ++n) im2col(px + (n0 + n) * CHW, g, grp, cols + n * P, ld);
        gemm<T>(pw + grp * Og * R, Og, R, R, 1, cols, ld, ld, 1, Y, ld);
      }
#pragma omp parallel for collapse(2) schedule(static)
      for (int64_t n = 0; n < nc; ++n)
        for (int64_t o = 0; o < Og; ++o)
          std::memcpy(py + ((n0 + n) * g.O + grp * Og + o) * P, Y + o * ld + n * P,
                      P * sizeof(T));
    }
  }
}

#if defined(__AVX512F__)
// Input gradient (= transposed convolution) in cache-sized pieces: W_g^T is
// packed once; then each thread takes whole chunks of a few samples, computes
// their cols [R, nc*P] = W_g^T @ G with a single-threaded GEMM into its own
// scratch (about 512 KiB: it stays in L2) and adds them into dx by col2im at
// once. G's panels are packed straight from gy. Every sample's dx is made by
// one thread in a fixed order, and the chunks depend on the shape only.
void conv2d_input_grad_chunked_f32(const float* pg, const float* pw, float* pdx, const ConvGeom& g) {
  const int64_t R = g.rows(), P = g.cols(), Og = g.Og(), CHW = g.C * g.H * g.W;
  // Chunk size: the one whose work is spread best over the threads — each
  // chunk costs ceil(nc*P / 32) column panels (a panel is computed whole, so
  // a chunk of 99 columns costs as much as one of 128), the busiest thread
  // takes ceil(chunks / T) chunks — among sizes whose cols fit in 1 MiB (L2).
  // A sample's dx does not depend on which chunk computed it (each GEMM
  // column sums over k in the same order whatever its neighbours), so the
  // thread count may steer this choice without changing results.
  const int64_t T = std::max<int64_t>(1, get_num_threads());
  const int64_t budget = int64_t(1) << 20;
  int64_t nc = 1, best = -1;
  for (int64_t c = 1; c <= g.N; ++c) {
    if (c > 1 && R * c * P * 4 > budget) break;
    const int64_t chunks_c = (g.N + c - 1) / c;
    const int64_t cost = ((chunks_c + T - 1) / T) * ((c * P + kPackBWidth - 1) / kPackBWidth);
    if (best < 0 || cost <= best) {
      best = cost;
      nc = c;
    }
  }
  const int64_t chunks = (g.N + nc - 1) / nc;
  std::fill(pdx, pdx + g.N * CHW, 0.0f);
  float* ap = scratch<float>(ScratchSlot::ConvGroup, sgemm_packed_a_size(R, Og));
  for (int64_t grp = 0; grp < g.G; ++grp) {
    sgemm_pack_a(pw + grp * Og * R, R, Og, 1, R, ap);  // W_g^T [R, Og]
#pragma omp parallel for schedule(static)
    for (int64_t ch = 0; ch < chunks; ++ch) {
      const int64_t n0 = ch * nc, m = std::min(nc, g.N - n0), ld = m * P;
      float* cols = scratch<float>(ScratchSlot::ConvCols, R * ld);
      // B = G [Og, m*P]: row o, column n*P + p is gy[n0 + n, grp*Og + o, p].
      auto pack = [&](int64_t pc, int64_t kc, int64_t j0, int64_t ncols, float* dst) {
        for (int64_t k = 0; k < kc; ++k) {
          float* d = dst + k * kPackBWidth;
          int64_t j = 0;
          while (j < ncols) {  // runs of one sample's positions are contiguous in gy
            const int64_t col = j0 + j, n = col / P, p = col % P, len = std::min(ncols - j, P - p);
            std::memcpy(d + j, pg + ((n0 + n) * g.O + grp * Og + pc + k) * P + p, len * sizeof(float));
            j += len;
          }
          for (; j < kPackBWidth; ++j) d[j] = 0.0f;
        }
      };
      sgemm_prepacked_serial(ap, R, Og, pack, ld, cols, ld, false);
      for (int64_t n = 0; n < m; ++n) col2im(cols + n * P, g, grp, pdx + (n0 + n) * CHW, ld);
    }
  }
}
#endif

template <typename T>
void conv2d_input_grad_batched(const Tensors& in, const Tensors& out, const OpAttrs& a) {
  const Tensor gy = core::contiguous(in[0]), w = core::contiguous(in[1]);
  const Tensor& dx = out[0];
  const ConvGeom g = geom(dx, w, gy, a);
  const T* pg = gy.data<T>();
  const T* pw = w.data<T>();
  T* pdx = dx.data<T>();
  const int64_t R = g.rows(), P = g.cols(), Og = g.Og(), CHW = g.C * g.H * g.W;
  if (g.full_window()) {  // dx [N,R] = g [N,O] @ W [O,R]
    gemm<T>(pg, g.N, g.O, g.O, 1, pw, R, R, 1, pdx, R);
    return;
  }
#if defined(__AVX512F__)
  if constexpr (std::is_same<T, float>::value) {
    if (use_implicit<T>(g)) {
      conv2d_input_grad_chunked_f32(pg, pw, pdx, g);
      return;
    }
  }
#endif
  const int64_t Nc = chunk_samples<T>(g);
  T* cols = scratch<T>(ScratchSlot::ConvCols, R * Nc * P);
  T* G = scratch<T>(ScratchSlot::ConvGroup, Og * Nc * P);
  std::fill(pdx, pdx + dx.numel(), T(0));
  for (int64_t n0 = 0; n0 < g.N; n0 += Nc) {
    const int64_t nc = std::min(Nc, g.N - n0), ld = nc * P;
    for (int64_t grp = 0; grp < g.G; ++grp) {
      const T* gb = pg + (n0 * g.O + grp * Og) * P;  // G when it needs no regrouping
      if (nc > 1 || g.G > 1) {
        gather_groups(pg, g, grp, n0, nc, G);
        gb = G;
      }
      // cols [R, nc*P] = W_g^T [R, Og] @ G [Og, nc*P]
      gemm<T>(pw + grp * Og * R, R, Og, 1, R, gb, ld, ld, 1, cols, ld);
#pragma omp parallel for schedule(static)
      for (int64_t n = 0; n < nc; ++n) col2im(cols + n * P, g, grp, pdx + (n0 + n) * CHW, ld);
    }
  }
}

template <typename T>
void conv2d_weight_grad_batched(const Tensors& in, const Tensors& out, const OpAttrs& a) {
  const Tensor x = core::contiguous(in[0]), gy = core::contiguous(in[1]);
  const Tensor& dw = out[0];
  const ConvGeom g = geom(x, dw, gy, a);
  const T* px = x.data<T>();
  const T* pg = gy.data<T>();
  T* pdw = dw.data<T>();
  const int64_t R = g.rows(), P = g.cols(), Og = g.Og(), CHW = g.C * g.H * g.W;
  if (g.full_window()) {  // dW [O,R] = g^T [O,N] @ x [N,R]
    gemm<T>(pg, g.O, g.N, 1, g.O, px, R, R, 1, pdw, R);
    return;
  }
  const bool implicit = use_implicit<T>(g);
  const int64_t Nc = implicit ? g.N : chunk_samples<T>(g);  // implicit: no cols matrix
  T* cols = implicit ? nullptr : scratch<T>(ScratchSlot::ConvCols, R * Nc * P);
  T* G = scratch<T>(ScratchSlot::ConvGroup, Og * Nc * P);
  std::fill(pdw, pdw + dw.numel(), T(0));
  for (int64_t n0 = 0; n0 < g.N; n0 += Nc) {
    const int64_t nc = std::min(Nc, g.N - n0), ld = nc * P;
    for (int64_t grp = 0; grp < g.G; ++grp) {
      const T* gb = pg + (n0 * g.O + grp * Og) * P;
      if (nc > 1 || g.G > 1) {
        gather_groups(pg, g, grp, n0, nc, G);
        gb = G;
      }
      // dW_g [Og, R] += G [Og, nc*P] @ cols^T [nc*P, R]
      if (implicit) {
#if defined(__AVX512F__)
        const PackColsTransposed pack{reinterpret_cast<const float*>(px), &g, n0, grp};
        sgemm_avx512_packb(reinterpret_cast<const float*>(gb), Og, ld, ld, 1, pack, R,
                           reinterpret_cast<float*>(pdw + grp * Og * R), R, /*accumulate=*/true);
#endif
      } else {
#pragma omp parallel for schedule(static)
        for (int64_t n = 0; n < nc; ++n) im2col(px + (n0 + n) * CHW, g, grp, cols + n * P, ld);
        gemm<T>(gb, Og, ld, ld, 1, cols, R, 1, ld, pdw + grp * Og * R, R, /*accumulate=*/true);
      }
    }
  }
}

// ---- Thin weight gradient: direct, for layers with few taps -----------------
// A layer on a one-channel image (the DCGAN's D1, and G4 seen from its
// weight gradient) has R = C*KH*KW = 16 taps: as a GEMM its output has 16
// columns and wastes half of every 32-wide tile, and K = N*OH*OW is long.
// Directly instead: im2col of every sample once (cols [N][R][P]), then for
// each output channel o (one thread each) 16-lane partial dot products over
// the positions, accumulated over samples in order; lanes summed at the end
// in a fixed order. Applies to groups = 1, R <= 32, float32 and float64.
constexpr int64_t kThinTaps = 32;

// A quick filter on the inputs (the kernel size is only known from the
// output dW): C <= 32 and one group; the kernel hands anything with more than
// 32 taps to the batched algorithm.
bool thin_weight_grad_applicable(const Tensors& in, const OpAttrs& a) {
  const Tensor& x = in[0];
  return a.as<ConvAttrs>().groups == 1 && x.dim() == 4 && in[1].dim() == 4 &&
         x.size(1) <= kThinTaps;
}

template <typename T>
void conv2d_weight_grad_thin(const Tensors& in, const Tensors& out, const OpAttrs& a) {
  const Tensor x = core::contiguous(in[0]), gy = core::contiguous(in[1]);
  const Tensor& dw = out[0];
  const ConvGeom g = geom(x, dw, gy, a);
  const int64_t R = g.rows(), P = g.cols(), CHW = g.C * g.H * g.W;
  if (R > kThinTaps || g.N * R * P * int64_t(sizeof(T)) > conv_workspace_limit()) {
    conv2d_weight_grad_batched<T>(in, out, a);  // not thin after all: the general path
    return;
  }
  const T* px = x.data<T>();
  const T* pg = gy.data<T>();
  T* pdw = dw.data<T>();
  T* cols = scratch<T>(ScratchSlot::ConvCols, g.N * R * P);
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < g.N; ++n) im2col(px + n * CHW, g, 0, cols + n * R * P, P);
  constexpr int64_t L = 16;
#pragma omp parallel for schedule(static)
  for (int64_t o = 0; o < g.O; ++o) {
    T acc[kThinTaps][L] = {};
    T tail[kThinTaps] = {};
    for (int64_t n = 0; n < g.N; ++n) {
      const T* gr = pg + (n * g.O + o) * P;
      const T* cn = cols + n * R * P;
      int64_t p0 = 0;
      for (; p0 + L <= P; p0 += L)
        for (int64_t r = 0; r < R; ++r)
          for (int64_t l = 0; l < L; ++l) acc[r][l] += gr[p0 + l] * cn[r * P + p0 + l];
      for (int64_t p = p0; p < P; ++p)
        for (int64_t r = 0; r < R; ++r) tail[r] += gr[p] * cn[r * P + p];
    }
    for (int64_t r = 0; r < R; ++r) {
      T s = tail[r];
      for (int64_t l = 0; l < L; ++l) s += acc[r][l];
      pdw[o * R + r] = s;
    }
  }
}

}  // namespace

void set_conv_workspace_limit(int64_t bytes) { g_cols_budget.store(std::max<int64_t>(0, bytes)); }
int64_t conv_workspace_limit() { return g_cols_budget.load(); }

// First registered = default (per_group where it applies: many groups, few
// samples); the per-sample forms stay selectable (Registry::force_algorithm)
// as the simple reference.
GANTRY_KERNEL_IF(conv2d, DeviceType::CPU, kFloat32, "per_group", many_groups, conv2d_per_sample<float>);
GANTRY_KERNEL_IF(conv2d, DeviceType::CPU, kFloat64, "per_group", many_groups, conv2d_per_sample<double>);
GANTRY_KERNEL_IF(conv2d_input_grad, DeviceType::CPU, kFloat32, "per_group", many_groups, conv2d_input_grad_per_sample<float>);
GANTRY_KERNEL_IF(conv2d_input_grad, DeviceType::CPU, kFloat64, "per_group", many_groups, conv2d_input_grad_per_sample<double>);
GANTRY_KERNEL_IF(conv2d_weight_grad, DeviceType::CPU, kFloat32, "per_group", many_groups, conv2d_weight_grad_per_sample<float>);
GANTRY_KERNEL_IF(conv2d_weight_grad, DeviceType::CPU, kFloat64, "per_group", many_groups, conv2d_weight_grad_per_sample<double>);
GANTRY_KERNEL(conv2d, DeviceType::CPU, kFloat32, "batched_gemm", conv2d_batched<float>);
GANTRY_KERNEL(conv2d, DeviceType::CPU, kFloat64, "batched_gemm", conv2d_batched<double>);
GANTRY_KERNEL(conv2d, DeviceType::CPU, kFloat32, "per_sample", conv2d_per_sample<float>);
GANTRY_KERNEL(conv2d, DeviceType::CPU, kFloat64, "per_sample", conv2d_per_sample<double>);
GANTRY_KERNEL(conv2d_input_grad, DeviceType::CPU, kFloat32, "batched_gemm", conv2d_input_grad_batched<float>);
GANTRY_KERNEL(conv2d_input_grad, DeviceType::CPU, kFloat64, "batched_gemm", conv2d_input_grad_batched<double>);
GANTRY_KERNEL(conv2d_input_grad, DeviceType::CPU, kFloat32, "per_sample", conv2d_input_grad_per_sample<float>);
GANTRY_KERNEL(conv2d_input_grad, DeviceType::CPU, kFloat64, "per_sample", conv2d_input_grad_per_sample<double>);
GANTRY_KERNEL_IF(conv2d_weight_grad, DeviceType::CPU, kFloat32, "direct_thin", thin_weight_grad_applicable, conv2d_weight_grad_thin<float>);
GANTRY_KERNEL_IF(conv2d_weight_grad, DeviceType::CPU, kFloat64, "direct_thin", thin_weight_grad_applicable, conv2d_weight_grad_thin<double>);
GANTRY_KERNEL(conv2d_weight_grad, DeviceType::CPU, kFloat32, "batched_gemm", conv2d_weight_grad_batched<float>);
GANTRY_KERNEL(conv2d_weight_grad, DeviceType::CPU, kFloat64, "batched_gemm", conv2d_weight_grad_batched<double>);
GANTRY_KERNEL(conv2d_weight_grad, DeviceType::CPU, kFloat32, "per_sample", conv2d_weight_grad_per_sample<float>);
GANTRY_KERNEL(conv2d_weight_grad, DeviceType::CPU, kFloat64, "per_sample", conv2d_weight_grad_per_sample<double>);

}  // namespace kernels
}  // namespace gantry
