// tests/test_ada.cpp — adaptive discriminator augmentation (gan/ada.h): each
// step of the pipeline alone does what it says, is deterministic per seed
// and differentiable (gradcheck and gradgradcheck: R1 differentiates through
// it); the controller moves p by the paper's rule; the trainer's p rises when
// D overfits a small data set (slow), and resumes exactly.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <vector>

#include "autograd/gradcheck.h"
#include "gan/ada.h"
#include "gan/config.h"
#include "gan/trainer.h"
#include "tests/test_images.h"

using namespace gantry;
using namespace gantry::gan;
namespace fs = std::filesystem;

namespace {

AdaSteps only(bool AdaSteps::*step) {
  AdaSteps s = AdaSteps::none();
  s.*step = true;
  return s;
}

struct Named {
  const char* name;
  bool AdaSteps::*step;
};
const Named kSteps[] = {
    {"xflip", &AdaSteps::xflip},
    {"rotate90", &AdaSteps::rotate90},
    {"int_translation", &AdaSteps::int_translation},
    {"iso_scale", &AdaSteps::iso_scale},
    {"rotation", &AdaSteps::rotation},
    {"aniso_scale", &AdaSteps::aniso_scale},
    {"frac_translation", &AdaSteps::frac_translation},
    {"brightness", &AdaSteps::brightness},
    {"contrast", &AdaSteps::contrast},
    {"cutout", &AdaSteps::cutout},
};

double max_abs_diff(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = to(a, kFloat64).to_vector<double>(), y = to(b, kFloat64).to_vector<double>();
  REQUIRE(x.size() == y.size());
  double m = 0;
  for (size_t i = 0; i < x.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]));
  return m;
}

}  // namespace

TEST_CASE("ada: p = 0 is the identity and draws nothing, p = 1 changes every image", "[ada]") {
  const Tensor x = randn({4, 1, 8, 8});
  RandomState g(1);
  CHECK(ada_augment(x, 0.0, &g).to_vector<float>() == x.to_vector<float>());
  CHECK(g.offset() == 0);
  const Tensor y = ada_augment(x, 1.0, &g);
  CHECK(y.shape() == x.shape());
  for (int64_t n = 0; n < 4; ++n) CHECK(max_abs_diff(narrow(y, 0, n, 1), narrow(x, 0, n, 1)) > 1e-3);
  CHECK_THROWS_WITH(ada_augment(x, 1.5, &g), Catch::Contains("p must be in [0, 1], got 1.5"));
}

TEST_CASE("ada: every step alone is deterministic per seed and differentiable to second order", "[ada]") {
  for (const Named& s : kSteps) {
    INFO(s.name);
    // 16 images: two seeds drawing the same transformation for all of them
    // (a quarter turn each, say) is out of the question.
    const Tensor many = randn({16, 2, 6, 6}, Options(kFloat64));
    RandomState g1(7), g2(7), g3(8);
    const Tensor a = ada_augment(many, 1.0, &g1, only(s.step));
    const Tensor b = ada_augment(many, 1.0, &g2, only(s.step));
    CHECK(a.to_vector<double>() == b.to_vector<double>());
    CHECK(max_abs_diff(a, many) > 1e-6);  // not the identity for every image
    // Another seed draws another transformation (x-flip at p = 1 is the same
    // flip every time, so it is left out).
    if (s.step != &AdaSteps::xflip) CHECK(max_abs_diff(a, ada_augment(many, 1.0, &g3, only(s.step))) > 1e-6);
    const Tensor x = randn({2, 1, 5, 5}, Options(kFloat64));
    Tensor xin = clone(x).requires_grad_();
    auto f = [&s](const Tensors& in) {
      RandomState g(11);  // the same draws at every evaluation
      return Tensors{ada_augment(in[0], 1.0, &g, only(s.step))};
    };
    auto gc = autograd::gradcheck(f, {xin});
    INFO(gc.message);
    CHECK(gc.ok);
    auto gg = autograd::gradgradcheck(f, {xin});
    INFO(gg.message);
    CHECK(gg.ok);
  }
}

