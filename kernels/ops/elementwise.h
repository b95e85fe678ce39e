// kernels/ops/elementwise.h — the elementwise family of the op table: each
// op's entry, then its public API and derivative (see kernels/ops/begin.h for
// how this file is read). The scalar math of every GANTRY_ELEMENTWISE entry is
// its functor in kernels/math.h, which the CPU and CUDA backends both
// instantiate; `where` has hand-written kernels (three operands, one uint8).
//
// Broadcasting: binary ops broadcast as NumPy does; both operands must have
// the same dtype and device (no silent promotion). Scalar overloads convert
// the scalar to the tensor's dtype. Kernels see inputs already expanded to
// the output's shape (stride-0 views), and a contiguous output.
//
// Derivatives are written with these same differentiable ops, so they can be
// differentiated again. What a backward reads is kept as a SavedTensor
// (autograd/saved.h), checked against in-place writes, and only when the
// gradient that reads it is wanted: mul keeps b only if a requires grad. Ops
// whose derivative is a function of their output (exp, sqrt, rsqrt, tanh,
// sigmoid) keep the output alone, as data without a link back to the node (no
// reference cycle); under create_graph it is re-attached to its node, so
// higher-order gradients stay exact.
#include "kernels/ops/begin.h"

// ----------------------------------------------------------------- entries
//                 name        functor     attrs       in  types     flags
GANTRY_ELEMENTWISE(add,        Add,        NoAttrs,    2,  Arith,    kNoFlags)
GANTRY_ELEMENTWISE(sub,        Sub,        NoAttrs,    2,  Arith,    kNoFlags)
GANTRY_ELEMENTWISE(mul,        Mul,        NoAttrs,    2,  Arith,    kNoFlags)
GANTRY_ELEMENTWISE(div,        Div,        NoAttrs,    2,  Floating, kNoFlags)
GANTRY_ELEMENTWISE(pow,        Pow,        NoAttrs,    2,  Floating, kNoFlags)
GANTRY_ELEMENTWISE(maximum,    Maximum,    NoAttrs,    2,  Arith,    kNoFlags)
GANTRY_ELEMENTWISE(minimum,    Minimum,    NoAttrs,    2,  Arith,    kNoFlags)
GANTRY_ELEMENTWISE(eq,         Eq,         NoAttrs,    2,  Compare,  kNotDifferentiable)
GANTRY_ELEMENTWISE(ne,         Ne,         NoAttrs,    2,  Compare,  kNotDifferentiable)
GANTRY_ELEMENTWISE(lt,         Lt,         NoAttrs,    2,  Compare,  kNotDifferentiable)
GANTRY_ELEMENTWISE(le,         Le,         NoAttrs,    2,  Compare,  kNotDifferentiable)
GANTRY_ELEMENTWISE(gt,         Gt,         NoAttrs,    2,  Compare,  kNotDifferentiable)
GANTRY_ELEMENTWISE(ge,         Ge,         NoAttrs,    2,  Compare,  kNotDifferentiable)
GANTRY_ELEMENTWISE(neg,        Neg,        NoAttrs,    1,  Arith,    kNoFlags)
GANTRY_ELEMENTWISE(abs,        Abs,        NoAttrs,    1,  Arith,    kNoFlags)
GANTRY_ELEMENTWISE(exp,        Exp,        NoAttrs,    1,  Floating, kNoFlags)
GANTRY_ELEMENTWISE(log,        Log,        NoAttrs,    1,  Floating, kNoFlags)
GANTRY_ELEMENTWISE(sqrt,       Sqrt,       NoAttrs,    1,  Floating, kNoFlags)
GANTRY_ELEMENTWISE(rsqrt,      Rsqrt,      NoAttrs,    1,  Floating, kNoFlags)
GANTRY_ELEMENTWISE(sign,       Sign,       NoAttrs,    1,  Floating, kNoFlags)
GANTRY_ELEMENTWISE(floor,      Floor,      NoAttrs,    1,  Floating, kNoFlags)
GANTRY_ELEMENTWISE(relu,       Relu,       NoAttrs,    1,  Floating, kNoFlags)
GANTRY_ELEMENTWISE(leaky_relu, LeakyRelu,  SlopeAttrs, 1,  Floating, kNoFlags)
// relu's and leaky_relu's first-order backward in one pass (x, g) -> dx;
// a double backward differentiates the composed form instead.
GANTRY_ELEMENTWISE(leaky_relu_backward, LeakyReluBackward, SlopeAttrs, 2, Floating, kNotDifferentiable)
GANTRY_ELEMENTWISE(tanh,       Tanh,       NoAttrs,    1,  Floating, kNoFlags)
GANTRY_ELEMENTWISE(sigmoid,    Sigmoid,    NoAttrs,    1,  Floating, kNoFlags)
GANTRY_ELEMENTWISE(softplus,   Softplus,   NoAttrs,    1,  Floating, kNoFlags)
GANTRY_ELEMENTWISE(erf,        Erf,        NoAttrs,    1,  Floating, kNoFlags)
GANTRY_ELEMENTWISE(gelu,       Gelu,       NoAttrs,    1,  Floating, kNoFlags)
GANTRY_ELEMENTWISE(elu,        Elu,        EluAttrs,   1,  Floating, kNoFlags)
GANTRY_ELEMENTWISE(prelu,      Prelu,      NoAttrs,    2,  Floating, kNoFlags)  // (x, w broadcast)
GANTRY_ELEMENTWISE(clamp,      Clamp,      ClampAttrs, 1,  Floating, kNoFlags)
// where(a, b, cond uint8) = cond ? a : b. The condition comes last so the
// registry dispatches on the values' dtype. Kernels: kernels/cpu/elementwise.cpp,
// kernels/cuda/elementwise.cu.
GANTRY_OP(where, NoAttrs, 3, 1, kNoFlags)

