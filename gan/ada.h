// gan/ada.h — adaptive discriminator augmentation (Karras et al. 2020,
// "Training Generative Adversarial Networks with Limited Data"): every image
// D sees, real or fake, passes through a random pipeline of invertible
// transformations, each applied with probability p, and p itself follows how
// much D overfits.
//
// The pipeline, per image, in this order (each step with probability p, the
// two rotations with 1 - sqrt(1 - p) so that their sum stays about p):
//   geometric, composed into one affine map and applied by one bilinear
//   warp (affine grid -> reflected into the image -> grid_sample, border):
//     x-flip; a 90-degree rotation (k = 0..3); an integer translation of up to
//     1/8 of the size; isotropic scaling by 2^N(0, 0.2); an arbitrary
//     rotation; anisotropic scaling by 2^N(0, 0.2) along x (and its inverse
//     along y); a second arbitrary rotation; a fractional translation
//     N(0, 0.125) of the size
//   colour: brightness + N(0, 0.2); contrast x 2^N(0, 0.5) around the
//     image's mean
//   cutout: a zeroed square of half the image's side at a uniform centre
// Everything is an op on x (grid_sample, mul, add, mean), so gradients reach
// G through it and R1 / the gradient penalty differentiate through it to any
// order. The random draws come from the caller's generator: the same seed
// gives the same augmentations.
//
// The heuristic: r_t = E[sign(D(real))] over `interval` D steps; p moves by
// sign(r_t - target) * (images in the interval) / speed_images, clamped to
// [0, 1]. target 0.6 and a speed of 500,000 images from 0 to 1 are the
// paper's.
//
//   AdaptiveAugment ada(0.6);
//   Tensor d_real = D(ada.augment(real, &g));   ada.observe(d_real);
#pragma once
#include <cstdint>

#include "autograd/ops.h"
#include "core/rng.h"

namespace gantry {
namespace gan {

// Which steps of the pipeline run (all by default; tests and ablations turn
// some off). A step that is off still draws its random numbers, so turning
// one off leaves the others' draws as they were.
struct AdaSteps {
  bool xflip = true, rotate90 = true, int_translation = true, iso_scale = true, rotation = true,
       aniso_scale = true, frac_translation = true, brightness = true, contrast = true, cutout = true;
  static AdaSteps none() {
    AdaSteps s;
    s.xflip = s.rotate90 = s.int_translation = s.iso_scale = s.rotation = s.aniso_scale = s.frac_translation =
        s.brightness = s.contrast = s.cutout = false;
    return s;
  }
};

// The pipeline with probability p for each step: x [N,C,H,W] (square or not)
// -> [N,C,H,W]. p = 0 returns x itself (and draws nothing).
Tensor ada_augment(const Tensor& x, double p, RandomState* g, const AdaSteps& steps = AdaSteps());

class AdaptiveAugment {
 public:
  // target in (0, 1); interval >= 1 D steps; speed_images > 0.
  explicit AdaptiveAugment(double target = 0.6, int64_t interval = 4, double speed_images = 500000.0,
                           double p = 0.0);
  Tensor augment(const Tensor& x, RandomState* g) const { return ada_augment(x, p_, g); }
  // D's outputs on the (augmented) real batch of one D step, [N]; every
  // `interval` calls p is adjusted. Returns true when it was.
  bool observe(const Tensor& d_real);
  double p() const { return p_; }
  // The last interval's r_t (0 before the first adjustment).
  double rt() const { return rt_; }
  // The running state, for checkpoints: p, and the interval's partial sums.
  void set_state(double p, double sign_sum, int64_t count, int64_t steps);
  double sign_sum() const { return sign_sum_; }
  int64_t count() const { return count_; }
  int64_t steps() const { return steps_; }
  double target() const { return target_; }

 private:
  double target_, speed_images_, p_;
  int64_t interval_;
  double sign_sum_ = 0, rt_ = 0;
  int64_t count_ = 0, steps_ = 0;  // images and D steps in the current interval
};

}  // namespace gan
}  // namespace gantry
