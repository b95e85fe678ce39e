// gan/penalties.cpp — WGAN-GP's gradient penalty and R1 (see penalties.h).
#include "gan/penalties.h"

namespace gantry {
namespace gan {

namespace {
// ||d sum(D(x)) / d x||^2 per sample: [N]. x must be a leaf that requires grad.
Tensor input_grad_sq_norm(DiscriminatorNet& D, const Tensor& x, const Tensor& labels) {
  Tensor out = D.score(x, labels);  // [N]
  Tensor g = autograd::grad({sum(out)}, {x}, {}, /*create_graph=*/true)[0];  // [N,C,H,W]
  return sum(square(g), {1, 2, 3});
}
}  // namespace

Tensor gradient_penalty(DiscriminatorNet& D, const Tensor& real, const Tensor& fake,
                        const Tensor& labels, RandomState* gen) {
  GANTRY_CHECK(real.dim() == 4 && real.shape() == fake.shape(), "gradient_penalty: real ",
               shape_str(real.shape()), " and fake ", shape_str(fake.shape()), " must be [N,C,H,W] alike");
  // Drawn on the CPU and copied: the same interpolates on every device.
  Tensor e = rand({real.size(0), 1, 1, 1}, real.dtype(), gen).to(real.device());
  Tensor xhat;
  {
    NoGradGuard ng;
    xhat = add(mul(e, real.detach()), mul(sub(1.0, e), fake.detach()));
  }
  xhat.requires_grad_(true);
  // sqrt(s + 1e-12): a zero gradient would otherwise give 0/0 in the backward.
  Tensor norm = sqrt(add(input_grad_sq_norm(D, xhat, labels), 1e-12));
  return mean(square(sub(norm, 1.0)));
}

Tensor r1_penalty(DiscriminatorNet& D, const Tensor& real, const Tensor& labels) {
  Tensor x = real.detach();
  x.requires_grad_(true);
  return mean(input_grad_sq_norm(D, x, labels));
}

}  // namespace gan
}  // namespace gantry
