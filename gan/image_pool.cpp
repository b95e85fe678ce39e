// gan/image_pool.cpp — the history pool of generated images (see image_pool.h).
#include "gan/image_pool.h"

#include "autograd/ops.h"
#include "core/rng.h"

namespace gantry {
namespace gan {

ImagePool::ImagePool(int64_t size, uint64_t seed) : size_(size), seed_(seed) {
  GANTRY_CHECK(size >= 0, "ImagePool: size must be >= 0, got ", size);
}

Tensor ImagePool::query(const Tensor& images) {
  GANTRY_CHECK(images.defined() && images.dim() == 4 && images.size(0) >= 1, "ImagePool: expected images "
               "[B,C,H,W], got ", images.defined() ? shape_str(images.shape()) : std::string("undefined"));
  NoGradGuard ng;
  const Tensor x = images.detach().to(kFloat32).contiguous();
  if (size_ == 0) return x;
  if (!images_.empty())
    GANTRY_CHECK(x.size(1) == images_[0].size(0) && x.size(2) == images_[0].size(1) &&
                     x.size(3) == images_[0].size(2),
                 "ImagePool: images ", shape_str(x.shape()), " do not match the pool's [", images_[0].size(0), ",",
                 images_[0].size(1), ",", images_[0].size(2), "]");
  std::vector<Tensor> out;
  for (int64_t i = 0; i < x.size(0); ++i, ++seen_) {
    const Tensor im = select(x, 0, i).clone();  // [C, H, W]
    if (stored() < size_) {
      images_.push_back(im);
      out.push_back(im);
      continue;
    }
    uint32_t a[4], b[4];
    Philox::draw(seed_, 2 * static_cast<uint64_t>(seen_), a);
    Philox::draw(seed_, 2 * static_cast<uint64_t>(seen_) + 1, b);
    if (Philox::uniform_f64(a[0], a[1]) < 0.5) {
      out.push_back(im);
      continue;
    }
    // A uniform index in [0, size) by multiply-shift of 32 random bits.
    const auto k = static_cast<size_t>((static_cast<uint64_t>(b[0]) * static_cast<uint64_t>(size_)) >> 32);
    out.push_back(images_[k]);
    images_[k] = im;
  }
  return stack(out, 0);  // [B, C, H, W]
}

nn::NamedTensors ImagePool::state_dict() const {
  nn::NamedTensors sd;
  if (!images_.empty()) sd.emplace_back("images", stack(images_, 0));
  sd.emplace_back("seen", from_vector<int64_t>({seen_}, {1}));
  return sd;
}

void ImagePool::load_state_dict(const nn::NamedTensors& sd) {
  Tensor imgs, seen;
  for (const auto& kv : sd) {
    if (kv.first == "images") imgs = kv.second;
    else if (kv.first == "seen") seen = kv.second;
    else throw Error("ImagePool: unexpected state entry '" + kv.first + "'");
  }
  GANTRY_CHECK(seen.defined() && seen.numel() == 1 && seen.dtype() == kInt64 && seen.item<int64_t>() >= 0,
               "ImagePool: the state has no valid 'seen' count");
  GANTRY_CHECK(!imgs.defined() || (imgs.dim() == 4 && imgs.size(0) <= size_),
               "ImagePool: the state's images ", imgs.defined() ? shape_str(imgs.shape()) : std::string(),
               " do not fit a pool of ", size_);
  images_.clear();
  if (imgs.defined())
    for (int64_t i = 0; i < imgs.size(0); ++i) images_.push_back(select(imgs, 0, i).to(kFloat32).contiguous().clone());
  seen_ = seen.item<int64_t>();
}

}  // namespace gan
}  // namespace gantry
