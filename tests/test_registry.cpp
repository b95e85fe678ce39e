// tests/test_registry.cpp — walks the kernel registry: every registered op
// must have a conformance entry and (unless it is non-differentiable by
// nature) a gradient check; every op the table expects must actually be
// registered on the CPU (catches a registration dropped at link time).
#include <catch2/catch.hpp>

#include <algorithm>
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
