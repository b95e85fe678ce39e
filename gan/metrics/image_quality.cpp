// gan/metrics/image_quality.cpp — PSNR, SSIM, BT.601 luma and the Laplacian
// variance (see image_quality.h). Plain double loops: these run once per
// evaluated image, on images of at most a few megapixels.
#include "gan/metrics/image_quality.h"

#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/tensor.h"

namespace gantry {
namespace gan {
namespace metrics {

HostImage to_host_image(const Tensor& image, bool quantize) {
  GANTRY_CHECK(image.defined(), "to_host_image: the image tensor is undefined");
  GANTRY_CHECK(image.dim() == 3, "to_host_image: expected an image [C,H,W], got ", tensor_desc(image));
  GANTRY_CHECK(is_floating(image.dtype()), "to_host_image: expected a floating image, got ",
               tensor_desc(image));
  Tensor x = image;
  if (!x.device().is_cpu()) x = core::to_device(x, kCPU);
  x = core::contiguous(core::cast(x, kFloat64));
  HostImage out(x.size(0), x.size(1), x.size(2));
  const double* src = x.data<double>();
  for (size_t i = 0; i < out.v.size(); ++i) {
    double v = src[i];
    v = std::isnan(v) ? 0.0 : std::min(1.0, std::max(0.0, (v + 1.0) * 0.5));
    out.v[i] = quantize ? std::round(v * 255.0) / 255.0 : v;
  }
  return out;
}

HostImage luma(const HostImage& rgb) {
  GANTRY_CHECK(rgb.c == 1 || rgb.c == 3, "luma: expected 1 or 3 channels, got ", rgb.c);
  if (rgb.c == 1) return rgb;
  HostImage y(1, rgb.h, rgb.w);
  for (int64_t i = 0; i < rgb.h; ++i)
    for (int64_t j = 0; j < rgb.w; ++j)
      y.at(0, i, j) = (16.0 + 65.481 * rgb.at(0, i, j) + 128.553 * rgb.at(1, i, j) +
                       24.966 * rgb.at(2, i, j)) / 255.0;
  return y;
}

namespace {

// Both images the same shape, and min_side x min_side pixels left after the crop.
void check_pair(const char* what, const HostImage& a, const HostImage& b, int64_t crop,
                int64_t min_side) {
  GANTRY_CHECK(a.c == b.c && a.h == b.h && a.w == b.w, what, ": the images differ in shape: ", a.c,
               "x", a.h, "x", a.w, " vs ", b.c, "x", b.h, "x", b.w, " (channels x height x width)");
  GANTRY_CHECK(crop >= 0, what, ": the border crop must be >= 0, got ", crop);
  GANTRY_CHECK(a.c >= 1 && a.h - 2 * crop >= min_side && a.w - 2 * crop >= min_side, what, ": a ",
               a.h, "x", a.w, " image with a border crop of ", crop, " leaves less than ", min_side,
               "x", min_side, " pixels to compare");
}

}  // namespace

double psnr(const HostImage& a, const HostImage& b, int64_t crop) {
  check_pair("psnr", a, b, crop, 1);
  double se = 0.0;
  int64_t n = 0;
  for (int64_t ch = 0; ch < a.c; ++ch)
    for (int64_t i = crop; i < a.h - crop; ++i)
      for (int64_t j = crop; j < a.w - crop; ++j, ++n) {
        const double d = a.at(ch, i, j) - b.at(ch, i, j);
        se += d * d;
      }
  const double mse = se / static_cast<double>(n);
  if (mse == 0.0) return std::numeric_limits<double>::infinity();
  return -10.0 * std::log10(mse);
}

std::vector<double> ssim_window_1d() {
  std::vector<double> g(11);
  double s = 0.0;
  for (int k = 0; k < 11; ++k) {
    const double t = k - 5;
    g[k] = std::exp(-t * t / (2.0 * 1.5 * 1.5));
    s += g[k];
  }
  for (double& v : g) v /= s;
  return g;
}

namespace {

// Separable "valid" filtering of one plane (rows y0..y1, cols x0..x1 of the
// input, exclusive ends) with the 11-tap window: [(y1-y0-10) x (x1-x0-10)].
std::vector<double> filter_valid(const std::vector<double>& plane, int64_t w, int64_t y0, int64_t y1,
                                 int64_t x0, int64_t x1, const std::vector<double>& g) {
  const int64_t ih = y1 - y0, iw = x1 - x0, oh = ih - 10, ow = iw - 10;
  std::vector<double> rows(static_cast<size_t>(ih * ow), 0.0);  // filtered along x
  for (int64_t i = 0; i < ih; ++i)
    for (int64_t j = 0; j < ow; ++j) {
      double s = 0.0;
      for (int k = 0; k < 11; ++k) s += g[k] * plane[static_cast<size_t>((y0 + i) * w + x0 + j + k)];
      rows[static_cast<size_t>(i * ow + j)] = s;
    }
  std::vector<double> out(static_cast<size_t>(oh * ow), 0.0);
  for (int64_t i = 0; i < oh; ++i)
    for (int64_t j = 0; j < ow; ++j) {
      double s = 0.0;
      for (int k = 0; k < 11; ++k) s += g[k] * rows[static_cast<size_t>((i + k) * ow + j)];
      out[static_cast<size_t>(i * ow + j)] = s;
    }
  return out;
}

}  // namespace

double ssim(const HostImage& a, const HostImage& b, int64_t crop) {
  check_pair("ssim", a, b, crop, 11);
  const double C1 = 0.01 * 0.01, C2 = 0.03 * 0.03;
  const std::vector<double> g = ssim_window_1d();
  const size_t plane = static_cast<size_t>(a.h * a.w);
  double total = 0.0;
  for (int64_t ch = 0; ch < a.c; ++ch) {
    std::vector<double> x(a.v.begin() + ch * plane, a.v.begin() + (ch + 1) * plane);
    std::vector<double> y(b.v.begin() + ch * plane, b.v.begin() + (ch + 1) * plane);
    std::vector<double> xx(plane), yy(plane), xy(plane);
    for (size_t k = 0; k < plane; ++k) {
      xx[k] = x[k] * x[k];
      yy[k] = y[k] * y[k];
      xy[k] = x[k] * y[k];
    }
    const int64_t y0 = crop, y1 = a.h - crop, x0 = crop, x1 = a.w - crop;
    const auto mx = filter_valid(x, a.w, y0, y1, x0, x1, g), my = filter_valid(y, a.w, y0, y1, x0, x1, g);
    const auto sxx = filter_valid(xx, a.w, y0, y1, x0, x1, g);
    const auto syy = filter_valid(yy, a.w, y0, y1, x0, x1, g);
    const auto sxy = filter_valid(xy, a.w, y0, y1, x0, x1, g);
    double s = 0.0;
    for (size_t k = 0; k < mx.size(); ++k) {
      const double vx = sxx[k] - mx[k] * mx[k], vy = syy[k] - my[k] * my[k];
      const double cxy = sxy[k] - mx[k] * my[k];
      s += ((2.0 * mx[k] * my[k] + C1) * (2.0 * cxy + C2)) /
           ((mx[k] * mx[k] + my[k] * my[k] + C1) * (vx + vy + C2));
    }
    total += s / static_cast<double>(mx.size());
  }
  return total / static_cast<double>(a.c);
}

double laplacian_variance(const HostImage& a, int64_t crop) {
  check_pair("laplacian_variance", a, a, crop, 3);
  double total = 0.0;
  for (int64_t ch = 0; ch < a.c; ++ch) {
    double s = 0.0, s2 = 0.0;
    int64_t n = 0;
    for (int64_t i = crop + 1; i < a.h - crop - 1; ++i)
      for (int64_t j = crop + 1; j < a.w - crop - 1; ++j, ++n) {
        const double l = a.at(ch, i - 1, j) + a.at(ch, i + 1, j) + a.at(ch, i, j - 1) +
                         a.at(ch, i, j + 1) - 4.0 * a.at(ch, i, j);
        s += l;
        s2 += l * l;
      }
    const double mean = s / static_cast<double>(n);
    total += s2 / static_cast<double>(n) - mean * mean;
  }
  return total / static_cast<double>(a.c);
}

}  // namespace metrics
}  // namespace gan
}  // namespace gantry
