// tests/test_degrade.cpp — the super-resolution degradations of
// gan/data/degrade.h: imresize-style resampling (constants and ramps kept,
// integer-factor area means, identity at scale 1), blur and sinc kernels
// (normalized, symmetric, the Gaussian's closed form, the sinc's low-pass
// response), reflect-padded filtering, noise statistics, JPEG, and the
// Real-ESRGAN pipeline: deterministic per seed, the LR size, 8-bit levels.
#include <catch2/catch.hpp>

#include <cmath>
#include <set>

#include "core/error.h"
#include "gan/data/degrade.h"
#include "gan/metrics/image_quality.h"

using namespace gantry;
using namespace gantry::gan;

namespace {

HostImage ramp(int64_t c, int64_t h, int64_t w, double gx, double gy, double base = 0.2) {
  HostImage im(c, h, w);
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) im.at(ch, y, x) = base + gx * x + gy * y + 0.01 * ch;
  return im;
}

// A smooth picture with some texture, in [0.1, 0.9].
HostImage picture(int64_t c, int64_t h, int64_t w) {
  HostImage im(c, h, w);
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x)
        im.at(ch, y, x) = 0.5 + 0.25 * std::sin(0.21 * x + 0.5 * ch) * std::cos(0.13 * y) +
                          0.15 * std::sin(0.9 * x + 0.7 * y);
  return im;
}

const ResizeMode kModes[] = {ResizeMode::kArea, ResizeMode::kBilinear, ResizeMode::kBicubic};

}  // namespace

TEST_CASE("resize keeps constants in every mode, up and down") {
  HostImage k(2, 9, 13, 0.375);
  for (ResizeMode m : kModes)
    for (auto hw : {std::pair<int64_t, int64_t>{3, 4}, {18, 26}, {9, 13}, {5, 31}}) {
      HostImage r = resize(k, hw.first, hw.second, m);
      REQUIRE(r.h == hw.first);
      REQUIRE(r.w == hw.second);
      for (double v : r.v) CHECK(v == Approx(0.375).epsilon(1e-12));
    }
}

TEST_CASE("resize at scale 1 is the identity") {
  HostImage p = picture(3, 10, 12);
  for (ResizeMode m : kModes) {
    HostImage r = resize(p, 10, 12, m);
    for (size_t i = 0; i < p.v.size(); ++i) CHECK(r.v[i] == Approx(p.v[i]).margin(1e-12));
  }
}

TEST_CASE("bicubic and bilinear resizing reproduce a ramp away from the edges") {
  // Output pixel i sits at input coordinate (i + 0.5) / s - 0.5; the kernels
  // are symmetric and normalized, so a linear function is sampled exactly.
  const double gx = 0.01, gy = 0.02;
  HostImage r = ramp(1, 24, 24, gx, gy);
  for (ResizeMode m : {ResizeMode::kBilinear, ResizeMode::kBicubic})
    for (int64_t out : {12, 8, 48, 36}) {
      const double s = static_cast<double>(out) / 24.0;
      HostImage o = resize(r, out, out, m);
      const int64_t margin = static_cast<int64_t>(std::ceil(4.0 * s)) + 2;  // the widened kernel's reach
      for (int64_t y = margin; y < out - margin; ++y)
        for (int64_t x = margin; x < out - margin; ++x) {
          const double u = (x + 0.5) / s - 0.5, v = (y + 0.5) / s - 0.5;
          CHECK(o.at(0, y, x) == Approx(0.2 + gx * u + gy * v).epsilon(1e-12));
        }
    }
}

TEST_CASE("bicubic resize: Keys' weights with a = -0.5, widened x2 when shrinking (hand-computed)") {
  // A 1-pixel-high impulse at x = 3 of 8, enlarged x2: output j samples
  // u = j / 2 - 0.25, so its value is cubic(u - 3) (Keys' weights sum to 1).
  HostImage imp(1, 1, 8, 0.0);
  imp.at(0, 0, 3) = 1.0;
  HostImage up = resize(imp, 1, 16, ResizeMode::kBicubic);
  CHECK(up.at(0, 0, 4) == Approx(-0.0703125).epsilon(1e-12));  // cubic(-1.25)
  CHECK(up.at(0, 0, 5) == Approx(0.2265625).epsilon(1e-12));   // cubic(-0.75)
  CHECK(up.at(0, 0, 6) == Approx(0.8671875).epsilon(1e-12));   // cubic(-0.25)
  CHECK(up.at(0, 0, 7) == Approx(0.8671875).epsilon(1e-12));   // cubic(0.25)
  CHECK(up.at(0, 0, 8) == Approx(0.2265625).epsilon(1e-12));   // cubic(0.75)
  CHECK(up.at(0, 0, 9) == Approx(-0.0703125).epsilon(1e-12));  // cubic(1.25)
  // Shrunk x2 (impulse at 8 of 16): output i samples u = 2i + 0.5 with the
  // kernel 0.5 cubic(0.5 x), whose weights over the 10 taps sum to 1.
  HostImage imp2(1, 1, 16, 0.0);
  imp2.at(0, 0, 8) = 1.0;
  HostImage down = resize(imp2, 1, 8, ResizeMode::kBicubic);
  CHECK(down.at(0, 0, 3) == Approx(0.5 * 0.2265625).epsilon(1e-12));   // x = -0.75
  CHECK(down.at(0, 0, 4) == Approx(0.5 * 0.8671875).epsilon(1e-12));   // x = 0.25
  CHECK(down.at(0, 0, 5) == Approx(0.5 * -0.0703125).epsilon(1e-12));  // x = 1.25
}