// ------------------------------------------------------------- public API
#if defined(GANTRY_OPS_DECLARE)
namespace gantry {
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);  // ties split the gradient
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor add(const Tensor& a, double b);
Tensor sub(const Tensor& a, double b);
Tensor sub(double a, const Tensor& b);
Tensor mul(const Tensor& a, double b);
Tensor div(const Tensor& a, double b);
Tensor div(double a, const Tensor& b);
Tensor pow(const Tensor& a, double b);
Tensor maximum(const Tensor& a, double b);
Tensor minimum(const Tensor& a, double b);

// Comparisons: uint8 results (1 = true), never differentiable.
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, double b);
Tensor ne(const Tensor& a, double b);
Tensor lt(const Tensor& a, double b);
Tensor le(const Tensor& a, double b);
Tensor gt(const Tensor& a, double b);
Tensor ge(const Tensor& a, double b);

// cond (uint8, broadcastable) ? a : b — differentiable in a and b.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, double b);

Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor sign(const Tensor& x);    // gradient 0
Tensor floor(const Tensor& x);   // the largest integer <= x; gradient 0
Tensor square(const Tensor& x);  // x * x
Tensor relu(const Tensor& x);
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor softplus(const Tensor& x);  // log(1 + e^x), stable
Tensor erf(const Tensor& x);
Tensor gelu(const Tensor& x);  // exact (erf) form
Tensor elu(const Tensor& x, double alpha = 1.0);
// x [N, C, *], weight [C] (one learned slope per channel) or [1] (shared):
// x > 0 ? x : weight[c] * x.
Tensor prelu(const Tensor& x, const Tensor& weight);
// Use +-infinity for a missing bound.
Tensor clamp(const Tensor& x, double lo, double hi);

// Broadcast result shape of a and b; `op` names the caller in errors.
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);
}  // namespace gantry
#endif  // GANTRY_OPS_DECLARE

// ------------------------------------------------ definitions, derivatives
#if defined(GANTRY_OPS_DEFINE)
#include <cmath>
#include <limits>

namespace gantry {

using detail::scalar_like;
using kernels::OpId;

Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b) {
  const size_t n = std::max(a.size(), b.size());
  Shape r(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    GANTRY_CHECK(da == db || da == 1 || db == 1, op, ": shapes ", shape_str(a), " and ",
                 shape_str(b), " cannot be broadcast (dim ", i, ": ", da, " vs ", db, ")");
    r[i] = da == 1 ? db : da;
  }
  return r;
}

