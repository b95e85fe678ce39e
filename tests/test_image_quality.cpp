// tests/test_image_quality.cpp — PSNR, SSIM, BT.601 luma and the Laplacian
// variance of gan/metrics/image_quality.h against values computed by hand
// (constant images, a shifted image in a single SSIM window, a checkerboard),
// plus the conventions: the border crop, quantization to 8 bits, and the
// errors for mismatched or too-small images.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "autograd/ops.h"
#include "core/error.h"
#include "gan/metrics/image_quality.h"

using namespace gantry;
using namespace gantry::gan::metrics;

namespace {

// A deterministic pattern in [0.1, 0.9]: no two neighbours alike.
HostImage pattern(int64_t c, int64_t h, int64_t w) {
  HostImage im(c, h, w);
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t i = 0; i < h; ++i)
      for (int64_t j = 0; j < w; ++j)
        im.at(ch, i, j) = 0.5 + 0.4 * std::sin(0.7 * i + 1.3 * j + 2.1 * ch + 0.37 * i * j);
  return im;
}

}  // namespace

TEST_CASE("psnr of constant images is -20 log10 of their difference") {
  HostImage a(3, 8, 9, 0.5), b(3, 8, 9, 0.6);
  CHECK(psnr(a, b) == Approx(20.0).epsilon(1e-12));  // MSE 0.01
  HostImage c(1, 4, 4, 0.25), d(1, 4, 4, 0.5);
  CHECK(psnr(c, d) == Approx(-20.0 * std::log10(0.25)).epsilon(1e-12));
  CHECK(std::isinf(psnr(a, a)));
  CHECK(psnr(a, a) > 0);
}

TEST_CASE("psnr leaves out a border of crop pixels") {
  HostImage a(1, 6, 6, 0.5), b = a;
  b.at(0, 0, 0) = 0.9;  // in the border: differs by 0.4
  b.at(0, 5, 3) = 0.1;  // in the border: differs by 0.4
  CHECK(std::isinf(psnr(a, b, 1)));
  // Uncropped: MSE = 2 * 0.16 / 36.
  CHECK(psnr(a, b) == Approx(-10.0 * std::log10(2 * 0.16 / 36.0)).epsilon(1e-12));
  b.at(0, 2, 2) = 0.7;  // inside: MSE over the 4x4 interior = 0.04 / 16
  CHECK(psnr(a, b, 1) == Approx(-10.0 * std::log10(0.04 / 16.0)).epsilon(1e-12));
}

TEST_CASE("ssim: 1 for identical images, the luminance term for constants") {
  HostImage x = pattern(3, 20, 17);
  CHECK(ssim(x, x) == Approx(1.0).epsilon(1e-12));
  // Constant images: no variance, so SSIM = (2 mx my + C1) / (mx^2 + my^2 + C1).
  HostImage a(1, 11, 11, 0.2), b(1, 11, 11, 0.4);
  const double C1 = 1e-4;
  CHECK(ssim(a, b) == Approx((2 * 0.2 * 0.4 + C1) / (0.04 + 0.16 + C1)).epsilon(1e-12));
}

TEST_CASE("ssim of a shifted copy in a single 11x11 window is its luminance term") {
  // y = x + 0.1: the same variance and covariance = variance, so the contrast-
  // structure term is 1 and SSIM = (2 mx my + C1) / (mx^2 + my^2 + C1), with
  // mx the Gaussian-weighted mean of x computed here from the window.
  HostImage x = pattern(1, 11, 11), y = x;
  for (double& v : y.v) v += 0.1;
  const std::vector<double> g = ssim_window_1d();
  double gs = 0;
  for (double v : g) gs += v;
  CHECK(gs == Approx(1.0).epsilon(1e-14));
  CHECK(g[5] > g[4]);
  CHECK(g[0] == Approx(g[10]).epsilon(1e-15));
  CHECK(g[4] / g[5] == Approx(std::exp(-1.0 / (2 * 1.5 * 1.5))).epsilon(1e-12));
  double mx = 0;
  for (int i = 0; i < 11; ++i)
    for (int j = 0; j < 11; ++j) mx += g[i] * g[j] * x.at(0, i, j);
  const double my = mx + 0.1, C1 = 1e-4;
  CHECK(ssim(x, y) == Approx((2 * mx * my + C1) / (mx * mx + my * my + C1)).epsilon(1e-12));
  // A negated pattern (around 0.5) has covariance -variance: SSIM far below.
  HostImage z = x;
  for (double& v : z.v) v = 1.0 - v;
  CHECK(ssim(x, z) < 0.0);
}

