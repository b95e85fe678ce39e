// kernels/cuda/common.cuh — what every CUDA kernel file shares (CUDA code only).
//
//   GANTRY_CUDA_CHECK(call)    a cudaError_t that is not cudaSuccess becomes a
//                              gantry::Error naming the call, file and line
//   GANTRY_CUBLAS_CHECK(call)  the same for cublasStatus_t
//   launch<kernel>(cfg, args...)  the one way a kernel is launched (below):
//                              checks the GPU's launch limits on the host,
//                              expands to kernel<<<...>>>(args...) under nvcc
//                              and to the CPU emulation (kernels/cuda/emu)
//                              in the emulation build, then checks the launch
//   GANTRY_CUDA_LAUNCH_CHECK() reports a bad launch (configuration, missing
//                              architecture) at once
//   current_stream(dev)        the one stream Gantry issues work on per device
//   DeviceGuard                makes cuda:N current for a scope, then restores
//   Geometry<N>                N operands sharing one shape with their own
//                              strides, coalesced on the host (core/strided.h)
//                              and unravelled per element on the device
//   grid_for(n)                a 1-D launch size for a grid-stride loop
//   dispatch_cuda_dtype        f(T{}) for every dtype of the backend, the
//                              16-bit floats included (half.cuh)
//
// Kernels receive raw pointers, sizes, strides and a stream; they never see
// the autograd graph. Host entry points take Tensors, check devices/dtypes,
// and launch.
#pragma once
#ifdef GANTRY_CUDA_EMULATION
#include "kernels/cuda/emu/device.h"  // the CUDA execution model on the CPU
#endif
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/strided.h"
#include "core/tensor.h"
#include "kernels/cuda/half.cuh"
#include "kernels/cuda/runtime.h"
#include "kernels/registry.h"