TEST_CASE("resize_torch: PyTorch's unwidened kernels, a = -0.75, clamped edges (hand-computed)") {
  HostImage imp(1, 1, 8, 0.0);
  imp.at(0, 0, 3) = 1.0;
  // x2 enlarging: output 7 samples u = 3.25: torch's cubic(0.25) with a = -0.75.
  const double a = -0.75, z = 0.25;
  const double c025 = ((a + 2) * z - (a + 3)) * z * z + 1;
  CHECK(resize_torch(imp, 1, 16, ResizeMode::kBicubic).at(0, 0, 7) == Approx(c025).epsilon(1e-12));
  // x2 shrinking aliases: bilinear samples u = 2i + 0.5, so the impulse at 3
  // reaches output 1 (u = 2.5) with weight 0.5 and no other output.
  HostImage b = resize_torch(imp, 1, 4, ResizeMode::kBilinear);
  CHECK(b.v == std::vector<double>{0.0, 0.5, 0.0, 0.0});
  // Area: adaptive average pooling, 8 -> 3 covers [0,3), [2,6), [5,8).
  HostImage r = ramp(1, 1, 8, 1.0, 0.0, 0.0);  // 0, 1, ..., 7
  HostImage ar = resize_torch(r, 1, 3, ResizeMode::kArea);
  CHECK(ar.v[0] == Approx(1.0).epsilon(1e-12));
  CHECK(ar.v[1] == Approx(3.5).epsilon(1e-12));
  CHECK(ar.v[2] == Approx(6.0).epsilon(1e-12));
  // Constants stay constant, edges repeat.
  for (ResizeMode m : kModes)
    for (double v : resize_torch(HostImage(2, 5, 7, 0.25), 9, 3, m).v) CHECK(v == Approx(0.25).epsilon(1e-12));
}

TEST_CASE("area resizing by an integer factor is the block mean") {
  HostImage p = picture(1, 12, 9);
  HostImage o = resize(p, 4, 3, ResizeMode::kArea);
  for (int64_t y = 0; y < 4; ++y)
    for (int64_t x = 0; x < 3; ++x) {
      double s = 0;
      for (int dy = 0; dy < 3; ++dy)
        for (int dx = 0; dx < 3; ++dx) s += p.at(0, 3 * y + dy, 3 * x + dx);
      CHECK(o.at(0, y, x) == Approx(s / 9).epsilon(1e-12));
    }
}

TEST_CASE("bicubic_downscale gives the LR size in 8-bit levels") {
  HostImage p = picture(3, 32, 24);
  HostImage lr = bicubic_downscale(p, 4);
  REQUIRE(lr.c == 3);
  REQUIRE(lr.h == 8);
  REQUIRE(lr.w == 6);
  for (double v : lr.v) CHECK(std::fabs(v * 255 - std::round(v * 255)) < 1e-9);
  CHECK_THROWS_WITH(bicubic_downscale(picture(1, 30, 24), 4), Catch::Contains("does not divide by scale 4"));
}

