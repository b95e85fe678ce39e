// gan/data/degrade.h — how super-resolution training makes a low-resolution
// input from a high-resolution patch, on the host, seeded and reproducible.
//
//   classic   bicubic_downscale: MATLAB's imresize(hr, 1/scale, 'bicubic')
//             (Keys' cubic, a = -0.5, widened by `scale` when shrinking so it
//             also low-passes), the degradation of the SRCNN..ESRGAN benchmarks;
//
//   real      degrade_real: Real-ESRGAN's second-order pipeline (Wang et al.
//             2021, its train_realesrgan_x4plus defaults in RealDegradation):
//               twice:  blur (isotropic / anisotropic Gaussian, generalized
//                       Gaussian or plateau kernel, or a sinc filter; 7..21
//                       taps) -> resize up, down or not, by a random mode ->
//                       Gaussian or Poisson noise, in color or gray -> JPEG at
//                       a random quality (libjpeg, 4:2:0 chroma as
//                       Real-ESRGAN's DiffJPEG);
//             resizing is PyTorch's (resize_torch: no antialiasing, as
//             Real-ESRGAN's F.interpolate), the stages' sizes truncated;
//               then:   the resize to the LR size plus a final sinc filter,
//                       and a JPEG, in a random order;
//             the second blur is skipped with probability 1 - second_blur_prob.
//
// Every random choice comes from Philox under the given seed, drawn in a fixed
// order: the same (image, scale, seed) gives the same bytes on any machine.
// Images are HostImage planes in [0, 1]; the results are clamped to [0, 1]
// and rounded to 8-bit levels, as a saved LR image would be.
#pragma once
#include <cstdint>
#include <vector>

#include "gan/data/host_image.h"

namespace gantry {
namespace gan {

// ----- resampling -------------------------------------------------------------

enum class ResizeMode { kArea, kBilinear, kBicubic };

// MATLAB imresize semantics, separable: output pixel i (0-based) sits at input
// coordinate (i + 0.5) / s - 0.5 for the scale s = out / in; the kernel (box
// width 1, triangle width 2, Keys cubic width 4) is widened by 1/s when
// shrinking (antialiasing: kArea then averages the input pixels each output
// pixel covers, exactly the area mean for integer factors); weights
// are normalized to sum 1; indices past an edge mirror back (symmetric, the
// edge pixel repeated).
HostImage resize(const HostImage& im, int64_t out_h, int64_t out_w, ResizeMode mode);

// PyTorch's F.interpolate semantics (align_corners = false, no antialias),
// what Real-ESRGAN's pipeline resizes with: output pixel i samples input
// coordinate (i + 0.5) / s - 0.5 with an unwidened kernel, so shrinking
// aliases; indices past an edge are clamped (the edge pixel repeated).
//   kBilinear  the coordinate clamped at 0 first, as torch does
//   kBicubic   Keys' cubic with a = -0.75 (torch's), not MATLAB's -0.5
//   kArea      adaptive average pooling: output i averages input pixels
//              floor(i in / out) .. ceil((i + 1) in / out) - 1
HostImage resize_torch(const HostImage& im, int64_t out_h, int64_t out_w, ResizeMode mode);

// im: sides divisible by scale -> [c, h/scale, w/scale], bicubic, 8-bit levels.
HostImage bicubic_downscale(const HostImage& im, int64_t scale);

// ----- blur kernels (size x size, odd size, summing to 1) ---------------------

enum class BlurShape { kGaussian, kGeneralized, kPlateau };

// Anisotropic kernels: the covariance has standard deviations sigma_x and
// sigma_y along axes rotated by theta (radians); with d = x^T Sigma^-1 x,
//   kGaussian:    exp(-d / 2)
//   kGeneralized: exp(-(d^beta) / 2)      (beta = 1: Gaussian)
//   kPlateau:     1 / (1 + d^beta)
std::vector<double> blur_kernel(int size, double sigma_x, double sigma_y, double theta,
                                BlurShape shape = BlurShape::kGaussian, double beta = 1.0);

// The circularly symmetric ideal low-pass filter with cutoff omega_c (radians
// per pixel, in (0, pi]): omega_c J1(omega_c r) / (2 pi r), normalized.
std::vector<double> sinc_kernel(int size, double omega_c);

// Every channel convolved with the kernel, reflect-padded (the edge pixel not
// repeated, mirrored again as often as a kernel wider than the image needs),
// the same size out.
HostImage filter2d(const HostImage& im, const std::vector<double>& kernel, int size);

// ----- noise and compression ---------------------------------------------------

// A deterministic stream of uniform draws (Philox under `seed`, one counter per draw).
class DegradeRng {
 public:
  explicit DegradeRng(uint64_t seed) : seed_(seed) {}
  double uniform();                         // [0, 1)
  double uniform(double lo, double hi);     // [lo, hi)
  int64_t integer(int64_t lo, int64_t hi);  // [lo, hi] inclusive
  double normal();
  uint64_t counter() const { return ctr_; }

