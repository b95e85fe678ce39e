// gan/losses.h — GAN objectives as functions of the discriminator's outputs
// (logits, or critic scores for Wasserstein/hinge), usable from any loop.
//
//   kind            D loss                                  G loss
//   nonsaturating   bce(real, t) + bce(fake, 0)             bce(fake, 1)
//   minimax         bce(real, t) + bce(fake, 0)             -bce(fake, 0) = mean log(1 - s(fake))
//   lsgan           0.5 mean (real - t)^2 + 0.5 mean fake^2  0.5 mean (fake - 1)^2
//   hinge           mean relu(1 - real) + mean relu(1 + fake)   -mean fake
//   wasserstein     mean fake - mean real                   -mean fake
// bce = binary_cross_entropy_with_logits (stable for any logit); t are the
// real targets (1, or smoothed labels such as U(0.8, 1.0); default 1).
// Logits have shape [N] (or [N,1]); the losses are 0-d tensors.
#pragma once
#include <string>

#include "autograd/ops.h"

namespace gantry {
namespace gan {

enum class LossKind { NonSaturating, Minimax, LeastSquares, Hinge, Wasserstein };

// "nonsaturating", "minimax", "lsgan", "hinge", "wasserstein".
LossKind parse_loss(const std::string& name);
std::string loss_name(LossKind k);

Tensor discriminator_loss(LossKind k, const Tensor& real_logits, const Tensor& fake_logits,
                          const Tensor& real_targets = Tensor());
Tensor generator_loss(LossKind k, const Tensor& fake_logits);

}  // namespace gan
}  // namespace gantry
