// tests/test_translation.cpp — image-to-image translation (pix2pix,
// CycleGAN): instance norm against a float64 loop with gradcheck and
// gradgradcheck, U-Net and ResNet generator shapes at odd depths and sizes,
// the PatchGAN's receptive field (computed and measured through gradients),
// the image pool's semantics and resume, the paired tasks' data (Sobel
// edges, inpainting holes, class domains), the options, exact resume of
// both trainers on tiny folders made here, and the bad-input errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <functional>
#include <set>

#include <unistd.h>

#include "autograd/gradcheck.h"
#include "autograd/ops.h"
#include "core/error.h"
#include "core/rng.h"
#include "gan/data/image.h"
#include "gan/data/translation_data.h"
#include "gan/image_pool.h"
#include "gan/models/translation/translation.h"
#include "gan/translation_eval.h"
#include "gan/translation_trainer.h"
#include "nn/safetensors.h"
#include "test_skip.h"

using namespace gantry;
using namespace gantry::gan;
namespace fs = std::filesystem;

namespace {

double max_diff(const Tensor& a, const Tensor& b) {
  return max(abs(sub(core::cast(a, kFloat64), core::cast(b, kFloat64)))).item<double>();
}

void require_equal(const nn::Module& a, const nn::Module& b) {
  const auto sa = a.state_dict(), sb = b.state_dict();
  REQUIRE(sa.size() == sb.size());
  for (size_t i = 0; i < sa.size(); ++i) {
    INFO(sa[i].first);
    REQUIRE(sa[i].first == sb[i].first);
    REQUIRE(max_diff(sa[i].second, sb[i].second) == 0.0);
  }
}

// A fresh folder DIR with A/ and B/, each holding n w x h pictures named
// p0.png .. p{n-1}.png (B's a brighter, shifted version of A's: a paired
// task); `b_size` changes B's size for the mismatch error.
std::string pair_folder(int n, int64_t w, int64_t h, int64_t b_w = 0) {
  static int counter = 0;
  const fs::path dir = fs::temp_directory_path() /
                       ("gantry_translation_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  fs::remove_all(dir);
  fs::create_directories(dir / "A");
  fs::create_directories(dir / "B");
  for (int i = 0; i < n; ++i)
    for (int side = 0; side < 2; ++side) {
      const int64_t ww = side == 1 && b_w > 0 ? b_w : w;
      Tensor img = zeros({1, 1, h, ww});
      float* p = img.data<float>();
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < ww; ++x)
          p[y * ww + x] = static_cast<float>(0.7 * std::sin(0.4 * x + 0.3 * y + i + side) - 0.1 * side);
      save_png_grid((dir / (side ? "B" : "A") / ("p" + std::to_string(i) + ".png")).string(), img, 1, 0);
    }
  return dir.string();
}

TrainOptions tiny(const std::string& model, const std::string& data, const std::string& out) {
  TrainOptions o;
  o.set_model_defaults(model);
  o.data = data;
  o.out = out;
  o.batch = 2;
  o.g_width = 4;
  o.g_depth = 3;
  o.g_blocks = 1;
  o.d_width = 4;
  o.d_layers = 1;
  o.test_every = 3;
  o.steps = 6;
  o.decay_start = 2;
  o.pool_size = 3;
  o.threads = 1;
  o.quiet = true;
  if (model == "cyclegan" && data != "fashion-mnist") o.resolution = 16;
  o.validate();
  return o;
}

bool have_fashion_mnist() {
  return fs::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") ||
         fs::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte");
}

}  // namespace

