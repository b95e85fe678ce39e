// tests/test_tensor.cpp — core: factories, views, copies, dtypes, printing,
// the Philox generator and determinism.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <sstream>
#include <thread>

#include "autograd/ops.h"
#include "core/parallel.h"
#include "core/rng.h"

using namespace gantry;

TEST_CASE("factories: shapes, dtypes and values", "[tensor]") {
  Tensor z = zeros({2, 3});
  CHECK(z.shape() == Shape{2, 3});
  CHECK(z.dtype() == kFloat32);
  CHECK(z.device() == kCPU);
  CHECK(z.is_contiguous());
  CHECK(z.to_vector<float>() == std::vector<float>(6, 0.f));
  CHECK(ones({2}, kFloat64).to_vector<double>() == std::vector<double>{1, 1});
  CHECK(full({2}, 2.5).to_vector<float>() == std::vector<float>{2.5f, 2.5f});
  CHECK(arange(5, kInt64).to_vector<int64_t>() == std::vector<int64_t>{0, 1, 2, 3, 4});
  CHECK(arange(1, 2, 0.25, kFloat64).to_vector<double>() ==
        std::vector<double>{1, 1.25, 1.5, 1.75});
  auto ls = linspace(0, 1, 5, kFloat64).to_vector<double>();
  CHECK(ls == std::vector<double>{0, 0.25, 0.5, 0.75, 1});
  CHECK(scalar_tensor(3).dim() == 0);
  CHECK(scalar_tensor(3).item<float>() == 3.f);
  Tensor fv = from_vector<int32_t>({1, 2, 3, 4}, {2, 2});
  CHECK(fv.dtype() == kInt32);
  CHECK(fv.to_vector<double>() == std::vector<double>{1, 2, 3, 4});
  CHECK(zeros_like(fv).dtype() == kInt32);
  CHECK(ones_like(fv).to_vector<int32_t>() == std::vector<int32_t>{1, 1, 1, 1});
  CHECK(full_like(fv, 7).to_vector<int32_t>() == std::vector<int32_t>{7, 7, 7, 7});
  CHECK(empty_like(z).shape() == z.shape());
  CHECK(empty({0, 3}).numel() == 0);
  CHECK(dtype_size(kBFloat16) == 2);
}

TEST_CASE("from_blob wraps memory without copying and runs the deleter", "[tensor]") {
  static int freed = 0;
  float* buf = new float[4]{1, 2, 3, 4};
  {
    Tensor t = from_blob(buf, {2, 2}, kFloat32, [](void* p) {
      delete[] static_cast<float*>(p);
      ++freed;
    });
    buf[3] = 9;
    CHECK(t.to_vector<float>() == std::vector<float>{1, 2, 3, 9});
  }
  CHECK(freed == 1);
}

TEST_CASE("views share storage: writes through a view are seen by the base", "[tensor][views]") {
  Tensor base = arange(12, kFloat64).reshape({3, 4});
  Tensor t = base.transpose(0, 1);
  CHECK_FALSE(t.is_contiguous());
  CHECK(t.storage() == base.storage());
  core::fill_(t.select(0, 1), -1.0);  // column 1 of base
  CHECK(base.to_vector<double>() ==
        std::vector<double>{0, -1, 2, 3, 4, -1, 6, 7, 8, -1, 10, 11});
  Tensor s = base.slice(1, 0, 4, 2);  // columns 0 and 2
  core::copy_(s, zeros({3, 2}, kFloat64));
  CHECK(base.to_vector<double>() ==
        std::vector<double>{0, -1, 0, 3, 0, -1, 0, 7, 0, -1, 0, 11});
  Tensor n = base.narrow(0, 1, 1).squeeze(0);
  core::fill_(n, 5.0);
  CHECK(base.select(0, 1).to_vector<double>() == std::vector<double>{5, 5, 5, 5});
  Tensor e = from_vector<double>({1, 2}, {2, 1}).expand({2, 3});
  CHECK(e.stride(1) == 0);
  CHECK(e.to_vector<double>() == std::vector<double>{1, 1, 1, 2, 2, 2});
}

