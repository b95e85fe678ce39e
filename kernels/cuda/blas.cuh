// kernels/cuda/blas.cuh — the one strided-batched cuBLAS GEMM call every CUDA
// op family uses (gemm.cu: mm/bmm; conv.cu: im2col_gemm), CUDA code only.
//
//   C[b] = op(A[b]) @ op(B[b]) + beta * C[b],  b < batch   (column-major, cuBLAS's view)
//
// float  -> cublasSgemmStridedBatched (the handle's math mode decides TF32)
// double -> cublasDgemmStridedBatched
// bf16/f16 -> cublasGemmStridedBatchedEx with 16-bit A, B, C and
//             CUBLAS_COMPUTE_32F (float32 alpha, beta and accumulation)
// Sizes are checked against cuBLAS's int range, naming `op`.
#pragma once
#include <climits>
#include <type_traits>

#include "kernels/cuda/common.cuh"

namespace gantry {
namespace cuda {

// C = A @ B (+ beta C) in cuBLAS's column-major terms, batched with strides.
// TC is T, or float for 16-bit T: the product is then rounded once, to
// float32, for a caller that keeps accumulating in float (conv input grad).
template <typename T, typename TC = T>
void gemm_strided_batched(const char* op, int dev, cublasOperation_t ta, cublasOperation_t tb,
                          int64_t m, int64_t n, int64_t k, const T* A, int64_t lda, int64_t sA,
                          const T* B, int64_t ldb, int64_t sB, double beta, TC* C, int64_t ldc,
                          int64_t sC, int64_t batch) {
  static_assert(std::is_same_v<TC, T> || (is_half_v<T> && std::is_same_v<TC, float>),
                "gemm_strided_batched: C has A's type, or float32 for 16-bit A");
  for (int64_t v : {m, n, k, lda, ldb, ldc, batch})
    GANTRY_CHECK(v <= INT_MAX, op, " (cuda): GEMM size ", v, " exceeds cuBLAS's int range");
  cublasHandle_t h = cublas_handle(dev);
  if constexpr (std::is_same_v<T, double>) {
    const double one = 1.0;
    GANTRY_CUBLAS_CHECK(cublasDgemmStridedBatched(h, ta, tb, int(m), int(n), int(k), &one, A,
                                                  int(lda), sA, B, int(ldb), sB, &beta, C,
                                                  int(ldc), sC, int(batch)));
  } else {
    const float one = 1.0f, fbeta = static_cast<float>(beta);
    if constexpr (std::is_same_v<T, float>) {
      GANTRY_CUBLAS_CHECK(cublasSgemmStridedBatched(h, ta, tb, int(m), int(n), int(k), &one, A,
                                                    int(lda), sA, B, int(ldb), sB, &fbeta, C,
                                                    int(ldc), sC, int(batch)));
    } else {
      static_assert(is_half_v<T>, "gemm_strided_batched: float, double, bf16 or f16");
      const cudaDataType_t dt = std::is_same_v<T, bf16> ? CUDA_R_16BF : CUDA_R_16F;
      const cudaDataType_t ct = std::is_same_v<TC, float> ? CUDA_R_32F : dt;
      GANTRY_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
          h, ta, tb, int(m), int(n), int(k), &one, A, dt, int(lda), sA, B, dt, int(ldb), sB,
          &fbeta, C, ct, int(ldc), sC, int(batch), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    }
  }
}

}  // namespace cuda
}  // namespace gantry
