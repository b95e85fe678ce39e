// apps/eval.cpp — `gantry eval` and `gantry train-classifier`: sample
// quality in the feature space of a Fashion-MNIST classifier Gantry trains
// itself (gan/metrics/).
//
//   gantry eval --samples FILE.npy [--reference test|train] [--n N]
//               [--classifier assets/fmnist_classifier.safetensors] [--data-dir DIR]
//               [--seed S] [--threads T]
// prints one line per metric for the samples against N reference images,
// then the same metrics for N real images of the other split against the
// same reference (the calibration floor: what a perfect generator would
// score with this many samples). The classifier is retrained (5 epochs,
// a few minutes on 2 cores) if its weights file is missing.
//
//   gantry train-classifier [--out assets/fmnist_classifier.safetensors]
//                           [--epochs 5] [--seed 0] [--threads T]
// trains the classifier, prints its test accuracy and writes the weights
// with their SHA-256 checksum file (OUT.sha256).
#include <cstdio>

#include "apps/cli.h"
#include "core/parallel.h"
#include "gan/data/npy.h"
#include "gan/metrics/evaluator.h"
#include "gan/metrics/sha256.h"

namespace gantry {
namespace cli {

namespace {
void print_report(const char* label, const gan::metrics::Report& r) {
  std::printf("%-12s FID-FMNIST     %10.4f\n", label, r.fid);
  std::printf("%-12s KID            %10.6f  (+- %.6f over subsets)\n", label, r.kid, r.kid_std);
  std::printf("%-12s precision      %10.4f\n", label, r.precision);
  std::printf("%-12s recall         %10.4f\n", label, r.recall);
  std::printf("%-12s class-coverage %10.4f\n", label, r.coverage);
}
Tensor first_n(const Tensor& t, int64_t n) {
  return core::contiguous(core::slice(t, 0, 0, std::min<int64_t>(n, t.size(0)), 1));
}
}  // namespace

int run_eval(int argc, char** argv) {
  Flags f(argc, argv, 2, "gantry eval", "Score samples: FID-FMNIST, KID, precision, recall, class coverage.",
          {{"samples", "FILE.npy", "samples [N,1,28,28] in [-1,1] (gantry sample --out)"},
           {"reference", "test|train", "real images to compare with (default test)"},
           {"n", "N", "samples and reference images used (default 10000)"},
           {"classifier", "FILE", "the metrics' classifier (default assets/fmnist_classifier.safetensors)"},
           {"data-dir", "DIR", "Fashion-MNIST IDX files"},
           {"seed", "S", "seed of the metrics' subsampling (default 0)"},
           {"threads", "T", "CPU threads (default all)"}});
  if (!f.has("samples")) throw UsageError{"eval needs --samples FILE.npy"};
  const std::string ref = f.str("reference", "test");
  if (ref != "test" && ref != "train") throw UsageError{"--reference must be test or train"};
  const long long n = f.integer("n", 10000), threads = f.integer("threads", 0);
  if (n < 10) throw UsageError{"--n must be at least 10"};
  if (threads > 0) set_num_threads(static_cast<int>(threads));
  const std::string data_dir = f.str("data-dir", "/usr/share/datasets/fashion-mnist");
  const std::string clf_path = f.str("classifier", "assets/fmnist_classifier.safetensors");

  Tensor samples = gan::load_npy(f.str("samples"));
  if (samples.dim() != 4 || samples.size(1) != 1 || samples.size(2) != 28 || samples.size(3) != 28)
    throw Error("eval: " + f.str("samples") + " holds " + shape_str(samples.shape()) +
                "; expected [N,1,28,28] images in [-1,1] (as gantry sample writes)");
  samples = to(samples, kFloat32);
  auto clf = gan::metrics::load_or_train_classifier(
      clf_path, data_dir, [](gan::LogLevel l, const std::string& m) {
        std::fprintf(stderr, "%s%s\n", l == gan::LogLevel::Warn ? "warning: " : "", m.c_str());
      });
  gan::ImageDataset reference = gan::load_fashion_mnist(data_dir, ref == "train", n);
  gan::ImageDataset other = gan::load_fashion_mnist(data_dir, ref != "train", n);
  const int64_t m = std::min<int64_t>({static_cast<int64_t>(n), samples.size(0), reference.images.size(0),
                                       other.images.size(0)});
  gan::metrics::Evaluator ev(clf, first_n(reference.images, m), static_cast<uint64_t>(f.integer("seed", 0)));
  std::printf("# %lld samples from %s vs %lld Fashion-MNIST %s images; classifier %s\n",
              static_cast<long long>(m), f.str("samples").c_str(), static_cast<long long>(m),
              ref.c_str(), clf_path.c_str());
  print_report("samples", ev.evaluate(first_n(samples, m)));
  print_report(ref == "test" ? "real-train" : "real-test", ev.evaluate(first_n(other.images, m)));
  return 0;
}

int run_train_classifier(int argc, char** argv) {
  Flags f(argc, argv, 2, "gantry train-classifier", "Train the metrics' Fashion-MNIST classifier.",
          {{"out", "FILE", "where to save it (default assets/fmnist_classifier.safetensors)"},
           {"epochs", "E", "epochs (default 5)"},
           {"seed", "S", "seed (default 0)"},
           {"threads", "T", "CPU threads (default all)"},
           {"data-dir", "DIR", "Fashion-MNIST IDX files"},
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
  double acc = 0;
  auto c = gan::metrics::train_classifier(f.str("data-dir", "/usr/share/datasets/fashion-mnist"), t, &acc);
  gan::metrics::save_classifier(out, *c, acc, t);
  std::printf("test accuracy %.4f\nweights %s\nsha256 %s\n", acc, out.c_str(),
              gan::metrics::sha256_file(out).c_str());
  return 0;
}

}  // namespace cli
}  // namespace gantry
