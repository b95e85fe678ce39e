// gan/metrics/evaluator.cpp — classifier features and the metric report (see evaluator.h).
#include "gan/metrics/evaluator.h"

#include <algorithm>

namespace gantry {
namespace gan {
namespace metrics {

Features extract_features(FmnistClassifier& c, const Tensor& images, int64_t batch) {
  GANTRY_CHECK(images.dim() == 4 && images.size(1) == 1 && images.size(2) == 28 && images.size(3) == 28,
               "metrics: images must be [N,1,28,28] in [-1,1], got ", shape_str(images.shape()));
  NoGradGuard ng;
  nn::EvalGuard eg(c);
  const int64_t n = images.size(0);
  Features out;
  out.f.resize(n, FmnistClassifier::kFeatures);
  out.pred.resize(n);
  Tensor x = to(images, kFloat32);
  for (int64_t s = 0; s < n; s += batch) {
    const int64_t e = std::min(n, s + batch);
    Tensor h = c.features(contiguous(core::slice(x, 0, s, e, 1)));          // [b,128]
    std::vector<double> hv = to(h, kFloat64).to_vector<double>();
    std::vector<int64_t> p = argmax(c.out->forward(h), 1).to_vector<int64_t>();  // [b]
    for (int64_t i = s; i < e; ++i) {
      for (int64_t j = 0; j < FmnistClassifier::kFeatures; ++j)
        out.f(i, j) = hv[(i - s) * FmnistClassifier::kFeatures + j];
      out.pred[i] = p[i - s];
    }
  }
  return out;
}

Evaluator::Evaluator(std::shared_ptr<FmnistClassifier> c, const Tensor& reference, uint64_t seed)
    : c_(std::move(c)), seed_(seed) {
  GANTRY_CHECK(c_ != nullptr, "Evaluator: no classifier");
  ref_ = extract_features(*c_, reference);
  ref_gauss_ = fit_gaussian(ref_.f);
}

Tensor classifier_input(const Tensor& images) {
  GANTRY_CHECK(images.dim() == 4 && (images.size(1) == 1 || images.size(1) == 3) && images.size(2) == images.size(3),
               "metrics: images must be [N, 1 or 3, S, S], got ", shape_str(images.shape()));
  Tensor x = to(images, kFloat32);
  if (x.size(1) == 3) {  // luminance (ITU-R BT.601 weights)
    Tensor w = from_vector<float>({0.299f, 0.587f, 0.114f}, {1, 3, 1, 1}).to(x.device());
    x = sum(mul(x, w), {1}, true);
  }
  int64_t s = x.size(2);
  if (s < 32 && 32 % s == 0) {  // a growing model's lower resolution of a padded-32 image
    x = upsample_nearest2d(x, {32, 32});
    s = 32;
  }
  if (s == 32) x = slice(slice(x, 2, 2, 30), 3, 2, 30);
  else if (s > 28) x = adaptive_avg_pool2d(x, {28, 28});  // area averaging (bins as PyTorch's adaptive pooling)
  else if (s < 28) x = upsample_bilinear2d(x, {28, 28});
  return contiguous(clamp(x, -1.0, 1.0));
}

Report Evaluator::evaluate(const Tensor& images) {
  return evaluate(extract_features(*c_, classifier_input(images)));
}

Report Evaluator::evaluate(const Features& f) const {
  Report r;
  r.n = f.f.rows();
  r.fid = frechet_distance(fit_gaussian(f.f), ref_gauss_);
  // Subsets of 1000 (the usual size), or of half the samples when there are
  // fewer than 2000, so the 50 subsets differ and their spread means something.
  const int64_t n = std::min<int64_t>(f.f.rows(), ref_.f.rows());
  KID k = kernel_inception_distance(f.f, ref_.f, 50, std::min<int64_t>(1000, std::max<int64_t>(2, n / 2)), seed_);
  r.kid = k.mean;
  r.kid_std = k.std;
  PrecisionRecall pr = precision_recall(ref_.f, f.f, 3);
  r.precision = pr.precision;
  r.recall = pr.recall;
  r.coverage = class_coverage(f.pred, c_ ? c_->classes() : FmnistClassifier::kClasses);
  return r;
}

}  // namespace metrics
}  // namespace gan
}  // namespace gantry
