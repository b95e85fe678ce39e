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

// The relativistic average GAN (Jolicoeur-Martineau 2019), as ESRGAN uses it:
// each side's logits are judged relative to the mean of the other side's,
//   D: 0.5 bce(real - mean(fake), 1) + 0.5 bce(fake - mean(real), 0)
//   G: 0.5 bce(real - mean(fake), 0) + 0.5 bce(fake - mean(real), 1)
// so G's loss depends on the real logits too (both sides get a gradient).
// The gradients are the paper's, through both terms; BasicSR's ESRGAN code
// instead detaches the other side's mean in D's loss (it backpropagates the
// two halves separately). For G's step it makes no difference: D is frozen
// and the real logits do not depend on G.
// Logits of any shape (per image [N,1], or per pixel [N,1,H,W] for a U-Net
// D); the means are over all elements.
Tensor relativistic_d_loss(const Tensor& real_logits, const Tensor& fake_logits);
Tensor relativistic_g_loss(const Tensor& real_logits, const Tensor& fake_logits);

}  // namespace gan
}  // namespace gantry
