// kernels/cuda/optim.cu — the fused Adam/AdamW update on the GPU: one kernel
// launch for a whole list of parameters ("multi-tensor apply").
//
// adam_step, the same element formula as kernels/cpu/optim.cpp (PyTorch's
// Adam/AdamW), computed here in float64 and rounded once per stored value
// (the CPU kernel computes in the parameter's dtype; the two agree to float32
// rounding):
//   g  = grad + wd * p              (Adam's L2 decay; decoupled = 0)
//   p  = p * (1 - lr * wd)          (AdamW's decoupled decay; decoupled = 1)
//   m  = beta1 * m + (1 - beta1) * g
//   v  = beta2 * v + (1 - beta2) * g * g
//   p  = p - (lr / (1 - beta1^step)) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps)
//   in  = {param, grad, exp_avg, exp_avg_sq} x k     (k >= 1 parameters)
//   out = {param, exp_avg, exp_avg_sq} x k           (usually the same tensors)
//   AdamAttrs {lr, beta1, beta2, eps, weight_decay, step, decoupled}
// The CPU op takes the same k-parameter lists; optim::Adam passes every
// contiguous parameter with the same device, dtype and step count at once.
//
// Multi-tensor apply: each parameter is cut into chunks of kChunk elements;
// a launch carries (by value, as the kernel's argument — no host-to-device
// copy, so it is also capturable in a CUDA graph) the pointers of up to
// kMaxTensors parameters and a table saying which (parameter, chunk) each of
// its up to kMaxBlocks blocks updates. Longer lists take several launches.
#include <cmath>

#include "kernels/cuda/common.cuh"

