// gan/translation_eval.cpp — pix2pix and CycleGAN scores (see translation_eval.h).
#include "gan/translation_eval.h"

#include <algorithm>

#include "gan/data/translation_data.h"
#include "gan/metrics/evaluator.h"
#include "gan/metrics/image_quality.h"
#include "gan/models/translation/translation.h"

namespace gantry {
namespace gan {

namespace {
Tensor first_n(const Tensor& t, int64_t n) { return narrow(t, 0, 0, std::min<int64_t>(n, t.size(0))).contiguous(); }
double mean_abs(const Tensor& a, const Tensor& b) {
  NoGradGuard ng;
  return mean(abs(sub(a, b))).item<double>();
}
}  // namespace

Tensor translate_batches(nn::Module& G, const Tensor& images, int64_t batch) {
  NoGradGuard ng;
  nn::EvalGuard eg(G);
  std::vector<Tensor> parts;
  for (int64_t i = 0; i < images.size(0); i += batch) {
    const Tensor x = narrow(images, 0, i, std::min(batch, images.size(0) - i));
    parts.push_back(clamp(G.forward(x), -1.0, 1.0));
  }
  return parts.size() == 1 ? parts[0] : cat(parts, 0);
}

EvalResult evaluate_translation(const EvalRequest& req, const std::string& path, const LogSink& log) {
  GANTRY_CHECK(req.n >= 10, "eval: n (", req.n, ") must be at least 10");
  const LoadedTranslator t = load_translator(path, "a2b");
  TrainOptions o = t.options;
  if (!req.data.empty()) o.data = req.data;
  if (req.data_dir != EvalRequest().data_dir) o.data_dir = req.data_dir;
  const TranslationData d = load_translation_data(o);
  const bool fmnist = o.data == "fashion-mnist";
  EvalResult r;
  if (t.model == "pix2pix") {
    const Tensor a = first_n(d.test_a.images, req.n), b = first_n(d.test_b.images, req.n);
    const int64_t n = a.size(0);
    if (log) log(LogLevel::Info, str("eval: translating ", n, " held-out pairs (", d.describe, ")"));
    const Tensor y = translate_batches(*t.net, a);
    // SSIM's 11x11 window needs images at least that large.
    const bool with_ssim = b.size(2) >= 11 && b.size(3) >= 11;
    double ps = 0, ss = 0;
    for (int64_t i = 0; i < n; ++i) {
      const HostImage hy = metrics::to_host_image(select(y, 0, i)), hb = metrics::to_host_image(select(b, 0, i));
      ps += metrics::psnr(hy, hb);
      if (with_ssim) ss += metrics::ssim(hy, hb);
    }
    r.header = str(n, " held-out pairs of ", d.describe, "; ", path, " (pix2pix, step ", t.step, ")",
                   with_ssim ? "" : "; no SSIM: images under 11x11");
    r.lines.push_back({"model", "L1", mean_abs(y, b), NAN});
    r.lines.push_back({"model", "PSNR", ps / static_cast<double>(n), NAN});
    if (with_ssim) r.lines.push_back({"model", "SSIM", ss / static_cast<double>(n), NAN});
    if (fmnist && n >= 10) {
      auto clf = metrics::load_or_train_classifier(req.classifier, o.data_dir, log);
      metrics::Evaluator ev(clf, b, req.seed);
      r.lines.push_back({"model", "FID-FMNIST", ev.evaluate(y).fid, NAN});
      const Tensor floor = load_fashion_mnist(o.data_dir, true, n).images;
      r.lines.push_back({"real-train", "FID-FMNIST", ev.evaluate(floor).fid, NAN});
      r.header += str("; FID against the same ", n, " test images, classifier ", req.classifier);
    }
    return r;
  }
  // CycleGAN: both directions.
  std::shared_ptr<metrics::FmnistClassifier> clf;
  int64_t ka = -1, kb = -1;
  ImageDataset train_all;
  if (fmnist) {
    clf = metrics::load_or_train_classifier(req.classifier, o.data_dir, log);
    ka = fashion_mnist_class(o.domain_a);
    kb = fashion_mnist_class(o.domain_b);
    train_all = load_fashion_mnist(o.data_dir, true);
  }
  const LoadedTranslator back = load_translator(path, "b2a");
  r.header = str(d.describe, ", held-out images of each domain (at most ", req.n, "); ", path, " (cyclegan, step ",
                 t.step, ")");
  for (int dir = 0; dir < 2; ++dir) {
    const char* label = dir == 0 ? "a2b" : "b2a";
    nn::Module& G = dir == 0 ? *t.net : *back.net;
    nn::Module& F = dir == 0 ? *t.inverse : *back.inverse;
    const Tensor x = first_n(dir == 0 ? d.test_a.images : d.test_b.images, req.n);
    const Tensor target = first_n(dir == 0 ? d.test_b.images : d.test_a.images, req.n);
    if (log) log(LogLevel::Info, str("eval: ", label, ": translating ", x.size(0), " held-out images"));
    const Tensor y = translate_batches(G, x), back_x = translate_batches(F, y);
    if (fmnist) {
      const int64_t want = dir == 0 ? kb : ka;
      const metrics::Features fy = metrics::extract_features(*clf, y);
      const auto hits = std::count(fy.pred.begin(), fy.pred.end(), want);
      r.lines.push_back({label, "target-rate", static_cast<double>(hits) / static_cast<double>(fy.pred.size()), NAN});
      const int64_t m = std::min(y.size(0), target.size(0));
      if (m >= 10) {
        metrics::Evaluator ev(clf, first_n(target, m), req.seed);
        r.lines.push_back({label, "FID-FMNIST", ev.evaluate(first_n(y, m)).fid, NAN});
        const Tensor floor = first_n(class_subset(train_all, want).images, m);
        r.lines.push_back({std::string("real-") + (dir == 0 ? "b" : "a"), "FID-FMNIST", ev.evaluate(floor).fid, NAN});
      }
    }
    r.lines.push_back({label, "cycle-L1", mean_abs(back_x, x), NAN});
  }
  if (fmnist) r.header += str("; per-class FID against the target class's test images, classifier ", req.classifier);
  return r;
}

}  // namespace gan
}  // namespace gantry
