// apps/eval.cpp — `gantry eval` and `gantry train-classifier`.
//
//   gantry eval INPUT [--n N] [--reference test|train] [--seed S] [--ema]
//                     [--truncation T] [--class C] [--data DIR] [--classifier FILE]
//                     [--data-dir DIR] [--threads T] [--crops FILE.png]
//   gantry eval --list
// scores INPUT with the evaluator its kind calls for (gan/eval.h): samples
// (.npy) or an image generator's checkpoint give the Fashion-MNIST
// classifier metrics (FID-FMNIST, KID, precision, recall, class coverage)
// against N reference images, then the same metrics for N real images of the
// other split (the calibration floor: what a perfect generator would score
// with this many samples). Families that need data (super-resolution,
// translation) read it from --data; --list prints what eval takes.
// `--samples FILE` is the older spelling of INPUT. The classifier is
// retrained (5 epochs, a few minutes on 2 cores) if its weights are missing.
//
//   gantry train-classifier [--out assets/fmnist_classifier.safetensors]
//                           [--epochs 5] [--seed 0] [--threads T]
//   gantry train-classifier --data DIR --out FILE   (a labelled folder: DIR/CLASS/*.png)
// trains the classifier, prints its test accuracy and writes the weights
// with their SHA-256 checksum file (OUT.sha256). With --data, the metrics of
// `gantry eval --classifier FILE` compare with that folder's images.
#include <cmath>
#include <cstdio>

#include "apps/cli.h"
#include "core/parallel.h"
#include "gan/eval.h"
#include "gan/metrics/evaluator.h"
#include "gan/metrics/sha256.h"

namespace gantry {
namespace cli {

int run_eval(int argc, char** argv) {
  Flags f(argc, argv, 2, "gantry eval",
          "Evaluate samples or a checkpoint; the evaluator is chosen by what INPUT is (--list).",
          {{"INPUT", "FILE", "samples (.npy) or a training checkpoint (.safetensors)", "", true},
           {"list", "", "list what eval takes, and exit"},
           {"samples", "FILE.npy", "the same as INPUT (older spelling)"},
           {"n", "N", "samples and reference images used (default 10000)"},
           {"reference", "test|train", "real images to compare with (default test)"},
           {"seed", "S", "seed of the latents drawn and of the metrics' subsampling (default 0)"},
           {"ema", "", "checkpoints: sample the EMA generator"},
           {"truncation", "T", "checkpoints: redraw latent components with |z| > T"},
           {"class", "C", "class-conditional checkpoints: score class C alone, against that class's images"},
           {"data", "DIR", "data a checkpoint is evaluated on (families that need it)"},
           {"crops", "FILE.png", "super-resolution: crops side by side, bicubic | model | HR, one row per picture"},
           {"classifier", "FILE", "the metrics' classifier (default assets/fmnist_classifier.safetensors)"},
           {"data-dir", "DIR", "Fashion-MNIST IDX files"},
           {"threads", "T", "CPU threads (default all)"}});
  if (f.has("list")) {
    for (const gan::EvalKind& k : gan::eval_kinds())
      std::printf("%-16s %-24s %s\n", k.name, k.input, k.about);
    return 0;
  }
  if (f.has("INPUT") && f.has("samples")) throw UsageError{"eval takes one input: INPUT or --samples, not both"};
  gan::EvalRequest req;
  req.input = f.has("INPUT") ? f.str("INPUT") : f.str("samples");
  if (req.input.empty()) throw UsageError{"eval needs an INPUT: samples (.npy) or a checkpoint (--list)"};
  req.reference = f.str("reference", req.reference);
  if (req.reference != "test" && req.reference != "train") throw UsageError{"--reference must be test or train"};
  req.n = f.integer("n", req.n);
  if (req.n < 10) throw UsageError{"--n must be at least 10"};
  req.seed = static_cast<uint64_t>(f.integer("seed", 0));
  req.ema = f.has("ema");
  req.truncation = f.number("truncation", INFINITY);
  if (!(req.truncation > 0)) throw UsageError{"--truncation must be positive"};
  req.cls = f.integer("class", -1);
  if (f.has("class") && req.cls < 0) throw UsageError{"--class must be a class index >= 0"};
  req.data = f.str("data");
  req.crops = f.str("crops");
  req.classifier = f.str("classifier", req.classifier);
  req.data_dir = f.str("data-dir", req.data_dir);
  const long long threads = f.integer("threads", 0);
  if (threads > 0) set_num_threads(static_cast<int>(threads));

  const gan::EvalResult r = gan::evaluate_input(req, [](gan::LogLevel l, const std::string& m) {
    std::fprintf(stderr, "%s%s\n", l == gan::LogLevel::Warn ? "warning: " : "", m.c_str());
  });
  std::printf("# %s: %s\n", r.evaluator.c_str(), r.header.c_str());
  for (const gan::EvalLine& l : r.lines) {
    std::printf("%-12s %-14s %10.6g", l.label.c_str(), l.metric.c_str(), l.value);
    if (!std::isnan(l.spread)) std::printf("  (+- %.6g)", l.spread);
    std::printf("\n");
  }
  return 0;
}

int run_train_classifier(int argc, char** argv) {
  Flags f(argc, argv, 2, "gantry train-classifier", "Train the metrics' Fashion-MNIST classifier.",
          {{"out", "FILE", "where to save it (default assets/fmnist_classifier.safetensors)"},
           {"epochs", "E", "epochs (default 5)"},
           {"seed", "S", "seed (default 0)"},
           {"threads", "T", "CPU threads (default all)"},
           {"data-dir", "DIR", "Fashion-MNIST IDX files"},
           {"data", "DIR", "train on a labelled folder instead: one subfolder of images per class"},
           {"limit", "N", "use only the first N training images"}});
  gan::metrics::ClassifierTraining t;
  t.epochs = f.integer("epochs", t.epochs);
  t.seed = static_cast<uint64_t>(f.integer("seed", 0));
  t.train_limit = f.integer("limit", -1);
  t.log = [](gan::LogLevel, const std::string& m) { std::fprintf(stderr, "%s\n", m.c_str()); };
  if (t.epochs < 1) throw UsageError{"--epochs must be at least 1"};
  const long long threads = f.integer("threads", 0);
  if (threads > 0) set_num_threads(static_cast<int>(threads));
  const std::string out = f.str("out", "assets/fmnist_classifier.safetensors");
  if (f.has("data") && !f.has("out"))
    throw UsageError{"train-classifier --data DIR needs --out FILE (the committed Fashion-MNIST weights stay)"};
  double acc = 0;
  auto c = f.has("data") ? gan::metrics::train_folder_classifier(f.str("data"), t, &acc)
                         : gan::metrics::train_classifier(f.str("data-dir", "/usr/share/datasets/fashion-mnist"), t, &acc);
  gan::metrics::save_classifier(out, *c, acc, t);
  std::printf("%lld classes (%s)\ntest accuracy %.4f\nweights %s\nsha256 %s\n", static_cast<long long>(c->classes()),
              c->data.c_str(), acc, out.c_str(), gan::metrics::sha256_file(out).c_str());
  return 0;
}

}  // namespace cli
}  // namespace gantry
