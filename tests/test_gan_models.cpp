// tests/test_gan_models.cpp — the GAN family beyond DCGAN: spectral
// normalization, the WGAN-GP and R1 penalties (second derivatives through the
// critic checked against finite differences), DiffAugment, latent
// truncation/interpolation, and a few training steps of every model with
// finite losses, moving weights and a checkpoint that reloads.
#include <catch2/catch.hpp>

#include "tests/test_skip.h"

#include <Eigen/Dense>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "autograd/gradcheck.h"
#include "gan/augment.h"
#include "gan/checkpoint.h"
#include "gan/data/image.h"
#include "gan/latent.h"
#include "gan/models/dcgan/cdcgan.h"
#include "gan/models/dcgan/critic.h"
#include "gan/penalties.h"
#include "gan/trainer.h"
#include "nn/safetensors.h"
#include "nn/sagan_layers.h"
#include "nn/spectral_norm.h"
#include "tests/test_images.h"

using namespace gantry;
using namespace gantry::gan;
namespace fs = std::filesystem;

namespace {

const char* kFmnist = "/usr/share/datasets/fashion-mnist";
bool have_fmnist() { return fs::exists(std::string(kFmnist) + "/train-images-idx3-ubyte.gz"); }

// Largest singular value of a [rows, cols] float tensor, by Eigen's SVD.
double top_singular(const Tensor& w, int64_t rows) {
  std::vector<double> v = to(w, kFloat64).to_vector<double>();
  const int64_t cols = static_cast<int64_t>(v.size()) / rows;
  Eigen::MatrixXd m = Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      v.data(), rows, cols);
  return Eigen::JacobiSVD<Eigen::MatrixXd>(m).singularValues()(0);
}

std::string synthetic_folder(int n) {
  return testutil::synthetic_image_folder("gantry_test_models_images", n, 11);
}

bool all_finite(const Tensor& t) {
  for (double x : to(t, kFloat64).to_vector<double>())
    if (!std::isfinite(x)) return false;
  return true;
}

}  // namespace

TEST_CASE("spectral norm: W / sigma has largest singular value ~1", "[gan][sn]") {
  manual_seed(5);
  SECTION("Linear") {
    nn::SpectralNorm sn(std::make_shared<nn::Linear>(20, 30), /*power_iterations=*/1);
    const double s0 = top_singular(sn.weight_orig, 30);
    CHECK(std::abs(s0 - 1.0) > 0.1);  // the check below is not trivially true
    for (int i = 0; i < 60; ++i) sn.forward(randn({4, 20}));  // one iteration per training forward
    CHECK(sn.sigma() == Approx(s0).epsilon(1e-4));
    CHECK(top_singular(sn.normalized_weight(), 30) == Approx(1.0).epsilon(1e-4));
  }
  SECTION("Conv2d, as a [out, in*KH*KW] matrix; eval mode leaves u alone") {
    nn::SpectralNorm sn(std::make_shared<nn::Conv2d>(3, 8, 4, 2, 1), /*power_iterations=*/50);
    Tensor y = sn.forward(randn({2, 3, 28, 28}));
    CHECK(y.shape() == Shape{2, 8, 14, 14});
    CHECK(top_singular(sn.normalized_weight(), 8) == Approx(1.0).epsilon(1e-4));
    // Same as the plain conv with the normalized weight.
    Tensor x = randn({1, 3, 28, 28});
    sn.eval();
    const std::vector<float> u0 = sn.u.to_vector<float>();
    auto* c = static_cast<nn::Conv2d*>(sn.module.get());
    Tensor want = conv2d(x, sn.normalized_weight(), c->bias, {2, 2}, {1, 1});
    CHECK(sn.forward(x).to_vector<float>() == want.to_vector<float>());
    CHECK(sn.u.to_vector<float>() == u0);
  }
  SECTION("state_dict names: the layer's weight moves to weight_orig; u, v are buffers") {
    nn::SpectralNorm sn(std::make_shared<nn::Linear>(3, 2));
    std::vector<std::string> names;
    for (auto& kv : sn.state_dict()) names.push_back(kv.first);
    CHECK(names == std::vector<std::string>{"weight_orig", "u", "v", "module.bias"});
    CHECK(sn.parameters().size() == 2);
    CHECK_THROWS_WITH(nn::SpectralNorm(std::make_shared<nn::BatchNorm2d>(3)),
                      Catch::Contains("wraps Conv2d, ConvTranspose2d, Linear or Embedding"));
  }
}

