// tests/test_conformance.cpp — every op case on every dtype a backend
// registers for it, against the float64 reference, with contiguous and
// non-contiguous inputs.
//
// The backend under test is GANTRY_TEST_DEVICE ("cpu" or "cuda"); the CUDA
// build of this file (GANTRY_TEST_CUDA) runs the same table on the GPU for
// every op the CUDA backend registers, and also compares every gradient-
// checked case's backward on the GPU with the same backward on the CPU.
#include <catch2/catch.hpp>

#include <cmath>

#include "kernels/registry.h"
#include "tests/op_table.h"

#ifndef GANTRY_TEST_DEVICE
#define GANTRY_TEST_DEVICE "cpu"
#endif

using namespace gantry;
using tbl::OpCase;

namespace {

const Device kDev{std::string(GANTRY_TEST_DEVICE)};

// Same values, dims stored in reverse order (a "column-major" layout).
Tensor reversed_layout(const Tensor& t) {
  if (t.dim() < 2) return t;
  Shape perm;
  for (int64_t d = t.dim() - 1; d >= 0; --d) perm.push_back(d);
  return core::permute(core::contiguous(core::permute(t, perm)), perm);
}

// Same values, strided storage: every dim >= 1 gets an interleaved layout.
Tensor non_contiguous(const Tensor& t) {
  if (t.dim() == 0) return t;
  Shape big = t.shape();
  big.back() *= 2;
  Tensor b = zeros(big, Options(t.dtype()).device(t.device()));
  Tensor view = core::slice(b, -1, 0, big.back(), 2);
  core::copy_(view, t);
  return view;
}

struct Tol {
  double atol, rtol;
};
Tol tolerance(DType d, double scale) {
  if (d == kFloat64) return {1e-10 * scale, 1e-10 * scale};
  if (d == kFloat32) return {1e-5 * scale, 1e-5 * scale};
  return {0, 0};  // integers and masks: exact
}

// Dtypes this case runs in on the backend: those registered for its op
// (float32 and float64 for composite cases).
std::vector<DType> case_dtypes(const OpCase& c) {
  if (c.op.empty()) return {kFloat32, kFloat64};
  return kernels::Registry::instance().dtypes(c.op, kDev.type);
}

// On a backend other than the CPU, a case runs only if the backend has a
// kernel for every op the case dispatches (learned from a CPU run).
bool backend_supports(const OpCase& c, DType dt, std::string* missing) {
  if (kDev.is_cpu()) return true;
  kernels::DispatchTrace trace;
  try {
    Tensors ins = tbl::make_inputs(c, tbl::case_seed(c.name));
    for (auto& t : ins)
      if (is_floating(t.dtype())) t = core::cast(t, dt);
    c.run(ins);
  } catch (const Error&) {
  }
  for (const auto& op : trace.ops())
    if (!kernels::Registry::instance().has(op, kDev.type, dt)) {
      *missing = op;
      return false;
    }
  return true;
}

void check_case(const OpCase& c) {
  for (DType dt : case_dtypes(c)) {
    std::string missing;
    if (!is_floating(dt) ? false : !backend_supports(c, dt, &missing)) {
      WARN("skipping " << c.name << " on " << kDev.str() << "/" << dtype_name(dt)
                       << ": no kernel for " << missing);
      continue;
    }
    const bool integers = !is_floating(dt);
    const uint64_t seed = tbl::case_seed(c.name);
    INFO("case " << c.name << " dtype " << dtype_name(dt) << " device " << kDev.str()
                 << " seed " << seed);
    Tensors base = tbl::make_inputs(c, seed, integers);
    Tensors ins;
    for (auto& t : base) {
      Tensor x = is_floating(t.dtype()) ? core::cast(t, dt) : t;  // masks, indices stay
      ins.push_back(core::to_device(x, kDev));
    }
    // Reference from the converted values, so rounding of inputs is shared.
    std::vector<ref::Ref> rins;
    for (auto& t : ins) rins.push_back(tbl::to_ref(t));
    ref::Ref expect = c.reference(rins);

    const char* variants[] = {"contiguous inputs", "strided inputs", "reversed-layout inputs"};
    for (int variant = 0; variant < 3; ++variant) {
      INFO(variants[variant]);
      Tensors xs = ins;
      for (auto& t : xs) {
        if (variant == 1) t = non_contiguous(t);
        if (variant == 2) t = reversed_layout(t);
      }
      Tensor got;
      REQUIRE_NOTHROW(got = c.run(xs));
      REQUIRE(got.device() == kDev);
      REQUIRE(got.shape() == expect.shape);
      const Tol tol = tolerance(got.dtype(), c.tol);
      auto gv = got.to_vector<double>();
      size_t bad = 0, first = 0;
      for (size_t i = 0; i < gv.size(); ++i) {
        const double e = expect.v[i];
        const bool ok = (std::isnan(e) && std::isnan(gv[i])) ||
                        std::abs(gv[i] - e) <= tol.atol + tol.rtol * std::abs(e);
        if (!ok && bad++ == 0) first = i;
      }
      INFO("first mismatch at " << first << ": got " << (gv.empty() ? 0 : gv[first])
                                << " expected " << (expect.v.empty() ? 0 : expect.v[first]));
      CHECK(bad == 0);
    }
  }
}

void run_family(tbl::Family f) {
  int n = 0;
  for (const auto& c : tbl::op_cases()) {
    if (c.family != f) continue;
    if (!c.op.empty() && case_dtypes(c).empty()) continue;  // not on this backend
    if (!kDev.is_cpu() && c.op.empty() && !kernels::Registry::instance().has("add", kDev.type, kFloat32))
      continue;  // composites need at least the elementwise kernels
    DYNAMIC_SECTION(c.name) { check_case(c); }
    ++n;
  }
  if (kDev.is_cpu()) CHECK(n > 0);
}

}  // namespace

