// tests/test_half.cpp — bfloat16 and float16 on the CPU (core/half.h): the
// conversions, exhaustively over all 65536 bit patterns and at every rounding
// boundary, against an independent reference written here with frexp/ldexp
// arithmetic; the tensor operations the CPU supports for these dtypes (cast,
// copy, fill, item, print, save/load); and the clear error every CPU compute
// op gives on them.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>

#include "autograd/ops.h"
#include "core/half.h"
#include "nn/safetensors.h"

using namespace gantry;

namespace {

// A 16-bit float format: `mbits` stored mantissa bits, exponent bias.
struct Format {
  int mbits, ebits, bias;
};
constexpr Format kBF{7, 8, 127};
constexpr Format kF16{10, 5, 15};

// The value of a bit pattern, from the format's definition.
double decode_ref(uint16_t h, Format f) {
  const int sign = h >> 15;
  const int e = (h >> f.mbits) & ((1 << f.ebits) - 1);
  const int m = h & ((1 << f.mbits) - 1);
  double v;
  if (e == (1 << f.ebits) - 1) v = m ? std::numeric_limits<double>::quiet_NaN() : INFINITY;
  else if (e == 0) v = std::ldexp(m, 1 - f.bias - f.mbits);
  else v = std::ldexp(m + (1 << f.mbits), e - f.bias - f.mbits);
  return sign ? -v : v;
}

// x rounded to the format, to nearest with ties to even, as a double: the
// quantum at x's binade (or the subnormal quantum), nearbyint, overflow to inf.
double round_ref(double x, Format f) {
  if (std::isnan(x) || std::isinf(x)) return x;
  const double a = std::fabs(x);
  const int emin = 1 - f.bias, emax = (1 << f.ebits) - 2 - f.bias;
  int e = emin;
  if (a >= std::ldexp(1.0, emin)) {
    int k;
    std::frexp(a, &k);  // a = frac * 2^k, frac in [0.5, 1)
    e = k - 1;
  }
  const double q = std::ldexp(1.0, e - f.mbits);
  double r = std::nearbyint(a / q) * q;
  const double maxv = std::ldexp(2.0 - std::ldexp(1.0, -f.mbits), emax);
  if (r > maxv) r = INFINITY;
  return std::copysign(r, x);
}

uint16_t to_bits(float v, Format f) {
  return f.ebits == 8 ? BFloat16(v).bits : Float16(v).bits;
}
uint16_t to_bits(double v, Format f) {
  return f.ebits == 8 ? BFloat16(v).bits : Float16(v).bits;
}
float from_bits(uint16_t h, Format f) {
  return f.ebits == 8 ? static_cast<float>(BFloat16::from_bits(h))
                      : static_cast<float>(Float16::from_bits(h));
}

// got (bits) is the correct rounding of x: same value, same sign of zero.
bool rounds_right(uint16_t got, double x, Format f) {
  const double want = round_ref(x, f);
  const double g = decode_ref(got, f);
  if (std::isnan(want)) return got == 0x7fff;
  return g == want && std::signbit(g) == std::signbit(want);
}

void check_format(Format f, const char* name) {
  INFO(name);
  // Every pattern: decodes to its defined value; float round trip keeps the bits.
  int bad_decode = 0, bad_trip = 0;
  for (uint32_t h = 0; h < 65536; ++h) {
    const uint16_t b = static_cast<uint16_t>(h);
    const float v = from_bits(b, f);
    const double want = decode_ref(b, f);
    if (std::isnan(want)) {
      bad_decode += !std::isnan(v);
      bad_trip += to_bits(v, f) != 0x7fff || to_bits(static_cast<double>(v), f) != 0x7fff;
      continue;
    }
    bad_decode += !(static_cast<double>(v) == want && std::signbit(v) == std::signbit(want));
    bad_trip += to_bits(v, f) != b || to_bits(static_cast<double>(v), f) != b;
  }
  CHECK(bad_decode == 0);
  CHECK(bad_trip == 0);

  // Every rounding boundary: between each finite value and the next one up in
  // magnitude (and past the largest, toward overflow), the midpoint itself
  // (a tie) and its float/double neighbours, from float and from double.
  int bad_f = 0, bad_d = 0;
  const uint16_t inf = f.ebits == 8 ? 0x7f80 : 0x7c00;
  for (uint32_t h = 0; h < inf; ++h) {
    for (double s : {1.0, -1.0}) {
      const double lo = decode_ref(static_cast<uint16_t>(h), f);
      const double hi = h + 1 < inf ? decode_ref(static_cast<uint16_t>(h + 1), f)
                                    : 2 * lo - decode_ref(static_cast<uint16_t>(h - 1), f);
      const double mid = s * (lo + hi) / 2;  // exact in double (and in float)
      const float mf = static_cast<float>(mid);
      for (float x : {mf, std::nextafter(mf, INFINITY), std::nextafter(mf, -INFINITY),
                      static_cast<float>(s * lo), static_cast<float>(s * hi)})
        bad_f += !rounds_right(to_bits(x, f), x, f);
      // Doubles just off the midpoint round to the midpoint in float: a
      // conversion through float-with-ties-to-even would get these wrong.
      for (double x : {mid, mid * (1 + 0x1p-40), mid * (1 - 0x1p-40), mid * (1 + 0x1p-52),
                       mid * (1 - 0x1p-52), std::nextafter(mid, INFINITY)})
        bad_d += !rounds_right(to_bits(x, f), x, f);
    }
  }
  CHECK(bad_f == 0);
  CHECK(bad_d == 0);

  // Random float bit patterns (every exponent), random doubles over the range.
  std::mt19937_64 rng(1234);
  int bad_r = 0;
  for (int i = 0; i < 1 << 20; ++i) {
    const uint32_t u = static_cast<uint32_t>(rng());
    float x;
    std::memcpy(&x, &u, 4);
    bad_r += !rounds_right(to_bits(x, f), x, f);
    const double d = std::ldexp(static_cast<double>(rng() >> 11) * 0x1p-53,
                                static_cast<int>(rng() % 300) - 150) *
                     (rng() & 1 ? 1 : -1);
    bad_r += !rounds_right(to_bits(d, f), d, f);
  }
  CHECK(bad_r == 0);
}

}  // namespace

