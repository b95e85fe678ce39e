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
  CHECK_THROWS_WITH(where(zeros({2}, kUInt8), zeros({3}), zeros({3})),
                    Contains("where: shapes [3] and [2] cannot be broadcast"));
}

TEST_CASE("dtype and device mismatches are named", "[errors]") {
  CHECK_THROWS_WITH(add(zeros({2}), zeros({2}, kFloat64)),
                    Contains("add: dtypes differ: [2] float32 cpu and [2] float64 cpu"));
  CHECK_THROWS_WITH(exp(zeros({2}, kInt64)), Contains("exp") && Contains("int64"));
  CHECK_THROWS_WITH(where(zeros({2}), zeros({2}), zeros({2})), Contains("uint8"));
  CHECK_THROWS_WITH(sum(zeros({2}, kInt32)), Contains("sum") && Contains("int32"));
  // cuda:15: refused in a CPU-only build, on a machine without a GPU, and on
  // one (or the CUDA emulation) with fewer devices.
  CHECK_THROWS_WITH(empty({2}, Options().device(Device("cuda:15"))), Contains("cuda"));
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

TEST_CASE("convolution, pooling and normalization reject bad input by name", "[errors]") {
  Tensor x = zeros({2, 3, 8, 8}), w = zeros({4, 2, 3, 3});
  CHECK_THROWS_WITH(conv2d(x, w),
                    Contains("conv2d: input [2,3,8,8] has 3 channels but weight [4,2,3,3] with "
                             "groups=1 expects 2"));
  CHECK_THROWS_WITH(conv2d(x, zeros({4, 3, 9, 9})),
                    Contains("kernel [4,3,9,9]") && Contains("larger than the padded input"));
  CHECK_THROWS_WITH(conv2d(x, zeros({4, 3, 3, 3}), Tensor(), {1, 1}, {-1, 0}),
                    Contains("conv2d: negative padding"));
  CHECK_THROWS_WITH(conv2d(x, zeros({4, 3, 3, 3}), Tensor(), {0, 1}), Contains("stride"));
  CHECK_THROWS_WITH(conv2d(x, zeros({5, 1, 3, 3}), Tensor(), {1, 1}, {0, 0}, {1, 1}, 3),
                    Contains("not divisible by groups=3"));
  CHECK_THROWS_WITH(conv2d(zeros({3, 8, 8}), zeros({4, 3, 3, 3})), Contains("[N,C,H,W]"));
  CHECK_THROWS_WITH(conv2d(x, zeros({4, 3, 3, 3}), zeros({5})), Contains("bias [5]"));
  CHECK_THROWS_WITH(conv_transpose2d(x, zeros({4, 2, 3, 3})),
                    Contains("conv_transpose2d: input [2,3,8,8] has 3 channels but weight "
                             "[4,2,3,3] expects 4"));
  CHECK_THROWS_WITH(conv_transpose2d(x, zeros({3, 2, 3, 3}), Tensor(), {2, 2}, {0, 0}, {2, 0}),
                    Contains("output_padding"));
  CHECK_THROWS_WITH(max_pool2d(x, {9, 9}), Contains("larger than the padded input"));
  CHECK_THROWS_WITH(avg_pool2d(x, {2, 2}, {2, 2}, {2, 2}), Contains("at most half the kernel"));
  CHECK_THROWS_WITH(batch_norm(zeros({1, 3, 1, 1}), Tensor(), Tensor(), Tensor(), Tensor(), true),
                    Contains("batch_norm: training needs more than one value per channel") &&
                        Contains("[1,3,1,1]"));
  CHECK_THROWS_WITH(batch_norm(x, zeros({4}), ones({4}), Tensor(), Tensor(), false),
                    Contains("running_mean [4]") && Contains("3 channels"));
  CHECK_THROWS_WITH(layer_norm(x, {7}), Contains("normalized_shape [7]"));
  CHECK_THROWS_WITH(group_norm(x, 2), Contains("3 channels") && Contains("2 groups"));
  CHECK_THROWS_WITH(pad(x, {1, -1}), Contains("negative padding"));
  CHECK_THROWS_WITH(pad(x, {8, 0}, PadMode::Reflect), Contains("reflect padding"));
  CHECK_THROWS_WITH(cat({zeros({2, 3}), zeros({3, 4})}, 0),
                    Contains("cat: tensor 1 [3,4] does not match tensor 0 [2,3]"));
}

TEST_CASE("indexing and losses reject bad input by name", "[errors]") {
  Tensor x = zeros({3, 4});
  CHECK_THROWS_WITH(gather(x, 1, from_vector<int64_t>({0, 4, 1}, {3, 1})),
                    Contains("gather: index 4 is out of range for size 4"));
  CHECK_THROWS_WITH(gather(x, 1, zeros({3, 1})), Contains("int64"));
  CHECK_THROWS_WITH(index_select(x, 0, from_vector<int64_t>({5}, {1})), Contains("out of range"));
  CHECK_THROWS_WITH(embedding(from_vector<int64_t>({10}, {1}), zeros({10, 2})),
                    Contains("index 10 is out of range for size 10"));
  CHECK_THROWS_WITH(one_hot(from_vector<int64_t>({3}, {1}), 3), Contains("class 3"));
  CHECK_THROWS_WITH(cross_entropy(x, from_vector<int64_t>({0, 1}, {2})), Contains("target"));
  CHECK_THROWS_WITH(cross_entropy(x, from_vector<int64_t>({0, 1, 7}, {3})),
                    Contains("out of range"));
  CHECK_THROWS_WITH(binary_cross_entropy(full({2}, 1.5), zeros({2})),
                    Contains("probabilities in [0, 1]"));
  CHECK_THROWS_WITH(mse_loss(zeros({2, 3}), zeros({3, 2})),
                    Contains("mse_loss: input [2,3] and target [3,2]"));
}