TEST_CASE("InstanceNorm2d against a float64 loop, with gradcheck and gradgradcheck", "[nn][translation]") {
  manual_seed(1);
  const Tensor x = randn({2, 3, 4, 5}, Options(kFloat64));
  nn::InstanceNorm2d plain(3);
  plain.to(kFloat64);
  CHECK(plain.parameters().empty());
  CHECK(plain.repr() == "InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False)");
  nn::InstanceNorm2d affine(3, 1e-5, true);
  affine.to(kFloat64);
  {
    NoGradGuard ng;
    core::copy_(affine.weight, from_vector<double>({0.5, -1.0, 2.0}, {3}));
    core::copy_(affine.bias, from_vector<double>({0.1, 0.2, -0.3}, {3}));
  }
  const Tensor y = plain.forward(x), ya = affine.forward(x);
  const Tensor xc = x.contiguous();
  const double* px = xc.data<double>();
  const std::vector<double> w = {0.5, -1.0, 2.0}, b = {0.1, 0.2, -0.3};
  double worst = 0, worst_a = 0;
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t c = 0; c < 3; ++c) {
      const double* p = px + (n * 3 + c) * 20;
      double m = 0, v = 0;
      for (int i = 0; i < 20; ++i) m += p[i];
      m /= 20;
      for (int i = 0; i < 20; ++i) v += (p[i] - m) * (p[i] - m);
      v /= 20;  // biased, as the papers' (and PyTorch's) instance norm
      for (int i = 0; i < 20; ++i) {
        const double ref = (p[i] - m) / std::sqrt(v + 1e-5);
        const int64_t k = (n * 3 + c) * 20 + i;
        worst = std::max(worst, std::abs(y.contiguous().data<double>()[k] - ref));
        worst_a = std::max(worst_a, std::abs(ya.contiguous().data<double>()[k] - (ref * w[c] + b[c])));
      }
    }
  CHECK(worst < 1e-12);
  CHECK(worst_a < 1e-12);

  const Tensor xs = randn({1, 2, 3, 3}, Options(kFloat64)).requires_grad_();
  nn::InstanceNorm2d small(2, 1e-5, true);
  small.to(kFloat64);
  auto f = [&small](const Tensors& in) { return Tensors{small.forward(in[0])}; };
  auto g = autograd::gradcheck(f, {xs});
  INFO(g.message);
  CHECK(g.ok);
  auto gg = autograd::gradgradcheck(f, {xs});
  INFO(gg.message);
  CHECK(gg.ok);
  CHECK_THROWS_WITH(plain.forward(randn({2, 4, 4, 4})), Catch::Contains("expected input [N,3,H,W]"));
  CHECK_THROWS_WITH(plain.forward(randn({2, 3, 1, 1})), Catch::Contains("no variance"));
}

TEST_CASE("U-Net generator: shapes at odd depths and sizes, skips, dropout levels", "[nn][translation]") {
  manual_seed(2);
  for (int64_t depth : {2, 3, 5, 7}) {
    INFO("depth " << depth);
    UNetGenerator g(2, 3, depth, 4, "batch", true);
    for (auto hw : {std::make_pair<int64_t, int64_t>(28, 28), std::make_pair<int64_t, int64_t>(13, 17),
                    std::make_pair<int64_t, int64_t>(1 << depth, 1 << depth)}) {
      INFO(hw.first << "x" << hw.second);
      const Tensor y = g.forward(randn({2, 2, hw.first, hw.second}));
      CHECK(y.shape() == Shape{2, 3, hw.first, hw.second});
      CHECK(max(abs(y)).item<double>() <= 1.0);  // tanh
    }
    // The innermost level sees a 1x1 map at input side 2^depth: its down conv
    // has no norm (one pixel has no statistics).
    int64_t drop = 0;
    std::function<void(const nn::Module&)> count = [&](const nn::Module& m) {
      if (dynamic_cast<const nn::Dropout*>(&m)) ++drop;
      for (const auto& c : m.named_children()) count(*c.second);
    };
    count(g);
    CHECK(drop == std::min<int64_t>(3, depth - 2));
  }
  // Each level's output holds its input (the skip) and the decoder's maps.
  nn::UNetSkipBlock inner(4, 8, 0, nullptr, nn::UNetSkipBlock::Level::Innermost, "batch", false);
  const Tensor x = randn({2, 4, 6, 6});
  const Tensor y = inner.forward(x);
  CHECK(y.shape() == Shape{2, 8, 6, 6});
  CHECK(max_diff(narrow(y, 1, 0, 4), x) == 0.0);
  CHECK_THROWS_WITH(UNetGenerator(1, 1, 1), Catch::Contains("depth must be in [2, 12]"));
  CHECK_THROWS_WITH(UNetGenerator(1, 1, 3).forward(randn({1, 2, 8, 8})), Catch::Contains("expected input [N,1,H,W]"));
}

