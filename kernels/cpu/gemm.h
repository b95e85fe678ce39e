// kernels/cpu/gemm.h — the CPU GEMM other kernels build on (convolution).
//
// C[M,N] (row stride ldc) = A[M,K] @ B[K,N] (+ C when accumulate), where A
// and B are strided matrices with at least one unit stride each (transposed
// views are fine). Splits the output into fixed blocks over OpenMP threads
// unless called from inside a parallel region; results are bit-identical for
// any thread count.
#pragma once
#include <cstdint>
#include <functional>

namespace gantry {
namespace kernels {

// Which implementation gemm<float> uses: Gantry's packed AVX-512 kernel
// (sgemm_avx512.cpp; the default where the compiler targets AVX-512) or Eigen.
// float64 always uses Eigen. A global setting, for A/B comparisons.
enum class GemmBackend { Auto, Eigen };
void set_gemm_backend(GemmBackend b);
GemmBackend gemm_backend();

// The packed AVX-512 float GEMM; returns false (doing nothing) when the build
// does not target AVX-512.
bool sgemm_avx512(const float* a, int64_t M, int64_t K, int64_t ars, int64_t acs, const float* b,
                  int64_t N, int64_t brs, int64_t bcs, float* c, int64_t ldc, bool accumulate);

// The same GEMM with B supplied panel by panel, so B never has to exist as a
// matrix (convolution packs its im2col columns straight from the image):
// pack(pc, kc, j0, cols, dst) writes dst[k*32 + j] = B[pc + k, j0 + j] for
// k < kc, j < cols (cols <= 32) and zeros for cols <= j < 32. Called from
// several threads at once for different panels.
constexpr int64_t kPackBWidth = 32;
using PackBFn = std::function<void(int64_t pc, int64_t kc, int64_t j0, int64_t cols, float* dst)>;
bool sgemm_avx512_packb(const float* a, int64_t M, int64_t K, int64_t ars, int64_t acs,
                        const PackBFn& pack, int64_t N, float* c, int64_t ldc, bool accumulate);

// A packed once and reused by many products (AVX-512 builds only; elsewhere
// these do nothing and callers must not use them): sgemm_pack_a writes A
// [M,K] into sgemm_packed_a_size(M, K) floats; sgemm_prepacked_serial then
// computes C = A @ B on the calling thread alone (B from `pack`), for callers
// that parallelize over independent products themselves.
int64_t sgemm_packed_a_size(int64_t M, int64_t K);
void sgemm_pack_a(const float* a, int64_t M, int64_t K, int64_t ars, int64_t acs, float* dst);
void sgemm_prepacked_serial(const float* ap, int64_t M, int64_t K, const PackBFn& pack, int64_t N,
                            float* c, int64_t ldc, bool accumulate);

template <typename T>
void gemm(const T* a, int64_t M, int64_t K, int64_t ars, int64_t acs, const T* b, int64_t N,
          int64_t brs, int64_t bcs, T* c, int64_t ldc, bool accumulate = false);

}  // namespace kernels
}  // namespace gantry