namespace gantry {
namespace cuda {
namespace {

constexpr int kMaxTensors = 24;
constexpr int kMaxBlocks = 256;
constexpr int64_t kChunk = 65536;
constexpr int kAdamThreads = 512;

// The kernel argument: ~3.6 KB, inside the classic 4 KB parameter limit.
template <typename T>
struct AdamList {
  const T* p_in[kMaxTensors];
  const T* g[kMaxTensors];
  const T* m_in[kMaxTensors];
  const T* v_in[kMaxTensors];
  T* p_out[kMaxTensors];
  T* m_out[kMaxTensors];
  T* v_out[kMaxTensors];
  int64_t n[kMaxTensors];
  int block_tensor[kMaxBlocks];  // which parameter block b updates
  int block_chunk[kMaxBlocks];   // which chunk of it
};

struct AdamScalars {
  double beta1, beta2, c1, c2, eps, l2, shrink, step_size, inv_bc2_sqrt;
};

template <typename T>
__global__ void __launch_bounds__(kAdamThreads)
    adam_kernel(const __grid_constant__ AdamList<T> L, const AdamScalars s) {
  const int t = L.block_tensor[blockIdx.x];
  const int64_t start = static_cast<int64_t>(L.block_chunk[blockIdx.x]) * kChunk;
  const int64_t end = min(L.n[t], start + kChunk);
  const T* __restrict__ g = L.g[t];
  // Each element is read before it is written, so in and out may alias.
  for (int64_t i = start + threadIdx.x; i < end; i += blockDim.x) {
    const double p = static_cast<double>(L.p_in[t][i]);
    const double gi = static_cast<double>(g[i]) + s.l2 * p;
    const double m = s.beta1 * static_cast<double>(L.m_in[t][i]) + s.c1 * gi;
    const double v = s.beta2 * static_cast<double>(L.v_in[t][i]) + s.c2 * gi * gi;
    const double denom = sqrt(v) * s.inv_bc2_sqrt + s.eps;
    L.p_out[t][i] = static_cast<T>(p * s.shrink - s.step_size * m / denom);
    L.m_out[t][i] = static_cast<T>(m);
    L.v_out[t][i] = static_cast<T>(v);
  }
}

template <typename T>
void adam_step(const Tensors& in, const Tensors& out, const kernels::OpAttrs& attrs) {
  const kernels::AdamAttrs& a = attrs.as<kernels::AdamAttrs>();
  GANTRY_CHECK(!in.empty() && in.size() % 4 == 0 && out.size() * 4 == in.size() * 3,
               "adam_step: expects inputs {param, grad, exp_avg, exp_avg_sq} x k and outputs "
               "{param, exp_avg, exp_avg_sq} x k, got ", in.size(), " and ", out.size());
  const int dev = check_same_cuda_device("adam_step", in, out);
  const size_t k = in.size() / 4;
  const char* names[7] = {"param", "grad", "exp_avg", "exp_avg_sq", "param (out)",
                          "exp_avg (out)", "exp_avg_sq (out)"};
  for (size_t j = 0; j < k; ++j) {
    const Tensor& p = in[4 * j];
    for (int i = 0; i < 7; ++i) {
      const Tensor& t = i < 4 ? in[4 * j + i] : out[3 * j + (i - 4)];
      GANTRY_CHECK(t.defined() && t.numel() == p.numel() && t.dtype() == p.dtype() &&
                       t.dtype() == in[0].dtype() && t.is_contiguous(),
                   "adam_step: parameter ", j, ": ", names[i], " ",
                   t.defined() ? tensor_desc(t) : "undefined",
                   " must be contiguous with param's dtype and element count (", tensor_desc(p),
                   ")");
    }
  }
  const double lr = a.lr, beta1 = a.beta1, beta2 = a.beta2, eps = a.eps, wd = a.weight_decay,
               step = static_cast<double>(a.step);
  const bool decoupled = a.decoupled;
  GANTRY_CHECK(step >= 1, "adam_step: step ", step, " must be >= 1");
  AdamScalars s;
  s.beta1 = beta1;
  s.beta2 = beta2;
  s.c1 = 1.0 - beta1;
  s.c2 = 1.0 - beta2;
  s.eps = eps;
  s.l2 = decoupled ? 0.0 : wd;
  s.shrink = decoupled ? 1.0 - lr * wd : 1.0;
  s.step_size = lr / (1.0 - std::pow(beta1, step));
  s.inv_bc2_sqrt = 1.0 / std::sqrt(1.0 - std::pow(beta2, step));

  DeviceGuard guard(dev);
  cudaStream_t stream = current_stream(dev);
  AdamList<T> L{};
  int tensors = 0, blocks = 0;
  auto flush = [&] {  // launches the tensors gathered so far
    if (blocks > 0) {
      launch<adam_kernel<T>>(
          LaunchConfig{dim3(blocks), dim3(kAdamThreads), 0, stream, /*barrier_free=*/true}, L, s);
    }
    L = AdamList<T>{};
    tensors = blocks = 0;
  };
  for (size_t j = 0; j < k; ++j) {
    const int64_t n = in[4 * j].numel();
    if (n == 0) continue;
    if (tensors == kMaxTensors) flush();
    const int t = tensors++;
    L.p_in[t] = static_cast<const T*>(in[4 * j].raw_data());
    L.g[t] = static_cast<const T*>(in[4 * j + 1].raw_data());
    L.m_in[t] = static_cast<const T*>(in[4 * j + 2].raw_data());
    L.v_in[t] = static_cast<const T*>(in[4 * j + 3].raw_data());
    L.p_out[t] = static_cast<T*>(out[3 * j].raw_data());
    L.m_out[t] = static_cast<T*>(out[3 * j + 1].raw_data());
    L.v_out[t] = static_cast<T*>(out[3 * j + 2].raw_data());
    L.n[t] = n;
    const int64_t chunks = (n + kChunk - 1) / kChunk;
    for (int64_t c = 0; c < chunks; ++c) {
      if (blocks == kMaxBlocks) {
        // Flush, carrying the current parameter over as slot 0.
        const int cur = tensors - 1;
        const AdamList<T> keep = L;
        flush();
        L.p_in[0] = keep.p_in[cur];
        L.g[0] = keep.g[cur];
        L.m_in[0] = keep.m_in[cur];
        L.v_in[0] = keep.v_in[cur];
        L.p_out[0] = keep.p_out[cur];
        L.m_out[0] = keep.m_out[cur];
        L.v_out[0] = keep.v_out[cur];
        L.n[0] = keep.n[cur];
        tensors = 1;
      }
      L.block_tensor[blocks] = tensors - 1;
      L.block_chunk[blocks] = static_cast<int>(c);
      ++blocks;
    }
  }
  flush();
}

}  // namespace
}  // namespace cuda

GANTRY_KERNEL(adam_step, DeviceType::CUDA, kFloat32, "multi_tensor", cuda::adam_step<float>);
GANTRY_KERNEL(adam_step, DeviceType::CUDA, kFloat64, "multi_tensor", cuda::adam_step<double>);
}  // namespace gantry
