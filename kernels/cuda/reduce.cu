// kernels/cuda/reduce.cu — CUDA reductions over any set of dims, with the
// semantics of kernels/cpu/reduce.cpp:
//
//   sum mean var{unbiased} max min (values)   argmax argmin (int64 indices)
//   float32, float64, bfloat16 and float16 (GPU only); ReduceAttrs.dims: sorted,
//   non-negative dims to reduce.
//   The output is contiguous with the kept dims in order (keepdim or not).
//   argmax/argmin return the index within the flattened reduced dims; ties
//   go to the first index, NaN wins (as PyTorch and the CPU).
//   Sums accumulate in float64 for every dtype ("wide accumulator"); var is
//   two-pass (means first, then squared deviations), accurate for data with
//   a large mean. 16-bit inputs are widened on load (to_acc); a sum, mean or
//   var is rounded once into the output (cast_to from double); max/min keep
//   the widened value (exact) and store it back.
//
// Geometry: output o starts at x + kept.offset(o); reduced element r (0..R-1,
// row-major over the reduced dims) is at that + red.offset(r). Two schedules:
//   per-thread  one thread walks all R elements of an output in order (few
//               reduced elements, or so many outputs that they fill the GPU);
//   per-block   output o's range is cut into P pieces; block (o, p) reduces
//               its piece (each thread a strided subset, then warp shuffles
//               and one shared-memory step), writes a partial; a second
//               kernel merges the P partials of each output in piece order.
// Every merge order is fixed by the launch shape, which depends only on the
// shapes and the GPU model, so a result is reproducible run to run.
#include <cmath>
#include <limits>
#include <math_constants.h>
#include <type_traits>

#include "kernels/cuda/common.cuh"

