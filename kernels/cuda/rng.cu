// kernels/cuda/rng.cu — random tensors drawn on the GPU with the same
// Philox-4x32-10 function as the CPU (core/rng.h, shared __host__ __device__
// code): element i of a tensor uses counter (offset + i) under the seed, so
//   uniform float32/float64 and randint draws are bit-identical to the CPU's;
//   normal draws agree to a few ulp (the GPU's log/cos/sqrt round differently).
// Reached through core's DeviceOps::random (rand, randn, randint, *_like).
// bfloat16/float16 (GPU only): uniform draws take the top 8 (bf16) or 11
// (f16) bits of word 0, so they are exact in [0, 1); normal draws are the
// float64 draw rounded once.
//
//   t: a fresh contiguous tensor [numel]; each thread computes whole elements
//   in a grid-stride loop, so the result does not depend on the launch shape.
#include <type_traits>

#include "core/rng.h"
#include "kernels/cuda/common.cuh"

namespace gantry {
namespace cuda {
namespace {

enum Kind : int { kUniform = 0, kNormal = 1, kInt = 2 };

template <typename T>
__global__ void __launch_bounds__(kThreads)
    random_kernel(int64_t n, T* __restrict__ out, int kind, uint64_t seed, uint64_t offset,
                  int64_t low, uint64_t range) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    uint32_t w[4];
    Philox::draw(seed, offset + static_cast<uint64_t>(i), w);
    if (kind == kUniform) {
      if constexpr (std::is_same<T, float>::value) {
        out[i] = Philox::uniform_f32(w);
      } else if constexpr (is_half_v<T>) {
        // The top p bits of word 0 times 2^-p (p: the type's significand
        // bits): exactly representable, so the result stays in [0, 1)
        // (rounding a float draw could give 1).
        constexpr int p = std::is_same<T, bf16>::value ? 8 : 11;
        out[i] = from_acc<T>(static_cast<float>(w[0] >> (32 - p)) * (1.0f / (1u << p)));
      } else {
        out[i] = static_cast<T>(Philox::uniform_f64(w[0], w[1]));
      }
    } else if (kind == kNormal) {
      out[i] = cast_to<T>(Philox::normal(w));  // one rounding from double
    } else {
      // randint: the high 64 bits of the 128-bit product x * range (as the CPU).
      const uint64_t x = static_cast<uint64_t>(w[0]) << 32 | w[1];
      const uint64_t r = __umul64hi(x, range);
      out[i] = cast_to<T>(low + static_cast<int64_t>(r));
    }
  }
}

}  // namespace

void random_fill(const Tensor& t, DeviceOps::Random kind, uint64_t seed, uint64_t offset,
                 int64_t low, uint64_t range) {
  const int dev = check_same_cuda_device("random", {}, {t});
  GANTRY_CHECK(t.is_contiguous(), "random: expects a contiguous tensor, got ", tensor_desc(t));
  const int64_t n = t.numel();
  if (n == 0) return;
  const int k = kind == DeviceOps::Random::Uniform ? kUniform
                : kind == DeviceOps::Random::Normal ? kNormal
                                                    : kInt;
  DeviceGuard guard(dev);
  cudaStream_t s = current_stream(dev);
  dispatch_cuda_dtype(t.dtype(), "random", [&](auto z) {
    using T = decltype(z);
    launch<random_kernel<T>>(loop_config(n, s), n, static_cast<T*>(t.raw_data()), k, seed, offset,
                             low, range);
  });
}

}  // namespace cuda
}  // namespace gantry
