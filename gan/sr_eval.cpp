// gan/sr_eval.cpp — PSNR, SSIM, perceptual distance and high-frequency
// ratio of an SR model and of bicubic interpolation (see sr_eval.h).
#include "gan/sr_eval.h"

#include <algorithm>
#include <chrono>

#include "gan/data/degrade.h"
#include "gan/data/image.h"
#include "gan/metrics/image_quality.h"
#include "gan/models/sr/features.h"

namespace gantry {
namespace gan {

namespace {
HostImage crop(const HostImage& im, int64_t y, int64_t x, int64_t h, int64_t w) {
  HostImage out(im.c, h, w);
  for (int64_t c = 0; c < im.c; ++c)
    for (int64_t i = 0; i < h; ++i)
      for (int64_t j = 0; j < w; ++j) out.at(c, i, j) = im.at(c, y + i, x + j);
  return out;
}
HostImage center(const HostImage& im, int64_t side) {
  const int64_t h = std::min(side, im.h), w = std::min(side, im.w);
  return crop(im, (im.h - h) / 2, (im.w - w) / 2, h, w);
}

void score(SRScores& acc, const HostImage& out, const HostImage& hr, int64_t border, FeatureNet& phi) {
  using namespace metrics;
  const HostImage oy = luma(out), hy = luma(hr);
  acc.psnr_y += psnr(oy, hy, border);
  acc.ssim_y += ssim(oy, hy, border);
  acc.psnr_rgb += psnr(out, hr, border);
  acc.ssim_rgb += ssim(out, hr, border);
  acc.hf_ratio += laplacian_variance(oy, border) / std::max(laplacian_variance(hy, border), 1e-12);
  NoGradGuard ng;
  acc.perceptual +=
      perceptual_loss(phi, unsqueeze(to_tensor(center(out, 256)), 0), unsqueeze(to_tensor(center(hr, 256)), 0))
          .item<double>();
}
void divide(SRScores& s, double n) {
  for (double* v : {&s.psnr_y, &s.ssim_y, &s.psnr_rgb, &s.ssim_rgb, &s.perceptual, &s.hf_ratio}) *v /= n;
}
}  // namespace

SREvaluation evaluate_sr(nn::Module& net, const PictureSet& set, const SREvalOptions& o) {
  GANTRY_CHECK(!set.pictures.empty(), "evaluate_sr: no pictures to evaluate on");
  const int64_t s = o.scale;
  FeatureNet phi(set.channels);
  SREvaluation r;
  std::vector<Tensor> crops;  // bicubic, model, HR per picture: [C, k, k] in [-1, 1]
  for (size_t i = 0; i < set.pictures.size(); ++i) {
    const Picture& p = set.pictures[i];
    const int64_t H = p.h / s * s, W = p.w / s * s;
    GANTRY_CHECK(H / s >= 4 && W / s >= 4, "evaluate_sr: picture '", p.name, "' (", p.w, "x", p.h,
                 ") is too small for x", s, " (its LR would be under 4x4)");
    const HostImage hr = p.crop(0, 0, H, W);
    const HostImage lr = o.degradation == Degradation::kReal ? degrade_real(hr, s, 1000 + i) : bicubic_downscale(hr, s);
    const HostImage bic = quantize8(resize(lr, H, W, ResizeMode::kBicubic));
    const auto t0 = std::chrono::steady_clock::now();
    const Tensor y = upscale(net, unsqueeze(to_tensor(lr), 0), s, o.tiles);  // [1, C, H, W]
    r.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const HostImage out = metrics::to_host_image(core::select(y, 0, 0), true);
    score(r.model, out, hr, s, phi);
    score(r.bicubic, bic, hr, s, phi);
    if (!o.crops_png.empty()) {
      const int64_t k = std::min({o.crop_size, H, W});
      for (const HostImage* im : {&bic, &out, &hr}) crops.push_back(to_tensor(center(*im, k)));
    }
    ++r.pictures;
  }
  divide(r.model, static_cast<double>(r.pictures));
  divide(r.bicubic, static_cast<double>(r.pictures));
  if (!o.crops_png.empty()) {
    // Pictures smaller than the crop give smaller crops: pad each to the largest.
    int64_t k = 0;
    for (const Tensor& c : crops) k = std::max(k, c.size(1));
    std::vector<Tensor> padded;
    for (const Tensor& c : crops)
      padded.push_back(unsqueeze(c.size(1) == k && c.size(2) == k
                                     ? c
                                     : pad(c, {0, k - c.size(2), 0, k - c.size(1)}, PadMode::Constant, -1.0),
                                 0));
    save_png_grid(o.crops_png, cat(padded, 0), 3, 2);
  }
  return r;
}

}  // namespace gan
}  // namespace gantry
