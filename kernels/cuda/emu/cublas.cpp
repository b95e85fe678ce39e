// kernels/cuda/emu/cublas.cpp — a cuBLAS stand-in for the emulation build:
// the handle calls and the GEMM entry points the backend uses, with cuBLAS's
// column-major semantics (declarations: the toolkit's cublas_api.h).
//
//   C[i + j*ldc] = alpha * sum_l op(A)[i, l] * op(B)[l, j] + beta * C[i + j*ldc]
//   op(A)[i, l] = A[i + l*lda] (CUBLAS_OP_N) or A[l + i*lda] (CUBLAS_OP_T/C)
//
// for each of batchCount matrices, the b-th at A + b*strideA (and B, C).
// Products accumulate in float64 and are rounded once to the compute type,
// then to C's type. As cuBLAS documents: beta == 0 means C is not read (NaN
// there does not propagate); m, n or batchCount == 0 returns at once; k == 0
// or alpha == 0 scales C by beta. CUBLAS_STATUS_INVALID_VALUE where cuBLAS
// returns it: m, n, k or batchCount < 0; an op that is not N, T or C;
// lda < max(1, rows of A as stored), ldb likewise, ldc < max(1, m); a null
// alpha or beta. cublasGemmStridedBatchedEx takes the type combinations
// cuBLAS lists for GemmEx with 16F, 16BF, 32F or 64F data and returns
// CUBLAS_STATUS_NOT_SUPPORTED for the rest.
#include <cublas_v2.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "kernels/cuda/emu/device.h"

struct cublasContext {
  cudaStream_t stream = nullptr;
  cublasMath_t math = CUBLAS_DEFAULT_MATH;
};

