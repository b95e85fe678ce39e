// tests/op_table.h — the conformance table: one entry per op case.
//
// Each case names the registry op it exercises (or "" for composite ops built
// from others, such as matmul, linear and the views), the shapes and value
// distributions of its inputs, how to run it through Gantry's API, and an
// independent float64 reference (tests/reference.h). The same table drives:
//   test_conformance  forward results on every backend and dtype, contiguous
//                     and non-contiguous inputs;
//   test_gradcheck    gradcheck / gradgradcheck in float64;
//   test_registry     every registered op has a case and a gradient check.
// Adding an op = adding its entry here.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "autograd/ops.h"
#include "tests/reference.h"

namespace tbl {

using gantry::Shape;
using gantry::Tensor;
using gantry::Tensors;

enum class Dist {
  Uniform,     // U(-2, 2)
  Positive,    // U(0.5, 2.5): log, sqrt, divisors, pow bases
  AwayZero,    // |x| in [0.1, 2], random sign: kinks at 0 (relu, abs, ...)
  Distinct,    // a permutation of well-separated values: no ties (max/min)
  Coarse,      // values in {-1, 0, 1}: comparisons see equal operands
  Mask,        // uint8 0/1
  Index,       // int64 in [0, InputSpec::high): indices, class labels
  Prob,        // U(0.05, 0.95): probabilities (binary cross-entropy)
};

struct InputSpec {
  Shape shape;
  Dist dist = Dist::Uniform;
  int64_t high = 0;  // Dist::Index: exclusive upper bound
};

enum class Family { Binary, Unary, Reduce, Linalg, Composite };

struct OpCase {
  std::string name;  // unique, e.g. "add/broadcast"
  std::string op;    // registry op exercised; "" = composite
  Family family;
  std::vector<InputSpec> inputs;
  std::function<Tensor(const Tensors&)> run;
  std::function<ref::Ref(const std::vector<ref::Ref>&)> reference;
  bool grad = true;       // checked by gradcheck
  bool gradgrad = true;   // checked by gradgradcheck
  double tol = 1.0;       // float32 tolerance multiplier
};

const std::vector<OpCase>& op_cases();

// Foundation II cases (tests/op_table_nn.cpp): convolution, normalization,
// pooling, resampling, padding, joining/indexing, softmax and losses.
void add_nn_cases(std::vector<OpCase>& v);

// Inputs for a case as CPU tensors: float64 for float inputs (integer-valued
// when `integers` is set, for integer-dtype runs), uint8 for masks, int64 for
// indices. Backends convert only the float inputs to the dtype under test.
// Deterministic in `seed`; never all zeros.
Tensors make_inputs(const OpCase& c, uint64_t seed, bool integers = false);
uint64_t case_seed(const std::string& name);

// A case with the default flags (gradcheck and gradgradcheck on, tol 1).
OpCase make_case(const std::string& name, const std::string& op, Family fam,
                 std::vector<InputSpec> ins, std::function<Tensor(const Tensors&)> run,
                 std::function<ref::Ref(const std::vector<ref::Ref>&)> reference);

// Converts a tensor (any dtype/device) to a reference value.
ref::Ref to_ref(const Tensor& t);

}  // namespace tbl
