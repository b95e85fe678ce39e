// gan/evaluation.cpp — what the trainer shows of its generator: the sampler
// (the EMA copy when there is one), the PNG grid of fixed-noise samples every
// sample_every steps, and the metrics of gan/metrics/ every eval_every steps
// (the same latents each time, so the numbers are comparable over the run).
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gan/data/image.h"
#include "gan/eval.h"
#include "gan/metrics/evaluator.h"
#include "gan/trainer.h"

namespace gantry {
namespace gan {

namespace fs = std::filesystem;

GeneratorNet& Trainer::sampler() {
  if (ema_) {
    ema_->copy_to(*G_ema_);
    // The copied running statistics are the live G's: re-estimate them for
    // the averaged weights (a no-op for generators without BatchNorm).
    standing_stats(*G_ema_);
    return *G_ema_;
  }
  return *G_;
}

void Trainer::write_samples() const {
  char name[64];
  std::snprintf(name, sizeof name, "step_%06lld.png", static_cast<long long>(step_));
  write_samples(name);
}

void Trainer::write_samples(const std::string& name) const {
  NoGradGuard ng;
  GeneratorNet& g = const_cast<Trainer*>(this)->sampler();
  // A growing generator's current resolution, enlarged to the final one, so
  // grids over the run compare.
  Tensor imgs;
  {
    nn::EvalGuard eg(g);
    imgs = full_resolution(g, g.generate(fixed_noise_, fixed_labels_)).to(kCPU);
  }
  fs::create_directories(opt_.out + "/samples");
  const std::string path = opt_.out + "/samples/" + name;
  save_png_grid(path, imgs, 8, 2);
  if (tb_) {  // the same PNG, into the event file
    std::ifstream in(path, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    tb_->add_png("samples", bytes.str(), step_);
  }
}

metrics::Report Trainer::evaluate() {
  if (!evaluator_) {
    auto clf = metrics::load_or_train_classifier(opt_.classifier, opt_.data_dir, log_sink_);
    // Fashion-MNIST's test images, or the images of the folder the classifier was trained on.
    Tensor ref = metrics::reference_images(*clf, opt_.data_dir, /*train_split=*/false, opt_.eval_n);
    evaluator_ = std::make_unique<metrics::Evaluator>(clf, ref, opt_.seed);
  }
  NoGradGuard ng;
  GeneratorNet& g = sampler();
  nn::EvalGuard eg(g);
  RandomState gen(opt_.seed ^ 0x5A5A5A5A12345678ull);  // the same latents at every evaluation
  std::vector<Tensor> parts;
  const int64_t n = opt_.eval_n, chunk = 500;
  for (int64_t s = 0; s < n; s += chunk) {
    const int64_t b = std::min(chunk, n - s);
    Tensor z = to_dev(randn({b, opt_.latent}, {}, &gen));
    Tensor y;
    if (g.conditional()) {  // classes in equal shares, as in the test set
      std::vector<int64_t> lab(b);
      for (int64_t i = 0; i < b; ++i) lab[i] = (s + i) % g.config.num_classes;
      y = to_dev(from_vector<int64_t>(lab, {b}));
    }
    parts.push_back(g.generate(z, y).to(kCPU));  // the evaluator runs on the CPU
  }
  return evaluator_->evaluate(parts.size() == 1 ? parts[0] : cat(parts, 0));
}

}  // namespace gan
}  // namespace gantry
