// tests/test_paired.cpp — paired SR data (gan/data/paired.h): the split by
// file, the 8 dihedral transforms, crops, and the loader: batch k a pure
// function of (seed, k) (so seek() resumes exactly), LR the bicubic (or the
// seeded Real-ESRGAN) degradation of HR, errors for patches that do not fit.
#include <catch2/catch.hpp>

#include <cmath>
#include <set>

#include "autograd/ops.h"
#include "core/error.h"
#include "gan/data/paired.h"
#include "gan/metrics/image_quality.h"

using namespace gantry;
using namespace gantry::gan;

namespace {

// n pictures of h x w, picture i filled with a pattern plus i (so each is distinct).
PictureSet pictures(int64_t n, int64_t c, int64_t h, int64_t w) {
  PictureSet s;
  s.channels = c;
  for (int64_t i = 0; i < n; ++i) {
    Picture p;
    p.c = c;
    p.h = h;
    p.w = w;
    p.name = "p" + std::to_string(i);
    p.px.resize(static_cast<size_t>(c * h * w));
    for (size_t k = 0; k < p.px.size(); ++k) p.px[k] = static_cast<uint8_t>((k * 7 + i * 31 + (k / w) * 3) % 256);
    s.pictures.push_back(p);
  }
  return s;
}

}  // namespace

TEST_CASE("split_by_file holds out every k-th picture in file order", "[data][sr]") {
  PictureSet all = pictures(12, 1, 8, 8);
  PictureSplit s = split_by_file(all, 4);
  REQUIRE(s.test.pictures.size() == 3);
  REQUIRE(s.train.pictures.size() == 9);
  CHECK(s.test.pictures[0].name == "p3");
  CHECK(s.test.pictures[1].name == "p7");
  CHECK(s.test.pictures[2].name == "p11");
  std::set<std::string> train;
  for (const Picture& p : s.train.pictures) train.insert(p.name);
  for (const Picture& p : s.test.pictures) CHECK(train.count(p.name) == 0);
  CHECK_THROWS_WITH(split_by_file(pictures(3, 1, 8, 8), 4), Catch::Contains("leave none to test"));
  CHECK_THROWS_WITH(split_by_file(all, 1), Catch::Contains("must be >= 2"));
}

TEST_CASE("dihedral: 8 distinct transforms, a turn four times is the identity", "[data][sr]") {
  HostImage im(1, 2, 3);
  for (int i = 0; i < 6; ++i) im.v[i] = i;  // [[0 1 2] [3 4 5]]
  HostImage r = dihedral(im, 2);              // one quarter turn clockwise
  REQUIRE(r.h == 3);
  REQUIRE(r.w == 2);
  CHECK(r.v == std::vector<double>{3, 0, 4, 1, 5, 2});
  HostImage f = dihedral(im, 1);  // horizontal flip
  CHECK(f.v == std::vector<double>{2, 1, 0, 5, 4, 3});
  std::set<std::vector<double>> seen;
  HostImage sq(1, 3, 3);
  for (int i = 0; i < 9; ++i) sq.v[i] = i;
  for (int k = 0; k < 8; ++k) seen.insert(dihedral(sq, k).v);
  CHECK(seen.size() == 8);
  CHECK(dihedral(dihedral(sq, 6), 2).v == sq.v);  // three turns then one
}

TEST_CASE("PairedLoader: batch k depends only on (seed, k), LR is HR degraded", "[data][sr]") {
  PictureSet set = pictures(5, 3, 40, 36);
  PairConfig cfg;
  cfg.scale = 4;
  cfg.patch = 16;
  PairedLoader a(set, cfg, 3, 7), b(set, cfg, 3, 7), c(set, cfg, 3, 8);
  PairedLoader::Batch a0 = a.next(), a1 = a.next(), a2 = a.next();
  CHECK(a0.lr.shape() == Shape{3, 3, 4, 4});
  CHECK(a0.hr.shape() == Shape{3, 3, 16, 16});
  CHECK(a.step() == 3);
  b.seek(2);
  CHECK(b.next().hr.to_vector<float>() == a2.hr.to_vector<float>());
  CHECK(b.at(1).lr.to_vector<float>() == a1.lr.to_vector<float>());
  CHECK(c.at(0).hr.to_vector<float>() != a0.hr.to_vector<float>());
  CHECK(a1.hr.to_vector<float>() != a0.hr.to_vector<float>());
  // Each LR is the bicubic downscale of its HR (in 8-bit levels).
  for (int64_t j = 0; j < 3; ++j) {
    const HostImage hr = metrics::to_host_image(core::select(a0.hr, 0, j));
    const HostImage lr = metrics::to_host_image(core::select(a0.lr, 0, j));
    const HostImage ref = bicubic_downscale(hr, 4);
    CHECK(metrics::psnr(lr, ref) > 50.0);
  }
  // The Real-ESRGAN pipeline: deterministic per (seed, step), of the LR size.
  cfg.degradation = Degradation::kReal;
  PairedLoader r1(set, cfg, 2, 3), r2(set, cfg, 2, 3);
  CHECK(r1.at(5).lr.to_vector<float>() == r2.at(5).lr.to_vector<float>());
  CHECK(r1.at(5).lr.shape() == Shape{2, 3, 4, 4});
}

TEST_CASE("PairedLoader names a patch that does not fit", "[data][sr]") {
  PictureSet set = pictures(2, 1, 20, 30);
  PairConfig cfg;
  cfg.scale = 4;
  cfg.patch = 24;
  CHECK_THROWS_WITH(PairedLoader(set, cfg, 2, 0), Catch::Contains("smaller than the 24x24 patch"));
  cfg.patch = 18;
  CHECK_THROWS_WITH(PairedLoader(set, cfg, 2, 0), Catch::Contains("multiple of the scale"));
}

TEST_CASE("pictures_from_dataset keeps the 8-bit values", "[data][sr]") {
  ImageDataset ds;
  ds.images = from_vector<float>({-1.0f, 1.0f, 0.0039215686f, 127.0f / 127.5f - 1.0f}, {2, 1, 1, 2});
  PictureSet s = pictures_from_dataset(ds);
  REQUIRE(s.pictures.size() == 2);
  CHECK(s.pictures[0].px == std::vector<uint8_t>{0, 255});
  CHECK(s.pictures[1].px == std::vector<uint8_t>{128, 127});
  CHECK(s.pictures[1].name == "#1");
}

TEST_CASE("shrink_pictures averages k x k blocks (area), k = 1 keeps the set", "[data][sr]") {
  PictureSet s;
  s.channels = 1;
  Picture p;
  p.c = 1;
  p.h = 2;
  p.w = 4;
  p.name = "p";
  p.px = {0, 10, 100, 200, 20, 30, 50, 51};
  s.pictures.push_back(p);
  PictureSet half = shrink_pictures(s, 2);
  REQUIRE(half.pictures.size() == 1);
  CHECK(half.pictures[0].h == 1);
  CHECK(half.pictures[0].w == 2);
  CHECK(half.pictures[0].px == std::vector<uint8_t>{15, 100});  // (0+10+20+30)/4, (100+200+50+51)/4 = 100.25
  CHECK(shrink_pictures(s, 1).pictures[0].px == p.px);
  CHECK_THROWS_WITH(shrink_pictures(s, 3), Catch::Contains("smaller than the factor"));
}
