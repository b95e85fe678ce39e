// tests/test_stylegan.cpp — the style-based generator (issue: "A style-based
// generator"): the two forms of modulated convolution agree (values and
// gradients), the networks' shapes and layer count, w_avg tracking and
// truncation in W, style mixing routes each layer's w (and only it), and
// first and second derivatives through tiny networks (what R1 and the
// path-length penalty differentiate).
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

#include "autograd/gradcheck.h"
#include "core/error.h"
#include "core/rng.h"
#include "gan/latent.h"
#include "gan/models/stylegan/stylegan2.h"
#include "gan/penalties.h"
#include "gan/directions.h"
#include "gan/style_control.h"
#include "gan/projection.h"
#include "gan/metrics/classifier.h"
#include "gan/metrics/ppl.h"
#include "gan/checkpoint.h"
#include "gan/trainer.h"
#include "nn/safetensors.h"
#include "optim/ema.h"
#include "tests/test_images.h"

using namespace gantry;
using namespace gantry::gan;
namespace fs = std::filesystem;

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

TEST_CASE("path-length penalty: the lengths' gradient by finite differences, the running mean", "[stylegan]") {
  manual_seed(6);
  ModelConfig c = tiny(8);
  c.fmap_base = 8;
  c.fmap_max = 2;
  StyleGAN2Generator G(c);
  G.to(kFloat64);
  G.eval();
  for (auto& p : G.named_parameters())
    if (p.first.find("noise_strength") != std::string::npos) core::copy_(p.second, full({1}, 0.2, Options(kFloat64)));
  Tensor ws = clone(detach(G.mapping(randn({2, 6}, Options(kFloat64))))).requires_grad_();
  const Tensor y = mul(randn({2, 1, 8, 8}, Options(kFloat64)), 1.0 / 8);
  // a(ws) = |J^T y| per sample needs G's second derivatives; its own gradient
  // (what the penalty's backward computes) is checked against differences.
  auto f = [&](const Tensors& in) { return Tensors{path_lengths(G, in[0], y, true, NoiseMode::Const)}; };
  const auto g = autograd::gradcheck(f, {ws});
  INFO(g.message);
  CHECK(g.ok);
  // The lengths themselves: |J^T y| with J by differences, for sample 0.
  const Tensor a = path_lengths(G, ws, y, false, NoiseMode::Const);
  std::vector<double> jty;
  {
    NoGradGuard ng;
    const double eps = 1e-6;
    Tensor base = clone(detach(ws));
    double* p = base.data<double>();
    for (int64_t i = 0; i < 4 * 5; ++i) {  // sample 0's entries of ws [2, 4, 5]
      const double keep = p[i];
      p[i] = keep + eps;
      const double up = sum(mul(G.synthesis(base, NoiseMode::Const), y)).item<double>();
      p[i] = keep - eps;
      const double down = sum(mul(G.synthesis(base, NoiseMode::Const), y)).item<double>();
      p[i] = keep;
      jty.push_back((up - down) / (2 * eps));
    }
  }
  // <img, y> sums over the batch, so sample 0's entries see only sample 0's image.
  double ss = 0;
  for (double v : jty) ss += v * v;
  CHECK(vals(a)[0] == Approx(std::sqrt(ss / G.num_ws())).epsilon(1e-6));

  // The running mean moves by decay towards the batch's mean length.
  G.train();
  double pl_mean = 0.0;
  RandomState rng(3);
  const Tensor ws2 = G.mapping(randn({4, 6}, Options(kFloat64)));
  const Tensor pen = path_length_penalty(G, ws2, &pl_mean, 0.5, &rng);
  CHECK(pl_mean > 0);
  CHECK(pen.dim() == 0);
  CHECK_THROWS_WITH(path_length_penalty(G, detach(ws2), &pl_mean, 0.5, &rng), Catch::Contains("requires grad"));
}

