// tests/test_gan_layers.cpp — nn/gan_layers.h: equalized-learning-rate
// layers equal the plain op on the run-time-scaled weight, store N(0, 1)
// weights, and pass gradcheck and gradgradcheck through their stored
// parameters; PixelNorm and MinibatchStdDev behave as their definitions say
// (the ops' own float64 rows are in tests/op_table_nn.cpp).
#include <catch2/catch.hpp>

#include <cmath>

#include "autograd/gradcheck.h"
#include "core/rng.h"
#include "nn/gan_layers.h"
#include "tests/test_util.h"

using namespace gantry;

namespace {
std::vector<double> vals(const Tensor& t) { return to(t, kFloat64).to_vector<double>(); }

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}
double std_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size()));
}

void check_same(const Tensor& a, const Tensor& b, double tol) {
  REQUIRE(a.shape() == b.shape());
  const auto x = vals(a), y = vals(b);
  for (size_t i = 0; i < x.size(); ++i) REQUIRE(x[i] == Approx(y[i]).margin(tol));
}

// gradcheck and gradgradcheck of `m` in float64, through its input and every
// parameter (the parameters are the checked inputs themselves, perturbed in place).
void check_grads(nn::Module& m, Tensor x) {
  m.to(kFloat64);
  x = to(x, kFloat64).requires_grad_();
  Tensors inputs = {x};
  for (const Tensor& p : m.parameters()) inputs.push_back(p);
  auto f = [&m](const Tensors& in) { return Tensors{m.forward(in[0])}; };
  const auto g = autograd::gradcheck(f, inputs);
  INFO(g.message);
  CHECK(g.ok);
  const auto gg = autograd::gradgradcheck(f, inputs);
  INFO(gg.message);
  CHECK(gg.ok);
}
}  // namespace

TEST_CASE("EqualizedConv2d / ConvTranspose2d / Linear: the op on weight * gain / sqrt(fan_in)", "[nn][gan-layers]") {
  manual_seed(3);
  nn::EqualizedConv2d conv(4, 6, 3, 1, 1);
  CHECK(conv.scale == Approx(std::sqrt(2.0) / std::sqrt(4.0 * 3 * 3)));
  Tensor x = randn({2, 4, 5, 5});
  {
    NoGradGuard ng;
    core::copy_(conv.bias, randn({6}));
    check_same(conv.forward(x), conv2d(x, mul(conv.weight, conv.scale), conv.bias, {1, 1}, {1, 1}), 1e-5);
  }
  // The stored weight's gradient is scale x the effective weight's.
  Tensor y = conv.forward(x);
  sum(y).backward();
  Tensor w_eff = mul(detach(conv.weight), conv.scale).requires_grad_();
  sum(conv2d(x, w_eff, detach(conv.bias), {1, 1}, {1, 1})).backward();
  check_same(conv.weight.grad(), mul(w_eff.grad(), conv.scale), 1e-4);

  nn::EqualizedConvTranspose2d up(5, 3, 4, 2, 1);
  CHECK(up.scale == Approx(std::sqrt(2.0) / std::sqrt(5.0 * 4 * 4)));
  Tensor z = randn({2, 5, 3, 3});
  {
    NoGradGuard ng;
    check_same(up.forward(z), conv_transpose2d(z, mul(up.weight, up.scale), up.bias, {2, 2}, {1, 1}), 1e-5);
    CHECK(up.forward(z).shape() == Shape{2, 3, 6, 6});
  }

  nn::EqualizedLinear lin(8, 5, true, 1.0, 0.01, 0.5);
  CHECK(lin.scale == Approx(1.0 / std::sqrt(8.0) * 0.01));
  Tensor v = randn({3, 8});
  {
    NoGradGuard ng;
    check_same(lin.forward(v), add(matmul(v, transpose(mul(lin.weight, lin.scale), 0, 1)), mul(lin.bias, 0.01)),
               1e-6);
    CHECK(vals(mul(lin.bias, 0.01))[0] == Approx(0.5));  // the bias starts at bias_init
  }
  CHECK(conv.repr().find("EqualizedConv2d(4, 6, kernel_size=3") == 0);
  CHECK_THROWS_WITH(nn::EqualizedConv2d(0, 3, 3), Catch::Contains("channels (0, 3)"));
  CHECK_THROWS_WITH(nn::EqualizedLinear(3, 3, true, 1.0, 0.0), Catch::Contains("lr_mul"));
}

