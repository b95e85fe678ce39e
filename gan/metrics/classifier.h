// gan/metrics/classifier.h — the Fashion-MNIST classifier whose penultimate
// features define FID-FMNIST, KID and precision/recall, and whose predictions
// define class coverage. Trained by Gantry itself (train_classifier, or
// `gantry train-classifier`); the weights live in assets/ with a SHA-256
// checksum file beside them. The same network trained on a labelled image
// folder (one subfolder per class: train_folder_classifier, `gantry
// train-classifier --data DIR`) makes the metrics mean something for that data.
//
//   x [N,1,28,28] in [-1,1]
//   Conv(1->32, k3 p1) -> ReLU -> MaxPool 2     [N,32,14,14]
//   Conv(32->64, k3 p1) -> ReLU -> MaxPool 2    [N,64, 7, 7]
//   Flatten -> Linear(3136->128) -> ReLU         [N,128]   <- features()
//   Linear(128->K)                               [N,K]     <- forward(): logits (K = 10 for Fashion-MNIST)
#pragma once
#include <string>

#include "gan/data/idx.h"
#include "gan/log.h"
#include "nn/layers.h"

namespace gantry {
namespace gan {
namespace metrics {

class FmnistClassifier : public nn::Module {
 public:
  static constexpr int64_t kFeatures = 128, kClasses = 10;
  explicit FmnistClassifier(int64_t classes = kClasses);
  int64_t classes() const { return classes_; }
  // What it was trained on: "fashion-mnist", or a labelled folder's path
  // (its images are then the metrics' reference set).
  std::string data = "fashion-mnist";
  Tensor features(const Tensor& x);          // [N,1,28,28] -> [N,128]
  Tensor forward(const Tensor& x) override;  // [N,1,28,28] -> logits [N,10]
  std::string repr() const override { return repr_with_children("FmnistClassifier"); }
  std::shared_ptr<nn::Conv2d> conv1, conv2;
  std::shared_ptr<nn::Linear> fc, out;

 private:
  int64_t classes_;
};

struct ClassifierTraining {
  int64_t epochs = 5, batch = 128;
  double lr = 1e-3;  // Adam
  uint64_t seed = 0;
  int64_t train_limit = -1;  // first N training images (tests)
  LogSink log;               // one Info line per epoch (gan/log.h); none when empty
};

// Trains a fresh classifier on the training split and returns it with its
// accuracy on the test split (in [0, 1]).
std::shared_ptr<FmnistClassifier> train_classifier(const std::string& data_dir,
                                                   const ClassifierTraining& t,
                                                   double* test_accuracy);
// The same recipe on a labelled folder (load_labelled_folder: one subfolder
// per class, images shrunk to 28x28 luminance); every 10th image of each
// class is held out for the accuracy. c->data is the folder.
std::shared_ptr<FmnistClassifier> train_folder_classifier(const std::string& dir, const ClassifierTraining& t,
                                                          double* test_accuracy);
// Accuracy of c (eval mode) on a labelled dataset.
double accuracy(FmnistClassifier& c, const ImageDataset& ds, int64_t batch = 500);

// Writes the weights (safetensors, metadata: accuracy, epochs, seed, classes, data) and
// `path + ".sha256"` ("<hex>  <file name>", as sha256sum writes it).
void save_classifier(const std::string& path, FmnistClassifier& c, double test_accuracy,
                     const ClassifierTraining& t);
// Loads the weights; if `path + ".sha256"` exists, the file must match it.
std::shared_ptr<FmnistClassifier> load_classifier(const std::string& path);
// load_classifier, or — when the file is missing — train_classifier with the
// committed recipe (ClassifierTraining{}), save_classifier, and return it.
// Says what it does through `log` (gan/log.h), if given.
std::shared_ptr<FmnistClassifier> load_or_train_classifier(const std::string& path,
                                                           const std::string& data_dir,
                                                           const LogSink& log = {});

// The real images the metrics compare with, for classifier c: n images of
// Fashion-MNIST's test (or train) split from fmnist_dir, or — for a
// classifier trained on a labelled folder — that folder's images (the split
// is then ignored). *what (if given) names them for reports.
Tensor reference_images(const FmnistClassifier& c, const std::string& fmnist_dir, bool train_split, int64_t n,
                        std::string* what = nullptr);

}  // namespace metrics
}  // namespace gan
}  // namespace gantry
