// optim/clip.h — gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_.
//
//   loss.backward();
//   double norm = optim::clip_grad_norm_(model.parameters(), 1.0);  // before the step
//   opt.step();
//
// All gradients are treated as one vector: its norm is computed (in float64,
// in parameter order, so the result is the same for any thread count) and,
// when it exceeds max_norm, every gradient is scaled in place by
// max_norm / (norm + 1e-6). Parameters without a gradient are skipped.
#pragma once
#include <limits>
#include <vector>

#include "core/tensor.h"

namespace gantry {
namespace optim {

// norm_type: 2 (Euclidean) or infinity (the largest |g|). Returns the norm of
// the gradients before clipping. A non-finite norm (a NaN or inf gradient) is
// an error naming the first offending parameter unless error_if_nonfinite is
// false, in which case the gradients are left as they are.
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm,
                       double norm_type = 2.0, bool error_if_nonfinite = true);

// Clamps every gradient element into [-clip_value, clip_value] in place.
void clip_grad_value_(const std::vector<Tensor>& params, double clip_value);

}  // namespace optim
}  // namespace gantry
