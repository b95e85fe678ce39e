// kernels/ops/bias_act.h — the fused bias + activation + gain + clamp of
// style-based networks, in one pass over the tensor instead of four (entries
// are elementwise: the functors BiasAct and BiasActGrad in kernels/math.h are
// the CPU and CUDA kernels; attributes: BiasActAttrs). See
// kernels/ops/begin.h for how this file is read.
//
//   y = clamp(act(x + b) * gain, -clamp, clamp)      b [C] along dim 1
//
// The backward reads the output, not the input: every activation here has a
// derivative that is a function of its value (BiasActGrad), so nothing else
// is kept. Its derivatives, for any order:
//   dx = bias_act_grad(g, y)                         one fused pass
//   db = dx summed over every dim but 1
//   d bias_act_grad(g, y) / dg = bias_act_grad(gg, y)          (linear in g)
//   d bias_act_grad(g, y) / dy = gg * g * gain * d act'(s)/dy, s = y / gain,
//       which is 0 for linear and (leaky) relu, -2 s / gain for tanh, and
//       (1 - 2 s) / gain for sigmoid (0 where clamped);
// the last is written with differentiable ops, so gradient penalties
// through a bias_act network (R1, path length) get exact second derivatives.
// The unfused reference (add, activation, mul, clamp) is the op's
// conformance reference.
#include "kernels/ops/begin.h"

// ----------------------------------------------------------------- entries
//                 name           functor      attrs         in types     flags
GANTRY_ELEMENTWISE(bias_act,      BiasAct,     BiasActAttrs, 2, Floating, kNoFlags)  // (x, b) -> y
GANTRY_ELEMENTWISE(bias_act_grad, BiasActGrad, BiasActAttrs, 2, Floating, kNoFlags)  // (g, y) -> dx

// ------------------------------------------------------------- public API
#if defined(GANTRY_OPS_DECLARE)
#include <string>

#include "kernels/attrs.h"

namespace gantry {
using Activation = kernels::Activation;

// x [N, C, *] (or [N, C]), b [C] or undefined -> y of x's shape.
// gain < 0 picks the activation's default gain (act_gain); clamp < 0: none.
Tensor bias_act(const Tensor& x, const Tensor& b = Tensor(), Activation act = Activation::Linear,
                double alpha = 0.2, double gain = -1.0, double clamp = -1.0);
// bias_act's first-order backward, from its output y (what the fused op
// keeps): g * gain * act'(x + b), 0 where the clamp cut y off. g and y have
// one shape. Differentiable again (see the opening comment).
Tensor bias_act_grad(const Tensor& g, const Tensor& y, Activation act = Activation::Linear,
                     double alpha = 0.2, double gain = -1.0, double clamp = -1.0);
// The gain that keeps the activation's output variance at its input's for
// unit Gaussians, as StyleGAN uses it: sqrt(2) for relu and leaky relu, 1 for
// the others.
double act_gain(Activation act);
// "linear", "relu", "lrelu", "tanh", "sigmoid" (and back).
const char* activation_name(Activation act);
Activation parse_activation(const std::string& name);
}  // namespace gantry
#endif  // GANTRY_OPS_DECLARE

// ------------------------------------------------ definitions, derivatives
#if defined(GANTRY_OPS_DEFINE)
#include <cmath>

