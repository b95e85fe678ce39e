// gan/projection.cpp — projection of a target image into W / W+ and the
// noise maps (see gan/projection.h).
#include "gan/projection.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "autograd/ops.h"
#include "core/error.h"
#include "core/rng.h"
#include "gan/data/image.h"
#include "gan/metrics/classifier.h"
#include "gan/metrics/evaluator.h"
#include "gan/style_control.h"
#include "optim/adam.h"

namespace gantry {
namespace gan {

namespace {

// The noise regularization: squared one-pixel autocorrelations of every map,
// at every scale down to 8x8.
Tensor noise_regularization(const std::vector<Tensor>& maps) {
  Tensor reg;
  for (const Tensor& m : maps) {
    Tensor x = reshape(m, {1, 1, m.size(0), m.size(1)});
    while (true) {
      const int64_t s = x.size(2);
      // <x, x shifted by one pixel> along W and along H (circular, as a roll).
      const Tensor right = cat({narrow(x, 3, 1, s - 1), narrow(x, 3, 0, 1)}, 3);
      const Tensor down = cat({narrow(x, 2, 1, s - 1), narrow(x, 2, 0, 1)}, 2);
      const Tensor term = add(square(mean(mul(x, right))), square(mean(mul(x, down))));
      reg = reg.defined() ? add(reg, term) : term;
      if (s <= 8) break;
      x = avg_pool2d(x, {2, 2});
    }
  }
  return reg;
}

// Pixel MSE plus feature_weight x the classifier features' MSE. Where the
// target sits at a bound of [-1, 1], an image beyond that bound counts as
// matching (saved images are clamped): min(img, 1) there, max(img, -1) at -1.
Tensor distance(const Tensor& img_raw, const Tensor& target, const Tensor& target_features,
                metrics::FmnistClassifier* c, double feature_weight) {
  const Tensor img = where(le(target, -1.0), maximum(img_raw, -1.0),
                           where(ge(target, 1.0), minimum(img_raw, 1.0), img_raw));
  Tensor d = mean(square(sub(img, target)));
  if (feature_weight > 0) {
    const Tensor f = c->features(metrics::classifier_input(img));
    d = add(d, mul(mean(square(sub(f, target_features))), feature_weight));
  }
  return d;
}

}  // namespace

ProjectResult project(GeneratorNet& G, const Tensor& target, metrics::FmnistClassifier* classifier,
                      const ProjectOptions& o) {
  StyleNet& S = require_style(G, "", "projection");
  const int64_t R = G.config.resolution, C = G.config.channels;
  GANTRY_CHECK(target.dim() == 4 && target.size(0) == 1 && target.size(1) == C && target.size(2) == R &&
                   target.size(3) == R,
               "project: target ", shape_str(target.shape()), " must be [1, ", C, ", ", R, ", ", R, "]");
  GANTRY_CHECK(o.steps >= 1 && o.lr > 0 && o.w_avg_samples >= 2 && o.snapshots >= 2,
               "project: steps (", o.steps, "), lr (", o.lr, "), w_avg_samples (", o.w_avg_samples,
               ") and snapshots (", o.snapshots, ") must be positive (w_avg_samples, snapshots >= 2)");
  GANTRY_CHECK(o.feature_weight == 0 || classifier != nullptr,
               "project: a feature distance (feature_weight ", o.feature_weight, ") needs the classifier");
  nn::EvalGuard eg(G);
  // G's own parameters are not optimized: no gradient is kept for them.
  const std::vector<Tensor> params = G.parameters();
  std::vector<bool> had_grad;
  for (const Tensor& p : params) had_grad.push_back(p.requires_grad());
  G.requires_grad_(false);
  if (classifier) classifier->requires_grad_(false);
  auto restore = [&]() {
    for (size_t i = 0; i < params.size(); ++i) {
      Tensor handle = params[i];  // handles share the parameter's autograd state
      handle.requires_grad_(had_grad[i]);
    }
  };

  ProjectResult res;
  try {
    RandomState rng(o.seed);
    // w_avg and its spread, from the mapping of fresh latents.
    Tensor w_avg;
    double w_std = 0;
    {
      NoGradGuard ng;
      const Tensor z = randn({o.w_avg_samples, G.config.latent}, {}, &rng);
      const Tensor w = select(S.mapping(z), 1, 0);  // [n, w_dim]
      w_avg = mean(w, {0}, true);                   // [1, w_dim]
      w_std = std::sqrt(sum(square(sub(w, w_avg))).item<double>() / static_cast<double>(o.w_avg_samples));
    }
    const int64_t L = S.num_ws(), wd = S.w_dim();
    Tensor w_opt = o.w_plus ? clone(expand(unsqueeze(w_avg, 1), {1, L, wd})) : clone(unsqueeze(w_avg, 1));
    w_opt.requires_grad_(true);  // [1, L or 1, w_dim]
    std::vector<Tensor> noise;
    for (const Tensor& m : S.const_noise()) {
      Tensor n = randn(m.shape(), {}, &rng);
      n.requires_grad_(true);
      noise.push_back(n);
    }
    std::vector<Tensor> opt_params = {w_opt};
    opt_params.insert(opt_params.end(), noise.begin(), noise.end());
    optim::AdamOptions ao;
    ao.lr = o.lr;
    ao.beta1 = 0.9;
    ao.beta2 = 0.999;
    optim::Adam opt(opt_params, ao);

    Tensor target_features;
    if (o.feature_weight > 0) {
      NoGradGuard ng;
      target_features = classifier->features(metrics::classifier_input(target));
    }
    auto ws_of = [&](const Tensor& w) { return o.w_plus ? w : expand(w, {1, L, wd}); };
    const int64_t every = std::max<int64_t>(1, o.steps / (o.snapshots - 1));
    for (int64_t t = 0; t < o.steps; ++t) {
      const double p = static_cast<double>(t) / static_cast<double>(o.steps);
      const double fade = std::max(0.0, 1.0 - p / 0.75);
      const double w_noise = w_std * 0.05 * fade * fade;
      double ramp = std::min(1.0, (1.0 - p) / 0.25);
      ramp = 0.5 - 0.5 * std::cos(ramp * M_PI);
      ramp *= std::min(1.0, p / 0.05);
      opt.set_lr(o.lr * ramp);
      const Tensor explore = mul(randn(w_opt.shape(), {}, &rng), w_noise);
      const Tensor img = S.synthesis(ws_of(add(w_opt, explore)), noise);
      const Tensor dist = distance(img, target, target_features, classifier, o.feature_weight);
      const Tensor loss = add(dist, mul(noise_regularization(noise), o.noise_weight));
      res.distance.push_back(dist.item<double>());
      opt.zero_grad();
      loss.backward();
      opt.step();
      {
        NoGradGuard ng;  // renormalize the noise maps
        for (Tensor& n : noise) {
          const Tensor c = sub(n, mean(n));
          core::copy_(n, mul(c, rsqrt(mean(square(c)))));
        }
      }
      if (t % every == 0 && static_cast<int64_t>(res.strip.size()) < o.snapshots - 1) {
        NoGradGuard ng;
        res.strip.push_back(clamp(S.synthesis(ws_of(w_opt), noise), -1.0, 1.0));
      }
    }
    NoGradGuard ng;
    res.ws = clone(ws_of(detach(w_opt)));
    for (const Tensor& n : noise) res.noise.push_back(clone(detach(n)));
    res.image = clamp(S.synthesis(res.ws, res.noise), -1.0, 1.0);
    res.strip.push_back(res.image);
    res.final_distance = distance(res.image, target, target_features, classifier, o.feature_weight).item<double>();
  } catch (...) {
    restore();
    throw;
  }
  restore();
  return res;
}

Tensor load_projection_target(const std::string& path, const GeneratorNet& G, std::string* note) {
  const int C = static_cast<int>(G.config.channels);
  const int64_t R = G.config.resolution;
  Tensor img;
  try {
    img = load_image(path, C);  // [C, H, W] in [-1, 1]
  } catch (const Error& e) {
    throw Error(str("project: cannot read the target image: ", e.what()));
  }
  const int64_t H = img.size(1), W = img.size(2);
  std::ostringstream os;
  os << path << ": " << W << "x" << H;
  if (H != R || W != R) {
    img = from_vector<float>(resize_square(img.to_vector<float>(), C, H, W, R), {C, R, R});
    os << (H != W ? ", center-cropped to a square" : "") << ", resized to " << R << "x" << R
       << (std::min(H, W) > R ? " (area)" : " (bilinear)");
  }
  os << ", " << C << (C == 1 ? " channel (luminance)" : " channels (RGB)") << " for the model";
  if (note) *note = os.str();
  return reshape(img, {1, C, R, R});
}

double psnr(const Tensor& a, const Tensor& b) {
  GANTRY_CHECK(a.shape() == b.shape(), "psnr: shapes ", shape_str(a.shape()), " and ", shape_str(b.shape()),
               " differ");
  NoGradGuard ng;
  const double mse = mean(square(sub(to(a, kFloat64), to(b, kFloat64)))).item<double>();
  if (mse == 0) return INFINITY;
  return 10.0 * std::log10(4.0 / mse);  // peak-to-peak 2 for [-1, 1]
}

}  // namespace gan
}  // namespace gantry
