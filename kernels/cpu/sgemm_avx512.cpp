// kernels/cpu/sgemm_avx512.cpp — Gantry's own float32 GEMM for AVX-512 CPUs.
//
// C[M,N] (row stride ldc) = A[M,K] @ B[K,N] (+ C when accumulate), A and B
// with any strides. The classic packed-panel design (Goto & van de Geijn):
//   for each block of NC columns of B and each slice of KC rows of K:
//     pack B[pc:pc+kc, jc:jc+nc] into panels of NR=32 columns (row k = 32 floats)
//     pack A[:, pc:pc+kc]         into panels of MR=12 rows    (column k = 12 floats)
//     for every MR x NR tile of C:  micro-kernel over kc (24 zmm accumulators,
//       two 16-float loads of B and 12 broadcasts of A per k)
// Packing pads with zeros, so the micro-kernel never branches on edges; edge
// tiles go through a small buffer (compute_tile). Threads (OpenMP) share the packing and then
// split the tiles; every tile sums over k in the same order (the kc slices in
// sequence, k ascending inside), whichever thread computes it, so results are
// bit-identical for any thread count.
// Only compiled when the compiler targets AVX-512F; elsewhere gemm<float>
// uses Eigen (see gemm.cpp).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "kernels/cpu/gemm.h"
#include "kernels/cpu/scratch.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

