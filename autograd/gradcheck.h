// autograd/gradcheck.h — checking derivatives against finite differences.
//
// gradcheck(f, inputs): for a function of float64 tensors, compares the
// Jacobian that autograd computes (one backward pass per output element) with
// central differences (f(x+eps) - f(x-eps)) / 2eps, element by element.
// gradgradcheck(f, inputs): the same check applied to the function
// (inputs, v) -> grad(f(inputs), inputs, v, create_graph=true), i.e. it checks
// second derivatives (what WGAN-GP and R1 penalties need).
#pragma once
#include <functional>
#include <string>

#include "autograd/ops.h"

namespace gantry {
namespace autograd {

using Fn = std::function<Tensors(const Tensors&)>;

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-5;
  double rtol = 1e-3;
};

struct GradcheckResult {
  bool ok = true;
  std::string message;  // the first mismatch: input, element, output, values
  explicit operator bool() const { return ok; }
};

// inputs: float64 tensors; those with requires_grad are checked.
GradcheckResult gradcheck(const Fn& f, const Tensors& inputs, GradcheckOptions o = {});
GradcheckResult gradgradcheck(const Fn& f, const Tensors& inputs, GradcheckOptions o = {},
                              uint64_t seed = 1234);

}  // namespace autograd
}  // namespace gantry
