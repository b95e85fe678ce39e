// gan/penalties.h — gradient penalties on the discriminator, written with
// autograd::grad(create_graph = true), so their own backward differentiates
// D's input gradient again (a double backward through every D layer).
//
//   gradient_penalty (WGAN-GP, Gulrajani et al. 2017):
//     x^ = e * real + (1 - e) * fake,  e ~ U(0,1) per sample   [N,C,H,W]
//     gp = mean_n (||d D(x^) / d x^||_2 - 1)^2
//   r1_penalty (Mescheder et al. 2018), on real data only:
//     r1 = mean_n ||d D(real) / d real||_2^2
//   path_length_penalty (StyleGAN2, Karras et al. 2020), on the generator:
//     images g(ws) [N,C,H,W], y ~ N(0, I) / sqrt(H W),
//     a_n = sqrt(mean_layers sum_k (d <g(ws), y> / d ws[n, layer, k])^2)
//     (the length of J_w^T y, per sample), a_bar <- a_bar + decay (mean a - a_bar),
//     pl = mean_n (a_n - a_bar)^2
//     A small pl makes a fixed-size step in W change the image by a fixed
//     amount everywhere in W: a smoother, better-conditioned generator.
// The callers scale them (lambda = 10 for WGAN-GP, gamma / 2 for R1, the
// path-length weight for pl). Labels are passed through to conditional
// discriminators (undefined otherwise). `aug`, when given, is applied to D's
// input inside the penalty (D sees aug(x), the gradient is taken with respect
// to x): with adaptive augmentation D only ever sees augmented images, so its
// penalties differentiate through the augmentation too (gan/ada.h).
#pragma once
#include <functional>

#include "core/rng.h"
#include "gan/models/model.h"

namespace gantry {
namespace gan {

// real, fake [N,C,H,W] (fake is detached here); returns a 0-d tensor whose
// graph reaches D's parameters.
using InputTransform = std::function<Tensor(const Tensor&)>;
Tensor gradient_penalty(DiscriminatorNet& D, const Tensor& real, const Tensor& fake,
                        const Tensor& labels, RandomState* g, const InputTransform& aug = {});
Tensor r1_penalty(DiscriminatorNet& D, const Tensor& real, const Tensor& labels,
                  const InputTransform& aug = {});

// ws [N, num_ws, w_dim] (with the graph back to G's mapping); pl_mean is the
// running a_bar, updated in place (a plain number: no gradient flows through
// it); y is drawn from g on the CPU and copied. Returns the 0-d penalty,
// whose graph reaches G's parameters (a double backward through synthesis).
Tensor path_length_penalty(StyleNet& G, const Tensor& ws, double* pl_mean, double decay, RandomState* g);
// The lengths a_n [N] for a given probe y (no running mean): what the
// penalty pulls together; tests check its gradient by finite differences.
Tensor path_lengths(StyleNet& G, const Tensor& ws, const Tensor& y, bool create_graph,
                    NoiseMode noise = NoiseMode::Random);

}  // namespace gan
}  // namespace gantry
