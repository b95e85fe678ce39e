// tests/test_sr_trainer.cpp — the two-stage super-resolution trainer
// (gan/sr_trainer.h): the esrgan/realesrgan options and their checks, exact
// resume within stage 1, at the stage boundary and within stage 2, init_g,
// reading the generator back for inference, and the SR evaluation
// (gan/sr_eval.h) on a tiny picture folder made here.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "autograd/ops.h"
#include "core/error.h"
#include "core/rng.h"
#include "gan/config.h"
#include "gan/data/image.h"
#include "gan/models/sr/features.h"
#include "gan/sr_eval.h"
#include "gan/sr_trainer.h"
#include "nn/safetensors.h"

using namespace gantry;
using namespace gantry::gan;
namespace fs = std::filesystem;

namespace {

// A fresh folder of 5 smooth 40x40 RGB pictures a.png .. e.png (so
// test_every 4 holds out d.png).
std::string picture_folder() {
  static int counter = 0;
  const fs::path dir = fs::temp_directory_path() /
                       ("gantry_sr_trainer_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (int i = 0; i < 5; ++i) {
    Tensor img = zeros({1, 3, 40, 40});
    float* p = img.data<float>();
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 40; ++y)
        for (int x = 0; x < 40; ++x)
          p[(c * 40 + y) * 40 + x] = static_cast<float>(
              0.8 * std::sin(0.3 * x + 0.2 * y * (c + 1) + i) * std::cos(0.15 * y - 0.1 * x * i));
    save_png_grid((dir / (std::string(1, static_cast<char>('a' + i)) + ".png")).string(), img, 1, 0);
  }
  return dir.string();
}

TrainOptions sr_options(const std::string& model, const std::string& data, const std::string& out) {
  TrainOptions o;
  o.set_model_defaults(model);
  o.data = data;
  if (model == "realesrgan") o.sr_net = "compact";
  o.channels = 3;
  o.out = out;
  o.scale = 2;
  o.patch = 16;
  o.batch = 2;
  o.sr_features = 8;
  o.sr_blocks = 1;
  o.sr_growth = 4;
  o.sr_skip = model == "esrgan";
  o.d_width = 4;
  o.steps = 6;
  o.stage1_steps = 3;
  o.threads = 1;
  o.quiet = true;
  o.validate();
  return o;
}

void require_equal(const nn::Module& a, const nn::Module& b) {
  const auto sa = a.state_dict(), sb = b.state_dict();
  REQUIRE(sa.size() == sb.size());
  for (size_t i = 0; i < sa.size(); ++i) {
    INFO(sa[i].first);
    REQUIRE(sa[i].first == sb[i].first);
    REQUIRE(max(abs(sub(core::cast(sa[i].second, kFloat64), core::cast(sb[i].second, kFloat64)))).item<double>() == 0.0);
  }
}

}  // namespace

TEST_CASE("esrgan and realesrgan options: the papers' objectives and the checks between options", "[sr][options]") {
  TrainOptions o;
  o.set_model_defaults("esrgan");
  CHECK(o.loss == "relativistic");
  CHECK(o.beta1 == 0.9);
  CHECK(o.beta2 == 0.99);
  CHECK(o.lr_g == 1e-4);
  CHECK(o.l1_weight == 0.01);
  CHECK(o.gan_weight == 0.005);
  CHECK(o.sr_d == "vgg");
  CHECK(o.degradation == "bicubic");
  o.set_model_defaults("realesrgan");
  CHECK(o.loss == "nonsaturating");
  CHECK(o.sr_d == "unet");
  CHECK(o.degradation == "real");
  CHECK(o.gan_weight == 0.1);
  // Back to a GAN model: the SR objective does not leak into it.
  o.set_model_defaults("dcgan");
  CHECK(o.loss == "nonsaturating");
  CHECK(o.sr_d == "vgg");

  TrainOptions base = sr_options("esrgan", "/nonexistent", "/tmp/x");
  auto bad = [&](auto change, const char* msg) {
    TrainOptions t = base;
    change(t);
    CHECK_THROWS_WITH(t.validate(), Catch::Contains(msg));
  };
  bad([](TrainOptions& t) { t.patch = 20; }, "power-of-two");
  bad([](TrainOptions& t) { t.scale = 4; t.patch = 18; }, "multiple of scale");
  bad([](TrainOptions& t) { t.stage1_steps = 7; }, "exceeds steps");
  bad([](TrainOptions& t) { t.steps = 0; t.epochs = 2; }, "trains by steps");
  bad([](TrainOptions& t) { t.scale = 3; }, "rrdb upscales by 1, 2 or 4");
  bad([](TrainOptions& t) { t.data = "fashion-mnist"; t.channels = 1; t.patch = 32; }, "28x28");
  bad([](TrainOptions& t) { t.sr_d = "unet"; t.patch = 20; }, "divisible by 8");
  // "relativistic" is an SR loss only.
  Config c = Config::parse("model = \"dcgan\"\nloss = \"relativistic\"\n", "cfg.toml");
  TrainOptions d;
  CHECK_THROWS_WITH(d.apply(c), Catch::Contains("relativistic"));
  Config c2 = Config::parse("model = \"esrgan\"\nloss = \"relativistic\"\nsteps = 4\nstage1_steps = 2\n"
                            "patch = 16\ndata = \"photos\"\nchannels = 3\n",
                            "cfg.toml");
  TrainOptions e;
  e.apply(c2);
  CHECK(e.loss == "relativistic");
}

