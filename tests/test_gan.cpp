// tests/test_gan.cpp — GAN losses, the DCGAN architecture, the trainer's
// exact resume, its non-finite-loss guard, and a short end-to-end run on real
// Fashion-MNIST (skipped when Debian's dataset-fashion-mnist is missing).
#include <catch2/catch.hpp>

#include "tests/test_skip.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "autograd/gradcheck.h"
#include "gan/data/image.h"
#include "gan/losses.h"
#include "gan/models/dcgan/dcgan.h"
#include "gan/trainer.h"
#include "tests/test_images.h"

using namespace gantry;
using namespace gantry::gan;
namespace fs = std::filesystem;

namespace {

double val(const Tensor& t) { return t.item<double>(); }
double sp(double x) { return std::log1p(std::exp(x)); }  // softplus

std::string synthetic_folder(int n) {
  return testutil::synthetic_image_folder("gantry_test_images", n, 77);
}

TrainOptions small_options(const std::string& data, const std::string& out) {
  TrainOptions o;
  o.data = data;
  o.batch = 16;
  o.steps = 40;
  o.seed = 3;
  o.out = out;
  o.quiet = true;
  o.sample_every = 0;
  o.checkpoint_every = 0;
  o.ema_decay = 0.9;
  return o;
}

std::string bytes_of(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("GAN losses match their formulas", "[gan]") {
  Tensor r = from_vector<double>({2.0, -1.0}, {2}), f = from_vector<double>({0.5, -3.0}, {2});
  Tensor t = from_vector<double>({0.9, 0.8}, {2});
  auto bce = [](double x, double y) { return sp(x) - y * x; };
  double ns_d = (bce(2, 0.9) + bce(-1, 0.8)) / 2 + (bce(0.5, 0) + bce(-3, 0)) / 2;
  CHECK(val(discriminator_loss(LossKind::NonSaturating, r, f, t)) == Approx(ns_d));
  CHECK(val(generator_loss(LossKind::NonSaturating, f)) == Approx((bce(0.5, 1) + bce(-3, 1)) / 2));
  CHECK(val(generator_loss(LossKind::Minimax, f)) == Approx(-(sp(0.5) + sp(-3)) / 2));
  CHECK(val(discriminator_loss(LossKind::LeastSquares, r, f)) ==
        Approx(0.5 * ((1 + 4) / 2.0) + 0.5 * ((0.25 + 9) / 2.0)));
  CHECK(val(generator_loss(LossKind::LeastSquares, f)) == Approx(0.5 * ((0.25 + 16) / 2.0)));
  CHECK(val(discriminator_loss(LossKind::Hinge, r, f)) == Approx((0 + 2) / 2.0 + (1.5 + 0) / 2.0));
  CHECK(val(generator_loss(LossKind::Hinge, f)) == Approx(1.25));
  CHECK(val(discriminator_loss(LossKind::Wasserstein, r, f)) == Approx(-1.25 - 0.5));
  CHECK(val(generator_loss(LossKind::Wasserstein, f)) == Approx(1.25));
  CHECK_THROWS_WITH(parse_loss("nope"), Catch::Contains("unknown GAN loss 'nope'"));
  // Stable for huge logits.
  Tensor big = from_vector<double>({500.0, -500.0}, {2});
  CHECK(std::isfinite(val(discriminator_loss(LossKind::NonSaturating, big, big))));
}

TEST_CASE("relativistic average losses match their formulas and reach both sides", "[gan]") {
  Tensor r = from_vector<double>({2.0, -1.0, 0.5}, {3, 1}), f = from_vector<double>({0.5, -3.0, 1.0}, {3, 1});
  auto bce = [](double x, double y) { return sp(x) - y * x; };
  const double mr = 0.5, mf = -0.5;  // the means of r and f
  const double rs[] = {2.0, -1.0, 0.5}, fs[] = {0.5, -3.0, 1.0};
  double d = 0, g = 0;
  for (int i = 0; i < 3; ++i) {
    d += 0.5 * (bce(rs[i] - mf, 1) + bce(fs[i] - mr, 0)) / 3;
    g += 0.5 * (bce(rs[i] - mf, 0) + bce(fs[i] - mr, 1)) / 3;
  }
  CHECK(val(relativistic_d_loss(r, f)) == Approx(d).epsilon(1e-12));
  CHECK(val(relativistic_g_loss(r, f)) == Approx(g).epsilon(1e-12));
  // G's loss moves with the real logits too, D's with the fake ones.
  Tensor rr = r.clone().requires_grad_();
  relativistic_g_loss(rr, f).backward();
  REQUIRE(rr.grad().defined());
  double gn = 0;
  for (double v : rr.grad().to_vector<double>()) gn += std::fabs(v);
  CHECK(gn > 0);
  CHECK_THROWS_WITH(relativistic_d_loss(r, from_vector<double>({1.0}, {1})), Catch::Contains("differ in shape"));
  // Both losses' derivatives in both arguments, against finite differences.
  Tensor rg = r.clone().requires_grad_(), fg = f.clone().requires_grad_();
  for (auto loss : {relativistic_d_loss, relativistic_g_loss}) {
    auto fn = [loss](const Tensors& in) { return Tensors{loss(in[0], in[1])}; };
    auto g1 = autograd::gradcheck(fn, {rg, fg});
    INFO(g1.message);
    CHECK(g1.ok);
  }
}

TEST_CASE("DCGAN matches the LibTorch example's architecture", "[gan]") {
  DCGANGenerator G;
  DCGANDiscriminator D;
  auto count = [](const nn::Module& m) {
    int64_t n = 0;
    for (const auto& p : m.parameters()) n += p.numel();
    return n;
  };
  // G: 100*256*16 + 256*128*9 + 128*64*16 + 64*16 conv weights, BN affine 2*(256+128+64).
  CHECK(count(G) == 837504);
  // D: 16*64 + 64*128*16 + 128*256*16 + 256*9 conv weights, BN affine 2*(128+256).
  CHECK(count(D) == 659456);
  // No conv biases: the only biases are the batch norms' (main.1, .4, .7).
  for (const auto& kv : G.named_parameters()) {
    const bool is_bias = kv.first.find("bias") != std::string::npos;
    const bool is_bn = kv.first.rfind("main.1.", 0) == 0 || kv.first.rfind("main.4.", 0) == 0 ||
                       kv.first.rfind("main.7.", 0) == 0;
    INFO(kv.first);
    CHECK((!is_bias || is_bn));
  }
  Tensor z = randn({3, 100});
  Tensor x = G.forward(z);
  CHECK(x.shape() == Shape{3, 1, 28, 28});
  CHECK(max(abs(x)).item<float>() <= 1.0f);
  CHECK(D.forward(x).shape() == Shape{3});
  CHECK_THROWS_WITH(D.forward(zeros({2, 1, 32, 32})), Catch::Contains("[N, 1, 28, 28]"));
}

TEST_CASE("resuming mid-epoch gives bit-identical weights", "[gan][resume]") {
  const std::string data = synthetic_folder(64);  // 4 batches of 16 per epoch
  const std::string a = (fs::temp_directory_path() / "gantry_resume_a").string();
  const std::string b = (fs::temp_directory_path() / "gantry_resume_b").string();
  fs::remove_all(a);
  fs::remove_all(b);
  // Straight: 10 steps.
  TrainOptions oa = small_options(data, a);
  oa.steps = 10;
  Trainer straight(oa);
  straight.run();
  // Interrupted: 5 steps (mid-epoch 2, after a reshuffle), checkpoint, a new
  // process-like trainer resumes and finishes.
  TrainOptions ob = small_options(data, b);
  ob.steps = 5;
  {
    Trainer first(ob);
    first.run();
    first.save_checkpoint(first.checkpoint_path());
  }
  ob.steps = 10;
  ob.resume = true;
  manual_seed(12345);  // disturb the global RNG: the checkpoint must restore it
  Trainer second(ob);
  second.run();
  REQUIRE(second.step() == 10);
  auto same = [](const nn::NamedTensors& x, const nn::NamedTensors& y) {
    REQUIRE(x.size() == y.size());
    for (size_t i = 0; i < x.size(); ++i) {
      INFO(x[i].first);
      CHECK(x[i].first == y[i].first);
      CHECK(x[i].second.to_vector<double>() == y[i].second.to_vector<double>());
    }
  };
  same(straight.generator().state_dict(), second.generator().state_dict());
  same(straight.discriminator().state_dict(), second.discriminator().state_dict());
  same(straight.sampler().state_dict(), second.sampler().state_dict());  // EMA
}

TEST_CASE("max_minutes ends the run early, as its end: samples and checkpoint, then resume", "[gan][resume]") {
  const std::string data = synthetic_folder(64);
  const std::string a = (fs::temp_directory_path() / "gantry_max_minutes").string();
  fs::remove_all(a);
  TrainOptions o = small_options(data, a);
  o.steps = 1000;
  o.max_minutes = 1e-9;  // spent during the first step
  o.checkpoint_every = 500;
  o.sample_every = 500;
  {
    Trainer t(o);
    t.run();
    REQUIRE(t.step() == 1);
  }
  REQUIRE(fs::exists(a + "/checkpoint.safetensors"));
  REQUIRE(fs::exists(a + "/samples"));
  CHECK_FALSE(fs::is_empty(a + "/samples"));
  // A resume continues from the saved step; without the budget it runs to the end.
  o.resume = true;
  o.max_minutes = 0;
  o.steps = 4;
  Trainer r(o);
  r.run();
  CHECK(r.step() == 4);
}

TEST_CASE("a non-finite loss stops the run, naming step and network, checkpoint intact",
          "[gan]") {
  const std::string data = synthetic_folder(32);
  const std::string out = (fs::temp_directory_path() / "gantry_nan").string();
  fs::remove_all(out);
  TrainOptions o = small_options(data, out);
  o.steps = 3;
  Trainer t(o);
  t.train_step();
  fs::create_directories(out);
  t.save_checkpoint(t.checkpoint_path());
  const std::string before = bytes_of(t.checkpoint_path());
  {
    NoGradGuard ng;
    Tensor w = t.discriminator().parameters()[0];
    core::fill_(w, std::nan(""));
  }
  CHECK_THROWS_WITH(t.train_step(), Catch::Contains("step 2") &&
                                        Catch::Contains("discriminator loss is nan"));
  CHECK(bytes_of(t.checkpoint_path()) == before);
}

TEST_CASE("DCGAN trains a few steps on real Fashion-MNIST", "[gan][e2e]") {
  if (!fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) {
    GANTRY_SKIP("Fashion-MNIST not installed (Debian's dataset-fashion-mnist)");
  }
  const std::string out = (fs::temp_directory_path() / "gantry_e2e").string();
  fs::remove_all(out);
  TrainOptions o;
  o.data_limit = 512;
  o.batch = 32;
  o.steps = 8;
  o.out = out;
  o.quiet = true;
  o.sample_every = 8;
  o.checkpoint_every = 8;
  Trainer t(o);
  auto before = t.generator().state_dict();
  std::vector<std::vector<double>> w0;
  for (auto& kv : before) w0.push_back(kv.second.to_vector<double>());
  t.run();
  CHECK(t.step() == 8);
  auto after = t.generator().state_dict();
  int moved = 0;
  for (size_t i = 0; i < after.size(); ++i) moved += after[i].second.to_vector<double>() != w0[i];
  CHECK(moved > 0);
  CHECK(fs::exists(out + "/checkpoint.safetensors"));
  CHECK(fs::exists(out + "/samples/step_000008.png"));
  std::ifstream m(out + "/metrics.csv");
  std::string header, line, last;
  std::getline(m, header);
  CHECK(header.rfind("step,epoch,d_loss,g_loss", 0) == 0);
  while (std::getline(m, line)) last = line;
  CHECK(last.rfind("8,", 0) == 0);
  CHECK(last.find("nan") == std::string::npos);
  CHECK(last.find("inf") == std::string::npos);
}

TEST_CASE("divergence guard: rollback reloads the last good checkpoint with lower rates",
          "[gan][reliability]") {
  const std::string data = synthetic_folder(32);
  const std::string out = (fs::temp_directory_path() / "gantry_rollback").string();
  fs::remove_all(out);
  TrainOptions o = small_options(data, out);
  o.steps = 8;
  o.checkpoint_every = 2;
  o.on_divergence = "rollback";
  o.rollback_lr_factor = 0.5;
  Trainer t(o);
  fs::create_directories(out);
  for (int i = 0; i < 4; ++i) t.train_step();
  t.save_checkpoint(t.checkpoint_path());
  {
    NoGradGuard ng;
    core::fill_(t.discriminator().parameters()[0], std::nan(""));
  }
  t.run();  // step 5 diverges, rolls back to 4, finishes at 8
  CHECK(t.step() == 8);
  CHECK(t.rollbacks() == 1);
  CHECK(t.lr_scale() == 0.5);
  for (const auto& kv : t.discriminator().state_dict())
    if (is_floating(kv.second.dtype()))
      CHECK(std::isfinite(sum(kv.second).item<double>()));
  // The lowered rate is part of the checkpoint (a resumed run keeps it).
  TrainOptions o2 = o;
  o2.resume = true;
  Trainer r(o2);
  r.load_checkpoint(r.checkpoint_path());
  CHECK(r.lr_scale() == 0.5);
}

TEST_CASE("divergence guard: stop mode throws, NaN weights never overwrite a checkpoint",
          "[gan][reliability]") {
  const std::string data = synthetic_folder(32);
  const std::string out = (fs::temp_directory_path() / "gantry_nan_save").string();
  fs::remove_all(out);
  TrainOptions o = small_options(data, out);
  o.steps = 6;
  o.checkpoint_every = 2;
  Trainer t(o);
  fs::create_directories(out);
  t.train_step();
  t.save_checkpoint(t.checkpoint_path());
  const std::string before = bytes_of(t.checkpoint_path());
  {
    NoGradGuard ng;
    core::fill_(t.generator().parameters()[0], std::nan(""));
  }
  CHECK_THROWS_WITH(t.save_checkpoint(t.checkpoint_path()),
                    Catch::Contains("refusing to save") && Catch::Contains("main.0.weight"));
  CHECK(bytes_of(t.checkpoint_path()) == before);
  CHECK_THROWS_AS(t.run(), DivergenceError);
  CHECK(bytes_of(t.checkpoint_path()) == before);
}

TEST_CASE("resource errors: unwritable output, bad sizes, empty folders", "[gan][reliability]") {
  const std::string data = synthetic_folder(32);
  const std::string file = (fs::temp_directory_path() / "gantry_not_a_dir").string();
  fs::remove_all(file);
  std::ofstream(file) << "x";
  TrainOptions o = small_options(data, file + "/run");
  Trainer t(o);
  CHECK_THROWS_WITH(t.run(), Catch::Contains("cannot create the output directory"));
  TrainOptions big = small_options(data, "/tmp/unused");
  big.batch = 64;  // 32 images
  CHECK_THROWS_WITH(Trainer(big), Catch::Contains("fewer than one batch"));
  TrainOptions zero = small_options(data, "/tmp/unused");
  zero.batch = 0;
  CHECK_THROWS_WITH(Trainer(zero), Catch::Contains("batch must be at least 2"));
  const std::string empty = (fs::temp_directory_path() / "gantry_empty_folder").string();
  fs::remove_all(empty);
  fs::create_directories(empty);
  CHECK_THROWS_AS(Trainer(small_options(empty, "/tmp/unused")), Error);
}

TEST_CASE("clip_grad_norm: clipped gradients move the weights less, and 0 leaves the run as it was",
          "[gan]") {
  const std::string data = synthetic_folder(32);
  auto moved = [&](double clip) {
    TrainOptions o = small_options(data, (fs::temp_directory_path() / "gantry_clip").string());
    o.clip_grad_norm = clip;
    Trainer t(o);
    const auto w0 = t.generator().parameters()[0].to_vector<double>();
    t.train_step();
    const auto w1 = t.generator().parameters()[0].to_vector<double>();
    double m = 0;
    for (size_t i = 0; i < w0.size(); ++i) m = std::max(m, std::abs(w1[i] - w0[i]));
    return m;
  };
  const double free = moved(0), clipped = moved(1e-12);
  INFO("max |dw| unclipped " << free << ", clipped " << clipped);
  CHECK(clipped < 0.5 * free);  // Adam's eps dominates gradients of norm 1e-12
  CHECK(moved(1e6) == free);    // a bound far above the norm changes nothing
  TrainOptions bad;
  CHECK_THROWS_WITH(bad.apply(Config::parse("clip_grad_norm = -1.0\n", "c.toml")),
                    Catch::Contains("clip_grad_norm"));
}
