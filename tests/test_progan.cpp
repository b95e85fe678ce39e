// tests/test_progan.cpp — progressive growing: the schedule (gan/growth.h),
// the growing networks (alpha = 0 is exactly the previous level, alpha = 1
// the new one; second derivatives through a fade for the gradient penalty),
// the resolution-general data path (Fashion-MNIST padding, folder resizing,
// the metrics' input rule), and the trainer: per-phase batches, optimizer
// resets, bit-exact resume across phase boundaries and mid-fade, and the
// errors for schedules that cannot work.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "autograd/gradcheck.h"
#include "core/error.h"
#include "gan/checkpoint.h"
#include "gan/data/idx.h"
#include "gan/data/image.h"
#include "gan/growth.h"
#include "gan/metrics/evaluator.h"
#include "gan/models/progan/progan.h"
#include "gan/trainer.h"
#include "nn/safetensors.h"
#include "tests/test_images.h"
#include "tests/test_skip.h"

using namespace gantry;
using namespace gantry::gan;
namespace fs = std::filesystem;

namespace {
std::vector<double> vals(const Tensor& t) { return to(t, kFloat64).to_vector<double>(); }

ModelConfig small_config(int64_t res) {
  ModelConfig c;
  c.latent = 8;
  c.resolution = res;
  c.fmap_base = 64;
  c.fmap_max = 8;
  c.mbstd_group = 2;
  return c;
}

TrainOptions growing_options(const std::string& data, const std::string& out) {
  TrainOptions o;
  Config c = Config::parse("model = \"progan\"\n", "t");
  o.apply(c);
  o.data = data;
  o.out = out;
  o.resolution = 8;
  o.latent = 8;
  o.fmap_base = 64;
  o.fmap_max = 8;
  o.phase_images = 32;
  o.batch = 8;
  o.phase_batch.set("8", 4);  // 4x4: 4 steps of 8; 8x8: fade 8 steps of 4, stable 8
  o.eval_phases = false;
  o.sample_every = 0;
  o.checkpoint_every = 0;
  o.log_every = 100;
  o.threads = 1;
  o.validate();
  return o;
}
}  // namespace

TEST_CASE("growth schedule: phases, alpha, per-resolution batches, resets", "[progan]") {
  GrowthSchedule g(4, 32, 100, 10, {{32, 5}});
  CHECK(g.phases() == 4);
  CHECK(g.total_images() == 700);
  GrowthState s = g.at(0);
  CHECK((s.phase == 0 && s.resolution == 4 && !s.fading && s.alpha == 1.0 && s.batch == 10 && !s.done));
  s = g.at(99);
  CHECK((s.phase == 0 && !s.fading));
  s = g.at(100);  // phase 1 begins with its fade-in
  CHECK((s.phase == 1 && s.resolution == 8 && s.fading && s.alpha == 0.0));
  s = g.at(150);
  CHECK((s.fading && s.alpha == 0.5));
  s = g.at(200);  // stable half
  CHECK((s.phase == 1 && !s.fading && s.alpha == 1.0));
  s = g.at(500);
  CHECK((s.phase == 3 && s.resolution == 32 && s.fading && s.batch == 5));
  s = g.at(700);
  CHECK((s.phase == 3 && s.done && !s.fading && s.resolution == 32));
  // Steps: 100/10 + 200/10 + 200/10 + 200/5.
  CHECK(g.total_steps() == 10 + 20 + 20 + 40);
  CHECK(GrowthSchedule::reset_between(g.at(99), g.at(100)));   // a fade-in starts
  CHECK(GrowthSchedule::reset_between(g.at(199), g.at(200)));  // it ends
  CHECK_FALSE(GrowthSchedule::reset_between(g.at(120), g.at(130)));
  CHECK_FALSE(GrowthSchedule::reset_between(g.at(650), g.at(700)));  // stable, then past the schedule
  CHECK_THROWS_WITH(GrowthSchedule(4, 24, 10, 4), Catch::Contains("powers of two"));
  CHECK_THROWS_WITH(GrowthSchedule(8, 8, 10, 4), Catch::Contains("start < final"));
  CHECK_THROWS_WITH(GrowthSchedule(4, 16, 10, 4, {{64, 2}}), Catch::Contains("never reaches"));
}