TEST_CASE("ssim averages over channels and honours the crop") {
  HostImage x = pattern(3, 15, 15), y = x;
  for (int64_t i = 0; i < 15; ++i)
    for (int64_t j = 0; j < 15; ++j) y.at(1, i, j) = 0.5;  // only the green plane differs
  HostImage x1(1, 15, 15), y1(1, 15, 15);
  for (int64_t i = 0; i < 15; ++i)
    for (int64_t j = 0; j < 15; ++j) {
      x1.at(0, i, j) = x.at(1, i, j);
      y1.at(0, i, j) = 0.5;
    }
  CHECK(ssim(x, y) == Approx((2.0 + ssim(x1, y1)) / 3.0).epsilon(1e-12));
  // With crop 2 only the middle 11x11 counts: a change in the corner is invisible.
  HostImage u = x;
  u.at(0, 0, 0) = 0.0;
  CHECK(ssim(x, u, 2) == Approx(1.0).epsilon(1e-12));
  CHECK(ssim(x, u) < 1.0);
}

TEST_CASE("luma is BT.601 Y, as MATLAB's rgb2ycbcr") {
  HostImage rgb(3, 1, 3);
  for (int ch = 0; ch < 3; ++ch) {
    rgb.at(ch, 0, 0) = 0.0;  // black
    rgb.at(ch, 0, 1) = 1.0;  // white
  }
  rgb.at(0, 0, 2) = 1.0;  // pure red
  HostImage y = luma(rgb);
  REQUIRE(y.c == 1);
  CHECK(y.at(0, 0, 0) == Approx(16.0 / 255).epsilon(1e-12));
  CHECK(y.at(0, 0, 1) == Approx(235.0 / 255).epsilon(1e-12));
  CHECK(y.at(0, 0, 2) == Approx((16.0 + 65.481) / 255).epsilon(1e-12));
  HostImage gray(1, 2, 2, 0.3);
  CHECK(luma(gray).v == gray.v);
}

TEST_CASE("laplacian variance: 0 on a ramp, 64 a^2 on a checkerboard") {
  HostImage ramp(1, 6, 7);
  for (int64_t i = 0; i < 6; ++i)
    for (int64_t j = 0; j < 7; ++j) ramp.at(0, i, j) = 0.1 * i + 0.05 * j;
  CHECK(laplacian_variance(ramp) == Approx(0.0).margin(1e-24));
  // Checkerboard 0.5 +- a: the Laplacian is -8 (x - 0.5) = -+8a; the 4x4
  // interior of a 6x6 board has 8 of each sign, so mean 0 and variance 64 a^2.
  const double a = 0.1;
  HostImage board(1, 6, 6);
  for (int64_t i = 0; i < 6; ++i)
    for (int64_t j = 0; j < 6; ++j) board.at(0, i, j) = 0.5 + ((i + j) % 2 ? a : -a);
  CHECK(laplacian_variance(board) == Approx(64 * a * a).epsilon(1e-12));
}

TEST_CASE("to_host_image maps [-1, 1] to 8-bit levels in [0, 1]") {
  Tensor t = from_vector<float>({-1.0f, 1.0f, 0.0f, 2.0f, -3.0f, 0.5f}, {1, 2, 3});
  HostImage q = to_host_image(t);
  REQUIRE(q.c == 1);
  REQUIRE(q.h == 2);
  REQUIRE(q.w == 3);
  CHECK(q.v[0] == 0.0);
  CHECK(q.v[1] == 1.0);
  CHECK(q.v[2] == Approx(128.0 / 255).epsilon(1e-15));  // 127.5 rounds up
  CHECK(q.v[3] == 1.0);                                  // clamped
  CHECK(q.v[4] == 0.0);
  CHECK(q.v[5] == Approx(191.0 / 255).epsilon(1e-15));  // 191.25
  HostImage f = to_host_image(t, false);
  CHECK(f.v[5] == Approx(0.75).epsilon(1e-15));
}

TEST_CASE("image metrics name the problem with mismatched or too small images") {
  HostImage a(1, 12, 12), b(1, 12, 13), c(3, 12, 12);
  CHECK_THROWS_WITH(psnr(a, b), Catch::Contains("differ in shape"));
  CHECK_THROWS_WITH(ssim(a, c), Catch::Contains("differ in shape"));
  CHECK_THROWS_WITH(psnr(a, a, 6), Catch::Contains("border crop of 6"));
  CHECK_THROWS_WITH(ssim(a, a, 1), Catch::Contains("less than 11x11"));
  CHECK_THROWS_WITH(laplacian_variance(HostImage(1, 2, 8)), Catch::Contains("less than 3x3"));
  CHECK_THROWS_WITH(to_host_image(from_vector<float>({1.0f}, {1})), Catch::Contains("expected an image"));
}