TEST_CASE("ResNet generator: shapes at any size, reflection padding, blocks start as residuals", "[nn][translation]") {
  manual_seed(3);
  ResnetGenerator g(1, 3, 4, 2, "instance", false);
  for (auto hw : {std::make_pair<int64_t, int64_t>(28, 28), std::make_pair<int64_t, int64_t>(15, 22)}) {
    const Tensor y = g.forward(randn({2, 1, hw.first, hw.second}));
    CHECK(y.shape() == Shape{2, 3, hw.first, hw.second});
  }
  nn::ReflectionPad2d pad(1);
  const Tensor x = from_vector<float>({1, 2, 3, 4, 5, 6}, {1, 1, 2, 3});
  const Tensor p = pad.forward(x).contiguous();
  CHECK(p.shape() == Shape{1, 1, 4, 5});
  // Row 0 of the padded map mirrors row 1 of x: 5 4 5 6 5.
  CHECK(std::vector<float>(p.data<float>(), p.data<float>() + 5) == std::vector<float>{5, 4, 5, 6, 5});
  // A block whose convs are zero is the identity (y = x + block(x), the last
  // norm of zeros gives zeros).
  nn::ResnetBlock blk(2, "none");
  for (const Tensor& t : blk.parameters()) {
    NoGradGuard ng;
    core::copy_(t, zeros_like(t));
  }
  const Tensor z = randn({1, 2, 5, 5});
  CHECK(max_diff(blk.forward(z), z) == 0.0);
}

TEST_CASE("PatchGAN: the receptive field computed and measured", "[nn][translation]") {
  CHECK(patchgan_receptive_field(1) == 16);
  CHECK(patchgan_receptive_field(2) == 34);
  CHECK(patchgan_receptive_field(3) == 70);
  for (int64_t n : {1, 2}) {
    INFO("n_layers " << n);
    manual_seed(4);
    PatchGAN d(1, 2, n, "none");
    const int64_t side = 80;
    Tensor x = randn({1, 1, side, side}).requires_grad_();
    const Tensor y = d.forward(x);  // [1, 1, h, w]
    CHECK(y.size(2) == patchgan_output_side(n, side));
    // The gradient of one central logit reaches exactly an RF x RF window.
    const int64_t c = y.size(2) / 2;
    sum(narrow(narrow(y, 2, c, 1), 3, c, 1)).backward();
    const Tensor g = abs(x.grad()).contiguous();
    int64_t y0 = side, y1 = -1;
    for (int64_t i = 0; i < side; ++i)
      for (int64_t j = 0; j < side; ++j)
        if (g.data<float>()[i * side + j] != 0.0f) {
          y0 = std::min(y0, i);
          y1 = std::max(y1, i);
        }
    CHECK(y1 - y0 + 1 == patchgan_receptive_field(n));
  }
  CHECK_THROWS_WITH(PatchGAN(1, 2, 3).forward(randn({1, 1, 8, 8})), Catch::Contains("too small"));
}

TEST_CASE("ImagePool: fills first, then swaps half the time, and resumes exactly", "[gan][translation]") {
  ImagePool pool(3, 7);
  auto batch = [](int first, int n) {
    Tensor t = zeros({n, 1, 2, 2});
    for (int i = 0; i < n; ++i) core::copy_(select(t, 0, i), full({1, 2, 2}, first + i));
    return t;
  };
  auto ids = [](const Tensor& t) {
    std::vector<int> v;
    for (int64_t i = 0; i < t.size(0); ++i) v.push_back(static_cast<int>(t.contiguous().data<float>()[i * 4]));
    return v;
  };
  // Filling: the images come back as they are.
  CHECK(ids(pool.query(batch(0, 2))) == std::vector<int>{0, 1});
  CHECK(pool.stored() == 2);
  const std::vector<int> third = ids(pool.query(batch(2, 2)));
  CHECK(third[0] == 2);  // the third image fills the pool
  CHECK(pool.stored() == 3);
  // Full: each image is returned, or swapped for a stored one (which leaves).
  ImagePool copy(3, 7);
  copy.load_state_dict(pool.state_dict());
  int swapped = 0, total = 0;
  std::set<int> stored = {0, 1, 2};
  if (third[1] != 3) {  // the 4th image was already swapped in
    stored.erase(third[1]);
    stored.insert(3);
    ++swapped;
  }
  ++total;
  for (int k = 0; k < 200; ++k) {
    const int id = 4 + k;
    const int got = ids(pool.query(batch(id, 1)))[0];
    ++total;
    if (got != id) {
      REQUIRE(stored.count(got) == 1);
      stored.erase(got);
      stored.insert(id);
      ++swapped;
    }
  }
  CHECK(swapped > total / 4);
  CHECK(swapped < 3 * total / 4);
  // The copy made from the state continues identically.
  ImagePool again(3, 7);
  again.load_state_dict(copy.state_dict());
  for (int k = 0; k < 20; ++k) CHECK(ids(copy.query(batch(500 + k, 1))) == ids(again.query(batch(500 + k, 1))));
  // Size 0: every batch passes through.
  ImagePool none(0, 1);
  CHECK(ids(none.query(batch(9, 3))) == std::vector<int>{9, 10, 11});
  CHECK_THROWS_WITH(pool.query(zeros({1, 2, 2, 2})), Catch::Contains("do not match"));
}

