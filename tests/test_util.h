// tests/test_util.h — small helpers shared by the test programs.
#pragma once
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace testutil {

using Vec = std::vector<double>;

inline Vec vals(const gantry::Tensor& t) { return t.to_vector<double>(); }

// |got - want| <= tol * (1 + |want|) element by element; reports the first miss.
inline void check_close(const Vec& got, const Vec& want, double tol, const char* what) {
  INFO(what);
  REQUIRE(got.size() == want.size());
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < got.size(); ++i)
    if (!(std::abs(got[i] - want[i]) <= tol * (1 + std::abs(want[i]))) && bad++ == 0) first = i;
  INFO("first mismatch at " << first << ": got " << (bad ? got[first] : 0) << " want "
                            << (bad ? want[first] : 0) << " (" << bad << " mismatches)");
  CHECK(bad == 0);
}

// got (a float32 product a @ b, any backend) against the float64 product,
// within the worst-case rounding error of a K-term float32 dot product in
// any summation order: |got - exact| <= factor * K * 2^-24 * (|a| @ |b|).
// (Comparing two float32 backends with a fixed tolerance fails for large K
// whenever the terms cancel: each has its own ~sqrt(K) ulps of error.)
inline void check_gemm(const gantry::Tensor& got, const gantry::Tensor& a,
                       const gantry::Tensor& b, double factor, const char* what) {
  INFO(what);
  REQUIRE(a.dim() == 2);
  REQUIRE(b.dim() == 2);
  const int64_t M = a.size(0), K = a.size(1), N = b.size(1);
  REQUIRE(b.size(0) == K);
  REQUIRE(got.shape() == gantry::Shape{M, N});
  const Vec A = vals(a), B = vals(b), G = vals(got);
  size_t bad = 0, first = 0;
  double first_err = 0, first_bound = 0;
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double exact = 0, mag = 0;
      for (int64_t l = 0; l < K; ++l) {
        exact += A[i * K + l] * B[l * N + j];
        mag += std::abs(A[i * K + l] * B[l * N + j]);
      }
      const double bound = factor * static_cast<double>(K) * 0x1p-24 * mag;
      const double err = std::abs(G[i * N + j] - exact);
      if (!(err <= bound) && bad++ == 0) {
        first = static_cast<size_t>(i * N + j);
        first_err = err;
        first_bound = bound;
      }
    }
  INFO("first miss at " << first << ": error " << first_err << " > bound " << first_bound << " ("
                        << bad << " misses)");
  CHECK(bad == 0);
}

// The message of the gantry::Error that f throws ("" when it throws none).
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const gantry::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace testutil
