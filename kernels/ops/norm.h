// kernels/ops/norm.h — batch normalization in the op table: the fused
// training-mode forward (y and the batch statistics in one pass) and its fused
// first-order backward (kernels: kernels/cpu/norm.cpp, kernels/cuda/norm.cu;
// attributes: BatchNormAttrs), with batch_norm's API and derivative (see
// kernels/ops/begin.h for how this file is read). layer_norm and group_norm
// are composed from differentiable ops in autograd/ops_nn.cpp.
//
// Running statistics are not kernel outputs: batch_norm updates them with a
// core copy after the kernel, and they are never saved for backward.
#include "kernels/ops/begin.h"

// ----------------------------------------------------------------- entries
//        name                       attrs           in out flags
GANTRY_OP(batch_norm_train,          BatchNormAttrs, 3, 3,  kNoFlags)  // (x, w, b) -> (y, mean, var)
// (x, g, w, mean, var) -> (dx, dw, db); a double backward differentiates the
// composed form instead.
GANTRY_OP(batch_norm_train_backward, BatchNormAttrs, 5, 3,  kNotDifferentiable)

// ------------------------------------------------------------- public API
#if defined(GANTRY_OPS_DECLARE)
namespace gantry {
// x [N,C,*]. Training: normalizes with the batch statistics (biased variance)
// and, when running stats are given, updates them in place:
//   running = (1 - momentum) * running + momentum * batch  (unbiased variance).
// Eval: normalizes with the running stats. weight/bias [C] are optional.
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training,
                  double momentum = 0.1, double eps = 1e-5);
}  // namespace gantry
#endif  // GANTRY_OPS_DECLARE

// ------------------------------------------------ definitions, derivatives
#if defined(GANTRY_OPS_DEFINE)
namespace gantry {

Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training, double momentum,
                  double eps) {
  const char* op = "batch_norm";
  detail::check_defined(op, x);
  detail::check_floating(op, x);
  GANTRY_CHECK(x.dim() >= 2, op, ": input must be [N,C,*], got ", shape_str(x.shape()));
  std::vector<int64_t> dims = {0};
  for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  const int64_t per_channel = x.numel() / std::max<int64_t>(x.size(1), 1);
  if (running_mean.defined()) detail::channel_view(op, "running_mean", running_mean, x);
  if (running_var.defined()) detail::channel_view(op, "running_var", running_var, x);
  Tensor mu, var_b;
  if (training) {
    GANTRY_CHECK(per_channel > 1, op, ": training needs more than one value per channel, got ",
                 "input ", shape_str(x.shape()));
    if (weight.defined()) detail::channel_view(op, "weight", weight, x);
    if (bias.defined()) detail::channel_view(op, "bias", bias, x);
    // One fused kernel: y, and the batch mean and biased variance [C].
    const Options o = Options(x.dtype()).device(x.device());
    const int64_t C = x.size(1);
    const Tensor w = weight.defined() ? weight : ones({C}, o);
    const Tensor b = bias.defined() ? bias : zeros({C}, o);
    Tensor y = detail::new_output(x, x.shape(), x.dtype());
    Tensor bmean = detail::new_output(x, {C}, x.dtype()), bvar = detail::new_output(x, {C}, x.dtype());
    const kernels::BatchNormAttrs at{eps};
    kernels::run(kernels::OpId::batch_norm_train, {x.detach(), w.detach(), b.detach()}, {y, bmean, bvar}, at);
    if (running_mean.defined() || running_var.defined()) {
      NoGradGuard ng;
      const double unbias = static_cast<double>(per_channel) / (per_channel - 1);
      if (running_mean.defined())
        core::copy_(running_mean, add(mul(running_mean, 1 - momentum), mul(bmean, momentum)));
      if (running_var.defined())
        core::copy_(running_var, add(mul(running_var, 1 - momentum), mul(bvar, momentum * unbias)));
    }
    // Running statistics are not saved: they change in place at the next
    // training forward, and the backward reads the batch statistics instead.
    record("BatchNormBackward", {x, w, b}, {y},
           [sx = save(x, "input"), sw = save(w, "weight"), smean = save(bmean, "batch mean"),
            svar = save(bvar, "batch var"), dims, eps](const Tensors& g, const NeedMask& need) {
             const Tensor x = sx.unpack(), w = sw.unpack(), bmean = smean.unpack(),
                          bvar = svar.unpack();
             if (!GradMode::is_enabled()) {
               // First-order backward: the fused kernel.
               Tensor dx = detail::new_output(x, x.shape(), x.dtype());
               Tensor dw = detail::new_output(x, w.shape(), x.dtype());
               Tensor db = detail::new_output(x, w.shape(), x.dtype());
               const kernels::BatchNormAttrs a{eps};
               kernels::run(kernels::OpId::batch_norm_train_backward,
                            {x.detach(), g[0].detach(), w.detach(), bmean, bvar}, {dx, dw, db}, a);
               return Tensors{need[0] ? dx : Tensor(), need[1] ? dw : Tensor(),
                              need[2] ? db : Tensor()};
             }
             // Building a graph (double backward): the same gradient composed
             // from differentiable ops, so it can be differentiated again.
             // xhat = (x - mean) * r;  gw = g * weight
             // dx = r * (gw - mean(gw) - xhat * mean(gw * xhat))
             Tensor xc = sub(x, mean(x, dims, true));
             Tensor r = rsqrt(add(mean(mul(xc, xc), dims, true), eps));
             Tensor xhat = mul(xc, r);
             Tensor gw = mul(g[0], detail::channel_view("batch_norm", "weight", w, x));
             Tensor dx = mul(r, sub(sub(gw, mean(gw, dims, true)),
                                    mul(xhat, mean(mul(gw, xhat), dims, true))));
             Tensor dw = need[1] ? sum(mul(g[0], xhat), dims) : Tensor();
             Tensor db = need[2] ? sum(g[0], dims) : Tensor();
             return Tensors{dx, dw, db};
           });
    return y;
  } else {
    GANTRY_CHECK(running_mean.defined() && running_var.defined(), op,
                 ": eval mode needs running_mean and running_var");
    // Buffers normally; if a caller makes them require grad, the formula
    // differentiates through them like any other input.
    mu = detail::channel_view(op, "running_mean", running_mean, x);
    var_b = detail::channel_view(op, "running_var", running_var, x);
  }
  Tensor y = mul(sub(x, mu), rsqrt(add(var_b, eps)));
  return detail::affine(op, y, x, weight, bias);
}

}  // namespace gantry
#endif  // GANTRY_OPS_DEFINE

#include "kernels/ops/end.h"
