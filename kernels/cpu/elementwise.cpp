// kernels/cpu/elementwise.cpp — CPU kernels for elementwise ops.
//
// Contract (set by autograd/ops_elementwise.cpp): every input already has the
// output's shape (broadcast inputs arrive as stride-0 expanded views; any
// strides are fine); the output is contiguous. The loops walk rows via
// core/strided.h; a row whose operands are all unit-stride takes a plain loop
// the compiler vectorizes.
//
// Ops: unary   neg exp log sqrt rsqrt abs sign relu tanh sigmoid softplus erf
//              gelu elu{alpha} leaky_relu{slope} clamp{lo,hi}
//      backward leaky_relu_backward{slope}(x, g)  (relu's too, slope 0)
//      binary  add sub mul div pow maximum minimum
//      compare eq ne lt le gt ge  (output uint8)
//      ternary where(a, b, cond uint8)
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "core/strided.h"
#include "kernels/registry.h"

namespace gantry {
namespace kernels {
namespace {

// ----------------------------------------------------------- loop drivers
template <typename O, typename A, typename F>
void unary_loop(const Tensor& x, const Tensor& out, F f) {
  StridedLayout<2> L(out.shape(), {out.strides(), x.strides()});
  O* po = static_cast<O*>(out.raw_data());
  const A* pa = static_cast<const A*>(x.raw_data());
  for_each_row(L, [&](std::array<int64_t, 2> off, int64_t n, std::array<int64_t, 2> s) {
    const F fn = f;  // a local copy: stores to o[] cannot alias its captured scalars
    O* o = po + off[0];
    const A* a = pa + off[1];
    if (s[1] == 1) {
      for (int64_t i = 0; i < n; ++i) o[i] = fn(a[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) o[i] = fn(a[i * s[1]]);
    }
  });
}

template <typename O, typename A, typename F>
void binary_loop(const Tensor& x, const Tensor& y, const Tensor& out, F f) {
  StridedLayout<3> L(out.shape(), {out.strides(), x.strides(), y.strides()});
  O* po = static_cast<O*>(out.raw_data());
  const A* pa = static_cast<const A*>(x.raw_data());
  const A* pb = static_cast<const A*>(y.raw_data());
  for_each_row(L, [&](std::array<int64_t, 3> off, int64_t n, std::array<int64_t, 3> s) {
    const F fn = f;  // a local copy: stores to o[] cannot alias its captured scalars
    O* o = po + off[0];
    const A* a = pa + off[1];
    const A* b = pb + off[2];
    if (s[1] == 1 && s[2] == 1) {
      for (int64_t i = 0; i < n; ++i) o[i] = fn(a[i], b[i]);
    } else if (s[1] == 1 && s[2] == 0) {  // tensor (op) scalar-like row
      const A bv = b[0];
      for (int64_t i = 0; i < n; ++i) o[i] = fn(a[i], bv);
    } else {
      for (int64_t i = 0; i < n; ++i) o[i] = fn(a[i * s[1]], b[i * s[2]]);
    }
  });
}

// ------------------------------------------------------------ functors
template <typename T> struct Neg { T operator()(T a) const { return -a; } };
template <typename T> struct Exp { T operator()(T a) const { return std::exp(a); } };
template <typename T> struct Log { T operator()(T a) const { return std::log(a); } };
template <typename T> struct Sqrt { T operator()(T a) const { return std::sqrt(a); } };
template <typename T> struct Rsqrt { T operator()(T a) const { return T(1) / std::sqrt(a); } };
template <typename T> struct Abs {
  T operator()(T a) const { return a < T(0) ? T(-a) : a; }
};
template <typename T> struct Sign {
  T operator()(T a) const { return T((a > T(0)) - (a < T(0))); }
};
template <typename T> struct Relu { T operator()(T a) const { return a > T(0) ? a : T(0); } };
// float32 exp for vectorized loops: e^x = 2^n * e^r with n = round(x / ln 2),
// |r| <= ln2/2, e^r by its degree-6 Taylor polynomial (truncation < 1.3e-7
// relative) and 2^n built in the exponent bits. Branch-free, so loops using it
// vectorize; inputs are clamped to [-87, 88] (no overflow to inf/denormals).
inline float exp_f32(float x) {
  x = x == x ? std::min(std::max(x, -87.0f), 88.0f) : 0.0f;  // NaN: callers pass it through
  const float n = std::nearbyint(x * 1.44269504088896341f);
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;  // ln2 split in two
  float p = 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

template <typename T> struct Tanh { T operator()(T a) const { return std::tanh(a); } };
// float32: tanh|x| = 1 - 2 / (e^{2|x|} + 1) with exp_f32 (absolute error
// ~1e-7; glibc's scalar tanhf made this 7x slower than LibTorch's).
template <> struct Tanh<float> {
  float operator()(float a) const {
    const float e = exp_f32(2.0f * std::min(std::abs(a), 10.0f));
    return a == a ? std::copysign(1.0f - 2.0f / (e + 1.0f), a) : a;
  }
};
template <typename T> struct Sigmoid {
  // Stable for both signs: never exponentiates a large positive number.
  T operator()(T a) const {
    if (a >= T(0)) return T(1) / (T(1) + std::exp(-a));
    T e = std::exp(a);
    return e / (T(1) + e);
  }
};
template <typename T> struct Softplus {
  // log(1 + e^a) = max(a, 0) + log1p(e^-|a|)
  T operator()(T a) const { return std::max(a, T(0)) + std::log1p(std::exp(-std::abs(a))); }
};
template <typename T> struct Erf { T operator()(T a) const { return std::erf(a); } };
template <typename T> struct Gelu {  // exact: x * Phi(x)
  T operator()(T a) const { return T(0.5) * a * (T(1) + std::erf(a * T(0.70710678118654752440))); }
};

template <typename T> struct Add { T operator()(T a, T b) const { return a + b; } };
template <typename T> struct Sub { T operator()(T a, T b) const { return a - b; } };
template <typename T> struct Mul { T operator()(T a, T b) const { return a * b; } };
template <typename T> struct Div { T operator()(T a, T b) const { return a / b; } };
template <typename T> struct Pow { T operator()(T a, T b) const { return std::pow(a, b); } };
// NaN-propagating max/min (as PyTorch's maximum/minimum).
template <typename T> struct Maximum {
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<T>::quiet_NaN();
    }
    return a > b ? a : b;
  }
};
template <typename T> struct Minimum {
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<T>::quiet_NaN();
    }
    return a < b ? a : b;
  }
};
template <typename T> struct Eq { uint8_t operator()(T a, T b) const { return a == b; } };
template <typename T> struct Ne { uint8_t operator()(T a, T b) const { return a != b; } };
template <typename T> struct Lt { uint8_t operator()(T a, T b) const { return a < b; } };
template <typename T> struct Le { uint8_t operator()(T a, T b) const { return a <= b; } };
template <typename T> struct Gt { uint8_t operator()(T a, T b) const { return a > b; } };
template <typename T> struct Ge { uint8_t operator()(T a, T b) const { return a >= b; } };

// ------------------------------------------------------- kernel entry points
template <typename T, template <typename> class F>
void unary(const Tensors& in, const Tensors& out, const Attrs&) {
  unary_loop<T, T>(in[0], out[0], F<T>{});
}

template <typename T, template <typename> class F>
void binary(const Tensors& in, const Tensors& out, const Attrs&) {
  binary_loop<T, T>(in[0], in[1], out[0], F<T>{});
}

template <typename T, template <typename> class F>
void compare(const Tensors& in, const Tensors& out, const Attrs&) {
  binary_loop<uint8_t, T>(in[0], in[1], out[0], F<T>{});
}

// leaky_relu: scalars = {slope}
template <typename T>
void leaky_relu(const Tensors& in, const Tensors& out, const Attrs& a) {
  const T s = static_cast<T>(a.scalars.at(0));
  unary_loop<T, T>(in[0], out[0], [s](T x) { return x > T(0) ? x : x * s; });
}

// leaky_relu_backward: in = {x, g}, scalars = {slope}; dx = x > 0 ? g : slope * g
// (relu's backward with slope 0). The first-order backward in one pass; a
// double backward uses the composed where(gt(x, 0), g, slope * g) instead.
template <typename T>
void leaky_relu_backward(const Tensors& in, const Tensors& out, const Attrs& a) {
  const T s = static_cast<T>(a.scalars.at(0));
  binary_loop<T, T>(in[0], in[1], out[0], [s](T x, T g) { return x > T(0) ? g : g * s; });
}

// elu: scalars = {alpha}; x > 0 ? x : alpha * (exp(x) - 1)
template <typename T>
void elu(const Tensors& in, const Tensors& out, const Attrs& a) {
  const T al = static_cast<T>(a.scalars.at(0));
  unary_loop<T, T>(in[0], out[0], [al](T x) { return x > T(0) ? x : al * std::expm1(x); });
}

// clamp: scalars = {lo, hi}; use -inf / +inf for a missing bound.
template <typename T>
void clamp(const Tensors& in, const Tensors& out, const Attrs& a) {
  const T lo = static_cast<T>(a.scalars.at(0)), hi = static_cast<T>(a.scalars.at(1));
  unary_loop<T, T>(in[0], out[0], [lo, hi](T x) {
    if (std::isnan(x)) return x;
    return x < lo ? lo : (x > hi ? hi : x);
  });
}

// where: in = {a, b, cond (uint8)}; out = cond ? a : b. The condition comes
// last so the registry dispatches on the dtype of the values.
template <typename T>
void where(const Tensors& in, const Tensors& out, const Attrs&) {
  const Tensor &x = in[0], &y = in[1], &c = in[2];
  const Tensor& o = out[0];
  StridedLayout<4> L(o.shape(), {o.strides(), c.strides(), x.strides(), y.strides()});
  T* po = static_cast<T*>(o.raw_data());
  const uint8_t* pc = static_cast<const uint8_t*>(c.raw_data());
  const T* px = static_cast<const T*>(x.raw_data());
  const T* py = static_cast<const T*>(y.raw_data());
  for_each_row(L, [&](std::array<int64_t, 4> off, int64_t n, std::array<int64_t, 4> s) {
    T* o = po + off[0];
    const uint8_t* c = pc + off[1];
    const T* a = px + off[2];
    const T* b = py + off[3];
    if (s[1] == 1 && s[2] == 1 && s[3] == 1) {  // all unit-stride: a loop the compiler vectorizes
      for (int64_t i = 0; i < n; ++i) o[i] = c[i] ? a[i] : b[i];
    } else if (s[1] == 1 && s[2] == 1 && s[3] == 0) {  // where(cond, x, scalar)
      const T bv = b[0];
      for (int64_t i = 0; i < n; ++i) o[i] = c[i] ? a[i] : bv;
    } else if (s[1] == 1 && s[2] == 0 && s[3] == 1) {  // where(cond, scalar, x)
      const T av = a[0];
      for (int64_t i = 0; i < n; ++i) o[i] = c[i] ? av : b[i];
    } else {
      for (int64_t i = 0; i < n; ++i) o[i] = c[i * s[1]] ? a[i * s[2]] : b[i * s[3]];
    }
  });
}

template <typename T>
void register_float_ops(Registry& r, DType d) {
  const auto C = DeviceType::CPU;
  r.add("exp", C, d, "loop", unary<T, Exp>);
  r.add("log", C, d, "loop", unary<T, Log>);
  r.add("sqrt", C, d, "loop", unary<T, Sqrt>);
  r.add("rsqrt", C, d, "loop", unary<T, Rsqrt>);
  r.add("sign", C, d, "loop", unary<T, Sign>);
  r.add("relu", C, d, "loop", unary<T, Relu>);
  r.add("tanh", C, d, "loop", unary<T, Tanh>);
  r.add("sigmoid", C, d, "loop", unary<T, Sigmoid>);
  r.add("softplus", C, d, "loop", unary<T, Softplus>);
  r.add("erf", C, d, "loop", unary<T, Erf>);
  r.add("gelu", C, d, "loop", unary<T, Gelu>);
  r.add("leaky_relu", C, d, "loop", leaky_relu<T>);
  r.add("leaky_relu_backward", C, d, "loop", leaky_relu_backward<T>);
  r.add("elu", C, d, "loop", elu<T>);
  r.add("clamp", C, d, "loop", clamp<T>);
  r.add("div", C, d, "loop", binary<T, Div>);
  r.add("pow", C, d, "loop", binary<T, Pow>);
}

// Ops that also make sense on integers (labels, indices, masks).
template <typename T>
void register_arith_ops(Registry& r, DType d) {
  const auto C = DeviceType::CPU;
  r.add("neg", C, d, "loop", unary<T, Neg>);
  r.add("abs", C, d, "loop", unary<T, Abs>);
  r.add("add", C, d, "loop", binary<T, Add>);
  r.add("sub", C, d, "loop", binary<T, Sub>);
  r.add("mul", C, d, "loop", binary<T, Mul>);
  r.add("maximum", C, d, "loop", binary<T, Maximum>);
  r.add("minimum", C, d, "loop", binary<T, Minimum>);
  r.add("eq", C, d, "loop", compare<T, Eq>);
  r.add("ne", C, d, "loop", compare<T, Ne>);
  r.add("lt", C, d, "loop", compare<T, Lt>);
  r.add("le", C, d, "loop", compare<T, Le>);
  r.add("gt", C, d, "loop", compare<T, Gt>);
  r.add("ge", C, d, "loop", compare<T, Ge>);
  r.add("where", C, d, "loop", where<T>);
}

}  // namespace

void register_cpu_elementwise(Registry& r) {
  register_float_ops<float>(r, kFloat32);
  register_float_ops<double>(r, kFloat64);
  register_arith_ops<float>(r, kFloat32);
  register_arith_ops<double>(r, kFloat64);
  register_arith_ops<int64_t>(r, kInt64);
  register_arith_ops<int32_t>(r, kInt32);
}

}  // namespace kernels
}  // namespace gantry