TEST_CASE("gradgradcheck through the critics used by WGAN-GP and R1", "[gan][penalty]") {
  ModelConfig mc;
  mc.d_width = 2;
  for (CriticNorm norm : {CriticNorm::LayerNorm, CriticNorm::None}) {
    INFO((norm == CriticNorm::LayerNorm ? "LayerNorm critic (wgan-gp)" : "plain critic (r1)"));
    manual_seed(7);
    ConvCritic D(mc, norm);
    D.to(kFloat64);
    // Second derivatives w.r.t. the input (what the penalty's graph holds),
    // for a 6x6 patch in the middle of a fixed image (all 784 pixels would
    // cost ~20x the time and check the same formulas).
    Tensor base = mul(randn({1, 1, 28, 28}, kFloat64), 0.5);
    Tensor x = mul(randn({1, 1, 6, 6}, kFloat64), 0.5).requires_grad_();
    auto f = [&](const Tensors& in) {
      return Tensors{D.score(add(base, pad(in[0], {11, 11, 11, 11})), Tensor())};
    };
    autograd::GradcheckResult r = autograd::gradgradcheck(f, {x});
    INFO(r.message);
    CHECK(r.ok);
    // Mixed derivatives: the penalties' gradients w.r.t. the last conv's
    // weight (what the optimizer uses), checked by gradcheck.
    Tensor w = D.named_parameters()[0].second;  // main.0.weight [2,1,4,4]
    REQUIRE(w.dtype() == kFloat64);
    Tensor real = randn({2, 1, 28, 28}, kFloat64), fake = randn({2, 1, 28, 28}, kFloat64);
    auto pen = [&](const Tensors&) {
      RandomState g(3);  // the same interpolation points on every call
      return Tensors{add(gradient_penalty(D, real, fake, Tensor(), &g), r1_penalty(D, real, Tensor()))};
    };
    autograd::GradcheckResult r2 = autograd::gradcheck(pen, {w});
    INFO(r2.message);
    CHECK(r2.ok);
  }
}

TEST_CASE("gradient penalty and R1 match their definitions on a linear critic", "[gan][penalty]") {
  // D(x) = <a, x>: grad = a for every sample, so gp = (||a|| - 1)^2 and r1 = ||a||^2.
  struct Lin : DiscriminatorNet {
    Tensor a;
    Lin() : DiscriminatorNet(ModelConfig{}) { a = register_parameter("a", full({1, 1, 28, 28}, 0.1, kFloat64)); }
    Tensor score(const Tensor& x, const Tensor&) override { return sum(mul(x, a), {1, 2, 3}); }
  } D;
  Tensor real = randn({3, 1, 28, 28}, kFloat64), fake = randn({3, 1, 28, 28}, kFloat64);
  RandomState g(1);
  const double na = std::sqrt(784 * 0.01);
  CHECK(gradient_penalty(D, real, fake, Tensor(), &g).item<double>() == Approx((na - 1) * (na - 1)));
  CHECK(r1_penalty(D, real, Tensor()).item<double>() == Approx(na * na));
}

