// tests/test_cuda_half.cpp — bfloat16 and float16 on the GPU beyond the
// conformance table: casts bit-identical to the CPU's conversion (core/half.h)
// over all 65536 patterns in both directions and at every rounding boundary,
// fills, random draws, GEMMs against float64 with a K-dependent bound, large
// reductions and the vectorized elementwise path (8 halves per 16 bytes).
//
// Built only with GANTRY_CUDA; exits 77 (skipped) where no GPU is usable.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>

#include "autograd/ops.h"
#include "core/half.h"
#include "core/rng.h"
#include "kernels/cuda/runtime.h"
#include "tests/test_util.h"

using namespace gantry;
using testutil::vals;

namespace {

const Device kCuda{DeviceType::CUDA, 0};
const DType kHalfs[] = {kBFloat16, kFloat16};

float value_of(DType d, uint16_t b) {
  return d == kBFloat16 ? static_cast<float>(BFloat16::from_bits(b))
                        : static_cast<float>(Float16::from_bits(b));
}

// A CPU tensor of dtype d holding these raw 16-bit patterns.
Tensor from_bits(DType d, const std::vector<uint16_t>& b) {
  Tensor t = empty({static_cast<int64_t>(b.size())}, d);
  std::memcpy(t.raw_data(), b.data(), b.size() * 2);
  return t;
}
std::vector<uint16_t> bits(const Tensor& t) {
  Tensor c = core::contiguous(core::to_device(t, kCPU));
  std::vector<uint16_t> r(c.numel());
  std::memcpy(r.data(), c.raw_data(), r.size() * 2);
  return r;
}
std::vector<uint32_t> float_bits(const Tensor& t) {
  auto v = t.to_vector<float>();
  std::vector<uint32_t> r(v.size());
  std::memcpy(r.data(), v.data(), v.size() * 4);
  return r;
}

// Floats that exercise every rounding decision of dtype d: every pattern's
// value, each midpoint between neighbours and the floats either side of it.
std::vector<float> boundary_floats(DType d) {
  std::vector<float> r;
  for (uint32_t h = 0; h < 65536; ++h) {
    const float v = value_of(d, static_cast<uint16_t>(h));
    r.push_back(v);
    if (!std::isfinite(v) || (h & 0x7fff) == (d == kBFloat16 ? 0x7f7f : 0x7bff)) continue;
    const float w = value_of(d, static_cast<uint16_t>(h + 1));
    if (!std::isfinite(w) || (w < 0) != (v < 0)) continue;
    const float mid = static_cast<float>((static_cast<double>(v) + w) / 2);
    r.insert(r.end(), {mid, std::nextafter(mid, INFINITY), std::nextafter(mid, -INFINITY)});
  }
  std::mt19937 rng(7);
  for (int i = 0; i < 1 << 20; ++i) {
    const uint32_t u = rng();
    float f;
    std::memcpy(&f, &u, 4);
    r.push_back(f);
  }
  return r;
}

}  // namespace

TEST_CASE("cuda half: 16-bit -> float32 casts match the cpu for all 65536 patterns",
          "[cuda][half]") {
  std::vector<uint16_t> all(65536);
  for (uint32_t h = 0; h < 65536; ++h) all[h] = static_cast<uint16_t>(h);
  for (DType d : kHalfs) {
    INFO(dtype_name(d));
    Tensor cpu = from_bits(d, all);
    Tensor gpu = cpu.to(kCuda);
    CHECK(bits(gpu) == all);  // the bytes travel unchanged
    auto want = float_bits(core::cast(cpu, kFloat32));
    auto got = float_bits(core::cast(gpu, kFloat32));
    REQUIRE(got.size() == want.size());
    int bad = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      const bool nan = (want[i] & 0x7fffffffu) > 0x7f800000u;
      // NaN: any NaN (the GPU's conversion may canonicalize the payload).
      bad += nan ? !((got[i] & 0x7fffffffu) > 0x7f800000u) : got[i] != want[i];
    }
    CHECK(bad == 0);
    // And to float64 and to the other 16-bit type.
    CHECK(vals(core::cast(gpu, kFloat64)).size() == 65536);
    const DType other = d == kBFloat16 ? kFloat16 : kBFloat16;
    auto x = bits(core::cast(gpu, other)), y = bits(core::cast(cpu, other));
    int bad2 = 0;
    for (size_t i = 0; i < x.size(); ++i)
      bad2 += std::isnan(value_of(other, y[i])) ? !std::isnan(value_of(other, x[i])) : x[i] != y[i];
    CHECK(bad2 == 0);
  }
}

