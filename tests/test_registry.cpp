// tests/test_registry.cpp — walks the op table (kernels/ops/*.h) and the
// kernel registry, so nothing goes missing silently:
//   - every op in the table has CPU float32 and float64 kernels (this also
//     catches a registration dropped at static link time);
//   - every op has a conformance case, and every differentiable op a gradient
//     check, while an op marked kNotDifferentiable has none;
//   - in CUDA builds, every CUDA kernel has its CPU twin (except the
//     GPU-only 16-bit dtypes), every CPU kernel a CUDA one, and every floating
//     CUDA op bfloat16/float16 kernels unless listed with a reason.
// Plus the dispatch contract: typed attributes are checked, errors name the
// op, device and dtype, and algorithms can be forced by name.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "kernels/registry.h"
#include "tests/op_table.h"

using namespace gantry;
using kernels::OpId;

namespace {
std::vector<OpId> table_ops() {
  std::vector<OpId> r;
  for (int i = 0; i < kernels::kNumOps; ++i) r.push_back(static_cast<OpId>(i));
  return r;
}
}  // namespace

TEST_CASE("op table: ids, names and entries agree", "[registry]") {
  REQUIRE(kernels::kNumOps >= 48);
  std::set<std::string> names;
  for (OpId op : table_ops()) {
    const auto& info = kernels::op_info(op);
    INFO("op " << info.name << " family " << info.family);
    CHECK(names.insert(info.name).second);  // unique
    CHECK(kernels::op_id(info.name) == op);
    CHECK(std::string(info.family).size() > 2);
    if (info.elementwise != kernels::EwTypes::None) CHECK(info.num_outputs == 1);
  }
  CHECK(std::string(kernels::op_info(OpId::conv2d).family) == "conv.h");
  CHECK(kernels::op_info(OpId::adam_step).in_place());
  CHECK_FALSE(kernels::op_info(OpId::mm).in_place());
  CHECK_THROWS_WITH(kernels::op_id("conv2b"), Catch::Contains("conv2b") && Catch::Contains("conv2d"));
}

TEST_CASE("registry: every op in the table has cpu float32 and float64 kernels", "[registry]") {
  auto& r = kernels::Registry::instance();
  for (OpId op : table_ops()) {
    INFO("op " << kernels::op_name(op));
    CHECK(r.has(op, DeviceType::CPU, kFloat32));
    CHECK(r.has(op, DeviceType::CPU, kFloat64));
  }
  CHECK(r.ops().size() == static_cast<size_t>(kernels::kNumOps));
}

TEST_CASE("registry: every op has a conformance case", "[registry]") {
  std::set<std::string> covered;
  for (const auto& c : tbl::op_cases())
    if (!c.op.empty()) covered.insert(c.op);
  for (OpId op : table_ops()) {
    INFO("op " << kernels::op_name(op));
    CHECK(covered.count(kernels::op_name(op)) == 1);
  }
  // ... and each case names a real op.
  for (const auto& c : tbl::op_cases())
    if (!c.op.empty()) CHECK(kernels::is_op(c.op));
}

TEST_CASE("registry: every differentiable op has a gradient check, and only those",
          "[registry]") {
  std::set<std::string> checked;
  for (const auto& c : tbl::op_cases())
    if (!c.op.empty() && c.grad) checked.insert(c.op);
  for (OpId op : table_ops()) {
    const auto& info = kernels::op_info(op);
    INFO("op " << info.name);
    CHECK((checked.count(info.name) == 1) == info.differentiable());
  }
}

TEST_CASE("registry: dispatch checks the attributes and names the op, device and dtype",
          "[registry]") {
  auto& r = kernels::Registry::instance();
  Tensor x = ones({2}, kUInt8);
  REQUIRE_THROWS_WITH(kernels::run(OpId::exp, {x}, {empty({2}, kUInt8)}),
                      Catch::Contains("exp") && Catch::Contains("cpu") && Catch::Contains("uint8"));
  Tensor f = ones({2});
  // leaky_relu takes SlopeAttrs: no attributes, or the wrong struct, is refused.
  REQUIRE_THROWS_WITH(kernels::run(OpId::leaky_relu, {f}, {empty({2})}),
                      Catch::Contains("leaky_relu") && Catch::Contains("SlopeAttrs") &&
                          Catch::Contains("NoAttrs"));
  REQUIRE_THROWS_WITH(kernels::run(OpId::leaky_relu, {f}, {empty({2})}, kernels::EluAttrs{1.0}),
                      Catch::Contains("EluAttrs"));
  kernels::run(OpId::leaky_relu, {f}, {empty({2})}, kernels::SlopeAttrs{0.2});
  CHECK_THROWS_WITH(r.force_algorithm("no_such_op", "x"), Catch::Contains("no_such_op"));
}

