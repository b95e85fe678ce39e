// gan/data/paired.h — paired low/high-resolution training data for
// super-resolution, made on the fly from high-resolution pictures.
//
//   PictureSet      the HR pictures, kept as 8-bit planes (a 2560x1920 photo
//                   is 15 MB), from an image folder or from an ImageDataset
//                   (Fashion-MNIST);
//   split_by_file   the held-out pictures: in file-name order, every k-th
//                   picture (k-1, 2k-1, ...) is for testing only, so no
//                   training crop ever comes from it;
//   PairedLoader    batch k is a pure function of (seed, k): for each of its
//                   examples, Philox picks a picture, a crop position, one of
//                   the 8 flips/rotations, and the degradation's own seed; the
//                   LR input is the crop degraded (bicubic or Real-ESRGAN's
//                   pipeline, gan/data/degrade.h). So the loader's whole state
//                   is the step, and a resumed run sees the same batches.
//
//   PictureSet hr = load_pictures("/usr/share/backgrounds/mate/nature", 3);
//   auto [train, test] = split_by_file(hr, 4);
//   PairedLoader dl(train, PairConfig{}, /*batch=*/16, /*seed=*/0);
//   PairedLoader::Batch b = dl.next();  // b.lr [16,3,32,32], b.hr [16,3,128,128]
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "gan/data/degrade.h"
#include "gan/data/host_image.h"
#include "gan/data/idx.h"  // ImageDataset

namespace gantry {
namespace gan {

struct Picture {
  int64_t c = 0, h = 0, w = 0;
  std::vector<uint8_t> px;  // [c, h, w] planes, 0..255
  std::string name;         // the file name (or "#i" for a dataset's image i)
  HostImage crop(int64_t y, int64_t x, int64_t ph, int64_t pw) const;  // in [0, 1]
  HostImage whole() const { return crop(0, 0, h, w); }
};

struct PictureSet {
  std::vector<Picture> pictures;
  int64_t channels = 0;
};

// Every PNG/JPEG directly in `dir`, in file-name order, as `channels` (1 or 3).
PictureSet load_pictures(const std::string& dir, int channels);
// images [N,C,H,W] in [-1,1] (C = 1 or 3), one picture each ("#0", "#1", ...).
PictureSet pictures_from_dataset(const ImageDataset& ds);

// Each picture shrunk by the factor k (area averaging, 8-bit): photos that
// are soft at full size (upscaled or out-of-focus wallpapers) become HR
// sets with detail at every scale. k = 1 returns the set as it is.
PictureSet shrink_pictures(const PictureSet& set, int64_t k);

struct PictureSplit {
  PictureSet train, test;
};
// Pictures k-1, 2k-1, ... (file-name order) to test, the others to train;
// k >= 2, and both parts must be non-empty.
PictureSplit split_by_file(const PictureSet& all, int64_t test_every);

enum class Degradation { kBicubic, kReal };

struct PairConfig {
  int64_t scale = 4;
  int64_t patch = 128;  // the HR crop's side (a multiple of scale); <= every picture's sides
  Degradation degradation = Degradation::kBicubic;
  bool flip_rotate = true;  // one of the 8 dihedral transforms per crop
  RealDegradation real;     // the pipeline's settings, for kReal
};

class PairedLoader {
 public:
  struct Batch {
    Tensor lr;  // float32 [B, C, patch/scale, patch/scale] in [-1, 1]
    Tensor hr;  // float32 [B, C, patch, patch] in [-1, 1]
    int64_t step;
  };
  // The loader refers to `hr`, which must outlive it (a temporary is refused).
  PairedLoader(const PictureSet& hr, const PairConfig& cfg, int64_t batch, uint64_t seed);
  PairedLoader(PictureSet&&, const PairConfig&, int64_t, uint64_t) = delete;
  Batch next();  // the batch of the current step, then step + 1
  Batch at(int64_t step) const;
  int64_t step() const { return step_; }
  void seek(int64_t step);

 private:
  const PictureSet* set_;
  PairConfig cfg_;
  int64_t batch_;
  uint64_t seed_;
  int64_t step_ = 0;
};

// The 8 dihedral transforms of a square-or-not image: k = 0..7, bit 0 a
// horizontal flip, bits 1-2 the number of quarter turns (clockwise).
HostImage dihedral(const HostImage& im, int k);

// [C,H,W] HostImage in [0,1] <-> float32 tensor [C,H,W] in [-1,1].
Tensor to_tensor(const HostImage& im);

}  // namespace gan
}  // namespace gantry
