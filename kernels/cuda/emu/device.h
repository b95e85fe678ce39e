// kernels/cuda/emu/device.h — the CUDA execution model on the CPU (the
// emulation build, -DGANTRY_CUDA_EMULATION=ON; docs/cuda.md).
//
// kernels/cuda/common.cuh includes this instead of nothing when the .cu files
// are compiled by the host C++ compiler. It supplies what nvcc would: the
// qualifiers (__global__, __device__, __shared__, __launch_bounds__, ...), the
// built-in variables (threadIdx, blockIdx, blockDim, gridDim, warpSize), the
// device intrinsics the kernels call (shuffles, __syncthreads, atomics, fast
// math), and emu::launch, which runs a kernel's grid:
//
//   - blocks run in parallel on OpenMP threads;
//   - within a block, each CUDA thread is a fiber (scheduler.cpp), so
//     __syncthreads is a real block barrier and __shfl_*_sync exchange values
//     in warp lockstep (32 lanes, masks checked, out-of-range source lanes
//     return the caller's own value);
//   - between barriers the fibers run in a seeded order (set_schedule), not
//     always thread 0 first, so a missing barrier changes the answer;
//   - a kernel launched as barrier-free runs its threads as plain loops, and
//     calling a barrier or a shuffle from it is a launch failure.
//
// The toolkit's own headers (cuda_runtime.h, cuda_fp16.h, cuda_bf16.h,
// cublas_v2.h) compile with g++ and supply the types and the runtime API's
// declarations; runtime.cpp and cublas.cpp define those functions on host
// memory. No CUDA library is linked and no driver is needed.
//
// __shared__ is `static thread_local`: a block's fibers all run on one OS
// thread and blocks on one thread run one after another, so each block sees
// one copy, reused (not cleared) by the next block, as on the GPU.
#pragma once
#ifndef GANTRY_CUDA_EMULATION
#error "kernels/cuda/emu/device.h is for the emulation build only"
#endif

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

// ------------------------------------------------------------ qualifiers
// (__launch_bounds__ is accepted and ignored here; scripts/check-launch-bounds
// checks the bounds against the registers of the nvcc build.)
#undef __global__
#undef __device__
#undef __host__
#undef __shared__
#undef __constant__
#undef __launch_bounds__
#undef __grid_constant__
#define __global__
#define __device__
#define __host__
#define __constant__ static
#define __shared__ static thread_local
#define __launch_bounds__(...)
#define __grid_constant__

