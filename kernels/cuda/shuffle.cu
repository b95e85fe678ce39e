// kernels/cuda/shuffle.cu — pixel_shuffle and pixel_unshuffle on CUDA, every
// floating dtype (the index map: kernels/ops/shuffle.h; the same walk as
// kernels/cpu/shuffle.cpp). One thread per element of the large tensor
// [N, C, H*r, W*r], in a grid-stride loop: consecutive threads touch
// consecutive large-side elements (coalesced), and the small side is read or
// written r elements apart.
#include "kernels/cuda/common.cuh"

namespace gantry {
namespace cuda {
namespace {

template <typename T, bool ToLarge>
__global__ void __launch_bounds__(kThreads)
    shuffle_kernel(const T* __restrict__ src, T* __restrict__ dst, int64_t NC, int64_t H, int64_t W,
                   int64_t r) {
  const int64_t total = NC * H * r * W * r;
  for (int64_t l = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; l < total;
       l += int64_t(gridDim.x) * blockDim.x) {
    const int64_t col = l % (W * r), t = l / (W * r);
    const int64_t row = t % (H * r), nc = t / (H * r);
    const int64_t s = ((nc * r * r + (row % r) * r + col % r) * H + row / r) * W + col / r;
    if (ToLarge) dst[l] = src[s];
    else dst[s] = src[l];
  }
}

template <typename T, bool ToLarge>
void shuffle(const Tensors& in, const Tensors& out, const kernels::OpAttrs& attrs) {
  const char* op = ToLarge ? "pixel_shuffle" : "pixel_unshuffle";
  const int64_t r = attrs.as<kernels::ShuffleAttrs>().factor;
  const int dev = check_same_cuda_device(op, in, out);
  DeviceGuard guard(dev);
  const Tensor x = core::contiguous(in[0]);
  const Tensor& large = ToLarge ? out[0] : x;
  const int64_t NC = large.size(0) * large.size(1), H = large.size(2) / r, W = large.size(3) / r;
  const int64_t total = out[0].numel();
  if (total == 0) return;
  launch<shuffle_kernel<T, ToLarge>>(loop_config(total, current_stream(dev)),
                                     static_cast<const T*>(x.raw_data()),
                                     static_cast<T*>(out[0].raw_data()), NC, H, W, r);
}

}  // namespace
}  // namespace cuda

namespace kernels {
GANTRY_REGISTER_KERNELS(r) {
  cuda::for_each_floating_type([&](auto t) {
    using T = decltype(t);
    r.add(OpId::pixel_shuffle, DeviceType::CUDA, cuda::floating_dtype<T>(), "cuda",
          cuda::shuffle<T, true>);
    r.add(OpId::pixel_unshuffle, DeviceType::CUDA, cuda::floating_dtype<T>(), "cuda",
          cuda::shuffle<T, false>);
  });
}
}  // namespace kernels
}  // namespace gantry