TEST_CASE("EMA ramp-up: the half-life grows with the images seen up to the decay's", "[stylegan][optim]") {
  CHECK(optim::EMA::rampup_decay(0.999, 0.05, 32, 0) == 0.0);
  // 0.05 * 6400 = 320 images of half-life: 0.5^(32/320)
  CHECK(optim::EMA::rampup_decay(0.999, 0.05, 32, 6400) == Approx(std::pow(0.5, 0.1)));
  CHECK(optim::EMA::rampup_decay(0.999, 0.05, 32, 100000000) == 0.999);
}

namespace {
TrainOptions style_options(const std::string& data, const std::string& out) {
  TrainOptions o;
  Config c = Config::parse("model = \"stylegan2\"\n", "t");
  o.apply(c);
  o.data = data;
  o.out = out;
  o.resolution = 8;
  o.latent = 6;
  o.w_dim = 5;
  o.mapping_layers = 2;
  o.fmap_base = 16;
  o.fmap_max = 3;
  o.batch = 4;
  o.mbstd_group = 2;
  o.r1_every = 2;
  o.pl_every = 2;
  o.sample_every = 0;
  o.checkpoint_every = 0;
  o.log_every = 100;
  o.threads = 1;
  o.validate();
  return o;
}
}  // namespace

TEST_CASE("stylegan2 trainer: objective defaults, lazy Adam, exact resume with w_avg and the path-length mean",
          "[stylegan][resume]") {
  const std::string data = testutil::synthetic_image_folder("gantry_stylegan_data", 16, 5);
  const std::string a = (fs::temp_directory_path() / "gantry_stylegan_a").string();
  const std::string b = (fs::temp_directory_path() / "gantry_stylegan_b").string();
  fs::remove_all(a);
  fs::remove_all(b);
  TrainOptions oa = style_options(data, a);
  CHECK(oa.penalty == "r1");
  CHECK(oa.loss == "nonsaturating");
  CHECK(oa.lazy_adam);
  CHECK(oa.style_mixing == 0.9);
  oa.steps = 8;
  Trainer straight(oa);
  const StepStats first = straight.train_step();
  CHECK(first.pl_penalty > 0);  // step_ 0: the lazy path-length term runs
  CHECK(first.penalty > 0);     // and R1 (every 2nd D step)
  StepStats st;
  for (int i = 1; i < 8; ++i) st = straight.train_step();
  CHECK(st.pl_penalty == 0);  // step 8 ran with step_ = 7: odd, no path-length term
  CHECK(as_style(straight.generator())->w_avg().to_vector<float>() != std::vector<float>(5, 0.f));

  TrainOptions ob = style_options(data, b);
  ob.steps = 5;
  ob.checkpoint_every = 5;  // the first run ends with a checkpoint: the second resumes from it
  {
    Trainer first(ob);
    first.run();
  }
  REQUIRE(fs::exists(b + "/checkpoint.safetensors"));
  ob.steps = 8;
  ob.resume = true;
  manual_seed(999);
  Trainer second(ob);
  second.load_checkpoint(b + "/checkpoint.safetensors");
  CHECK(second.step() == 5);
  CHECK(second.images_seen() == 5 * 4);  // the EMA ramp-up reads it
  second.run();  // (loads the same checkpoint again: resume = true)
  REQUIRE(second.step() == 8);
  auto same = [](const nn::NamedTensors& x, const nn::NamedTensors& y) {
    REQUIRE(x.size() == y.size());
    for (size_t i = 0; i < x.size(); ++i) {
      INFO(x[i].first);
      CHECK(x[i].second.to_vector<double>() == y[i].second.to_vector<double>());
    }
  };
  same(straight.generator().state_dict(), second.generator().state_dict());
  same(straight.discriminator().state_dict(), second.discriminator().state_dict());
  same(straight.sampler().state_dict(), second.sampler().state_dict());
  // The checkpoint holds the path-length mean, and load_generator rebuilds W's shape.
  fs::create_directories(a);
  straight.save_checkpoint(a + "/checkpoint.safetensors");
  const auto meta = nn::load_safetensors(a + "/checkpoint.safetensors").metadata;
  REQUIRE(meta.count("pl_mean"));
  CHECK(std::stod(meta.at("pl_mean")) > 0);
  LoadedGenerator lg = load_generator(a + "/checkpoint.safetensors", true);
  REQUIRE(as_style(*lg.net) != nullptr);
  CHECK(as_style(*lg.net)->num_ws() == 4);
  CHECK(as_style(*lg.net)->w_avg().to_vector<float>() == as_style(straight.sampler())->w_avg().to_vector<float>());
}