namespace gantry {
namespace cuda {
using kernels::Tensors;

// Throws gantry::Error("CUDA error in <what> (<file>:<line>): <name>: <text>").
void throw_cuda_error(cudaError_t e, const char* what, const char* file, int line);
void throw_cublas_error(cublasStatus_t s, const char* what, const char* file, int line);

#define GANTRY_CUDA_CHECK(call)                                                   \
  do {                                                                            \
    cudaError_t gantry_e_ = (call);                                               \
    if (gantry_e_ != cudaSuccess)                                                 \
      ::gantry::cuda::throw_cuda_error(gantry_e_, #call, __FILE__, __LINE__);     \
  } while (0)

#define GANTRY_CUBLAS_CHECK(call)                                                 \
  do {                                                                            \
    cublasStatus_t gantry_s_ = (call);                                            \
    if (gantry_s_ != CUBLAS_STATUS_SUCCESS)                                       \
      ::gantry::cuda::throw_cublas_error(gantry_s_, #call, __FILE__, __LINE__);   \
  } while (0)

// Checked right after each launch: cudaGetLastError does not synchronize.
#define GANTRY_CUDA_LAUNCH_CHECK() GANTRY_CUDA_CHECK(cudaGetLastError())

// The stream Gantry issues work on for device `dev` (created on first use,
// non-blocking, never destroyed). set_current_stream replaces it, e.g. with a
// stream under CUDA-graph capture; nullptr restores Gantry's own.
cudaStream_t current_stream(int dev);
void set_current_stream(int dev, cudaStream_t s);

// The cuBLAS handle of device `dev` (created on first use), bound to its
// current stream, with the math mode the TF32 setting asks for.
cublasHandle_t cublas_handle(int dev);

class DeviceGuard {
 public:
  explicit DeviceGuard(int dev);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int prev_ = -1;
};

// Checks that every defined tensor is on cuda with the same index as the
// first; names `op` and every tensor's description otherwise. Returns the index.
int check_same_cuda_device(const char* op, const Tensors& in, const Tensors& out);

// What core's DeviceOps forward to (kernels/cuda/copy.cu and rng.cu).
void copy_strided(const Tensor& dst, const Tensor& src);  // same device, any strides/dtypes
void fill(const Tensor& t, double value);
void random_fill(const Tensor& t, DeviceOps::Random kind, uint64_t seed, uint64_t offset,
                 int64_t low, uint64_t range);

// ------------------------------------------------------------ deferred device errors
// Index kernels (gather, scatter_add) that meet an out-of-range index skip it
// and record it here, in mapped pinned host memory of the device: no copy and
// no synchronization per call, so the ops can be captured in a CUDA graph.
// The host reads the record at the next natural synchronization
// (cuda::synchronize, a device-to-host copy) and throws there, naming the op,
// the bad value and the size; with GANTRY_CUDA_SYNC=1 every index op checks
// right after its launch instead (sync_after_launch).
enum class IndexOp : int { gather = 1, scatter_add = 2 };
struct IndexErrors {
  unsigned long long* count;  // bad indices since the last check
  long long* value;           // the first one's value,
  long long* limit;           // the size it was checked against,
  int* op;                    // and the op (IndexOp)
  __device__ void report(IndexOp o, int64_t v, int64_t lim) const {
    if (atomicAdd(count, 1ull) == 0ull) {
      *value = static_cast<long long>(v);
      *limit = static_cast<long long>(lim);
      *op = static_cast<int>(o);
    }
  }
};
IndexErrors index_errors(int dev);
// Throws (and clears the record) if a kernel on `dev` recorded a bad index.
// Call only where the device's work is known to be finished.
void check_index_errors(int dev);

// ------------------------------------------------------------ geometry
constexpr int kMaxDims = 12;  // after coalescing; more is refused with an error

template <int N>
struct Geometry {
  int ndim = 1;
  int64_t sizes[kMaxDims];
  int64_t strides[N][kMaxDims];

  // Offsets (in elements) of linear element i (row-major) for every operand.
  __device__ __forceinline__ void offsets(int64_t i, int64_t off[N]) const {
#pragma unroll
    for (int k = 0; k < N; ++k) off[k] = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      const int64_t s = sizes[d];
      const int64_t idx = i % s;
      i /= s;
#pragma unroll
      for (int k = 0; k < N; ++k) off[k] += idx * strides[k][d];
    }
  }
};

// Coalesces (drops size-1 dims, merges dims contiguous for every operand).
template <int N>
Geometry<N> make_geometry(const Shape& shape, const std::array<Shape, N>& strides,
                          const char* op) {
  StridedLayout<N> L(shape, strides);
  Geometry<N> g;
  GANTRY_CHECK(static_cast<int>(L.sizes.size()) <= kMaxDims, op, ": ", L.sizes.size(),
               " dims after coalescing, the CUDA kernels handle at most ", kMaxDims);
  g.ndim = static_cast<int>(L.sizes.size());
  for (int d = 0; d < g.ndim; ++d) {
    g.sizes[d] = L.sizes[d];
    for (int k = 0; k < N; ++k) g.strides[k][d] = L.strides[k][d];
  }
  return g;
}

// True when the coalesced geometry is one unit-stride run for every operand.
template <int N>
bool all_contiguous(const Geometry<N>& g) {
  if (g.ndim != 1) return false;
  for (int k = 0; k < N; ++k)
    if (g.strides[k][0] != 1 && g.sizes[0] != 1) return false;
  return true;
}

// ------------------------------------------------------------ launches
constexpr int kThreads = 256;

// Blocks for a grid-stride loop over n items (capped: each thread loops).
inline unsigned grid_for(int64_t n, int threads = kThreads) {
  int64_t b = (n + threads - 1) / threads;
  if (b < 1) b = 1;
  if (b > 65536) b = 65536;
  return static_cast<unsigned>(b);
}

// How a kernel is launched. barrier_free promises that the kernel calls no
// __syncthreads, __syncwarp or shuffle: the emulation then runs its threads as
// plain loops, and fails the launch if the promise is broken.
struct LaunchConfig {
  dim3 grid, block;
  size_t shared_bytes = 0;  // dynamic shared memory
  cudaStream_t stream = nullptr;
  bool barrier_free = false;
};

// The common case: a 1-D grid-stride loop over n items, without barriers.
inline LaunchConfig loop_config(int64_t n, cudaStream_t s, int threads = kThreads) {
  return {dim3(grid_for(n, threads)), dim3(static_cast<unsigned>(threads)), 0, s, true};
}

// The GPU's launch limits (sm_70 and later), checked on the host before every
// launch so that a bad configuration fails the same way in both builds:
// cudaErrorInvalidConfiguration, with the limit named. Returns "" when fine.
constexpr unsigned kMaxThreadsPerBlock = 1024;
constexpr unsigned kMaxBlockZ = 64;
constexpr unsigned kMaxGridYZ = 65535;
constexpr size_t kMaxDynamicShared = 48 * 1024;  // without the opt-in attribute
constexpr size_t kMaxParamBytes = 32764;          // CUDA 12.1+, sm_70+
std::string launch_config_problem(const LaunchConfig& c, size_t param_bytes);

// Bytes a kernel's parameters occupy, laid out as the ABI lays them out.
template <typename... P>
constexpr size_t kernel_param_bytes(void (*)(P...)) {
  size_t off = 0;
  ((off = (off + alignof(P) - 1) / alignof(P) * alignof(P) + sizeof(P)), ...);
  return off;
}

// "im2col_kernel<float>" from the compiler's signature of launch<K>.
std::string kernel_name_from_signature(const char* pretty);

// Throws the launch error of `kernel` (its name, the CUDA error, and what the
// emulation or the limit check knows about it).
[[noreturn]] void throw_launch_error(const char* pretty, cudaError_t e, const std::string& detail);

// After each launch when GANTRY_CUDA_SYNC=1: waits for the stream (unless it
// is being captured) so a kernel fault is reported under its own name.
bool sync_after_launch();
cudaError_t sync_launch_stream(cudaStream_t s);

// launch<my_kernel<T>>(loop_config(n, stream), n, x, y);
template <auto Kernel, typename... A>
void launch(const LaunchConfig& cfg, A&&... args) {
  const size_t param_bytes = kernel_param_bytes(Kernel);
  const std::string problem = launch_config_problem(cfg, param_bytes);
  if (!problem.empty())
    throw_launch_error(__PRETTY_FUNCTION__, cudaErrorInvalidConfiguration, problem);
#ifdef GANTRY_CUDA_EMULATION
  emu::LaunchSpec spec;
  static const std::string name = kernel_name_from_signature(__PRETTY_FUNCTION__);
  spec.name = name.c_str();
  spec.grid = cfg.grid;
  spec.block = cfg.block;
  spec.shared_bytes = cfg.shared_bytes;
  spec.param_bytes = param_bytes;
  spec.barrier_free = cfg.barrier_free;
  // The arguments, copied once (as the launch copies them into the GPU's
  // parameter space); each thread calls the kernel with them, converting to
  // the kernel's parameter types at the call.
  auto params = std::make_tuple(args...);
  auto body = [](const void* ctx) {
    std::apply(Kernel, *static_cast<const decltype(params)*>(ctx));
  };
  cudaError_t e = emu::launch(spec, body, &params);
  if (e != cudaSuccess) {
    cudaGetLastError();  // the emulation also records it as the last error
    throw_launch_error(__PRETTY_FUNCTION__, e, emu::fault_message());
  }
#else
  Kernel<<<cfg.grid, cfg.block, cfg.shared_bytes, cfg.stream>>>(std::forward<A>(args)...);
  cudaError_t e = cudaGetLastError();
  if (e == cudaSuccess && sync_after_launch()) e = sync_launch_stream(cfg.stream);
  if (e != cudaSuccess) throw_launch_error(__PRETTY_FUNCTION__, e, "");
#endif
}

// Every dtype of the CUDA backend: f(T{}) with T float, double, bf16, f16
// (kernels/cuda/half.cuh), int64_t, int32_t or uint8_t.
template <typename F>
auto dispatch_cuda_dtype(DType t, const char* what, F&& f) {
  switch (t) {
    case DType::Float32: return f(float{});
    case DType::Float64: return f(double{});
    case DType::BFloat16: return f(bf16{});
    case DType::Float16: return f(f16{});
    case DType::Int64: return f(int64_t{});
    case DType::Int32: return f(int32_t{});
    case DType::UInt8: return f(uint8_t{});
    default: break;
  }
  throw Error(str(what, ": dtype ", dtype_name(t), " is not supported on cuda yet"));
}

}  // namespace cuda

}  // namespace gantry