namespace gantry {
namespace cuda {
namespace {

constexpr unsigned kFull = 0xffffffffu;

// ---------------------------------------------------------------- ops
// An op supplies: Acc init(); step(Acc&, T v, int64_t r, int64_t o);
// merge(Acc& into, const Acc& other); finish(int64_t o, const Acc&).

template <typename T, typename OT>
struct SumOp {
  using Acc = double;
  OT* out;
  double scale;  // 1 for sum, 1/R for mean
  __device__ Acc init() const { return 0.0; }
  __device__ void step(Acc& a, T v, int64_t, int64_t) const {
    a += static_cast<double>(to_acc(v));
  }
  __device__ void merge(Acc& a, const Acc& b) const { a += b; }
  __device__ void finish(int64_t o, const Acc& a) const { out[o] = cast_to<OT>(a * scale); }
};

// var's second pass: squared deviations from the means of the first.
template <typename T>
struct SqDevOp {
  using Acc = double;
  T* out;
  const double* means;
  double denom;  // R - (unbiased ? 1 : 0)
  __device__ Acc init() const { return 0.0; }
  __device__ void step(Acc& a, T v, int64_t, int64_t o) const {
    const double d = static_cast<double>(to_acc(v)) - means[o];
    a += d * d;
  }
  __device__ void merge(Acc& a, const Acc& b) const { a += b; }
  __device__ void finish(int64_t o, const Acc& a) const {
    out[o] = cast_to<T>(denom > 0 ? a / denom : CUDART_NAN);
  }
};

template <typename T>
struct ExtAcc {
  T v;
  int64_t i;
  int any;
};

// max/min/argmax/argmin: best value (widened: V = acc_t<T>) and its first index.
template <typename T, bool IsMax>
struct ExtremumOp {
  using V = acc_t<T>;
  using Acc = ExtAcc<V>;
  T* vals;        // null for arg-ops
  int64_t* idxs;  // null for value ops
  __device__ static bool better(V cand, V cur) {
    if (isnan(cur)) return false;
    if (isnan(cand)) return true;
    return IsMax ? cand > cur : cand < cur;
  }
  __device__ Acc init() const { return {V(0), -1, 0}; }
  __device__ void step(Acc& a, T x, int64_t r, int64_t) const {
    const V v = to_acc(x);
    if (!a.any || better(v, a.v)) a = {v, r, 1};
  }
  // Order-independent: a tie goes to the smaller index.
  __device__ void merge(Acc& a, const Acc& b) const {
    if (!b.any) return;
    if (!a.any || better(b.v, a.v) || (!better(a.v, b.v) && b.i < a.i)) a = b;
  }
  __device__ void finish(int64_t o, const Acc& a) const {
    if (vals) vals[o] = store_as<T>(a.v);
    if (idxs) idxs[o] = a.i;
  }
};

__device__ __forceinline__ double shfl_down(double v, int off) {
  return __shfl_down_sync(kFull, v, off);
}
template <typename T>
__device__ __forceinline__ ExtAcc<T> shfl_down(ExtAcc<T> a, int off) {
  ExtAcc<T> r;
  r.v = __shfl_down_sync(kFull, a.v, off);
  r.i = static_cast<int64_t>(__shfl_down_sync(kFull, static_cast<long long>(a.i), off));
  r.any = __shfl_down_sync(kFull, a.any, off);
  return r;
}

// ------------------------------------------------------------ kernels
template <typename T, typename Op>
__global__ void __launch_bounds__(kThreads)
    reduce_per_thread(int64_t O, int64_t R, Geometry<1> kept, Geometry<1> red,
                      const T* __restrict__ x, Op op) {
  for (int64_t o = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; o < O;
       o += int64_t(gridDim.x) * blockDim.x) {
    int64_t base[1];
    kept.offsets(o, base);
    typename Op::Acc a = op.init();
    for (int64_t r = 0; r < R; ++r) {
      int64_t off[1];
      red.offsets(r, off);
      op.step(a, x[base[0] + off[0]], r, o);
    }
    op.finish(o, a);
  }
}

// blockDim.x == kThreads (a multiple of 32); grid = (O, P).
template <typename T, typename Op>
__global__ void __launch_bounds__(kThreads)
    reduce_per_block(int64_t R, int64_t piece, Geometry<1> kept, Geometry<1> red,
                     const T* __restrict__ x, Op op, typename Op::Acc* __restrict__ partial) {
  using Acc = typename Op::Acc;
  const int64_t o = blockIdx.x, p = blockIdx.y;
  int64_t base[1];
  kept.offsets(o, base);
  const int64_t r0 = p * piece, r1 = min(R, r0 + piece);
  Acc a = op.init();
  for (int64_t r = r0 + threadIdx.x; r < r1; r += blockDim.x) {
    int64_t off[1];
    red.offsets(r, off);
    op.step(a, x[base[0] + off[0]], r, o);
  }
  // Warp shuffles, then the first warp combines one value per warp.
  __shared__ __align__(16) unsigned char smem[32 * sizeof(Acc)];
  Acc* sh = reinterpret_cast<Acc*>(smem);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  for (int s = 16; s > 0; s >>= 1) op.merge(a, shfl_down(a, s));
  if (lane == 0) sh[warp] = a;
  __syncthreads();
  if (warp == 0) {
    const int nwarps = blockDim.x >> 5;
    a = lane < nwarps ? sh[lane] : op.init();
    for (int s = 16; s > 0; s >>= 1) op.merge(a, shfl_down(a, s));
    if (lane == 0) partial[o * gridDim.y + p] = a;
  }
}

template <typename Op>
__global__ void __launch_bounds__(kThreads)
    reduce_finish(int64_t O, int64_t P, const typename Op::Acc* __restrict__ partial, Op op) {
  for (int64_t o = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; o < O;
       o += int64_t(gridDim.x) * blockDim.x) {
    typename Op::Acc a = partial[o * P];
    for (int64_t p = 1; p < P; ++p) op.merge(a, partial[o * P + p]);
    op.finish(o, a);
  }
}

// ------------------------------------------------------------ host side
struct Plan {
  Geometry<1> kept, red;
  int64_t O = 1, R = 1;
};

Plan make_plan(const Tensor& x, const std::vector<int64_t>& dims, const char* op) {
  Shape ks, kst, rs, rst;
  for (int64_t d = 0; d < x.dim(); ++d) {
    bool reduced = false;
    for (int64_t k : dims) reduced |= (k == d);
    (reduced ? rs : ks).push_back(x.size(d));
    (reduced ? rst : kst).push_back(x.stride(d));
  }
  Plan p;
  p.kept = make_geometry<1>(ks, {kst}, op);
  p.red = make_geometry<1>(rs, {rst}, op);
  p.O = shape_numel(ks);
  p.R = shape_numel(rs);
  return p;
}

int sm_count(int dev) {
  int n = 0;
  GANTRY_CUDA_CHECK(cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, dev));
  return n > 0 ? n : 1;
}

// Runs `op` over x on x's device.
template <typename T, typename Op>
void run_reduce(const char* name, int dev, const Tensor& x, const Plan& P, const Op& op) {
  if (P.O == 0) return;
  cudaStream_t s = current_stream(dev);
  const T* px = static_cast<const T*>(x.raw_data());
  if (P.R <= 64 || P.O >= 65536) {
    launch<reduce_per_thread<T, Op>>(loop_config(P.O, s), P.O, P.R, P.kept, P.red, px, op);
    return;
  }
  // Enough blocks to fill the GPU twice, each with at least ~2048 elements.
  const int64_t want = (2 * sm_count(dev) + P.O - 1) / P.O;
  int64_t pieces = std::max<int64_t>(1, std::min<int64_t>(want, P.R / 2048));
  pieces = std::min<int64_t>(pieces, 65535);
  const int64_t piece = (P.R + pieces - 1) / pieces;
  pieces = (P.R + piece - 1) / piece;
  GANTRY_CHECK(P.O <= std::numeric_limits<int>::max(), name, ": too many outputs (", P.O, ")");
  using Acc = typename Op::Acc;
  // Stream-ordered scratch: freed on the same stream after the kernels below.
  Tensor ws = empty({static_cast<int64_t>(P.O * pieces * sizeof(Acc))},
                    Options(kUInt8).device(Device(DeviceType::CUDA, dev)));
  Acc* partial = static_cast<Acc*>(ws.raw_data());
  dim3 grid(static_cast<unsigned>(P.O), static_cast<unsigned>(pieces));
  launch<reduce_per_block<T, Op>>(
      LaunchConfig{dim3(grid), dim3(kThreads), 0, s, /*barrier_free=*/false}, P.R, piece, P.kept,
      P.red, px, op, partial);
  launch<reduce_finish<Op>>(loop_config(P.O, s), P.O, pieces, partial, op);
}

template <typename T>
void sum(const Tensors& in, const Tensors& out, const kernels::OpAttrs& attrs) {
  const kernels::ReduceAttrs& a = attrs.as<kernels::ReduceAttrs>();
  const int dev = check_same_cuda_device("sum", in, out);
  DeviceGuard g(dev);
  Plan P = make_plan(in[0], a.dims, "sum");
  run_reduce<T>("sum", dev, in[0], P, SumOp<T, T>{static_cast<T*>(out[0].raw_data()), 1.0});
}

template <typename T>
void mean(const Tensors& in, const Tensors& out, const kernels::OpAttrs& attrs) {
  const kernels::ReduceAttrs& a = attrs.as<kernels::ReduceAttrs>();
  const int dev = check_same_cuda_device("mean", in, out);
  DeviceGuard g(dev);
  Plan P = make_plan(in[0], a.dims, "mean");
  const double scale = P.R ? 1.0 / static_cast<double>(P.R) : std::nan("");
  run_reduce<T>("mean", dev, in[0], P, SumOp<T, T>{static_cast<T*>(out[0].raw_data()), scale});
}

template <typename T>
void var(const Tensors& in, const Tensors& out, const kernels::OpAttrs& attrs) {
  const kernels::ReduceAttrs& a = attrs.as<kernels::ReduceAttrs>();
  const int dev = check_same_cuda_device("var", in, out);
  DeviceGuard g(dev);
  Plan P = make_plan(in[0], a.dims, "var");
  Tensor means = empty({P.O}, Options(kFloat64).device(Device(DeviceType::CUDA, dev)));
  double* pm = static_cast<double*>(means.raw_data());
  run_reduce<T>("var", dev, in[0], P, SumOp<T, double>{pm, 1.0 / static_cast<double>(P.R)});
  const double denom = static_cast<double>(P.R) - (a.unbiased ? 1.0 : 0.0);
  run_reduce<T>("var", dev, in[0], P, SqDevOp<T>{static_cast<T*>(out[0].raw_data()), pm, denom});
}

template <typename T, bool IsMax>
void extremum(const Tensors& in, const Tensors& out, const kernels::OpAttrs& attrs) {
  const kernels::ReduceAttrs& a = attrs.as<kernels::ReduceAttrs>();
  const char* name = IsMax ? "max" : "min";
  const int dev = check_same_cuda_device(name, in, out);
  GANTRY_CHECK(in[0].numel() > 0, name, ": reduction of an empty tensor");
  DeviceGuard g(dev);
  Plan P = make_plan(in[0], a.dims, name);
  run_reduce<T>(name, dev, in[0], P,
                ExtremumOp<T, IsMax>{static_cast<T*>(out[0].raw_data()), nullptr});
}

template <typename T, bool IsMax>
void arg_extremum(const Tensors& in, const Tensors& out, const kernels::OpAttrs& attrs) {
  const kernels::ReduceAttrs& a = attrs.as<kernels::ReduceAttrs>();
  const char* name = IsMax ? "argmax" : "argmin";
  const int dev = check_same_cuda_device(name, in, out);
  GANTRY_CHECK(in[0].numel() > 0, name, ": reduction of an empty tensor");
  GANTRY_CHECK(out[0].dtype() == kInt64, name, ": output must be int64, got ",
               tensor_desc(out[0]));
  DeviceGuard g(dev);
  Plan P = make_plan(in[0], a.dims, name);
  run_reduce<T>(name, dev, in[0], P,
                ExtremumOp<T, IsMax>{nullptr, static_cast<int64_t*>(out[0].raw_data())});
}

template <typename T>
void register_for(kernels::Registry& r, DType d) {
  const auto C = DeviceType::CUDA;
  r.add(kernels::OpId::sum, C, d, "cuda", sum<T>);
  r.add(kernels::OpId::mean, C, d, "cuda", mean<T>);
  r.add(kernels::OpId::var, C, d, "two_pass", var<T>);
  r.add(kernels::OpId::max, C, d, "cuda", extremum<T, true>);
  r.add(kernels::OpId::min, C, d, "cuda", extremum<T, false>);
  r.add(kernels::OpId::argmax, C, d, "cuda", arg_extremum<T, true>);
  r.add(kernels::OpId::argmin, C, d, "cuda", arg_extremum<T, false>);
}

}  // namespace
}  // namespace cuda

namespace kernels {
GANTRY_REGISTER_KERNELS(r) {
  cuda::register_for<float>(r, kFloat32);
  cuda::register_for<double>(r, kFloat64);
  cuda::register_for<cuda::bf16>(r, kBFloat16);
  cuda::register_for<cuda::f16>(r, kFloat16);
}
}  // namespace kernels
}  // namespace gantry
