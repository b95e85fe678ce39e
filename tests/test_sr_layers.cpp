// tests/test_sr_layers.cpp — the super-resolution layers (nn/sr_layers.h)
// and nets (gan/models/sr/sr.h): output shapes at every scale, the residual
// structure (a dense block whose last conv is zero is the identity, an RRDB
// of such blocks 1.2 x; the
// compact net with a zero last conv is nearest-neighbour upsampling),
// ESRGAN's initialization scale, PReLU against a plain loop, gradcheck and
// gradgradcheck through a dense block and the U-Net discriminator's steps, and
// the errors for shapes the nets cannot take.
#include <catch2/catch.hpp>

#include <cmath>

#include "autograd/gradcheck.h"
#include "core/rng.h"
#include "gan/models/sr/sr.h"
#include "nn/sr_layers.h"

using namespace gantry;
using namespace gantry::gan;

namespace {

void zero_conv(nn::Conv2d& c) {
  NoGradGuard ng;
  core::fill_(c.weight, 0.0);
  if (c.bias.defined()) core::fill_(c.bias, 0.0);
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = to(a, kFloat64).to_vector<double>(), y = to(b, kFloat64).to_vector<double>();
  REQUIRE(x.size() == y.size());
  double m = 0;
  for (size_t i = 0; i < x.size(); ++i) m = std::max(m, std::fabs(x[i] - y[i]));
  return m;
}

}  // namespace

TEST_CASE("RRDBNet maps [N,C,h,w] to [N,C,h*scale,w*scale] at scales 1, 2 and 4", "[nn][sr]") {
  manual_seed(1);
  NoGradGuard ng;
  for (int64_t scale : {4, 2, 1}) {
    INFO("scale " << scale);
    RRDBNet g(3, scale, 8, 2, 4);
    const Tensor x = randn({2, 3, 8, 12});
    const Tensor y = g.forward(x);
    CHECK(y.shape() == Shape{2, 3, 8 * scale, 12 * scale});
  }
  RRDBNet g1(1, 4, 8, 1, 4);
  CHECK(g1.forward(randn({1, 1, 7, 5})).shape() == Shape{1, 1, 28, 20});
  // 23 blocks of 3 dense blocks of 5 convs: the paper's parameter count.
  RRDBNet paper(3, 4, 64, 23, 32);
  int64_t n = 0;
  for (const Tensor& p : paper.parameters()) n += p.numel();
  CHECK(n == 16697987);  // ESRGAN's RRDB_PSNR_x4 / RealESRGAN_x4plus: 16.7 M
}

TEST_CASE("a dense block with a zero last conv is the identity, an RRDB of them 1.2 x", "[nn][sr]") {
  manual_seed(2);
  NoGradGuard ng;
  nn::ResidualDenseBlock rdb(6, 3);
  zero_conv(*rdb.convs[4]);
  const Tensor x = randn({2, 6, 5, 4});
  CHECK(max_abs_diff(rdb.forward(x), x) == 0.0);
  nn::RRDB rrdb(6, 3);
  for (auto* b : {rrdb.rdb1.get(), rrdb.rdb2.get(), rrdb.rdb3.get()}) zero_conv(*b->convs[4]);
  // y = x + 0.2 * rdb3(rdb2(rdb1(x))) with identity blocks: 1.2 x.
  CHECK(max_abs_diff(rrdb.forward(x), mul(x, 1.2)) < 1e-6);
  // Otherwise the block adds 0.2 x conv5(...): a small residual at init.
  nn::ResidualDenseBlock live(6, 3);
  const double d = max_abs_diff(live.forward(x), x);
  CHECK(d > 0.0);
  CHECK(d < 1.0);
}

TEST_CASE("esrgan_init_ draws He-normal weights times the scale and zero biases", "[nn][sr]") {
  manual_seed(3);
  nn::ResidualDenseBlock rdb(64, 32);
  for (int i = 0; i < 5; ++i) {
    const Tensor& w = rdb.convs[i]->weight;
    const int64_t fan_in = w.size(1) * 9;
    const std::vector<double> v = to(w, kFloat64).to_vector<double>();
    double s2 = 0;
    for (double x : v) s2 += x * x;
    const double std = std::sqrt(s2 / v.size()), expected = 0.1 * std::sqrt(2.0 / fan_in);
    CHECK(std == Approx(expected).epsilon(0.05));
    for (double b : to(rdb.convs[i]->bias, kFloat64).to_vector<double>()) CHECK(b == 0.0);
  }
}