namespace gantry {
namespace cuda {
namespace emu {

// ------------------------------------------------------------ built-ins
// The calling CUDA thread's coordinates (inside a kernel only; outside, they
// throw gantry::Error).
const uint3& thread_idx();
const uint3& block_idx();
const dim3& block_dim();
const dim3& grid_dim();

// ------------------------------------------------------------ launching
// Runs body() once per CUDA thread of the grid, as described above, and
// returns cudaSuccess, cudaErrorInvalidConfiguration (the limits below, as
// the GPU enforces them) or cudaErrorLaunchFailure (a fault inside the
// kernel: a barrier in a barrier-free kernel, a bad shuffle, a deadlock, an
// exception). fault_message() says which, naming the kernel.
//   block: x*y*z <= 1024, x,y <= 1024, z <= 64;
//   grid: x <= 2^31 - 1, y,z <= 65535; dynamic shared memory <= 48 KiB;
//   kernel parameters <= 32,764 bytes.
struct LaunchSpec {
  const char* name = "kernel";
  dim3 grid, block;
  size_t shared_bytes = 0;
  size_t param_bytes = 0;
  bool barrier_free = false;
};
using BodyFn = void (*)(const void* ctx);
cudaError_t launch(const LaunchSpec& spec, BodyFn body, const void* ctx);

// What the emulation found at the last failed launch or runtime call on this
// host thread (e.g. "kernel k, block (0,0,0): deadlock: ..." or "a kernel
// wrote 4 byte(s) past the end of a 1024-byte allocation"); "" if nothing.
const std::string& fault_message();
void set_fault_message(const std::string& what);

// The order fibers run in between barriers: 0 runs them in thread order,
// any other value a permutation drawn from that seed per block and barrier
// phase. Default: the GANTRY_CUDA_EMU_SCHEDULE environment variable, else 1.
void set_schedule(uint64_t seed);
uint64_t schedule();

// Device code reports an emulator-detected fault (e.g. a shuffle whose source
// lane is outside the mask) with this: the launch fails with the message.
[[noreturn]] void device_fault(const std::string& what);

// ------------------------------------------------------------ intrinsics
void syncthreads();
void syncwarp(unsigned mask);
// One warp-wide exchange: every lane of `mask` deposits `bits` and reads the
// bits of lane `src` (computed by each caller; src < 0 means "own value").
uint64_t warp_exchange(unsigned mask, uint64_t bits, int src, const char* op);
int lane_id();

template <typename T>
T shfl_from(unsigned mask, T v, int src, const char* op) {
  static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value,
                "emulated shuffles take values of at most 8 bytes");
  uint64_t bits = 0;
  std::memcpy(&bits, static_cast<const void*>(&v), sizeof(T));
  bits = warp_exchange(mask, bits, src, op);
  T out;
  std::memcpy(static_cast<void*>(&out), &bits, sizeof(T));
  return out;
}

// Lane arithmetic of the four shuffles, as PTX's shfl.sync defines it: lanes
// form groups of `width` (a power of two <= 32), delta and lane masks use
// their low 5 bits, and the result is the source lane, or -1 when the GPU
// returns the caller's own value (a source past the end of the caller's
// group; for __shfl_up_sync, before its start). __shfl_xor_sync may read a
// lane of an earlier group (PTX only bounds it above).
void check_width(int width, const char* op);  // a fault unless 1, 2, 4, ..., 32
inline int shfl_src_idx(int lane, int src_lane, int width) {
  return (lane & ~(width - 1)) + (src_lane & (width - 1));
}
inline int shfl_src_up(int lane, unsigned delta, int width) {
  const int seg = lane & ~(width - 1);
  const int s = lane - static_cast<int>(delta & 31u);
  return s < seg ? -1 : s;
}
inline int shfl_src_down(int lane, unsigned delta, int width) {
  const int last = (lane & ~(width - 1)) + width - 1;
  const int s = lane + static_cast<int>(delta & 31u);
  return s > last ? -1 : s;
}
inline int shfl_src_xor(int lane, int lane_mask, int width) {
  const int last = (lane & ~(width - 1)) + width - 1;
  const int s = lane ^ (lane_mask & 31);
  return s > last ? -1 : s;
}

// Atomic read-modify-write of any 2-, 4- or 8-byte value by compare-and-swap
// on its bits (blocks run on parallel host threads). Returns the old value.
template <typename T, typename F>
T atomic_rmw(T* address, F f) {
  static_assert(sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8, "atomic size");
  using Bits = std::conditional_t<sizeof(T) == 2, uint16_t,
                                  std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>;
  Bits* p = reinterpret_cast<Bits*>(address);
  Bits old = __atomic_load_n(p, __ATOMIC_RELAXED);
  for (;;) {
    T old_v;
    std::memcpy(static_cast<void*>(&old_v), &old, sizeof(T));
    const T new_v = f(old_v);
    Bits nb;
    std::memcpy(&nb, static_cast<const void*>(&new_v), sizeof(T));
    if (__atomic_compare_exchange_n(p, &old, nb, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
      return old_v;
  }
}

}  // namespace emu
}  // namespace cuda
}  // namespace gantry

#undef threadIdx
#undef blockIdx
#undef blockDim
#undef gridDim
#undef warpSize
#define threadIdx (::gantry::cuda::emu::thread_idx())
#define blockIdx (::gantry::cuda::emu::block_idx())
#define blockDim (::gantry::cuda::emu::block_dim())
#define gridDim (::gantry::cuda::emu::grid_dim())
#define warpSize 32

// ------------------------------------------------------------ the intrinsics, as the kernels call them
inline void __syncthreads() { ::gantry::cuda::emu::syncthreads(); }
inline void __syncwarp(unsigned mask = 0xffffffffu) { ::gantry::cuda::emu::syncwarp(mask); }

template <typename T>
inline T __shfl_sync(unsigned mask, T v, int src_lane, int width = 32) {
  using namespace ::gantry::cuda::emu;
  check_width(width, "__shfl_sync");
  return shfl_from(mask, v, shfl_src_idx(lane_id(), src_lane, width), "__shfl_sync");
}
template <typename T>
inline T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  using namespace ::gantry::cuda::emu;
  check_width(width, "__shfl_up_sync");
  return shfl_from(mask, v, shfl_src_up(lane_id(), delta, width), "__shfl_up_sync");
}
template <typename T>
inline T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  using namespace ::gantry::cuda::emu;
  check_width(width, "__shfl_down_sync");
  return shfl_from(mask, v, shfl_src_down(lane_id(), delta, width), "__shfl_down_sync");
}
template <typename T>
inline T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = 32) {
  using namespace ::gantry::cuda::emu;
  check_width(width, "__shfl_xor_sync");
  return shfl_from(mask, v, shfl_src_xor(lane_id(), lane_mask, width), "__shfl_xor_sync");
}

