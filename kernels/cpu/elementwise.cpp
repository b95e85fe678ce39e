// kernels/cpu/elementwise.cpp — the CPU kernels of every elementwise op.
//
// There is no list of ops here: every GANTRY_ELEMENTWISE entry of the op
// table (kernels/ops/elementwise.h) is instantiated below with its functor
// from kernels/math.h — the same scalar math the CUDA backend runs — for the
// entry's dtypes, and registered. `where` (three operands, one of them uint8)
// is the one hand-written kernel.
//
// Contract (set by kernels/ops/elementwise.h): every input already has the
// output's shape (broadcast inputs arrive as stride-0 expanded views; any
// strides are fine); the output is contiguous. The loops walk rows via
// core/strided.h; a row whose operands are all unit-stride takes a plain loop
// the compiler vectorizes.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "core/strided.h"
#include "kernels/math.h"
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

// ------------------------------------------- vectorized CPU specializations
// The CPU runs math::F<T> except where Cpu<F> names a faster, branch-free
// replacement the compiler vectorizes. Each replacement is held to the shared
// functor by tests/test_math.cpp on a dense sweep (tiny |x|, the saturation
// region, +-0, subnormals, NaN).
template <typename F> struct Cpu { using type = F; };

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

// float32 tanh (glibc's scalar tanhf made the DCGAN's output layer 7x slower
// than LibTorch's). Both branch-free pieces are computed and one is selected:
//   |x| < 0.55  the odd Taylor series x + x z P(z), z = x^2, to x^17
//               (truncation < 1e-8 relative): exact at +-0 and for tiny and
//               subnormal x, where 1 - 2/(e^2x + 1) would cancel to 0;
//   otherwise   1 - 2 / (e^{2|x|} + 1) with exp_f32 (tanh >= 0.5 there, so no
//               cancellation), saturating to exactly 1 from |x| = 9.2.
// Within a few ulp of tanhf everywhere (tests/test_math.cpp).
struct TanhF32 {
  float operator()(float a) const {
    const float ax = std::abs(a);
    const float e = exp_f32(2.0f * std::min(ax, 10.0f));
    const float big = std::copysign(1.0f - 2.0f / (e + 1.0f), a);
    const float z = a * a;
    float p = 5.900274409e-04f;
    p = p * z + -1.455834387e-03f;
    p = p * z + 3.592128037e-03f;
    p = p * z + -8.863235530e-03f;
    p = p * z + 2.186948854e-02f;
    p = p * z + -5.396825397e-02f;
    p = p * z + 1.333333333e-01f;
    p = p * z + -3.333333333e-01f;
    // tanh is odd: the sign is a's (also at -0, where z p = -0 would round to +0).
    const float small = std::copysign(a + a * (z * p), a);
    const float r = ax < 0.55f ? small : big;
    return a == a ? r : a;  // NaN passes through
  }
};
template <> struct Cpu<math::Tanh<float>> { using type = TanhF32; };

// ------------------------------------------------------- kernel entry points
template <typename T, template <typename> class F, typename A>
void unary(const Tensors& in, const Tensors& out, const OpAttrs& attrs) {
  using Fn = typename Cpu<F<T>>::type;
  if constexpr (std::is_same<Fn, F<T>>::value) {
    unary_loop<T, T>(in[0], out[0], math::make_functor<F<T>>(attrs.as<A>()));
  } else {
    unary_loop<T, T>(in[0], out[0], Fn{});
  }
}

template <typename T, template <typename> class F, typename A>
void binary(const Tensors& in, const Tensors& out, const OpAttrs& attrs) {
  binary_loop<T, T>(in[0], in[1], out[0], math::make_functor<F<T>>(attrs.as<A>()));
}

template <typename T, template <typename> class F, typename A>
void compare(const Tensors& in, const Tensors& out, const OpAttrs& attrs) {
  binary_loop<uint8_t, T>(in[0], in[1], out[0], math::make_functor<F<T>>(attrs.as<A>()));
}

// where: in = {a, b, cond (uint8)}; out = cond ? a : b. The condition comes
// last so the registry dispatches on the dtype of the values.
template <typename T>
void where(const Tensors& in, const Tensors& out, const OpAttrs&) {
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

GANTRY_KERNEL(where, DeviceType::CPU, kFloat32, "loop", where<float>);
GANTRY_KERNEL(where, DeviceType::CPU, kFloat64, "loop", where<double>);
GANTRY_KERNEL(where, DeviceType::CPU, kInt64, "loop", where<int64_t>);
GANTRY_KERNEL(where, DeviceType::CPU, kInt32, "loop", where<int32_t>);

// ------------------------------------------- registration from the op table
// One elementwise entry on one dtype: the kernel shape follows the entry's
// arity and types (Compare: uint8 output).
template <typename T, template <typename> class F, typename A, int NIn, EwTypes Types>
void add_elementwise(Registry& r, OpId op, DType d) {
  KernelFn fn;
  if constexpr (Types == EwTypes::Compare) {
    fn = compare<T, F, A>;
  } else if constexpr (NIn == 1) {
    fn = unary<T, F, A>;
  } else {
    fn = binary<T, F, A>;
  }
  r.add(op, DeviceType::CPU, d, "loop", fn);
}

template <template <typename> class F, typename A, int NIn, EwTypes Types>
void add_entry(Registry& r, OpId op) {
  static_assert(NIn == 1 || NIn == 2, "elementwise entries take 1 or 2 inputs");
  add_elementwise<float, F, A, NIn, Types>(r, op, kFloat32);
  add_elementwise<double, F, A, NIn, Types>(r, op, kFloat64);
  if constexpr (Types != EwTypes::Floating) {
    add_elementwise<int64_t, F, A, NIn, Types>(r, op, kInt64);
    add_elementwise<int32_t, F, A, NIn, Types>(r, op, kInt32);
  }
}

GANTRY_REGISTER_KERNELS(r) {
#define GANTRY_ELEMENTWISE(name, Functor, Attrs, n_in, types, flags) \
  add_entry<math::Functor, Attrs, n_in, EwTypes::types>(r, OpId::name);
#include "kernels/ops/all.h"
#undef GANTRY_ELEMENTWISE
}

}  // namespace
}  // namespace kernels
}  // namespace gantry