TEST_CASE("DiffAugment: translation and cutout are per-image, differentiable, seeded", "[gan][augment]") {
  Tensor x = add(rand({4, 2, 28, 28}), 0.5);  // strictly positive
  RandomState g1(9), g2(9);
  Tensor t = random_translation(x, &g1);
  CHECK(t.shape() == x.shape());
  CHECK(random_translation(x, &g2).to_vector<float>() == t.to_vector<float>());
  // Each image is a shift of its original: its non-zero values are a subset.
  std::vector<float> tv = t.to_vector<float>();
  int64_t zeros = 0;
  for (float v : tv) zeros += v == 0.0f;
  CHECK(zeros > 0);                 // some rows/columns shifted in
  CHECK(zeros < int64_t(tv.size()) / 4);
  Tensor c = random_cutout(x, &g1);
  std::vector<float> cv = c.to_vector<float>();
  zeros = 0;
  for (float v : cv) zeros += v == 0.0f;
  CHECK(zeros >= 4 * 2 * 7 * 7);    // at least a quarter of each 14x14 hole survives clipping
  CHECK(zeros <= 4 * 2 * 14 * 14);
  // Gradients flow: d sum(aug(x)) / dx is 1 where a pixel is kept, 0 elsewhere.
  Tensor xd = mul(rand({2, 1, 28, 28}, kFloat64), 1.0).requires_grad_();
  auto f = [](const Tensors& in) {
    RandomState g(4);
    return Tensors{diff_augment(in[0], "translation,cutout", &g)};
  };
  autograd::GradcheckResult r = autograd::gradcheck(f, {xd});
  INFO(r.message);
  CHECK(r.ok);
  CHECK(diff_augment(x, "none", &g1).is_same(x));
  CHECK_THROWS_WITH(check_augment_policy("translation,flip"), Catch::Contains("unknown policy 'flip'"));
}

TEST_CASE("latent codes: truncation bounds, interpolation ends and norms", "[gan][latent]") {
  RandomState g(2);
  Tensor z = truncated_normal({500, 20}, 0.5, &g);
  CHECK(max(abs(z)).item<float>() <= 0.5f);
  RandomState g2(2);
  Tensor again = truncated_normal({500, 20}, 0.5, &g2);
  CHECK(again.to_vector<float>() == z.to_vector<float>());
  Tensor a = randn({64}), b = randn({64});
  for (bool sph : {true, false}) {
    Tensor p = interpolate(a, b, 5, sph);
    REQUIRE(p.shape() == Shape{5, 64});
    CHECK(select(p, 0, 0).to_vector<float>() == a.to_vector<float>());
    const std::vector<float> last = select(p, 0, 4).to_vector<float>(), bv = b.to_vector<float>();
    for (size_t i = 0; i < bv.size(); ++i) CHECK(last[i] == Approx(bv[i]).margin(1e-5));
    const double na = std::sqrt(sum(square(a)).item<double>()), nb = std::sqrt(sum(square(b)).item<double>());
    const double nm = std::sqrt(sum(square(select(p, 0, 2))).item<double>());
    if (sph) CHECK(nm > 0.9 * std::min(na, nb));   // slerp keeps the norm
    else CHECK(nm < 0.85 * std::max(na, nb));      // lerp shrinks it (~0.71 for orthogonal codes)
  }
}