TEST_CASE("cuda half: float32/float64 -> 16-bit casts match the cpu at every boundary",
          "[cuda][half]") {
  for (DType d : kHalfs) {
    INFO(dtype_name(d));
    std::vector<float> fs = boundary_floats(d);
    Tensor f = from_vector<float>(fs, {static_cast<int64_t>(fs.size())});
    for (DType src : {kFloat32, kFloat64}) {
      INFO("from " << dtype_name(src));
      Tensor s = core::cast(f, src);
      auto got = bits(core::cast(s.to(kCuda), d));
      auto want = bits(core::cast(s, d));
      int bad = 0;
      for (size_t i = 0; i < got.size(); ++i)
        bad += std::isnan(fs[i]) ? !std::isnan(value_of(d, got[i])) : got[i] != want[i];
      CHECK(bad == 0);
    }
    // Doubles just off each midpoint (one rounding, not two).
    std::vector<double> ds;
    for (uint32_t h = 0; h < 0x7f00; h += 3) {
      const double v = value_of(d, static_cast<uint16_t>(h)), w = value_of(d, h + 1);
      if (!std::isfinite(w)) break;
      const double mid = (v + w) / 2;
      ds.insert(ds.end(), {mid * (1 + 0x1p-40), mid * (1 - 0x1p-40), -mid * (1 + 0x1p-45)});
    }
    Tensor dd = from_vector<double>(ds, {static_cast<int64_t>(ds.size())});
    CHECK(bits(core::cast(dd.to(kCuda), d)) == bits(core::cast(dd, d)));
    // Integers (through double on both devices).
    Tensor i64 = from_vector<int64_t>({0, 1, -7, 255, 2049, 65519, 65520, -70000, 1234567891},
                                      {9});
    CHECK(bits(core::cast(i64.to(kCuda), d)) == bits(core::cast(i64, d)));
    Tensor u8 = core::cast(arange(256.0, kInt64), kUInt8);
    CHECK(bits(core::cast(u8.to(kCuda), d)) == bits(core::cast(u8, d)));
    // 16-bit -> integers truncate like float -> integer.
    Tensor h = core::cast(from_vector<float>({-2.75f, 3.5f, 100.f, 0.f}, {4}), d);
    CHECK(vals(core::cast(h.to(kCuda), kInt64)) == vals(core::cast(h, kInt64)));
  }
}

TEST_CASE("cuda half: fills, strided copies and random draws", "[cuda][half]") {
  for (DType d : kHalfs) {
    INFO(dtype_name(d));
    for (double v : {0.1, -3.0, 1e-7, 70000.0, -0.0}) {
      Tensor g = full({5, 3}, v, Options(d).device(kCuda));
      CHECK(bits(g) == bits(full({5, 3}, v, d)));
    }
    // A strided fill and a transposed copy on the device.
    Tensor x = core::cast(arange(24.0, kFloat32), d).reshape({4, 6});
    Tensor g = x.to(kCuda);
    CHECK(bits(g.t().contiguous()) == bits(x.t().contiguous()));
    Tensor z = zeros({4, 6}, Options(d).device(kCuda));
    core::fill_(core::slice(z, 1, 0, 6, 2), 2.5);
    CHECK(vals(z.slice(1, 0, 6, 2)) == std::vector<double>(12, 2.5));
    CHECK(vals(z.slice(1, 1, 6, 2)) == std::vector<double>(12, 0.0));
    // rand: on the type's grid in [0, 1); randn: the float64 draw rounded once
    // (the GPU's normal draw may differ from the CPU's by a few float64 ulp,
    // so at most one 16-bit ulp after rounding).
    RandomState gen(123);
    Tensor u = rand({100000}, Options(d).device(kCuda), &gen);
    auto uv = vals(u);
    const double grid = d == kBFloat16 ? 256 : 2048;
    int bad = 0;
    double mean = 0;
    for (double v : uv) {
      bad += !(v >= 0 && v < 1 && std::floor(v * grid) == v * grid);
      mean += v / uv.size();
    }
    CHECK(bad == 0);
    CHECK(std::abs(mean - 0.5) < 0.01);
    RandomState g1(5), g2(5);
    auto gn = vals(randn({20000}, Options(d).device(kCuda), &g1));
    auto cn = vals(core::cast(randn({20000}, kFloat64, &g2), d));
    int far = 0;
    for (size_t i = 0; i < gn.size(); ++i)
      far += std::abs(gn[i] - cn[i]) > (d == kBFloat16 ? 0x1p-7 : 0x1p-10) * std::abs(cn[i]);
    CHECK(far == 0);
  }
}