namespace {

bool valid_op(cublasOperation_t op) {
  return op == CUBLAS_OP_N || op == CUBLAS_OP_T || op == CUBLAS_OP_C;
}

cublasStatus_t check_args(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb,
                          int64_t m, int64_t n, int64_t k, const void* alpha, int64_t lda,
                          int64_t ldb, const void* beta, int64_t ldc, int64_t batch) {
  if (h == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (!valid_op(ta) || !valid_op(tb)) return CUBLAS_STATUS_INVALID_VALUE;
  if (m < 0 || n < 0 || k < 0 || batch < 0) return CUBLAS_STATUS_INVALID_VALUE;
  if (alpha == nullptr || beta == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
  const int64_t a_rows = ta == CUBLAS_OP_N ? m : k;
  const int64_t b_rows = tb == CUBLAS_OP_N ? k : n;
  if (lda < std::max<int64_t>(1, a_rows) || ldb < std::max<int64_t>(1, b_rows) ||
      ldc < std::max<int64_t>(1, m))
    return CUBLAS_STATUS_INVALID_VALUE;
  return CUBLAS_STATUS_SUCCESS;
}

template <typename T>
double load(const T* p) {
  if constexpr (std::is_same_v<T, __half>) return __half2float(*p);
  else if constexpr (std::is_same_v<T, __nv_bfloat16>) return __bfloat162float(*p);
  else return static_cast<double>(*p);
}

// Rounds v to the compute type CT (float or double), then stores it as T.
template <typename T, typename CT>
void store(T* p, double v) {
  const CT c = static_cast<CT>(v);
  if constexpr (std::is_same_v<T, __half>) *p = __float2half_rn(static_cast<float>(c));
  else if constexpr (std::is_same_v<T, __nv_bfloat16>) *p = __float2bfloat16_rn(static_cast<float>(c));
  else *p = static_cast<T>(c);
}

template <typename TA, typename TB, typename TC, typename CT>
void gemm(cublasOperation_t ta, cublasOperation_t tb, int64_t m, int64_t n, int64_t k,
          double alpha, const TA* A, int64_t lda, int64_t sA, const TB* B, int64_t ldb,
          int64_t sB, double beta, TC* C, int64_t ldc, int64_t sC, int64_t batch) {
  if (m == 0 || n == 0 || batch == 0) return;
  const bool at = ta != CUBLAS_OP_N, bt = tb != CUBLAS_OP_N;
  const int64_t cols = batch * n;
#pragma omp parallel for schedule(static) if (cols * m * std::max<int64_t>(k, 1) > 32768)
  for (int64_t bj = 0; bj < cols; ++bj) {
    const int64_t b = bj / n, j = bj % n;
    const TA* a = A + b * sA;
    const TB* bb = B + b * sB;
    TC* c = C + b * sC + j * ldc;
    for (int64_t i = 0; i < m; ++i) {
      double acc = 0.0;
      if (alpha != 0.0)
        for (int64_t l = 0; l < k; ++l)
          acc += load(at ? a + l + i * lda : a + i + l * lda) *
                 load(bt ? bb + j + l * ldb : bb + l + j * ldb);
      const double v = alpha * acc + (beta == 0.0 ? 0.0 : beta * load(c + i));
      store<TC, CT>(c + i, v);
    }
  }
}

}  // namespace

// ------------------------------------------------------------ handles
cublasStatus_t cublasCreate_v2(cublasHandle_t* h) {
  if (h == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
  *h = new cublasContext();
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasDestroy_v2(cublasHandle_t h) {
  if (h == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  delete h;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetStream_v2(cublasHandle_t h, cudaStream_t s) {
  if (h == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  h->stream = s;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetMathMode(cublasHandle_t h, cublasMath_t mode) {
  if (h == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  h->math = mode;
  return CUBLAS_STATUS_SUCCESS;
}
const char* cublasGetStatusName(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    default: return "CUBLAS_STATUS_UNKNOWN";
  }
}
const char* cublasGetStatusString(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "success";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "the library was not initialized";
    case CUBLAS_STATUS_INVALID_VALUE: return "an invalid numeric value was used as an argument";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "the functionality requested is not supported";
    default: return "unknown cuBLAS status";
  }
}

// ------------------------------------------------------------ GEMM
cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t h, cublasOperation_t ta,
                                         cublasOperation_t tb, int m, int n, int k,
                                         const float* alpha, const float* A, int lda,
                                         long long sA, const float* B, int ldb, long long sB,
                                         const float* beta, float* C, int ldc, long long sC,
                                         int batch) {
  const cublasStatus_t st = check_args(h, ta, tb, m, n, k, alpha, lda, ldb, beta, ldc, batch);
  if (st != CUBLAS_STATUS_SUCCESS) return st;
  gemm<float, float, float, float>(ta, tb, m, n, k, *alpha, A, lda, sA, B, ldb, sB, *beta, C,
                                   ldc, sC, batch);
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDgemmStridedBatched(cublasHandle_t h, cublasOperation_t ta,
                                         cublasOperation_t tb, int m, int n, int k,
                                         const double* alpha, const double* A, int lda,
                                         long long sA, const double* B, int ldb, long long sB,
                                         const double* beta, double* C, int ldc, long long sC,
                                         int batch) {
  const cublasStatus_t st = check_args(h, ta, tb, m, n, k, alpha, lda, ldb, beta, ldc, batch);
  if (st != CUBLAS_STATUS_SUCCESS) return st;
  gemm<double, double, double, double>(ta, tb, m, n, k, *alpha, A, lda, sA, B, ldb, sB, *beta,
                                       C, ldc, sC, batch);
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSgemm_v2(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb,
                              int m, int n, int k, const float* alpha, const float* A, int lda,
                              const float* B, int ldb, const float* beta, float* C, int ldc) {
  return cublasSgemmStridedBatched(h, ta, tb, m, n, k, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc,
                                   0, 1);
}

cublasStatus_t cublasDgemm_v2(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb,
                              int m, int n, int k, const double* alpha, const double* A, int lda,
                              const double* B, int ldb, const double* beta, double* C, int ldc) {
  return cublasDgemmStridedBatched(h, ta, tb, m, n, k, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc,
                                   0, 1);
}

namespace {
template <typename TAB, typename TC, typename CT>
void gemm_ex(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const void* alpha,
             const void* A, int lda, long long sA, const void* B, int ldb, long long sB,
             const void* beta, void* C, int ldc, long long sC, int batch) {
  gemm<TAB, TAB, TC, CT>(ta, tb, m, n, k, static_cast<double>(*static_cast<const CT*>(alpha)),
                         static_cast<const TAB*>(A), lda, sA, static_cast<const TAB*>(B), ldb, sB,
                         static_cast<double>(*static_cast<const CT*>(beta)),
                         static_cast<TC*>(C), ldc, sC, batch);
}
}  // namespace

cublasStatus_t cublasGemmStridedBatchedEx(cublasHandle_t h, cublasOperation_t ta,
                                          cublasOperation_t tb, int m, int n, int k,
                                          const void* alpha, const void* A, cudaDataType Atype,
                                          int lda, long long sA, const void* B,
                                          cudaDataType Btype, int ldb, long long sB,
                                          const void* beta, void* C, cudaDataType Ctype, int ldc,
                                          long long sC, int batch, cublasComputeType_t compute,
                                          cublasGemmAlgo_t) {
  const cublasStatus_t st = check_args(h, ta, tb, m, n, k, alpha, lda, ldb, beta, ldc, batch);
  if (st != CUBLAS_STATUS_SUCCESS) return st;
  if (Atype != Btype) return CUBLAS_STATUS_NOT_SUPPORTED;
  const bool c32 = compute == CUBLAS_COMPUTE_32F || compute == CUBLAS_COMPUTE_32F_PEDANTIC ||
                   compute == CUBLAS_COMPUTE_32F_FAST_16F ||
                   compute == CUBLAS_COMPUTE_32F_FAST_16BF ||
                   compute == CUBLAS_COMPUTE_32F_FAST_TF32;
  const bool c64 = compute == CUBLAS_COMPUTE_64F || compute == CUBLAS_COMPUTE_64F_PEDANTIC;
  using bf = __nv_bfloat16;
  if (c32) {
    if (Atype == CUDA_R_16F && Ctype == CUDA_R_16F)
      gemm_ex<__half, __half, float>(ta, tb, m, n, k, alpha, A, lda, sA, B, ldb, sB, beta, C,
                                     ldc, sC, batch);
    else if (Atype == CUDA_R_16BF && Ctype == CUDA_R_16BF)
      gemm_ex<bf, bf, float>(ta, tb, m, n, k, alpha, A, lda, sA, B, ldb, sB, beta, C, ldc, sC,
                             batch);
    else if (Atype == CUDA_R_16F && Ctype == CUDA_R_32F)
      gemm_ex<__half, float, float>(ta, tb, m, n, k, alpha, A, lda, sA, B, ldb, sB, beta, C, ldc,
                                    sC, batch);
    else if (Atype == CUDA_R_16BF && Ctype == CUDA_R_32F)
      gemm_ex<bf, float, float>(ta, tb, m, n, k, alpha, A, lda, sA, B, ldb, sB, beta, C, ldc, sC,
                                batch);
    else if (Atype == CUDA_R_32F && Ctype == CUDA_R_32F)
      gemm_ex<float, float, float>(ta, tb, m, n, k, alpha, A, lda, sA, B, ldb, sB, beta, C, ldc,
                                   sC, batch);
    else
      return CUBLAS_STATUS_NOT_SUPPORTED;
    return CUBLAS_STATUS_SUCCESS;
  }
  if (c64 && Atype == CUDA_R_64F && Ctype == CUDA_R_64F) {
    gemm_ex<double, double, double>(ta, tb, m, n, k, alpha, A, lda, sA, B, ldb, sB, beta, C, ldc,
                                    sC, batch);
    return CUBLAS_STATUS_SUCCESS;
  }
  return CUBLAS_STATUS_NOT_SUPPORTED;
}
