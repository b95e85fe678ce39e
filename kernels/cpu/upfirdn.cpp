// kernels/cpu/upfirdn.cpp — upfirdn2d on the CPU (the op table entry, its
// definition and its derivatives: kernels/ops/upfirdn.h).
//
// A direct loop over the output: y[n,c,oy,ox] sums F[ky,kx] * x[iy,ix] over
// the taps that land on a real (not zero-inserted) sample of the upsampled
// input, u = o*down + k - pad0 with u % up == 0, iy = u / up. Only every
// up-th tap can land, so the loop starts at the first one and steps by up:
// upsampling by 2 costs a quarter of the taps a plain filter would.
// Rows of the output are split over OpenMP threads; each output element is
// summed by one thread in a fixed order, so results do not depend on the
// thread count.
#include <vector>

#include "core/tensor.h"
#include "kernels/registry.h"

namespace gantry {
namespace kernels {
namespace {

// The first tap k >= 0 with (base + k) a multiple of up.
inline int64_t first_tap(int64_t base, int64_t up) {
  const int64_t r = ((base % up) + up) % up;
  return (up - r) % up;
}

template <typename T>
void upfirdn2d_cpu(const Tensors& in, const Tensors& out, const OpAttrs& attrs) {
  const UpFirDnAttrs& a = attrs.as<UpFirDnAttrs>();
  const Tensor x = core::contiguous(in[0]);
  const Tensor f = core::contiguous(in[1]);
  const Tensor& y = out[0];
  const int64_t NC = x.size(0) * x.size(1), H = x.size(2), W = x.size(3);
  const int64_t FH = f.size(0), FW = f.size(1), OH = y.size(2), OW = y.size(3);
  // F: the correlation taps (f reversed on both axes unless flip_filter).
  std::vector<T> F(static_cast<size_t>(FH * FW));
  const T* fp = f.data<T>();
  for (int64_t ky = 0; ky < FH; ++ky)
    for (int64_t kx = 0; kx < FW; ++kx)
      F[ky * FW + kx] = a.flip_filter ? fp[ky * FW + kx] : fp[(FH - 1 - ky) * FW + (FW - 1 - kx)];
  const T gain = static_cast<T>(a.gain);
  const T* xp = x.data<T>();
  T* yp = y.data<T>();
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t nc = 0; nc < NC; ++nc)
    for (int64_t oy = 0; oy < OH; ++oy) {
      const T* xc = xp + nc * H * W;
      T* yrow = yp + (nc * OH + oy) * OW;
      const int64_t by = oy * a.down_h - a.pad_top;  // upsampled row of tap 0
      for (int64_t ox = 0; ox < OW; ++ox) {
        const int64_t bx = ox * a.down_w - a.pad_left;
        T acc = T(0);
        for (int64_t ky = first_tap(by, a.up_h); ky < FH; ky += a.up_h) {
          const int64_t u = by + ky;
          if (u < 0) continue;
          const int64_t iy = u / a.up_h;
          if (iy >= H) break;
          for (int64_t kx = first_tap(bx, a.up_w); kx < FW; kx += a.up_w) {
            const int64_t v = bx + kx;
            if (v < 0) continue;
            const int64_t ix = v / a.up_w;
            if (ix >= W) break;
            acc += F[ky * FW + kx] * xc[iy * W + ix];
          }
        }
        yrow[ox] = acc * gain;
      }
    }
}

GANTRY_KERNEL(upfirdn2d, DeviceType::CPU, kFloat32, "direct", upfirdn2d_cpu<float>);
GANTRY_KERNEL(upfirdn2d, DeviceType::CPU, kFloat64, "direct", upfirdn2d_cpu<double>);

}  // namespace
}  // namespace kernels
}  // namespace gantry
