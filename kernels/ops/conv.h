// kernels/ops/conv.h — convolution in the op table: conv2d and the two
// halves of its backward (kernels: kernels/cpu/conv.cpp with several
// algorithms, kernels/cuda/conv.cu with its own im2col+cuBLAS and cuDNN;
// attributes: ConvAttrs), plus conv_transpose2d composed from them (see
// kernels/ops/begin.h for how this file is read).
//
// Three bilinear ops close under differentiation, so every derivative of any
// order is one of them (A_w denotes "convolve with w"):
//   y  = conv2d(x, w)               = A_w x
//   dx = conv2d_input_grad(g, w)    = A_w^T g      (also: conv_transpose2d)
//   dw = conv2d_weight_grad(x, g)   with <dw, v> = <A_v x, g>
// d/dx conv2d = input_grad(g, w),  d/dw conv2d = weight_grad(x, g);
// d/dg input_grad(g, w) = conv2d(gg, w),  d/dw = weight_grad(gg, g);
// d/dx weight_grad(x, g) = input_grad(g, gg),  d/dg = conv2d(x, gg).
#include "kernels/ops/begin.h"

// ----------------------------------------------------------------- entries
//        name                attrs      in out flags
GANTRY_OP(conv2d,             ConvAttrs, 2, 1,  kNoFlags)  // (x, w) -> y
GANTRY_OP(conv2d_input_grad,  ConvAttrs, 2, 1,  kNoFlags)  // (g, w) -> dx
GANTRY_OP(conv2d_weight_grad, ConvAttrs, 2, 1,  kNoFlags)  // (x, g) -> dw

// ------------------------------------------------------------- public API
#if defined(GANTRY_OPS_DECLARE)
namespace gantry {
// x [N,C,H,W], w [O,C/groups,KH,KW], b [O] (optional) -> [N,O,OH,OW],
// OH = (H + 2*pad_h - dil_h*(KH-1) - 1) / stride_h + 1.
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b = Tensor(), Pair stride = {1, 1},
              Pair padding = {0, 0}, Pair dilation = {1, 1}, int64_t groups = 1);
// x [N,C,H,W], w [C,O/groups,KH,KW], b [O] -> [N,O,OH,OW],
// OH = (H-1)*stride_h - 2*pad_h + dil_h*(KH-1) + output_padding_h + 1.
Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& b = Tensor(),
                        Pair stride = {1, 1}, Pair padding = {0, 0},
                        Pair output_padding = {0, 0}, int64_t groups = 1,
                        Pair dilation = {1, 1});
// The two halves of conv2d's backward, as differentiable ops of their own:
// dx [input_shape] from g [N,O,OH,OW] and w; dw [weight_shape] from x and g.
Tensor conv2d_input_grad(const Tensor& g, const Tensor& w, const Shape& input_shape, Pair stride,
                         Pair padding, Pair dilation, int64_t groups);
Tensor conv2d_weight_grad(const Tensor& x, const Tensor& g, const Shape& weight_shape,
                          Pair stride, Pair padding, Pair dilation, int64_t groups);
}  // namespace gantry
#endif  // GANTRY_OPS_DECLARE