TEST_CASE("half: bfloat16 conversions, all patterns and every rounding boundary", "[half]") {
  check_format(kBF, "bfloat16");
}

TEST_CASE("half: float16 conversions, all patterns and every rounding boundary", "[half]") {
  check_format(kF16, "float16");
}

TEST_CASE("half: known values", "[half]") {
  CHECK(BFloat16(1.0f).bits == 0x3f80);
  CHECK(BFloat16(-2.0f).bits == 0xc000);
  CHECK(BFloat16(0.1f).bits == 0x3dcd);  // 0x3dcccccd rounds up
  CHECK(BFloat16(3.14159265f).bits == 0x4049);
  CHECK(BFloat16(std::numeric_limits<float>::max()).bits == 0x7f80);  // overflow -> inf
  CHECK(BFloat16(-INFINITY).bits == 0xff80);
  CHECK(BFloat16(std::numeric_limits<float>::quiet_NaN()).bits == 0x7fff);
  CHECK(BFloat16(-0.0f).bits == 0x8000);
  CHECK(BFloat16(std::numeric_limits<float>::denorm_min()).bits == 0x0000);
  CHECK(BFloat16(1e-39f).bits == 0x000b);  // float subnormal -> bf16 subnormal
  CHECK(BFloat16(1.00390625f).bits == 0x3f80);  // 1 + 2^-8: a tie, to even
  CHECK(BFloat16(1.01171875f).bits == 0x3f82);  // 1 + 3*2^-8: a tie, to even (up)
  CHECK(Float16(1.0f).bits == 0x3c00);
  CHECK(Float16(0.1f).bits == 0x2e66);
  CHECK(Float16(1.0f / 3).bits == 0x3555);
  CHECK(Float16(65504.0f).bits == 0x7bff);
  CHECK(Float16(65519.0f).bits == 0x7bff);
  CHECK(Float16(65520.0f).bits == 0x7c00);  // the tie above max -> inf
  CHECK(Float16(-1e6f).bits == 0xfc00);
  CHECK(Float16(0x1p-24f).bits == 0x0001);
  CHECK(Float16(0x1p-25f).bits == 0x0000);  // a tie, to even (zero)
  CHECK(Float16(0x1.8p-25f).bits == 0x0001);
  CHECK(Float16(0x1p-14f).bits == 0x0400);
  CHECK(Float16(0x1.ff8p-15f).bits == 0x03ff);  // largest subnormal
  CHECK(Float16(-0.0f).bits == 0x8000);
  CHECK(Float16(std::numeric_limits<float>::quiet_NaN()).bits == 0x7fff);
  CHECK(static_cast<float>(Float16::from_bits(0x0001)) == 0x1p-24f);
  CHECK(static_cast<float>(Float16::from_bits(0xfbff)) == -65504.0f);
  CHECK(std::isinf(static_cast<float>(Float16::from_bits(0x7c00))));
  CHECK(std::isnan(static_cast<float>(Float16::from_bits(0x7e00))));
  CHECK(static_cast<float>(BFloat16::from_bits(0x4049)) == 3.140625f);
  // double -> 16 bits rounds once: 1 + 2^-8 + 2^-40 is above the tie.
  CHECK(BFloat16(1.0 + 0x1p-8 + 0x1p-40).bits == 0x3f81);
  CHECK(Float16(1.0 + 0x1p-11 + 0x1p-40).bits == 0x3c01);
  CHECK(convert<int64_t>(Float16(-2.75f)) == -2);
  CHECK(convert<uint8_t>(BFloat16(200.0f)) == 200);
  CHECK(convert<Float16>(int64_t{2049}).bits == Float16(2048.0f).bits);  // tie to even
  CHECK(convert<BFloat16>(Float16(0.1f)).bits == BFloat16(static_cast<float>(Float16(0.1f))).bits);
}