TEST_CASE("projection: a generated target is found again (distance falls, PSNR >= 30 dB)", "[stylegan][project]") {
  manual_seed(12);
  ModelConfig c = tiny(16);
  c.w_dim = 8;
  c.fmap_base = 64;
  c.fmap_max = 8;
  StyleGAN2Generator G(c);
  G.eval();
  Tensor target;
  {
    NoGradGuard ng;
    RandomState g(77);
    // (this untrained G's raw output reaches beyond [-1, 1]: the clamped
    // pixels are matched by any image beyond the bound)
    target = clamp(G.synthesis(G.mapping(randn({1, 6}, {}, &g)), NoiseMode::Const), -1.0, 1.0);
  }
  ProjectOptions o;
  o.steps = 1000;  // in W (one w), as the target was made
  o.feature_weight = 0;  // pixels only: no classifier in a unit test
  o.w_avg_samples = 500;
  const ProjectResult r = project(G, target, nullptr, o);
  REQUIRE(static_cast<int64_t>(r.distance.size()) == o.steps);
  // Window means fall after the learning-rate ramp-up (the first 5 %).
  const int64_t win = o.steps / 10;
  double prev = INFINITY;
  for (int64_t w = 0; w < 10; ++w) {
    double m = 0;
    for (int64_t t = w * win; t < (w + 1) * win; ++t) m += r.distance[t];
    m /= static_cast<double>(win);
    INFO("window " << w << " mean distance " << m);
    CHECK(m < prev);
    prev = m;
  }
  const double db = psnr(r.image, target);
  INFO("PSNR " << db << " dB, final distance " << r.final_distance);
  CHECK(db >= 30.0);
  CHECK(r.ws.shape() == Shape{1, G.num_ws(), 8});
  // W+ optimizes one w per layer (a shorter run: the shape and a falling distance).
  o.w_plus = true;
  o.steps = 100;
  const ProjectResult rp = project(G, target, nullptr, o);
  CHECK(rp.final_distance < rp.distance.front());
  CHECK(static_cast<int64_t>(r.strip.size()) == o.snapshots);
  // G is left as it was: the stored noise maps are untouched, parameters still train.
  for (auto& p : G.parameters()) CHECK(p.requires_grad());
  // Errors: a model without W, a target of the wrong size.
  CHECK_THROWS_WITH(project(G, zeros({1, 1, 8, 8}), nullptr, o), Catch::Contains("must be [1, 1, 16, 16]"));
}