namespace {

// Runs an elementwise kernel over broadcast inputs into a new output.
Tensor run_elementwise(OpId op, const Tensors& ins, DType out_dtype,
                       const kernels::OpAttrs& attrs = {}) {
  const char* name = kernels::op_name(op);
  Shape s = ins[0].shape();
  for (size_t i = 1; i < ins.size(); ++i) s = broadcast_shapes(name, s, ins[i].shape());
  Tensors expanded;
  for (const auto& t : ins) expanded.push_back(t.shape() == s ? t : core::expand(t, s));
  Tensor out = detail::new_output(ins[0], s, out_dtype);
  kernels::run(op, expanded, {out}, attrs);
  return out;
}

Tensor binary(OpId op, const Tensor& a, const Tensor& b) {
  detail::check_same(kernels::op_name(op), a, b);
  return run_elementwise(op, {a, b}, a.dtype());
}

Tensor unary(OpId op, const Tensor& x, const kernels::OpAttrs& attrs = {}) {
  detail::check_defined(kernels::op_name(op), x);
  Tensor out = detail::new_output(x, x.shape(), x.dtype());
  kernels::run(op, {x}, {out}, attrs);
  return out;
}

Tensor unary_float(OpId op, const Tensor& x, const kernels::OpAttrs& attrs = {}) {
  detail::check_defined(kernels::op_name(op), x);
  detail::check_floating(kernels::op_name(op), x);
  return unary(op, x, attrs);
}

// g where mask, else 0.
Tensor masked(const Tensor& mask, const Tensor& g) { return where(mask, g, 0.0); }

// (Leaky) relu's first-order backward in one kernel pass: x > 0 ? g : slope * g.
// Used only when no graph is being built; otherwise the composed form is
// differentiated again (double backward).
Tensor leaky_relu_grad_fused(const Tensor& x, const Tensor& g, double slope) {
  detail::check_same("leaky_relu_backward", x, g);
  Tensor dx = detail::new_output(x, x.shape(), x.dtype());
  kernels::run(OpId::leaky_relu_backward, {x, g.shape() == x.shape() ? g : expand(g, x.shape())},
               {dx}, kernels::SlopeAttrs{slope});
  return dx;
}

}  // namespace

// ------------------------------------------------------------------ binary
// d(a + b) = (g, g), each summed back to its operand's shape (broadcasting).
Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = binary(OpId::add, a, b);
  record("AddBackward", {a, b}, {out}, [sa = a.shape(), sb = b.shape()](const Tensors& g, const NeedMask& n) {
    return Tensors{n[0] ? sum_to(g[0], sa) : Tensor(), n[1] ? sum_to(g[0], sb) : Tensor()};
  });
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = binary(OpId::sub, a, b);
  record("SubBackward", {a, b}, {out}, [sa = a.shape(), sb = b.shape()](const Tensors& g, const NeedMask& n) {
    return Tensors{n[0] ? sum_to(g[0], sa) : Tensor(), n[1] ? neg(sum_to(g[0], sb)) : Tensor()};
  });
  return out;
}

// d(a b) = (g b, g a)
Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary(OpId::mul, a, b);
  // b is read only for a's gradient, and a only for b's.
  record("MulBackward", {a, b}, {out},
         [sa = save_if(will_need_grad(b), a, "self"), sb = save_if(will_need_grad(a), b, "other"),
          as = a.shape(), bs = b.shape()](const Tensors& g, const NeedMask& n) {
           return Tensors{n[0] ? sum_to(mul(g[0], sb.unpack()), as) : Tensor(),
                          n[1] ? sum_to(mul(g[0], sa.unpack()), bs) : Tensor()};
         });
  return out;
}

// d(a / b) = (g / b, -g a / b^2)
Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = binary(OpId::div, a, b);
  // Both gradients read b; only b's reads a.
  record("DivBackward", {a, b}, {out},
         [sa = save_if(will_need_grad(b), a, "self"), sb = save(b, "other"), as = a.shape()](
             const Tensors& g, const NeedMask& n) {
           const Tensor bv = sb.unpack();
           return Tensors{n[0] ? sum_to(div(g[0], bv), as) : Tensor(),
                          n[1] ? sum_to(neg(div(mul(g[0], sa.unpack()), mul(bv, bv))), bv.shape())
                               : Tensor()};
         });
  return out;
}

Tensor pow(const Tensor& a, const Tensor& b) {
  Tensor out = binary(OpId::pow, a, b);
  record("PowBackward", {a, b}, {out}, [sa = save(a, "self"), sb = save(b, "exponent")](
                                          const Tensors& g, const NeedMask& n) {
    const Tensor a = sa.unpack(), b = sb.unpack();
    Tensor ga, gb;
    // d/da a^b = b a^(b-1)
    // (0 where b == 0: a^0 is constant, even at a == 0 where a^(b-1) is inf)
    if (n[0])
      ga = sum_to(where(eq(b, 0.0), scalar_like(a, 0.0), mul(g[0], mul(b, pow(a, sub(b, 1.0))))),
                  a.shape());
    // d/db a^b = a^b log a (0 where a == 0, as the limit for b > 0)
    if (n[1]) {
      Tensor t = mul(pow(a, b), log(where(eq(a, 0.0), scalar_like(a, 1.0), a)));
      gb = sum_to(mul(g[0], t), b.shape());
    }
    return Tensors{ga, gb};
  });
  return out;
}