TEST_CASE("ada: the steps do what they say", "[ada]") {
  const int64_t N = 6, H = 8, W = 8;
  const Tensor x = randn({N, 1, H, W}, Options(kFloat64));
  const std::vector<double> xv = x.to_vector<double>();
  auto px = [&](int64_t n, int64_t i, int64_t j) { return xv[(n * H + i) * W + j]; };
  RandomState g(3);
  SECTION("x-flip mirrors each image left to right") {
    const std::vector<double> y = ada_augment(x, 1.0, &g, only(&AdaSteps::xflip)).to_vector<double>();
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < H; ++i)
        for (int64_t j = 0; j < W; ++j) CHECK(y[(n * H + i) * W + j] == Approx(px(n, i, W - 1 - j)).margin(1e-9));
  }
  SECTION("rotate90 gives one of the four rotations, exactly") {
    const std::vector<double> y = ada_augment(x, 1.0, &g, only(&AdaSteps::rotate90)).to_vector<double>();
    for (int64_t n = 0; n < N; ++n) {
      bool found = false;
      for (int k = 0; k < 4 && !found; ++k) {
        bool all = true;
        for (int64_t i = 0; i < H && all; ++i)
          for (int64_t j = 0; j < W && all; ++j) {
            int64_t si = i, sj = j;  // the source of (i, j) under k quarter turns
            for (int r = 0; r < k; ++r) {
              const int64_t t = si;
              si = sj;
              sj = W - 1 - t;
            }
            all = std::abs(y[(n * H + i) * W + j] - px(n, si, sj)) < 1e-9;
          }
        found = all;
      }
      CHECK(found);
    }
  }
  SECTION("an integer translation moves by whole pixels: every output pixel is an input pixel of its image") {
    const std::vector<double> y = ada_augment(x, 1.0, &g, only(&AdaSteps::int_translation)).to_vector<double>();
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < H; ++i)
        for (int64_t j = 0; j < W; ++j) {
          double best = 1e9;
          for (int64_t a = 0; a < H; ++a)
            for (int64_t b = 0; b < W; ++b) best = std::min(best, std::abs(y[(n * H + i) * W + j] - px(n, a, b)));
          CHECK(best < 1e-9);
        }
  }
  SECTION("brightness adds one constant per image") {
    const std::vector<double> y = ada_augment(x, 1.0, &g, only(&AdaSteps::brightness)).to_vector<double>();
    for (int64_t n = 0; n < N; ++n) {
      const double d = y[n * H * W] - px(n, 0, 0);
      for (int64_t k = 0; k < H * W; ++k) CHECK(y[n * H * W + k] - xv[n * H * W + k] == Approx(d).margin(1e-12));
    }
  }
  SECTION("contrast keeps each image's mean and scales its deviations by one factor") {
    const std::vector<double> y = ada_augment(x, 1.0, &g, only(&AdaSteps::contrast)).to_vector<double>();
    for (int64_t n = 0; n < N; ++n) {
      double mx = 0, my = 0;
      for (int64_t k = 0; k < H * W; ++k) mx += xv[n * H * W + k] / (H * W), my += y[n * H * W + k] / (H * W);
      CHECK(my == Approx(mx).margin(1e-12));
      const double c = (y[n * H * W] - my) / (xv[n * H * W] - mx);
      for (int64_t k = 0; k < H * W; ++k)
        CHECK(y[n * H * W + k] - my == Approx(c * (xv[n * H * W + k] - mx)).margin(1e-9));
    }
  }
  SECTION("cutout zeroes a square of at most half the side and keeps the rest") {
    const std::vector<double> y = ada_augment(x, 1.0, &g, only(&AdaSteps::cutout)).to_vector<double>();
    for (int64_t n = 0; n < N; ++n) {
      int64_t zeros = 0;
      for (int64_t k = 0; k < H * W; ++k) {
        if (y[n * H * W + k] == 0.0) ++zeros;
        else CHECK(y[n * H * W + k] == xv[n * H * W + k]);
      }
      CHECK(zeros >= 1);
      CHECK(zeros <= (H / 2) * (W / 2));
    }
  }
  SECTION("the scalings and rotations keep the image's range (bilinear: convex combinations)") {
    for (bool AdaSteps::*st : {&AdaSteps::iso_scale, &AdaSteps::rotation, &AdaSteps::aniso_scale,
                               &AdaSteps::frac_translation}) {
      const std::vector<double> y = ada_augment(x, 1.0, &g, only(st)).to_vector<double>();
      for (int64_t n = 0; n < N; ++n) {
        double lo = 1e9, hi = -1e9;
        for (int64_t k = 0; k < H * W; ++k) lo = std::min(lo, xv[n * H * W + k]), hi = std::max(hi, xv[n * H * W + k]);
        for (int64_t k = 0; k < H * W; ++k) {
          CHECK(y[n * H * W + k] >= lo - 1e-9);
          CHECK(y[n * H * W + k] <= hi + 1e-9);
        }
      }
    }
  }
}

TEST_CASE("ada: the controller moves p by images / speed towards the target", "[ada]") {
  AdaptiveAugment a(0.6, /*interval=*/2, /*speed_images=*/100.0);
  CHECK(a.p() == 0.0);
  // D confident on reals (every output positive): r_t = 1 > 0.6, p rises by 8 / 100.
  CHECK_FALSE(a.observe(full({4}, 2.0)));
  CHECK(a.observe(full({4}, 3.0)));
  CHECK(a.rt() == 1.0);
  CHECK(a.p() == Approx(0.08));
  // Half negative: r_t = 0 < 0.6, p falls again, and never below 0.
  for (int i = 0; i < 2; ++i) a.observe(from_vector<float>({1, -1, 1, -1}, {4}));
  CHECK(a.rt() == 0.0);
  CHECK(a.p() == Approx(0.0).margin(1e-15));
  for (int i = 0; i < 2; ++i) a.observe(from_vector<float>({-1, -1, -1, -1}, {4}));
  CHECK(a.p() == 0.0);
  CHECK_THROWS_WITH(AdaptiveAugment(1.0), Catch::Contains("target 1 must be in (0, 1)"));
  CHECK_THROWS_WITH(AdaptiveAugment(0.6, 0), Catch::Contains("interval 0 must be >= 1"));
}