TEST_CASE("half: tensors cast, copy, fill and read back on the cpu", "[half]") {
  for (DType dt : {kBFloat16, kFloat16}) {
    INFO(dtype_name(dt));
    Tensor x = from_vector<float>({1.f, -2.5f, 0.1f, 1e-3f, 300.f, -0.f}, {2, 3});
    Tensor h = x.to(dt);
    CHECK(h.dtype() == dt);
    CHECK(h.itemsize() == 2);
    const bool bf = dt == kBFloat16;
    auto round = [&](float v) {
      return bf ? static_cast<float>(BFloat16(v)) : static_cast<float>(Float16(v));
    };
    std::vector<float> want;
    for (float v : x.to_vector<float>()) want.push_back(round(v));
    CHECK(h.to_vector<float>() == want);
    CHECK(h.to(kFloat64).to_vector<double>() == std::vector<double>(want.begin(), want.end()));
    // Raw storage holds the conversion's bits.
    const uint16_t* p = static_cast<const uint16_t*>(h.raw_data());
    CHECK(p[2] == (bf ? BFloat16(0.1f).bits : Float16(0.1f).bits));
    // Views: contiguous() of a transpose, clone, copy_ into a strided view.
    Tensor ht = core::transpose(h, 0, 1);
    CHECK_FALSE(ht.is_contiguous());
    Tensor hc = core::contiguous(ht);
    CHECK(hc.is_contiguous());
    CHECK(hc.to_vector<float>() ==
          std::vector<float>{want[0], want[3], want[1], want[4], want[2], want[5]});
    CHECK(core::clone(h).to_vector<float>() == want);
    Tensor big = zeros({2, 6}, dt);
    core::copy_(core::slice(big, 1, 0, 6, 2), x);  // float32 -> half, strided dst
    CHECK(core::slice(big, 1, 0, 6, 2).to_vector<float>() == want);
    CHECK(core::slice(big, 1, 1, 6, 2).to_vector<float>() == std::vector<float>(6, 0.f));
    // fill_, item, integer casts both ways.
    Tensor f = full({3}, 0.1, dt);
    CHECK(f.to_vector<double>()[2] == static_cast<double>(round(0.1f)));
    CHECK(core::select(f, 0, 1).item<float>() == round(0.1f));
    CHECK(scalar_tensor(-3.5, dt).item<double>() == -3.5);
    CHECK(ones({2}, dt).to_vector<int64_t>() == std::vector<int64_t>{1, 1});
    CHECK(from_vector<int64_t>({-7, 2049}, {2}).to(dt).to_vector<float>() ==
          std::vector<float>{-7.f, 2048.f});  // bf16: spacing 16; f16: a tie, to even
    CHECK(from_vector<uint8_t>({0, 255}, {2}).to(dt).to(kInt32).to_vector<int32_t>() ==
          std::vector<int32_t>{0, 255});
    CHECK(h.to(kBFloat16).to(kFloat16).dtype() == kFloat16);
    // Printing goes through to_vector<double>.
    std::ostringstream os;
    os << h;
    CHECK(os.str().find(dtype_name(dt)) != std::string::npos);
  }
}

