// kernels/cuda/elementwise.cuh — the launcher every elementwise CUDA kernel
// uses: elementwise.cu instantiates it for each GANTRY_ELEMENTWISE entry of
// the op table with the entry's shared functor (kernels/math.h).
//
// Contract (the same as the CPU kernels'): every input already has the
// output's shape (broadcast inputs arrive as stride-0 expanded views, any
// strides are fine); the output is contiguous.
//
// Two paths, chosen on the host after coalescing the operands' dims:
//   contiguous  every operand is one unit-stride run. Each thread loads
//               16 bytes per input at once (float4-sized: 4 floats, 2
//               doubles) when all pointers are 16-byte aligned, else one
//               element; a scalar loop handles the last n % V elements.
//   strided     each thread unravels its linear index i into one offset per
//               operand (Geometry<N>::offsets): broadcast, transposed and
//               sliced inputs alike.
// Both are grid-stride loops over 64-bit indices; each output element is
// computed by exactly one thread, so results do not depend on the launch.
//
// 16-bit floats (half.cuh): elements are loaded as A (8 per 16-byte vector),
// widened with to_acc, handed to the functor as acc_t<A> (float), and the
// result is rounded back with store_as<O> (to nearest even). So every functor
// is instantiated on acc_t<T> — F<float> serves float32, bfloat16 and float16 —
// and a half op rounds once, like float32 math followed by one conversion.
#pragma once
#include <cstdint>

#include "kernels/cuda/common.cuh"
#include "kernels/math.h"

namespace gantry {
namespace cuda {

template <typename T, int V>
struct alignas(sizeof(T) * V) Vec {
  T v[V];
};

template <typename A, int NIN>
struct InPtrs {
  const A* p[NIN];
};

// f on the widened inputs, stored as O.
template <typename O, typename A, int NIN, typename F>
__device__ __forceinline__ O apply_fn(const F& f, const A (&a)[NIN]) {
  if constexpr (NIN == 1) {
    return store_as<O>(f(to_acc(a[0])));
  } else {
    return store_as<O>(f(to_acc(a[0]), to_acc(a[1])));
  }
}

// Contiguous operands; V elements per vector load (V = 1: plain loads).
template <typename O, typename A, int NIN, int V, typename F>
__global__ void __launch_bounds__(kThreads)
    ew_contiguous_kernel(int64_t n, O* __restrict__ out, InPtrs<A, NIN> in, F f) {
  const int64_t tid = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  const int64_t nvec = n / V;
  for (int64_t j = tid; j < nvec; j += step) {
    Vec<A, V> x[NIN];
#pragma unroll
    for (int k = 0; k < NIN; ++k) x[k] = reinterpret_cast<const Vec<A, V>*>(in.p[k])[j];
    Vec<O, V> y;
#pragma unroll
    for (int e = 0; e < V; ++e) {
      A a[NIN];
#pragma unroll
      for (int k = 0; k < NIN; ++k) a[k] = x[k].v[e];
      y.v[e] = apply_fn<O, A, NIN>(f, a);
    }
    reinterpret_cast<Vec<O, V>*>(out)[j] = y;
  }
  for (int64_t i = nvec * V + tid; i < n; i += step) {  // the tail (< V elements)
    A a[NIN];
#pragma unroll
    for (int k = 0; k < NIN; ++k) a[k] = in.p[k][i];
    out[i] = apply_fn<O, A, NIN>(f, a);
  }
}

// Any strides: operand 0 of the geometry is the output, 1..NIN the inputs.
template <typename O, typename A, int NIN, typename F>
__global__ void __launch_bounds__(kThreads)
    ew_strided_kernel(int64_t n, Geometry<NIN + 1> g, O* out, InPtrs<A, NIN> in, F f) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[NIN + 1];
    g.offsets(i, off);
    A a[NIN];
#pragma unroll
    for (int k = 0; k < NIN; ++k) a[k] = in.p[k][off[k + 1]];
    out[off[0]] = apply_fn<O, A, NIN>(f, a);
  }
}

inline bool aligned_to(const void* p, size_t a) {
  return reinterpret_cast<uintptr_t>(p) % a == 0;
}

// out[i] = f(in[0][i], ...) for every element; O/A are the output/input types.
template <typename O, typename A, int NIN, typename F>
void launch_elementwise(const char* op, const Tensors& in, const Tensor& out, F f) {
  GANTRY_CHECK(static_cast<int>(in.size()) >= NIN, op, ": expects ", NIN, " inputs, got ",
               in.size());
  const int dev = check_same_cuda_device(op, in, {out});
  std::array<Shape, NIN + 1> strides;
  strides[0] = out.strides();
  InPtrs<A, NIN> ptrs;
  for (int k = 0; k < NIN; ++k) {
    GANTRY_CHECK(in[k].shape() == out.shape(), op, ": input ", k, " ", tensor_desc(in[k]),
                 " does not have the output's shape ", shape_str(out.shape()));
    strides[k + 1] = in[k].strides();
    ptrs.p[k] = static_cast<const A*>(in[k].raw_data());
  }
  const int64_t n = out.numel();
  if (n == 0) return;
  DeviceGuard guard(dev);
  cudaStream_t s = current_stream(dev);
  O* po = static_cast<O*>(out.raw_data());
  Geometry<NIN + 1> g = make_geometry<NIN + 1>(out.shape(), strides, op);
  if (all_contiguous(g)) {
    constexpr int V = 16 / sizeof(A) > 0 ? 16 / sizeof(A) : 1;
    bool vec = n >= V && aligned_to(po, alignof(Vec<O, V>));
    for (int k = 0; k < NIN; ++k) vec = vec && aligned_to(ptrs.p[k], alignof(Vec<A, V>));
    if (vec) {
      launch<ew_contiguous_kernel<O, A, NIN, V, F>>(loop_config(n / V, s), n, po, ptrs, f);
    } else {
      launch<ew_contiguous_kernel<O, A, NIN, 1, F>>(loop_config(n, s), n, po, ptrs, f);
    }
  } else {
    launch<ew_strided_kernel<O, A, NIN, F>>(loop_config(n, s), n, g, po, ptrs, f);
  }
  GANTRY_CUDA_LAUNCH_CHECK();
}

// Kernel entry points in the registry's KernelFn form, for an op table entry
// `Op` with functor F (kernels/math.h) and attributes A. T is the element
// type; the functor computes in acc_t<T>.
template <kernels::OpId Op, typename T, template <typename> class F, typename A>
void unary_entry(const Tensors& in, const Tensors& out, const kernels::OpAttrs& attrs) {
  launch_elementwise<T, T, 1>(kernels::op_name(Op), in, out.at(0),
                              math::make_functor<F<acc_t<T>>>(attrs.as<A>()));
}
template <kernels::OpId Op, typename T, template <typename> class F, typename A>
void binary_entry(const Tensors& in, const Tensors& out, const kernels::OpAttrs& attrs) {
  launch_elementwise<T, T, 2>(kernels::op_name(Op), in, out.at(0),
                              math::make_functor<F<acc_t<T>>>(attrs.as<A>()));
}
template <kernels::OpId Op, typename T, template <typename> class F, typename A>
void compare_entry(const Tensors& in, const Tensors& out, const kernels::OpAttrs& attrs) {
  launch_elementwise<uint8_t, T, 2>(kernels::op_name(Op), in, out.at(0),
                                    math::make_functor<F<acc_t<T>>>(attrs.as<A>()));
}

}  // namespace cuda

}  // namespace gantry
