// kernels/cpu/gemm.cpp — matrix products on the CPU through Eigen, and the
// thread-count setting. Threads are ours (OpenMP over fixed output blocks);
// Eigen runs single-threaded inside each block, so results are bit-identical
// for any thread count.
//
// Ops: mm  (in: A [M,K], B [K,N]; out: C [M,N])
//      bmm (in: A [B,M,K], B [B,K,N]; out: C [B,M,N])
// Inputs may be transposed views: a matrix whose rows or columns are unit-
// stride maps straight onto Eigen (row- or column-major with an outer
// stride), so `a @ b.t()` in a backward pass costs no copy. Anything else is
// copied to contiguous first.
// Threads are ours (fixed output blocks below); Eigen must never start its
// own, or its K-blocking (and so the summation order) would follow the thread
// count.
#define EIGEN_DONT_PARALLELIZE
#include <Eigen/Core>

#include <atomic>
#include <type_traits>

#include "core/parallel.h"
#include "kernels/cpu/gemm.h"
#include "kernels/registry.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace gantry {

namespace kernels {
namespace {

template <typename T>
using RowMap = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>,
                          0, Eigen::OuterStride<>>;
template <typename T>
using ColMap = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>,
                          0, Eigen::OuterStride<>>;
template <typename T>
using OutMap = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>, 0,
                          Eigen::OuterStride<>>;

// How a 2-D strided matrix (rows x cols, strides rs, cs) maps onto Eigen.
// Row-major with outer stride os: element (i,j) at i*os + j — needs unit
// column stride and os >= cols. Column-major: element (i,j) at j*os + i.
// Anything else (e.g. a stride-0 broadcast row) is copied first.
struct MatLayout {
  enum Kind { Row, Col, Copy } kind;
  int64_t outer;
};
inline MatLayout layout_of(int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
  if (cols == 1 || cs == 1) {
    int64_t os = rows == 1 ? cols : rs;
    if (os >= cols) return {MatLayout::Row, os};
  }
  if (rows == 1 || rs == 1) {
    int64_t os = cols == 1 ? rows : cs;
    if (os >= rows) return {MatLayout::Col, os};
  }
  return {MatLayout::Copy, 0};
}

// Makes the last two dims mappable: copies only when neither the rows nor the
// columns are unit-stride (or the strides overlap, as in a broadcast).
Tensor mappable(const Tensor& t) {
  const int64_t d = t.dim();
  if (layout_of(t.size(d - 2), t.size(d - 1), t.stride(d - 2), t.stride(d - 1)).kind ==
      MatLayout::Copy)
    return core::contiguous(t);
  return t;
}

template <typename T>
void mm(const Tensors& in, const Tensors& out, const OpAttrs&) {
  Tensor a = mappable(in[0]), b = mappable(in[1]);
  gemm<T>(static_cast<const T*>(a.raw_data()), a.size(0), a.size(1), a.stride(0), a.stride(1),
          static_cast<const T*>(b.raw_data()), b.size(1), b.stride(0), b.stride(1),
          out[0].data<T>(), b.size(1));
}

template <typename T>
void bmm(const Tensors& in, const Tensors& out, const OpAttrs&) {
  Tensor a = mappable(in[0]), b = mappable(in[1]);
  const int64_t B = a.size(0), M = a.size(1), K = a.size(2), N = b.size(2);
  T* c = out[0].data<T>();
  const T* pa = static_cast<const T*>(a.raw_data());
  const T* pb = static_cast<const T*>(b.raw_data());
  for (int64_t i = 0; i < B; ++i)
    gemm<T>(pa + i * a.stride(0), M, K, a.stride(1), a.stride(2), pb + i * b.stride(0), N,
            b.stride(1), b.stride(2), c + i * M * N, N);
}

}  // namespace

namespace {
std::atomic<int> g_backend{static_cast<int>(GemmBackend::Auto)};
}  // namespace
void set_gemm_backend(GemmBackend b) { g_backend.store(static_cast<int>(b)); }
GemmBackend gemm_backend() { return static_cast<GemmBackend>(g_backend.load()); }

// C[M,N] = A[M,K] @ B[K,N]; a and b are element pointers with strides that
// layout_of accepts (see `mappable`).
template <typename T>
void gemm(const T* a, int64_t M, int64_t K, int64_t ars, int64_t acs, const T* b, int64_t N,
          int64_t brs, int64_t bcs, T* c, int64_t ldc, bool accumulate) {
  OutMap<T> C(c, M, N, Eigen::OuterStride<>(ldc));
  if (M == 0 || N == 0) return;
  if (K == 0) {
    if (!accumulate) C.setZero();
    return;
  }
  // float: our packed kernel unless the product is too thin for its 12x32
  // tiles (the choice depends on the shape only, so results stay
  // independent of the thread count).
  if constexpr (std::is_same<T, float>::value) {
    if (gemm_backend() == GemmBackend::Auto && M >= 6 && N >= 16 && K >= 4 &&
        sgemm_avx512(a, M, K, ars, acs, b, N, brs, bcs, c, ldc, accumulate))
      return;
  }
  // Each combination of A's and B's layouts is one Eigen product.
  auto with_a = [&](auto&& use) {
    MatLayout la = layout_of(M, K, ars, acs);
    if (la.kind == MatLayout::Row) use(RowMap<T>(a, M, K, Eigen::OuterStride<>(la.outer)));
    else use(ColMap<T>(a, M, K, Eigen::OuterStride<>(la.outer)));
  };
  auto with_b = [&](auto&& use) {
    MatLayout lb = layout_of(K, N, brs, bcs);
    if (lb.kind == MatLayout::Row) use(RowMap<T>(b, K, N, Eigen::OuterStride<>(lb.outer)));
    else use(ColMap<T>(b, K, N, Eigen::OuterStride<>(lb.outer)));
  };
  // Threads split the output into fixed blocks of kBlock rows (or columns,
  // whichever dim is longer), each computed by a single-threaded Eigen product
  // over the full K. The blocks do not depend on the thread count, so neither
  // do the results (Eigen's own threading would change the summation order).
  constexpr int64_t kBlock = 64;
  const bool split_rows = M >= N;
  const int64_t len = split_rows ? M : N, tasks = (len + kBlock - 1) / kBlock;
  #ifdef _OPENMP
  const bool parallel = 2.0 * M * N * K >= 4e6 && tasks > 1 && !omp_in_parallel();
#else
  const bool parallel = false;
#endif
  with_a([&](const auto& A) {
    with_b([&](const auto& B) {
#pragma omp parallel for schedule(static) if (parallel)
      for (int64_t t = 0; t < tasks; ++t) {
        const int64_t i0 = t * kBlock, n = std::min(kBlock, len - i0);
        if (split_rows) {
          if (accumulate) C.middleRows(i0, n).noalias() += A.middleRows(i0, n) * B;
          else C.middleRows(i0, n).noalias() = A.middleRows(i0, n) * B;
        } else {
          if (accumulate) C.middleCols(i0, n).noalias() += A * B.middleCols(i0, n);
          else C.middleCols(i0, n).noalias() = A * B.middleCols(i0, n);
        }
      }
    });
  });
}

template void gemm<float>(const float*, int64_t, int64_t, int64_t, int64_t, const float*, int64_t,
                          int64_t, int64_t, float*, int64_t, bool);
template void gemm<double>(const double*, int64_t, int64_t, int64_t, int64_t, const double*,
                           int64_t, int64_t, int64_t, double*, int64_t, bool);

GANTRY_KERNEL(mm, DeviceType::CPU, kFloat32, "eigen", mm<float>);
GANTRY_KERNEL(mm, DeviceType::CPU, kFloat64, "eigen", mm<double>);
GANTRY_KERNEL(bmm, DeviceType::CPU, kFloat32, "eigen", bmm<float>);
GANTRY_KERNEL(bmm, DeviceType::CPU, kFloat64, "eigen", bmm<double>);

}  // namespace kernels
}  // namespace gantry