TEST_CASE("SRVGGCompact learns the residual over nearest-neighbour upsampling", "[nn][sr]") {
  manual_seed(4);
  NoGradGuard ng;
  SRVGGCompact g(1, 4, 8, 3);
  const Tensor x = randn({2, 1, 7, 6});
  CHECK(g.forward(x).shape() == Shape{2, 1, 28, 24});
  zero_conv(*std::dynamic_pointer_cast<nn::Conv2d>((*g.body)[g.body->size() - 1]));
  CHECK(max_abs_diff(g.forward(x), upsample_nearest2d(x, {28, 24})) == 0.0);
  SRVGGCompact rgb(3, 2, 8, 2);
  CHECK(rgb.forward(randn({1, 3, 5, 5})).shape() == Shape{1, 3, 10, 10});
}

TEST_CASE("PReLU: one slope per channel, init 0.25, against a loop", "[nn][sr]") {
  nn::PReLU p(3);
  for (double w : to(p.weight, kFloat64).to_vector<double>()) CHECK(w == 0.25);
  {
    NoGradGuard ng;
    core::copy_(p.weight, from_vector<float>({0.1f, 0.2f, 0.3f}, {3}));
  }
  const Tensor x = randn({2, 3, 2, 2});
  const std::vector<float> xv = x.to_vector<float>(), yv = p.forward(x).to_vector<float>();
  for (size_t i = 0; i < xv.size(); ++i) {
    const int64_t c = (i / 4) % 3;
    const float w = 0.1f * (c + 1);
    CHECK(yv[i] == Approx(xv[i] > 0 ? xv[i] : w * xv[i]).epsilon(1e-6));
  }
}

TEST_CASE("the discriminators: a logit per image (VGG) and per pixel (U-Net)", "[nn][sr]") {
  manual_seed(5);
  NoGradGuard ng;
  VGGStyleD d(1, 8, 32);
  CHECK(d.forward(randn({3, 1, 32, 32})).shape() == Shape{3, 1});
  VGGStyleD d128(3, 4, 128);
  CHECK(d128.forward(randn({1, 3, 128, 128})).shape() == Shape{1, 1});
  UNetDSN u(3, 8);
  CHECK(u.forward(randn({2, 3, 16, 24})).shape() == Shape{2, 1, 16, 24});
  CHECK_THROWS_WITH(u.forward(randn({2, 3, 12, 16})), Catch::Contains("multiples of 8"));
  CHECK_THROWS_WITH(d.forward(randn({1, 1, 28, 28})), Catch::Contains("expected images [N,1,32,32]"));
  CHECK_THROWS_WITH(RRDBNet(3, 3), Catch::Contains("scale must be 1, 2 or 4"));
  CHECK_THROWS_WITH(RRDBNet(3, 2, 8, 1, 4).forward(randn({1, 3, 5, 4})), Catch::Contains("multiples of 2"));
  CHECK_THROWS_WITH(VGGStyleD(1, 8, 48), Catch::Contains("power of two"));
}

TEST_CASE("gradcheck and gradgradcheck through a dense block and the U-Net steps", "[nn][sr]") {
  manual_seed(6);
  nn::ResidualDenseBlock rdb(2, 1);
  rdb.to(kFloat64);
  const Tensor x = randn({1, 2, 3, 3}, Options(kFloat64)).requires_grad_();
  auto f = [&rdb](const Tensors& in) { return Tensors{rdb.forward(in[0])}; };
  auto g = autograd::gradcheck(f, {x});
  INFO(g.message);
  CHECK(g.ok);
  auto gg = autograd::gradgradcheck(f, {x});
  INFO(gg.message);
  CHECK(gg.ok);

  nn::UNetSNDown down(2, 3);
  nn::UNetSNUp up(3, 2);
  down.to(kFloat64);
  up.to(kFloat64);
  down.eval();  // spectral norm's u and v stay put between the finite differences
  up.eval();
  const Tensor y = randn({1, 2, 4, 4}, Options(kFloat64)).requires_grad_();
  auto h = [&](const Tensors& in) { return Tensors{up.forward(down.forward(in[0]), in[0])}; };
  auto g2 = autograd::gradcheck(h, {y});
  INFO(g2.message);
  CHECK(g2.ok);
  auto gg2 = autograd::gradgradcheck(h, {y});
  INFO(gg2.message);
  CHECK(gg2.ok);
}
