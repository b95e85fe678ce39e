// kernels/ops/optim.h — fused optimizer updates in the op table (kernels:
// kernels/cpu/optim.cpp, kernels/cuda/optim.cu). optim/adam.cpp calls them
// directly; they have no autograd API (an update is never differentiated).
#include "kernels/ops/begin.h"

// adam_step: in = {param, grad, exp_avg, exp_avg_sq} for each of K parameters
// (4K inputs), out = {param, exp_avg, exp_avg_sq} for each (3K outputs, the
// same tensors: written in place). One bias-corrected Adam/AdamW update.
//        name       attrs      in  out flags
GANTRY_OP(adam_step, AdamAttrs, -1, -1, kInPlace | kNotDifferentiable)

#include "kernels/ops/end.h"
