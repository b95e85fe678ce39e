// kernels/cuda/norm.cu — fused batch normalization (training mode) on the GPU,
// the same two ops as kernels/cpu/norm.cpp:
//   batch_norm_train           in  {x [N,C,*], weight [C], bias [C]}
//                              out {y [N,C,*], mean [C], var [C] (biased)}   scalars {eps}
//   batch_norm_train_backward  in  {x, g [N,C,*], weight, mean, var}
//                              out {dx [N,C,*], dweight [C], dbias [C]}      scalars {eps}
//       xc = x - mean, r = 1/sqrt(var + eps), M = N * prod(*):
//       dbias = sum(g), dweight = r * sum(g * xc),
//       dx = weight * r * (g - dbias / M - xc * r^2 * sum(g * xc) / M)
// (LayerNorm, GroupNorm and eval-mode BatchNorm are composed from elementwise
// ops and reductions in autograd/ops_nn.cpp and run on any backend.)
//
// Each op is two kernels:
//   1. statistics, one block of 512 threads per channel, ONE pass over x:
//      each thread sums (x - K) and (x - K)^2 in float64, K = the channel's
//      first element (a shift that keeps the one-pass variance accurate when
//      the mean is large), then the block merges the 512 partial sums in a
//      fixed tree order; per-channel coefficients go to a float64 scratch.
//   2. one elementwise pass writing y (or dx) from those coefficients.
// Deterministic (fixed merge order); float32/float64 and bfloat16/float16
// (statistics in float64, elementwise math in float).
#include <cmath>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/half.cuh"

