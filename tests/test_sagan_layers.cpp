// tests/test_sagan_layers.cpp — nn/sagan_layers.h: SAGAN's self-attention
// block and class-conditional batch norm against float64 references written
// here as plain loops, gradcheck and gradgradcheck through both (gradient
// penalties differentiate D twice), gamma = 0 as the identity, and
// spectral norm on an embedding (the projection discriminator's).
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>
#include <vector>

#include "autograd/gradcheck.h"
#include "core/rng.h"
#include "nn/sagan_layers.h"
#include "nn/spectral_norm.h"

using namespace gantry;

namespace {

// A 1x1 conv's weight [out, in, 1, 1] as a row-major [out][in] table.
std::vector<double> w2(const std::shared_ptr<nn::Module>& m) {
  return static_cast<nn::Conv2d*>(m.get())->weight.to_vector<double>();
}

// The block by loops: x [N, C, H, W] flattened; returns y flattened.
std::vector<double> attention_reference(const nn::SelfAttention2d& a, const std::vector<double>& x, int64_t N,
                                        int64_t H, int64_t W) {
  const int64_t C = a.channels, Q = a.qk_channels, V = a.v_channels, P = H * W;
  const std::vector<double> wq = w2(a.query), wk = w2(a.key), wv = w2(a.value), wo = w2(a.out);
  const double gamma = a.gamma.to_vector<double>()[0];
  std::vector<double> y(x.size());
  for (int64_t n = 0; n < N; ++n) {
    auto X = [&](int64_t c, int64_t p) { return x[(n * C + c) * P + p]; };
    auto proj = [&](const std::vector<double>& w, int64_t p, int64_t r) {  // row r of w applied at p
      double s = 0;
      for (int64_t c = 0; c < C; ++c) s += w[r * C + c] * X(c, p);
      return s;
    };
    std::vector<double> o(V * P, 0.0);  // [V, P]
    for (int64_t i = 0; i < P; ++i) {
      std::vector<double> e(P);
      double m = -1e300;
      for (int64_t j = 0; j < P; ++j) {
        double s = 0;
        for (int64_t r = 0; r < Q; ++r) s += proj(wq, i, r) * proj(wk, j, r);
        e[j] = s;
        m = std::max(m, s);
      }
      double z = 0;
      for (int64_t j = 0; j < P; ++j) z += e[j] = std::exp(e[j] - m);
      for (int64_t j = 0; j < P; ++j)
        for (int64_t r = 0; r < V; ++r) o[r * P + i] += e[j] / z * proj(wv, j, r);
    }
    for (int64_t c = 0; c < C; ++c)
      for (int64_t p = 0; p < P; ++p) {
        double s = 0;
        for (int64_t r = 0; r < V; ++r) s += wo[c * V + r] * o[r * P + p];
        y[(n * C + c) * P + p] = X(c, p) + gamma * s;
      }
  }
  return y;
}

// The largest singular value of a row-major [rows, cols] matrix: power
// iteration on M^T M, long enough to converge for these small matrices.
double top_singular(const std::vector<double>& m, int64_t rows, int64_t cols) {
  std::vector<double> v(static_cast<size_t>(cols), 1.0), u(static_cast<size_t>(rows));
  double s = 0;
  for (int it = 0; it < 2000; ++it) {
    for (int64_t r = 0; r < rows; ++r) {
      u[r] = 0;
      for (int64_t c = 0; c < cols; ++c) u[r] += m[r * cols + c] * v[c];
    }
    double n = 0;
    for (int64_t c = 0; c < cols; ++c) {
      v[c] = 0;
      for (int64_t r = 0; r < rows; ++r) v[c] += m[r * cols + c] * u[r];
      n += v[c] * v[c];
    }
    n = std::sqrt(n);
    for (double& e : v) e /= n;
    s = std::sqrt(n);  // ||M^T M v_prev|| -> sigma^2
  }
  return s;
}

}  // namespace