TEST_CASE("directions: SeFa eigenvectors of A^T A, PCA axes of W, GANSpace in z for a DCGAN", "[stylegan][directions]") {
  manual_seed(21);
  StyleGAN2Generator G(tiny(8));
  const Directions s = find_directions(G, "stylegan2", "sefa", 3, 200);
  REQUIRE(s.vectors.shape() == Shape{3, 5});
  CHECK(s.space == "w");
  // A^T A n = lambda n, unit rows, orthogonal, values descending.
  Tensor A = to(G.first_style_weight(), kFloat64);
  A = div(A, sqrt(sum(mul(A, A), {1}, true)));  // unit rows, as SeFa normalizes them
  const Tensor AtA = matmul(transpose(A, 0, 1), A);
  const Tensor V = to(s.vectors, kFloat64);
  for (int64_t i = 0; i < 3; ++i) {
    const Tensor n = select(V, 0, i);
    CHECK(max_abs_diff(matmul(AtA, n), mul(n, s.values[i])) < 1e-4 * (1 + s.values[i]));
    CHECK(sum(mul(n, n)).item<double>() == Approx(1.0).epsilon(1e-5));
    if (i > 0) CHECK(std::fabs(sum(mul(n, select(V, 0, 0))).item<double>()) < 1e-5);
    if (i > 0) CHECK(s.values[i] <= s.values[i - 1]);
  }
  // PCA in W: the variance along each axis is its eigenvalue.
  const Directions p = find_directions(G, "stylegan2", "pca", 2, 500);
  CHECK(p.sigma[0] * p.sigma[0] == Approx(p.values[0]).epsilon(1e-3));
  CHECK(p.sigma[0] >= p.sigma[1]);
  const Tensor sheet = direction_sheet(G, p, {0, 1}, 2, {-1, 0, 1});
  CHECK(sheet.shape() == Shape{2 * 2 * 3, 1, 8, 8});
  // The middle column is the seed's own image.
  const Tensor own = synthesize_images(G, seeds_to_ws(G, {0}));
  CHECK(max_abs_diff(narrow(sheet, 0, 1, 1), own) < 1e-6);

  ModelConfig dc;
  dc.latent = 8;
  dc.resolution = 28;
  dc.g_width = 4;
  auto D = make_generator("dcgan", dc);
  const Directions z = find_directions(*D, "dcgan", "pca", 2, 300);
  CHECK(z.space == "z");
  CHECK(z.vectors.shape() == Shape{2, 8});
  const Directions zs = find_directions(*D, "dcgan", "sefa", 4, 100);
  CHECK(zs.values[0] >= zs.values[3]);
  ModelConfig pc;
  pc.latent = 8;
  pc.resolution = 8;
  pc.fmap_base = 16;
  pc.fmap_max = 2;
  auto P = make_generator("progan", pc);
  CHECK_THROWS_WITH(find_directions(*P, "progan", "sefa", 2), Catch::Contains("model 'progan' has neither a W space"));
  CHECK_THROWS_WITH(find_directions(G, "stylegan2", "ica", 2), Catch::Contains("not sefa or pca"));
  CHECK_THROWS_WITH(find_directions(G, "stylegan2", "sefa", 6), Catch::Contains("k 6 must be in [1, 5]"));
}

TEST_CASE("perceptual path length: zero for a generator that ignores w, positive otherwise, reproducible", "[stylegan][metrics]") {
  manual_seed(31);
  StyleGAN2Generator G(tiny(32));
  metrics::FmnistClassifier clf;
  metrics::PPLOptions o;
  o.n = 40;
  o.batch = 16;
  const double p1 = metrics::perceptual_path_length(G, clf, o);
  CHECK(std::isfinite(p1));
  CHECK(p1 > 0);
  CHECK(metrics::perceptual_path_length(G, clf, o) == p1);  // same seed, same number
  o.full = true;
  CHECK(std::isfinite(metrics::perceptual_path_length(G, clf, o)));
  // Styles that do not depend on w (every affine weight 0): the image is the
  // same along any path, so its length is 0.
  for (auto& p : G.named_parameters())
    if (p.first.find("affine.weight") != std::string::npos) core::copy_(p.second, zeros(p.second.shape()));
  CHECK(metrics::perceptual_path_length(G, clf, o) == 0.0);
  ModelConfig dc;
  dc.latent = 8;
  auto D = make_generator("dcgan", dc);
  CHECK_THROWS_WITH(metrics::perceptual_path_length(*D, clf, o), Catch::Contains("needs a style-based generator"));
}

TEST_CASE("bias_act: arguments that would make the fused backward wrong are refused", "[stylegan][errors]") {
  const Tensor x = randn({2, 3}), b = zeros({3});
  CHECK_THROWS_WITH(bias_act(x, b, Activation::LeakyRelu, -0.2), Catch::Contains("alpha must be finite and >= 0"));
  CHECK_THROWS_WITH(bias_act(x, b, Activation::Linear, 0.2, 0.0), Catch::Contains("gain must be positive"));
  CHECK_THROWS_WITH(bias_act(x, zeros({4})), Catch::Contains("does not match 3 channels"));
  CHECK_THROWS_WITH(upfirdn2d(randn({1, 1, 2, 2}), randn({5}), {1, 1}, {1, 1}),
                    Catch::Contains("filter [5] is longer than the input [1,1,2,2]"));
}
