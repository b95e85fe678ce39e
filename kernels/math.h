// kernels/math.h — the scalar math of every elementwise op, written once.
//
// Each functor math::Name<T> computes one output element. Both g++ (the CPU
// kernels, kernels/cpu/elementwise.cpp) and nvcc (kernels/cuda/elementwise.cu)
// instantiate these same functors, so the two backends share one formula:
// they can differ only by the last-ulp rounding of their math libraries
// (glibc's expf vs CUDA's, both within 1-2 ulp).
//
// Conventions:
//   - T is the compute type: float, double, or an integer type for the
//     arithmetic ops. On CUDA, bfloat16/float16 compute in float (the kernel
//     widens, calls F<float>, rounds once).
//   - A functor with parameters takes its attribute struct (kernels/attrs.h)
//     in its constructor; the kernels construct it once per call on the host.
//   - Only C math functions are called (expf, ::exp, ...): they exist on the
//     host and on the device with the same names.
//
// The CPU may replace a functor by a vectorized specialization of a hot op
// (kernels/cpu/elementwise.cpp: float32 tanh) only if
// tests/test_math.cpp holds it to the functor here on a dense sweep.
#pragma once
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "core/hd.h"
#include "kernels/attrs.h"


namespace gantry {
namespace math {

// ------------------------------------------------ C math, by overload
GANTRY_HD float m_exp(float x) { return ::expf(x); }
GANTRY_HD double m_exp(double x) { return ::exp(x); }
GANTRY_HD float m_expm1(float x) { return ::expm1f(x); }
GANTRY_HD double m_expm1(double x) { return ::expm1(x); }
GANTRY_HD float m_log(float x) { return ::logf(x); }
GANTRY_HD double m_log(double x) { return ::log(x); }
GANTRY_HD float m_log1p(float x) { return ::log1pf(x); }
GANTRY_HD double m_log1p(double x) { return ::log1p(x); }
GANTRY_HD float m_sqrt(float x) { return ::sqrtf(x); }
GANTRY_HD double m_sqrt(double x) { return ::sqrt(x); }
GANTRY_HD float m_tanh(float x) { return ::tanhf(x); }
GANTRY_HD double m_tanh(double x) { return ::tanh(x); }
GANTRY_HD float m_erf(float x) { return ::erff(x); }
GANTRY_HD double m_erf(double x) { return ::erf(x); }
GANTRY_HD float m_floor(float x) { return ::floorf(x); }
GANTRY_HD double m_floor(double x) { return ::floor(x); }
GANTRY_HD float m_fabs(float x) { return ::fabsf(x); }
GANTRY_HD double m_fabs(double x) { return ::fabs(x); }
GANTRY_HD float m_pow(float a, float b) { return ::powf(a, b); }
GANTRY_HD double m_pow(double a, double b) { return ::pow(a, b); }

// NaN test that also compiles (and is false) for integers.
template <typename T>
GANTRY_HD bool is_nan(T v) {
  return v != v;
}

// ---------------------------------------------------- arithmetic (any T)
template <typename T> struct Neg {
  GANTRY_HD T operator()(T a) const { return -a; }
};
template <typename T> struct Abs {
  GANTRY_HD T operator()(T a) const { return a < T(0) ? T(-a) : a; }
};
template <typename T> struct Add {
  GANTRY_HD T operator()(T a, T b) const { return a + b; }
};
template <typename T> struct Sub {
  GANTRY_HD T operator()(T a, T b) const { return a - b; }
};
template <typename T> struct Mul {
  GANTRY_HD T operator()(T a, T b) const { return a * b; }
};
// maximum/minimum propagate NaN (as PyTorch's): a + b is NaN when either is.
template <typename T> struct Maximum {
  GANTRY_HD T operator()(T a, T b) const {
    if (is_nan(a) || is_nan(b)) return a + b;
    return a > b ? a : b;
  }
};
template <typename T> struct Minimum {
  GANTRY_HD T operator()(T a, T b) const {
    if (is_nan(a) || is_nan(b)) return a + b;
    return a < b ? a : b;
  }
};

// ------------------------------------------------ comparisons (uint8 out)
template <typename T> struct Eq {
  GANTRY_HD uint8_t operator()(T a, T b) const { return a == b; }
};
template <typename T> struct Ne {
  GANTRY_HD uint8_t operator()(T a, T b) const { return a != b; }
};
template <typename T> struct Lt {
  GANTRY_HD uint8_t operator()(T a, T b) const { return a < b; }
};
template <typename T> struct Le {
  GANTRY_HD uint8_t operator()(T a, T b) const { return a <= b; }
};
template <typename T> struct Gt {
  GANTRY_HD uint8_t operator()(T a, T b) const { return a > b; }
};
template <typename T> struct Ge {
  GANTRY_HD uint8_t operator()(T a, T b) const { return a >= b; }
};

// ------------------------------------------------ floating functions
template <typename T> struct Div {
  GANTRY_HD T operator()(T a, T b) const { return a / b; }
};
template <typename T> struct Pow {
  GANTRY_HD T operator()(T a, T b) const { return m_pow(a, b); }
};
template <typename T> struct Exp {
  GANTRY_HD T operator()(T a) const { return m_exp(a); }
};
template <typename T> struct Log {
  GANTRY_HD T operator()(T a) const { return m_log(a); }
};
template <typename T> struct Sqrt {
  GANTRY_HD T operator()(T a) const { return m_sqrt(a); }
};
template <typename T> struct Rsqrt {
  GANTRY_HD T operator()(T a) const { return T(1) / m_sqrt(a); }
};
template <typename T> struct Sign {
  GANTRY_HD T operator()(T a) const { return T((a > T(0)) - (a < T(0))); }
};
template <typename T> struct Floor {
  GANTRY_HD T operator()(T a) const { return m_floor(a); }
};
template <typename T> struct Relu {
  GANTRY_HD T operator()(T a) const { return a > T(0) ? a : T(0); }
};
template <typename T> struct Tanh {
  GANTRY_HD T operator()(T a) const { return m_tanh(a); }
};
// Stable for both signs: never exponentiates a large positive number.
template <typename T> struct Sigmoid {
  GANTRY_HD T operator()(T a) const {
    if (a >= T(0)) return T(1) / (T(1) + m_exp(-a));
    const T e = m_exp(a);
    return e / (T(1) + e);
  }
};
// log(1 + e^a) = max(a, 0) + log1p(e^-|a|)
template <typename T> struct Softplus {
  GANTRY_HD T operator()(T a) const { return (a > T(0) ? a : T(0)) + m_log1p(m_exp(-m_fabs(a))); }
};
template <typename T> struct Erf {
  GANTRY_HD T operator()(T a) const { return m_erf(a); }
};
// Exact GELU: x * Phi(x) = x/2 (1 + erf(x / sqrt 2))
template <typename T> struct Gelu {
  GANTRY_HD T operator()(T a) const {
    return T(0.5) * a * (T(1) + m_erf(a * T(0.70710678118654752440)));
  }
};

// prelu: (x, w) -> x > 0 ? x : w x, w the slope of x's channel (the API
// broadcasts the per-channel weight [C] to x's shape).
template <typename T> struct Prelu {
  GANTRY_HD T operator()(T x, T w) const { return x > T(0) ? x : w * x; }
};

// ------------------------------------------------ with attributes
template <typename T> struct LeakyRelu {
  T slope;
  explicit LeakyRelu(const kernels::SlopeAttrs& a) : slope(static_cast<T>(a.slope)) {}
  GANTRY_HD T operator()(T x) const { return x > T(0) ? x : x * slope; }
};
// The first-order backward of leaky_relu (relu's with slope 0), fused:
// (x, g) -> x > 0 ? g : slope * g.
template <typename T> struct LeakyReluBackward {
  T slope;
  explicit LeakyReluBackward(const kernels::SlopeAttrs& a) : slope(static_cast<T>(a.slope)) {}
  GANTRY_HD T operator()(T x, T g) const { return x > T(0) ? g : g * slope; }
};
template <typename T> struct Elu {
  T alpha;
  explicit Elu(const kernels::EluAttrs& a) : alpha(static_cast<T>(a.alpha)) {}
  GANTRY_HD T operator()(T x) const { return x > T(0) ? x : alpha * m_expm1(x); }
};
// NaN passes through.
template <typename T> struct Clamp {
  T lo, hi;
  explicit Clamp(const kernels::ClampAttrs& a)
      : lo(static_cast<T>(a.lo)), hi(static_cast<T>(a.hi)) {}
  GANTRY_HD T operator()(T x) const {
    if (is_nan(x)) return x;
    return x < lo ? lo : (x > hi ? hi : x);
  }
};

// bias_act: y = clamp(act(x + b) * gain, -clamp, clamp); no clamp if clamp < 0.
template <typename T> struct BiasAct {
  kernels::Activation act;
  T alpha, gain, clamp;
  explicit BiasAct(const kernels::BiasActAttrs& a)
      : act(a.act), alpha(static_cast<T>(a.alpha)), gain(static_cast<T>(a.gain)),
        clamp(static_cast<T>(a.clamp)) {}
  GANTRY_HD T operator()(T x, T b) const {
    T z = x + b;
    switch (act) {
      case kernels::Activation::Linear: break;
      case kernels::Activation::Relu: z = z > T(0) ? z : T(0); break;
      case kernels::Activation::LeakyRelu: z = z > T(0) ? z : z * alpha; break;
      case kernels::Activation::Tanh: z = m_tanh(z); break;
      case kernels::Activation::Sigmoid: z = Sigmoid<T>()(z); break;
    }
    z = z * gain;
    if (clamp >= T(0)) z = z > clamp ? clamp : (z < -clamp ? -clamp : z);
    return z;
  }
};
// bias_act's first-order backward from its output y (not its input):
// (g, y) -> g * gain * act'(z), 0 where the clamp cut y off. Each activation's
// derivative is a function of its value, s = y / gain:
//   linear 1;  relu s > 0;  leaky relu s > 0 ? 1 : alpha;  tanh 1 - s^2;
//   sigmoid s (1 - s).
template <typename T> struct BiasActGrad {
  kernels::Activation act;
  T alpha, gain, clamp;
  explicit BiasActGrad(const kernels::BiasActAttrs& a)
      : act(a.act), alpha(static_cast<T>(a.alpha)), gain(static_cast<T>(a.gain)),
        clamp(static_cast<T>(a.clamp)) {}
  GANTRY_HD T operator()(T g, T y) const {
    if (clamp >= T(0) && !(y < clamp && y > -clamp)) return T(0);
    const T s = y / gain;
    T d = T(1);
    switch (act) {
      case kernels::Activation::Linear: break;
      case kernels::Activation::Relu: d = s > T(0) ? T(1) : T(0); break;
      case kernels::Activation::LeakyRelu: d = s > T(0) ? T(1) : alpha; break;
      case kernels::Activation::Tanh: d = T(1) - s * s; break;
      case kernels::Activation::Sigmoid: d = s * (T(1) - s); break;
    }
    return g * gain * d;
  }
};

// The functor of an op, built from the call's attributes (attribute-free
// functors are default-constructed).
template <typename F, typename A>
F make_functor(const A& attrs) {
  if constexpr (std::is_constructible<F, const A&>::value) {
    return F(attrs);
  } else {
    (void)attrs;
    return F{};
  }
}

}  // namespace math
}  // namespace gantry