namespace gantry {
namespace cuda {
namespace {

constexpr int kNormThreads = 512;

// Sums two doubles over the block in a fixed order; thread 0 gets the totals.
__device__ void block_sum2(double& a, double& b) {
  __shared__ double sa[kNormThreads / 32], sb[kNormThreads / 32];
  for (int o = 16; o > 0; o >>= 1) {
    a += __shfl_down_sync(0xffffffffu, a, o);
    b += __shfl_down_sync(0xffffffffu, b, o);
  }
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) sa[warp] = a, sb[warp] = b;
  __syncthreads();
  if (warp == 0) {
    a = lane < kNormThreads / 32 ? sa[lane] : 0.0;
    b = lane < kNormThreads / 32 ? sb[lane] : 0.0;
    for (int o = 16; o > 0; o >>= 1) {
      a += __shfl_down_sync(0xffffffffu, a, o);
      b += __shfl_down_sync(0xffffffffu, b, o);
    }
  }
}

// Channel c = blockIdx.x of x viewed as [N, C, S].
// coef[c] = mean, coef[C + c] = 1/sqrt(var + eps); mean/var also to the outputs.
template <typename T>
__global__ void __launch_bounds__(kNormThreads)
    bn_stats_kernel(const T* __restrict__ x, int64_t N, int64_t C, int64_t S, double eps,
                    T* __restrict__ mean_out, T* __restrict__ var_out, double* __restrict__ coef) {
  const int64_t c = blockIdx.x, M = N * S;
  const double K = to_acc(x[c * S]);
  double s1 = 0, s2 = 0;
  for (int64_t j = threadIdx.x; j < M; j += blockDim.x) {
    const double v = double(to_acc(x[((j / S) * C + c) * S + j % S])) - K;
    s1 += v;
    s2 += v * v;
  }
  block_sum2(s1, s2);
  if (threadIdx.x == 0) {
    const double d = s1 / double(M);
    const double var = fmax(s2 / double(M) - d * d, 0.0);
    const double mean = K + d;
    mean_out[c] = from_acc<T>(acc_t<T>(mean));
    var_out[c] = from_acc<T>(acc_t<T>(var));
    coef[c] = mean;
    coef[C + c] = 1.0 / sqrt(var + eps);
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    bn_apply_kernel(const T* __restrict__ x, const T* __restrict__ w, const T* __restrict__ b,
                    const double* __restrict__ coef, T* __restrict__ y, int64_t total, int64_t C,
                    int64_t S) {
  using A = acc_t<T>;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t c = (i / S) % C;
    const A mean = A(coef[c]), r = A(coef[C + c]);
    y[i] = from_acc<T>((to_acc(x[i]) - mean) * r * to_acc(w[c]) + to_acc(b[c]));
  }
}

// Backward sums per channel: sum(g), sum(g * (x - mean)); then
// coef[c] = weight*r, coef[C+c] = sum(g)/M, coef[2C+c] = r^2*sum(g xc)/M, coef[3C+c] = mean.
template <typename T>
__global__ void __launch_bounds__(kNormThreads)
    bn_backward_sums_kernel(const T* __restrict__ x, const T* __restrict__ g,
                            const T* __restrict__ w, const T* __restrict__ mean_in,
                            const T* __restrict__ var_in, int64_t N, int64_t C, int64_t S,
                            double eps, T* __restrict__ dw, T* __restrict__ db,
                            double* __restrict__ coef) {
  const int64_t c = blockIdx.x, M = N * S;
  const double mean = to_acc(mean_in[c]);
  double sg = 0, sgx = 0;
  for (int64_t j = threadIdx.x; j < M; j += blockDim.x) {
    const int64_t i = ((j / S) * C + c) * S + j % S;
    const double gv = to_acc(g[i]);
    sg += gv;
    sgx += gv * (double(to_acc(x[i])) - mean);
  }
  block_sum2(sg, sgx);
  if (threadIdx.x == 0) {
    const double r = 1.0 / sqrt(double(to_acc(var_in[c])) + eps);
    db[c] = from_acc<T>(acc_t<T>(sg));
    dw[c] = from_acc<T>(acc_t<T>(r * sgx));
    coef[c] = double(to_acc(w[c])) * r;
    coef[C + c] = M > 0 ? sg / double(M) : 0.0;
    coef[2 * C + c] = M > 0 ? r * r * sgx / double(M) : 0.0;
    coef[3 * C + c] = mean;
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    bn_backward_apply_kernel(const T* __restrict__ x, const T* __restrict__ g,
                             const double* __restrict__ coef, T* __restrict__ dx, int64_t total,
                             int64_t C, int64_t S) {
  using A = acc_t<T>;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t c = (i / S) % C;
    const A xc = to_acc(x[i]) - A(coef[3 * C + c]);
    dx[i] = from_acc<T>(A(coef[c]) * (to_acc(g[i]) - A(coef[C + c]) - xc * A(coef[2 * C + c])));
  }
}

struct Layout {
  int64_t N, C, S;
};
Layout layout_of(const char* op, const Tensor& x) {
  GANTRY_CHECK(x.dim() >= 2, op, ": x must be [N, C, ...], got ", shape_str(x.shape()));
  const int64_t N = x.size(0), C = x.size(1);
  return {N, C, N * C == 0 ? 0 : x.numel() / (N * C)};
}

template <typename T>
const T* ptr(const Tensor& t) {
  return static_cast<const T*>(t.raw_data());
}
template <typename T>
T* mptr(const Tensor& t) {
  return static_cast<T*>(t.raw_data());
}

template <typename T>
void batch_norm_train(const Tensors& in, const Tensors& out, const kernels::OpAttrs& attrs) {
  const int dev = check_same_cuda_device("batch_norm_train", in, out);
  DeviceGuard guard(dev);
  const Tensor x = core::contiguous(in[0]), w = core::contiguous(in[1]), b = core::contiguous(in[2]);
  const Layout L = layout_of("batch_norm_train", x);
  GANTRY_CHECK(L.N * L.S > 0, "batch_norm_train: a channel has no elements (x",
               shape_str(x.shape()), ")");
  cudaStream_t st = current_stream(dev);
  Tensor coef = empty({2 * L.C}, Options().dtype(kFloat64).device(x.device()));
  launch<bn_stats_kernel<T>>(
      LaunchConfig{dim3(unsigned(L.C)), dim3(kNormThreads), 0, st, /*barrier_free=*/false},
      ptr<T>(x), L.N, L.C, L.S, attrs.as<kernels::BatchNormAttrs>().eps, mptr<T>(out[1]),
      mptr<T>(out[2]), mptr<double>(coef));
  launch<bn_apply_kernel<T>>(loop_config(x.numel(), st), ptr<T>(x), ptr<T>(w), ptr<T>(b),
                             ptr<double>(coef), mptr<T>(out[0]), x.numel(), L.C, L.S);
}

template <typename T>
void batch_norm_train_backward(const Tensors& in, const Tensors& out, const kernels::OpAttrs& attrs) {
  const int dev = check_same_cuda_device("batch_norm_train_backward", in, out);
  DeviceGuard guard(dev);
  const Tensor x = core::contiguous(in[0]), g = core::contiguous(in[1]),
               w = core::contiguous(in[2]), mean = core::contiguous(in[3]),
               var = core::contiguous(in[4]);
  const Layout L = layout_of("batch_norm_train_backward", x);
  if (L.C == 0) return;
  cudaStream_t st = current_stream(dev);
  Tensor coef = empty({4 * L.C}, Options().dtype(kFloat64).device(x.device()));
  launch<bn_backward_sums_kernel<T>>(
      LaunchConfig{dim3(unsigned(L.C)), dim3(kNormThreads), 0, st, /*barrier_free=*/false},
      ptr<T>(x), ptr<T>(g), ptr<T>(w), ptr<T>(mean), ptr<T>(var), L.N, L.C, L.S,
      attrs.as<kernels::BatchNormAttrs>().eps, mptr<T>(out[1]), mptr<T>(out[2]),
      mptr<double>(coef));
  if (x.numel() == 0) return;
  launch<bn_backward_apply_kernel<T>>(loop_config(x.numel(), st), ptr<T>(x), ptr<T>(g),
                                      ptr<double>(coef), mptr<T>(out[0]), x.numel(), L.C, L.S);
}

template <typename T>
void register_type(kernels::Registry& r) {
  const DType t = floating_dtype<T>();
  r.add(kernels::OpId::batch_norm_train, DeviceType::CUDA, t, "fused", batch_norm_train<T>);
  r.add(kernels::OpId::batch_norm_train_backward, DeviceType::CUDA, t, "fused", batch_norm_train_backward<T>);
}

}  // namespace
}  // namespace cuda

namespace kernels {
GANTRY_REGISTER_KERNELS(r) {
  cuda::for_each_floating_type([&](auto t) { cuda::register_type<decltype(t)>(r); });
}
}  // namespace kernels
}  // namespace gantry