TEST_CASE("blur kernels are normalized, symmetric and the Gaussian's closed form") {
  const double sigma = 1.3;
  std::vector<double> g = blur_kernel(7, sigma, sigma, 0.0);
  double sum = 0, ref_sum = 0;
  for (double v : g) sum += v;
  CHECK(sum == Approx(1.0).epsilon(1e-12));
  std::vector<double> ref(49);
  for (int y = -3; y <= 3; ++y)
    for (int x = -3; x <= 3; ++x) ref_sum += ref[(y + 3) * 7 + x + 3] = std::exp(-(x * x + y * y) / (2 * sigma * sigma));
  for (int i = 0; i < 49; ++i) CHECK(g[i] == Approx(ref[i] / ref_sum).epsilon(1e-12));
  // Anisotropic: point symmetric; rotating by pi/2 swaps the axes.
  std::vector<double> a = blur_kernel(9, 2.5, 0.7, 0.4);
  std::vector<double> b = blur_kernel(9, 0.7, 2.5, 0.4 + 3.14159265358979323846 / 2);
  for (int i = 0; i < 81; ++i) {
    CHECK(a[i] == Approx(a[80 - i]).epsilon(1e-12));
    CHECK(a[i] == Approx(b[i]).epsilon(1e-9));
  }
  // theta = 0 with sigma_x > sigma_y spreads along x.
  std::vector<double> h = blur_kernel(9, 2.5, 0.7, 0.0);
  CHECK(h[4 * 9 + 4 + 2] > h[(4 + 2) * 9 + 4]);
  // The generalized kernel with beta = 1 is the Gaussian; plateau and
  // generalized kernels are normalized too.
  std::vector<double> g1 = blur_kernel(7, sigma, sigma, 0.0, BlurShape::kGeneralized, 1.0);
  for (int i = 0; i < 49; ++i) CHECK(g1[i] == Approx(g[i]).epsilon(1e-12));
  for (BlurShape s : {BlurShape::kGeneralized, BlurShape::kPlateau}) {
    double t = 0;
    for (double v : blur_kernel(11, 1.0, 2.0, 1.0, s, 1.7)) t += v;
    CHECK(t == Approx(1.0).epsilon(1e-12));
  }
  CHECK_THROWS_WITH(blur_kernel(8, 1, 1, 0), Catch::Contains("odd"));
}

TEST_CASE("sinc kernels are normalized, isotropic low-pass filters") {
  for (double wc : {3.14159265358979323846 / 3, 2.0}) {
    std::vector<double> k = sinc_kernel(21, wc);
    double sum = 0, nyquist = 0;
    for (int y = 0; y < 21; ++y)
      for (int x = 0; x < 21; ++x) {
        sum += k[y * 21 + x];
        nyquist += k[y * 21 + x] * (((x + y) % 2) ? -1 : 1);  // response at (pi, pi)
        CHECK(k[y * 21 + x] == Approx(k[x * 21 + y]).epsilon(1e-12));  // transpose
        CHECK(k[y * 21 + x] == Approx(k[(20 - y) * 21 + x]).epsilon(1e-12));  // mirror
      }
    CHECK(sum == Approx(1.0).epsilon(1e-12));
    CHECK(std::fabs(nyquist) < 0.1);  // frequencies above the cutoff are removed
  }
  CHECK_THROWS_WITH(sinc_kernel(21, 4.0), Catch::Contains("cutoff"));
}

TEST_CASE("filter2d: a delta is the identity, reflection keeps constants") {
  HostImage p = picture(2, 6, 5);
  std::vector<double> delta(25, 0.0);
  delta[12] = 1.0;
  HostImage d = filter2d(p, delta, 5);
  for (size_t i = 0; i < p.v.size(); ++i) CHECK(d.v[i] == p.v[i]);
  // A kernel wider than the image mirrors repeatedly and still keeps a constant.
  HostImage k(1, 3, 2, 0.6);
  for (double v : filter2d(k, blur_kernel(21, 3, 3, 0), 21).v) CHECK(v == Approx(0.6).epsilon(1e-12));
  // A 3x3 box at the corner of a 3x3 image: reflection (no edge repeat) uses
  // rows/cols 1, 0, 1.
  HostImage q(1, 3, 3);
  for (int i = 0; i < 9; ++i) q.v[i] = i;
  HostImage b = filter2d(q, std::vector<double>(9, 1.0 / 9), 3);
  const double corner = (4 + 3 + 4 + 1 + 0 + 1 + 4 + 3 + 4) / 9.0;
  CHECK(b.at(0, 0, 0) == Approx(corner).epsilon(1e-12));
  CHECK(b.at(0, 1, 1) == Approx(4.0).epsilon(1e-12));
}

