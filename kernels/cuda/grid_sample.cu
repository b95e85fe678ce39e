// kernels/cuda/grid_sample.cu — bilinear grid_sample and its fused
// first-order backward on CUDA, every floating dtype (the op table entries,
// definition and derivatives: kernels/ops/grid_sample.h; the same corner
// arithmetic as kernels/cpu/grid_sample.cpp), accumulating in acc_t<T>.
//
//   forward  one thread per output element [N, C, OH*OW] (consecutive threads
//            write consecutive points: coalesced stores)
//   dgrid    one thread per sample point, summing over the channels
//   dx       one thread per output element, atomicAdd of its four weighted
//            gradients into dx (the CPU kernel sums each plane in a fixed
//            order instead; here the order of the adds, and so the last bits
//            of dx, may vary from run to run)
#include "kernels/cuda/common.cuh"
#include "kernels/math.h"

namespace gantry {
namespace cuda {
namespace {

struct SampleGeom {
  int64_t N, C, H, W, P;  // P = OH * OW
  bool align, border;
};

// The corners of one sample point (flat index or -1 outside), their weights,
// and d(ix)/d(gx), d(iy)/d(gy) (0 where the Border clamp cut them).
template <typename A>
struct Point {
  int64_t idx[4];
  A w[4];
  A tx, ty, sx, sy;
};

template <typename A>
__host__ __device__ __forceinline__ A unnormalize(A g, int64_t S, const SampleGeom& s, A* d) {
  const A scale = s.align ? A(S - 1) / A(2) : A(S) / A(2);
  A i = g * scale + A(S - 1) / A(2);
  *d = scale;
  if (s.border) {
    if (!(i >= A(0) && i <= A(S - 1))) *d = A(0);
    i = i < A(0) ? A(0) : (i > A(S - 1) ? A(S - 1) : i);
  }
  return i;
}

template <typename A>
__host__ __device__ __forceinline__ Point<A> locate(A gx, A gy, const SampleGeom& s) {
  Point<A> p;
  const A ix = unnormalize(gx, s.W, s, &p.sx), iy = unnormalize(gy, s.H, s, &p.sy);
  A fx = math::m_floor(ix), fy = math::m_floor(iy);
  if (s.border) {  // the last pixel as a right corner: the left slope
    if (s.W >= 2 && fx > A(s.W - 2)) fx = A(s.W - 2);
    if (s.H >= 2 && fy > A(s.H - 2)) fy = A(s.H - 2);
  }
  p.tx = ix - fx;
  p.ty = iy - fy;
  const int64_t x0 = static_cast<int64_t>(fx), y0 = static_cast<int64_t>(fy);
  for (int c = 0; c < 4; ++c) {
    const int64_t cx = x0 + c % 2, cy = y0 + c / 2;
    const bool in = cx >= 0 && cx < s.W && cy >= 0 && cy < s.H;
    p.idx[c] = in ? cy * s.W + cx : -1;
    p.w[c] = (c % 2 ? p.tx : A(1) - p.tx) * (c / 2 ? p.ty : A(1) - p.ty);
  }
  return p;
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    grid_sample_kernel(const T* __restrict__ x, const T* __restrict__ grid, T* __restrict__ y, SampleGeom s) {
  using A = acc_t<T>;
  const int64_t total = s.N * s.C * s.P;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t q = i % s.P, nc = i / s.P, n = nc / s.C;
    const Point<A> p = locate<A>(to_acc(grid[(n * s.P + q) * 2]), to_acc(grid[(n * s.P + q) * 2 + 1]), s);
    const T* plane = x + nc * s.H * s.W;
    A acc = A(0);
    for (int k = 0; k < 4; ++k)
      if (p.idx[k] >= 0) acc += p.w[k] * to_acc(plane[p.idx[k]]);
    y[i] = from_acc<T>(acc);
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    grid_sample_dx_kernel(const T* __restrict__ g, const T* __restrict__ grid, T* __restrict__ dx, SampleGeom s) {
  using A = acc_t<T>;
  const int64_t total = s.N * s.C * s.P;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t q = i % s.P, nc = i / s.P, n = nc / s.C;
    const Point<A> p = locate<A>(to_acc(grid[(n * s.P + q) * 2]), to_acc(grid[(n * s.P + q) * 2 + 1]), s);
    const A gv = to_acc(g[i]);
    T* plane = dx + nc * s.H * s.W;
    for (int k = 0; k < 4; ++k)
      if (p.idx[k] >= 0) atomicAdd(plane + p.idx[k], from_acc<T>(p.w[k] * gv));
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    grid_sample_dgrid_kernel(const T* __restrict__ g, const T* __restrict__ grid, const T* __restrict__ x,
                             T* __restrict__ dgrid, SampleGeom s) {
  using A = acc_t<T>;
  const int64_t total = s.N * s.P;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t q = i % s.P, n = i / s.P;
    const Point<A> p = locate<A>(to_acc(grid[i * 2]), to_acc(grid[i * 2 + 1]), s);
    A sx = A(0), sy = A(0);
    for (int64_t c = 0; c < s.C; ++c) {
      const T* plane = x + (n * s.C + c) * s.H * s.W;
      A v[4];
      for (int k = 0; k < 4; ++k) v[k] = p.idx[k] >= 0 ? to_acc(plane[p.idx[k]]) : A(0);
      const A gv = to_acc(g[(n * s.C + c) * s.P + q]);
      sx += gv * ((v[1] - v[0]) * (A(1) - p.ty) + (v[3] - v[2]) * p.ty);
      sy += gv * ((v[2] - v[0]) * (A(1) - p.tx) + (v[3] - v[1]) * p.tx);
    }
    dgrid[i * 2] = from_acc<T>(sx * p.sx);
    dgrid[i * 2 + 1] = from_acc<T>(sy * p.sy);
  }
}

SampleGeom geom(int64_t N, int64_t C, int64_t H, int64_t W, const Tensor& grid,
                const kernels::GridSampleAttrs& a) {
  return SampleGeom{N, C, H, W, grid.size(1) * grid.size(2), a.align_corners,
                    a.padding == kernels::GridPadding::Border};
}

template <typename T>
void grid_sample(const Tensors& in, const Tensors& out, const kernels::OpAttrs& attrs) {
  const auto& a = attrs.as<kernels::GridSampleAttrs>();
  const int dev = check_same_cuda_device("grid_sample", in, out);
  DeviceGuard guard(dev);
  const Tensor x = core::contiguous(in[0]), grid = core::contiguous(in[1]);
  const int64_t total = out[0].numel();
  if (total == 0) return;
  launch<grid_sample_kernel<T>>(loop_config(total, current_stream(dev)), static_cast<const T*>(x.raw_data()),
                                static_cast<const T*>(grid.raw_data()), static_cast<T*>(out[0].raw_data()),
                                geom(x.size(0), x.size(1), x.size(2), x.size(3), grid, a));
}

template <typename T>
void grid_sample_backward(const Tensors& in, const Tensors& out, const kernels::OpAttrs& attrs) {
  const auto& a = attrs.as<kernels::GridSampleAttrs>();
  const int dev = check_same_cuda_device("grid_sample_backward", in, out);
  DeviceGuard guard(dev);
  const Tensor g = core::contiguous(in[0]), grid = core::contiguous(in[1]);
  const Tensor& dx = out[0];
  const Tensor& dgrid = out[1];
  const int64_t N = g.size(0), C = g.size(1);
  const int64_t H = dx.defined() ? dx.size(2) : in[2].size(2), W = dx.defined() ? dx.size(3) : in[2].size(3);
  const SampleGeom s = geom(N, C, H, W, grid, a);
  cudaStream_t stream = current_stream(dev);
  if (dx.defined() && dx.numel() > 0) {
    GANTRY_CUDA_CHECK(cudaMemsetAsync(dx.raw_data(), 0, dx.numel() * sizeof(T), stream));
    if (g.numel() > 0)
      launch<grid_sample_dx_kernel<T>>(loop_config(g.numel(), stream), static_cast<const T*>(g.raw_data()),
                                       static_cast<const T*>(grid.raw_data()), static_cast<T*>(dx.raw_data()), s);
  }
  if (dgrid.defined() && N * s.P > 0) {
    const Tensor x = core::contiguous(in[2]);
    launch<grid_sample_dgrid_kernel<T>>(loop_config(N * s.P, stream), static_cast<const T*>(g.raw_data()),
                                        static_cast<const T*>(grid.raw_data()), static_cast<const T*>(x.raw_data()),
                                        static_cast<T*>(dgrid.raw_data()), s);
  }
}

}  // namespace
}  // namespace cuda

namespace kernels {
GANTRY_REGISTER_KERNELS(r) {
  cuda::for_each_floating_type([&](auto t) {
    using T = decltype(t);
    r.add(OpId::grid_sample, DeviceType::CUDA, cuda::floating_dtype<T>(), "cuda", cuda::grid_sample<T>);
    r.add(OpId::grid_sample_backward, DeviceType::CUDA, cuda::floating_dtype<T>(), "cuda",
          cuda::grid_sample_backward<T>);
  });
}
}  // namespace kernels
}  // namespace gantry
