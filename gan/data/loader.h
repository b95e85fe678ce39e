// gan/data/loader.h — batches from an in-memory ImageDataset, shuffled each
// epoch, resumable exactly.
//
// The order of epoch e is a pure function of (seed, e): a Fisher–Yates shuffle
// whose i-th swap draws from Philox::draw(key(seed, e), i). So the loader's
// whole state is (epoch, position), which a checkpoint stores and seek()
// restores: after seek(e, p), next() returns exactly what an uninterrupted
// loader would have returned as batch p of epoch e.
//
//   DataLoader dl(ds, 64, /*seed=*/1);
//   for (int step = 0; step < steps; ++step) {
//     DataLoader::Batch b = dl.next();   // b.images [64,C,H,W] float32
//     ...
//   }
//   save(dl.epoch(), dl.position());  ...  dl.seek(epoch, position);
#pragma once
#include <cstdint>
#include <vector>

#include "core/rng.h"  // Philox
#include "core/tensor.h"
#include "gan/data/idx.h"  // ImageDataset

namespace gantry {
namespace gan {

class DataLoader {
 public:
  struct Batch {
    Tensor images;  // float32 [B,C,H,W], a fresh contiguous CPU tensor
    Tensor labels;  // [B] (the dataset's label dtype), or undefined
    int64_t epoch;  // the epoch this batch belongs to
    int64_t index;  // its position within that epoch (0-based)
  };

  // The dataset's tensors are shared, not copied (images are converted once
  // to contiguous float32 CPU if they are not already). batch >= 1; with
  // drop_last the dataset must hold at least one full batch, and the last
  // partial batch of each epoch is skipped.
  DataLoader(const ImageDataset& ds, int64_t batch, uint64_t seed, bool shuffle = true,
             bool drop_last = true);

  // The next batch; after the last batch of an epoch, rolls over to the next.
  Batch next();
  int64_t epoch() const { return epoch_; }
  int64_t position() const { return position_; }  // batches consumed in the current epoch
  // Continue at batch `position` (0..batches_per_epoch()) of `epoch` (>= 0).
  void seek(int64_t epoch, int64_t position);
  int64_t batches_per_epoch() const { return batches_; }
  int64_t size() const { return n_; }  // examples in the dataset
  int64_t batch_size() const { return batch_; }
  // The order of the examples in epoch `e` (identity when not shuffling).
  std::vector<int64_t> permutation(int64_t e) const;

 private:
  void ensure_order();

  Tensor images_, labels_;
  int64_t n_, batch_, batches_;
  uint64_t seed_;
  bool shuffle_, drop_last_;
  int64_t epoch_ = 0, position_ = 0;
  int64_t order_epoch_ = -1;  // the epoch `order_` was computed for
  std::vector<int64_t> order_;
};

}  // namespace gan
}  // namespace gantry
