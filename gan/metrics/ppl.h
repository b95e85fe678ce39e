// gan/metrics/ppl.h — perceptual path length (Karras et al. 2019, section
// 3; StyleGAN2's variant: in W, at the path endpoints), with the distance
// measured in the features of Gantry's Fashion-MNIST classifier instead of
// LPIPS (whose VGG-16 weights are not available offline; docs/metrics.md).
//
//   for each of n pairs of latents z0, z1:  w0 = mapping(z0), w1 = mapping(z1)
//     t = 0 ("end", the paper's W figure) or t ~ U(0, 1) ("full")
//     a = G(lerp(w0, w1, t)), b = G(lerp(w0, w1, t + eps))    (stored noise)
//     d = || f(a) - f(b) ||^2 / eps^2,  f = classifier features (128-d) of
//         classifier_input(image) (the metric rule: center-crop 32 -> 28)
//   PPL = mean of d over the samples between the 1st and 99th percentiles
//
// A small PPL means a small step in W changes the image a little everywhere:
// the smooth generator the path-length penalty asks for. The numbers are on
// the classifier's scale, not comparable with the paper's LPIPS figures.
#pragma once
#include <cstdint>

#include "gan/models/model.h"

namespace gantry {
namespace gan {
namespace metrics {

class FmnistClassifier;

struct PPLOptions {
  int64_t n = 10000;      // latent pairs
  double epsilon = 1e-4;  // the step along the path
  bool full = false;      // t ~ U(0, 1) instead of the endpoints
  int64_t batch = 250;
  uint64_t seed = 0;
};

// G must be style-based (StyleNet); the error names what it is not.
double perceptual_path_length(GeneratorNet& G, FmnistClassifier& c, const PPLOptions& o);

}  // namespace metrics
}  // namespace gan
}  // namespace gantry
