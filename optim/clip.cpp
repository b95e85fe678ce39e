// optim/clip.cpp — gradient clipping (see clip.h).
#include "optim/clip.h"

#include <cmath>

#include "autograd/grad_mode.h"
#include "autograd/ops.h"

namespace gantry {
namespace optim {

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  const double inf = std::numeric_limits<double>::infinity();
  GANTRY_CHECK(max_norm >= 0 && std::isfinite(max_norm), "clip_grad_norm_: max_norm must be ",
               "finite and >= 0, got ", max_norm);
  GANTRY_CHECK(norm_type == 2.0 || norm_type == inf, "clip_grad_norm_: norm_type must be 2 or ",
               "infinity, got ", norm_type);
  NoGradGuard ng;
  double total = 0;  // sum of squares, or the running maximum
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor g = params[i].defined() ? params[i].grad() : Tensor();
    if (!g.defined() || g.numel() == 0) continue;
    const Tensor g64 = to(g, kFloat64);
    const double part = norm_type == 2.0 ? sum(mul(g64, g64)).item<double>()
                                         : max(abs(g64)).item<double>();
    GANTRY_CHECK(std::isfinite(part) || !error_if_nonfinite, "clip_grad_norm_: the gradient of ",
                 "parameter ", i, " ", tensor_desc(params[i]), " is not finite (norm ", part,
                 "); pass error_if_nonfinite=false to skip this check");
    total = norm_type == 2.0 ? total + part : std::max(total, part);
  }
  const double norm = norm_type == 2.0 ? std::sqrt(total) : total;
  if (!std::isfinite(norm)) return norm;
  const double coef = max_norm / (norm + 1e-6);
  if (coef >= 1.0) return norm;
  for (const Tensor& p : params) {
    const Tensor g = p.defined() ? p.grad() : Tensor();
    if (g.defined() && g.numel() > 0) core::copy_(g, mul(g, coef));
  }
  return norm;
}

void clip_grad_value_(const std::vector<Tensor>& params, double clip_value) {
  GANTRY_CHECK(clip_value >= 0 && std::isfinite(clip_value), "clip_grad_value_: clip_value must ",
               "be finite and >= 0, got ", clip_value);
  NoGradGuard ng;
  for (const Tensor& p : params) {
    const Tensor g = p.defined() ? p.grad() : Tensor();
    if (g.defined() && g.numel() > 0) core::copy_(g, clamp(g, -clip_value, clip_value));
  }
}

}  // namespace optim
}  // namespace gantry