TEST_CASE("FeatureNet: fixed weights, zero distance to itself, gradients reach the image", "[sr][nn]") {
  FeatureNet a(3), b(3);
  require_equal(a, b);  // the same weights every time: one space for every run
  for (const Tensor& p : a.parameters()) CHECK_FALSE(p.requires_grad());
  manual_seed(3);
  Tensor x = rand({2, 3, 16, 16});
  Tensor y = rand({2, 3, 16, 16});
  CHECK(perceptual_loss(a, x, x).item<double>() == 0.0);
  Tensor xr = x.detach().requires_grad_(true);
  Tensor d = perceptual_loss(a, xr, y);
  CHECK(d.item<double>() > 0.0);
  d.backward();
  REQUIRE(xr.grad().defined());
  CHECK(max(abs(xr.grad())).item<double>() > 0.0);
  CHECK_THROWS_WITH(perceptual_loss(a, x, rand({2, 3, 8, 8})), Catch::Contains("differ in shape"));
}

TEST_CASE("SR trainer: a run resumed in stage 1, at the boundary or in stage 2 equals the uninterrupted one",
          "[sr][trainer]") {
  const std::string data = picture_folder();
  const std::string out = data + "_run";
  SRTrainer full(sr_options("esrgan", data, out));
  CHECK(full.train_set().pictures.size() == 4);
  REQUIRE(full.test_set().pictures.size() == 1);
  CHECK(full.test_set().pictures[0].name == "d.png");
  fs::create_directories(out);
  for (int s = 1; s <= 6; ++s) {
    const SRStepStats st = full.train_step();
    CHECK(st.step == s);
    CHECK(st.stage == (s <= 3 ? 1 : 2));
    CHECK(std::isfinite(st.l1));
    if (st.stage == 2) {
      CHECK(std::isfinite(st.d_loss));
      CHECK(st.perceptual > 0);
      CHECK(full.discriminator() != nullptr);
    }
    if (s == 2 || s == 3 || s == 4) full.save_checkpoint(out + "/at" + std::to_string(s) + ".safetensors");
  }
  for (int s : {2, 3, 4}) {
    INFO("resumed at step " << s);
    SRTrainer resumed(sr_options("esrgan", data, out));
    resumed.load_checkpoint(out + "/at" + std::to_string(s) + ".safetensors");
    CHECK(resumed.step() == s);
    while (resumed.step() < 6) resumed.train_step();
    require_equal(full.generator(), resumed.generator());
    require_equal(*full.discriminator(), *resumed.discriminator());
    require_equal(full.sampler(), resumed.sampler());
  }
  {  // a stage-2 trainer loading a stage-1 checkpoint goes back to stage 1's state
    SRTrainer back(sr_options("esrgan", data, out));
    back.load_checkpoint(out + "/at4.safetensors");
    back.load_checkpoint(out + "/at2.safetensors");
    CHECK(back.discriminator() == nullptr);
    while (back.step() < 6) back.train_step();
    require_equal(full.generator(), back.generator());
  }
  // A checkpoint of another architecture or stage plan is refused by name.
  TrainOptions other = sr_options("esrgan", data, out);
  other.sr_features = 6;
  SRTrainer wrong(other);
  CHECK_THROWS_WITH(wrong.load_checkpoint(out + "/at4.safetensors"), Catch::Contains("sr_features"));
  TrainOptions later = sr_options("esrgan", data, out);
  later.stage1_steps = 5;
  SRTrainer plan(later);
  CHECK_THROWS_WITH(plan.load_checkpoint(out + "/at4.safetensors"), Catch::Contains("stage1_steps"));
  TrainOptions earlier = sr_options("esrgan", data, out);
  earlier.stage1_steps = 2;
  SRTrainer plan2(earlier);
  CHECK_THROWS_WITH(plan2.load_checkpoint(out + "/at4.safetensors"), Catch::Contains("stage 1 ended at step 3"));

  // The generator back for inference: the EMA weights, the right scale.
  LoadedSR g = load_sr_generator(out + "/at4.safetensors");
  CHECK(g.scale == 2);
  CHECK(g.ema);
  CHECK(g.multiple == 2);  // rrdb at x2 pixel-unshuffles by 2
  CHECK(is_sr_checkpoint(out + "/at4.safetensors"));
  TileOptions t{8, 2, g.multiple};
  Tensor odd = rand({1, 3, 13, 11});
  Tensor y = upscale(*g.net, odd, g.scale, t);  // odd sides: padded, run, cropped
  CHECK(y.shape() == Shape{1, 3, 26, 22});
  {  // the crop keeps the top-left: equal to the net on the edge-padded image, cut back
    NoGradGuard ng;
    Tensor padded = pad(odd, {0, 1, 0, 1}, PadMode::Replicate);  // [1, 3, 14, 12]
    Tensor direct = core::contiguous(core::slice(core::slice(g.net->forward(padded), 2, 0, 26, 1), 3, 0, 22, 1));
    Tensor whole = upscale(*g.net, odd, g.scale, TileOptions{0, 0, g.multiple});
    CHECK(max(abs(sub(whole, direct))).item<double>() < 1e-5);
  }
  CHECK_THROWS_WITH(upscale(*g.net, odd, g.scale, TileOptions{8, 8, 2}), Catch::Contains("smaller than the tile"));

  // init_g: stage 2 alone from another run's weights (its EMA's).
  TrainOptions s2 = sr_options("esrgan", data, out);
  s2.stage1_steps = 0;
  s2.init_g = out + "/at3.safetensors";
  SRTrainer from(s2);
  LoadedSR at3 = load_sr_generator(out + "/at3.safetensors");
  require_equal(from.generator(), *at3.net);
  s2.init_g = data + "/a.png";
  CHECK_THROWS(SRTrainer(s2));
  // A safetensors file that is not an SR checkpoint is refused by name.
  nn::save_safetensors(out + "/plain.safetensors", {{"w", zeros({2})}}, {{"format", "gantry-checkpoint"}});
  CHECK_THROWS_WITH(load_sr_generator(out + "/plain.safetensors"),
                    Catch::Contains("not a Gantry super-resolution checkpoint"));
  CHECK_FALSE(is_sr_checkpoint(out + "/plain.safetensors"));
  fs::remove_all(data);
  fs::remove_all(out);
}