TEST_CASE("reshape is a view when possible and a copy otherwise", "[tensor][views]") {
  Tensor a = arange(24).reshape({2, 3, 4});
  Tensor v = a.reshape({6, 4});
  CHECK(v.storage() == a.storage());
  Tensor p = a.permute({0, 2, 1});        // [2,4,3], not contiguous
  Tensor r = p.reshape({2, 12});          // needs a copy
  CHECK(r.storage() != a.storage());
  CHECK(r.to_vector<float>() == p.contiguous().to_vector<float>());
  Tensor q = p.reshape({2, 4, 3, 1});     // adding a unit dim stays a view
  CHECK(q.storage() == a.storage());
  CHECK_THROWS_WITH(p.view({2, 12}), Catch::Contains("view") && Catch::Contains("reshape"));
  CHECK(a.flatten().shape() == Shape{24});
  CHECK(a.flatten(1).shape() == Shape{2, 12});
  CHECK(a.unsqueeze(-1).shape() == Shape{2, 3, 4, 1});
  CHECK(a.unsqueeze(1).squeeze().shape() == Shape{2, 3, 4});
  // A transposed-then-sliced view read through reshape keeps the right order.
  Tensor t = a.reshape({6, 4}).t().slice(1, 1, 5);  // [4,4]
  std::vector<float> expect;
  for (int i = 0; i < 4; ++i)
    for (int j = 1; j < 5; ++j) expect.push_back(j * 4 + i);
  CHECK(t.reshape({16}).to_vector<float>() == expect);
}

TEST_CASE("contiguous, clone and dtype conversion", "[tensor]") {
  Tensor a = arange(6, kFloat64).reshape({2, 3});
  CHECK(a.contiguous().is_same(a));  // no copy when already contiguous
  Tensor c = a.clone();
  CHECK(c.storage() != a.storage());
  Tensor f = a.to(kFloat32);
  CHECK(f.dtype() == kFloat32);
  CHECK(f.to_vector<float>() == std::vector<float>{0, 1, 2, 3, 4, 5});
  CHECK(from_vector<double>({2.7, -1.5}, {2}).to(kInt64).to_vector<int64_t>() ==
        std::vector<int64_t>{2, -1});
  CHECK(a.select(0, 1).select(0, 2).item<double>() == 5.0);
}

TEST_CASE("item and printing", "[tensor]") {
  CHECK_THROWS_WITH(zeros({2}).item<float>(), Catch::Contains("[2]") && Catch::Contains("1"));
  std::ostringstream os;
  os << arange(4).reshape({2, 2});
  CHECK(os.str().find("shape=[2,2]") != std::string::npos);
  CHECK(os.str().find("dtype=float32") != std::string::npos);
  CHECK(os.str().find("device=cpu") != std::string::npos);
  CHECK(os.str().find("3") != std::string::npos);
  std::ostringstream big;
  big << arange(100);
  CHECK(big.str().find("...") != std::string::npos);
}

TEST_CASE("Philox-4x32-10 matches the published known-answer vectors", "[rng]") {
  // Random123's kat_vectors for philox4x32 with 10 rounds.
  uint32_t out[4];
  Philox::block(0, 0, 0, 0, 0, 0, out);
  CHECK(out[0] == 0x6627e8d5u);
  CHECK(out[1] == 0xe169c58du);
  CHECK(out[2] == 0xbc57ac4cu);
  CHECK(out[3] == 0x9b00dbd8u);
  Philox::block(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, out);
  CHECK(out[0] == 0x408f276du);
  CHECK(out[1] == 0x41c83b0eu);
  CHECK(out[2] == 0xa20bc7c6u);
  CHECK(out[3] == 0x6d5451fdu);
  Philox::block(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, out);
  CHECK(out[0] == 0xd16cfe09u);
  CHECK(out[1] == 0x94fdccebu);
  CHECK(out[2] == 0x5001e420u);
  CHECK(out[3] == 0x24126ea1u);
}

