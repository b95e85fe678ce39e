// tests/test_stylegan.cpp — the style-based generator (issue: "A style-based
// generator"): the two forms of modulated convolution agree (values and
// gradients), the networks' shapes and layer count, w_avg tracking and
// truncation in W, style mixing routes each layer's w (and only it), and
// first and second derivatives through tiny networks (what R1 and the
// path-length penalty differentiate).
#include <catch2/catch.hpp>

#include <cmath>

#include "autograd/gradcheck.h"
#include "core/error.h"
#include "core/rng.h"
#include "gan/models/stylegan/stylegan2.h"

using namespace gantry;
using namespace gantry::gan;

namespace {
std::vector<double> vals(const Tensor& t) { return to(t, kFloat64).to_vector<double>(); }

double max_abs_diff(const Tensor& a, const Tensor& b) {
  const auto x = vals(a), y = vals(b);
  REQUIRE(x.size() == y.size());
  double m = 0;
  for (size_t i = 0; i < x.size(); ++i) m = std::max(m, std::fabs(x[i] - y[i]));
  return m;
}

ModelConfig tiny(int64_t res) {
  ModelConfig c;
  c.latent = 6;
  c.resolution = res;
  c.w_dim = 5;
  c.mapping_layers = 2;
  c.fmap_base = 16;
  c.fmap_max = 3;
  c.mbstd_group = 2;
  return c;
}
}  // namespace

TEST_CASE("modulated_conv2d: the grouped and the scale-conv-scale forms agree, values and gradients", "[stylegan]") {
  for (DType dt : {kFloat64, kFloat32}) {
    manual_seed(3);
    const Tensor x0 = randn({3, 4, 6, 5}, Options(dt));
    const Tensor w0 = randn({5, 4, 3, 3}, Options(dt));
    const Tensor s0 = add(rand({3, 4}, Options(dt)), 0.5);
    const Tensor v = randn({3, 5, 6, 5}, Options(dt));  // the output's upstream gradient
    for (bool demod : {true, false}) {
      Tensors grads[2];
      Tensor outs[2];
      int k = 0;
      for (ModConvForm form : {ModConvForm::Grouped, ModConvForm::ScaleConvScale}) {
        Tensor x = clone(x0).requires_grad_(), w = clone(w0).requires_grad_(), s = clone(s0).requires_grad_();
        outs[k] = modulated_conv2d(x, w, s, demod, 1, form);
        grads[k] = autograd::grad({sum(mul(outs[k], v))}, {x, w, s});
        ++k;
      }
      const double tol = dt == kFloat64 ? 1e-12 : 2e-5;
      INFO("dtype " << dtype_name(dt) << " demodulate " << demod);
      CHECK(max_abs_diff(outs[0], outs[1]) < tol);
      for (int i = 0; i < 3; ++i) CHECK(max_abs_diff(grads[0][i], grads[1][i]) < tol * 10);
    }
  }
}

TEST_CASE("stylegan2 networks: shapes, the number of ws, D's scores", "[stylegan]") {
  manual_seed(1);
  ModelConfig c = tiny(32);
  StyleGAN2Generator G(c);
  StyleGAN2Discriminator D(c);
  CHECK(G.num_ws() == 8);  // 2 log2(32) - 2
  CHECK(stylegan2_num_ws(4) == 2);
  const Tensor z = randn({4, 6});
  const Tensor img = G.generate(z, Tensor());
  CHECK(img.shape() == Shape{4, 1, 32, 32});
  CHECK(D.score(img, Tensor()).shape() == Shape{4});
  const Tensor ws = G.mapping(z);
  CHECK(ws.shape() == Shape{4, 8, 5});
  CHECK_THROWS_WITH(D.score(randn({4, 1, 16, 16}), Tensor()),
                    Catch::Contains("must be [N, 1, 32, 32]"));
  CHECK_THROWS_WITH(G.synthesis(randn({4, 7, 5})), Catch::Contains("must be [N, 8, 5]"));
  ModelConfig bad = c;
  bad.resolution = 24;
  CHECK_THROWS_WITH(StyleGAN2Generator(bad), Catch::Contains("power of two"));
  // Noise strengths start at 0: random and constant noise give the same image.
  G.eval();
  const Tensor ws1 = G.mapping(z);
  CHECK(max_abs_diff(G.synthesis(ws1, NoiseMode::Random), G.synthesis(ws1, NoiseMode::Const)) == 0.0);
}