TEST_CASE("Translation data: Sobel edges, inpainting holes, class names", "[gan][translation]") {
  // A vertical step from black to white between columns 3 and 4.
  Tensor step = full({1, 1, 6, 8}, -1.0);
  core::copy_(narrow(step, 3, 4, 4), full({1, 1, 6, 4}, 1.0));
  const Tensor e = sobel_edges(step).contiguous();
  CHECK(e.shape() == Shape{1, 1, 6, 8});
  for (int64_t y = 0; y < 6; ++y)
    for (int64_t x = 0; x < 8; ++x) {
      INFO(y << "," << x);
      CHECK(e.data<float>()[y * 8 + x] == (x == 3 || x == 4 ? 1.0f : -1.0f));
    }
  CHECK(max_diff(sobel_edges(step), e) == 0.0);  // deterministic
  const Tensor img = full({3, 1, 10, 10}, 0.5);
  const Tensor m = inpaint_masked(img, 4, 11, 0);
  for (int64_t i = 0; i < 3; ++i) {
    const Tensor one = select(m, 0, i);
    CHECK(sum(to(eq(one, 0.0), kFloat32)).item<double>() == 16.0);  // exactly the 4x4 hole
  }
  CHECK(max_diff(inpaint_masked(img, 4, 11, 0), m) == 0.0);
  CHECK(max_diff(select(inpaint_masked(img, 4, 11, 1), 0, 0), select(m, 0, 1)) == 0.0);  // index, not position
  CHECK_THROWS_WITH(inpaint_masked(img, 11, 1), Catch::Contains("hole"));
  CHECK(fashion_mnist_class("sneakers") == 7);
  CHECK(fashion_mnist_class("Ankle boot") == 9);
  CHECK(fashion_mnist_class("ankle_boots") == 9);
  CHECK(fashion_mnist_class("T-shirt/top") == 0);
  CHECK(fashion_mnist_class("3") == 3);
  CHECK_THROWS_WITH(fashion_mnist_class("hat"), Catch::Contains("no class 'hat'") && Catch::Contains("ankle-boot"));
}

TEST_CASE("pix2pix and cyclegan options: the papers' objectives and the checks", "[gan][translation][options]") {
  TrainOptions o;
  o.set_model_defaults("pix2pix");
  CHECK(o.l1_weight == 100.0);
  CHECK(o.g_net == "unet");
  CHECK(o.norm == "batch");
  CHECK(o.loss == "nonsaturating");
  CHECK(o.schedule == "linear");
  CHECK(o.dropout);
  o.set_model_defaults("cyclegan");
  CHECK(o.loss == "lsgan");
  CHECK(o.g_net == "resnet");
  CHECK(o.norm == "instance");
  CHECK_FALSE(o.dropout);
  CHECK(o.cycle_weight == 10.0);
  CHECK(o.identity_weight == 0.5);
  CHECK(o.pool_size == 50);
  o.set_model_defaults("dcgan");  // nothing leaks back
  CHECK(o.schedule == "constant");
  CHECK(o.norm == "batch");
  TrainOptions base = tiny("cyclegan", "/nonexistent", "/tmp/x");
  auto bad = [&](auto change, const char* msg) {
    TrainOptions t = base;
    change(t);
    CHECK_THROWS_WITH(t.validate(), Catch::Contains(msg));
  };
  bad([](TrainOptions& t) { t.loss = "wasserstein"; }, "nonsaturating (vanilla) or lsgan");
  bad([](TrainOptions& t) { t.ema_decay = 0.999; }, "ema");
  bad([](TrainOptions& t) { t.decay_start = 6; }, "decay_start");
  bad([](TrainOptions& t) { t.steps = 0; t.epochs = 1; }, "trains by steps");
  bad([](TrainOptions& t) { t.init = "default"; }, "init must be");
  TrainOptions d;
  d.decay_start = 5;
  CHECK_THROWS_WITH(d.validate(), Catch::Contains("decay_start is for schedule"));
}

