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