TEST_CASE("SelfAttention2d: the float64 loop reference, gamma = 0 is the identity, the map's rows sum to 1",
          "[nn][attention]") {
  manual_seed(3);
  nn::SelfAttention2d a(16);
  a.to(kFloat64);
  CHECK(a.qk_channels == 2);
  CHECK(a.v_channels == 8);
  const Tensor x = randn({2, 16, 3, 5}, Options(kFloat64));
  // A new block is the identity.
  CHECK(a.forward(x).to_vector<double>() == x.to_vector<double>());
  core::fill_(a.gamma, 0.7);
  const std::vector<double> got = a.forward(x).to_vector<double>();
  const std::vector<double> want = attention_reference(a, x.to_vector<double>(), 2, 3, 5);
  REQUIRE(got.size() == want.size());
  double err = 0;
  for (size_t i = 0; i < got.size(); ++i) err = std::max(err, std::abs(got[i] - want[i]));
  CHECK(err < 1e-12);
  const Tensor map = a.attention(x);
  CHECK(map.shape() == Shape{2, 15, 15});
  for (double s : sum(map, {2}).to_vector<double>()) CHECK(s == Approx(1.0).epsilon(1e-12));
  CHECK(a.parameters().size() == 5);  // four 1x1 weights (no bias) and gamma
}

TEST_CASE("SelfAttention2d: gradcheck and gradgradcheck, plain and spectral", "[nn][attention]") {
  for (bool sn : {false, true}) {
    INFO("spectral " << sn);
    manual_seed(4);
    nn::SelfAttention2d a(8, sn);
    a.to(kFloat64);
    a.eval();  // spectral norm's u and v stay put between the finite differences
    core::fill_(a.gamma, 0.5);
    const Tensor x = randn({2, 8, 2, 3}, Options(kFloat64)).requires_grad_();
    auto f = [&a](const Tensors& in) { return Tensors{a.forward(in[0])}; };
    auto g = autograd::gradcheck(f, {x});
    INFO(g.message);
    CHECK(g.ok);
    auto gg = autograd::gradgradcheck(f, {x});
    INFO(gg.message);
    CHECK(gg.ok);
    // gamma's gradient is there (it starts at 0 and must be able to move).
    sum(square(a.forward(x))).backward();
    REQUIRE(a.gamma.grad().defined());
    CHECK(std::abs(a.gamma.grad().item<double>()) > 0);
  }
}

TEST_CASE("SelfAttention2d: errors name the shape", "[nn][attention]") {
  nn::SelfAttention2d a(8);
  CHECK_THROWS_WITH(a.forward(randn({2, 4, 3, 3})), Catch::Contains("expected input [N,8,H,W], got [2,4,3,3]"));
  CHECK_THROWS_WITH(nn::SelfAttention2d(0), Catch::Contains("channels must be positive"));
}

TEST_CASE("ConditionalBatchNorm2d: per-class scale and shift after batch statistics", "[nn][cbn]") {
  manual_seed(6);
  nn::ConditionalBatchNorm2d cbn(3, 4);
  cbn.to(kFloat64);
  // Starts as plain batch norm (gamma 1, beta 0); then distinct rows per class.
  const Tensor x = randn({5, 3, 2, 2}, Options(kFloat64));
  const Tensor y = from_vector<int64_t>({0, 3, 1, 3, 2}, {5});
  nn::BatchNorm2d plain(3, 1e-5, 0.1, false);
  plain.to(kFloat64);
  CHECK(cbn.forward(x, y).to_vector<double>() == plain.forward(x).to_vector<double>());
  core::copy_(cbn.gamma->weight, randn({4, 3}, Options(kFloat64)));
  core::copy_(cbn.beta->weight, randn({4, 3}, Options(kFloat64)));
  const std::vector<double> xv = x.to_vector<double>(), out = cbn.forward(x, y).to_vector<double>();
  const std::vector<double> gv = cbn.gamma->weight.to_vector<double>(), bv = cbn.beta->weight.to_vector<double>();
  const std::vector<int64_t> lab = {0, 3, 1, 3, 2};
  for (int64_t c = 0; c < 3; ++c) {
    double m = 0, v = 0;
    for (int64_t n = 0; n < 5; ++n)
      for (int64_t p = 0; p < 4; ++p) m += xv[(n * 3 + c) * 4 + p] / 20;
    for (int64_t n = 0; n < 5; ++n)
      for (int64_t p = 0; p < 4; ++p) v += std::pow(xv[(n * 3 + c) * 4 + p] - m, 2) / 20;  // biased, as BN
    for (int64_t n = 0; n < 5; ++n)
      for (int64_t p = 0; p < 4; ++p) {
        const int64_t i = (n * 3 + c) * 4 + p;
        const double want = (xv[i] - m) / std::sqrt(v + 1e-5) * gv[lab[n] * 3 + c] + bv[lab[n] * 3 + c];
        CHECK(out[i] == Approx(want).epsilon(1e-12).margin(1e-12));
      }
  }
  // Gradients, first and second order, through x and both tables.
  Tensor xg = clone(x).requires_grad_();
  auto f = [&cbn, &y](const Tensors& in) { return Tensors{cbn.forward(in[0], y)}; };
  auto g = autograd::gradcheck(f, {xg});
  INFO(g.message);
  CHECK(g.ok);
  auto gg = autograd::gradgradcheck(f, {xg});
  INFO(gg.message);
  CHECK(gg.ok);
  // Only the rows of classes present receive a gradient.
  cbn.zero_grad();
  sum(mul(cbn.forward(x, from_vector<int64_t>({1, 1, 1, 1, 1}, {5})), randn({5, 3, 2, 2}, Options(kFloat64))))
      .backward();
  const std::vector<double> gg_rows = cbn.gamma->weight.grad().to_vector<double>();
  for (int64_t r = 0; r < 4; ++r)
    for (int64_t c = 0; c < 3; ++c) CHECK((gg_rows[r * 3 + c] != 0) == (r == 1));
  // Eval mode uses the running statistics.
  cbn.eval();
  const Tensor e1 = cbn.forward(narrow(x, 0, 0, 1), narrow(y, 0, 0, 1));
  const Tensor e2 = narrow(cbn.forward(x, y), 0, 0, 1);
  CHECK(e1.to_vector<double>() == e2.to_vector<double>());
}

