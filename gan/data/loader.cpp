// gan/data/loader.cpp — DataLoader: per-epoch Philox Fisher–Yates shuffle and
// gathering of batches into fresh tensors.
#include "gan/data/loader.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "core/rng.h"

namespace gantry {
namespace gan {

namespace {

// SplitMix64 finalizer: spreads (seed, epoch) into an unrelated Philox key.
uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

DataLoader::DataLoader(const ImageDataset& ds, int64_t batch, uint64_t seed, bool shuffle,
                       bool drop_last)
    : batch_(batch), seed_(seed), shuffle_(shuffle), drop_last_(drop_last) {
  GANTRY_CHECK(ds.images.defined() && ds.images.dim() >= 1, "DataLoader: the dataset has no images");
  n_ = ds.images.size(0);
  GANTRY_CHECK(n_ >= 1, "DataLoader: the dataset is empty (images ", tensor_desc(ds.images), ")");
  GANTRY_CHECK(batch >= 1, "DataLoader: batch size must be >= 1, got ", batch);
  GANTRY_CHECK(!drop_last || n_ >= batch, "DataLoader: with drop_last, batch size ", batch,
               " exceeds the dataset size ", n_, " (no full batch)");
  if (ds.labels.defined())
    GANTRY_CHECK(ds.labels.dim() == 1 && ds.labels.size(0) == n_, "DataLoader: labels ",
                 tensor_desc(ds.labels), " do not match images ", tensor_desc(ds.images));
  images_ = ds.images;
  if (!images_.device().is_cpu()) images_ = core::to_device(images_, kCPU);
  images_ = core::contiguous(core::cast(images_, kFloat32));
  if (ds.labels.defined()) {
    labels_ = ds.labels;
    if (!labels_.device().is_cpu()) labels_ = core::to_device(labels_, kCPU);
    labels_ = core::contiguous(labels_);
  }
  batches_ = drop_last ? n_ / batch : (n_ + batch - 1) / batch;
}

std::vector<int64_t> DataLoader::permutation(int64_t e) const {
  GANTRY_CHECK(e >= 0, "DataLoader: epoch must be >= 0, got ", e);
  std::vector<int64_t> p(static_cast<size_t>(n_));
  for (int64_t i = 0; i < n_; ++i) p[i] = i;
  if (!shuffle_) return p;
  const uint64_t key = mix64(seed_ ^ mix64(static_cast<uint64_t>(e) + 0x6A09E667F3BCC909ull));
  for (int64_t i = n_ - 1; i > 0; --i) {
    uint32_t w[4];
    Philox::draw(key, static_cast<uint64_t>(i), w);
    // Multiply-shift maps 64 random bits onto [0, i] (bias < 2^-40 for any dataset).
    const uint64_t x = static_cast<uint64_t>(w[0]) << 32 | w[1];
    const int64_t j = static_cast<int64_t>(
        (static_cast<unsigned __int128>(x) * static_cast<uint64_t>(i + 1)) >> 64);
    std::swap(p[i], p[j]);
  }
  return p;
}

void DataLoader::ensure_order() {
  if (order_epoch_ == epoch_) return;
  order_ = permutation(epoch_);
  order_epoch_ = epoch_;
}

void DataLoader::seek(int64_t epoch, int64_t position) {
  GANTRY_CHECK(epoch >= 0, "DataLoader::seek: epoch must be >= 0, got ", epoch);
  GANTRY_CHECK(position >= 0 && position <= batches_, "DataLoader::seek: position ", position,
               " is outside 0..", batches_, " (batches per epoch)");
  epoch_ = epoch;
  position_ = position;
}

DataLoader::Batch DataLoader::next() {
  if (position_ >= batches_) {
    ++epoch_;
    position_ = 0;
  }
  ensure_order();
  const int64_t start = position_ * batch_;
  const int64_t b = std::min(batch_, n_ - start);
  Shape ishape = images_.shape();
  ishape[0] = b;
  Batch out;
  out.images = empty(ishape, kFloat32);
  const int64_t per = n_ ? images_.numel() / n_ : 0;
  const float* src = images_.data<float>();
  float* dst = out.images.data<float>();
  for (int64_t k = 0; k < b; ++k)
    std::memcpy(dst + k * per, src + order_[start + k] * per,
                static_cast<size_t>(per) * sizeof(float));
  if (labels_.defined()) {
    Shape lshape = labels_.shape();
    lshape[0] = b;
    out.labels = empty(lshape, labels_.dtype());
    const size_t item = labels_.itemsize();
    const auto* ls = static_cast<const unsigned char*>(labels_.raw_data());
    auto* ld = static_cast<unsigned char*>(out.labels.raw_data());
    for (int64_t k = 0; k < b; ++k)
      std::memcpy(ld + k * item, ls + order_[start + k] * item, item);
  }
  out.epoch = epoch_;
  out.index = position_;
  ++position_;
  return out;
}

}  // namespace gan
}  // namespace gantry
