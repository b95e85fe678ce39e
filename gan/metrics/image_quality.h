// gan/metrics/image_quality.h — full-reference image metrics for super-resolution
// and translation: PSNR, SSIM and the high-frequency energy ratio, in float64 on
// the host, with the conventions of the SR literature (BasicSR, the ESRGAN and
// Real-ESRGAN evaluations):
//
//   images are compared as 8-bit pictures: values in [0, 1], quantized to
//   multiples of 1/255 when they come from a tensor (to_host_image), with a
//   border of `crop` pixels (usually the scale factor) left out on each side;
//
//   psnr   10 log10(1 / MSE) over every channel of the cropped region (data
//          range 1); +inf for identical images;
//   ssim   Wang et al. 2004: an 11x11 Gaussian window (sigma 1.5), only where
//          it fits ("valid"), C1 = (0.01)^2, C2 = (0.03)^2; the mean of the
//          SSIM map, averaged over channels;
//   luma   ITU-R BT.601 Y from RGB, as MATLAB's rgb2ycbcr: Y = (16 + 65.481 R
//          + 128.553 G + 24.966 B) / 255 for R, G, B in [0, 1] (SR papers
//          report PSNR/SSIM "on Y");
//   laplacian_variance  the variance of the 4-neighbour Laplacian over the
//          interior pixels (channels averaged): a sharpness measure; the
//          high-frequency energy ratio of an output is its value over HR's
//          (1: as sharp as the original; bicubic and L1 models sit below 1).
#pragma once
#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "gan/data/host_image.h"

namespace gantry {
namespace gan {
namespace metrics {

using gan::HostImage;  // float64 planes in [0, 1] (gan/data/host_image.h)

// image: float [C,H,W] on any device, in Gantry's [-1, 1]; returned in [0, 1]
// (clamped; NaN becomes 0), rounded to multiples of 1/255 when quantize.
HostImage to_host_image(const Tensor& image, bool quantize = true);

// rgb: 3 channels in [0, 1] -> 1 channel (BT.601 Y, in [16/255, 235/255]).
// A 1-channel image is returned as it is.
HostImage luma(const HostImage& rgb);

// a and b: the same shape; crop < h/2 and < w/2.
double psnr(const HostImage& a, const HostImage& b, int64_t crop = 0);
// a and b: the same shape, at least 11 x 11 after the crop.
double ssim(const HostImage& a, const HostImage& b, int64_t crop = 0);
// a: at least 3 x 3 after the crop.
double laplacian_variance(const HostImage& a, int64_t crop = 0);

// The 11-tap normalized Gaussian (sigma 1.5) that ssim() uses in each direction.
std::vector<double> ssim_window_1d();

}  // namespace metrics
}  // namespace gan
}  // namespace gantry