 private:
  uint64_t seed_, ctr_ = 0;
};

// + N(0, sigma^2) per pixel (sigma in [0, 1] units), one draw per pixel shared
// by all channels when gray.
HostImage add_gaussian_noise(const HostImage& im, double sigma, bool gray, DegradeRng& rng);
// Real-ESRGAN's Poisson (shot) noise: with `levels` = 2^ceil(log2(distinct
// values)), noise = Poisson(im * levels) / levels - im, added times `scale`;
// when gray, computed on the BT.601 luma and added to every channel.
HostImage add_poisson_noise(const HostImage& im, double scale, bool gray, DegradeRng& rng);
// Clamped, rounded to bytes, JPEG-encoded at `quality` and decoded (1 or 3 channels).
HostImage jpeg_compress(const HostImage& im, int quality);

// Clamped to [0, 1] and rounded to multiples of 1/255.
HostImage quantize8(const HostImage& im);

// ----- the Real-ESRGAN pipeline -------------------------------------------------

struct BlurSettings {
  double sinc_prob = 0.1;  // a sinc filter instead of a blur kernel
  // iso, aniso, generalized iso, generalized aniso, plateau iso, plateau aniso
  std::vector<double> shape_prob = {0.45, 0.25, 0.12, 0.03, 0.12, 0.03};
  double sigma_min = 0.2, sigma_max = 3.0;
  double beta_g_min = 0.5, beta_g_max = 4.0;  // generalized Gaussian's beta
  double beta_p_min = 1.0, beta_p_max = 2.0;  // plateau's beta
};

struct DegradeStage {
  std::vector<double> resize_prob = {0.2, 0.7, 0.1};  // up, down, keep
  double resize_min = 0.15, resize_max = 1.5;
  double gaussian_noise_prob = 0.5;  // else Poisson noise
  double noise_min = 1.0, noise_max = 30.0;  // Gaussian sigma, in 8-bit levels
  double poisson_min = 0.05, poisson_max = 3.0;
  double gray_noise_prob = 0.4;
  int jpeg_min = 30, jpeg_max = 95;
  BlurSettings blur;
};

struct RealDegradation {
  DegradeStage first;
  DegradeStage second = [] {
    DegradeStage s;
    s.resize_prob = {0.3, 0.4, 0.3};
    s.resize_min = 0.3;
    s.resize_max = 1.2;
    s.noise_max = 25.0;
    s.poisson_max = 2.5;
    s.blur.sigma_max = 1.5;
    return s;
  }();
  double second_blur_prob = 0.8;
  double final_sinc_prob = 0.8;
  int kernel_min = 7, kernel_max = 21;  // odd sizes drawn between
};

// hr: [c, h, w] with h and w divisible by scale -> [c, h/scale, w/scale].
HostImage degrade_real(const HostImage& hr, int64_t scale, uint64_t seed,
                       const RealDegradation& cfg = RealDegradation());

}  // namespace gan
}  // namespace gantry