TEST_CASE("random draws: seeded, offset-based, thread-count independent", "[rng]") {
  manual_seed(42);
  Tensor a = rand({1000});
  Tensor b = rand({1000});
  manual_seed(42);
  Tensor a2 = rand({1000});
  CHECK(a.to_vector<float>() == a2.to_vector<float>());
  CHECK(a.to_vector<float>() != b.to_vector<float>());
  // Element i of a draw is a pure function of (seed, offset + i).
  RandomState g(42);
  g.set_offset(1000);
  Tensor b_again = rand({1000}, {}, &g);
  CHECK(b.to_vector<float>() == b_again.to_vector<float>());
  uint32_t w[4];
  Philox::draw(42, 17, w);
  CHECK(a.to_vector<float>()[17] == Philox::uniform_f32(w));
  // Same values with 1 thread and with 2, for a tensor large enough to run in parallel.
  const int prev = get_num_threads();
  set_num_threads(1);
  RandomState g1(9);
  auto one = randn({100000}, {}, &g1).to_vector<float>();
  set_num_threads(2);
  RandomState g2(9);
  auto two = randn({100000}, {}, &g2).to_vector<float>();
  set_num_threads(prev);
  CHECK(one == two);
}

TEST_CASE("random draws have the right distributions", "[rng]") {
  RandomState g(123);
  auto u = rand({200000}, kFloat64, &g);
  CHECK(mean(u).item<double>() == Approx(0.5).margin(0.005));
  CHECK(var(u).item<double>() == Approx(1.0 / 12).margin(0.002));
  CHECK(min(u).item<double>() >= 0.0);
  CHECK(max(u).item<double>() < 1.0);
  auto n = randn({200000}, kFloat64, &g);
  CHECK(mean(n).item<double>() == Approx(0.0).margin(0.01));
  CHECK(var(n).item<double>() == Approx(1.0).margin(0.01));
  auto ri = randint(-3, 4, {100000}, kInt64, &g).to_vector<int64_t>();
  std::vector<int> hist(7, 0);
  for (auto v : ri) {
    REQUIRE(v >= -3);
    REQUIRE(v < 4);
    hist[v + 3]++;
  }
  for (int h : hist) CHECK(h == Approx(100000 / 7.0).epsilon(0.05));
}

TEST_CASE("reductions, elementwise ops and GEMM are bit-identical across thread counts",
          "[determinism]") {
  RandomState g(5);
  Tensor x = randn({300, 1000}, {}, &g);
  Tensor w = randn({1000, 200}, {}, &g);
  Tensor a = randn({40, 200}, {}, &g), b = randn({200, 40}, {}, &g);  // below our parallel cut
  const int prev = get_num_threads();
  set_num_threads(1);
  auto s1 = sum(x).item<float>();
  auto r1 = sum(x, {0}).to_vector<float>();
  auto v1 = var(x, {1}).to_vector<float>();
  auto e1 = tanh(x).to_vector<float>();
  auto m1 = mm(x, w).to_vector<float>();
  auto p1 = mm(a, b).to_vector<float>();
  set_num_threads(2);
  auto s2 = sum(x).item<float>();
  auto r2 = sum(x, {0}).to_vector<float>();
  auto v2 = var(x, {1}).to_vector<float>();
  auto e2 = tanh(x).to_vector<float>();
  auto m2 = mm(x, w).to_vector<float>();
  auto p2 = mm(a, b).to_vector<float>();
  set_num_threads(prev);
  CHECK(m1 == m2);
  CHECK(p1 == p2);
  CHECK(s1 == s2);
  CHECK(r1 == r2);
  CHECK(v1 == v2);
  CHECK(e1 == e2);
}

TEST_CASE("scatter_add: parallel over lines, every target summed in one order", "[determinism]") {
  // 64 x 3000 sources onto 64 x 7 targets: each target gets ~430 terms, in
  // the order of k (the source's position along dim 1).
  RandomState g(11);
  Tensor src = randn({64, 3000}, {}, &g);
  std::vector<int64_t> iv(64 * 3000);
  for (size_t i = 0; i < iv.size(); ++i) iv[i] = static_cast<int64_t>((i * 2654435761u) % 7);
  Tensor idx = from_vector<int64_t>(iv, {64, 3000});
  const Tensor base = zeros({64, 7});
  const int prev = get_num_threads();
  set_num_threads(1);
  auto one = scatter_add(base, 1, idx, src).to_vector<float>();
  set_num_threads(2);
  auto two = scatter_add(base, 1, idx, src).to_vector<float>();
  set_num_threads(prev);
  CHECK(one == two);
  // The order is k = 0, 1, ... for every target: a plain float loop agrees bit for bit.
  const auto sv = src.to_vector<float>();
  std::vector<float> ref(64 * 7, 0.0f);
  for (int64_t r = 0; r < 64; ++r)
    for (int64_t k = 0; k < 3000; ++k) ref[r * 7 + iv[r * 3000 + k]] += sv[r * 3000 + k];
  CHECK(one == ref);
}