TEST_CASE("registry: algorithms can be forced by name and chosen per call", "[registry]") {
  auto& r = kernels::Registry::instance();
  auto algos = r.algorithms(OpId::mm, DeviceType::CPU, kFloat32);
  REQUIRE_FALSE(algos.empty());
  r.force_algorithm("mm", "no_such_algorithm");
  Tensor a = ones({2, 2});
  CHECK_THROWS_WITH(mm(a, a), Catch::Contains("no_such_algorithm"));
  r.force_algorithm(OpId::mm, algos[0].name);
  CHECK(mm(a, a).to_vector<float>() == std::vector<float>{2, 2, 2, 2});
  r.force_algorithm(OpId::mm, "");
  CHECK(mm(a, a).to_vector<float>() == std::vector<float>{2, 2, 2, 2});
  // Registering the same algorithm name twice is an error, not a silent overwrite.
  CHECK_THROWS_WITH(r.add(OpId::mm, DeviceType::CPU, kFloat32, algos[0].name, algos[0].fn),
                    Catch::Contains("registered twice"));
}

#ifdef GANTRY_WITH_CUDA
// Built with the CUDA backend: its registrations exist whether or not a GPU is
// present, so this runs (and must pass) on CPU-only machines too.
TEST_CASE("registry: every cuda kernel has its cpu twin, and every cpu kernel a cuda one",
          "[registry][cuda]") {
  auto& r = kernels::Registry::instance();
  for (const auto& k : r.keys()) {
    if (k.device != DeviceType::CPU) continue;
    INFO("op " << kernels::op_name(k.op) << " dtype " << dtype_name(k.dtype));
    CHECK(r.has(k.op, DeviceType::CUDA, k.dtype));
  }
  // The CPU is every op's reference — except in bfloat16/float16: the CPU
  // stores those only for casts and copies (core/half.h), so their CUDA
  // kernels are checked against the float64 reference on half-rounded inputs
  // (test_conformance_cuda) instead.
  for (const auto& k : r.keys()) {
    if (k.device != DeviceType::CUDA) continue;
    if (k.dtype == kBFloat16 || k.dtype == kFloat16) continue;
    INFO("cuda op " << kernels::op_name(k.op) << " dtype " << dtype_name(k.dtype));
    CHECK(r.has(k.op, DeviceType::CPU, k.dtype));
  }
}

TEST_CASE("registry: every floating cuda op has bfloat16 and float16 kernels, or is listed",
          "[registry][cuda][half]") {
  // op -> why it has no 16-bit CUDA kernels.
  const std::map<OpId, std::string> exceptions = {
      {OpId::adam_step, "fused optimizer: 16-bit parameters come with mixed-precision training"},
  };
  auto& r = kernels::Registry::instance();
  int checked = 0;
  for (OpId op : r.ops()) {
    if (!r.has(op, DeviceType::CUDA, kFloat32) || exceptions.count(op)) continue;
    INFO("cuda op " << kernels::op_name(op));
    CHECK(r.has(op, DeviceType::CUDA, kBFloat16));
    CHECK(r.has(op, DeviceType::CUDA, kFloat16));
    ++checked;
  }
  CHECK(checked >= 48);  // elementwise, activations, reductions, mm/bmm, conv, norm, index
  // No stale exception: each names an op with a float32 CUDA kernel and no 16-bit ones.
  for (const auto& e : exceptions) {
    INFO("exception " << kernels::op_name(e.first) << ": " << e.second);
    CHECK_FALSE(r.has(e.first, DeviceType::CUDA, kBFloat16));
    CHECK_FALSE(r.has(e.first, DeviceType::CUDA, kFloat16));
    CHECK(r.has(e.first, DeviceType::CUDA, kFloat32));
  }
}
#endif
