// autograd/ops_elementwise.cpp — elementwise ops and their derivatives.
//
// Each op: validate, broadcast, run the kernel, record a backward written
// with differentiable ops. Backward formulas use the saved *inputs*; where the
// output is cheaper (exp, tanh, sigmoid, ...) a detached copy of it is used
// only when no graph is being built, so higher-order gradients stay exact and
// the graph never holds a reference cycle.
#include <cmath>
#include <limits>

#include "autograd/op_helpers.h"

namespace gantry {

using detail::scalar_like;
using autograd::record;
using NeedMask = std::vector<bool>;

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
Tensor run_elementwise(const char* op, const Tensors& ins, DType out_dtype) {
  Shape s = ins[0].shape();
  for (size_t i = 1; i < ins.size(); ++i) s = broadcast_shapes(op, s, ins[i].shape());
  Tensors expanded;
  for (const auto& t : ins) expanded.push_back(t.shape() == s ? t : core::expand(t, s));
  Tensor out = detail::new_output(ins[0], s, out_dtype);
  kernels::run(op, expanded, {out});
  return out;
}

Tensor binary(const char* op, const Tensor& a, const Tensor& b) {
  detail::check_same(op, a, b);
  return run_elementwise(op, {a, b}, a.dtype());
}

Tensor unary(const char* op, const Tensor& x, const kernels::Attrs& attrs = {}) {
  detail::check_defined(op, x);
  Tensor out = detail::new_output(x, x.shape(), x.dtype());
  kernels::run(op, {x}, {out}, attrs);
  return out;
}

Tensor unary_float(const char* op, const Tensor& x, const kernels::Attrs& attrs = {}) {
  detail::check_defined(op, x);
  detail::check_floating(op, x);
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
  kernels::Attrs a;
  a.scalars = {slope};
  kernels::run("leaky_relu_backward", {x, g.shape() == x.shape() ? g : expand(g, x.shape())}, {dx}, a);
  return dx;
}

}  // namespace

// ------------------------------------------------------------------ binary
Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = binary("add", a, b);
  record("AddBackward", {a, b}, {out}, [sa = a.shape(), sb = b.shape()](const Tensors& g, const NeedMask& n) {
    return Tensors{n[0] ? sum_to(g[0], sa) : Tensor(), n[1] ? sum_to(g[0], sb) : Tensor()};
  });
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = binary("sub", a, b);
  record("SubBackward", {a, b}, {out}, [sa = a.shape(), sb = b.shape()](const Tensors& g, const NeedMask& n) {
    return Tensors{n[0] ? sum_to(g[0], sa) : Tensor(), n[1] ? neg(sum_to(g[0], sb)) : Tensor()};
  });
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary("mul", a, b);
  record("MulBackward", {a, b}, {out}, [a, b](const Tensors& g, const NeedMask& n) {
    return Tensors{n[0] ? sum_to(mul(g[0], b), a.shape()) : Tensor(),
                   n[1] ? sum_to(mul(g[0], a), b.shape()) : Tensor()};
  });
  return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = binary("div", a, b);
  record("DivBackward", {a, b}, {out}, [a, b](const Tensors& g, const NeedMask& n) {
    return Tensors{n[0] ? sum_to(div(g[0], b), a.shape()) : Tensor(),
                   n[1] ? sum_to(neg(div(mul(g[0], a), mul(b, b))), b.shape()) : Tensor()};
  });
  return out;
}

