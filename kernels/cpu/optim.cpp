// kernels/cpu/optim.cpp — fused optimizer updates on the CPU.
//
// adam_step: the whole Adam/AdamW update of one parameter in one pass over
// memory (read p, g, m, v; write p, m, v), element by element:
//   g  = grad + wd * p              (Adam's L2 decay; decoupled = 0)
//   p  = p * (1 - lr * wd)          (AdamW's decoupled decay; decoupled = 1)
//   m  = beta1 * m + (1 - beta1) * g
//   v  = beta2 * v + (1 - beta2) * g * g
//   p  = p - (lr / (1 - beta1^step)) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps)
// which is PyTorch's Adam/AdamW step. Per-element arithmetic is done in the
// parameter's dtype, as PyTorch does (the scalar coefficients are computed in
// double once): a float32 update is vectorized and memory-bound, where double
// sqrt/div per element made it 2.5x slower than LibTorch's.
//   in  = {param, grad, exp_avg, exp_avg_sq} x k   each group [n_j] (any shape), contiguous
//   out = {param, exp_avg, exp_avg_sq} x k         the same tensors, updated in place
// (k >= 1 parameters with the same settings and step count in one call: the
// CUDA kernel updates them all in one launch; here they run one after another)
//   AdamAttrs {lr, beta1, beta2, eps, weight_decay, step, decoupled}
// Each element is computed by exactly one thread, so the result does not
// depend on the thread count. The unfused reference is optim/adam.cpp's
// composed path (AdamOptions::fused = false) and the float64 loops in
// tests/test_optim.cpp and tests/op_table.cpp.
#include <cmath>

#include "core/strided.h"
#include "kernels/registry.h"

namespace gantry {
namespace kernels {
namespace {

template <typename T>
void adam_step(const Tensors& in, const Tensors& out, const OpAttrs& attrs) {
  const auto& a = attrs.as<AdamAttrs>();
  GANTRY_CHECK(!in.empty() && in.size() % 4 == 0 && out.size() == in.size() / 4 * 3,
               "adam_step: expects inputs {param, grad, exp_avg, exp_avg_sq} x k and outputs "
               "{param, exp_avg, exp_avg_sq} x k, got ", in.size(), " and ", out.size());
  const double lr = a.lr, beta1 = a.beta1, beta2 = a.beta2, eps = a.eps, wd = a.weight_decay,
               step = static_cast<double>(a.step);
  const bool decoupled = a.decoupled;
  GANTRY_CHECK(step >= 1, "adam_step: step ", step, " must be >= 1");
  const double step_size = lr / (1.0 - std::pow(beta1, step));
  const double inv_bc2_sqrt = 1.0 / std::sqrt(1.0 - std::pow(beta2, step));
  const double l2 = decoupled ? 0.0 : wd;            // added to the gradient
  const double shrink = decoupled ? 1.0 - lr * wd : 1.0;  // applied to the parameter
  const double c1 = 1.0 - beta1, c2 = 1.0 - beta2;
  const T t_beta1 = T(beta1), t_beta2 = T(beta2), t_c1 = T(c1), t_c2 = T(c2), t_l2 = T(l2),
          t_shrink = T(shrink), t_step = T(step_size), t_inv = T(inv_bc2_sqrt), t_eps = T(eps);
  const char* names[7] = {"param", "grad", "exp_avg", "exp_avg_sq", "param (out)",
                          "exp_avg (out)", "exp_avg_sq (out)"};
  for (size_t j = 0; j < in.size() / 4; ++j) {  // parameter j of the list
    const Tensor& p0 = in[4 * j];
    const int64_t n = p0.numel();
    for (int i = 0; i < 7; ++i) {
      const Tensor& t = i < 4 ? in[4 * j + i] : out[3 * j + i - 4];
      GANTRY_CHECK(t.defined() && t.numel() == n && t.dtype() == in[0].dtype() && t.is_contiguous(),
                   "adam_step: ", names[i], " ", t.defined() ? tensor_desc(t) : "undefined",
                   " of parameter ", j, " must be contiguous with param's dtype and element count (",
                   tensor_desc(p0), ")");
    }
    const T* g = static_cast<const T*>(in[4 * j + 1].raw_data());
    const T* p_in = static_cast<const T*>(p0.raw_data());
    const T* m_in = static_cast<const T*>(in[4 * j + 2].raw_data());
    const T* v_in = static_cast<const T*>(in[4 * j + 3].raw_data());
    T* p_out = static_cast<T*>(out[3 * j].raw_data());
    T* m_out = static_cast<T*>(out[3 * j + 1].raw_data());
    T* v_out = static_cast<T*>(out[3 * j + 2].raw_data());
    // Each iteration reads its element before writing it, so in and out may be
    // the same tensors; iterations never touch each other's elements, which
    // `simd` asserts (without it the possible aliasing keeps the loop scalar).
#pragma omp parallel for simd schedule(static) if (n > kParallelGrain)
    for (int64_t i = 0; i < n; ++i) {
      const T p = p_in[i];
      const T gi = g[i] + t_l2 * p;
      const T m = t_beta1 * m_in[i] + t_c1 * gi;
      const T v = t_beta2 * v_in[i] + t_c2 * gi * gi;
      const T denom = std::sqrt(v) * t_inv + t_eps;
      p_out[i] = p * t_shrink - t_step * m / denom;
      m_out[i] = m;
      v_out[i] = v;
    }
  }
}

}  // namespace

GANTRY_KERNEL(adam_step, DeviceType::CPU, kFloat32, "fused", adam_step<float>);
GANTRY_KERNEL(adam_step, DeviceType::CPU, kFloat64, "fused", adam_step<double>);

}  // namespace kernels
}  // namespace gantry
