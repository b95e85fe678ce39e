// gan/image_pool.h — CycleGAN's history of generated images (Shrivastava et
// al. 2017; Zhu et al. 2017, section 4): D is updated with images drawn from
// the last `size` generated ones instead of only the newest batch, which
// damps the oscillation between G and D.
//
// For each image of a batch, in order:
//   - while the pool holds fewer than `size` images, the image is stored and
//     returned as it is;
//   - then, with probability 1/2, a uniformly chosen stored image is returned
//     and the new one takes its place; otherwise the new image is returned
//     and the pool is unchanged.
// Image i's two draws come from Philox(seed, 2 counter), (seed, 2 counter + 1)
// where counter counts every image the pool has been asked about: the pool's
// whole state is (its images, that count), and state_dict() holds both, so
// a resumed run sees the same history. size 0 returns every batch as it is.
//
//   ImagePool pool(50, seed);
//   Tensor for_d = pool.query(fake.detach());  // [B, C, H, W] -> [B, C, H, W]
#pragma once
#include <cstdint>

#include "nn/module.h"  // NamedTensors

namespace gantry {
namespace gan {

class ImagePool {
 public:
  ImagePool(int64_t size, uint64_t seed);
  // images [B, C, H, W] (detached; copied into the pool) -> [B, C, H, W]
  Tensor query(const Tensor& images);
  int64_t size() const { return size_; }
  int64_t stored() const { return static_cast<int64_t>(images_.size()); }
  int64_t seen() const { return seen_; }

  // "images" [stored, C, H, W] (absent while empty) and "seen" (int64 [1]).
  nn::NamedTensors state_dict() const;
  void load_state_dict(const nn::NamedTensors& sd);

 private:
  int64_t size_;
  uint64_t seed_;
  int64_t seen_ = 0;
  std::vector<Tensor> images_;  // each [C, H, W], contiguous CPU float32
};

}  // namespace gan
}  // namespace gantry