TEST_CASE("pix2pix trainer: pairs from a folder, exact resume, the translator read back", "[gan][translation][trainer]") {
  const std::string data = pair_folder(6, 14, 12);
  const std::string out = data + "_run";
  fs::create_directories(out + "/samples");
  TranslationTrainer full(tiny("pix2pix", data, out));
  CHECK(full.data().train_a.images.size(0) == 4);
  CHECK(full.data().test_a.images.size(0) == 2);
  for (int s = 1; s <= 6; ++s) {
    const TranslationStepStats st = full.train_step();
    CHECK(st.step == s);
    CHECK(std::isfinite(st.l1));
    CHECK(std::isfinite(st.d_loss));
    if (s == 3) full.save_checkpoint(out + "/at3.safetensors");
  }
  TranslationTrainer resumed(tiny("pix2pix", data, out));
  resumed.load_checkpoint(out + "/at3.safetensors");
  CHECK(resumed.step() == 3);
  while (resumed.step() < 6) resumed.train_step();
  require_equal(full.generator(), resumed.generator());
  require_equal(full.discriminator(), resumed.discriminator());
  full.save_checkpoint(out + "/end.safetensors");
  const LoadedTranslator t = load_translator(out + "/end.safetensors");
  CHECK(t.model == "pix2pix");
  require_equal(*t.net, full.generator());
  CHECK_THROWS_WITH(load_translator(out + "/end.safetensors", "b2a"), Catch::Contains("one way only"));
  // Another architecture is refused by name.
  TrainOptions other = tiny("pix2pix", data, out);
  other.g_depth = 4;
  TranslationTrainer wrong(other);
  CHECK_THROWS_WITH(wrong.load_checkpoint(out + "/at3.safetensors"), Catch::Contains("g_depth"));
  // gantry eval's scores on the held-out pairs (no FID: not Fashion-MNIST).
  EvalRequest req;
  req.n = 10;
  const EvalResult r = evaluate_translation(req, out + "/end.safetensors", nullptr);
  REQUIRE(r.lines.size() == 3);
  CHECK(r.lines[0].metric == "L1");
  CHECK(r.lines[1].metric == "PSNR");
  CHECK(std::isfinite(r.lines[1].value));
}

TEST_CASE("cyclegan trainer: two unpaired folders, pools and loaders resume exactly", "[gan][translation][trainer]") {
  const std::string data = pair_folder(6, 20, 18);
  const std::string out = data + "_run";
  fs::create_directories(out + "/samples");
  TranslationTrainer full(tiny("cyclegan", data, out));
  CHECK(full.data().train_a.images.shape() == Shape{4, 1, 16, 16});
  for (int s = 1; s <= 6; ++s) {
    const TranslationStepStats st = full.train_step();
    CHECK(std::isfinite(st.cycle));
    CHECK(st.identity > 0);
    if (s == 2) full.save_checkpoint(out + "/at2.safetensors");  // the pools (3) are not yet full
    if (s == 4) full.save_checkpoint(out + "/at4.safetensors");
  }
  for (int at : {2, 4}) {
    INFO("resumed at " << at);
    TranslationTrainer resumed(tiny("cyclegan", data, out));
    resumed.load_checkpoint(out + "/at" + std::to_string(at) + ".safetensors");
    while (resumed.step() < 6) resumed.train_step();
    require_equal(full.generator(), resumed.generator());
    require_equal(*full.generator_b2a(), *resumed.generator_b2a());
    require_equal(full.discriminator(), resumed.discriminator());
    require_equal(*full.discriminator_a(), *resumed.discriminator_a());
  }
  full.save_checkpoint(out + "/end.safetensors");
  const LoadedTranslator back = load_translator(out + "/end.safetensors", "b2a");
  require_equal(*back.net, *full.generator_b2a());
  require_equal(*back.inverse, full.generator());
  // A pix2pix run cannot resume a cyclegan checkpoint.
  const std::string pdata = pair_folder(6, 16, 16);
  TranslationTrainer p(tiny("pix2pix", pdata, out));
  CHECK_THROWS_WITH(p.load_checkpoint(out + "/end.safetensors"), Catch::Contains("holds model 'cyclegan'"));
}

