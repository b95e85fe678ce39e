// gan/data/translation_data.cpp — edge maps, inpainting holes and class
// domains (see translation_data.h).
#include "gan/data/translation_data.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "autograd/ops.h"
#include "core/rng.h"

namespace gantry {
namespace gan {

namespace {
Tensor host_images(const Tensor& images, const char* who) {
  GANTRY_CHECK(images.defined() && images.dim() == 4 && images.size(0) >= 1 &&
                   (images.size(1) == 1 || images.size(1) == 3),
               who, ": expected images [N,1|3,H,W], got ",
               images.defined() ? shape_str(images.shape()) : std::string("undefined"));
  NoGradGuard ng;
  return images.detach().to(kCPU).to(kFloat32).contiguous();
}
}  // namespace

Tensor sobel_edges(const Tensor& images, double threshold) {
  const Tensor x = host_images(images, "sobel_edges");
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  const float* px = x.data<float>();
  Tensor out = empty({n, 1, h, w});
  float* po = out.data<float>();
  std::vector<double> lum(static_cast<size_t>(h * w));
  for (int64_t i = 0; i < n; ++i) {
    // Luminance in [0, 1] (BT.601 weights for RGB).
    const float* im = px + i * c * h * w;
    for (int64_t p = 0; p < h * w; ++p) {
      const double v = c == 1 ? im[p] : 0.299 * im[p] + 0.587 * im[h * w + p] + 0.114 * im[2 * h * w + p];
      lum[static_cast<size_t>(p)] = std::clamp((v + 1.0) * 0.5, 0.0, 1.0);
    }
    auto at = [&](int64_t y, int64_t xx) {
      y = std::clamp<int64_t>(y, 0, h - 1);
      xx = std::clamp<int64_t>(xx, 0, w - 1);
      return lum[static_cast<size_t>(y * w + xx)];
    };
    for (int64_t y = 0; y < h; ++y)
      for (int64_t xx = 0; xx < w; ++xx) {
        const double gx = (at(y - 1, xx + 1) + 2 * at(y, xx + 1) + at(y + 1, xx + 1)) -
                          (at(y - 1, xx - 1) + 2 * at(y, xx - 1) + at(y + 1, xx - 1));
        const double gy = (at(y + 1, xx - 1) + 2 * at(y + 1, xx) + at(y + 1, xx + 1)) -
                          (at(y - 1, xx - 1) + 2 * at(y - 1, xx) + at(y - 1, xx + 1));
        po[(i * h + y) * w + xx] = std::sqrt(gx * gx + gy * gy) / 4.0 > threshold ? 1.0f : -1.0f;
      }
  }
  return out;
}

Tensor inpaint_masked(const Tensor& images, int64_t hole, uint64_t seed, int64_t first_index) {
  Tensor x = host_images(images, "inpaint_masked").clone();
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  GANTRY_CHECK(hole >= 1 && hole <= std::min(h, w), "inpaint_masked: the hole (", hole, ") must be in [1, ",
               std::min(h, w), "] for ", h, "x", w, " images");
  GANTRY_CHECK(first_index >= 0, "inpaint_masked: first_index must be >= 0, got ", first_index);
  float* p = x.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    uint32_t r[4];
    Philox::draw(seed, static_cast<uint64_t>(first_index + i), r);
    const int64_t y0 = static_cast<int64_t>((static_cast<uint64_t>(r[0]) * static_cast<uint64_t>(h - hole + 1)) >> 32);
    const int64_t x0 = static_cast<int64_t>((static_cast<uint64_t>(r[1]) * static_cast<uint64_t>(w - hole + 1)) >> 32);
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = y0; y < y0 + hole; ++y)
        std::fill_n(p + ((i * c + ch) * h + y) * w + x0, hole, 0.0f);
  }
  return x;
}

Tensor task_input(const std::string& task, const Tensor& images, int64_t hole, int64_t first_index) {
  if (task == "edges") return sobel_edges(images);
  GANTRY_CHECK(task == "inpaint", "task_input: unknown task '", task, "' (edges or inpaint)");
  return inpaint_masked(images, hole, kInpaintSeed, first_index);
}

Tensor as_channels(const Tensor& x, int64_t c) {
  return x.size(1) == c ? x : expand(x, {x.size(0), c, x.size(2), x.size(3)});
}

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> names = {"t-shirt", "trouser", "pullover", "dress", "coat",
                                                 "sandal",  "shirt",   "sneaker",  "bag",   "ankle-boot"};
  return names;
}

int64_t fashion_mnist_class(const std::string& name) {
  std::string k;
  for (char ch : name) k += ch == '_' || ch == ' ' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (k == "tshirt" || k == "t-shirt/top" || k == "top") k = "t-shirt";
  if (k == "boot" || k == "ankleboot") k = "ankle-boot";
  if (k.size() == 1 && k[0] >= '0' && k[0] <= '9') return k[0] - '0';
  if (!k.empty() && k.back() == 's' && k != "dress") k.pop_back();  // plurals: sneakers, ankle-boots
  const auto& names = fashion_mnist_classes();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == k) return static_cast<int64_t>(i);
  std::string have;
  for (const auto& n : names) have += (have.empty() ? "" : ", ") + n;
  throw Error("Fashion-MNIST has no class '" + name + "' (classes: " + have + ", or their numbers 0-9)");
}

ImageDataset class_subset(const ImageDataset& ds, int64_t label) {
  GANTRY_CHECK(ds.labels.defined(), "class_subset: the dataset has no labels");
  const Tensor lab = ds.labels.to(kCPU).to(kInt64).contiguous();
  const int64_t* l = lab.data<int64_t>();
  std::vector<int64_t> keep;
  for (int64_t i = 0; i < lab.numel(); ++i)
    if (l[i] == label) keep.push_back(i);
  GANTRY_CHECK(!keep.empty(), "class_subset: no example has label ", label);
  const Tensor idx = from_vector<int64_t>(keep, {static_cast<int64_t>(keep.size())});
  ImageDataset out;
  out.images = index_select(ds.images, 0, idx).contiguous();
  out.labels = full({static_cast<int64_t>(keep.size())}, static_cast<double>(label), kInt64);
  return out;
}

}  // namespace gan
}  // namespace gantry