namespace {
// maximum/minimum: the winner takes the gradient, ties split it in half.
Tensor extremum2(OpId op, const char* name, const Tensor& a, const Tensor& b, bool is_max) {
  Tensor out = binary(op, a, b);
  record(name, {a, b}, {out}, [sa = save(a, "self"), sb = save(b, "other"), is_max](
                                 const Tensors& g, const NeedMask& n) {
    const Tensor a = sa.unpack(), b = sb.unpack();
    Tensor win_a = is_max ? gt(a, b) : lt(a, b), tie = eq(a, b);
    Tensor half = mul(g[0], 0.5);
    Tensor ga, gb;
    if (n[0]) ga = sum_to(where(win_a, g[0], masked(tie, half)), a.shape());
    if (n[1]) {
      Tensor win_b = is_max ? lt(a, b) : gt(a, b);
      gb = sum_to(where(win_b, g[0], masked(tie, half)), b.shape());
    }
    return Tensors{ga, gb};
  });
  return out;
}
}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b) {
  return extremum2(OpId::maximum, "MaximumBackward", a, b, true);
}
Tensor minimum(const Tensor& a, const Tensor& b) {
  return extremum2(OpId::minimum, "MinimumBackward", a, b, false);
}

Tensor add(const Tensor& a, double b) { return add(a, scalar_like(a, b)); }
Tensor sub(const Tensor& a, double b) { return sub(a, scalar_like(a, b)); }
Tensor sub(double a, const Tensor& b) { return sub(scalar_like(b, a), b); }
Tensor mul(const Tensor& a, double b) { return mul(a, scalar_like(a, b)); }
Tensor div(const Tensor& a, double b) { return div(a, scalar_like(a, b)); }
Tensor div(double a, const Tensor& b) { return div(scalar_like(b, a), b); }
Tensor pow(const Tensor& a, double b) { return pow(a, scalar_like(a, b)); }
Tensor maximum(const Tensor& a, double b) { return maximum(a, scalar_like(a, b)); }
Tensor minimum(const Tensor& a, double b) { return minimum(a, scalar_like(a, b)); }

// ------------------------------------------------------------- comparisons
#define GANTRY_COMPARE(NAME)                                                  \
  Tensor NAME(const Tensor& a, const Tensor& b) {                             \
    detail::check_same(#NAME, a, b);                                          \
    return run_elementwise(OpId::NAME, {a, b}, kUInt8);                       \
  }                                                                           \
  Tensor NAME(const Tensor& a, double b) {                                    \
    /* an integer tensor against a fractional scalar compares in float64 */   \
    if (!is_floating(a.dtype()) && b != std::floor(b))                        \
      return NAME(core::cast(a, kFloat64), b);                                \
    return NAME(a, scalar_like(a, b));                                        \
  }
GANTRY_COMPARE(eq)
GANTRY_COMPARE(ne)
GANTRY_COMPARE(lt)
GANTRY_COMPARE(le)
GANTRY_COMPARE(gt)
GANTRY_COMPARE(ge)
#undef GANTRY_COMPARE

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  detail::check_same("where", a, b);
  detail::check_defined("where", cond, "condition");
  GANTRY_CHECK(cond.dtype() == kUInt8, "where: condition must be uint8 (a comparison result), ",
               "got ", tensor_desc(cond));
  GANTRY_CHECK(cond.device() == a.device(), "where: condition on ", cond.device().str(),
               " but values on ", a.device().str());
  Tensor out = run_elementwise(OpId::where, {a, b, cond}, a.dtype());
  record("WhereBackward", {a, b}, {out}, [sc = save(cond, "condition"), sa = a.shape(), sb = b.shape()](
                                            const Tensors& g, const NeedMask& n) {
    const Tensor cond = sc.unpack();
    Tensor zero = scalar_like(g[0], 0.0);
    return Tensors{n[0] ? sum_to(where(cond, g[0], zero), sa) : Tensor(),
                   n[1] ? sum_to(where(cond, zero, g[0]), sb) : Tensor()};
  });
  return out;
}