// ------------------------------------------------ definitions, derivatives
#if defined(GANTRY_OPS_DEFINE)
namespace gantry {

namespace {

struct ConvParams {
  Pair stride, padding, dilation;
  int64_t groups;
  kernels::ConvAttrs attrs() const {
    return {stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1], groups};
  }
};

void check_params(const char* op, const ConvParams& p) {
  for (int i = 0; i < 2; ++i) {
    GANTRY_CHECK(p.stride[i] >= 1, op, ": stride must be >= 1, got (", p.stride[0], ",",
                 p.stride[1], ")");
    GANTRY_CHECK(p.padding[i] >= 0, op, ": negative padding (", p.padding[0], ",", p.padding[1],
                 ")");
    GANTRY_CHECK(p.dilation[i] >= 1, op, ": dilation must be >= 1, got (", p.dilation[0], ",",
                 p.dilation[1], ")");
  }
  GANTRY_CHECK(p.groups >= 1, op, ": groups must be >= 1, got ", p.groups);
}

// Output size of a convolution along one dim; errors when the kernel does not fit.
int64_t conv_out(const char* op, int64_t in, int64_t k, int64_t s, int64_t p, int64_t d,
                 const Shape& xs, const Shape& ws) {
  const int64_t span = d * (k - 1) + 1;
  GANTRY_CHECK(in + 2 * p >= span, op, ": kernel ", shape_str(ws), " (effective size ", span,
               ") is larger than the padded input ", shape_str(xs), " (", in, " + 2*", p, ")");
  return (in + 2 * p - span) / s + 1;
}

Tensor conv2d_raw(const Tensor& x, const Tensor& w, const ConvParams& p);
Tensor input_grad_raw(const Tensor& g, const Tensor& w, const Shape& xs, const ConvParams& p);
Tensor weight_grad_raw(const Tensor& x, const Tensor& g, const Shape& ws, const ConvParams& p);

// Records the derivatives of the three ops in terms of each other.
Tensor conv2d_op(const Tensor& x, const Tensor& w, const ConvParams& p) {
  Tensor y = conv2d_raw(x, w, p);
  // The input is read only for the weight's gradient and the weight only for
  // the input's: a frozen D (the G step) keeps none of its activations.
  record("Conv2dBackward", {x, w}, {y},
         [sx = save_if(will_need_grad(w), x, "input"), sw = save_if(will_need_grad(x), w, "weight"),
          xs = x.shape(), ws = w.shape(), p](const Tensors& g, const NeedMask& n) {
           return Tensors{n[0] ? conv2d_input_grad(g[0], sw.unpack(), xs, p.stride, p.padding, p.dilation, p.groups) : Tensor(),
                          n[1] ? conv2d_weight_grad(sx.unpack(), g[0], ws, p.stride, p.padding, p.dilation, p.groups) : Tensor()};
         });
  return y;
}

Tensor conv2d_raw(const Tensor& x, const Tensor& w, const ConvParams& p) {
  Shape ys = {x.size(0), w.size(0),
              conv_out("conv2d", x.size(2), w.size(2), p.stride[0], p.padding[0], p.dilation[0], x.shape(), w.shape()),
              conv_out("conv2d", x.size(3), w.size(3), p.stride[1], p.padding[1], p.dilation[1], x.shape(), w.shape())};
  Tensor y = detail::new_output(x, ys, x.dtype());
  kernels::run(kernels::OpId::conv2d, {x, w}, {y}, p.attrs());
  return y;
}

Tensor input_grad_raw(const Tensor& g, const Tensor& w, const Shape& xs, const ConvParams& p) {
  Tensor dx = detail::new_output(g, xs, g.dtype());
  kernels::run(kernels::OpId::conv2d_input_grad, {g, w}, {dx}, p.attrs());
  return dx;
}

Tensor weight_grad_raw(const Tensor& x, const Tensor& g, const Shape& ws, const ConvParams& p) {
  Tensor dw = detail::new_output(x, ws, x.dtype());
  kernels::run(kernels::OpId::conv2d_weight_grad, {x, g}, {dw}, p.attrs());
  return dw;
}

// Shapes of x [N,C,H,W], w [O,C/G,KH,KW] and y [N,O,OH,OW] must agree.
void check_conv_shapes(const char* op, const Shape& xs, const Shape& ws, const ConvParams& p) {
  GANTRY_CHECK(xs.size() == 4, op, ": input must be [N,C,H,W], got ", shape_str(xs));
  GANTRY_CHECK(ws.size() == 4, op, ": weight must be 4-D, got ", shape_str(ws));
  GANTRY_CHECK(ws[0] % p.groups == 0, op, ": weight ", shape_str(ws), " has ", ws[0],
               " output channels, not divisible by groups=", p.groups);
  GANTRY_CHECK(xs[1] == ws[1] * p.groups, op, ": input ", shape_str(xs), " has ", xs[1],
               " channels but weight ", shape_str(ws), " with groups=", p.groups, " expects ",
               ws[1] * p.groups);
}

Shape conv_output_shape(const char* op, const Shape& xs, const Shape& ws, const ConvParams& p) {
  return {xs[0], ws[0],
          conv_out(op, xs[2], ws[2], p.stride[0], p.padding[0], p.dilation[0], xs, ws),
          conv_out(op, xs[3], ws[3], p.stride[1], p.padding[1], p.dilation[1], xs, ws)};
}

Tensor add_channel_bias(const char* op, const Tensor& y, const Tensor& b) {
  if (!b.defined()) return y;
  detail::check_same(op, y, b);
  GANTRY_CHECK(b.dim() == 1 && b.size(0) == y.size(1), op, ": bias ", shape_str(b.shape()),
               " does not match ", y.size(1), " output channels");
  return add(y, reshape(b, {1, b.size(0), 1, 1}));
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, Pair stride, Pair padding,
              Pair dilation, int64_t groups) {
  detail::check_same("conv2d", x, w);
  detail::check_floating("conv2d", x);
  ConvParams p{stride, padding, dilation, groups};
  check_params("conv2d", p);
  check_conv_shapes("conv2d", x.shape(), w.shape(), p);
  return add_channel_bias("conv2d", conv2d_op(x, w, p), b);
}

Tensor conv2d_input_grad(const Tensor& g, const Tensor& w, const Shape& xs, Pair stride,
                         Pair padding, Pair dilation, int64_t groups) {
  detail::check_same("conv2d_input_grad", g, w);
  ConvParams p{stride, padding, dilation, groups};
  check_params("conv2d_input_grad", p);
  check_conv_shapes("conv2d_input_grad", xs, w.shape(), p);
  const Shape ys = conv_output_shape("conv2d_input_grad", xs, w.shape(), p);
  GANTRY_CHECK(g.shape() == ys, "conv2d_input_grad: gradient ", shape_str(g.shape()),
               " does not match the convolution output ", shape_str(ys), " of input ",
               shape_str(xs), " and weight ", shape_str(w.shape()));
  Tensor dx = input_grad_raw(g, w, xs, p);
  record("Conv2dInputGradBackward", {g, w}, {dx},
         [sg = save_if(will_need_grad(w), g, "grad_output"), sw = save_if(will_need_grad(g), w, "weight"),
          ws = w.shape(), p](const Tensors& gg, const NeedMask& n) {
           return Tensors{n[0] ? conv2d_op(gg[0], sw.unpack(), p) : Tensor(),
                          n[1] ? conv2d_weight_grad(gg[0], sg.unpack(), ws, p.stride, p.padding, p.dilation, p.groups) : Tensor()};
         });
  return dx;
}

Tensor conv2d_weight_grad(const Tensor& x, const Tensor& g, const Shape& ws, Pair stride,
                          Pair padding, Pair dilation, int64_t groups) {
  detail::check_same("conv2d_weight_grad", x, g);
  ConvParams p{stride, padding, dilation, groups};
  check_params("conv2d_weight_grad", p);
  check_conv_shapes("conv2d_weight_grad", x.shape(), ws, p);
  const Shape ys = conv_output_shape("conv2d_weight_grad", x.shape(), ws, p);
  GANTRY_CHECK(g.shape() == ys, "conv2d_weight_grad: gradient ", shape_str(g.shape()),
               " does not match the convolution output ", shape_str(ys));
  Tensor dw = weight_grad_raw(x, g, ws, p);
  record("Conv2dWeightGradBackward", {x, g}, {dw},
         [sx = save_if(will_need_grad(g), x, "input"), sg = save_if(will_need_grad(x), g, "grad_output"),
          xs = x.shape(), p](const Tensors& gg, const NeedMask& n) {
           return Tensors{n[0] ? conv2d_input_grad(sg.unpack(), gg[0], xs, p.stride, p.padding, p.dilation, p.groups) : Tensor(),
                          n[1] ? conv2d_op(sx.unpack(), gg[0], p) : Tensor()};
         });
  return dw;
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& b, Pair stride,
                        Pair padding, Pair output_padding, int64_t groups, Pair dilation) {
  const char* op = "conv_transpose2d";
  detail::check_same(op, x, w);
  detail::check_floating(op, x);
  ConvParams p{stride, padding, dilation, groups};
  check_params(op, p);
  GANTRY_CHECK(x.dim() == 4, op, ": input must be [N,C,H,W], got ", shape_str(x.shape()));
  GANTRY_CHECK(w.dim() == 4, op, ": weight must be [C_in, C_out/groups, KH, KW], got ",
               shape_str(w.shape()));
  GANTRY_CHECK(x.size(1) == w.size(0), op, ": input ", shape_str(x.shape()), " has ", x.size(1),
               " channels but weight ", shape_str(w.shape()), " expects ", w.size(0));
  GANTRY_CHECK(w.size(0) % groups == 0, op, ": weight ", shape_str(w.shape()), " has ",
               w.size(0), " input channels, not divisible by groups=", groups);
  Shape xs = {x.size(0), w.size(1) * groups, 0, 0};  // the "input" of the underlying conv2d
  for (int i = 0; i < 2; ++i) {
    GANTRY_CHECK(output_padding[i] >= 0 &&
                     (output_padding[i] < stride[i] || output_padding[i] < dilation[i]),
                 op, ": output_padding (", output_padding[0], ",", output_padding[1],
                 ") must be smaller than stride or dilation");
    const int64_t n = (x.size(2 + i) - 1) * stride[i] - 2 * padding[i] +
                      dilation[i] * (w.size(2 + i) - 1) + output_padding[i] + 1;
    GANTRY_CHECK(n > 0, op, ": input ", shape_str(x.shape()), " with weight ",
                 shape_str(w.shape()), " and padding (", padding[0], ",", padding[1],
                 ") gives an empty output");
    xs[2 + i] = n;
  }
  return add_channel_bias(op, conv2d_input_grad(x, w, xs, stride, padding, dilation, groups), b);
}

}  // namespace gantry
#endif  // GANTRY_OPS_DEFINE

#include "kernels/ops/end.h"
