// tests/test_gemm.cpp — the CPU GEMM kernels (kernels/cpu/gemm.h) against a
// float64 loop: Gantry's packed AVX-512 float kernel and Eigen, on shapes
// that hit every edge of the packed kernel's blocking (M not a multiple of
// its 12-row tiles, N not a multiple of 32 columns, K longer than one 192-deep
// slice, N wider than one 512-column block), with row- and column-major
// operands and accumulation; and thread-count determinism.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "core/parallel.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "kernels/cpu/gemm.h"

using namespace gantry;

namespace {

struct Case {
  int64_t M, K, N;
  bool a_colmajor, b_colmajor, accumulate;
};

std::vector<float> random_vec(size_t n, uint64_t seed) {
  RandomState g(seed);
  Tensor t = randn({static_cast<int64_t>(n)}, {}, &g);
  return t.to_vector<float>();
}

// Runs gemm<float> on the case with the current backend; returns C [M,N].
std::vector<float> run(const Case& c, const std::vector<float>& a, const std::vector<float>& b,
                       const std::vector<float>& c0) {
  std::vector<float> out = c0;
  const int64_t ars = c.a_colmajor ? 1 : c.K, acs = c.a_colmajor ? c.M : 1;
  const int64_t brs = c.b_colmajor ? 1 : c.N, bcs = c.b_colmajor ? c.K : 1;
  kernels::gemm<float>(a.data(), c.M, c.K, ars, acs, b.data(), c.N, brs, bcs, out.data(), c.N,
                       c.accumulate);
  return out;
}

std::vector<double> reference(const Case& c, const std::vector<float>& a,
                              const std::vector<float>& b, const std::vector<float>& c0) {
  std::vector<double> out(c.M * c.N);
  for (int64_t i = 0; i < c.M; ++i)
    for (int64_t j = 0; j < c.N; ++j) {
      double s = c.accumulate ? c0[i * c.N + j] : 0.0;
      for (int64_t k = 0; k < c.K; ++k) {
        const double x = c.a_colmajor ? a[k * c.M + i] : a[i * c.K + k];
        const double y = c.b_colmajor ? b[j * c.K + k] : b[k * c.N + j];
        s += x * y;
      }
      out[i * c.N + j] = s;
    }
  return out;
}

const Case kCases[] = {
    {12, 8, 32, false, false, false},    // exactly one tile
    {13, 7, 33, false, false, false},    // one past a tile in M and N
    {37, 300, 70, false, false, true},   // K over two slices, accumulate
    {25, 600, 40, true, false, true},    // K over four slices (one partial), accumulate
    {6, 5, 16, true, false, false},      // smallest shape the packed kernel takes
    {100, 257, 45, true, true, false},   // both column-major, K over two slices
    {29, 64, 4100, false, true, true},   // N over several 512-column blocks (A packed once)
    {14, 500, 1100, true, true, false},  // several blocks and K slices, A packed once
    {5, 3, 7, false, false, true},       // too thin: Eigen path even on Auto
    {128, 1024, 196, false, false, false},  // a DCGAN im2col shape
};

}  // namespace

TEST_CASE("gemm<float>: packed AVX-512 and Eigen backends match a float64 loop") {
  for (auto backend : {kernels::GemmBackend::Auto, kernels::GemmBackend::Eigen}) {
    kernels::set_gemm_backend(backend);
    for (const Case& c : kCases) {
      INFO("backend " << (backend == kernels::GemmBackend::Auto ? "auto" : "eigen") << " M="
                      << c.M << " K=" << c.K << " N=" << c.N << " a_col=" << c.a_colmajor
                      << " b_col=" << c.b_colmajor << " acc=" << c.accumulate);
      auto a = random_vec(c.M * c.K, 1), b = random_vec(c.K * c.N, 2),
           c0 = random_vec(c.M * c.N, 3);
      auto got = run(c, a, b, c0);
      auto want = reference(c, a, b, c0);
      size_t bad = 0;
      for (size_t i = 0; i < got.size(); ++i)
        if (!(std::abs(got[i] - want[i]) <= 1e-5 * std::sqrt(double(c.K)) * (1 + std::abs(want[i]))))
          ++bad;
      CHECK(bad == 0);
    }
  }
  kernels::set_gemm_backend(kernels::GemmBackend::Auto);
}

TEST_CASE("gemm<float>: bit-identical for 1 and 2 threads") {
  const int saved = get_num_threads();
  for (const Case& c : kCases) {
    INFO("M=" << c.M << " K=" << c.K << " N=" << c.N);
    auto a = random_vec(c.M * c.K, 4), b = random_vec(c.K * c.N, 5), c0 = random_vec(c.M * c.N, 6);
    set_num_threads(1);
    auto one = run(c, a, b, c0);
    set_num_threads(2);
    auto two = run(c, a, b, c0);
    CHECK(one == two);
  }
  set_num_threads(saved);
}

TEST_CASE("gemm<float>: empty and K = 0 products") {
  std::vector<float> c(6, 7.f);
  kernels::gemm<float>(nullptr, 2, 0, 0, 1, nullptr, 3, 3, 1, c.data(), 3, false);
  CHECK(c == std::vector<float>(6, 0.f));
  std::vector<float> d(6, 7.f);
  kernels::gemm<float>(nullptr, 2, 0, 0, 1, nullptr, 3, 3, 1, d.data(), 3, true);
  CHECK(d == std::vector<float>(6, 7.f));
}
