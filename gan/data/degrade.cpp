// gan/data/degrade.cpp — resampling, blur kernels, noise, JPEG and the
// Real-ESRGAN second-order degradation (see degrade.h).
#include "gan/data/degrade.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.h"
#include "core/rng.h"
#include "gan/data/image.h"  // jpeg_roundtrip

namespace gantry {
namespace gan {

namespace {

constexpr double kPi = 3.14159265358979323846;

// Mirror an index into [0, n): -1 -> 0, n -> n-1 (symmetric, edge repeated),
// repeatedly, so any offset lands inside.
int64_t mirror_symmetric(int64_t i, int64_t n) {
  const int64_t period = 2 * n;
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - 1 - i;
}

// Mirror into [0, n) without repeating the edge: -1 -> 1, n -> n-2 (reflect).
int64_t mirror_reflect(int64_t i, int64_t n) {
  if (n == 1) return 0;
  const int64_t period = 2 * (n - 1);
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - i;
}

double cubic(double x) {  // Keys 1981, a = -0.5
  const double a = std::fabs(x);
  if (a <= 1) return (1.5 * a - 2.5) * a * a + 1;
  if (a < 2) return ((-0.5 * a + 2.5) * a - 4) * a + 2;
  return 0;
}
double triangle(double x) { return std::max(0.0, 1.0 - std::fabs(x)); }
double box(double x) { return (x >= -0.5 && x < 0.5) ? 1.0 : 0.0; }

struct Taps {
  std::vector<int64_t> first;    // [out] first input index (before mirroring)
  std::vector<double> weights;   // [out, taps]
  int64_t taps = 0;
};

// The 1-D resampling weights of imresize for in -> out samples.
Taps resize_taps(int64_t in, int64_t out, ResizeMode mode) {
  const double s = static_cast<double>(out) / static_cast<double>(in);
  double width = mode == ResizeMode::kBicubic ? 4.0 : mode == ResizeMode::kBilinear ? 2.0 : 1.0;
  const bool shrink = s < 1.0;
  const double stretch = shrink ? s : 1.0;  // kernel(x) -> stretch * kernel(stretch * x)
  width /= stretch;
  Taps t;
  t.taps = static_cast<int64_t>(std::ceil(width)) + 2;
  t.first.resize(static_cast<size_t>(out));
  t.weights.assign(static_cast<size_t>(out * t.taps), 0.0);
  for (int64_t i = 0; i < out; ++i) {
    const double u = (static_cast<double>(i) + 0.5) / s - 0.5;  // input coordinate
    const int64_t left = static_cast<int64_t>(std::floor(u - width / 2.0));
    t.first[static_cast<size_t>(i)] = left;
    double sum = 0.0;
    for (int64_t k = 0; k < t.taps; ++k) {
      const double x = (u - static_cast<double>(left + k)) * stretch;
      double w = mode == ResizeMode::kBicubic ? cubic(x) : mode == ResizeMode::kBilinear ? triangle(x) : box(x);
      w *= stretch;
      t.weights[static_cast<size_t>(i * t.taps + k)] = w;
      sum += w;
    }
    GANTRY_CHECK(sum != 0.0, "resize: no input sample under output ", i);
    for (int64_t k = 0; k < t.taps; ++k) t.weights[static_cast<size_t>(i * t.taps + k)] /= sum;
  }
  return t;
}

// PyTorch's weights for in -> out samples (indices clamped when used).
Taps torch_taps(int64_t in, int64_t out, ResizeMode mode) {
  const double ratio = static_cast<double>(in) / static_cast<double>(out);
  Taps t;
  t.first.resize(static_cast<size_t>(out));
  if (mode == ResizeMode::kArea) {
    t.taps = static_cast<int64_t>(std::ceil(ratio)) + 1;
    t.weights.assign(static_cast<size_t>(out * t.taps), 0.0);
    for (int64_t i = 0; i < out; ++i) {
      const int64_t a = (i * in) / out, b = ((i + 1) * in + out - 1) / out;  // floor, ceil
      t.first[static_cast<size_t>(i)] = a;
      for (int64_t k = 0; k < b - a; ++k) t.weights[static_cast<size_t>(i * t.taps + k)] = 1.0 / (b - a);
    }
    return t;
  }
  t.taps = mode == ResizeMode::kBicubic ? 4 : 2;
  t.weights.assign(static_cast<size_t>(out * t.taps), 0.0);
  for (int64_t i = 0; i < out; ++i) {
    double u = (static_cast<double>(i) + 0.5) * ratio - 0.5;
    if (mode == ResizeMode::kBilinear) {
      u = std::max(u, 0.0);
      const int64_t i0 = static_cast<int64_t>(std::floor(u));
      const double l = u - static_cast<double>(i0);
      t.first[static_cast<size_t>(i)] = i0;
      t.weights[static_cast<size_t>(i * 2)] = 1.0 - l;
      t.weights[static_cast<size_t>(i * 2 + 1)] = l;
    } else {
      const int64_t i0 = static_cast<int64_t>(std::floor(u));
      const double f = u - static_cast<double>(i0);
      auto c = [](double x) {  // Keys, a = -0.75
        const double a = -0.75, z = std::fabs(x);
        if (z <= 1) return ((a + 2) * z - (a + 3)) * z * z + 1;
        if (z < 2) return ((a * z - 5 * a) * z + 8 * a) * z - 4 * a;
        return 0.0;
      };
      t.first[static_cast<size_t>(i)] = i0 - 1;
      for (int k = 0; k < 4; ++k) t.weights[static_cast<size_t>(i * 4 + k)] = c(f - (k - 1));
    }
  }
  return t;
}

// Applies x-taps then y-taps; `index` maps a tap's input index into [0, n).
template <typename Index>
HostImage apply_taps(const HostImage& im, const Taps& tx, const Taps& ty, int64_t out_h, int64_t out_w,
                     Index index) {
  HostImage mid(im.c, im.h, out_w), out(im.c, out_h, out_w);
  for (int64_t ch = 0; ch < im.c; ++ch)
    for (int64_t y = 0; y < im.h; ++y)
      for (int64_t x = 0; x < out_w; ++x) {
        double s = 0.0;
        for (int64_t k = 0; k < tx.taps; ++k)
          s += tx.weights[static_cast<size_t>(x * tx.taps + k)] *
               im.at(ch, y, index(tx.first[static_cast<size_t>(x)] + k, im.w));
        mid.at(ch, y, x) = s;
      }
  for (int64_t ch = 0; ch < im.c; ++ch)
    for (int64_t y = 0; y < out_h; ++y)
      for (int64_t x = 0; x < out_w; ++x) {
        double s = 0.0;
        for (int64_t k = 0; k < ty.taps; ++k)
          s += ty.weights[static_cast<size_t>(y * ty.taps + k)] *
               mid.at(ch, index(ty.first[static_cast<size_t>(y)] + k, im.h), x);
        out.at(ch, y, x) = s;
      }
  return out;
}

void check_resize(const char* who, const HostImage& im, int64_t out_h, int64_t out_w) {
  GANTRY_CHECK(im.c >= 1 && im.h >= 1 && im.w >= 1, who, ": the image is empty (", im.c, "x", im.h, "x", im.w,
               ")");
  GANTRY_CHECK(out_h >= 1 && out_w >= 1, who, ": the output size must be positive, got ", out_h, "x", out_w);
}

}  // namespace

HostImage resize_torch(const HostImage& im, int64_t out_h, int64_t out_w, ResizeMode mode) {
  check_resize("resize_torch", im, out_h, out_w);
  return apply_taps(im, torch_taps(im.w, out_w, mode), torch_taps(im.h, out_h, mode), out_h, out_w,
                    [](int64_t i, int64_t n) { return std::min(n - 1, std::max<int64_t>(0, i)); });
}

HostImage resize(const HostImage& im, int64_t out_h, int64_t out_w, ResizeMode mode) {
  check_resize("resize", im, out_h, out_w);
  return apply_taps(im, resize_taps(im.w, out_w, mode), resize_taps(im.h, out_h, mode), out_h, out_w,
                    mirror_symmetric);
}

HostImage quantize8(const HostImage& im) {
  HostImage out = im;
  for (double& v : out.v) v = std::round(std::min(1.0, std::max(0.0, std::isnan(v) ? 0.0 : v)) * 255.0) / 255.0;
  return out;
}

HostImage bicubic_downscale(const HostImage& im, int64_t scale) {
  GANTRY_CHECK(scale >= 1, "bicubic_downscale: scale must be >= 1, got ", scale);
  GANTRY_CHECK(im.h % scale == 0 && im.w % scale == 0 && im.h >= scale && im.w >= scale,
               "bicubic_downscale: a ", im.h, "x", im.w, " image does not divide by scale ", scale);
  return quantize8(resize(im, im.h / scale, im.w / scale, ResizeMode::kBicubic));
}

std::vector<double> blur_kernel(int size, double sigma_x, double sigma_y, double theta, BlurShape shape,
                                double beta) {
  GANTRY_CHECK(size >= 1 && size % 2 == 1, "blur_kernel: size must be odd and positive, got ", size);
  GANTRY_CHECK(sigma_x > 0 && sigma_y > 0, "blur_kernel: sigmas must be positive, got ", sigma_x, " and ",
               sigma_y);
  GANTRY_CHECK(beta > 0, "blur_kernel: beta must be positive, got ", beta);
  // Sigma = R diag(sx^2, sy^2) R^T; its inverse has the reciprocal variances.
  const double c = std::cos(theta), s = std::sin(theta);
  const double ix = 1.0 / (sigma_x * sigma_x), iy = 1.0 / (sigma_y * sigma_y);
  const double a = c * c * ix + s * s * iy, b = c * s * (ix - iy), d = s * s * ix + c * c * iy;
  const int r = size / 2;
  std::vector<double> k(static_cast<size_t>(size * size));
  double sum = 0.0;
  for (int y = -r; y <= r; ++y)
    for (int x = -r; x <= r; ++x) {
      const double q = a * x * x + 2 * b * x * y + d * y * y;  // x^T Sigma^-1 x
      double v = 0;
      switch (shape) {
        case BlurShape::kGaussian: v = std::exp(-0.5 * q); break;
        case BlurShape::kGeneralized: v = std::exp(-0.5 * std::pow(q, beta)); break;
        case BlurShape::kPlateau: v = 1.0 / (1.0 + std::pow(q, beta)); break;
      }
      k[static_cast<size_t>((y + r) * size + x + r)] = v;
      sum += v;
    }
  for (double& v : k) v /= sum;
  return k;
}

std::vector<double> sinc_kernel(int size, double omega_c) {
  GANTRY_CHECK(size >= 1 && size % 2 == 1, "sinc_kernel: size must be odd and positive, got ", size);
  GANTRY_CHECK(omega_c > 0 && omega_c <= kPi, "sinc_kernel: the cutoff must be in (0, pi], got ", omega_c);
  const int r = size / 2;
  std::vector<double> k(static_cast<size_t>(size * size));
  double sum = 0.0;
  for (int y = -r; y <= r; ++y)
    for (int x = -r; x <= r; ++x) {
      const double d = std::sqrt(static_cast<double>(x * x + y * y));
      const double v = d == 0 ? omega_c * omega_c / (4 * kPi)
                              : omega_c * std::cyl_bessel_j(1.0, omega_c * d) / (2 * kPi * d);
      k[static_cast<size_t>((y + r) * size + x + r)] = v;
      sum += v;
    }
  for (double& v : k) v /= sum;
  return k;
}

HostImage filter2d(const HostImage& im, const std::vector<double>& kernel, int size) {
  GANTRY_CHECK(size >= 1 && size % 2 == 1 && kernel.size() == static_cast<size_t>(size * size),
               "filter2d: expected an odd size x size kernel, got ", kernel.size(), " values for size ", size);
  const int r = size / 2;
  HostImage out(im.c, im.h, im.w);
  for (int64_t ch = 0; ch < im.c; ++ch)
    for (int64_t y = 0; y < im.h; ++y)
      for (int64_t x = 0; x < im.w; ++x) {
        double s = 0.0;
        for (int dy = -r; dy <= r; ++dy) {
          const int64_t yy = mirror_reflect(y + dy, im.h);
          for (int dx = -r; dx <= r; ++dx)
            s += kernel[static_cast<size_t>((dy + r) * size + dx + r)] *
                 im.at(ch, yy, mirror_reflect(x + dx, im.w));
        }
        out.at(ch, y, x) = s;
      }
  return out;
}

double DegradeRng::uniform() {
  uint32_t w[4];
  Philox::draw(seed_, ctr_++, w);
  return Philox::uniform_f64(w[0], w[1]);
}
double DegradeRng::uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
int64_t DegradeRng::integer(int64_t lo, int64_t hi) {
  const int64_t n = hi - lo + 1;
  return lo + std::min(n - 1, static_cast<int64_t>(uniform() * static_cast<double>(n)));
}
double DegradeRng::normal() {
  uint32_t w[4];
  Philox::draw(seed_, ctr_++, w);
  return Philox::normal(w);
}

HostImage add_gaussian_noise(const HostImage& im, double sigma, bool gray, DegradeRng& rng) {
  HostImage out = im;
  const int64_t plane = im.h * im.w;
  if (gray) {
    for (int64_t p = 0; p < plane; ++p) {
      const double n = sigma * rng.normal();
      for (int64_t ch = 0; ch < im.c; ++ch) out.v[static_cast<size_t>(ch * plane + p)] += n;
    }
  } else {
    for (double& v : out.v) v += sigma * rng.normal();
  }
  return out;
}

namespace {

// One Poisson(lambda) draw by inversion of its CDF from a single uniform.
double poisson(double lambda, double u) {
  if (lambda <= 0) return 0;
  double p = std::exp(-lambda), cdf = p;
  int64_t k = 0;
  const int64_t cap = static_cast<int64_t>(lambda + 40.0 * std::sqrt(lambda) + 40.0);
  while (u > cdf && k < cap) {
    ++k;
    p *= lambda / static_cast<double>(k);
    cdf += p;
  }
  return static_cast<double>(k);
}

// Real-ESRGAN's levels: 2^ceil(log2(the number of distinct 8-bit values)).
double poisson_levels(const std::vector<double>& v) {
  std::set<int> seen;
  for (double x : v) seen.insert(static_cast<int>(std::lround(std::min(1.0, std::max(0.0, x)) * 255.0)));
  return std::pow(2.0, std::ceil(std::log2(static_cast<double>(std::max<size_t>(seen.size(), 1)))));
}

}  // namespace

HostImage add_poisson_noise(const HostImage& im, double scale, bool gray, DegradeRng& rng) {
  HostImage out = im;
  const int64_t plane = im.h * im.w;
  if (gray && im.c == 3) {
    std::vector<double> y(static_cast<size_t>(plane));
    for (int64_t p = 0; p < plane; ++p)  // BT.601 luma weights (torchvision's rgb_to_grayscale)
      y[static_cast<size_t>(p)] = 0.299 * im.v[static_cast<size_t>(p)] +
                                  0.587 * im.v[static_cast<size_t>(plane + p)] +
                                  0.114 * im.v[static_cast<size_t>(2 * plane + p)];
    for (double& v : y) v = std::round(std::min(1.0, std::max(0.0, v)) * 255.0) / 255.0;
    const double levels = poisson_levels(y);
    for (int64_t p = 0; p < plane; ++p) {
      const double x = y[static_cast<size_t>(p)];
      const double n = poisson(x * levels, rng.uniform()) / levels - x;
      for (int64_t ch = 0; ch < im.c; ++ch) out.v[static_cast<size_t>(ch * plane + p)] += n * scale;
    }
  } else {
    std::vector<double> q = quantize8(im).v;
    const double levels = poisson_levels(q);
    for (size_t i = 0; i < q.size(); ++i)
      out.v[i] += (poisson(q[i] * levels, rng.uniform()) / levels - q[i]) * scale;
  }
  return out;
}

HostImage jpeg_compress(const HostImage& im, int quality) {
  GANTRY_CHECK(im.c == 1 || im.c == 3, "jpeg_compress: expected 1 or 3 channels, got ", im.c);
  const int64_t plane = im.h * im.w;
  std::vector<unsigned char> px(static_cast<size_t>(plane * im.c));
  for (int64_t p = 0; p < plane; ++p)
    for (int64_t ch = 0; ch < im.c; ++ch) {
      const double v = im.v[static_cast<size_t>(ch * plane + p)];
      px[static_cast<size_t>(p * im.c + ch)] =
          static_cast<unsigned char>(std::lround(std::min(1.0, std::max(0.0, std::isnan(v) ? 0.0 : v)) * 255.0));
    }
  std::vector<unsigned char> back =
      jpeg_roundtrip(px, static_cast<int>(im.w), static_cast<int>(im.h), static_cast<int>(im.c), quality);
  HostImage out(im.c, im.h, im.w);
  for (int64_t p = 0; p < plane; ++p)
    for (int64_t ch = 0; ch < im.c; ++ch)
      out.v[static_cast<size_t>(ch * plane + p)] = back[static_cast<size_t>(p * im.c + ch)] / 255.0;
  return out;
}

namespace {

HostImage clamp01(HostImage im) {
  for (double& v : im.v) v = std::min(1.0, std::max(0.0, v));
  return im;
}

// An odd kernel size in kmin..kmax (both odd), uniformly.
int random_odd_size(int kmin, int kmax, DegradeRng& rng) {
  return static_cast<int>(kmin + 2 * rng.integer(0, (kmax - kmin) / 2));
}

// Draws a blur (or sinc) kernel of a random odd size, returned with its size.
std::vector<double> random_kernel(const BlurSettings& b, int kmin, int kmax, DegradeRng& rng, int* size) {
  *size = random_odd_size(kmin, kmax, rng);
  if (rng.uniform() < b.sinc_prob) {
    const double lo = *size < 13 ? kPi / 3 : kPi / 5;
    return sinc_kernel(*size, rng.uniform(lo, kPi));
  }
  double u = rng.uniform(), acc = 0, total = 0;
  for (double p : b.shape_prob) total += p;
  int pick = static_cast<int>(b.shape_prob.size()) - 1;
  for (size_t i = 0; i < b.shape_prob.size(); ++i) {
    acc += b.shape_prob[i] / total;
    if (u < acc) {
      pick = static_cast<int>(i);
      break;
    }
  }
  const bool aniso = pick % 2 == 1;
  const BlurShape shape = pick < 2 ? BlurShape::kGaussian : pick < 4 ? BlurShape::kGeneralized : BlurShape::kPlateau;
  const double sx = rng.uniform(b.sigma_min, b.sigma_max);
  const double sy = aniso ? rng.uniform(b.sigma_min, b.sigma_max) : sx;
  const double theta = aniso ? rng.uniform(-kPi, kPi) : 0.0;
  double beta = 1.0;
  if (shape == BlurShape::kGeneralized) {
    // Half the draws below 1, half above (the paper's beta_g in [0.5, 4]).
    beta = rng.uniform() < 0.5 ? rng.uniform(b.beta_g_min, 1.0) : rng.uniform(1.0, b.beta_g_max);
  } else if (shape == BlurShape::kPlateau) {
    beta = rng.uniform() < 0.5 ? rng.uniform(b.beta_p_min, 1.0) : rng.uniform(1.0, b.beta_p_max);
  }
  return blur_kernel(*size, sx, sy, theta, shape, beta);
}

ResizeMode random_mode(DegradeRng& rng) {
  const int64_t m = rng.integer(0, 2);
  return m == 0 ? ResizeMode::kArea : m == 1 ? ResizeMode::kBilinear : ResizeMode::kBicubic;
}

double random_resize_factor(const DegradeStage& s, DegradeRng& rng) {
  const double u = rng.uniform();
  const double up = s.resize_prob[0], down = s.resize_prob[1];
  const double total = s.resize_prob[0] + s.resize_prob[1] + s.resize_prob[2];
  if (u < up / total) return rng.uniform(1.0, s.resize_max);
  if (u < (up + down) / total) return rng.uniform(s.resize_min, 1.0);
  return 1.0;
}

// A stage's noise: Gaussian or Poisson, in color or gray, of a random strength.
HostImage random_noise(const HostImage& im, const DegradeStage& s, DegradeRng& rng) {
  const bool gaussian = rng.uniform() < s.gaussian_noise_prob;
  const bool gray = rng.uniform() < s.gray_noise_prob;
  if (gaussian) return add_gaussian_noise(im, rng.uniform(s.noise_min, s.noise_max) / 255.0, gray, rng);
  return add_poisson_noise(im, rng.uniform(s.poisson_min, s.poisson_max), gray, rng);
}

}  // namespace

HostImage degrade_real(const HostImage& hr, int64_t scale, uint64_t seed, const RealDegradation& cfg) {
  GANTRY_CHECK(scale >= 1, "degrade_real: scale must be >= 1, got ", scale);
  GANTRY_CHECK(hr.c == 1 || hr.c == 3, "degrade_real: expected 1 or 3 channels, got ", hr.c);
  GANTRY_CHECK(hr.h % scale == 0 && hr.w % scale == 0 && hr.h >= scale && hr.w >= scale,
               "degrade_real: a ", hr.h, "x", hr.w, " image does not divide by scale ", scale);
  GANTRY_CHECK(cfg.kernel_min >= 1 && cfg.kernel_min % 2 == 1 && cfg.kernel_max >= cfg.kernel_min &&
                   cfg.kernel_max % 2 == 1,
               "degrade_real: kernel sizes must be odd with min <= max, got ", cfg.kernel_min, "..",
               cfg.kernel_max);
  for (const DegradeStage* st : {&cfg.first, &cfg.second}) {
    const char* which = st == &cfg.first ? "first" : "second";
    GANTRY_CHECK(st->resize_prob.size() == 3 && st->resize_prob[0] >= 0 && st->resize_prob[1] >= 0 &&
                     st->resize_prob[2] >= 0 && st->resize_prob[0] + st->resize_prob[1] + st->resize_prob[2] > 0,
                 "degrade_real: the ", which, " stage's resize_prob needs 3 non-negative weights (up, down, keep)");
    GANTRY_CHECK(st->blur.shape_prob.size() == 6, "degrade_real: the ", which,
                 " stage's kernel shape_prob needs 6 weights (iso, aniso, generalized iso/aniso, plateau iso/aniso), got ",
                 st->blur.shape_prob.size());
    double total = 0;
    for (double p : st->blur.shape_prob) {
      GANTRY_CHECK(p >= 0, "degrade_real: kernel shape probabilities must be >= 0");
      total += p;
    }
    GANTRY_CHECK(total > 0, "degrade_real: the ", which, " stage's kernel shape probabilities are all 0");
    GANTRY_CHECK(st->jpeg_min >= 1 && st->jpeg_min <= st->jpeg_max && st->jpeg_max <= 100, "degrade_real: the ",
                 which, " stage's JPEG qualities must satisfy 1 <= min <= max <= 100, got ", st->jpeg_min, "..",
                 st->jpeg_max);
    GANTRY_CHECK(st->resize_min > 0 && st->resize_min <= 1 && st->resize_max >= 1, "degrade_real: the ", which,
                 " stage's resize range must contain 1 and be positive, got ", st->resize_min, "..", st->resize_max);
    GANTRY_CHECK(st->blur.sigma_min > 0 && st->blur.sigma_min <= st->blur.sigma_max, "degrade_real: the ", which,
                 " stage's blur sigmas must satisfy 0 < min <= max");
  }
  DegradeRng rng(seed);
  const int64_t lr_h = hr.h / scale, lr_w = hr.w / scale;
  int size = 0;
  // The first degradation.
  const std::vector<double> k1 = random_kernel(cfg.first.blur, cfg.kernel_min, cfg.kernel_max, rng, &size);
  HostImage im = filter2d(hr, k1, size);
  double f = random_resize_factor(cfg.first, rng);
  ResizeMode mode = random_mode(rng);
  im = resize_torch(im, std::max<int64_t>(1, static_cast<int64_t>(im.h * f)),
                    std::max<int64_t>(1, static_cast<int64_t>(im.w * f)), mode);
  im = random_noise(im, cfg.first, rng);
  im = jpeg_compress(clamp01(std::move(im)), static_cast<int>(rng.integer(cfg.first.jpeg_min, cfg.first.jpeg_max)));
  // The second degradation.
  if (rng.uniform() < cfg.second_blur_prob) {
    std::vector<double> k = random_kernel(cfg.second.blur, cfg.kernel_min, cfg.kernel_max, rng, &size);
    im = filter2d(im, k, size);
  }
  f = random_resize_factor(cfg.second, rng);
  mode = random_mode(rng);
  im = resize_torch(im, std::max<int64_t>(1, static_cast<int64_t>(lr_h * f)),
                    std::max<int64_t>(1, static_cast<int64_t>(lr_w * f)), mode);
  im = clamp01(random_noise(clamp01(std::move(im)), cfg.second, rng));
  // The final sinc filter (or none) with the resize to the LR size, and a
  // JPEG, in a random order.
  std::vector<double> sinc = {1.0};
  int sinc_size = 1;
  if (rng.uniform() < cfg.final_sinc_prob) {
    sinc_size = random_odd_size(cfg.kernel_min, cfg.kernel_max, rng);
    sinc = sinc_kernel(sinc_size, rng.uniform(kPi / 3, kPi));
  }
  const bool resize_first = rng.uniform() < 0.5;
  const ResizeMode final_mode = random_mode(rng);
  const int quality = static_cast<int>(rng.integer(cfg.second.jpeg_min, cfg.second.jpeg_max));
  if (resize_first) {
    im = filter2d(resize_torch(im, lr_h, lr_w, final_mode), sinc, sinc_size);
    im = jpeg_compress(clamp01(std::move(im)), quality);
  } else {
    im = jpeg_compress(im, quality);
    im = filter2d(resize_torch(im, lr_h, lr_w, final_mode), sinc, sinc_size);
  }
  return quantize8(im);
}

}  // namespace gan
}  // namespace gantry