namespace gantry {
namespace kernels {

#if defined(__AVX512F__)
namespace {

constexpr int64_t MR = 12, NR = 32;
constexpr int64_t KC = 192;   // B micro-panel: KC*NR*4 = 24 KiB (L1), A panel streams from L2
constexpr int64_t NC = 512;   // columns per packed B block: the C block (M x NC) stays in L2 across K slices

// c[MR x NR] (row stride ldc) (+)= sum_k a[k*MR + r] * b[k*NR + j]
inline void micro_kernel(int64_t kc, const float* __restrict a, const float* __restrict b,
                         float* __restrict c, int64_t ldc, bool accumulate) {
  __m512 c0[MR], c1[MR];
  for (int r = 0; r < MR; ++r) {
    c0[r] = _mm512_setzero_ps();
    c1[r] = _mm512_setzero_ps();
  }
  for (int64_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_loadu_ps(b + k * NR), b1 = _mm512_loadu_ps(b + k * NR + 16);
    const float* ak = a + k * MR;
#pragma GCC unroll 12
    for (int r = 0; r < MR; ++r) {
      const __m512 av = _mm512_set1_ps(ak[r]);
      c0[r] = _mm512_fmadd_ps(av, b0, c0[r]);
      c1[r] = _mm512_fmadd_ps(av, b1, c1[r]);
    }
  }
  for (int r = 0; r < MR; ++r) {
    float* cr = c + r * ldc;
    if (accumulate) {
      c0[r] = _mm512_add_ps(c0[r], _mm512_loadu_ps(cr));
      c1[r] = _mm512_add_ps(c1[r], _mm512_loadu_ps(cr + 16));
    }
    _mm512_storeu_ps(cr, c0[r]);
    _mm512_storeu_ps(cr + 16, c1[r]);
  }
}

// Ap[panel p][k][r] = A[p*MR + r, pc + k]  (zero beyond M)
void pack_a(const float* a, int64_t M, int64_t ars, int64_t acs, int64_t pc, int64_t kc,
            int64_t p, float* ap) {
  const int64_t i0 = p * MR, rows = std::min(MR, M - i0);
  if (acs == 1) {
    for (int64_t r = 0; r < rows; ++r) {
      const float* src = a + (i0 + r) * ars + pc;
      for (int64_t k = 0; k < kc; ++k) ap[k * MR + r] = src[k];
    }
  } else {
    for (int64_t k = 0; k < kc; ++k) {
      const float* src = a + (pc + k) * acs + i0 * ars;
      for (int64_t r = 0; r < rows; ++r) ap[k * MR + r] = src[r * ars];
    }
  }
  if (rows < MR)
    for (int64_t k = 0; k < kc; ++k)
      for (int64_t r = rows; r < MR; ++r) ap[k * MR + r] = 0.f;
}

// One B panel: dst[k][j] = B[pc + k, j0 + j] for j < cols, zero for cols <= j < NR.
void pack_b(const float* b, int64_t brs, int64_t bcs, int64_t pc, int64_t kc, int64_t j0,
            int64_t cols, float* bp) {
  if (bcs == 1) {
    for (int64_t k = 0; k < kc; ++k) {
      const float* src = b + (pc + k) * brs + j0;
      float* dst = bp + k * NR;
      std::memcpy(dst, src, cols * sizeof(float));
      for (int64_t j = cols; j < NR; ++j) dst[j] = 0.f;
    }
  } else {
    for (int64_t j = 0; j < cols; ++j) {
      const float* src = b + pc * brs + (j0 + j) * bcs;
      for (int64_t k = 0; k < kc; ++k) bp[k * NR + j] = src[k * brs];
    }
    for (int64_t k = 0; k < kc; ++k)
      for (int64_t j = cols; j < NR; ++j) bp[k * NR + j] = 0.f;
  }
}

// A packed for all of K: slice pc holds its mp panels of MR x kc, one slice
// after another. Panel p of slice pc starts here.
inline int64_t packed_a_offset(int64_t mp, int64_t pc, int64_t kc, int64_t p) {
  return pc * mp * MR + p * MR * kc;
}

// One MR x NR tile of C; an edge tile (rows < MR or cols < NR) goes through a
// small buffer so the micro-kernel never branches on edges.
inline void compute_tile(int64_t kc, const float* at, const float* bt, float* ct, int64_t ldc,
                         int64_t rows, int64_t cols, bool acc) {
  if (rows == MR && cols == NR) {
    micro_kernel(kc, at, bt, ct, ldc, acc);
    return;
  }
  alignas(64) float tile[MR * NR];
  if (acc)
    for (int64_t r = 0; r < rows; ++r) std::memcpy(tile + r * NR, ct + r * ldc, cols * sizeof(float));
  micro_kernel(kc, at, bt, tile, NR, acc);
  for (int64_t r = 0; r < rows; ++r) std::memcpy(ct + r * ldc, tile + r * NR, cols * sizeof(float));
}

// The blocked loops, with B supplied by `pack_b(pc, kc, j0, ncols, dst)`.
template <typename PackB>
void driver(const float* a, int64_t M, int64_t K, int64_t ars, int64_t acs, const PackB& pack_b,
            int64_t N, float* c, int64_t ldc, bool accumulate) {
  const int64_t mp = (M + MR - 1) / MR;  // A panels
  const int64_t ncmax = std::min(N, NC);
  const int64_t kcmax = std::min(K, KC);
  // A is packed once for all of K when it is small enough to stay cached
  // (then every NC block of columns reuses it), else per (block, slice).
  const bool a_once = N > NC && mp * MR * K * 4 <= (int64_t(2) << 20);
  float* const ap = scratch<float>(ScratchSlot::GemmA, mp * MR * (a_once ? K : kcmax));
  float* const bp = scratch<float>(ScratchSlot::GemmB, ((ncmax + NR - 1) / NR) * NR * kcmax);
#ifdef _OPENMP
  const bool parallel = 2.0 * M * N * K >= 4e6 && !omp_in_parallel();
#else
  const bool parallel = false;
#endif
#pragma omp parallel if (parallel)
  {
    if (a_once) {
#pragma omp for schedule(static) collapse(2)
      for (int64_t pc = 0; pc < K; pc += KC)
        for (int64_t p = 0; p < mp; ++p) {
          const int64_t kc = std::min(KC, K - pc);
          pack_a(a, M, ars, acs, pc, kc, p, ap + packed_a_offset(mp, pc, kc, p));
        }
    }
    for (int64_t jc = 0; jc < N; jc += NC) {
      const int64_t nc = std::min(NC, N - jc), np = (nc + NR - 1) / NR;
      for (int64_t pc = 0; pc < K; pc += KC) {
        const int64_t kc = std::min(KC, K - pc);
        const bool acc = accumulate || pc > 0;
        const float* aslice = a_once ? ap + packed_a_offset(mp, pc, kc, 0) : ap;
#pragma omp for schedule(static)
        for (int64_t q = 0; q < np; ++q) {
          const int64_t j0 = jc + q * NR;
          pack_b(pc, kc, j0, std::min(NR, jc + nc - j0), bp + q * NR * kc);
        }
        if (!a_once) {
#pragma omp for schedule(static)
          for (int64_t p = 0; p < mp; ++p) pack_a(a, M, ars, acs, pc, kc, p, ap + p * MR * kc);
        }
        // Tiles, column panel major: consecutive tiles of a thread share B's micro-panel.
#pragma omp for schedule(static)
        for (int64_t t = 0; t < np * mp; ++t) {
          const int64_t q = t / mp, p = t % mp;
          const int64_t i0 = p * MR, j0 = jc + q * NR;
          const int64_t rows = std::min(MR, M - i0), cols = std::min(NR, N - j0);
          compute_tile(kc, aslice + p * MR * kc, bp + q * NR * kc, c + i0 * ldc + j0, ldc, rows,
                       cols, acc);
        }
      }
    }
  }
}

}  // namespace

bool sgemm_avx512(const float* a, int64_t M, int64_t K, int64_t ars, int64_t acs, const float* b,
                  int64_t N, int64_t brs, int64_t bcs, float* c, int64_t ldc, bool accumulate) {
  driver(a, M, K, ars, acs,
         [&](int64_t pc, int64_t kc, int64_t j0, int64_t cols, float* dst) {
           pack_b(b, brs, bcs, pc, kc, j0, cols, dst);
         },
         N, c, ldc, accumulate);
  return true;
}

bool sgemm_avx512_packb(const float* a, int64_t M, int64_t K, int64_t ars, int64_t acs,
                        const PackBFn& pack, int64_t N, float* c, int64_t ldc, bool accumulate) {
  driver(a, M, K, ars, acs, pack, N, c, ldc, accumulate);
  return true;
}

int64_t sgemm_packed_a_size(int64_t M, int64_t K) { return ((M + MR - 1) / MR) * MR * K; }

void sgemm_pack_a(const float* a, int64_t M, int64_t K, int64_t ars, int64_t acs, float* dst) {
  const int64_t mp = (M + MR - 1) / MR;
  for (int64_t pc = 0; pc < K; pc += KC) {
    const int64_t kc = std::min(KC, K - pc);
    for (int64_t p = 0; p < mp; ++p) pack_a(a, M, ars, acs, pc, kc, p, dst + packed_a_offset(mp, pc, kc, p));
  }
}

void sgemm_prepacked_serial(const float* ap, int64_t M, int64_t K, const PackBFn& pack, int64_t N,
                            float* c, int64_t ldc, bool accumulate) {
  const int64_t mp = (M + MR - 1) / MR;
  float* const bp = scratch<float>(ScratchSlot::GemmB, NR * std::min(K, KC));
  for (int64_t pc = 0; pc < K; pc += KC) {
    const int64_t kc = std::min(KC, K - pc);
    const bool acc = accumulate || pc > 0;
    for (int64_t j0 = 0; j0 < N; j0 += NR) {
      const int64_t cols = std::min(NR, N - j0);
      pack(pc, kc, j0, cols, bp);
      for (int64_t p = 0; p < mp; ++p) {
        const int64_t i0 = p * MR;
        compute_tile(kc, ap + packed_a_offset(mp, pc, kc, p), bp, c + i0 * ldc + j0, ldc,
                     std::min(MR, M - i0), cols, acc);
      }
    }
  }
}

#else  // no AVX-512: gemm.cpp keeps Eigen

bool sgemm_avx512(const float*, int64_t, int64_t, int64_t, int64_t, const float*, int64_t,
                  int64_t, int64_t, float*, int64_t, bool) {
  return false;
}
bool sgemm_avx512_packb(const float*, int64_t, int64_t, int64_t, int64_t, const PackBFn&, int64_t,
                        float*, int64_t, bool) {
  return false;
}
int64_t sgemm_packed_a_size(int64_t, int64_t) { return 0; }
void sgemm_pack_a(const float*, int64_t, int64_t, int64_t, int64_t, float*) {}
void sgemm_prepacked_serial(const float*, int64_t, int64_t, const PackBFn&, int64_t, float*,
                            int64_t, bool) {}

#endif

}  // namespace kernels
}  // namespace gantry