TEST_CASE("float32 sums use a wide accumulator", "[tensor]") {
  // 2e7 ones: a float32 running sum stalls at 2^24 = 16777216; the exact
  // answer is representable and must come out exactly.
  Tensor x = ones({20000000});
  CHECK(sum(x).item<float>() == 2e7f);
  CHECK(mean(x).item<float>() == 1.0f);
}

TEST_CASE("scalar overloads and operators", "[tensor]") {
  Tensor x = from_vector<double>({1, 2, 4}, {3});
  CHECK((2.0 - x).to_vector<double>() == std::vector<double>{1, 0, -2});
  CHECK((2.0 / x).to_vector<double>() == std::vector<double>{2, 1, 0.5});
  CHECK((x * 3.0 + 1.0).to_vector<double>() == std::vector<double>{4, 7, 13});
  CHECK((-x).to_vector<double>() == std::vector<double>{-1, -2, -4});
  CHECK(gt(x, 1.5).to_vector<uint8_t>() == std::vector<uint8_t>{0, 1, 1});
  CHECK(le(x, 2.0).to_vector<uint8_t>() == std::vector<uint8_t>{1, 1, 0});
  // An integer tensor against a fractional scalar is not truncated.
  Tensor i = from_vector<int64_t>({0, 1}, {2});
  CHECK(lt(i, 0.5).to_vector<uint8_t>() == std::vector<uint8_t>{1, 0});
  CHECK(eq(i, 0.5).to_vector<uint8_t>() == std::vector<uint8_t>{0, 0});
  CHECK(linspace(3, 7, 1, kFloat64).to_vector<double>() == std::vector<double>{3});
}

TEST_CASE("empty and 0-d tensors", "[tensor]") {
  Tensor e = zeros({16, 0});
  CHECK(add(e, e).numel() == 0);
  CHECK(e.clone().shape() == Shape{16, 0});
  CHECK(sum(e).item<float>() == 0.f);
  Tensor s = scalar_tensor(3, Options(kFloat64).requires_grad(true));
  Tensor y = sum(mul(s, s), {0});
  y.backward();
  CHECK(s.grad().item<double>() == 6.0);
  CHECK_THROWS_WITH(s.size(0), Catch::Contains("0-d"));
}

// float32 tanh is a vectorized polynomial exp (kernels/cpu/elementwise.cpp),
// not glibc's tanhf: check it densely against float64 tanh, and at the edges.
TEST_CASE("tanh float32: dense accuracy, infinities and NaN") {
  std::vector<float> xs;
  for (int i = -40000; i <= 40000; ++i) xs.push_back(i * 5e-4f);  // [-20, 20]
  for (float v : {1e-30f, -1e-30f, 1e-8f, 3e-4f, 0.0f, -0.0f, 9.0f, 10.0f, 11.0f, 87.0f, 1e30f})
    xs.push_back(v);
  const float inf = std::numeric_limits<float>::infinity();
  xs.push_back(inf);
  xs.push_back(-inf);
  xs.push_back(std::numeric_limits<float>::quiet_NaN());
  Tensor x = from_vector<float>(xs, {static_cast<int64_t>(xs.size())});
  auto y = tanh(x).to_vector<float>();
  double worst = 0;
  for (size_t i = 0; i + 1 < xs.size(); ++i)
    worst = std::max(worst, std::abs(double(y[i]) - std::tanh(double(xs[i]))));
  CHECK(worst <= 3e-7);
  CHECK(std::isnan(y.back()));
  CHECK(y[y.size() - 3] == 1.0f);
  CHECK(y[y.size() - 2] == -1.0f);
}