TEST_CASE("model registry: every model builds, cdcgan needs labels", "[gan]") {
  ModelConfig mc;
  for (const std::string& m : model_names()) {
    // The DCGAN family at 28 and 32; progan and stylegan2 at 32 (and 8).
    const bool pow2_model = m == "progan" || m == "stylegan2";
    for (int64_t res : pow2_model ? std::vector<int64_t>{8, 32} : std::vector<int64_t>{28, 32}) {
      INFO(m << " at " << res);
      ModelConfig c = mc;
      c.resolution = res;
      if (m == "cdcgan") c.num_classes = 10;
      auto G = make_generator(m, c);
      auto D = make_discriminator(m, c);
      Tensor y = c.num_classes ? from_vector<int64_t>({0, 9, 3}, {3}) : Tensor();
      Tensor x = G->generate(randn({3, 100}), y);
      CHECK(x.shape() == Shape{3, 1, res, res});
      CHECK(G->resolution() == res);
      CHECK(D->score(x, y).shape() == Shape{3});
      bool has_bn = false;
      for (auto& kv : D->state_dict()) has_bn = has_bn || kv.first.find("running_mean") != std::string::npos;
      CHECK(has_bn == (m == "dcgan"));  // no BatchNorm in the penalized/SN critics
      CHECK((as_growing(*G) != nullptr) == is_growing_model(m));
      CHECK((as_style(*G) != nullptr) == (m == "stylegan2"));
    }
  }
  ModelConfig bad = mc;
  bad.resolution = 64;
  CHECK_THROWS_WITH(make_generator("dcgan", bad), Catch::Contains("resolution 28 or 32, not 64"));
  bad.resolution = 24;
  CHECK_THROWS_WITH(make_generator("progan", bad), Catch::Contains("resolution 24 must be a power of two"));
  CDCGANGenerator G([] { ModelConfig c; c.num_classes = 10; return c; }());
  CHECK_THROWS_WITH(G.generate(randn({2, 100}), Tensor()), Catch::Contains("labels int64 [2] are needed"));
  CHECK_THROWS_WITH(G.generate(randn({2, 100}), from_vector<int64_t>({0, 10}, {2})),
                    Catch::Contains("labels must be in [0, 10)"));
  CHECK_THROWS_WITH(make_generator("biggan", mc), Catch::Contains("have: dcgan, wgan-gp, r1, sngan, cdcgan, progan"));
}

TEST_CASE("attention_at: a self-attention block after the named maps, or a clear error", "[gan][attention]") {
  auto gammas = [](const nn::Module& m) {
    std::vector<std::string> names;
    for (auto& kv : m.named_parameters())
      if (kv.first.size() >= 5 && kv.first.compare(kv.first.size() - 5, 5, "gamma") == 0) names.push_back(kv.first);
    return names;
  };
  ModelConfig c;
  // sagan: at resolution / 2 by default, in G (after its 14x14 block) and D
  // (after its first conv), spectral norm in G as well.
  auto G = make_generator("sagan", c);
  auto D = make_discriminator("sagan", c);
  CHECK(gammas(*G) == std::vector<std::string>{"main.9.gamma"});
  CHECK(gammas(*D) == std::vector<std::string>{"main.2.gamma"});
  CHECK(G->config.attention_at == 14);
  bool g_sn = false;
  for (auto& kv : G->state_dict()) g_sn = g_sn || kv.first == "main.0.u";
  CHECK(g_sn);
  // A map only G has (7x7 is in both; 4x4 only in G at 28).
  c.attention_at = 4;
  CHECK(gammas(*make_generator("dcgan", c)).size() == 1);
  CHECK(gammas(*make_discriminator("dcgan", c)).empty());
  CHECK(gammas(*make_generator("cdcgan", [&] { ModelConfig k = c; k.num_classes = 10; return k; }())) ==
        std::vector<std::string>{"attention.gamma"});
  // Attention blocks start as the identity (gamma = 0): the same images as
  // the same network run with the block skipped.
  c.attention_at = 7;
  auto gen = std::static_pointer_cast<DCGANGenerator>(make_generator("dcgan", c));
  gen->eval();
  const Tensor z = randn({2, 100});
  Tensor h = reshape(z, {2, 100, 1, 1});
  for (size_t i = 0; i < gen->main->size(); ++i)
    if (!dynamic_cast<nn::SelfAttention2d*>((*gen->main)[i].get())) h = (*gen->main)[i]->forward(h);
  CHECK(gen->generate(z, Tensor()).to_vector<float>() == h.to_vector<float>());
  // Errors name the maps there are, or the families that have attention.
  c.attention_at = 10;
  CHECK_THROWS_WITH(make_generator("sngan", c),
                    Catch::Contains("attention_at 10 matches no feature map of sngan at 28x28 (its G and D have maps "
                                    "of side 3, 4, 7, 14)"));
  ModelConfig p;
  p.resolution = 32;
  p.attention_at = 16;
  CHECK_THROWS_WITH(make_generator("progan", p), Catch::Contains("model 'progan' has no self-attention blocks"));
}