TEST_CASE("SR trainer: realesrgan (U-Net D, real-world degradations, vanilla loss) runs through run() and resumes",
          "[sr][trainer]") {
  const std::string data = picture_folder();
  const std::string out = data + "_run";
  TrainOptions o = sr_options("realesrgan", data, out);
  o.steps = 4;
  o.stage1_steps = 2;
  o.checkpoint_every = 2;
  o.sample_every = 2;
  o.log_every = 1;
  {
    SRTrainer t(o);
    t.run();
    CHECK(t.step() == 4);
  }
  CHECK(fs::exists(out + "/checkpoint.safetensors"));
  CHECK(fs::exists(out + "/stage1.safetensors"));
  CHECK(fs::exists(out + "/samples/step_4.png"));
  // metrics.csv: a header and one row per step; a resumed, longer run continues it.
  auto rows = [&] {
    std::ifstream f(out + "/metrics.csv");
    std::string line;
    int n = 0;
    while (std::getline(f, line)) ++n;
    return n;
  };
  CHECK(rows() == 5);
  {  // a row past the checkpoint (as an interrupted run leaves) goes on resume
    std::ofstream f(out + "/metrics.csv", std::ios::app);
    f << "99,2,0,0,0,0,0,0,0\n";
  }
  CHECK(rows() == 6);
  o.steps = 5;
  o.resume = true;
  SRTrainer more(o);
  more.run();
  CHECK(more.step() == 5);
  CHECK(rows() == 6);
  {
    std::ifstream f(out + "/metrics.csv");
    std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    CHECK(all.find("\n99,") == std::string::npos);
    CHECK(all.find("\n5,2,") != std::string::npos);
  }
  // A patch bigger than the pictures is an error naming one.
  TrainOptions big = o;
  big.patch = 64;
  CHECK_THROWS_WITH(SRTrainer(big), Catch::Contains("smaller than the 64x64 training patch"));
  fs::remove_all(data);
  fs::remove_all(out);
}

namespace {
// x2 by repeating pixels: a stand-in model for the evaluation's test.
struct Nearest2 : nn::Module {
  Tensor forward(const Tensor& x) override { return upsample_nearest2d(x, {x.size(2) * 2, x.size(3) * 2}); }
};
}  // namespace

TEST_CASE("evaluate_sr: bicubic beats pixel repetition on smooth pictures, and the crops PNG has a row per picture",
          "[sr][metrics]") {
  const std::string data = picture_folder();
  PictureSet set = load_pictures(data, 3);
  Nearest2 net;
  SREvalOptions o;
  o.scale = 2;
  o.tiles = TileOptions{0, 0, 1};
  o.crops_png = data + "/crops.png";
  o.crop_size = 16;
  const SREvaluation ev = evaluate_sr(net, set, o);
  CHECK(ev.pictures == 5);
  CHECK(ev.bicubic.psnr_y > ev.model.psnr_y);
  CHECK(ev.bicubic.psnr_y > 25.0);
  CHECK(ev.model.ssim_y < 1.0);
  CHECK(ev.model.perceptual > 0.0);
  // Blocky repetition has more Laplacian energy than the smooth bicubic.
  CHECK(ev.model.hf_ratio > ev.bicubic.hf_ratio);
  const Tensor crops = load_image(o.crops_png, 3);
  CHECK(crops.size(1) == 5 * (16 + 2) + 2);
  CHECK(crops.size(2) == 3 * (16 + 2) + 2);
  fs::remove_all(data);
}