Tensor where(const Tensor& cond, const Tensor& a, double b) {
  return where(cond, a, scalar_like(a, b));
}

// ------------------------------------------------------------------- unary
Tensor neg(const Tensor& x) {
  Tensor out = unary(OpId::neg, x);
  record("NegBackward", {x}, {out}, [](const Tensors& g, const NeedMask&) {
    return Tensors{neg(g[0])};
  });
  return out;
}

// d e^x = g e^x
Tensor exp(const Tensor& x) {
  Tensor out = unary_float(OpId::exp, x);
  record("ExpBackward", {x}, {out}, [sy = save_output(out, "result")](const Tensors& g, const NeedMask&) {
    return Tensors{mul(g[0], sy.unpack())};
  });
  return out;
}

// d log x = g / x
Tensor log(const Tensor& x) {
  Tensor out = unary_float(OpId::log, x);
  record("LogBackward", {x}, {out}, [sx = save(x, "self")](const Tensors& g, const NeedMask&) {
    return Tensors{div(g[0], sx.unpack())};
  });
  return out;
}

// d sqrt x = g / (2 sqrt x)
Tensor sqrt(const Tensor& x) {
  Tensor out = unary_float(OpId::sqrt, x);
  record("SqrtBackward", {x}, {out}, [sy = save_output(out, "result")](const Tensors& g, const NeedMask&) {
    return Tensors{div(mul(g[0], 0.5), sy.unpack())};
  });
  return out;
}

Tensor rsqrt(const Tensor& x) {
  Tensor out = unary_float(OpId::rsqrt, x);
  record("RsqrtBackward", {x}, {out}, [sy = save_output(out, "result")](const Tensors& g, const NeedMask&) {
    const Tensor r = sy.unpack();  // d/dx x^-1/2 = -1/2 r^3
    return Tensors{mul(g[0], mul(mul(r, mul(r, r)), -0.5))};
  });
  return out;
}

Tensor abs(const Tensor& x) {
  Tensor out = unary(OpId::abs, x);
  record("AbsBackward", {x}, {out}, [sx = save(x, "self")](const Tensors& g, const NeedMask&) {
    return Tensors{mul(g[0], sign(sx.unpack()))};
  });
  return out;
}

Tensor sign(const Tensor& x) {
  Tensor out = unary_float(OpId::sign, x);
  record("SignBackward", {x}, {out}, [](const Tensors& g, const NeedMask&) {
    return Tensors{mul(g[0], 0.0)};
  });
  return out;
}

Tensor floor(const Tensor& x) {
  Tensor out = unary_float(OpId::floor, x);
  record("FloorBackward", {x}, {out}, [](const Tensors& g, const NeedMask&) {
    return Tensors{mul(g[0], 0.0)};
  });
  return out;
}

Tensor square(const Tensor& x) { return mul(x, x); }

Tensor relu(const Tensor& x) {
  Tensor out = unary_float(OpId::relu, x);
  record("ReluBackward", {x}, {out}, [sx = save(x, "self")](const Tensors& g, const NeedMask&) {
    const Tensor x = sx.unpack();
    if (!GradMode::is_enabled()) return Tensors{leaky_relu_grad_fused(x, g[0], 0.0)};
    return Tensors{masked(gt(x, 0.0), g[0])};
  });
  return out;
}

Tensor leaky_relu(const Tensor& x, double slope) {
  Tensor out = unary_float(OpId::leaky_relu, x, kernels::SlopeAttrs{slope});
  record("LeakyReluBackward", {x}, {out}, [sx = save(x, "self"), slope](const Tensors& g, const NeedMask&) {
    const Tensor x = sx.unpack();
    if (!GradMode::is_enabled()) return Tensors{leaky_relu_grad_fused(x, g[0], slope)};
    return Tensors{where(gt(x, 0.0), g[0], mul(g[0], slope))};
  });
  return out;
}

// d tanh x = g (1 - tanh^2 x)
Tensor tanh(const Tensor& x) {
  Tensor out = unary_float(OpId::tanh, x);
  record("TanhBackward", {x}, {out}, [sy = save_output(out, "result")](const Tensors& g, const NeedMask&) {
    const Tensor t = sy.unpack();
    return Tensors{mul(g[0], sub(1.0, mul(t, t)))};
  });
  return out;
}