Tensor pow(const Tensor& a, const Tensor& b) {
  Tensor out = binary("pow", a, b);
  record("PowBackward", {a, b}, {out}, [a, b](const Tensors& g, const NeedMask& n) {
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
Tensor extremum2(const char* op, const char* name, const Tensor& a, const Tensor& b, bool is_max) {
  Tensor out = binary(op, a, b);
  record(name, {a, b}, {out}, [a, b, is_max](const Tensors& g, const NeedMask& n) {
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
  return extremum2("maximum", "MaximumBackward", a, b, true);
}
Tensor minimum(const Tensor& a, const Tensor& b) {
  return extremum2("minimum", "MinimumBackward", a, b, false);
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
    return run_elementwise(#NAME, {a, b}, kUInt8);                            \
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
  Tensor out = run_elementwise("where", {a, b, cond}, a.dtype());
  record("WhereBackward", {a, b}, {out}, [cond, sa = a.shape(), sb = b.shape()](const Tensors& g, const NeedMask& n) {
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
  Tensor out = unary("neg", x);
  record("NegBackward", {x}, {out}, [](const Tensors& g, const NeedMask&) {
    return Tensors{neg(g[0])};
  });
  return out;
}

Tensor exp(const Tensor& x) {
  Tensor out = unary_float("exp", x);
  record("ExpBackward", {x}, {out}, [x, y = out.detach()](const Tensors& g, const NeedMask&) {
    return Tensors{mul(g[0], GradMode::is_enabled() ? exp(x) : y)};
  });
  return out;
}

Tensor log(const Tensor& x) {
  Tensor out = unary_float("log", x);
  record("LogBackward", {x}, {out}, [x](const Tensors& g, const NeedMask&) {
    return Tensors{div(g[0], x)};
  });
  return out;
}

Tensor sqrt(const Tensor& x) {
  Tensor out = unary_float("sqrt", x);
  record("SqrtBackward", {x}, {out}, [x, y = out.detach()](const Tensors& g, const NeedMask&) {
    Tensor s = GradMode::is_enabled() ? sqrt(x) : y;
    return Tensors{div(mul(g[0], 0.5), s)};
  });
  return out;
}

Tensor rsqrt(const Tensor& x) {
  Tensor out = unary_float("rsqrt", x);
  record("RsqrtBackward", {x}, {out}, [x, y = out.detach()](const Tensors& g, const NeedMask&) {
    Tensor r = GradMode::is_enabled() ? rsqrt(x) : y;  // d/dx x^-1/2 = -1/2 r^3
    return Tensors{mul(g[0], mul(mul(r, mul(r, r)), -0.5))};
  });
  return out;
}

Tensor abs(const Tensor& x) {
  Tensor out = unary("abs", x);
  record("AbsBackward", {x}, {out}, [x](const Tensors& g, const NeedMask&) {
    return Tensors{mul(g[0], sign(x))};
  });
  return out;
}

Tensor sign(const Tensor& x) {
  Tensor out = unary_float("sign", x);
  record("SignBackward", {x}, {out}, [](const Tensors& g, const NeedMask&) {
    return Tensors{mul(g[0], 0.0)};
  });
  return out;
}

Tensor square(const Tensor& x) { return mul(x, x); }

Tensor relu(const Tensor& x) {
  Tensor out = unary_float("relu", x);
  record("ReluBackward", {x}, {out}, [x](const Tensors& g, const NeedMask&) {
    if (!GradMode::is_enabled()) return Tensors{leaky_relu_grad_fused(x, g[0], 0.0)};
    return Tensors{masked(gt(x, 0.0), g[0])};
  });
  return out;
}

Tensor leaky_relu(const Tensor& x, double slope) {
  kernels::Attrs at;
  at.scalars = {slope};
  Tensor out = unary_float("leaky_relu", x, at);
  record("LeakyReluBackward", {x}, {out}, [x, slope](const Tensors& g, const NeedMask&) {
    if (!GradMode::is_enabled()) return Tensors{leaky_relu_grad_fused(x, g[0], slope)};
    return Tensors{where(gt(x, 0.0), g[0], mul(g[0], slope))};
  });
  return out;
}

Tensor tanh(const Tensor& x) {
  Tensor out = unary_float("tanh", x);
  record("TanhBackward", {x}, {out}, [x, y = out.detach()](const Tensors& g, const NeedMask&) {
    Tensor t = GradMode::is_enabled() ? tanh(x) : y;
    return Tensors{mul(g[0], sub(1.0, mul(t, t)))};
  });
  return out;
}

Tensor sigmoid(const Tensor& x) {
  Tensor out = unary_float("sigmoid", x);
  record("SigmoidBackward", {x}, {out}, [x, y = out.detach()](const Tensors& g, const NeedMask&) {
    Tensor s = GradMode::is_enabled() ? sigmoid(x) : y;
    return Tensors{mul(g[0], mul(s, sub(1.0, s)))};
  });
  return out;
}

Tensor softplus(const Tensor& x) {
  Tensor out = unary_float("softplus", x);
  record("SoftplusBackward", {x}, {out}, [x](const Tensors& g, const NeedMask&) {
    return Tensors{mul(g[0], sigmoid(x))};
  });
  return out;
}

Tensor erf(const Tensor& x) {
  Tensor out = unary_float("erf", x);
  record("ErfBackward", {x}, {out}, [x](const Tensors& g, const NeedMask&) {
    // d/dx erf(x) = 2/sqrt(pi) e^{-x^2}
    return Tensors{mul(g[0], mul(exp(neg(mul(x, x))), 1.1283791670955126))};
  });
  return out;
}

Tensor gelu(const Tensor& x) {
  Tensor out = unary_float("gelu", x);
  record("GeluBackward", {x}, {out}, [x](const Tensors& g, const NeedMask&) {
    // d/dx x Phi(x) = Phi(x) + x phi(x)
    Tensor Phi = mul(add(erf(mul(x, 0.70710678118654752440)), 1.0), 0.5);
    Tensor phi = mul(exp(mul(mul(x, x), -0.5)), 0.3989422804014327);
    return Tensors{mul(g[0], add(Phi, mul(x, phi)))};
  });
  return out;
}

Tensor elu(const Tensor& x, double alpha) {
  kernels::Attrs at;
  at.scalars = {alpha};
  Tensor out = unary_float("elu", x, at);
  record("EluBackward", {x}, {out}, [x, alpha](const Tensors& g, const NeedMask&) {
    return Tensors{where(gt(x, 0.0), g[0], mul(g[0], mul(exp(x), alpha)))};
  });
  return out;
}

Tensor clamp(const Tensor& x, double lo, double hi) {
  GANTRY_CHECK(!(lo > hi), "clamp: lower bound ", lo, " exceeds upper bound ", hi);
  kernels::Attrs at;
  at.scalars = {lo, hi};
  Tensor out = unary_float("clamp", x, at);
  record("ClampBackward", {x}, {out}, [x, lo, hi](const Tensors& g, const NeedMask&) {
    return Tensors{masked(ge(x, lo), masked(le(x, hi), g[0]))};
  });
  return out;
}

}  // namespace gantry
