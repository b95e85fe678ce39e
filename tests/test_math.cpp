// tests/test_math.cpp — the CPU kernels compute the shared scalar math.
//
// Every GANTRY_ELEMENTWISE entry of the op table is run through its CPU
// kernel on a dense sweep and compared, element by element, with its functor
// from kernels/math.h called directly — the formula the CUDA kernels run too.
// A kernel that uses the functor matches it bit for bit. A vectorized CPU
// specialization (kernels/cpu/elementwise.cpp) must be listed in
// kAllowedUlps with the error it is allowed, and is held to that bound here.
// The sweep covers tiny |x| from 1e-8 to 1e-3, the saturation region, +-0,
// subnormals, infinities and NaN.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <vector>

#include "autograd/ops.h"
#include "kernels/math.h"
#include "kernels/registry.h"

using namespace gantry;
using kernels::OpId;

namespace {

// Distance in units in the last place (NaN == NaN); +0 and -0 differ by one.
int64_t ulp_distance(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b) ? 0 : INT64_MAX;
  int32_t ia, ib;
  std::memcpy(&ia, &a, 4);
  std::memcpy(&ib, &b, 4);
  // Map to a monotone integer line: -0 -> -1, +0 -> 0, so a lost sign counts.
  if (ia < 0) ia = -1 - (ia & 0x7fffffff);
  if (ib < 0) ib = -1 - (ib & 0x7fffffff);
  return std::abs(int64_t(ia) - int64_t(ib));
}
int64_t ulp_distance(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b) ? 0 : INT64_MAX;
  int64_t ia, ib;
  std::memcpy(&ia, &a, 8);
  std::memcpy(&ib, &b, 8);
  if (ia < 0) ia = -1 - (ia & 0x7fffffffffffffffll);
  if (ib < 0) ib = -1 - (ib & 0x7fffffffffffffffll);
  return ia > ib ? ia - ib : ib - ia;
}

// The CPU specializations and the ulps each may differ from the functor.
const std::map<std::pair<OpId, DType>, int64_t> kAllowedUlps = {
    {{OpId::tanh, kFloat32}, 4},  // TanhF32: odd series near 0, exp_f32 elsewhere
};

template <typename T>
std::vector<T> sweep() {
  std::vector<T> v;
  for (int i = -20000; i <= 20000; ++i) v.push_back(static_cast<T>(i * 1e-3));  // [-20, 20]
  for (double e = -8; e <= -3; e += 0.001) {                                   // tiny |x|
    v.push_back(static_cast<T>(std::pow(10.0, e)));
    v.push_back(static_cast<T>(-std::pow(10.0, e)));
  }
  for (double x = 5; x <= 30; x += 0.01) {  // saturation
    v.push_back(static_cast<T>(x));
    v.push_back(static_cast<T>(-x));
  }
  const T dmin = std::numeric_limits<T>::denorm_min(), nmin = std::numeric_limits<T>::min();
  for (T s : {dmin, T(3) * dmin, nmin / T(2), nmin, T(1e-30), std::numeric_limits<T>::max()}) {
    v.push_back(s);
    v.push_back(-s);
  }
  v.push_back(T(0));
  v.push_back(-T(0));
  v.push_back(std::numeric_limits<T>::infinity());
  v.push_back(-std::numeric_limits<T>::infinity());
  v.push_back(std::numeric_limits<T>::quiet_NaN());
  return v;
}

template <typename T, template <typename> class F, typename A, int NIn>
void check_entry(OpId op) {
  const DType dt = dtype_of<T>::value;
  INFO("op " << kernels::op_name(op) << " " << dtype_name(dt));
  const auto allowed_it = kAllowedUlps.find({op, dt});
  const int64_t allowed = allowed_it == kAllowedUlps.end() ? 0 : allowed_it->second;
  const A attrs{};
  const F<T> f = math::make_functor<F<T>>(attrs);
  std::vector<T> xs = sweep<T>(), ys;
  if (NIn == 2) {  // pairs: the sweep against a coarser one
    std::vector<T> a, b;
    std::vector<T> coarse;
    for (size_t i = 0; i < xs.size(); i += 97) coarse.push_back(xs[i]);
    for (T u : coarse)
      for (T w : coarse) a.push_back(u), b.push_back(w);
    xs = a;
    ys = b;
  }
  const int64_t n = static_cast<int64_t>(xs.size());
  Tensor x = from_vector<T>(xs, {n});
  Tensor out = empty({n}, dt);
  if constexpr (NIn == 1) {
    kernels::run(op, {x}, {out}, attrs);
  } else {
    kernels::run(op, {x, from_vector<T>(ys, {n})}, {out}, attrs);
  }
  const std::vector<T> got = out.to_vector<T>();
  int64_t worst = 0, at = 0;
  for (int64_t i = 0; i < n; ++i) {
    T want;
    if constexpr (NIn == 1) {
      want = f(xs[i]);
    } else {
      want = f(xs[i], ys[i]);
    }
    const int64_t d = ulp_distance(got[i], want);
    if (d > worst) worst = d, at = i;
  }
  INFO("worst " << worst << " ulp at x = " << double(xs[at])
                << (NIn == 2 ? " (second operand " + std::to_string(double(ys.empty() ? 0 : ys[at])) + ")" : ""));
  CHECK(worst <= allowed);
}

template <template <typename> class F, typename A, int NIn, kernels::EwTypes Types>
void check_entry_all(OpId op, int* count) {
  if constexpr (Types != kernels::EwTypes::Compare) {
    check_entry<float, F, A, NIn>(op);
    check_entry<double, F, A, NIn>(op);
    *count += 1;
  }
}

}  // namespace

TEST_CASE("math: every elementwise CPU kernel computes its shared functor", "[math]") {
  int count = 0;
  using kernels::EwTypes;
  using kernels::NoAttrs;
  using kernels::SlopeAttrs;
  using kernels::EluAttrs;
  using kernels::ClampAttrs;
  using kernels::BiasActAttrs;
#define GANTRY_ELEMENTWISE(name, Functor, Attrs, n_in, types, flags) \
  check_entry_all<math::Functor, Attrs, n_in, EwTypes::types>(OpId::name, &count);
#include "kernels/ops/all.h"
#undef GANTRY_ELEMENTWISE
  CHECK(count >= 24);  // every entry but the six comparisons
  // No stale allowance: each names a real elementwise op.
  for (const auto& kv : kAllowedUlps)
    CHECK(kernels::op_info(kv.first.first).elementwise != kernels::EwTypes::None);
}

TEST_CASE("math: float32 tanh keeps its relative accuracy near 0", "[math]") {
  // The old CPU formula 1 - 2/(e^2|x| + 1) returned 0 at |x| = 1e-8 (100 %
  // relative error) and was off by 1e-4 relative at 1e-3.
  std::vector<float> xs;
  for (double e = -8; e <= -3; e += 0.01) xs.push_back(static_cast<float>(std::pow(10.0, e)));
  const int64_t n = static_cast<int64_t>(xs.size());
  auto y = tanh(from_vector<float>(xs, {n})).to_vector<float>();
  double worst = 0;
  for (int64_t i = 0; i < n; ++i)
    worst = std::max(worst, std::abs(double(y[i]) - std::tanh(double(xs[i]))) / std::tanh(double(xs[i])));
  CHECK(worst < 3e-7);  // a few ulp of float32 (2^-23 = 1.2e-7)
  CHECK(tanh(from_vector<float>({1e-8f}, {1})).item<float>() == 1e-8f);
  CHECK(std::signbit(tanh(from_vector<float>({-0.0f}, {1})).item<float>()));
}
