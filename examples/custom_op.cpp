// examples/custom_op.cpp — a new differentiable op written outside the
// library: swish(x) = x * sigmoid(x) (Ramachandran et al. 2017), with its own
// CPU kernel, its derivative, and the checks every Gantry op passes.
//
// The library's own ops live in its op table (kernels/ops/*.h; the walkthrough
// is "Adding an op" in docs/foundation.md). Code that uses Gantry as a library
// cannot add table entries, but it can do what an entry's definition does:
//   1. check the input and allocate the output;
//   2. run a kernel on raw pointers (here a plain loop, per dtype);
//   3. record the backward with autograd::record, written with differentiable
//      ops so that second derivatives (gradient penalties) work, keeping what
//      it reads as SavedTensors (checked against in-place writes).
// Then gradcheck and gradgradcheck compare it with finite differences, and a
// float64 loop checks the forward. Exits 1 on any mismatch.
//
//   ./build/examples/custom_op
#include <cmath>
#include <cstdio>

#include "autograd/gradcheck.h"
#include "autograd/ops.h"
#include "autograd/saved.h"

using namespace gantry;

namespace {

// The kernel: y[i] = x[i] / (1 + e^-x[i]) over a contiguous CPU tensor.
template <typename T>
void swish_kernel(const T* x, T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] / (T(1) + std::exp(-x[i]));
}

Tensor swish(const Tensor& x_in) {
  GANTRY_CHECK(x_in.defined() && x_in.device().is_cpu() && is_floating(x_in.dtype()),
               "swish: needs a floating CPU tensor, got ", tensor_desc(x_in));
  const Tensor x = x_in.contiguous();
  Tensor y = empty(x.shape(), x.dtype());
  if (x.dtype() == kFloat32) swish_kernel(x.data<float>(), y.data<float>(), x.numel());
  else if (x.dtype() == kFloat64) swish_kernel(x.data<double>(), y.data<double>(), x.numel());
  else throw Error(str("swish: float32 or float64, got ", tensor_desc(x)));
  // d swish/dx = s + x s (1 - s), s = sigmoid(x): written with ops, so it is
  // differentiable again. It reads x, saved with its version.
  autograd::record("SwishBackward", {x_in}, {y},
                   [sx = autograd::save(x_in, "input")](const Tensors& g, const std::vector<bool>&) {
                     const Tensor xv = sx.unpack();
                     const Tensor s = sigmoid(xv);
                     return Tensors{mul(g[0], add(s, mul(mul(xv, s), sub(1.0, s))))};
                   });
  return y;
}

}  // namespace

int main() {
  int failures = 0;
  // Forward against a float64 loop, in float32 and float64.
  Tensor x = sub(mul(rand({5, 7}, kFloat64), 8.0), 4.0);  // [-4, 4)
  for (DType dt : {kFloat32, kFloat64}) {
    const std::vector<double> got = swish(x.to(dt)).to_vector<double>();
    const std::vector<double> in = x.to(dt).to_vector<double>();
    double worst = 0;
    for (size_t i = 0; i < in.size(); ++i)
      worst = std::max(worst, std::abs(got[i] - in[i] / (1 + std::exp(-in[i]))));
    const double tol = dt == kFloat32 ? 1e-6 : 1e-14;
    std::printf("forward %-7s max error %.2e (tolerance %.0e)\n", dtype_name(dt), worst, tol);
    failures += worst > tol;
  }
  // First and second derivatives against finite differences (float64).
  Tensor xg = x.detach();
  xg.requires_grad_(true);
  auto f = [](const Tensors& in) { return Tensors{swish(in[0])}; };
  const autograd::GradcheckResult g1 = autograd::gradcheck(f, {xg});
  const autograd::GradcheckResult g2 = autograd::gradgradcheck(f, {xg});
  std::printf("gradcheck     %s %s\n", g1 ? "ok" : "FAILED", g1.message.c_str());
  std::printf("gradgradcheck %s %s\n", g2 ? "ok" : "FAILED", g2.message.c_str());
  failures += !g1 + !g2;
  // Used like any op: inside a small model, with a gradient penalty on top.
  Tensor w = randn({7, 3}, kFloat64);
  w.requires_grad_(true);
  Tensor xi = x.detach();
  xi.requires_grad_(true);
  Tensor out = sum(swish(mm(xi, w)));
  Tensor gx = autograd::grad({out}, {xi}, {}, /*create_graph=*/true)[0];
  sum(mul(gx, gx)).backward();
  std::printf("penalty gradient for w: %s\n", w.grad().defined() ? "computed" : "MISSING");
  failures += !w.grad().defined();
  return failures == 0 ? 0 : 1;
}
