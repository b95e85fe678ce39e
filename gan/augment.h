// gan/augment.h — DiffAugment-style differentiable augmentation (Zhao et al.,
// 2020): the same random transformation family is applied to real and fake
// images before D sees them, and gradients flow through it to G, so a small
// data set does not let D memorize it.
//
//   translation: each image shifted by an integer (dy, dx) in [-r, r]^2 with
//                r = round(H / 8) (3 px at 28x28), zeros shifted in
//   cutout:      each image gets one zeroed square of side H / 2 at a
//                uniformly drawn centre (clipped at the borders)
// Both are gathers/masks, so they are differentiable (to every order) in x.
// Policies: "" or "none" (identity), "translation", "cutout",
// "translation,cutout"; "ada" names adaptive augmentation (gan/ada.h), which
// the trainer runs instead of these.
#pragma once
#include <string>

#include "autograd/ops.h"
#include "core/rng.h"

namespace gantry {
namespace gan {

// Throws for an unknown policy, naming it.
void check_augment_policy(const std::string& policy);
// x [N,C,H,W] -> [N,C,H,W]; draws from g.
Tensor diff_augment(const Tensor& x, const std::string& policy, RandomState* g);
Tensor random_translation(const Tensor& x, RandomState* g, double ratio = 0.125);
Tensor random_cutout(const Tensor& x, RandomState* g, double ratio = 0.5);

}  // namespace gan
}  // namespace gantry
