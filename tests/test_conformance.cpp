// tests/test_conformance.cpp — every op case on every dtype a backend
// registers for it, against the float64 reference, with contiguous and
// non-contiguous inputs.
//
// The backend under test is GANTRY_TEST_DEVICE ("cpu" or "cuda"); the CUDA
// build of this file (GANTRY_TEST_CUDA) runs the same table on the GPU for
// every op the CUDA backend registers, and also compares every gradient-
// checked case's backward on the GPU with the same backward on the CPU.
//
// bfloat16/float16 (CUDA only: the CPU stores them only for casts): a case
// runs in a 16-bit dtype when the backend registers it for the case's op
// (composite cases: when every op they dispatch has a 16-bit kernel). Inputs
// are rounded to the dtype first and the float64 reference is computed from
// the rounded values, so the tolerance covers only the op's own roundings:
// u = 2^-8 (bfloat16) or 2^-11 (float16) per rounding, tolerance 2u x the
// case's multiplier, 4x that for composite cases (several roundings in a row).
// Backward in 16 bits is compared with the CPU's float64 backward of the same
// rounded inputs at 8u (32u for composites), relative to 1 + |g|.
#include <catch2/catch.hpp>

#include <algorithm>
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
// Unit roundoff of the 16-bit floats (half an ulp, relative).
double half_u(DType d) { return d == kBFloat16 ? 0x1p-8 : 0x1p-11; }
bool is_half(DType d) { return d == kBFloat16 || d == kFloat16; }

Tol tolerance(DType d, double scale) {
  if (d == kFloat64) return {1e-10 * scale, 1e-10 * scale};
  if (d == kFloat32) return {1e-5 * scale, 1e-5 * scale};
  if (is_half(d)) return {2 * half_u(d) * scale, 2 * half_u(d) * scale};
  return {0, 0};  // integers and masks: exact
}

// Cases whose result means nothing in 16 bits, with the reason.
bool half_excluded(const OpCase& c) {
  // Each case below builds large values inside the case (x + shift, 50 * x)
  // where the float64 reference does not round them: in 16 bits the rounding
  // of those inputs alone exceeds the tolerance, so the cases test float32/64
  // accuracy. (Found when the CUDA suite first ran, in emulation.)
  //   var/large_mean:            x + 1000 rounds to a multiple of 4 (bf16) / 0.5 (f16)
  //   softmax, log_softmax /shifted_large: x + 100 rounds to 0.5 (bf16) / 0.0625 (f16)
  //   cross_entropy/large_logits: 50 x rounds to 0.25 (bf16) / 0.03 (f16)
  return c.name == "var/large_mean" || c.name == "softmax/shifted_large" ||
         c.name == "log_softmax/shifted_large" || c.name == "cross_entropy/large_logits";
}

// Dtypes this case runs in on the backend: those registered for its op
// (float32 and float64 for composite cases, and the 16-bit floats on a
// backend that has them; backend_supports then checks every op).
std::vector<DType> case_dtypes(const OpCase& c) {
  std::vector<DType> r;
  if (c.op.empty()) {
    r = {kFloat32, kFloat64};
    if (!kDev.is_cpu()) {
      r.push_back(kBFloat16);
      r.push_back(kFloat16);
    }
  } else {
    r = kernels::Registry::instance().dtypes(kernels::op_id(c.op), kDev.type);
  }
  if (half_excluded(c)) r.erase(std::remove_if(r.begin(), r.end(), is_half), r.end());
  return r;
}

// The dtype a CPU run uses to learn which ops a case dispatches: the CPU
// computes nothing in 16 bits, and the ops are the same in float32.
DType trace_dtype(DType dt) { return is_half(dt) ? kFloat32 : dt; }

// On a backend other than the CPU, a case runs only if the backend has a
// kernel for every op the case dispatches (learned from a CPU run).
bool backend_supports(const OpCase& c, DType dt, std::string* missing) {
  if (kDev.is_cpu()) return true;
  kernels::DispatchTrace trace;
  try {
    Tensors ins = tbl::make_inputs(c, tbl::case_seed(c.name));
    for (auto& t : ins)
      if (is_floating(t.dtype())) t = core::cast(t, trace_dtype(dt));
    c.run(ins);
  } catch (const Error&) {
  }
  for (const auto& op : trace.ops())
    if (!kernels::Registry::instance().has(kernels::op_id(op), kDev.type, dt)) {
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
      Tol tol = tolerance(got.dtype(), c.tol);
      if (is_half(dt) && is_floating(got.dtype())) REQUIRE(got.dtype() == dt);  // no upcast
      if (is_half(dt) && c.op.empty()) tol = {4 * tol.atol, 4 * tol.rtol};
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
    if (!kDev.is_cpu() && c.op.empty() && !kernels::Registry::instance().has(kernels::OpId::add, kDev.type, kFloat32))
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
      Tensor x = is_floating(t.dtype()) ? core::clone(core::cast(t, trace_dtype(dt))) : t;
      if (is_floating(x.dtype())) x.requires_grad_(true);
      xs.push_back(x);
    }
    Tensor out = c.run(xs);
    if (is_floating(out.dtype())) sum(mul(out, ones_like(out))).backward();
  } catch (const Error&) {
  }
  for (const auto& op : trace.ops())
    if (!kernels::Registry::instance().has(kernels::op_id(op), kDev.type, dt)) {
      *missing = op;
      return false;
    }
  return true;
}

// Gradients of sum(c.run(inputs) * w) w.r.t. each float input, on device d,
// computed in dtype dt from inputs (and w) first rounded to `round` (a 16-bit
// dtype whose values a float64 CPU run should see; = dt otherwise).
std::vector<std::vector<double>> grads_on(const OpCase& c, DType dt, const Device& d,
                                          DType round) {
  auto as_dt = [&](const Tensor& t) { return core::cast(core::cast(t, round), dt); };
  Tensors xs;
  for (auto& t : tbl::make_inputs(c, tbl::case_seed(c.name))) {
    Tensor x = is_floating(t.dtype()) ? core::clone(as_dt(t)) : t;
    x = core::to_device(x, d);
    if (is_floating(x.dtype())) x.requires_grad_(true);
    xs.push_back(x);
  }
  Tensor out = c.run(xs);
  std::vector<double> wv(out.numel());
  for (size_t i = 0; i < wv.size(); ++i) wv[i] = 0.5 + 0.125 * static_cast<double>(i % 13);
  Tensor w = core::to_device(as_dt(from_vector<double>(wv, out.shape())), d);
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
  for (DType dt : {kFloat64, kFloat32, kBFloat16, kFloat16}) {
    if (is_half(dt) && half_excluded(c)) continue;
    std::string missing;
    if (!backward_supported(c, dt, &missing)) {
      WARN("skipping backward of " << c.name << " on " << kDev.str() << "/" << dtype_name(dt)
                                   << ": no kernel for " << missing);
      continue;
    }
    INFO("case " << c.name << " dtype " << dtype_name(dt) << " seed " << tbl::case_seed(c.name));
    // 16 bits: the CPU reference runs in float64 on the same rounded inputs.
    auto want = grads_on(c, is_half(dt) ? kFloat64 : dt, kCPU, dt);
    std::vector<std::vector<double>> got;
    REQUIRE_NOTHROW(got = grads_on(c, dt, kDev, dt));
    REQUIRE(got.size() == want.size());
    double tol = dt == kFloat64 ? 1e-9 : 1e-4 * c.tol;
    if (is_half(dt)) tol = 8 * half_u(dt) * c.tol * (c.op.empty() ? 4 : 1);
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
