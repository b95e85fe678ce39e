// gan/metrics/evaluator.h — all metrics at once: features and predictions of
// the Fashion-MNIST classifier for a set of images, compared with those of a
// reference set (normally the 10,000 test images).
//
//   Evaluator ev(classifier, reference_images);      // [M,1,28,28] in [-1,1]
//   Report r = ev.evaluate(samples);                  // [N,1,28,28] in [-1,1]
//   r.fid, r.kid, r.precision, r.recall, r.coverage
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "gan/metrics/classifier.h"
#include "gan/metrics/stats.h"

namespace gantry {
namespace gan {
namespace metrics {

// The one metric rule for every family: images of any size and channel
// count as the classifier's [N, 1, 28, 28] input.
//   - RGB (3 channels) becomes luminance 0.299 R + 0.587 G + 0.114 B;
//   - 28x28 is taken as it is;
//   - 32x32 (Fashion-MNIST padded to 32, as progressive models train on it)
//     is center-cropped to 28x28, and 32/2^k (4, 8, 16: a growing model below
//     its final resolution) is first enlarged to 32 by repeating pixels;
//   - any other size is resized to 28x28: area averaging when shrinking,
//     bilinear when enlarging.
// Values stay as they are (the classifier was trained on [-1, 1]); outputs
// are clamped to [-1, 1], as saved images would be.
Tensor classifier_input(const Tensor& images);

struct Report {
  int64_t n = 0;        // samples scored
  double fid = 0;       // FID-FMNIST: Frechet distance of the 128-d features
  double kid = 0, kid_std = 0;
  double precision = 0, recall = 0;
  double coverage = 0;  // predicted-class entropy / log 10
};

struct Features {
  Matrix f;                   // [N,128] float64
  std::vector<int64_t> pred;  // [N] predicted classes
};
// Runs the classifier (eval mode, no graph) in batches.
Features extract_features(FmnistClassifier& c, const Tensor& images, int64_t batch = 500);

class Evaluator {
 public:
  Evaluator(std::shared_ptr<FmnistClassifier> c, const Tensor& reference, uint64_t seed = 0);
  Report evaluate(const Tensor& images);
  Report evaluate(const Features& f) const;
  const Features& reference() const { return ref_; }

 private:
  std::shared_ptr<FmnistClassifier> c_;
  Features ref_;
  Gaussian ref_gauss_;
  uint64_t seed_;
};

}  // namespace metrics
}  // namespace gan
}  // namespace gantry