namespace gantry {

double act_gain(Activation act) {
  return act == Activation::Relu || act == Activation::LeakyRelu ? std::sqrt(2.0) : 1.0;
}

const char* activation_name(Activation act) {
  switch (act) {
    case Activation::Linear: return "linear";
    case Activation::Relu: return "relu";
    case Activation::LeakyRelu: return "lrelu";
    case Activation::Tanh: return "tanh";
    case Activation::Sigmoid: return "sigmoid";
  }
  return "?";
}

Activation parse_activation(const std::string& name) {
  for (Activation a : {Activation::Linear, Activation::Relu, Activation::LeakyRelu,
                       Activation::Tanh, Activation::Sigmoid})
    if (name == activation_name(a)) return a;
  throw Error(str("bias_act: unknown activation '", name,
                  "' (one of linear, relu, lrelu, tanh, sigmoid)"));
}

namespace {

// (g, y) -> dx, recorded so that it can be differentiated again.
Tensor bias_act_grad_op(const Tensor& g, const Tensor& y, const kernels::BiasActAttrs& a) {
  Tensor dx = detail::new_output(y, y.shape(), y.dtype());
  kernels::run(kernels::OpId::bias_act_grad, {g.shape() == y.shape() ? g : expand(g, y.shape()), y},
               {dx}, a);
  record("BiasActGradBackward", {g, y}, {dx},
         [sg = save_if(will_need_grad(y), g, "grad_output"), sy = save(y, "result"), a](
             const Tensors& gg, const NeedMask& n) {
           const Tensor y = sy.unpack();
           Tensor d_g = n[0] ? bias_act_grad_op(gg[0], y, a) : Tensor();
           Tensor d_y;
           if (n[1] && (a.act == Activation::Tanh || a.act == Activation::Sigmoid)) {
             // gg * g * gain * d act'(s)/dy with s = y / gain.
             const Tensor s = div(y, a.gain);
             const Tensor slope = a.act == Activation::Tanh ? mul(s, -2.0) : sub(1.0, mul(s, 2.0));
             d_y = mul(mul(gg[0], sg.unpack()), slope);
             if (a.clamp >= 0) d_y = where(lt(abs(y), a.clamp), d_y, 0.0);
           }
           return Tensors{d_g, d_y};
         });
  return dx;
}

kernels::BiasActAttrs check_bias_act_attrs(const char* op, Activation act, double alpha, double gain,
                                           double clamp) {
  if (gain < 0) gain = act_gain(act);
  GANTRY_CHECK(std::isfinite(gain) && gain > 0, op, ": gain must be positive and finite, got ", gain);
  // The backward reads the branch from the output's sign: a negative slope
  // would flip it.
  GANTRY_CHECK(std::isfinite(alpha) && (act != Activation::LeakyRelu || alpha >= 0), op,
               ": leaky relu's alpha must be finite and >= 0, got ", alpha);
  GANTRY_CHECK(!std::isnan(clamp), op, ": clamp is NaN");
  return {act, alpha, gain, clamp};
}

}  // namespace

Tensor bias_act_grad(const Tensor& g, const Tensor& y, Activation act, double alpha, double gain,
                     double clamp) {
  const char* op = "bias_act_grad";
  detail::check_same(op, g, y);
  detail::check_floating(op, y);
  GANTRY_CHECK(g.shape() == y.shape(), op, ": gradient ", shape_str(g.shape()),
               " and output ", shape_str(y.shape()), " differ in shape");
  return bias_act_grad_op(g, y, check_bias_act_attrs(op, act, alpha, gain, clamp));
}

Tensor bias_act(const Tensor& x, const Tensor& b, Activation act, double alpha, double gain,
                double clamp) {
  const char* op = "bias_act";
  detail::check_defined(op, x);
  detail::check_floating(op, x);
  GANTRY_CHECK(x.dim() >= 2, op, ": input must be [N, C, ...], got ", shape_str(x.shape()));
  const kernels::BiasActAttrs a = check_bias_act_attrs(op, act, alpha, gain, clamp);
  const Tensor bias = b.defined() ? detail::channel_view(op, "bias", b, x) : detail::scalar_like(x, 0.0);
  Tensor y = detail::new_output(x, x.shape(), x.dtype());
  kernels::run(kernels::OpId::bias_act, {x, expand(bias, x.shape())}, {y}, a);
  record("BiasActBackward", {x, b}, {y},
         [sy = save_output(y, "result"), a, bs = b.defined() ? b.shape() : Shape{}](
             const Tensors& g, const NeedMask& n) {
           const Tensor dx = bias_act_grad_op(g[0], sy.unpack(), a);
           Tensor db;
           if (n[1]) {
             std::vector<int64_t> dims;
             for (int64_t d = 0; d < dx.dim(); ++d)
               if (d != 1) dims.push_back(d);
             db = sum(dx, dims);
           }
           return Tensors{n[0] ? dx : Tensor(), db};
         });
  return y;
}

}  // namespace gantry
#endif  // GANTRY_OPS_DEFINE

#include "kernels/ops/end.h"
