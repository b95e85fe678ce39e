// tests/test_errors.cpp — bad input gets a clear error naming the op and the
// shapes, dtypes or devices involved.
#include <catch2/catch.hpp>

#include <limits>

#include "autograd/ops.h"

using namespace gantry;
using Catch::Contains;

TEST_CASE("matmul family: mismatched inner sizes name both shapes", "[errors]") {
  CHECK_THROWS_WITH(matmul(zeros({64, 100}), zeros({128, 256})),
                    "matmul: [64,100] @ [128,256]: inner sizes 100 and 128 differ");
  CHECK_THROWS_WITH(mm(zeros({2, 3}), zeros({4, 5})), Contains("mm: [2,3] @ [4,5]"));
  CHECK_THROWS_WITH(mm(zeros({2, 3, 1}), zeros({1, 5})), Contains("2-D"));
  CHECK_THROWS_WITH(bmm(zeros({2, 3, 4}), zeros({3, 4, 5})), Contains("batch sizes 2 and 3"));
  CHECK_THROWS_WITH(linear(zeros({8, 10}), zeros({4, 12})),
                    Contains("input [8,10] has 10 features but weight [4,12] expects 12"));
  CHECK_THROWS_WITH(linear(zeros({8, 10}), zeros({4, 10}), zeros({5})),
                    Contains("bias [5]"));
}

TEST_CASE("broadcasting errors name the shapes and the dim", "[errors]") {
  CHECK_THROWS_WITH(add(zeros({2, 3}), zeros({4})),
                    Contains("add: shapes [2,3] and [4] cannot be broadcast"));
  CHECK_THROWS_WITH(where(zeros({2}, kUInt8), zeros({3}), zeros({3})), Contains("where"));
}

TEST_CASE("dtype and device mismatches are named", "[errors]") {
  CHECK_THROWS_WITH(add(zeros({2}), zeros({2}, kFloat64)),
                    Contains("add: dtypes differ: [2] float32 cpu and [2] float64 cpu"));
  CHECK_THROWS_WITH(exp(zeros({2}, kInt64)), Contains("exp") && Contains("int64"));
  CHECK_THROWS_WITH(where(zeros({2}), zeros({2}), zeros({2})), Contains("uint8"));
  CHECK_THROWS_WITH(sum(zeros({2}, kInt32)), Contains("sum") && Contains("int32"));
  CHECK_THROWS_WITH(empty({2}, Options().device(Device("cuda:0"))), Contains("cuda"));
  CHECK_THROWS_WITH(Device("gpu"), Contains("gpu"));
}

TEST_CASE("view and reduction errors", "[errors]") {
  Tensor x = zeros({2, 3});
  CHECK_THROWS_WITH(x.reshape({4, 2}), Contains("[4,2]") && Contains("6"));
  CHECK_THROWS_WITH(x.reshape({-1, -1}), Contains("only one dimension can be -1"));
  CHECK_THROWS_WITH(x.transpose(0, 2), Contains("transpose: dim 2 out of range"));
  CHECK_THROWS_WITH(x.select(0, 5), Contains("index 5 out of range"));
  CHECK_THROWS_WITH(x.expand({4, 3}), Contains("cannot expand [2,3] to [4,3]"));
  CHECK_THROWS_WITH(x.permute({0, 0}), Contains("repeated"));
  CHECK_THROWS_WITH(x.narrow(1, 2, 5), Contains("narrow"));
  CHECK_THROWS_WITH(sum(x, {0, 0}), Contains("repeated"));
  CHECK_THROWS_WITH(max(zeros({0})), Contains("empty"));
  CHECK_THROWS_WITH(clamp(x, 1.0, -1.0), Contains("exceeds"));
  CHECK_THROWS_WITH(empty({-1}), Contains("negative"));
  CHECK_THROWS_WITH(from_vector<float>({1, 2, 3}, {2, 2}), Contains("3 values"));
  CHECK_THROWS_WITH(randint(3, 3, {2}), Contains("empty range"));
}