// d sigmoid x = g s (1 - s)
Tensor sigmoid(const Tensor& x) {
  Tensor out = unary_float(OpId::sigmoid, x);
  record("SigmoidBackward", {x}, {out}, [sy = save_output(out, "result")](const Tensors& g, const NeedMask&) {
    const Tensor s = sy.unpack();
    return Tensors{mul(g[0], mul(s, sub(1.0, s)))};
  });
  return out;
}

// d softplus x = g sigmoid(x)
Tensor softplus(const Tensor& x) {
  Tensor out = unary_float(OpId::softplus, x);
  record("SoftplusBackward", {x}, {out}, [sx = save(x, "self")](const Tensors& g, const NeedMask&) {
    return Tensors{mul(g[0], sigmoid(sx.unpack()))};
  });
  return out;
}

Tensor erf(const Tensor& x) {
  Tensor out = unary_float(OpId::erf, x);
  record("ErfBackward", {x}, {out}, [sx = save(x, "self")](const Tensors& g, const NeedMask&) {
    const Tensor x = sx.unpack();
    // d/dx erf(x) = 2/sqrt(pi) e^{-x^2}
    return Tensors{mul(g[0], mul(exp(neg(mul(x, x))), 1.1283791670955126))};
  });
  return out;
}

Tensor gelu(const Tensor& x) {
  Tensor out = unary_float(OpId::gelu, x);
  record("GeluBackward", {x}, {out}, [sx = save(x, "self")](const Tensors& g, const NeedMask&) {
    const Tensor x = sx.unpack();
    // d/dx x Phi(x) = Phi(x) + x phi(x)
    Tensor Phi = mul(add(erf(mul(x, 0.70710678118654752440)), 1.0), 0.5);
    Tensor phi = mul(exp(mul(mul(x, x), -0.5)), 0.3989422804014327);
    return Tensors{mul(g[0], add(Phi, mul(x, phi)))};
  });
  return out;
}

Tensor elu(const Tensor& x, double alpha) {
  Tensor out = unary_float(OpId::elu, x, kernels::EluAttrs{alpha});
  record("EluBackward", {x}, {out}, [sx = save(x, "self"), alpha](const Tensors& g, const NeedMask&) {
    const Tensor x = sx.unpack();
    return Tensors{where(gt(x, 0.0), g[0], mul(g[0], mul(exp(x), alpha)))};
  });
  return out;
}

// d prelu = (g where x > 0 else g w,  g x where x <= 0), the weight's summed
// over the batch and spatial dims (sum_to the broadcast shape; reshape's
// backward takes it back to [C]).
Tensor prelu(const Tensor& x, const Tensor& w) {
  detail::check_same("prelu", x, w);
  detail::check_floating("prelu", x);
  GANTRY_CHECK(w.dim() == 1 && (w.size(0) == 1 || (x.dim() >= 2 && w.size(0) == x.size(1))),
               "prelu: weight ", shape_str(w.shape()), " must be [1] or [C] for input ",
               shape_str(x.shape()), " (C = dim 1)");
  Shape s(x.dim(), 1);
  if (w.size(0) > 1) s[1] = w.size(0);
  const Tensor wb = reshape(w, s);  // [1, C, 1, ...]: broadcasts over batch and space
  Tensor out = run_elementwise(OpId::prelu, {x, wb}, x.dtype());
  record("PreluBackward", {x, wb}, {out}, [sx = save(x, "self"), sw = save(wb, "weight")](
                                               const Tensors& g, const NeedMask& n) {
    const Tensor x = sx.unpack(), wb = sw.unpack();
    const Tensor pos = gt(x, 0.0);
    return Tensors{n[0] ? where(pos, g[0], mul(g[0], wb)) : Tensor(),
                   n[1] ? sum_to(where(pos, scalar_like(x, 0.0), mul(g[0], x)), wb.shape())
                        : Tensor()};
  });
  return out;
}

Tensor clamp(const Tensor& x, double lo, double hi) {
  GANTRY_CHECK(!(lo > hi), "clamp: lower bound ", lo, " exceeds upper bound ", hi);
  Tensor out = unary_float(OpId::clamp, x, kernels::ClampAttrs{lo, hi});
  record("ClampBackward", {x}, {out}, [sx = save(x, "self"), lo, hi](const Tensors& g, const NeedMask&) {
    const Tensor x = sx.unpack();
    return Tensors{masked(ge(x, lo), masked(le(x, hi), g[0]))};
  });
  return out;
}

}  // namespace gantry
#endif  // GANTRY_OPS_DEFINE

#include "kernels/ops/end.h"
