// kernels/cuda/half.cuh — the 16-bit floating types of the CUDA backend
// (bfloat16 and float16) and how kernels compute with them (CUDA code only).
//
// Storage is 16 bits; arithmetic is float32. Every kernel loads a value with
// to_acc (widening to acc_t<T>), computes in acc_t<T>, and stores with
// from_acc (round to nearest even). For float and double acc_t<T> is T itself,
// so one template serves all four floating dtypes:
//
//   template <typename T> __global__ void scale(T* x, float s, int64_t n) {
//     ... x[i] = from_acc<T>(to_acc(x[i]) * s);
//   }
//
// bf16/f16 name __nv_bfloat16/__half; for_each_floating_type calls f(T{})
// for the four floating dtypes (dispatch_cuda_dtype in common.cuh maps a
// runtime dtype to its type).
//
// Conversions between element types (copy.cu, reduce.cu, rng.cu):
//   cast_to<D>(s)      device: D(s) for any two CUDA element types with one
//                      rounding, as core/half.h's convert<D>(s) on the CPU
//                      (half -> anything through float; double and integers
//                      -> half by cvt.rn from double; float -> half by cvt.rn)
//   store_as<O>(v)     a computed acc_t value (or a comparison's uint8) into
//                      an output element of type O
//   host_value<T>(d)   a host double as a T, rounded by core/half.h, so a
//                      fill on the GPU stores the CPU's bits
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <type_traits>

#include "core/dtype.h"
#include "core/error.h"

namespace gantry {
namespace cuda {

using bf16 = __nv_bfloat16;
using f16 = __half;

template <typename T> struct AccType { using type = T; };
template <> struct AccType<bf16> { using type = float; };
template <> struct AccType<f16> { using type = float; };
template <typename T> using acc_t = typename AccType<T>::type;

template <typename T> inline constexpr bool is_half_v = false;
template <> inline constexpr bool is_half_v<bf16> = true;
template <> inline constexpr bool is_half_v<f16> = true;

template <typename T>
__host__ __device__ __forceinline__ acc_t<T> to_acc(T v) {
  if constexpr (std::is_same_v<T, bf16>) return __bfloat162float(v);
  else if constexpr (std::is_same_v<T, f16>) return __half2float(v);
  else return v;
}

template <typename T>
__host__ __device__ __forceinline__ T from_acc(acc_t<T> v) {
  if constexpr (std::is_same_v<T, bf16>) return __float2bfloat16_rn(v);
  else if constexpr (std::is_same_v<T, f16>) return __float2half_rn(v);
  else return v;
}

template <typename D, typename S>
__device__ __forceinline__ D cast_to(S s) {
  if constexpr (std::is_same_v<D, S>) {
    return s;
  } else if constexpr (is_half_v<S>) {
    const float f = to_acc(s);
    if constexpr (is_half_v<D>) return from_acc<D>(f);
    else return static_cast<D>(f);
  } else if constexpr (std::is_same_v<D, bf16>) {
    if constexpr (std::is_same_v<S, float>) return __float2bfloat16_rn(s);
    else return __double2bfloat16(static_cast<double>(s));
  } else if constexpr (std::is_same_v<D, f16>) {
    if constexpr (std::is_same_v<S, float>) return __float2half_rn(s);
    else return __double2half(static_cast<double>(s));
  } else {
    return static_cast<D>(s);
  }
}

template <typename O, typename V>
__device__ __forceinline__ O store_as(V v) {
  if constexpr (is_half_v<O>) return from_acc<O>(v);
  else return static_cast<O>(v);
}

template <typename T>
inline T host_value(double d) {
  if constexpr (std::is_same_v<T, bf16>) {
    __nv_bfloat16_raw r;
    r.x = BFloat16(d).bits;
    return T(r);
  } else if constexpr (std::is_same_v<T, f16>) {
    __half_raw r;
    r.x = Float16(d).bits;
    return T(r);
  } else {
    return static_cast<T>(d);
  }
}

// DType of a C++ element type of the CUDA backend (floating types only).
template <typename T> constexpr DType floating_dtype() {
  if constexpr (std::is_same_v<T, float>) return DType::Float32;
  else if constexpr (std::is_same_v<T, double>) return DType::Float64;
  else if constexpr (std::is_same_v<T, bf16>) return DType::BFloat16;
  else return DType::Float16;
}

// Calls f(T{}) once for each T in {float, double, bf16, f16}: registering a
// family's kernels for every floating dtype is
//   for_each_floating_type([&](auto t) { register_type<decltype(t)>(r); });
template <typename F>
void for_each_floating_type(F&& f) {
  f(float{});
  f(double{});
  f(bf16{});
  f(f16{});
}

}  // namespace cuda
}  // namespace gantry