TEST_CASE("cuda half: GEMM against float64 with a K-dependent bound", "[cuda][half][gemm]") {
  // C = A @ B with 16-bit A, B, C and float32 accumulation: per element
  //   |C - C64| <= 2u |C64| + K 2^-23 sum_k |A_ik| |B_kj|
  // (u: the 16-bit unit roundoff for C's rounding; float32 accumulation error
  // with a factor-2 margin), C64 the float64 product of the same 16-bit values.
  for (DType d : kHalfs) {
    const double u = d == kBFloat16 ? 0x1p-8 : 0x1p-11;
    for (int64_t K : {int64_t(16), int64_t(512), int64_t(4096)}) {
      for (bool transposed : {false, true}) {
        INFO(dtype_name(d) << " K " << K << (transposed ? " A transposed" : ""));
        const int64_t M = 37, N = 70;
        RandomState g(static_cast<uint64_t>(K));
        Tensor a = core::cast(randn({M, K}, kFloat64, &g), d);
        Tensor b = core::cast(randn({K, N}, kFloat64, &g), d);
        Tensor ga = transposed ? a.t().contiguous().to(kCuda).t() : a.to(kCuda);
        Tensor c = mm(ga, b.to(kCuda));
        REQUIRE(c.dtype() == d);
        Tensor a64 = core::cast(a, kFloat64), b64 = core::cast(b, kFloat64);
        auto want = vals(mm(a64, b64));
        auto mag = vals(mm(abs(a64), abs(b64)));
        auto got = vals(c);
        int bad = 0;
        for (size_t i = 0; i < got.size(); ++i)
          bad += !(std::abs(got[i] - want[i]) <=
                   2 * u * std::abs(want[i]) + K * 0x1p-23 * mag[i]);
        CHECK(bad == 0);
      }
    }
    // bmm with a batch of 3.
    RandomState g(9);
    Tensor a = core::cast(randn({3, 8, 300}, kFloat64, &g), d);
    Tensor b = core::cast(randn({3, 300, 5}, kFloat64, &g), d);
    auto got = vals(bmm(a.to(kCuda), b.to(kCuda)));
    Tensor a64 = core::cast(a, kFloat64), b64 = core::cast(b, kFloat64);
    auto want = vals(bmm(a64, b64));
    auto mag = vals(bmm(abs(a64), abs(b64)));
    int bad = 0;
    for (size_t i = 0; i < got.size(); ++i)
      bad += !(std::abs(got[i] - want[i]) <= 2 * u * std::abs(want[i]) + 300 * 0x1p-23 * mag[i]);
    CHECK(bad == 0);
  }
}

TEST_CASE("cuda half: large reductions accumulate wide, vector paths at odd sizes",
          "[cuda][half]") {
  for (DType d : kHalfs) {
    INFO(dtype_name(d));
    const double u = d == kBFloat16 ? 0x1p-8 : 0x1p-11;
    RandomState g(11);
    // 2^20 + 3 values: a float16/bfloat16 running sum would stall long before.
    // In [0, 1/32), so the sum (about 16,384) stays below float16's largest
    // value, 65,504 (in [0, 1) it overflowed to inf: found by the emulation).
    Tensor x = core::cast(mul(rand({(1 << 20) + 3}, kFloat64, &g), 1.0 / 32), d);
    Tensor x64 = core::cast(x, kFloat64);
    Tensor gx = x.to(kCuda);
    const double s = sum(x64).item<double>();
    CHECK(std::abs(sum(gx).item<double>() - s) <= u * s);
    CHECK(std::abs(mean(gx).item<double>() - s / x.numel()) <= u * s / x.numel());
    CHECK(std::abs(var(gx).item<double>() - var(x64).item<double>()) <=
          u * var(x64).item<double>());
    CHECK(max(gx).item<double>() == max(x64).item<double>());
    CHECK(argmin(gx).item<int64_t>() == argmin(x64).item<int64_t>());
    // Elementwise at sizes around the 8-wide vector, from aligned and
    // unaligned (offset 1) starts: exp rounded once from float32 math.
    for (int64_t n : {int64_t(7), int64_t(8), int64_t(9), int64_t(8 * 1000 + 5)}) {
      for (int64_t off : {int64_t(0), int64_t(1)}) {
        INFO("n " << n << " offset " << off);
        Tensor in = gx.slice(0, off, off + n);
        auto got = vals(exp(in));
        auto ref = vals(in);
        int bad = 0;
        for (size_t i = 0; i < got.size(); ++i)
          bad += !(std::abs(got[i] - std::exp(ref[i])) <= 2 * u * std::exp(ref[i]));
        CHECK(bad == 0);
        auto sums = vals(add(in, in));
        int bad2 = 0;
        for (size_t i = 0; i < sums.size(); ++i) bad2 += sums[i] != 2 * ref[i];  // exact
        CHECK(bad2 == 0);
      }
    }
  }
}