namespace {
TrainOptions ada_options(const std::string& data, const std::string& out) {
  TrainOptions o;
  o.data = data;
  o.batch = 16;
  o.seed = 5;
  o.out = out;
  o.quiet = true;
  o.sample_every = 0;
  o.checkpoint_every = 0;
  o.g_width = 8;
  o.d_width = 8;
  o.resolution = 28;
  o.augment = "ada";
  o.ada_interval = 1;
  return o;
}
}  // namespace

TEST_CASE("ada: the trainer resumes p and the interval exactly", "[ada][resume]") {
  const std::string data = testutil::synthetic_image_folder("gantry_ada_images", 64, 31);
  const std::string a = (fs::temp_directory_path() / "gantry_ada_a").string();
  const std::string b = (fs::temp_directory_path() / "gantry_ada_b").string();
  fs::remove_all(a);
  fs::remove_all(b);
  TrainOptions oa = ada_options(data, a);
  oa.ada_p = 0.5;      // augmenting from the first step, whichever way r_t goes
  oa.ada_kimg = 0.5;   // p moves by 48 / 500 per interval of 3 D steps
  oa.ada_interval = 3;
  oa.steps = 8;
  Trainer straight(oa);
  straight.run();
  TrainOptions ob = ada_options(data, b);
  ob.ada_p = 0.5;
  ob.ada_kimg = 0.5;
  ob.ada_interval = 3;
  ob.steps = 5;
  ob.checkpoint_every = 5;
  {
    Trainer first(ob);
    first.run();
    REQUIRE(fs::exists(first.checkpoint_path()));
    // Stopped mid-interval (5 = 3 + 2), with p moved off its start.
    REQUIRE(first.ada()->steps() == 2);
    REQUIRE(first.ada()->count() == 32);
    REQUIRE(first.ada()->p() != 0.5);
  }
  ob.steps = 8;
  ob.resume = true;
  Trainer second(ob);
  second.run();
  REQUIRE(second.step() == 8);
  REQUIRE(straight.ada()->p() > 0);
  CHECK(second.ada()->p() == straight.ada()->p());
  CHECK(second.ada()->steps() == straight.ada()->steps());
  const auto x = straight.generator().state_dict(), y = second.generator().state_dict();
  REQUIRE(x.size() == y.size());
  for (size_t i = 0; i < x.size(); ++i) CHECK(x[i].second.to_vector<double>() == y[i].second.to_vector<double>());
}

TEST_CASE("ada: p rises when D overfits 64 images", "[ada][slow]") {
  const std::string data = testutil::synthetic_image_folder("gantry_ada_overfit", 64, 41);
  const std::string out = (fs::temp_directory_path() / "gantry_ada_overfit_run").string();
  fs::remove_all(out);
  TrainOptions o = ada_options(data, out);
  o.steps = 300;
  o.ada_kimg = 2.0;  // fast enough to see in 300 steps (4,800 real images)
  o.ada_interval = 4;
  Trainer t(o);
  t.run();
  // D separates 64 memorizable images from G's early fakes: r_t stays above
  // 0.6 and p climbs (it would stay at 0 if D were not overfitting).
  INFO("p " << t.ada()->p() << ", last r_t " << t.ada()->rt());
  CHECK(t.ada()->p() > 0.2);
}

TEST_CASE("ada: bad settings name the problem", "[ada]") {
  TrainOptions o;
  CHECK_THROWS_WITH(o.apply(Config::parse("ada_target = 1.0\n", "t")), Catch::Contains("ada_target"));
  TrainOptions c;
  CHECK_THROWS_WITH(c.apply(Config::parse("augment = \"ada,cutout\"\n", "t")),
                    Catch::Contains("'ada' is a whole pipeline of its own"));
  TrainOptions z;
  CHECK_THROWS_WITH(z.apply(Config::parse("data_limit = 0\n", "t")), Catch::Contains("data_limit 0 leaves no images"));
  // More images asked for than the folder has.
  const std::string data = testutil::synthetic_image_folder("gantry_ada_limit", 16, 5);
  TrainOptions big = ada_options(data, (fs::temp_directory_path() / "gantry_ada_limit_run").string());
  big.data_limit = 17;
  CHECK_THROWS_WITH(Trainer(big), Catch::Contains("data_limit 17 is more than the 16 images"));
}
