// kernels/cpu/norm.cpp — fused batch normalization (training mode) on the CPU.
//
// The composed batch norm (autograd/ops_nn.cpp's formula) takes ~7 passes
// over the activation forward and ~15 backward; these two kernels take 3 and 2.
//   batch_norm_train           in  {x [N,C,*], weight [C], bias [C]}
//                              out {y [N,C,*], mean [C], var [C] (biased)}
//                              scalars {eps}
//       y = (x - mean) / sqrt(var + eps) * weight + bias, statistics per channel
//   batch_norm_train_backward  in  {x, g [N,C,*], weight, mean, var}
//                              out {dx [N,C,*], dweight [C], dbias [C]}
//                              scalars {eps}
//       with xc = x - mean, r = 1/sqrt(var + eps), M = N * prod(*):
//       dbias = sum(g), dweight = r * sum(g * xc),
//       dx = weight * r * (g - dbias / M - xc * r^2 * sum(g * xc) / M)
// One channel per task (OpenMP over channels), sums in double in a fixed
// order: bit-identical for any thread count. The autograd op uses the
// backward kernel only when no graph is being built; a double backward
// (WGAN-GP, R1) differentiates the composed formula instead.
#include <cmath>

#include "kernels/registry.h"

namespace gantry {
namespace kernels {
namespace {

// Sums in double over a channel's N runs of S values, with 8 independent
// accumulators so the compiler can vectorize (a single accumulator is a
// serial chain of dependent adds). The order is fixed: deterministic.
struct LaneSum {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  double tail = 0;
  template <typename F>
  void add_run(int64_t S, F f) {
    int64_t i = 0;
    for (; i + 8 <= S; i += 8)
      for (int l = 0; l < 8; ++l) acc[l] += f(i + l);
    for (; i < S; ++i) tail += f(i);
  }
  double total() const {
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + tail;
  }
};

struct Layout {
  int64_t N, C, S;  // x viewed as [N, C, S]
};
Layout layout(const Tensor& x) {
  const int64_t N = x.size(0), C = x.size(1);
  return {N, C, N * C == 0 ? 0 : x.numel() / (N * C)};
}

template <typename T>
void batch_norm_train(const Tensors& in, const Tensors& out, const OpAttrs& attrs) {
  const auto& a = attrs.as<BatchNormAttrs>();
  const Tensor x = core::contiguous(in[0]), w = core::contiguous(in[1]), b = core::contiguous(in[2]);
  const Layout L = layout(x);
  const double eps = a.eps, M = double(L.N * L.S);
  const T* px = x.data<T>();
  const T* pw = w.data<T>();
  const T* pb = b.data<T>();
  T* py = out[0].data<T>();
  T* pm = out[1].data<T>();
  T* pv = out[2].data<T>();
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < L.C; ++c) {
    LaneSum s;
    for (int64_t n = 0; n < L.N; ++n) {
      const T* xr = px + (n * L.C + c) * L.S;
      s.add_run(L.S, [xr](int64_t i) { return double(xr[i]); });
    }
    const double mean = s.total() / M;
    LaneSum ss;
    for (int64_t n = 0; n < L.N; ++n) {
      const T* xr = px + (n * L.C + c) * L.S;
      ss.add_run(L.S, [xr, mean](int64_t i) {
        const double d = double(xr[i]) - mean;
        return d * d;
      });
    }
    const double var = ss.total() / M, r = 1.0 / std::sqrt(var + eps);
    const T scale = T(double(pw[c]) * r), shift = T(double(pb[c]) - mean * double(pw[c]) * r);
    for (int64_t n = 0; n < L.N; ++n) {
      const T* xr = px + (n * L.C + c) * L.S;
      T* yr = py + (n * L.C + c) * L.S;
      for (int64_t i = 0; i < L.S; ++i) yr[i] = xr[i] * scale + shift;
    }
    pm[c] = T(mean);
    pv[c] = T(var);
  }
}

template <typename T>
void batch_norm_train_backward(const Tensors& in, const Tensors& out, const OpAttrs& attrs) {
  const auto& a = attrs.as<BatchNormAttrs>();
  const Tensor x = core::contiguous(in[0]), g = core::contiguous(in[1]);
  const Tensor w = core::contiguous(in[2]), m = core::contiguous(in[3]), v = core::contiguous(in[4]);
  const Layout L = layout(x);
  const double eps = a.eps, M = double(L.N * L.S);
  const T* px = x.data<T>();
  const T* pg = g.data<T>();
  const T* pw = w.data<T>();
  const T* pm = m.data<T>();
  const T* pv = v.data<T>();
  T* pdx = out[0].data<T>();
  T* pdw = out[1].data<T>();
  T* pdb = out[2].data<T>();
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < L.C; ++c) {
    const double mean = pm[c], r = 1.0 / std::sqrt(double(pv[c]) + eps);
    LaneSum lsg, lsgx;
    for (int64_t n = 0; n < L.N; ++n) {
      const T* xr = px + (n * L.C + c) * L.S;
      const T* gr = pg + (n * L.C + c) * L.S;
      lsg.add_run(L.S, [gr](int64_t i) { return double(gr[i]); });
      lsgx.add_run(L.S, [xr, gr, mean](int64_t i) { return double(gr[i]) * (double(xr[i]) - mean); });
    }
    const double sg = lsg.total(), sgx = lsgx.total();
    pdb[c] = T(sg);
    pdw[c] = T(sgx * r);
    // dx = k * g + k1 * x + k0 (affine in g and x per channel)
    const double k = double(pw[c]) * r, q = sgx * r * r / M;
    const T kg = T(k), kx = T(-k * q), k0 = T(k * (-sg / M + mean * q));
    for (int64_t n = 0; n < L.N; ++n) {
      const T* xr = px + (n * L.C + c) * L.S;
      const T* gr = pg + (n * L.C + c) * L.S;
      T* dr = pdx + (n * L.C + c) * L.S;
      for (int64_t i = 0; i < L.S; ++i) dr[i] = kg * gr[i] + kx * xr[i] + k0;
    }
  }
}

}  // namespace

GANTRY_KERNEL(batch_norm_train, DeviceType::CPU, kFloat32, "fused", batch_norm_train<float>);
GANTRY_KERNEL(batch_norm_train, DeviceType::CPU, kFloat64, "fused", batch_norm_train<double>);
GANTRY_KERNEL(batch_norm_train_backward, DeviceType::CPU, kFloat32, "fused", batch_norm_train_backward<float>);
GANTRY_KERNEL(batch_norm_train_backward, DeviceType::CPU, kFloat64, "fused", batch_norm_train_backward<double>);

}  // namespace kernels
}  // namespace gantry