TEST_CASE("ConditionalBatchNorm2d: errors name what is wrong", "[nn][cbn]") {
  nn::ConditionalBatchNorm2d cbn(3, 4);
  CHECK_THROWS_WITH(cbn.forward(randn({2, 3, 2, 2})), Catch::Contains("needs the class labels"));
  CHECK_THROWS_WITH(cbn.forward(randn({2, 3, 2, 2}), from_vector<int64_t>({0, 1, 2}, {3})),
                    Catch::Contains("labels must be [N] = [2], got [3]"));
  CHECK_THROWS_WITH(nn::ConditionalBatchNorm2d(3, 0), Catch::Contains("must be positive"));
}

TEST_CASE("SpectralNorm on an Embedding: the table's top singular value goes to 1", "[nn][sn]") {
  manual_seed(9);
  nn::SpectralNorm sn(std::make_shared<nn::Embedding>(10, 6), /*power_iterations=*/200);
  const Tensor idx = from_vector<int64_t>({0, 4, 9}, {3});
  CHECK(sn.forward(idx).shape() == Shape{3, 6});  // training: 200 power iterations
  sn.eval();                                       // u, v stay put from here
  const Tensor e = sn.forward(idx);
  const Tensor w = sn.normalized_weight();
  // sigma against the table's top singular value found independently, and
  // the table divided by it.
  const double top = top_singular(to(sn.weight_orig, kFloat64).to_vector<double>(), 10, 6);
  CHECK(sn.sigma() == Approx(top).epsilon(1e-4));
  CHECK(top_singular(to(w, kFloat64).to_vector<double>(), 10, 6) == Approx(1.0).epsilon(1e-4));
  CHECK(e.to_vector<float>() == embedding(idx, w).to_vector<float>());
}

TEST_CASE("SpectralNorm on a ConvTranspose2d: the [out, in*KH*KW] reading, as PyTorch's", "[nn][sn]") {
  manual_seed(10);
  nn::SpectralNorm sn(std::make_shared<nn::ConvTranspose2d>(6, 4, 3, 2, 1), /*power_iterations=*/200);
  CHECK(sn.u.size(0) == 4);       // out channels
  CHECK(sn.v.size(0) == 6 * 9);   // in * KH * KW
  const Tensor x = randn({2, 6, 5, 5});
  CHECK(sn.forward(x).shape() == Shape{2, 4, 9, 9});
  sn.eval();
  const Tensor w = sn.normalized_weight();  // [6, 4, 3, 3]
  // sigma is the top singular value of the out-first reading [4, 54], not of
  // the in-first one [6, 36].
  const Tensor wo = to(sn.weight_orig, kFloat64);
  const double out_first = top_singular(contiguous(reshape(transpose(wo, 0, 1), {4, -1})).to_vector<double>(), 4, 54);
  const double in_first = top_singular(contiguous(reshape(wo, {6, -1})).to_vector<double>(), 6, 36);
  CHECK(sn.sigma() == Approx(out_first).epsilon(1e-4));
  CHECK(std::abs(out_first - in_first) > 1e-3 * out_first);
  auto* t = static_cast<nn::ConvTranspose2d*>(sn.module.get());
  CHECK(sn.forward(x).to_vector<float>() ==
        conv_transpose2d(x, w, t->bias, t->stride, t->padding, t->output_padding, t->groups, t->dilation)
            .to_vector<float>());
}
