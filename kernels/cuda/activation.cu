// kernels/cuda/activation.cu — CUDA kernels for the floating-point unary
// functions and activations, float32 and float64, with the formulas of
// kernels/cpu/elementwise.cpp (so both backends round the same way up to the
// last-ulp differences of the math libraries):
//
//   exp log sqrt rsqrt sign relu tanh sigmoid softplus erf gelu
//   leaky_relu{slope} elu{alpha} clamp{lo, hi}   (Attrs.scalars)
//   leaky_relu_backward{slope}(x, g)              (relu's too, slope 0)
//
// float32 calls the single-precision functions (expf, ...); nvcc's default
// accurate (non --use_fast_math) versions are within 1-2 ulp. bfloat16 and
// float16 (GPU only) run the float32 functors on widened values and round the
// result once (elementwise.cuh), so they are within half an ulp of the
// float32 result's rounding.
#include <cmath>

#include "kernels/cuda/elementwise.cuh"

namespace gantry {
namespace cuda {
namespace {

#define GANTRY_MATH1(NAME, F32, F64)                                             \
  __device__ __forceinline__ float m_##NAME(float x) { return F32(x); }         \
  __device__ __forceinline__ double m_##NAME(double x) { return F64(x); }
GANTRY_MATH1(exp, expf, ::exp)
GANTRY_MATH1(log, logf, ::log)
GANTRY_MATH1(sqrt, sqrtf, ::sqrt)
GANTRY_MATH1(tanh, tanhf, ::tanh)
GANTRY_MATH1(erf, erff, ::erf)
GANTRY_MATH1(log1p, log1pf, ::log1p)
GANTRY_MATH1(expm1, expm1f, ::expm1)
GANTRY_MATH1(fabs, fabsf, ::fabs)
#undef GANTRY_MATH1

template <typename T> struct Exp {
  static constexpr const char* name = "exp";
  __device__ T operator()(T a) const { return m_exp(a); }
};
template <typename T> struct Log {
  static constexpr const char* name = "log";
  __device__ T operator()(T a) const { return m_log(a); }
};
template <typename T> struct Sqrt {
  static constexpr const char* name = "sqrt";
  __device__ T operator()(T a) const { return m_sqrt(a); }
};
template <typename T> struct Rsqrt {
  static constexpr const char* name = "rsqrt";
  __device__ T operator()(T a) const { return T(1) / m_sqrt(a); }
};
template <typename T> struct Sign {
  static constexpr const char* name = "sign";
  __device__ T operator()(T a) const { return T((a > T(0)) - (a < T(0))); }
};
template <typename T> struct Relu {
  static constexpr const char* name = "relu";
  __device__ T operator()(T a) const { return a > T(0) ? a : T(0); }
};
template <typename T> struct Tanh {
  static constexpr const char* name = "tanh";
  __device__ T operator()(T a) const { return m_tanh(a); }
};
template <typename T> struct Sigmoid {  // never exponentiates a large positive number
  static constexpr const char* name = "sigmoid";
  __device__ T operator()(T a) const {
    if (a >= T(0)) return T(1) / (T(1) + m_exp(-a));
    const T e = m_exp(a);
    return e / (T(1) + e);
  }
};
template <typename T> struct Softplus {  // max(a, 0) + log1p(e^-|a|)
  static constexpr const char* name = "softplus";
  __device__ T operator()(T a) const {
    return (a > T(0) ? a : T(0)) + m_log1p(m_exp(-m_fabs(a)));
  }
};
template <typename T> struct Erf {
  static constexpr const char* name = "erf";
  __device__ T operator()(T a) const { return m_erf(a); }
};
template <typename T> struct Gelu {  // exact: x * Phi(x)
  static constexpr const char* name = "gelu";
  __device__ T operator()(T a) const {
    return T(0.5) * a * (T(1) + m_erf(a * T(0.70710678118654752440)));
  }
};
template <typename T> struct LeakyRelu {
  T slope;
  __device__ T operator()(T x) const { return x > T(0) ? x : x * slope; }
};
template <typename T> struct Elu {
  T alpha;
  __device__ T operator()(T x) const { return x > T(0) ? x : alpha * m_expm1(x); }
};
template <typename T> struct Clamp {  // NaN passes through
  T lo, hi;
  __device__ T operator()(T x) const {
    if (isnan(x)) return x;
    return x < lo ? lo : (x > hi ? hi : x);
  }
};

// leaky_relu: scalars = {slope}
template <typename T>
void leaky_relu(const Tensors& in, const Tensors& out, const kernels::Attrs& a) {
  launch_elementwise<T, T, 1>("leaky_relu", in, out.at(0),
                              LeakyRelu<acc_t<T>>{static_cast<acc_t<T>>(a.scalars.at(0))});
}
// leaky_relu_backward: in = {x, g}, scalars = {slope}; dx = x > 0 ? g : slope * g
// (relu's first-order backward with slope 0), as on the CPU.
template <typename T>
struct LeakyReluBackward {
  T slope;
  __device__ T operator()(T x, T g) const { return x > T(0) ? g : g * slope; }
};
template <typename T>
void leaky_relu_backward(const Tensors& in, const Tensors& out, const kernels::Attrs& a) {
  using A = acc_t<T>;
  launch_elementwise<T, T, 2>("leaky_relu_backward", in, out.at(0),
                              LeakyReluBackward<A>{static_cast<A>(a.scalars.at(0))});
}
// elu: scalars = {alpha}
template <typename T>
void elu(const Tensors& in, const Tensors& out, const kernels::Attrs& a) {
  launch_elementwise<T, T, 1>("elu", in, out.at(0),
                              Elu<acc_t<T>>{static_cast<acc_t<T>>(a.scalars.at(0))});
}
// clamp: scalars = {lo, hi} (-inf / +inf for a missing bound)
template <typename T>
void clamp(const Tensors& in, const Tensors& out, const kernels::Attrs& a) {
  launch_elementwise<T, T, 1>(
      "clamp", in, out.at(0),
      Clamp<acc_t<T>>{static_cast<acc_t<T>>(a.scalars.at(0)),
                     static_cast<acc_t<T>>(a.scalars.at(1))});
}

template <typename T>
void register_for(kernels::Registry& r, DType d) {
  const auto C = DeviceType::CUDA;
  r.add("exp", C, d, "cuda", unary_entry<T, Exp>);
  r.add("log", C, d, "cuda", unary_entry<T, Log>);
  r.add("sqrt", C, d, "cuda", unary_entry<T, Sqrt>);
  r.add("rsqrt", C, d, "cuda", unary_entry<T, Rsqrt>);
  r.add("sign", C, d, "cuda", unary_entry<T, Sign>);
  r.add("relu", C, d, "cuda", unary_entry<T, Relu>);
  r.add("tanh", C, d, "cuda", unary_entry<T, Tanh>);
  r.add("sigmoid", C, d, "cuda", unary_entry<T, Sigmoid>);
  r.add("softplus", C, d, "cuda", unary_entry<T, Softplus>);
  r.add("erf", C, d, "cuda", unary_entry<T, Erf>);
  r.add("gelu", C, d, "cuda", unary_entry<T, Gelu>);
  r.add("leaky_relu", C, d, "cuda", leaky_relu<T>);
  r.add("leaky_relu_backward", C, d, "cuda", leaky_relu_backward<T>);
  r.add("elu", C, d, "cuda", elu<T>);
  r.add("clamp", C, d, "cuda", clamp<T>);
}

}  // namespace
}  // namespace cuda

namespace kernels {
void register_cuda_activation(Registry& r) {
  cuda::register_for<float>(r, kFloat32);
  cuda::register_for<double>(r, kFloat64);
  cuda::register_for<cuda::bf16>(r, kBFloat16);
  cuda::register_for<cuda::f16>(r, kFloat16);
}
}  // namespace kernels
}  // namespace gantry