TEST_CASE("translation bad input: mismatched pairs, empty domains, unknown classes, other checkpoints",
          "[gan][translation][errors]") {
  const std::string mismatch = pair_folder(3, 12, 10, /*b_w=*/14);
  CHECK_THROWS_WITH(load_translation_data(tiny("pix2pix", mismatch, "/tmp/x")),
                    Catch::Contains("pair 'p0.png' does not match") && Catch::Contains("14x10"));
  const std::string lonely = pair_folder(3, 12, 10);
  fs::remove(fs::path(lonely) / "B" / "p1.png");
  CHECK_THROWS_WITH(load_translation_data(tiny("pix2pix", lonely, "/tmp/x")), Catch::Contains("no partner"));
  const std::string empty = pair_folder(3, 20, 18);
  for (int i = 0; i < 3; ++i) fs::remove(fs::path(empty) / "B" / ("p" + std::to_string(i) + ".png"));
  CHECK_THROWS_WITH(load_translation_data(tiny("cyclegan", empty, "/tmp/x")),
                    Catch::Contains("domain B") && Catch::Contains("no .png"));
  CHECK_THROWS_WITH(load_translation_data(tiny("cyclegan", "/nonexistent", "/tmp/x")), Catch::Contains("A/ and B/"));
  TrainOptions cls = tiny("cyclegan", "fashion-mnist", "/tmp/x");
  cls.domain_b = "hat";
  CHECK_THROWS_WITH(load_translation_data(cls), Catch::Contains("no class 'hat'"));
  // Not a translation checkpoint.
  const std::string f = mismatch + "/other.safetensors";
  nn::save_safetensors(f, {{"w", zeros({2})}}, {{"format", "gantry-sr-checkpoint"}});
  CHECK_THROWS_WITH(load_translator(f), Catch::Contains("not a Gantry translation checkpoint"));
  CHECK_FALSE(is_translation_checkpoint(f));
}

TEST_CASE("pix2pix on Fashion-MNIST: the edges and inpainting tasks, cyclegan's class domains", "[gan][translation]") {
  if (!have_fashion_mnist()) GANTRY_SKIP("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)");
  TrainOptions o = tiny("pix2pix", "fashion-mnist", "/tmp/x");
  o.data_limit = 64;
  const TranslationData edges = load_translation_data(o);
  CHECK(edges.train_a.images.shape() == Shape{64, 1, 28, 28});
  CHECK(edges.test_a.images.size(0) == 10000);
  CHECK(max_diff(edges.train_a.images, sobel_edges(edges.train_b.images)) == 0.0);
  o.task = "inpaint";
  const TranslationData holes = load_translation_data(o);
  CHECK(max_diff(holes.train_a.images, inpaint_masked(holes.train_b.images, o.hole, kInpaintSeed, 0)) == 0.0);
  TrainOptions c = tiny("cyclegan", "fashion-mnist", "/tmp/x");
  const TranslationData dom = load_translation_data(c);
  CHECK(dom.train_a.images.size(0) == 6000);  // every sneaker
  CHECK(dom.test_b.images.size(0) == 1000);   // every ankle boot of the test split
  CHECK(max(to(dom.train_a.labels, kFloat32)).item<double>() == 7);
  CHECK(min(to(dom.train_a.labels, kFloat32)).item<double>() == 7);
  CHECK(min(to(dom.train_b.labels, kFloat32)).item<double>() == 9);
}
