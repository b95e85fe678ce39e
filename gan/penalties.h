// gan/penalties.h — gradient penalties on the discriminator, written with
// autograd::grad(create_graph = true), so their own backward differentiates
// D's input gradient again (a double backward through every D layer).
//
//   gradient_penalty (WGAN-GP, Gulrajani et al. 2017):
//     x^ = e * real + (1 - e) * fake,  e ~ U(0,1) per sample   [N,C,H,W]
//     gp = mean_n (||d D(x^) / d x^||_2 - 1)^2
//   r1_penalty (Mescheder et al. 2018), on real data only:
//     r1 = mean_n ||d D(real) / d real||_2^2
// The callers scale them (lambda = 10 for WGAN-GP, gamma / 2 for R1). Labels
// are passed through to conditional discriminators (undefined otherwise).
#pragma once
#include "core/rng.h"
#include "gan/models/model.h"

namespace gantry {
namespace gan {

// real, fake [N,C,H,W] (fake is detached here); returns a 0-d tensor whose
// graph reaches D's parameters.
Tensor gradient_penalty(DiscriminatorNet& D, const Tensor& real, const Tensor& fake,
                        const Tensor& labels, RandomState* g);
Tensor r1_penalty(DiscriminatorNet& D, const Tensor& real, const Tensor& labels);

}  // namespace gan
}  // namespace gantry
