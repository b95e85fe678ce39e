// kernels/cpu/grid_sample.cpp — bilinear grid_sample and its fused
// first-order backward on the CPU (the op table entries, the definition and
// the derivatives: kernels/ops/grid_sample.h).
//
// Forward: one pass over the output points, rows split over OpenMP threads;
// each point's four corners and weights are found once and applied to every
// channel.
// Backward: dgrid is a sum over channels per output point (points split over
// threads); dx scatters each point's four weighted gradients into its (n, c)
// plane, so the planes are split over threads and each plane is summed by one
// thread in a fixed order: the result does not depend on the thread count.
#include <cmath>

#include "core/tensor.h"
#include "kernels/registry.h"

namespace gantry {
namespace kernels {
namespace {

// One sample point: its four corners (flat index into an H*W plane, or -1
// when outside) and their bilinear weights, and the derivatives of the
// unnormalized coordinates with respect to the grid values (0 where the
// Border clamp cut them).
template <typename T>
struct Point {
  int64_t idx[4];
  T w[4];
  T tx, ty, sx, sy;
};

template <typename T>
Point<T> locate(T gx, T gy, int64_t H, int64_t W, const GridSampleAttrs& a) {
  auto axis = [&](T g, int64_t S, T* s) {
    const T scale = a.align_corners ? T(S - 1) / T(2) : T(S) / T(2);
    T i = g * scale + T(S - 1) / T(2);
    *s = scale;
    if (a.padding == GridPadding::Border) {
      if (!(i >= T(0) && i <= T(S - 1))) *s = T(0);
      i = i < T(0) ? T(0) : (i > T(S - 1) ? T(S - 1) : i);
    }
    return i;
  };
  Point<T> p;
  const T ix = axis(gx, W, &p.sx), iy = axis(gy, H, &p.sy);
  T fx = std::floor(ix), fy = std::floor(iy);
  if (a.padding == GridPadding::Border) {  // the last pixel as a right corner: the left slope
    if (W >= 2 && fx > T(W - 2)) fx = T(W - 2);
    if (H >= 2 && fy > T(H - 2)) fy = T(H - 2);
  }
  p.tx = ix - fx;
  p.ty = iy - fy;
  const int64_t x0 = static_cast<int64_t>(fx), y0 = static_cast<int64_t>(fy);
  for (int c = 0; c < 4; ++c) {
    const int64_t cx = x0 + c % 2, cy = y0 + c / 2;
    const bool in = cx >= 0 && cx < W && cy >= 0 && cy < H;
    p.idx[c] = in ? cy * W + cx : -1;
    p.w[c] = (c % 2 ? p.tx : T(1) - p.tx) * (c / 2 ? p.ty : T(1) - p.ty);
  }
  return p;
}

// x [N,C,H,W], grid [N,OH,OW,2] -> y [N,C,OH,OW]
template <typename T>
void grid_sample_cpu(const Tensors& in, const Tensors& out, const OpAttrs& attrs) {
  const auto& a = attrs.as<GridSampleAttrs>();
  const Tensor x = core::contiguous(in[0]), grid = core::contiguous(in[1]);
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const int64_t P = grid.size(1) * grid.size(2);
  const T* xp = x.data<T>();
  const T* gp = grid.data<T>();
  T* yp = out[0].data<T>();
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t n = 0; n < N; ++n)
    for (int64_t q = 0; q < P; ++q) {
      const Point<T> p = locate<T>(gp[(n * P + q) * 2], gp[(n * P + q) * 2 + 1], H, W, a);
      for (int64_t c = 0; c < C; ++c) {
        const T* plane = xp + (n * C + c) * H * W;
        T s = T(0);
        for (int k = 0; k < 4; ++k)
          if (p.idx[k] >= 0) s += p.w[k] * plane[p.idx[k]];
        yp[(n * C + c) * P + q] = s;
      }
    }
}

// (g [N,C,OH,OW], grid, x or undefined) -> (dx [N,C,H,W] or undefined, dgrid or undefined)
template <typename T>
void grid_sample_backward_cpu(const Tensors& in, const Tensors& out, const OpAttrs& attrs) {
  const auto& a = attrs.as<GridSampleAttrs>();
  const Tensor g = core::contiguous(in[0]), grid = core::contiguous(in[1]);
  const Tensor& dx = out[0];
  const Tensor& dgrid = out[1];
  const int64_t N = g.size(0), C = g.size(1), P = grid.size(1) * grid.size(2);
  const int64_t H = dx.defined() ? dx.size(2) : in[2].size(2), W = dx.defined() ? dx.size(3) : in[2].size(3);
  const T* gp = g.data<T>();
  const T* gridp = grid.data<T>();
  if (dx.defined()) {
    T* dxp = dx.data<T>();
#pragma omp parallel for schedule(static)
    for (int64_t nc = 0; nc < N * C; ++nc) {
      const int64_t n = nc / C;
      T* plane = dxp + nc * H * W;
      for (int64_t i = 0; i < H * W; ++i) plane[i] = T(0);
      for (int64_t q = 0; q < P; ++q) {
        const Point<T> p = locate<T>(gridp[(n * P + q) * 2], gridp[(n * P + q) * 2 + 1], H, W, a);
        const T gv = gp[nc * P + q];
        for (int k = 0; k < 4; ++k)
          if (p.idx[k] >= 0) plane[p.idx[k]] += p.w[k] * gv;
      }
    }
  }
  if (dgrid.defined()) {
    const Tensor x = core::contiguous(in[2]);
    const T* xp = x.data<T>();
    T* dgp = dgrid.data<T>();
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t n = 0; n < N; ++n)
      for (int64_t q = 0; q < P; ++q) {
        const Point<T> p = locate<T>(gridp[(n * P + q) * 2], gridp[(n * P + q) * 2 + 1], H, W, a);
        T sx = T(0), sy = T(0);
        for (int64_t c = 0; c < C; ++c) {
          const T* plane = xp + (n * C + c) * H * W;
          T v[4];
          for (int k = 0; k < 4; ++k) v[k] = p.idx[k] >= 0 ? plane[p.idx[k]] : T(0);
          const T gv = gp[(n * C + c) * P + q];
          sx += gv * ((v[1] - v[0]) * (T(1) - p.ty) + (v[3] - v[2]) * p.ty);
          sy += gv * ((v[2] - v[0]) * (T(1) - p.tx) + (v[3] - v[1]) * p.tx);
        }
        dgp[(n * P + q) * 2] = sx * p.sx;
        dgp[(n * P + q) * 2 + 1] = sy * p.sy;
      }
  }
}

GANTRY_KERNEL(grid_sample, DeviceType::CPU, kFloat32, "direct", grid_sample_cpu<float>);
GANTRY_KERNEL(grid_sample, DeviceType::CPU, kFloat64, "direct", grid_sample_cpu<double>);
GANTRY_KERNEL(grid_sample_backward, DeviceType::CPU, kFloat32, "direct", grid_sample_backward_cpu<float>);
GANTRY_KERNEL(grid_sample_backward, DeviceType::CPU, kFloat64, "direct", grid_sample_backward_cpu<double>);

}  // namespace
}  // namespace kernels
}  // namespace gantry
