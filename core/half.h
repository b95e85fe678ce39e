// core/half.h — the 16-bit floating types as CPU storage: bfloat16 and
// float16 values held in a uint16_t, and exact conversions to and from
// float/double. The CPU backend stores these dtypes only so tensors can be
// cast, copied, filled, printed and saved; it computes nothing in them (the
// CUDA backend does, kernels/cuda/half.cuh).
//
//   bfloat16  1 sign, 8 exponent (bias 127), 7 mantissa bits: float32's range
//   float16   1 sign, 5 exponent (bias 15), 10 mantissa bits (IEEE binary16):
//             max 65504, subnormals down to 2^-24
//
// float -> 16 bits rounds to nearest, ties to even (the IEEE default and what
// CUDA's __float2bfloat16_rn / __float2half_rn do); overflow rounds to +-inf;
// subnormal results are rounded, not flushed. Every NaN becomes 0x7FFF (CUDA's
// canonical NaN for both types). 16 bits -> float is exact (NaN payloads and
// signs kept). double -> 16 bits is one correct rounding too: the double is
// first rounded to float "to odd" (truncate, then set the last bit if
// anything was lost), which float's 13+ spare bits make harmless — the same
// trick CUDA uses for double -> bfloat16. Integers go through double (exact up
// to 2^53).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace gantry {

namespace half_detail {

inline uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// double -> float rounded to odd: exact results stay; an inexact one becomes
// the neighbour (of the two around it) whose last mantissa bit is 1.
inline float round_to_odd_float(double d) {
  float f = static_cast<float>(d);  // round to nearest even
  if (std::isnan(d)) return f;
  const double back = static_cast<double>(f);
  if (back == d) return f;
  uint32_t u = float_bits(f);
  if (std::fabs(back) > std::fabs(d)) u -= 1;  // truncate toward zero (also inf -> max)
  return bits_float(u | 1u);
}

}  // namespace half_detail

inline uint16_t float_to_bf16_bits(float f) {
  uint32_t u = half_detail::float_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fff;  // NaN
  u += 0x7fffu + ((u >> 16) & 1u);                      // ties to even; carries into the exponent
  return static_cast<uint16_t>(u >> 16);
}

inline float bf16_bits_to_float(uint16_t h) {
  return half_detail::bits_float(static_cast<uint32_t>(h) << 16);
}

inline uint16_t float_to_f16_bits(float f) {
  uint32_t u = half_detail::float_bits(f);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  u &= 0x7fffffffu;
  if (u > 0x7f800000u) return 0x7fff;                          // NaN
  if (u >= 0x477ff000u) return sign | 0x7c00u;                 // >= 65520 (and inf): inf
  if (u >= 0x38800000u) {                                      // >= 2^-14: normal
    uint32_t v = u - (112u << 23);                             // rebias 127 -> 15
    v += 0xfffu + ((v >> 13) & 1u);
    return static_cast<uint16_t>(sign | (v >> 13));
  }
  if (u <= 0x33000000u) return sign;                           // <= 2^-25: +-0 (2^-25 ties to 0)
  // Subnormal result: value = m * 2^(e-150); in units of 2^-24 that is m >> (126 - e).
  const uint32_t e = u >> 23, m = (u & 0x7fffffu) | 0x800000u;
  const uint32_t shift = 126u - e;  // 14..24
  uint32_t r = m >> shift;
  const uint32_t rem = m & ((1u << shift) - 1u), half = 1u << (shift - 1u);
  if (rem > half || (rem == half && (r & 1u))) ++r;  // may reach 0x400, the least normal
  return static_cast<uint16_t>(sign | r);
}

inline float f16_bits_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
  if (e == 0x1f) return half_detail::bits_float(sign | 0x7f800000u | (m << 13));  // inf, NaN
  if (e == 0) {                                                                    // 0, subnormal
    const float v = std::ldexp(static_cast<float>(m), -24);
    return sign ? -v : v;
  }
  return half_detail::bits_float(sign | ((e + 112u) << 23) | (m << 13));
}

// The storage types. Arithmetic is deliberately absent: convert to float.
struct BFloat16 {
  uint16_t bits = 0;
  BFloat16() = default;
  static BFloat16 from_bits(uint16_t b) {
    BFloat16 r;
    r.bits = b;
    return r;
  }
  explicit BFloat16(float f) : bits(float_to_bf16_bits(f)) {}
  explicit BFloat16(double d) : bits(float_to_bf16_bits(half_detail::round_to_odd_float(d))) {}
  explicit operator float() const { return bf16_bits_to_float(bits); }
};

struct Float16 {
  uint16_t bits = 0;
  Float16() = default;
  static Float16 from_bits(uint16_t b) {
    Float16 r;
    r.bits = b;
    return r;
  }
  explicit Float16(float f) : bits(float_to_f16_bits(f)) {}
  explicit Float16(double d) : bits(float_to_f16_bits(half_detail::round_to_odd_float(d))) {}
  explicit operator float() const { return f16_bits_to_float(bits); }
};

template <typename T> inline constexpr bool is_half_storage_v =
    std::is_same_v<T, BFloat16> || std::is_same_v<T, Float16>;

// D(s) for any two storage types of the CPU (the five compute dtypes and the
// two half types): static_cast between ordinary types; half types convert
// through float (exact) on the way out, through double (one rounding) on the
// way in.
template <typename D, typename S>
inline D convert(S s) {
  if constexpr (std::is_same_v<D, S>) {
    return s;
  } else if constexpr (is_half_storage_v<S>) {
    const float f = static_cast<float>(s);
    if constexpr (is_half_storage_v<D>) return D(f);
    else return static_cast<D>(f);
  } else if constexpr (is_half_storage_v<D>) {
    if constexpr (std::is_same_v<S, float>) return D(s);
    else return D(static_cast<double>(s));
  } else {
    return static_cast<D>(s);
  }
}

}  // namespace gantry
