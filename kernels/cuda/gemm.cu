// kernels/cuda/gemm.cu — matrix products on the GPU through cuBLAS.
//
// Ops: mm  (in: A [M,K], B [K,N]; out: C [M,N] contiguous)
//      bmm (in: A [B,M,K], B [B,K,N]; out: C [B,M,N] contiguous)
// float32 (cublasSgemmStridedBatched), float64 (cublasDgemmStridedBatched),
// bfloat16 and float16 (cublasGemmStridedBatchedEx: 16-bit A, B and C,
// CUBLAS_COMPUTE_32F — products accumulate in float32, C is rounded once;
// cuBLAS may use tensor cores for these whatever the TF32 setting);
// matmul and linear reach these through kernels/ops/linalg.h.
//
// Row-major meets column-major: cuBLAS reads matrices column-major, and a
// row-major C[M,N] is, read column-major, C^T[N,M]. So we ask cuBLAS for
//     C^T = B^T @ A^T        (m = N, n = M, k = K, ldc = N)
// A strided operand needs no copy when one of its two strides is 1:
//   row-major   (column stride 1, row stride ld): read column-major it is
//               already the transpose we need  -> CUBLAS_OP_N, leading dim ld
//   column-major (row stride 1, column stride ld): a transposed view, e.g.
//               w.t() in linear's forward     -> CUBLAS_OP_T, leading dim ld
// Anything else (a stride-0 broadcast inside a matrix, two non-unit strides)
// is first made contiguous. Batches use the operands' batch strides (0 for a
// batch-broadcast operand).
//
// TF32 is off by default (CUBLAS_DEFAULT_MATH), so float32 results match the
// CPU's to rounding; cuda::set_allow_tf32(true) switches the handle to
// CUBLAS_TF32_TENSOR_OP_MATH (kernels/cuda/runtime.cu).

#include "kernels/cuda/blas.cuh"
#include "kernels/cuda/common.cuh"

namespace gantry {
namespace cuda {
namespace {

struct Operand {
  bool ok = false;
  cublasOperation_t op = CUBLAS_OP_N;
  int64_t ld = 0;
};

// How a rows x cols matrix with strides (rs, cs) is handed to cuBLAS as the
// transpose of itself (see the file comment).
Operand operand_of(int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
  if (cols == 1 || cs == 1) {  // row-major
    const int64_t ld = rows == 1 ? cols : rs;
    if (ld >= cols && ld >= 1) return {true, CUBLAS_OP_N, ld};
  }
  if (rows == 1 || rs == 1) {  // column-major
    const int64_t ld = cols == 1 ? rows : cs;
    if (ld >= rows && ld >= 1) return {true, CUBLAS_OP_T, ld};
  }
  return {};
}

// The last two dims of t as a cuBLAS operand; `t` is replaced by a contiguous
// copy when its strides do not fit.
Operand prepare(Tensor& t) {
  const int64_t d = t.dim();
  Operand o = operand_of(t.size(d - 2), t.size(d - 1), t.stride(d - 2), t.stride(d - 1));
  if (o.ok) return o;
  t = core::contiguous(t);
  return operand_of(t.size(d - 2), t.size(d - 1), t.stride(d - 2), t.stride(d - 1));
}

// C[batch] = A[batch] @ B[batch]; a, b are [batch, M, K] / [batch, K, N] views
// (mm passes them with a batch dim of 1 added).
template <typename T>
void batched_product(const char* name, Tensor a, Tensor b, const Tensor& c) {
  const int dev = check_same_cuda_device(name, {a, b}, {c});
  GANTRY_CHECK(c.is_contiguous(), name, ": output must be contiguous, got strides ",
               shape_str(c.strides()));
  const int64_t batch = a.size(0), M = a.size(1), K = a.size(2), N = b.size(2);
  if (batch == 0 || M == 0 || N == 0) return;
  DeviceGuard guard(dev);
  if (K == 0) {  // an empty sum: zeros
    GANTRY_CUDA_CHECK(
        cudaMemsetAsync(c.raw_data(), 0, c.numel() * c.itemsize(), current_stream(dev)));
    return;
  }
  Operand oa = prepare(a), ob = prepare(b);
  // C^T[N,M] = op(B') [N,K] @ op(A') [K,M]
  gemm_strided_batched<T>(name, dev, ob.op, oa.op, N, M, K, static_cast<const T*>(b.raw_data()),
                          ob.ld, batch == 1 ? 0 : b.stride(0),
                          static_cast<const T*>(a.raw_data()), oa.ld,
                          batch == 1 ? 0 : a.stride(0), 0.0, static_cast<T*>(c.raw_data()), N,
                          M * N, batch);
}

template <typename T>
void mm(const Tensors& in, const Tensors& out, const kernels::OpAttrs&) {
  batched_product<T>("mm", core::unsqueeze(in[0], 0), core::unsqueeze(in[1], 0), out[0]);
}

template <typename T>
void bmm(const Tensors& in, const Tensors& out, const kernels::OpAttrs&) {
  batched_product<T>("bmm", in[0], in[1], out[0]);
}

}  // namespace
}  // namespace cuda

GANTRY_KERNEL(mm, DeviceType::CUDA, kFloat32, "cublas", cuda::mm<float>);
GANTRY_KERNEL(mm, DeviceType::CUDA, kFloat64, "cublas", cuda::mm<double>);
GANTRY_KERNEL(bmm, DeviceType::CUDA, kFloat32, "cublas", cuda::bmm<float>);
GANTRY_KERNEL(bmm, DeviceType::CUDA, kFloat64, "cublas", cuda::bmm<double>);
GANTRY_KERNEL(mm, DeviceType::CUDA, kBFloat16, "cublas", cuda::mm<cuda::bf16>);
GANTRY_KERNEL(mm, DeviceType::CUDA, kFloat16, "cublas", cuda::mm<cuda::f16>);
GANTRY_KERNEL(bmm, DeviceType::CUDA, kBFloat16, "cublas", cuda::bmm<cuda::bf16>);
GANTRY_KERNEL(bmm, DeviceType::CUDA, kFloat16, "cublas", cuda::bmm<cuda::f16>);
}  // namespace gantry
