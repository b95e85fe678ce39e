// core/dtype.h — element types a Tensor can hold, and compile-time dispatch
// from a runtime DType to a C++ scalar type.
//
// float32 everywhere; float64 on CPU for references and gradcheck; int64/int32
// for labels and indices; uint8 for images and masks (comparison results).
// bfloat16/float16 compute on the CUDA backend (mixed precision); the CPU
// stores them (core/half.h) only to cast, copy, fill, print and save them —
// CPU kernels reject them (dispatch_dtype below names the op and the dtype).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "core/error.h"
#include "core/half.h"

namespace gantry {

enum class DType : uint8_t { Float32, Float64, Int64, Int32, UInt8, BFloat16, Float16 };

constexpr DType kFloat32 = DType::Float32;
constexpr DType kFloat64 = DType::Float64;
constexpr DType kInt64 = DType::Int64;
constexpr DType kInt32 = DType::Int32;
constexpr DType kUInt8 = DType::UInt8;
constexpr DType kBFloat16 = DType::BFloat16;
constexpr DType kFloat16 = DType::Float16;

inline size_t dtype_size(DType t) {
  switch (t) {
    case DType::Float32: return 4;
    case DType::Float64: return 8;
    case DType::Int64: return 8;
    case DType::Int32: return 4;
    case DType::UInt8: return 1;
    case DType::BFloat16: return 2;
    case DType::Float16: return 2;
  }
  return 0;
}

inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::Int64: return "int64";
    case DType::Int32: return "int32";
    case DType::UInt8: return "uint8";
    case DType::BFloat16: return "bfloat16";
    case DType::Float16: return "float16";
  }
  return "?";
}

inline bool is_floating(DType t) {
  return t == DType::Float32 || t == DType::Float64 || t == DType::BFloat16 || t == DType::Float16;
}

inline std::ostream& operator<<(std::ostream& os, DType t) { return os << dtype_name(t); }

// C++ type -> DType.
template <typename T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = DType::Float32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::Float64; };
template <> struct dtype_of<int64_t> { static constexpr DType value = DType::Int64; };
template <> struct dtype_of<int32_t> { static constexpr DType value = DType::Int32; };
template <> struct dtype_of<uint8_t> { static constexpr DType value = DType::UInt8; };
template <> struct dtype_of<BFloat16> { static constexpr DType value = DType::BFloat16; };
template <> struct dtype_of<Float16> { static constexpr DType value = DType::Float16; };

// Calls f(T{}) with T the C++ type of a CPU dtype. `what` names the caller in errors.
template <typename F>
auto dispatch_dtype(DType t, const char* what, F&& f) {
  switch (t) {
    case DType::Float32: return f(float{});
    case DType::Float64: return f(double{});
    case DType::Int64: return f(int64_t{});
    case DType::Int32: return f(int32_t{});
    case DType::UInt8: return f(uint8_t{});
    default: break;
  }
  throw Error(str(what, ": dtype ", dtype_name(t), " is not supported on cpu",
                 t == DType::BFloat16 || t == DType::Float16
                     ? " (the cpu stores 16-bit floats only for casts and copies; compute on "
                       "cuda, or cast to float32 first)"
                     : ""));
}

// Like dispatch_dtype, plus the 16-bit storage types (BFloat16, Float16):
// for core's copy, cast and fill, which every dtype supports on the CPU.
template <typename F>
auto dispatch_storage_dtype(DType t, const char* what, F&& f) {
  switch (t) {
    case DType::BFloat16: return f(BFloat16{});
    case DType::Float16: return f(Float16{});
    default: return dispatch_dtype(t, what, std::forward<F>(f));
  }
}

}  // namespace gantry
