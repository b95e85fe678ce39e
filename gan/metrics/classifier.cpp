// gan/metrics/classifier.cpp — the Fashion-MNIST feature network, its
// training recipe and its checksummed weights file (see classifier.h).
#include "gan/metrics/classifier.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/rng.h"
#include "gan/data/image.h"
#include "gan/data/loader.h"
#include "gan/metrics/sha256.h"
#include "nn/safetensors.h"
#include "optim/adam.h"

namespace gantry {
namespace gan {
namespace metrics {

using std::make_shared;

FmnistClassifier::FmnistClassifier(int64_t classes) : classes_(classes) {
  GANTRY_CHECK(classes >= 2, "classifier: needs at least 2 classes, got ", classes);
  conv1 = register_module("conv1", make_shared<nn::Conv2d>(1, 32, 3, 1, 1));
  conv2 = register_module("conv2", make_shared<nn::Conv2d>(32, 64, 3, 1, 1));
  fc = register_module("fc", make_shared<nn::Linear>(64 * 7 * 7, kFeatures));
  out = register_module("out", make_shared<nn::Linear>(kFeatures, classes));
}

Tensor FmnistClassifier::features(const Tensor& x) {
  GANTRY_CHECK(x.dim() == 4 && x.size(1) == 1 && x.size(2) == 28 && x.size(3) == 28,
               "FmnistClassifier: images must be [N,1,28,28], got ", shape_str(x.shape()));
  Tensor h = max_pool2d(relu(conv1->forward(x)), {2, 2});  // [N,32,14,14]
  h = max_pool2d(relu(conv2->forward(h)), {2, 2});         // [N,64,7,7]
  return relu(fc->forward(flatten(h, 1)));                 // [N,128]
}

Tensor FmnistClassifier::forward(const Tensor& x) { return out->forward(features(x)); }

double accuracy(FmnistClassifier& c, const ImageDataset& ds, int64_t batch) {
  NoGradGuard ng;
  nn::EvalGuard eg(c);
  const int64_t n = ds.images.size(0);
  int64_t right = 0;
  for (int64_t s = 0; s < n; s += batch) {
    const int64_t e = std::min(n, s + batch);
    std::vector<int64_t> pred = argmax(c.forward(core::slice(ds.images, 0, s, e, 1)), 1).to_vector<int64_t>();
    std::vector<int64_t> lab = core::contiguous(core::slice(ds.labels, 0, s, e, 1)).to_vector<int64_t>();
    for (size_t i = 0; i < pred.size(); ++i) right += pred[i] == lab[i];
  }
  return static_cast<double>(right) / n;
}

namespace {
std::shared_ptr<FmnistClassifier> train_on(const ImageDataset& train, const ImageDataset& test, int64_t classes,
                                           const ClassifierTraining& t, double* test_acc) {
  GANTRY_CHECK(t.epochs >= 1 && t.batch >= 1 && t.lr > 0, "train_classifier: bad settings");
  manual_seed(t.seed);
  auto c = make_shared<FmnistClassifier>(classes);  // PyTorch's default init, from the seeded generator
  optim::AdamOptions ao;
  ao.lr = t.lr;
  optim::Adam opt(c->parameters(), ao);
  DataLoader loader(train, t.batch, t.seed, true, true);
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t ep = 0; ep < t.epochs; ++ep) {
    double loss_sum = 0;
    c->train();
    for (int64_t b = 0; b < loader.batches_per_epoch(); ++b) {
      DataLoader::Batch batch = loader.next();
      Tensor loss = cross_entropy(c->forward(batch.images), batch.labels);
      opt.zero_grad();
      loss.backward();
      opt.step();
      loss_sum += loss.item<double>();
    }
    if (t.log) {
      const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      char line[160];
      std::snprintf(line, sizeof line, "classifier: epoch %lld/%lld  train loss %.4f  test accuracy %.4f  (%.0f s)",
                    static_cast<long long>(ep + 1), static_cast<long long>(t.epochs),
                    loss_sum / loader.batches_per_epoch(), accuracy(*c, test), el);
      t.log(LogLevel::Info, line);
    }
  }
  if (test_acc) *test_acc = accuracy(*c, test);
  return c;
}
}  // namespace

std::shared_ptr<FmnistClassifier> train_classifier(const std::string& data_dir,
                                                   const ClassifierTraining& t, double* test_acc) {
  ImageDataset train = load_fashion_mnist(data_dir, true, t.train_limit);
  ImageDataset test = load_fashion_mnist(data_dir, false);
  return train_on(train, test, FmnistClassifier::kClasses, t, test_acc);
}

std::shared_ptr<FmnistClassifier> train_folder_classifier(const std::string& dir, const ClassifierTraining& t,
                                                          double* test_acc) {
  std::vector<std::string> names;
  ImageDataset all = load_labelled_folder(dir, 28, &names);
  // Every 10th image of each class is held out.
  const std::vector<int64_t> lab = all.labels.to_vector<int64_t>();
  std::vector<int64_t> seen(names.size(), 0), tr, te;
  for (size_t i = 0; i < lab.size(); ++i) (seen[lab[i]]++ % 10 == 9 ? te : tr).push_back(static_cast<int64_t>(i));
  GANTRY_CHECK(!te.empty() && tr.size() >= 2, "train_classifier: '", dir, "' has ", lab.size(),
               " images; a class needs at least 10 (every 10th is held out for the accuracy)");
  auto pick = [&](const std::vector<int64_t>& idx) {
    ImageDataset d;
    const int64_t n = static_cast<int64_t>(idx.size());
    d.images = core::contiguous(index_select(all.images, 0, from_vector<int64_t>(idx, {n})));
    std::vector<int64_t> y(idx.size());
    for (size_t k = 0; k < idx.size(); ++k) y[k] = lab[idx[k]];
    d.labels = from_vector<int64_t>(y, {n});
    return d;
  };
  ImageDataset train = pick(tr), test = pick(te);
  if (t.train_limit > 0 && train.images.size(0) > t.train_limit) {
    train.images = core::contiguous(core::slice(train.images, 0, 0, t.train_limit, 1));
    train.labels = core::contiguous(core::slice(train.labels, 0, 0, t.train_limit, 1));
  }
  ClassifierTraining tt = t;  // a small folder: one batch of all its training images
  tt.batch = std::min<int64_t>(t.batch, train.images.size(0));
  auto c = train_on(train, test, static_cast<int64_t>(names.size()), tt, test_acc);
  c->data = dir;
  return c;
}

Tensor reference_images(const FmnistClassifier& c, const std::string& fmnist_dir, bool train_split, int64_t n,
                        std::string* what) {
  Tensor ref;
  if (c.data == "fashion-mnist") {
    ref = load_fashion_mnist(fmnist_dir, train_split, n).images;
    if (what) *what = str("Fashion-MNIST ", train_split ? "train" : "test", " images");
  } else {
    ref = load_labelled_folder(c.data, 28).images;
    if (n > 0 && ref.size(0) > n) ref = core::contiguous(core::slice(ref, 0, 0, n, 1));
    if (what) *what = str("images of ", c.data);
  }
  return ref;
}

void save_classifier(const std::string& path, FmnistClassifier& c, double acc,
                     const ClassifierTraining& t) {
  std::map<std::string, std::string> m;
  m["format"] = "gantry-fmnist-classifier-1";
  m["test_accuracy"] = std::to_string(acc);
  m["epochs"] = std::to_string(t.epochs);
  m["batch"] = std::to_string(t.batch);
  m["lr"] = std::to_string(t.lr);
  m["seed"] = std::to_string(t.seed);
  m["classes"] = std::to_string(c.classes());
  m["data"] = c.data;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  nn::save_safetensors(path, c.state_dict(), m);
  std::ofstream f(path + ".sha256");
  f << sha256_file(path) << "  " << std::filesystem::path(path).filename().string() << "\n";
  GANTRY_CHECK(f.good(), "save_classifier: cannot write ", path, ".sha256");
}

std::shared_ptr<FmnistClassifier> load_classifier(const std::string& path) {
  GANTRY_CHECK(std::filesystem::exists(path), "classifier weights ", path, " not found");
  if (std::filesystem::exists(path + ".sha256")) {
    std::ifstream f(path + ".sha256");
    std::string want;
    f >> want;
    const std::string got = sha256_file(path);
    GANTRY_CHECK(got == want, "classifier weights ", path, ": SHA-256 ", got,
                 " does not match the checksum file (", want,
                 "); delete both files to retrain, or restore the committed weights");
  }
  nn::SafetensorsFile f = nn::load_safetensors(path);
  auto it = f.metadata.find("format");
  GANTRY_CHECK(it != f.metadata.end() && it->second == "gantry-fmnist-classifier-1", "classifier weights ",
               path, ": not a Gantry Fashion-MNIST classifier file");
  // Files written before folder classifiers existed: 10 classes, Fashion-MNIST.
  int64_t classes = FmnistClassifier::kClasses;
  if (f.metadata.count("classes")) {
    try {
      classes = std::stoll(f.metadata.at("classes"));
    } catch (const std::exception&) {
      throw Error("classifier weights " + path + ": metadata 'classes' is not a number");
    }
  }
  auto c = make_shared<FmnistClassifier>(classes);
  if (f.metadata.count("data")) c->data = f.metadata.at("data");
  c->load_state_dict(f.tensors);
  c->eval();
  return c;
}

std::shared_ptr<FmnistClassifier> load_or_train_classifier(const std::string& path,
                                                           const std::string& data_dir,
                                                           const LogSink& log) {
  if (std::filesystem::exists(path)) return load_classifier(path);
  if (log)
    log(LogLevel::Warn, "classifier weights " + path +
                            " are missing: retraining them (gantry train-classifier: 5 epochs, seed 0)");
  ClassifierTraining t;
  t.log = log;
  double acc = 0;
  auto c = train_classifier(data_dir, t, &acc);
  save_classifier(path, *c, acc, t);
  if (log) {
    char line[512];
    std::snprintf(line, sizeof line, "classifier: test accuracy %.4f; weights in %s", acc, path.c_str());
    log(LogLevel::Info, line);
  }
  c->eval();
  return c;
}

}  // namespace metrics
}  // namespace gan
}  // namespace gantry