TEST_CASE("every model trains a few steps with finite losses and reloads", "[gan][models][e2e]") {
  const bool real = have_fmnist();
  const std::string folder = real ? std::string() : synthetic_folder(64);
  for (const std::string& m : model_names()) {
    if (m == "cdcgan" && !real) {
      testutil::skip("Fashion-MNIST not installed: cdcgan (needs labels) not trained");
      continue;
    }
    INFO(m);
    const std::string out = (fs::temp_directory_path() / ("gantry_models_" + m)).string();
    fs::remove_all(out);
    fs::create_directories(out);
    Config cfg = Config::parse("model = \"" + m + "\"\n", "test");
    TrainOptions o;
    o.apply(cfg);
    o.data = real ? "fashion-mnist" : folder;
    o.data_limit = 64;
    o.batch = 8;
    o.steps = 2;
    o.out = out;
    o.quiet = true;
    o.sample_every = 2;
    o.checkpoint_every = 2;
    if (m == "wgan-gp") o.n_critic = 2;  // 5 in the config; 2 keeps the test short
    o.ema_decay = 0.9;
    if (m == "r1") o.r1_every = 2;                       // lazy: D step 0 of 0..1
    if (m == "dcgan") o.augment = "translation,cutout";  // DiffAugment on one model
    Trainer t(o);
    auto g0 = t.generator().state_dict()[0].second.to_vector<float>();
    auto d0 = t.discriminator().named_parameters()[0].second.to_vector<float>();
    for (int s = 0; s < 2; ++s) {
      StepStats st = t.train_step();
      CHECK(std::isfinite(st.d_loss));
      CHECK(std::isfinite(st.g_loss));
      CHECK(std::isfinite(st.penalty));
      if (m == "wgan-gp") CHECK(st.penalty > 0);
      if (m == "r1") CHECK((st.penalty > 0) == (s % 2 == 0));
      if (m == "dcgan" || m == "sngan" || m == "cdcgan") CHECK(st.penalty == 0);
    }
    CHECK(t.generator().state_dict()[0].second.to_vector<float>() != g0);
    CHECK(t.discriminator().named_parameters()[0].second.to_vector<float>() != d0);
    for (auto& kv : t.generator().state_dict()) CHECK(all_finite(kv.second));
    t.save_checkpoint(t.checkpoint_path());
    // The checkpoint holds SN's power-iteration vectors, and samples reload.
    nn::SafetensorsFile f = nn::load_safetensors(t.checkpoint_path());
    bool has_u = false;
    for (auto& kv : f.tensors)
      has_u = has_u || kv.first == "D.main.0.u" || kv.first == "D.body.0.u" || kv.first == "D.embed.u";
    CHECK(has_u == (m == "sngan" || m == "cdcgan" || m == "sagan"));
    LoadedGenerator lg = load_generator(t.checkpoint_path(), /*use_ema=*/true);
    CHECK(lg.model == m);
    CHECK(lg.step == 2);
    Tensor y = m == "cdcgan" ? from_vector<int64_t>({1, 2}, {2}) : Tensor();
    Tensor z = randn({2, 100});
    NoGradGuard ng;
    t.sampler().eval();
    CHECK(lg.net->generate(z, y).to_vector<float>() == t.sampler().generate(z, y).to_vector<float>());
  }
}

