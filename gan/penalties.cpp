// gan/penalties.cpp — WGAN-GP's gradient penalty and R1 (see penalties.h).
#include "gan/penalties.h"

#include <cmath>

namespace gantry {
namespace gan {

namespace {
// ||d sum(D(x)) / d x||^2 per sample: [N]. x must be a leaf that requires grad.
Tensor input_grad_sq_norm(DiscriminatorNet& D, const Tensor& x, const Tensor& labels, const InputTransform& aug) {
  Tensor out = D.score(aug ? aug(x) : x, labels);  // [N]
  Tensor g = autograd::grad({sum(out)}, {x}, {}, /*create_graph=*/true)[0];  // [N,C,H,W]
  return sum(square(g), {1, 2, 3});
}
}  // namespace

Tensor gradient_penalty(DiscriminatorNet& D, const Tensor& real, const Tensor& fake,
                        const Tensor& labels, RandomState* gen, const InputTransform& aug) {
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
  Tensor norm = sqrt(add(input_grad_sq_norm(D, xhat, labels, aug), 1e-12));
  return mean(square(sub(norm, 1.0)));
}

Tensor r1_penalty(DiscriminatorNet& D, const Tensor& real, const Tensor& labels, const InputTransform& aug) {
  Tensor x = real.detach();
  x.requires_grad_(true);
  return mean(input_grad_sq_norm(D, x, labels, aug));
}

namespace {
// a_n = sqrt(mean_layers sum_k (d <img, y> / d ws)^2): [N].
Tensor lengths_of(const Tensor& img, const Tensor& ws, const Tensor& y, bool create_graph) {
  GANTRY_CHECK(img.shape() == y.shape(), "path_length_penalty: probe ", shape_str(y.shape()),
               " does not match the images ", shape_str(img.shape()));
  const Tensor g = autograd::grad({sum(mul(img, y))}, {ws}, {}, create_graph)[0];  // [N, L, w_dim]
  return sqrt(mean(sum(square(g), {2}), {1}));
}
void check_ws(const Tensor& ws) {
  GANTRY_CHECK(ws.dim() == 3 && ws.requires_grad(), "path_length_penalty: ws ", shape_str(ws.shape()),
               " must be [N, num_ws, w_dim] and part of a graph (requires grad)");
}
}  // namespace

Tensor path_lengths(StyleNet& G, const Tensor& ws, const Tensor& y, bool create_graph, NoiseMode noise) {
  check_ws(ws);
  return lengths_of(G.synthesis(ws, noise), ws, y, create_graph);
}

Tensor path_length_penalty(StyleNet& G, const Tensor& ws, double* pl_mean, double decay, RandomState* gen) {
  GANTRY_CHECK(decay > 0 && decay <= 1, "path_length_penalty: decay ", decay, " must be in (0, 1]");
  check_ws(ws);
  const Tensor img = G.synthesis(ws, NoiseMode::Random);  // [N, C, H, W]
  const double scale = 1.0 / std::sqrt(static_cast<double>(img.size(2) * img.size(3)));
  // Drawn on the CPU and copied: the same probe on every device.
  const Tensor y = mul(randn(img.shape(), img.dtype(), gen), scale).to(img.device());
  const Tensor a = lengths_of(img, ws, y, /*create_graph=*/true);  // [N]
  const double batch_mean = mean(a.detach()).item<double>();
  *pl_mean += decay * (batch_mean - *pl_mean);
  return mean(square(sub(a, *pl_mean)));
}

}  // namespace gan
}  // namespace gantry
