// tests/test_upscale.cpp — tiled super-resolution inference
// (gan/models/sr/upscale.h): an image that fits in a tile gives the untiled
// result; a net whose receptive field fits in a quarter of the overlap gives
// it exactly however the image is cut; the tiles cover the image, flush with
// its edges; and the errors for an overlap >= the tile and a net of another scale.
#include <catch2/catch.hpp>

#include <cmath>

#include "autograd/ops.h"
#include "core/rng.h"
#include "gan/models/sr/sr.h"
#include "gan/models/sr/upscale.h"

using namespace gantry;
using namespace gantry::gan;

namespace {
double max_abs_diff(const Tensor& a, const Tensor& b) {
  const std::vector<float> x = a.to_vector<float>(), y = b.to_vector<float>();
  REQUIRE(x.size() == y.size());
  double m = 0;
  for (size_t i = 0; i < x.size(); ++i) m = std::max(m, static_cast<double>(std::fabs(x[i] - y[i])));
  return m;
}
}  // namespace

TEST_CASE("tile_starts covers the side, the last tile flush with the edge", "[sr]") {
  CHECK(tile_starts(10, 4, 1) == std::vector<int64_t>{0, 3, 6});
  CHECK(tile_starts(4, 4, 1) == std::vector<int64_t>{0});
  CHECK(tile_starts(3, 8, 2) == std::vector<int64_t>{0});
  CHECK(tile_starts(100, 32, 8) == std::vector<int64_t>{0, 24, 48, 68});
  CHECK_THROWS_WITH(tile_starts(10, 4, 4), Catch::Contains("must be smaller than the tile"));
}

TEST_CASE("a tiled upscale equals the untiled one on an image that fits", "[sr]") {
  manual_seed(1);
  RRDBNet net(3, 4, 8, 1, 4);
  const Tensor x = randn({1, 3, 12, 10});
  const Tensor whole = upscale(net, x, 4);
  CHECK(whole.shape() == Shape{1, 3, 48, 40});
  CHECK(max_abs_diff(upscale(net, x, 4, TileOptions{16, 4}), whole) == 0.0);
}

TEST_CASE("tiles that overlap by 4x the receptive field give the untiled result", "[sr]") {
  manual_seed(2);
  // Three 3x3 convs: each output pixel sees 3 LR pixels around its own.
  SRVGGCompact net(1, 2, 4, 1);
  const Tensor x = randn({2, 1, 37, 29});
  const Tensor whole = upscale(net, x, 2);
  const Tensor tiled = upscale(net, x, 2, TileOptions{16, 12});
  CHECK(tiled.shape() == Shape{2, 1, 74, 58});
  CHECK(max_abs_diff(tiled, whole) < 1e-5);
  // Edge to edge (no overlap) the seams show.
  CHECK(max_abs_diff(upscale(net, x, 2, TileOptions{8, 0}), whole) > 1e-3);
}

TEST_CASE("upscale names an overlap >= the tile and a net of another scale", "[sr]") {
  manual_seed(3);
  SRVGGCompact net(1, 2, 4, 1);
  const Tensor x = randn({1, 1, 20, 20});
  CHECK_THROWS_WITH(upscale(net, x, 2, TileOptions{8, 8}), Catch::Contains("must be smaller than the tile"));
  CHECK_THROWS_WITH(upscale(net, x, 4), Catch::Contains("not to x4"));
}