// Atomics: the integer ones map to GCC builtins, the floating ones (16-bit
// types included) to compare-and-swap loops.
inline int atomicAdd(int* p, int v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
inline unsigned atomicAdd(unsigned* p, unsigned v) {
  return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}
inline unsigned long long atomicAdd(unsigned long long* p, unsigned long long v) {
  return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}
inline float atomicAdd(float* p, float v) {
  return ::gantry::cuda::emu::atomic_rmw(p, [v](float a) { return a + v; });
}
inline double atomicAdd(double* p, double v) {
  return ::gantry::cuda::emu::atomic_rmw(p, [v](double a) { return a + v; });
}
inline __half atomicAdd(__half* p, __half v) {
  return ::gantry::cuda::emu::atomic_rmw(
      p, [v](__half a) { return __float2half_rn(__half2float(a) + __half2float(v)); });
}
inline __nv_bfloat16 atomicAdd(__nv_bfloat16* p, __nv_bfloat16 v) {
  return ::gantry::cuda::emu::atomic_rmw(p, [v](__nv_bfloat16 a) {
    return __float2bfloat16_rn(__bfloat162float(a) + __bfloat162float(v));
  });
}
inline int atomicMax(int* p, int v) {
  return ::gantry::cuda::emu::atomic_rmw(p, [v](int a) { return a > v ? a : v; });
}
inline unsigned atomicOr(unsigned* p, unsigned v) {
  return __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST);
}
inline int atomicExch(int* p, int v) { return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); }
inline int atomicCAS(int* p, int expected, int desired) {
  __atomic_compare_exchange_n(p, &expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  return expected;
}

// Bit casts (math_constants.h builds CUDART_INF etc. from them).
inline double __longlong_as_double(long long v) {
  double d;
  std::memcpy(&d, &v, 8);
  return d;
}
inline long long __double_as_longlong(double d) {
  long long v;
  std::memcpy(&v, &d, 8);
  return v;
}
inline float __int_as_float(int v) {
  float f;
  std::memcpy(&f, &v, 4);
  return f;
}
inline int __float_as_int(float f) {
  int v;
  std::memcpy(&v, &f, 4);
  return v;
}

// Integer intrinsics.
inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) {
  return static_cast<unsigned long long>((static_cast<unsigned __int128>(a) * b) >> 64);
}
inline unsigned __umulhi(unsigned a, unsigned b) {
  return static_cast<unsigned>((static_cast<unsigned long long>(a) * b) >> 32);
}
inline int __popc(unsigned v) { return __builtin_popcount(v); }
inline int __clz(int v) { return v == 0 ? 32 : __builtin_clz(static_cast<unsigned>(v)); }
inline int __ffs(int v) { return __builtin_ffs(v); }

// CUDA's overloaded min/max for device code.
using std::max;
using std::min;

// Memory fences and read-only loads: the host's sequentially consistent
// atomics above make the fences no-ops; __ldg is a plain load.
inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_block() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
template <typename T>
inline T __ldg(const T* p) {
  return *p;
}

// Device math the kernels call that the host's <cmath> lacks (the emulation
// computes them exactly; the GPU's fast versions differ in the last ulps).
inline float rsqrtf(float x) { return 1.0f / ::sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / ::sqrt(x); }
// (__expf and __logf are glibc's own.)
inline float __fdividef(float a, float b) { return a / b; }
inline float __saturatef(float x) { return x < 0.f ? 0.f : (x > 1.f ? 1.f : x); }