TEST_CASE("half: cpu compute ops reject 16-bit floats with a clear error", "[half]") {
  for (DType dt : {kBFloat16, kFloat16}) {
    Tensor a = ones({2, 2}, dt);
    const std::string dn = dtype_name(dt);
    CHECK_THROWS_WITH(add(a, a), Catch::Contains("add") && Catch::Contains(dn) &&
                                     Catch::Contains("cpu"));
    CHECK_THROWS_WITH(exp(a), Catch::Contains("exp") && Catch::Contains(dn));
    CHECK_THROWS_WITH(sum(a), Catch::Contains("sum") && Catch::Contains(dn));
    CHECK_THROWS_WITH(mm(a, a), Catch::Contains("mm") && Catch::Contains(dn));
    CHECK_THROWS_WITH(relu(a), Catch::Contains("relu") && Catch::Contains(dn));
    CHECK_THROWS_WITH(rand({2}, dt), Catch::Contains("rand") && Catch::Contains(dn));
  }
}

TEST_CASE("half: safetensors saves and loads BF16 and F16 bit for bit", "[half][io]") {
  const std::string path = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") +
                           "/half.safetensors";
  Tensor x = from_vector<float>({1.f, -0.1f, 3e4f, 1e-6f, 65504.f, -0.f}, {3, 2});
  Tensor b = x.to(kBFloat16), h = x.to(kFloat16);
  nn::save_safetensors(path, {{"b", b}, {"h", h}});
  auto f = nn::load_safetensors(path);
  REQUIRE(f.tensors.size() == 2);
  for (auto& nt : f.tensors) {
    const Tensor& want = nt.first == "b" ? b : h;
    INFO(nt.first);
    CHECK(nt.second.dtype() == want.dtype());
    CHECK(nt.second.shape() == want.shape());
    CHECK(std::memcmp(nt.second.raw_data(), want.raw_data(), 12) == 0);
  }
  // The header names the dtypes as Python's safetensors does.
  std::FILE* fp = std::fopen(path.c_str(), "rb");
  REQUIRE(fp);
  std::string bytes(4096, '\0');
  bytes.resize(std::fread(&bytes[0], 1, bytes.size(), fp));
  std::fclose(fp);
  CHECK(bytes.find("\"BF16\"") != std::string::npos);
  CHECK(bytes.find("\"F16\"") != std::string::npos);
  std::remove(path.c_str());
}