TEST_CASE("progan networks: shapes per level, alpha 0 is the previous level, alpha 1 the new one", "[progan]") {
  manual_seed(7);
  ModelConfig c = small_config(16);
  ProGANGenerator G(c);
  ProGANDiscriminator D(c);
  CHECK(G.max_level() == 2);
  CHECK(G.resolution() == 16);  // a fresh network is the full one
  Tensor z = randn({4, 8});
  NoGradGuard ng;
  for (int64_t level = 0; level <= 2; ++level) {
    G.set_growth(level, 1.0);
    D.set_growth(level, 1.0);
    const int64_t r = 4 << level;
    Tensor x = G.generate(z, Tensor());
    CHECK(x.shape() == Shape{4, 1, r, r});
    CHECK(D.score(x, Tensor()).shape() == Shape{4});
    CHECK_THROWS_WITH(D.score(zeros({4, 1, 2 * r, 2 * r}), Tensor()), Catch::Contains("at this growth level"));
  }
  // G: level 2 at alpha 0 = level 1's output, pixels repeated; D: level 2 at
  // alpha 0 on x = level 1 on x shrunk 2x2.
  G.set_growth(1, 1.0);
  const Tensor prev = upsample_nearest2d(G.generate(z, Tensor()), {16, 16});
  G.set_growth(2, 0.0);
  CHECK(vals(G.generate(z, Tensor())) == vals(prev));
  Tensor x16 = randn({4, 1, 16, 16});
  D.set_growth(1, 1.0);
  const auto d_prev = vals(D.score(avg_pool2d(x16, {2, 2}), Tensor()));
  D.set_growth(2, 0.0);
  CHECK(vals(D.score(x16, Tensor())) == d_prev);
  // alpha 1 during the fade is the stable network; alpha 0.5 lies between.
  G.set_growth(2, 1.0);
  const auto full = vals(G.generate(z, Tensor()));
  G.set_growth(2, 0.5);
  const auto half = vals(G.generate(z, Tensor()));
  const auto low = vals(prev);
  for (size_t i = 0; i < half.size(); ++i) CHECK(half[i] == Approx(0.5 * (low[i] + full[i])).margin(1e-5));
  CHECK_THROWS_WITH(G.set_growth(3, 1.0), Catch::Contains("level 3 is outside [0, 2]"));
  CHECK_THROWS_WITH(D.set_growth(1, 1.5), Catch::Contains("alpha 1.5"));
  // Parameter names say the resolution; blocks of every level exist from the start.
  bool has = false;
  for (const auto& kv : G.named_parameters()) has = has || kv.first == "b16.conv0.weight";
  CHECK(has);
}

TEST_CASE("progan D mid-fade: gradcheck and gradgradcheck (the gradient penalty's derivatives)", "[progan]") {
  manual_seed(8);
  ModelConfig c = small_config(8);
  c.fmap_base = 16;
  c.fmap_max = 2;
  ProGANDiscriminator D(c);
  D.set_growth(1, 0.3);
  D.to(kFloat64);
  Tensor x = randn({2, 1, 8, 8}, Options(kFloat64)).requires_grad_();
  auto f = [&D](const Tensors& in) { return Tensors{D.score(in[0], Tensor())}; };
  const auto g = autograd::gradcheck(f, {x});
  INFO(g.message);
  CHECK(g.ok);
  const auto gg = autograd::gradgradcheck(f, {x});
  INFO(gg.message);
  CHECK(gg.ok);
}