TEST_CASE("model defaults: --model picks the paper's objective, config keys override", "[gan]") {
  TrainOptions o;
  o.apply(Config::parse("model = \"wgan-gp\"\n", "t"));
  CHECK(o.loss == "wasserstein");
  CHECK(o.n_critic == 5);
  CHECK(o.beta1 == 0.0);
  CHECK(o.beta2 == 0.9);
  CHECK(o.penalty == "gp");
  CHECK(o.out == "runs/wgan-gp");
  o.apply(Config::parse("model = \"sngan\"\nn_critic = 2\n", "t"));
  CHECK(o.loss == "hinge");
  CHECK(o.n_critic == 2);
  CHECK(o.penalty == "none");
  TrainOptions c;  // cGAN-PD: hinge, no label smoothing
  c.apply(Config::parse("model = \"cdcgan\"\n", "t"));
  CHECK(c.loss == "hinge");
  CHECK(c.real_label_min == 1.0);
  CHECK_THROWS_WITH(o.apply(Config::parse("model = \"nope\"\n", "t")), Catch::Contains("not available"));
  TrainOptions fresh;
  CHECK_THROWS_WITH(fresh.apply(Config::parse("penalty = \"l2\"\n", "t")), Catch::Contains("t:1:1: key 'penalty': must be one of none,gp,r1"));
}

TEST_CASE("eval_every: the metrics go into metrics.csv", "[gan][metrics][e2e]") {
  const std::string weights = std::string(GANTRY_SOURCE_DIR) + "/assets/fmnist_classifier.safetensors";
  if (!have_fmnist() || !fs::exists(weights)) {
    GANTRY_SKIP("Fashion-MNIST or the committed classifier missing");
  }
  const std::string out = (fs::temp_directory_path() / "gantry_models_eval").string();
  fs::remove_all(out);
  TrainOptions o;
  o.apply(Config::parse("model = \"cdcgan\"\n", "t"));
  o.data_limit = 64;
  o.batch = 8;
  o.steps = 2;
  o.out = out;
  o.quiet = true;
  o.sample_every = 0;
  o.checkpoint_every = 0;
  o.log_every = 100;
  o.eval_every = 1;
  o.eval_n = 60;
  o.classifier = weights;
  Trainer t(o);
  t.run();
  std::ifstream m(out + "/metrics.csv");
  std::string header, line;
  std::getline(m, header);
  CHECK(header == "step,epoch,d_loss,g_loss,d_real,d_fake,lr_g,lr_d,images_per_s,penalty,"
                  "fid_fmnist,kid,precision,recall,class_coverage");
  int rows = 0;
  while (std::getline(m, line)) {
    ++rows;
    INFO(line);
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string c;
    while (std::getline(ss, c, ',')) cells.push_back(c);
    REQUIRE(cells.size() == 15);
    const double fid = std::stod(cells[10]), cov = std::stod(cells[14]);
    CHECK(std::isfinite(fid));
    CHECK(fid > 0);
    CHECK(cov >= 0);
    CHECK(cov <= 1);
  }
  CHECK(rows == 2);  // an evaluation at steps 1 and 2 (log_every 100 adds none)
}

TEST_CASE("spectral norm: a second forward before backward does not change the first's gradient",
          "[gan][sn]") {
  // D runs on real and fake images (two power-iteration updates of u, v)
  // before one backward; each forward's gradient must use its own u, v.
  manual_seed(8);
  nn::SpectralNorm sn(std::make_shared<nn::Linear>(6, 5));
  sn.to(kFloat64);
  nn::SpectralNorm twin(std::make_shared<nn::Linear>(6, 5));
  twin.to(kFloat64);
  twin.load_state_dict(sn.state_dict());
  Tensor x = randn({3, 6}, kFloat64);
  Tensor y1 = sum(square(sn.forward(x)));
  y1.backward();
  const std::vector<double> want = sn.weight_orig.grad().to_vector<double>();
  Tensor y2 = sum(square(twin.forward(x)));
  twin.forward(randn({3, 6}, kFloat64));  // updates u, v in place
  y2.backward();
  const std::vector<double> got = twin.weight_orig.grad().to_vector<double>();
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).epsilon(1e-12));
}

