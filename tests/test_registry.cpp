// tests/test_registry.cpp — walks the kernel registry: every registered op
// must have a conformance entry and (unless it is non-differentiable by
// nature) a gradient check; every op the table expects must actually be
// registered on the CPU (catches a registration dropped at link time). In
// CUDA builds, every CPU kernel must also have a CUDA kernel for the same
// dtype, unless listed below as a deliberate exception; every CUDA kernel
// needs a CPU one except in bfloat16/float16 (GPU-only compute dtypes), and
// every floating CUDA op needs bfloat16 and float16 kernels unless listed.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "kernels/registry.h"
#include "tests/op_table.h"

using namespace gantry;

TEST_CASE("registry: every registered op has a conformance case", "[registry]") {
  std::set<std::string> covered;
  for (const auto& c : tbl::op_cases())
    if (!c.op.empty()) covered.insert(c.op);
  auto ops = kernels::Registry::instance().ops();
  REQUIRE(ops.size() >= 39);
  for (const auto& op : ops) {
    INFO("op " << op);
    CHECK(covered.count(op) == 1);
  }
}

TEST_CASE("registry: every registered op has a gradient check or is listed as non-differentiable",
          "[registry]") {
  std::set<std::string> checked;
  for (const auto& c : tbl::op_cases())
    if (!c.op.empty() && c.grad) checked.insert(c.op);
  const auto& nd = tbl::non_differentiable_ops();
  for (const auto& op : kernels::Registry::instance().ops()) {
    INFO("op " << op);
    const bool listed = std::find(nd.begin(), nd.end(), op) != nd.end();
    CHECK((checked.count(op) == 1) != listed);  // exactly one of the two
  }
}

TEST_CASE("registry: every op in the table is registered on cpu in float32 and float64",
          "[registry]") {
  auto& r = kernels::Registry::instance();
  for (const auto& c : tbl::op_cases()) {
    if (c.op.empty()) continue;
    INFO("case " << c.name << " op " << c.op);
    CHECK(r.has(c.op, DeviceType::CPU, kFloat32));
    CHECK(r.has(c.op, DeviceType::CPU, kFloat64));
  }
}

TEST_CASE("registry: dispatch errors name the op, device and dtype", "[registry]") {
  auto& r = kernels::Registry::instance();
  Tensor x = ones({2}, kUInt8);
  REQUIRE_THROWS_WITH(kernels::run("exp", {x}, {empty({2}, kUInt8)}),
                      Catch::Contains("exp") && Catch::Contains("cpu") && Catch::Contains("uint8"));
  REQUIRE_THROWS_WITH(r.select("no_such_op", DeviceType::CPU, kFloat32, {}, {}),
                      Catch::Contains("no_such_op"));
}

TEST_CASE("registry: algorithms can be forced by name and chosen per call", "[registry]") {
  auto& r = kernels::Registry::instance();
  auto algos = r.algorithms("mm", DeviceType::CPU, kFloat32);
  REQUIRE_FALSE(algos.empty());
  r.force_algorithm("mm", "no_such_algorithm");
  Tensor a = ones({2, 2});
  CHECK_THROWS_WITH(mm(a, a), Catch::Contains("no_such_algorithm"));
  r.force_algorithm("mm", algos[0].name);
  CHECK(mm(a, a).to_vector<float>() == std::vector<float>{2, 2, 2, 2});
  r.force_algorithm("mm", "");
  // Registering the same algorithm name twice is an error, not a silent overwrite.
  CHECK_THROWS_WITH(r.add("mm", DeviceType::CPU, kFloat32, algos[0].name, algos[0].fn),
                    Catch::Contains("registered twice"));
}

#ifdef GANTRY_WITH_CUDA
// Built with the CUDA backend: its registrations exist whether or not a GPU is
// present, so this runs (and must pass) on CPU-only machines too.
TEST_CASE("registry: every cpu kernel has a cuda kernel, or is a listed exception",
          "[registry][cuda]") {
  // op -> why it has no CUDA kernel. Empty since CUDA II (conv, norm, index
  // ops); a new CPU op without a CUDA kernel must be listed here with a reason.
  const std::map<std::string, std::string> exceptions = {};
  auto& r = kernels::Registry::instance();
  for (const auto& k : r.keys()) {
    if (k.device != DeviceType::CPU || exceptions.count(k.op)) continue;
    INFO("op " << k.op << " dtype " << dtype_name(k.dtype));
    CHECK(r.has(k.op, DeviceType::CUDA, k.dtype));
  }
  // No stale exception: each names a CPU op that really lacks a CUDA kernel.
  for (const auto& e : exceptions) {
    INFO("exception " << e.first << ": " << e.second);
    CHECK_FALSE(r.dtypes(e.first, DeviceType::CPU).empty());
    CHECK(r.dtypes(e.first, DeviceType::CUDA).empty());
  }
  // And no CUDA kernel without a CPU one (the CPU is every op's reference) —
  // except in bfloat16/float16: the CPU stores those only for casts and
  // copies (core/half.h), so their CUDA kernels are checked against the
  // float64 reference on half-rounded inputs (test_conformance_cuda) instead.
  for (const auto& k : r.keys()) {
    if (k.device != DeviceType::CUDA) continue;
    if (k.dtype == kBFloat16 || k.dtype == kFloat16) continue;
    INFO("cuda op " << k.op << " dtype " << dtype_name(k.dtype));
    CHECK(r.has(k.op, DeviceType::CPU, k.dtype));
  }
}

TEST_CASE("registry: every floating cuda op has bfloat16 and float16 kernels, or is listed",
          "[registry][cuda][half]") {
  // op -> why it has no 16-bit CUDA kernels.
  const std::map<std::string, std::string> exceptions = {
      {"adam_step", "fused optimizer: 16-bit parameters come with mixed-precision training"},
  };
  auto& r = kernels::Registry::instance();
  int checked = 0;
  for (const auto& op : r.ops()) {
    if (!r.has(op, DeviceType::CUDA, kFloat32) || exceptions.count(op)) continue;
    INFO("cuda op " << op);
    CHECK(r.has(op, DeviceType::CUDA, kBFloat16));
    CHECK(r.has(op, DeviceType::CUDA, kFloat16));
    ++checked;
  }
  CHECK(checked >= 48);  // elementwise, activations, reductions, mm/bmm, conv, norm, index
  // No stale exception: each names an op with a float32 CUDA kernel and no
  // 16-bit ones.
  for (const auto& e : exceptions) {
    INFO("exception " << e.first << ": " << e.second);
    CHECK_FALSE(r.dtypes(e.first, DeviceType::CPU).empty());
    CHECK_FALSE(r.has(e.first, DeviceType::CUDA, kBFloat16));
    CHECK_FALSE(r.has(e.first, DeviceType::CUDA, kFloat16));
    CHECK(r.has(e.first, DeviceType::CUDA, kFloat32));
  }
}
#endif