TEST_CASE("resolution-general data: Fashion-MNIST padding, folder resizing, the metric rule", "[progan][data]") {
  Tensor img = full({2, 1, 28, 28}, 0.5);
  Tensor p = fit_fashion_mnist(img, 32);
  REQUIRE(p.shape() == Shape{2, 1, 32, 32});
  const auto pv = vals(p);
  CHECK(pv[0] == -1.0);                 // padding is background
  CHECK(pv[2 * 32 + 2] == 0.5);         // the image starts at (2, 2)
  Tensor q = fit_fashion_mnist(img, 16);  // padded, then 2x2 means
  REQUIRE(q.shape() == Shape{2, 1, 16, 16});
  CHECK(vals(q)[0] == -1.0);
  CHECK(vals(q)[1 * 16 + 1] == 0.5);   // covers 32-pixels (2..3, 2..3): all image
  CHECK(vals(q)[1 * 16] == -1.0);     // covers (2..3, 0..1): padding
  CHECK_THROWS_WITH(fit_fashion_mnist(img, 64), Catch::Contains("larger than the data"));
  CHECK_THROWS_WITH(fit_fashion_mnist(img, 24), Catch::Contains("not 28 or 32/2^k"));

  // Area shrinking: means over the covered input, partial pixels weighted.
  std::vector<float> ramp(6 * 6);
  for (int i = 0; i < 36; ++i) ramp[i] = static_cast<float>(i % 6);  // columns 0..5
  auto r3 = resize_square(ramp, 1, 6, 6, 3);                        // 2x2 blocks
  CHECK(r3[0] == Approx(0.5));
  CHECK(r3[1] == Approx(2.5));
  auto r4 = resize_square(ramp, 1, 6, 6, 4);  // 1.5-pixel bins: (0 + 0.5*1)/1.5
  CHECK(r4[0] == Approx(0.5 / 1.5));
  // Non-square: center crop first (columns 1..4 of a 4x6 image).
  std::vector<float> wide(4 * 6);
  for (int i = 0; i < 24; ++i) wide[i] = static_cast<float>(i % 6);
  auto c2 = resize_square(wide, 1, 4, 6, 2);
  CHECK(c2[0] == Approx(1.5));
  CHECK(c2[1] == Approx(3.5));
  // Enlarging is bilinear; constant stays constant.
  auto up = resize_square(std::vector<float>(4, 0.25f), 1, 2, 2, 5);
  for (float v : up) CHECK(v == Approx(0.25f));

  // Folders are shrunk to the model's resolution, never enlarged.
  const std::string dir = testutil::synthetic_image_folder("gantry_progan_resize", 3, 1);
  ImageDataset ds = load_image_folder(dir, 1, 8, /*resize=*/true);
  CHECK(ds.images.shape() == Shape{3, 1, 8, 8});
  CHECK_THROWS_WITH(load_image_folder(dir, 1, 64, true), Catch::Contains("smaller than the resolution 64"));

  // The metric rule: 28 as is; 32 cropped; 16 repeated to 32 then cropped; RGB to luminance.
  Tensor a = randn({2, 1, 28, 28});
  CHECK(vals(metrics::classifier_input(clamp(a, -1.0, 1.0))) == vals(clamp(a, -1.0, 1.0)));
  Tensor b = clamp(randn({2, 1, 32, 32}), -1.0, 1.0);
  CHECK(vals(metrics::classifier_input(b)) == vals(contiguous(slice(slice(b, 2, 2, 30), 3, 2, 30))));
  Tensor s16 = clamp(randn({2, 1, 16, 16}), -1.0, 1.0);
  CHECK(vals(metrics::classifier_input(s16)) ==
        vals(metrics::classifier_input(upsample_nearest2d(s16, {32, 32}))));
  Tensor rgb = cat({full({1, 1, 28, 28}, 1.0), full({1, 1, 28, 28}, 0.0), full({1, 1, 28, 28}, -1.0)}, 1);
  CHECK(vals(metrics::classifier_input(rgb))[0] == Approx(0.299 - 0.114));
  CHECK(metrics::classifier_input(randn({1, 1, 64, 64})).shape() == Shape{1, 1, 28, 28});
  CHECK_THROWS_WITH(metrics::classifier_input(randn({1, 2, 28, 28})), Catch::Contains("1 or 3"));
}

TEST_CASE("progan trainer: per-phase batches, Adam resets, exact resume mid-fade across a phase boundary",
          "[progan][resume]") {
  const std::string data = testutil::synthetic_image_folder("gantry_progan_data", 24, 3);
  const std::string a = (fs::temp_directory_path() / "gantry_progan_a").string();
  const std::string b = (fs::temp_directory_path() / "gantry_progan_b").string();
  fs::remove_all(a);
  fs::remove_all(b);
  TrainOptions oa = growing_options(data, a);
  oa.ema_decay = 0.9;
  oa.steps = 10;  // 4 steps at 4x4 (batch 8), then 6 of the 8x8 fade-in (batch 4)
  Trainer straight(oa);
  CHECK(straight.total_steps() == 10);
  REQUIRE(straight.growth() != nullptr);
  StepStats st;
  for (int i = 0; i < 4; ++i) st = straight.train_step();
  CHECK(st.resolution == 4);
  CHECK(st.phase_done);
  // The 8x8 fade-in starts with fresh Adam moments (the checkpoint holds none), the next step has some.
  fs::create_directories(a);
  auto adam_entries = [&]() {
    straight.save_checkpoint(a + "/probe.safetensors");
    int n = 0;
    for (const auto& kv : nn::load_safetensors(a + "/probe.safetensors").tensors)
      n += kv.first.rfind("opt_G.state.", 0) == 0 || kv.first.rfind("opt_D.state.", 0) == 0;
    return n;
  };
  CHECK(adam_entries() == 0);
  CHECK(straight.images_seen() == 32);
  CHECK(straight.growth()->phase == 1);
  CHECK(straight.growth()->fading);
  CHECK(straight.generator().resolution() == 8);
  st = straight.train_step();
  CHECK(adam_entries() > 0);
  for (int i = 0; i < 5; ++i) st = straight.train_step();
  CHECK(st.resolution == 8);
  CHECK(st.alpha == Approx(20.0 / 32));  // the 10th step starts after 5 fade batches of 4
  CHECK(straight.images_seen() == 32 + 24);

  // 5 steps (the boundary at 4, then one fade-in step), checkpoint mid-fade, a fresh trainer resumes to 10.
  TrainOptions ob = growing_options(data, b);
  ob.ema_decay = 0.9;
  ob.steps = 5;
  ob.checkpoint_every = 5;  // the first run ends with a checkpoint: the second resumes from it
  {
    Trainer first(ob);
    first.run();
  }
  REQUIRE(fs::exists(b + "/checkpoint.safetensors"));
  ob.steps = 10;
  ob.resume = true;
  manual_seed(999);
  Trainer second(ob);
  second.run();
  REQUIRE(second.step() == 10);
  CHECK(second.images_seen() == straight.images_seen());
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

  // The checkpoint samples where the run stood, at full size; another schedule cannot resume it.
  straight.save_checkpoint(a + "/checkpoint.safetensors");
  LoadedGenerator lg = load_generator(a + "/checkpoint.safetensors", false);
  CHECK(lg.net->resolution() == 8);
  CHECK(as_growing(*lg.net)->alpha() == Approx(24.0 / 32));
  TrainOptions other = growing_options(data, a);
  other.phase_images = 64;
  other.resume = true;
  Trainer t(other);
  CHECK_THROWS_WITH(t.load_checkpoint(a + "/checkpoint.safetensors"),
                    Catch::Contains("another growth schedule (4->8 phase_images 32 batch 8 8:4)") &&
                        Catch::Contains("phase_images 64"));
}

