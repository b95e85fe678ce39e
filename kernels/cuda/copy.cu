// kernels/cuda/copy.cu — the copy, cast and fill kernels core needs to
// materialize tensors on the GPU (reached through core's DeviceOps, not the
// op registry): contiguous(), clone(), to(dtype), copy_ into views, fill_.
//
//   copy_strided(dst, src)  dst[i] = D(src[i]) for every element of dst's
//                           shape; src may be a broadcast (stride-0) view;
//                           both on the same device, any strides, any of the
//                           CUDA dtypes (float32/64, bfloat16, float16,
//                           int64/32, uint8); conversions as cast_to
//                           (half.cuh): one rounding to nearest even into a
//                           16-bit float, the CPU's bits (core/half.h)
//   fill(t, v)              t[i] = T(v), any strides (v rounded on the host by
//                           core/half.h for 16-bit floats)
// Same-dtype contiguous copies are a cudaMemcpyAsync; zero fills of
// contiguous memory are a cudaMemsetAsync (0 is all-zero bits for every dtype).
#include <cmath>

#include "kernels/cuda/common.cuh"

namespace gantry {
namespace cuda {
namespace {

template <typename D, typename S>
__global__ void __launch_bounds__(kThreads)
    copy_contiguous_kernel(int64_t n, D* __restrict__ dst, const S* __restrict__ src) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    dst[i] = cast_to<D>(src[i]);
}

template <typename D, typename S>
__global__ void __launch_bounds__(kThreads)
    copy_strided_kernel(int64_t n, Geometry<2> g, D* dst, const S* src) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[2];
    g.offsets(i, off);
    dst[off[0]] = cast_to<D>(src[off[1]]);
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads) fill_kernel(int64_t n, Geometry<1> g, T* dst, T v) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[1];
    g.offsets(i, off);
    dst[off[0]] = v;
  }
}

}  // namespace

void copy_strided(const Tensor& dst, const Tensor& src) {
  const int dev = check_same_cuda_device("copy_", {src}, {dst});
  GANTRY_CHECK(dst.shape() == src.shape(), "copy_: shapes differ: ", tensor_desc(dst), " <- ",
               tensor_desc(src));
  const int64_t n = dst.numel();
  if (n == 0) return;
  DeviceGuard guard(dev);
  cudaStream_t s = current_stream(dev);
  Geometry<2> g = make_geometry<2>(dst.shape(), {dst.strides(), src.strides()}, "copy_");
  const bool contiguous = all_contiguous(g);
  if (contiguous && dst.dtype() == src.dtype()) {
    GANTRY_CUDA_CHECK(cudaMemcpyAsync(dst.raw_data(), src.raw_data(), n * dst.itemsize(),
                                      cudaMemcpyDeviceToDevice, s));
    return;
  }
  dispatch_cuda_dtype(dst.dtype(), "copy_", [&](auto dz) {
    using D = decltype(dz);
    dispatch_cuda_dtype(src.dtype(), "copy_", [&](auto sz) {
      using S = decltype(sz);
      D* d = static_cast<D*>(dst.raw_data());
      const S* p = static_cast<const S*>(src.raw_data());
      if (contiguous) {
        launch<copy_contiguous_kernel<D, S>>(loop_config(n, s), n, d, p);
      } else {
        launch<copy_strided_kernel<D, S>>(loop_config(n, s), n, g, d, p);
      }
      GANTRY_CUDA_LAUNCH_CHECK();
    });
  });
}

void fill(const Tensor& t, double value) {
  const int dev = check_same_cuda_device("fill_", {t}, {});
  const int64_t n = t.numel();
  if (n == 0) return;
  DeviceGuard guard(dev);
  cudaStream_t s = current_stream(dev);
  if (value == 0.0 && !std::signbit(value) && t.is_contiguous()) {
    GANTRY_CUDA_CHECK(cudaMemsetAsync(t.raw_data(), 0, n * t.itemsize(), s));
    return;
  }
  Geometry<1> g = make_geometry<1>(t.shape(), {t.strides()}, "fill_");
  dispatch_cuda_dtype(t.dtype(), "fill_", [&](auto z) {
    using T = decltype(z);
    launch<fill_kernel<T>>(loop_config(n, s), n, g, static_cast<T*>(t.raw_data()),
                           host_value<T>(value));
  });
}

}  // namespace cuda
}  // namespace gantry