TEST_CASE("stylegan2 mapping: w_avg follows the batch mean in training only, truncation in W", "[stylegan]") {
  manual_seed(2);
  StyleGAN2Generator G(tiny(8));
  const Tensor z = randn({8, 6});
  G.eval();
  G.mapping(z);
  CHECK(max_abs_diff(G.w_avg(), zeros({5})) == 0.0);  // eval: untouched
  G.train();
  const Tensor w = select(G.mapping(z), 1, 0);  // [8, 5]
  // w_avg = lerp(mean w, 0, 0.995) = 0.005 mean w
  CHECK(max_abs_diff(G.w_avg(), mul(mean(w, {0}), 0.005)) < 1e-7);
  G.eval();
  // psi = 0 gives w_avg for the truncated layers; layers from cutoff keep w.
  const Tensor t = G.mapping(z, 0.0, 3);  // [8, 4, 5]
  const Tensor full_w = G.mapping(z);
  for (int64_t l = 0; l < G.num_ws(); ++l) {
    const Tensor layer = select(t, 1, l);
    if (l < 3) CHECK(max_abs_diff(layer, expand(unsqueeze(G.w_avg(), 0), {8, 5})) < 1e-7);
    else CHECK(max_abs_diff(layer, select(full_w, 1, l)) == 0.0);
  }
  // psi = 0.5 halves the distance to w_avg.
  const Tensor h = select(G.mapping(z, 0.5), 1, 0);
  CHECK(max_abs_diff(h, add(G.w_avg(), mul(sub(select(full_w, 1, 0), G.w_avg()), 0.5))) < 1e-6);
  CHECK_THROWS_WITH(G.mapping(z, 1.5), Catch::Contains("psi 1.5 is outside [0, 1]"));
  CHECK_THROWS_WITH(G.mapping(z, 0.7, 9), Catch::Contains("cutoff 9 is beyond the generator's 4 layers"));
}

TEST_CASE("style mixing: layers before the cutoff read the first latent's w, the rest the second's", "[stylegan]") {
  manual_seed(4);
  StyleGAN2Generator G(tiny(16));  // num_ws 6
  G.eval();
  const int64_t L = G.num_ws();
  const Tensor ws1 = G.mapping(randn({2, 6})), ws2 = G.mapping(randn({2, 6}));
  CHECK_THROWS_WITH(mix_styles(ws1, ws2, L + 1), Catch::Contains("mixing layer 7 is outside [0, 6]"));
  for (int64_t cutoff : {1, 3, 5}) {
    Tensor a = clone(detach(ws1)).requires_grad_(), b = clone(detach(ws2)).requires_grad_();
    const Tensor img = G.synthesis(mix_styles(a, b, cutoff), NoiseMode::Const);
    const Tensors g = autograd::grad({sum(img)}, {a, b});
    const auto ga = vals(g[0]), gb = vals(g[1]);
    for (int64_t l = 0; l < L; ++l) {
      double na = 0, nb = 0;
      for (int64_t n = 0; n < 2; ++n)
        for (int64_t k = 0; k < 5; ++k) {
          na += std::fabs(ga[(n * L + l) * 5 + k]);
          nb += std::fabs(gb[(n * L + l) * 5 + k]);
        }
      INFO("cutoff " << cutoff << " layer " << l);
      if (l < cutoff) {
        CHECK(na > 0);
        CHECK(nb == 0);
      } else {
        CHECK(na == 0);
        CHECK(nb > 0);
      }
    }
    // And changing the second latent's coarse ws changes nothing.
    const Tensor b2 = cat({mul(narrow(ws2, 1, 0, cutoff), 3.0), narrow(ws2, 1, cutoff, L - cutoff)}, 1);
    CHECK(max_abs_diff(G.synthesis(mix_styles(ws1, b2, cutoff), NoiseMode::Const),
                       G.synthesis(mix_styles(ws1, ws2, cutoff), NoiseMode::Const)) == 0.0);
  }
}

TEST_CASE("stylegan2 G and D: gradcheck and gradgradcheck on tiny networks", "[stylegan]") {
  manual_seed(5);
  ModelConfig c = tiny(8);
  c.fmap_base = 8;
  c.fmap_max = 2;
  StyleGAN2Discriminator D(c);
  D.to(kFloat64);
  Tensor x = randn({2, 1, 8, 8}, Options(kFloat64)).requires_grad_();
  auto fd = [&D](const Tensors& in) { return Tensors{D.score(in[0], Tensor())}; };
  auto g = autograd::gradcheck(fd, {x});
  INFO(g.message);
  CHECK(g.ok);
  auto gg = autograd::gradgradcheck(fd, {x});
  INFO(gg.message);
  CHECK(gg.ok);

  StyleGAN2Generator G(c);
  G.to(kFloat64);
  G.eval();
  // Give the noise a strength, so its path is differentiated too.
  for (auto& p : G.named_parameters())
    if (p.first.find("noise_strength") != std::string::npos) core::copy_(p.second, full({1}, 0.3, Options(kFloat64)));
  Tensor ws = clone(detach(G.mapping(randn({2, 6}, Options(kFloat64))))).requires_grad_();
  auto fg = [&G](const Tensors& in) { return Tensors{G.synthesis(in[0], NoiseMode::Const)}; };
  g = autograd::gradcheck(fg, {ws});
  INFO(g.message);
  CHECK(g.ok);
  gg = autograd::gradgradcheck(fg, {ws});
  INFO(gg.message);
  CHECK(gg.ok);
}