TEST_CASE("progan options: schedules that cannot work are errors naming the option", "[progan][options]") {
  auto error_of = [](const std::string& toml) -> std::string {
    try {
      TrainOptions o;
      o.apply(Config::parse("model = \"progan\"\n" + toml, "p.toml"));
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  };
  CHECK(error_of("") == "(no error)");
  TrainOptions d;
  d.apply(Config::parse("model = \"progan\"\n", "p.toml"));
  CHECK(d.image_resolution() == 32);
  CHECK(d.steps == 0);
  CHECK(d.lr_g == 1e-3);
  CHECK(d.beta2 == 0.99);
  CHECK(d.drift == 0.001);
  CHECK(d.ema_decay == 0.995);
  CHECK(d.init == "default");
  CHECK(error_of("resolution = 24\n").find("resolution 24 is not one") != std::string::npos);
  CHECK(error_of("start_resolution = 32\n").find("cannot reach 32") != std::string::npos);
  CHECK(error_of("phase_batch = { 64 = 8 }\n").find("never reaches") != std::string::npos);
  CHECK(error_of("phase_batch = { 32 = 6 }\n").find("not a multiple of the minibatch-stddev group") !=
        std::string::npos);
  CHECK(error_of("epochs = 3\n").find("not epochs") != std::string::npos);
  CHECK(error_of("init = \"dcgan\"\n").find("init must be \"default\"") != std::string::npos);
  // The DCGAN family: 28 or 32 only.
  TrainOptions f;
  CHECK_THROWS_WITH(f.apply(Config::parse("resolution = 64\n", "f.toml")), Catch::Contains("28 or 32, not 64"));
  // Data smaller than the final resolution (28x28 images for 64).
  TrainOptions big;
  big.apply(Config::parse("model = \"progan\"\nresolution = 64\nsteps = 1\n", "b.toml"));
  big.data = testutil::synthetic_image_folder("gantry_progan_small", 2, 1);
  CHECK_THROWS_WITH(Trainer(big), Catch::Contains("smaller than the resolution 64"));
}

TEST_CASE("progan trainer: metrics at each phase's end, one metrics.csv row per step", "[progan][metrics]") {
  const std::string clf = std::string(GANTRY_SOURCE_DIR) + "/assets/fmnist_classifier.safetensors";
  if (!fs::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") || !fs::exists(clf))
    GANTRY_SKIP("Fashion-MNIST or the committed classifier missing (scripts/get-data fashion-mnist)");
  const std::string data = testutil::synthetic_image_folder("gantry_progan_evaldata", 16, 4);
  const std::string out = (fs::temp_directory_path() / "gantry_progan_eval").string();
  fs::remove_all(out);
  TrainOptions o = growing_options(data, out);
  o.eval_phases = true;
  o.eval_n = 20;
  o.classifier = clf;
  o.log_every = 1;
  o.steps = 0;  // the schedule: 4 + 8 + 8 steps; phases end at steps 4 and 20
  Trainer t(o);
  t.run();
  std::ifstream csv(out + "/metrics.csv");
  std::string line;
  std::getline(csv, line);
  CHECK(line.find(",fid_fmnist,kid,precision,recall,class_coverage") != std::string::npos);
  std::set<long long> steps, with_eval;
  while (std::getline(csv, line)) {
    const long long step = std::stoll(line.substr(0, line.find(',')));
    CHECK(steps.insert(step).second);  // no step twice
    if (line.back() != ',') with_eval.insert(step);
  }
  CHECK(steps.size() == 20);
  CHECK(with_eval == std::set<long long>{4, 20});
}
