// gan/data/paired.cpp — HR pictures, the split by file, and the on-the-fly
// LR/HR pair loader (see paired.h).
#include "gan/data/paired.h"

#include <algorithm>
#include <cmath>

#include "autograd/ops.h"
#include "core/error.h"
#include "core/rng.h"
#include "gan/data/image.h"

namespace gantry {
namespace gan {

HostImage Picture::crop(int64_t y, int64_t x, int64_t ph, int64_t pw) const {
  GANTRY_CHECK(y >= 0 && x >= 0 && ph >= 1 && pw >= 1 && y + ph <= h && x + pw <= w, "Picture '", name,
               "': a ", ph, "x", pw, " crop at (", y, ", ", x, ") does not fit its ", h, "x", w, " pixels");
  HostImage out(c, ph, pw);
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t i = 0; i < ph; ++i)
      for (int64_t j = 0; j < pw; ++j)
        out.at(ch, i, j) = px[static_cast<size_t>((ch * h + y + i) * w + x + j)] / 255.0;
  return out;
}

namespace {

Picture picture_from_chw(const Tensor& chw, const std::string& name) {
  // chw: float32 [C,H,W] in [-1,1], decoded from bytes (exactly b / 127.5 - 1).
  const Tensor t = core::contiguous(core::cast(chw, kFloat32));
  Picture p;
  p.c = t.size(0);
  p.h = t.size(1);
  p.w = t.size(2);
  p.name = name;
  p.px.resize(static_cast<size_t>(p.c * p.h * p.w));
  const float* src = t.data<float>();
  for (size_t i = 0; i < p.px.size(); ++i) {
    const double v = std::isnan(src[i]) ? -1.0 : std::min(1.0, std::max(-1.0, static_cast<double>(src[i])));
    p.px[i] = static_cast<uint8_t>(std::lround((v + 1.0) * 127.5));
  }
  return p;
}

}  // namespace

PictureSet load_pictures(const std::string& dir, int channels) {
  GANTRY_CHECK(channels == 1 || channels == 3, "load_pictures: channels must be 1 or 3, got ", channels);
  PictureSet s;
  s.channels = channels;
  for (const std::string& name : image_files(dir, "load_pictures"))
    s.pictures.push_back(picture_from_chw(load_image(dir + "/" + name, channels), name));
  return s;
}

PictureSet pictures_from_dataset(const ImageDataset& ds) {
  GANTRY_CHECK(ds.images.defined() && ds.images.dim() == 4 && (ds.images.size(1) == 1 || ds.images.size(1) == 3),
               "pictures_from_dataset: expected images [N,C,H,W] with C = 1 or 3, got ",
               ds.images.defined() ? shape_str(ds.images.shape()) : std::string("undefined"));
  PictureSet s;
  s.channels = ds.images.size(1);
  const Tensor all = core::contiguous(core::cast(ds.images, kFloat32));
  for (int64_t i = 0; i < all.size(0); ++i)
    s.pictures.push_back(picture_from_chw(core::select(all, 0, i), "#" + std::to_string(i)));
  return s;
}

PictureSet shrink_pictures(const PictureSet& set, int64_t k) {
  GANTRY_CHECK(k >= 1, "shrink_pictures: the factor must be >= 1, got ", k);
  if (k == 1) return set;
  PictureSet out;
  out.channels = set.channels;
  for (const Picture& p : set.pictures) {
    GANTRY_CHECK(p.h / k >= 1 && p.w / k >= 1, "shrink_pictures: picture '", p.name, "' (", p.w, "x", p.h,
                 ") is smaller than the factor ", k);
    const HostImage small = resize(p.whole(), p.h / k, p.w / k, ResizeMode::kArea);
    Picture q;
    q.c = small.c;
    q.h = small.h;
    q.w = small.w;
    q.name = p.name;
    q.px.resize(small.v.size());
    for (size_t i = 0; i < q.px.size(); ++i)
      q.px[i] = static_cast<uint8_t>(std::lround(std::min(1.0, std::max(0.0, small.v[i])) * 255.0));
    out.pictures.push_back(std::move(q));
  }
  return out;
}

PictureSplit split_by_file(const PictureSet& all, int64_t k) {
  GANTRY_CHECK(k >= 2, "split_by_file: every k-th picture is held out; k must be >= 2, got ", k);
  GANTRY_CHECK(static_cast<int64_t>(all.pictures.size()) >= k, "split_by_file: ", all.pictures.size(),
               " pictures leave none to test with every ", k, "-th held out (need at least ", k, ")");
  PictureSplit s;
  s.train.channels = s.test.channels = all.channels;
  for (size_t i = 0; i < all.pictures.size(); ++i)
    (static_cast<int64_t>(i % k) == k - 1 ? s.test : s.train).pictures.push_back(all.pictures[i]);
  return s;
}

HostImage dihedral(const HostImage& im, int k) {
  GANTRY_CHECK(k >= 0 && k < 8, "dihedral: k must be in 0..7, got ", k);
  HostImage cur = im;
  if (k & 1) {
    for (int64_t ch = 0; ch < im.c; ++ch)
      for (int64_t y = 0; y < im.h; ++y)
        for (int64_t x = 0; x < im.w; ++x) cur.at(ch, y, x) = im.at(ch, y, im.w - 1 - x);
  }
  for (int t = 0; t < (k >> 1); ++t) {  // a quarter turn clockwise: (y, x) <- (h-1-x', ...)
    HostImage r(cur.c, cur.w, cur.h);
    for (int64_t ch = 0; ch < cur.c; ++ch)
      for (int64_t y = 0; y < r.h; ++y)
        for (int64_t x = 0; x < r.w; ++x) r.at(ch, y, x) = cur.at(ch, cur.h - 1 - x, y);
    cur = std::move(r);
  }
  return cur;
}

Tensor to_tensor(const HostImage& im) {
  std::vector<float> v(im.v.size());
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(im.v[i] * 2.0 - 1.0);
  return from_vector<float>(v, {im.c, im.h, im.w});
}

PairedLoader::PairedLoader(const PictureSet& hr, const PairConfig& cfg, int64_t batch, uint64_t seed)
    : set_(&hr), cfg_(cfg), batch_(batch), seed_(seed) {
  GANTRY_CHECK(!hr.pictures.empty(), "PairedLoader: no pictures");
  GANTRY_CHECK(hr.channels == 1 || hr.channels == 3, "PairedLoader: the set's channels must be 1 or 3, got ",
               hr.channels);
  GANTRY_CHECK(batch >= 1, "PairedLoader: batch must be >= 1, got ", batch);
  GANTRY_CHECK(cfg.scale >= 1 && cfg.patch >= cfg.scale && cfg.patch % cfg.scale == 0, "PairedLoader: the patch (",
               cfg.patch, ") must be a positive multiple of the scale (", cfg.scale, ")");
  for (const Picture& p : hr.pictures) {
    GANTRY_CHECK(p.c == hr.channels && p.px.size() == static_cast<size_t>(p.c * p.h * p.w), "PairedLoader: picture '",
                 p.name, "' has ", p.c, " channels (", p.px.size(), " bytes for ", p.h, "x", p.w,
                 "), the set ", hr.channels);
    GANTRY_CHECK(p.h >= cfg.patch && p.w >= cfg.patch, "PairedLoader: picture '", p.name, "' is ", p.w, "x", p.h,
                 ", smaller than the ", cfg.patch, "x", cfg.patch, " patch");
  }
}

void PairedLoader::seek(int64_t step) {
  GANTRY_CHECK(step >= 0, "PairedLoader: cannot seek to step ", step);
  step_ = step;
}

PairedLoader::Batch PairedLoader::next() { return at(step_++); }

PairedLoader::Batch PairedLoader::at(int64_t step) const {
  const int64_t P = cfg_.patch, p = P / cfg_.scale, C = set_->channels;
  const int64_t n = static_cast<int64_t>(set_->pictures.size());
  std::vector<float> lr(static_cast<size_t>(batch_ * C * p * p)), hr(static_cast<size_t>(batch_ * C * P * P));
  for (int64_t j = 0; j < batch_; ++j) {
    // Everything about example j of this step from one Philox block.
    uint32_t w[4];
    Philox::draw(seed_, static_cast<uint64_t>(step * batch_ + j), w);
    DegradeRng ex(static_cast<uint64_t>(w[0]) << 32 | w[1]);
    const uint64_t degrade_seed = static_cast<uint64_t>(w[2]) << 32 | w[3];
    const Picture& pic = set_->pictures[static_cast<size_t>(ex.integer(0, n - 1))];
    const int64_t y = ex.integer(0, pic.h - P), x = ex.integer(0, pic.w - P);
    HostImage h = pic.crop(y, x, P, P);
    if (cfg_.flip_rotate) h = dihedral(h, static_cast<int>(ex.integer(0, 7)));
    const HostImage l = cfg_.degradation == Degradation::kReal ? degrade_real(h, cfg_.scale, degrade_seed, cfg_.real)
                                                                : bicubic_downscale(h, cfg_.scale);
    for (size_t i = 0; i < h.v.size(); ++i) hr[static_cast<size_t>(j) * h.v.size() + i] = static_cast<float>(h.v[i] * 2 - 1);
    for (size_t i = 0; i < l.v.size(); ++i) lr[static_cast<size_t>(j) * l.v.size() + i] = static_cast<float>(l.v[i] * 2 - 1);
  }
  Batch b;
  b.lr = from_vector<float>(lr, {batch_, C, p, p});
  b.hr = from_vector<float>(hr, {batch_, C, P, P});
  b.step = step;
  return b;
}

}  // namespace gan
}  // namespace gantry
