// gan/projection.h — projecting a real image into a style-based generator's
// latent space (Karras et al. 2020, section 5 and its projector): find the w
// (or one w per layer, W+) and the per-layer noise maps whose image matches
// the target, by gradient descent.
//
//   start   w = w_avg (the mean of `w_avg_samples` mapped latents; their
//           spread sigma_w = sqrt(E ||w - w_avg||^2) sets the noise scale),
//           noise maps = N(0, 1)
//   step t  (of T, progress p = t / T)
//           lr    = lr0 * ramp:  cosine ramp-down over the last 25 %, linear
//                   ramp-up over the first 5 %
//           w~    = w + N(0, 1) * sigma_w * 0.05 * max(0, 1 - p / 0.75)^2
//                   (exploration noise that fades out)
//           loss  = distance(G(w~, noise), target) + noise_weight * reg(noise)
//           Adam (0.9, 0.999) on w and the noise maps; the maps are then
//           renormalized to zero mean, unit variance
//   distance  the mean squared pixel difference (images in [-1, 1]; where
//             the target is at -1 or 1, an image beyond it matches) plus
//             feature_weight x the mean squared difference of the two images'
//             features in Gantry's Fashion-MNIST classifier (gan/metrics/):
//             the paper uses LPIPS, a VGG-16 feature distance whose weights
//             are not available offline; the classifier's features play the
//             same part (a perceptual, not a pixel, distance) for the
//             images Gantry's models make
//   reg       for each noise map, at every scale down to 8x8 (2x2 average
//             pooling between scales): the squared autocorrelation at a
//             shift of one pixel, horizontally and vertically, so the noise
//             cannot smuggle the image in
//
// The result keeps the distance of every step (a test holds it to decrease),
// the final image and a few snapshots for a progress strip.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "gan/models/model.h"

namespace gantry {
namespace gan {

namespace metrics {
class FmnistClassifier;
}

struct ProjectOptions {
  int64_t steps = 1000;
  double lr = 0.1;
  bool w_plus = false;            // one w per layer (W+) instead of one w for all
  double noise_weight = 1e5;      // weight of the noise regularization
  double feature_weight = 1.0;    // weight of the classifier-feature distance (0: pixels only)
  int64_t w_avg_samples = 10000;  // latents for w_avg and sigma_w
  int64_t snapshots = 8;          // images kept for the progress strip (>= 2)
  uint64_t seed = 0;              // the exploration noise, the latents, the initial noise maps
};

struct ProjectResult {
  Tensor ws;                       // [1, num_ws, w_dim]
  std::vector<Tensor> noise;       // the optimized noise maps, [r, r] each, layer order
  Tensor image;                    // [1, C, R, R] in [-1, 1]: G(ws, noise)
  std::vector<double> distance;    // per step (before that step's update)
  std::vector<Tensor> strip;       // snapshots [1, C, R, R], the last one the result
  double final_distance = 0;       // distance of `image` to the target
};

// target [1, C, R, R] in [-1, 1] at G's resolution and channels. classifier
// may be null when feature_weight is 0. G is used in eval mode and left
// unchanged (its stored noise maps are not modified).
ProjectResult project(GeneratorNet& G, const Tensor& target, metrics::FmnistClassifier* classifier,
                      const ProjectOptions& o);

// An image file (PNG/JPEG) as the target for G: [1, C, R, R] in [-1, 1]. The
// image is converted to G's channels, center-cropped to a square and resized
// to G's resolution (area shrink, bilinear enlarge); `note` says what was done.
Tensor load_projection_target(const std::string& path, const GeneratorNet& G, std::string* note);

// Peak signal-to-noise ratio of two images in [-1, 1] (peak-to-peak 2), in dB.
double psnr(const Tensor& a, const Tensor& b);

}  // namespace gan
}  // namespace gantry