TEST_CASE("noise has the asked-for strength, gray noise is shared by the channels") {
  HostImage flat(3, 100, 100, 0.5);
  DegradeRng rng(11);
  HostImage n = add_gaussian_noise(flat, 0.05, false, rng);
  double s = 0, s2 = 0;
  for (double v : n.v) {
    s += v - 0.5;
    s2 += (v - 0.5) * (v - 0.5);
  }
  const double N = static_cast<double>(n.v.size());
  CHECK(std::fabs(s / N) < 0.002);
  CHECK(std::sqrt(s2 / N) == Approx(0.05).epsilon(0.03));
  HostImage g = add_gaussian_noise(flat, 0.05, true, rng);
  for (int64_t p = 0; p < 10000; ++p) {
    CHECK(g.v[p] == g.v[10000 + p]);
    CHECK(g.v[p] == g.v[20000 + p]);
  }
  // Poisson noise keeps the mean; its variance at level x is x / levels.
  HostImage pic = picture(3, 64, 64);
  HostImage pn = add_poisson_noise(pic, 1.0, false, rng);
  double d = 0;
  for (size_t i = 0; i < pic.v.size(); ++i) d += pn.v[i] - pic.v[i];
  CHECK(std::fabs(d / pic.v.size()) < 0.01);
  // Its variance: x / levels at value x (levels = 256 for this picture's
  // more than 128 distinct 8-bit values), so the mean squared noise is
  // mean(x) / 256.
  {
    std::set<long> distinct;
    double mx = 0;
    for (double v : pic.v) {
      distinct.insert(std::lround(std::min(1.0, std::max(0.0, v)) * 255));
      mx += std::round(v * 255) / 255;
    }
    REQUIRE(distinct.size() > 128);
    mx /= pic.v.size();
    double n2 = 0;
    for (size_t i = 0; i < pic.v.size(); ++i) {
      const double d = pn.v[i] - pic.v[i];  // Poisson(q L) / L - q
      n2 += d * d;
    }
    CHECK(n2 / pic.v.size() == Approx(mx / 256).epsilon(0.08));
  }
  HostImage pg = add_poisson_noise(pic, 1.0, true, rng);
  for (int64_t p = 0; p < 64 * 64; ++p)
    CHECK(pg.v[p] - pic.v[p] == Approx(pg.v[4096 + p] - pic.v[4096 + p]).margin(1e-12));
  // The same seed gives the same noise.
  DegradeRng r1(5), r2(5);
  CHECK(add_poisson_noise(pic, 2.0, false, r1).v == add_poisson_noise(pic, 2.0, false, r2).v);
}

TEST_CASE("jpeg_compress: 8-bit output, worse at lower quality, deterministic") {
  HostImage p = picture(3, 40, 48);
  HostImage hi = jpeg_compress(p, 95), lo = jpeg_compress(p, 20);
  REQUIRE(hi.h == 40);
  REQUIRE(hi.w == 48);
  const double ph = metrics::psnr(hi, p), pl = metrics::psnr(lo, p);
  CHECK(ph > 30.0);
  CHECK(ph > pl + 3.0);
  CHECK(jpeg_compress(p, 20).v == lo.v);
  HostImage gray = picture(1, 17, 9);  // sizes that are not multiples of 8
  CHECK(metrics::psnr(jpeg_compress(gray, 90), gray) > 28.0);
  CHECK_THROWS_WITH(jpeg_compress(p, 0), Catch::Contains("quality"));
}

TEST_CASE("degrade_real is deterministic per seed and gives the LR size") {
  HostImage hr = picture(3, 64, 48);
  HostImage a = degrade_real(hr, 4, 123), b = degrade_real(hr, 4, 123), c = degrade_real(hr, 4, 124);
  REQUIRE(a.c == 3);
  REQUIRE(a.h == 16);
  REQUIRE(a.w == 12);
  CHECK(a.v == b.v);
  CHECK(a.v != c.v);
  for (double v : a.v) {
    CHECK(v >= 0.0);
    CHECK(v <= 1.0);
    CHECK(std::fabs(v * 255 - std::round(v * 255)) < 1e-9);
  }
  // Many seeds, gray and tiny images (Fashion-MNIST at x4 is 7x7): always
  // finite and of the LR size, and on average a degraded copy of the bicubic LR.
  HostImage small = picture(1, 28, 28);
  HostImage bic = bicubic_downscale(small, 4);
  double mean_psnr = 0;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    HostImage d = degrade_real(small, 4, seed);
    REQUIRE(d.h == 7);
    REQUIRE(d.w == 7);
    for (double v : d.v) REQUIRE(std::isfinite(v));
    mean_psnr += metrics::psnr(d, bic) / 20;
  }
  CHECK(mean_psnr > 10.0);
  CHECK(mean_psnr < 60.0);
  CHECK_THROWS_WITH(degrade_real(hr, 5, 0), Catch::Contains("does not divide by scale 5"));
  RealDegradation bad;
  bad.first.resize_prob = {0.5, 0.5};
  CHECK_THROWS_WITH(degrade_real(hr, 4, 0, bad), Catch::Contains("resize_prob needs 3"));
  bad = RealDegradation();
  bad.second.jpeg_min = 96;
  CHECK_THROWS_WITH(degrade_real(hr, 4, 0, bad), Catch::Contains("JPEG qualities"));
  bad = RealDegradation();
  bad.first.blur.shape_prob = {1.0};
  CHECK_THROWS_WITH(degrade_real(hr, 4, 0, bad), Catch::Contains("shape_prob needs 6"));
}
