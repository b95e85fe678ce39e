// kernels/cpu/upfirdn.cpp — upfirdn2d on the CPU (the op table entry, its
// definition and its derivatives: kernels/ops/upfirdn.h).
//
// A direct loop over the output: y[n,c,oy,ox] sums F[ky,kx] * x[iy,ix] over
// the taps that land on a real (not zero-inserted) sample of the upsampled
// input, u = o*down + k - pad0 with u % up == 0, iy = u / up. Only every
// up-th tap can land, and which ones depends on the output position alone,
// so each row's and column's taps are listed once (axis_taps) and the inner
// loop is plain multiply-adds: upsampling by 2 costs a quarter of the taps a
// plain filter would, and no tap is tested twice.
// Rows of the output are split over OpenMP threads; each output element is
// summed by one thread in a fixed order, so results do not depend on the
// thread count.
#include <vector>

#include "core/tensor.h"
#include "kernels/registry.h"

namespace gantry {
namespace kernels {
namespace {

// The taps of one output position along one axis that land on real input
// samples: k = k0, k0 + up, ..., (n of them), reading the input at i0, i0 + 1, ...
// (each step of `up` in the upsampled grid is one input sample).
struct Taps {
  int64_t k0 = 0, i0 = 0, n = 0;
};

// For every output position o along an axis: u = o*down + k - pad0 must be a
// multiple of up inside [0, in*up).
std::vector<Taps> axis_taps(int64_t out, int64_t in, int64_t K, int64_t up, int64_t down, int64_t pad0) {
  std::vector<Taps> t(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o) {
    const int64_t base = o * down - pad0;
    int64_t k = (up - ((base % up) + up) % up) % up;  // first k with (base + k) % up == 0
    if (base + k < 0) k += ((-(base + k)) + up - 1) / up * up;  // skip taps before the input
    Taps& tp = t[static_cast<size_t>(o)];
    tp.k0 = k;
    tp.i0 = (base + k) / up;
    for (; k < K && (base + k) / up < in; k += up) ++tp.n;
  }
  return t;
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
  const std::vector<Taps> rows = axis_taps(OH, H, FH, a.up_h, a.down_h, a.pad_top);
  const std::vector<Taps> cols = axis_taps(OW, W, FW, a.up_w, a.down_w, a.pad_left);
  const T gain = static_cast<T>(a.gain);
  const T* xp = x.data<T>();
  T* yp = y.data<T>();
  if (FW == 1 && a.up_w == 1 && a.down_w == 1 && a.pad_left == 0 && a.pad_right == 0) {
    // The vertical pass of a separable filter: columns map one to one, so an
    // output row is a weighted sum of whole input rows (contiguous, vectorized).
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t nc = 0; nc < NC; ++nc)
      for (int64_t oy = 0; oy < OH; ++oy) {
        T* yrow = yp + (nc * OH + oy) * OW;
        const Taps r = rows[static_cast<size_t>(oy)];
        for (int64_t ox = 0; ox < OW; ++ox) yrow[ox] = T(0);
        for (int64_t t = 0; t < r.n; ++t) {
          const T w = F[r.k0 + t * a.up_h] * gain;
          const T* xrow = xp + (nc * H + r.i0 + t) * W;
          for (int64_t ox = 0; ox < OW; ++ox) yrow[ox] += w * xrow[ox];
        }
      }
    return;
  }
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t nc = 0; nc < NC; ++nc)
    for (int64_t oy = 0; oy < OH; ++oy) {
      const T* xc = xp + nc * H * W;
      T* yrow = yp + (nc * OH + oy) * OW;
      const Taps r = rows[static_cast<size_t>(oy)];
      for (int64_t ox = 0; ox < OW; ++ox) {
        const Taps c = cols[static_cast<size_t>(ox)];
        T acc = T(0);
        for (int64_t t = 0; t < r.n; ++t) {
          const T* frow = F.data() + (r.k0 + t * a.up_h) * FW + c.k0;
          const T* xrow = xc + (r.i0 + t) * W + c.i0;
          for (int64_t s = 0; s < c.n; ++s) acc += frow[s * a.up_w] * xrow[s];
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
