// kernels/cuda/upfirdn.cu — upfirdn2d on CUDA, every floating dtype (the op
// table entry, definition and derivatives: kernels/ops/upfirdn.h; the same
// tap walk as kernels/cpu/upfirdn.cpp). One thread per output element, in a
// grid-stride loop over [N*C, OH, OW] (consecutive threads write consecutive
// columns: coalesced stores); the taps are read through the read-only cache
// and accumulated in acc_t<T> (float for the 16-bit types).
//
// This is the plain form, the reference for a tiled kernel (a shared-memory
// input tile per block, as the fused StyleGAN kernels do): that one belongs
// with the speed work, measured against it.
#include "kernels/cuda/common.cuh"

namespace gantry {
namespace cuda {
namespace {

struct UpFirDnGeom {
  int64_t NC, H, W, FH, FW, OH, OW;
  int64_t up_h, up_w, down_h, down_w, pad_top, pad_left;
  bool flip;
};

__host__ __device__ __forceinline__ int64_t first_tap(int64_t base, int64_t up) {
  const int64_t r = ((base % up) + up) % up;
  return (up - r) % up;
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    upfirdn2d_kernel(const T* __restrict__ x, const T* __restrict__ f, T* __restrict__ y,
                     UpFirDnGeom g, acc_t<T> gain) {
  using A = acc_t<T>;
  const int64_t total = g.NC * g.OH * g.OW;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t ox = i % g.OW, t = i / g.OW;
    const int64_t oy = t % g.OH, nc = t / g.OH;
    const T* xc = x + nc * g.H * g.W;
    const int64_t by = oy * g.down_h - g.pad_top, bx = ox * g.down_w - g.pad_left;
    A acc = A(0);
    for (int64_t ky = first_tap(by, g.up_h); ky < g.FH; ky += g.up_h) {
      const int64_t u = by + ky;
      if (u < 0) continue;
      const int64_t iy = u / g.up_h;
      if (iy >= g.H) break;
      for (int64_t kx = first_tap(bx, g.up_w); kx < g.FW; kx += g.up_w) {
        const int64_t v = bx + kx;
        if (v < 0) continue;
        const int64_t ix = v / g.up_w;
        if (ix >= g.W) break;
        // Correlation tap (ky, kx): f as stored, or reversed on both axes.
        const int64_t fi = g.flip ? ky * g.FW + kx : (g.FH - 1 - ky) * g.FW + (g.FW - 1 - kx);
        acc += to_acc(f[fi]) * to_acc(xc[iy * g.W + ix]);
      }
    }
    y[i] = from_acc<T>(acc * gain);
  }
}

template <typename T>
void upfirdn2d(const Tensors& in, const Tensors& out, const kernels::OpAttrs& attrs) {
  const auto& a = attrs.as<kernels::UpFirDnAttrs>();
  const int dev = check_same_cuda_device("upfirdn2d", in, out);
  DeviceGuard guard(dev);
  const Tensor x = core::contiguous(in[0]);
  const Tensor f = core::contiguous(in[1]);
  const Tensor& y = out[0];
  const int64_t total = y.numel();
  if (total == 0) return;
  UpFirDnGeom g{x.size(0) * x.size(1), x.size(2), x.size(3), f.size(0), f.size(1), y.size(2),
                y.size(3), a.up_h, a.up_w, a.down_h, a.down_w, a.pad_top, a.pad_left,
                a.flip_filter};
  launch<upfirdn2d_kernel<T>>(loop_config(total, current_stream(dev)),
                              static_cast<const T*>(x.raw_data()),
                              static_cast<const T*>(f.raw_data()), static_cast<T*>(y.raw_data()),
                              g, static_cast<acc_t<T>>(a.gain));
}

}  // namespace
}  // namespace cuda

namespace kernels {
GANTRY_REGISTER_KERNELS(r) {
  cuda::for_each_floating_type([&](auto t) {
    using T = decltype(t);
    r.add(OpId::upfirdn2d, DeviceType::CUDA, cuda::floating_dtype<T>(), "cuda", cuda::upfirdn2d<T>);
  });
}
}  // namespace kernels
}  // namespace gantry