TEST_CASE("conformance: elementwise binary", "[conformance]") { run_family(tbl::Family::Binary); }
TEST_CASE("conformance: elementwise unary", "[conformance]") { run_family(tbl::Family::Unary); }
TEST_CASE("conformance: reductions", "[conformance]") { run_family(tbl::Family::Reduce); }
TEST_CASE("conformance: matrix products", "[conformance]") { run_family(tbl::Family::Linalg); }
TEST_CASE("conformance: composite ops and views", "[conformance]") {
  run_family(tbl::Family::Composite);
}

#ifdef GANTRY_TEST_CUDA
// --------------------------------------------- device backward vs cpu backward
// The CPU's derivatives are gradchecked (tests/test_gradcheck.cpp); here the
// same backward pass runs on the device and must give the CPU's gradients:
// loss = sum(out * w) with fixed weights w, gradients of every float input.
namespace {

// Every op the case dispatches forward *and* backward (learned on the CPU).
bool backward_supported(const OpCase& c, DType dt, std::string* missing) {
  kernels::DispatchTrace trace;
  try {
    Tensors xs;
    for (auto& t : tbl::make_inputs(c, tbl::case_seed(c.name))) {
      Tensor x = is_floating(t.dtype()) ? core::clone(core::cast(t, dt)) : t;
      if (is_floating(x.dtype())) x.requires_grad_(true);
      xs.push_back(x);
    }
    Tensor out = c.run(xs);
    if (is_floating(out.dtype())) sum(mul(out, ones_like(out))).backward();
  } catch (const Error&) {
  }
  for (const auto& op : trace.ops())
    if (!kernels::Registry::instance().has(op, kDev.type, dt)) {
      *missing = op;
      return false;
    }
  return true;
}

// Gradients of sum(c.run(inputs) * w) w.r.t. each float input, on device d.
std::vector<std::vector<double>> grads_on(const OpCase& c, DType dt, const Device& d) {
  Tensors xs;
  for (auto& t : tbl::make_inputs(c, tbl::case_seed(c.name))) {
    Tensor x = is_floating(t.dtype()) ? core::clone(core::cast(t, dt)) : t;
    x = core::to_device(x, d);
    if (is_floating(x.dtype())) x.requires_grad_(true);
    xs.push_back(x);
  }
  Tensor out = c.run(xs);
  std::vector<double> wv(out.numel());
  for (size_t i = 0; i < wv.size(); ++i) wv[i] = 0.5 + 0.125 * static_cast<double>(i % 13);
  Tensor w = core::to_device(core::cast(from_vector<double>(wv, out.shape()), dt), d);
  sum(mul(out, w)).backward();
  std::vector<std::vector<double>> r;
  for (auto& x : xs) {
    if (!is_floating(x.dtype())) continue;
    r.push_back(x.grad().defined() ? x.grad().to_vector<double>()
                                   : std::vector<double>(x.numel(), 0.0));
  }
  return r;
}

void check_backward(const OpCase& c) {
  for (DType dt : {kFloat64, kFloat32}) {
    std::string missing;
    if (!backward_supported(c, dt, &missing)) {
      WARN("skipping backward of " << c.name << " on " << kDev.str() << "/" << dtype_name(dt)
                                   << ": no kernel for " << missing);
      continue;
    }
    INFO("case " << c.name << " dtype " << dtype_name(dt) << " seed " << tbl::case_seed(c.name));
    auto want = grads_on(c, dt, kCPU);
    std::vector<std::vector<double>> got;
    REQUIRE_NOTHROW(got = grads_on(c, dt, kDev));
    REQUIRE(got.size() == want.size());
    const double tol = dt == kFloat64 ? 1e-9 : 1e-4 * c.tol;
    for (size_t k = 0; k < got.size(); ++k) {
      INFO("gradient of input " << k);
      REQUIRE(got[k].size() == want[k].size());
      size_t bad = 0, first = 0;
      for (size_t i = 0; i < got[k].size(); ++i) {
        const double e = want[k][i];
        const bool ok = (std::isnan(e) && std::isnan(got[k][i])) ||
                        std::abs(got[k][i] - e) <= tol * (1 + std::abs(e));
        if (!ok && bad++ == 0) first = i;
      }
      INFO("first mismatch at " << first << ": got " << (got[k].empty() ? 0 : got[k][first])
                                << " expected " << (want[k].empty() ? 0 : want[k][first]));
      CHECK(bad == 0);
    }
  }
}

}  // namespace

TEST_CASE("conformance: backward on the device matches the cpu", "[conformance][backward]") {
  int n = 0;
  for (const auto& c : tbl::op_cases()) {
    if (!c.grad) continue;
    DYNAMIC_SECTION(c.name) { check_backward(c); }
    ++n;
  }
  CHECK(n > 0);
}
#endif
