// gan/metrics/ppl.cpp — perceptual path length in W (see ppl.h).
#include "gan/metrics/ppl.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "autograd/ops.h"
#include "core/error.h"
#include "core/rng.h"
#include "gan/metrics/classifier.h"
#include "gan/metrics/evaluator.h"

namespace gantry {
namespace gan {
namespace metrics {

double perceptual_path_length(GeneratorNet& G, FmnistClassifier& c, const PPLOptions& o) {
  StyleNet* S = as_style(G);
  GANTRY_CHECK(S != nullptr, "PPL: the path length in W needs a style-based generator (stylegan2)");
  GANTRY_CHECK(o.n >= 2 && o.batch >= 1 && o.epsilon > 0, "PPL: n (", o.n, ") must be >= 2, batch (", o.batch,
               ") and epsilon (", o.epsilon, ") positive");
  NoGradGuard ng;
  nn::EvalGuard eg(G), ec(c);
  RandomState rng(o.seed);
  std::vector<double> dist;
  dist.reserve(static_cast<size_t>(o.n));
  for (int64_t done = 0; done < o.n; done += o.batch) {
    const int64_t b = std::min(o.batch, o.n - done);
    const Tensor z = randn({2 * b, G.config.latent}, {}, &rng);
    const Tensor t = o.full ? rand({b, 1, 1}, {}, &rng) : zeros({b, 1, 1});
    const Tensor ws = S->mapping(z);  // [2b, L, w_dim]
    const Tensor w0 = narrow(ws, 0, 0, b), w1 = narrow(ws, 0, b, b);
    const Tensor a = add(w0, mul(sub(w1, w0), t));
    const Tensor bb = add(w0, mul(sub(w1, w0), add(t, o.epsilon)));
    const Tensor img = S->synthesis(cat({a, bb}, 0), NoiseMode::Const);
    const Tensor f = c.features(classifier_input(img));  // [2b, 128]
    const Tensor d = div(sum(square(sub(narrow(f, 0, 0, b), narrow(f, 0, b, b))), {1}), o.epsilon * o.epsilon);
    const std::vector<double> v = to(d, kFloat64).to_vector<double>();
    dist.insert(dist.end(), v.begin(), v.end());
  }
  // Keep the samples between the 1st and 99th percentiles: the sorted value
  // at or below rank 0.01 (n - 1) and the one at or above rank 0.99 (n - 1)
  // (numpy's 'lower' and 'higher', as StyleGAN's code takes them).
  std::vector<double> sorted = dist;
  std::sort(sorted.begin(), sorted.end());
  const double last = static_cast<double>(sorted.size() - 1);
  const double lo = sorted[static_cast<size_t>(std::floor(0.01 * last))];
  const double hi = sorted[static_cast<size_t>(std::ceil(0.99 * last))];
  double s = 0;
  int64_t k = 0;
  for (double v : dist)
    if (v >= lo && v <= hi) s += v, ++k;
  return s / static_cast<double>(k);
}

}  // namespace metrics
}  // namespace gan
}  // namespace gantry