TEST_CASE("Equalized layers store N(0, 1) / lr_mul weights and zero biases", "[nn][gan-layers]") {
  manual_seed(4);
  nn::EqualizedConv2d conv(64, 64, 3);
  const auto w = vals(conv.weight);
  CHECK(std::abs(mean_of(w)) < 0.02);
  CHECK(std_of(w) == Approx(1.0).epsilon(0.02));
  CHECK(vals(conv.bias) == std::vector<double>(64, 0.0));
  nn::EqualizedLinear map(256, 256, true, nn::kSqrt2, 0.01);
  CHECK(std_of(vals(map.weight)) == Approx(100.0).epsilon(0.02));
  // The effective weights have He's standard deviation gain / sqrt(fan_in).
  CHECK(std_of(vals(mul(conv.weight, conv.scale))) == Approx(std::sqrt(2.0 / (64 * 9))).epsilon(0.03));
}

TEST_CASE("Equalized layers, PixelNorm, MinibatchStdDev: gradcheck and gradgradcheck", "[nn][gan-layers]") {
  manual_seed(5);
  {
    nn::EqualizedConv2d m(2, 3, 3, 1, 1);
    check_grads(m, randn({2, 2, 4, 4}));
  }
  {
    nn::EqualizedConvTranspose2d m(3, 2, 4, 2, 1);
    check_grads(m, randn({2, 3, 2, 2}));
  }
  {
    nn::EqualizedLinear m(4, 3, true, 1.0, 0.1, 0.3);
    check_grads(m, randn({2, 4}));
  }
  {
    auto m = nn::from_rgb(1, 3);
    check_grads(*m, randn({2, 1, 3, 3}));
  }
  {
    nn::PixelNorm m;
    check_grads(m, randn({2, 4, 2, 2}));
  }
  {
    nn::MinibatchStdDev m(2, 1);
    check_grads(m, randn({4, 2, 2, 2}));
  }
}

TEST_CASE("PixelNorm: unit RMS over channels, MinibatchStdDev: groups as documented", "[nn][gan-layers]") {
  manual_seed(6);
  Tensor x = mul(randn({3, 8, 2, 2}), 5.0);
  Tensor y = nn::PixelNorm().forward(x);
  Tensor rms = sqrt(mean(mul(y, y), {1}));
  for (double r : vals(rms)) CHECK(r == Approx(1.0).epsilon(1e-5));
  // Identical samples in a group: the appended map is sqrt(1e-8).
  Tensor same = expand(randn({1, 2, 3, 3}), {4, 2, 3, 3});
  Tensor s = nn::MinibatchStdDev(4).forward(contiguous(same));
  REQUIRE(s.shape() == Shape{4, 3, 3, 3});
  for (double v : vals(slice(s, 1, 2, 3))) CHECK(v == Approx(1e-4));
  // Two groups (N = 4, group 2: samples {0, 2} and {1, 3}) see different spreads.
  Tensor a = from_vector<float>({0, 0, 10, 1}, {4, 1, 1, 1});
  Tensor b = nn::MinibatchStdDev(2).forward(a);  // [4, 2, 1, 1]
  const auto bv = vals(b);
  CHECK(bv[1] == Approx(5.0).epsilon(1e-6));  // sample 0 with sample 2: |0 - 10| / 2
  CHECK(bv[5] == Approx(5.0).epsilon(1e-6));  // sample 2
  CHECK(bv[3] == Approx(0.5).epsilon(1e-6));  // sample 1 with sample 3: |0 - 1| / 2
  CHECK_THROWS_WITH(nn::MinibatchStdDev(4).forward(randn({6, 2, 2, 2})),
                    Catch::Contains("batch 6") && Catch::Contains("group size 4"));
  CHECK_THROWS_WITH(minibatch_stddev(randn({4, 3, 2, 2}), 2, 2), Catch::Contains("3 channels"));
  CHECK_THROWS_WITH(pixel_norm(randn({4})), Catch::Contains("[N,C,*]"));
}