TEST_CASE("standing_stats: an EMA generator's BatchNorm statistics, re-estimated deterministically",
          "[gan][ema]") {
  ModelConfig mc;
  mc.g_width = 4;
  for (const std::string model : {"dcgan", "cdcgan", "sagan"}) {
    INFO(model);
    ModelConfig c = mc;
    if (model == "cdcgan") c.num_classes = 10;
    manual_seed(5);
    auto g1 = make_generator(model, c);
    auto g2 = make_generator(model, c);
    g2->load_state_dict(g1->state_dict());
    g1->eval();
    std::vector<std::vector<double>> before;  // values: state_dict() entries are views
    for (auto& kv : g1->state_dict()) before.push_back(kv.second.to_vector<double>());
    // Statistics far from any batch's, so a plain momentum update would not pass.
    for (nn::BatchNorm2d* bn : nn::batchnorm_layers(*g1)) core::fill_(bn->running_mean, 100.0);
    const uint64_t global = default_random_state().offset();
    standing_stats(*g1);
    CHECK(default_random_state().offset() == global);  // its own stream: training's is untouched
    standing_stats(*g2);
    CHECK(!g1->is_training());  // the training flag is restored
    int64_t bn_entries = 0, changed = 0;
    const auto after = g1->state_dict(), other = g2->state_dict();
    for (size_t k = 0; k < after.size(); ++k) {
      // Only the statistics move, and they are the same for two copies.
      CHECK(after[k].second.to_vector<double>() == other[k].second.to_vector<double>());
      const bool stat = after[k].first.find("running_") != std::string::npos;
      bn_entries += stat;
      const bool moved = after[k].second.to_vector<double>() != before[k];
      if (!stat && after[k].first.find("num_batches_tracked") == std::string::npos) CHECK(!moved);
      changed += stat && moved;
    }
    CHECK(bn_entries > 0);
    CHECK(changed == bn_entries);
    // Re-estimated, not nudged: g2 started at 0 / 1, g1 at 100 / 1.
    for (nn::BatchNorm2d* bn : nn::batchnorm_layers(*g1))
      for (double v : bn->running_mean.to_vector<double>()) CHECK(std::abs(v) < 50);
  }
}

TEST_CASE("d_layout deep: the SNGAN paper's seven-conv critic, for the BatchNorm-free critics only", "[gan]") {
  for (int64_t res : {28, 32}) {
    for (CriticNorm norm : {CriticNorm::Spectral, CriticNorm::LayerNorm, CriticNorm::None}) {
      INFO("resolution " << res << ", norm " << static_cast<int>(norm));
      ModelConfig mc;
      mc.resolution = res;
      mc.d_width = 2;
      mc.d_deep = true;
      manual_seed(3);
      ConvCritic D(mc, norm);
      int64_t convs = 0, lrelus = 0, lns = 0;
      for (size_t i = 0; i < D.main->size(); ++i) {
        const std::string r = (*D.main)[i]->repr();
        convs += r.find("Conv2d") != std::string::npos;
        lrelus += r.find("LeakyReLU(negative_slope=0.1)") != std::string::npos;
        lns += r.find("LayerNorm") != std::string::npos;
      }
      CHECK(convs == 8);   // seven, then the head
      CHECK(lrelus == 7);  // the paper's slope
      CHECK(lns == (norm == CriticNorm::LayerNorm ? 6 : 0));
      Tensor x = randn({3, 1, res, res});
      CHECK(D.score(x, Tensor()).shape() == Shape{3});
      // Widths 2, 4, 8, 16: the head reads 16 maps.
      const auto sd = D.state_dict();
      bool head16 = false;
      for (auto& kv : sd)
        head16 = head16 || (kv.second.dim() == 4 && kv.second.size(0) == 1 && kv.second.size(1) == 16);
      CHECK(head16);
    }
  }
  TrainOptions o;
  o.model = "dcgan";
  o.d_layout = "deep";
  CHECK_THROWS_WITH(o.validate(), Catch::Contains("d_layout 'deep' is for the BatchNorm-free critic"));
  o.model = "sngan";
  CHECK_NOTHROW(o.validate());
  o.d_layout = "wide";
  CHECK_THROWS_WITH(o.validate(), Catch::Contains("d_layout"));
}
