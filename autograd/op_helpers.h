// autograd/op_helpers.h — small pieces shared by the op definitions:
// input checks that name the op, and kernel dispatch into fresh outputs.
#pragma once
#include <string>

#include "autograd/node.h"
#include "autograd/ops.h"
#include "kernels/registry.h"

namespace gantry {
namespace detail {

inline void check_defined(const char* op, const Tensor& t, const char* which = "input") {
  GANTRY_CHECK(t.defined(), op, ": ", which, " is an undefined tensor");
}

// Same device and dtype for two operands (no implicit promotion).
inline void check_same(const char* op, const Tensor& a, const Tensor& b) {
  check_defined(op, a);
  check_defined(op, b);
  GANTRY_CHECK(a.device() == b.device(), op, ": tensors on different devices: ",
               tensor_desc(a), " and ", tensor_desc(b));
  GANTRY_CHECK(a.dtype() == b.dtype(), op, ": dtypes differ: ", tensor_desc(a), " and ",
               tensor_desc(b), " (convert one with .to(dtype))");
}

inline void check_floating(const char* op, const Tensor& t) {
  GANTRY_CHECK(is_floating(t.dtype()), op, ": needs a floating tensor, got ", tensor_desc(t));
}

// A fresh contiguous output on x's device.
inline Tensor new_output(const Tensor& like, const Shape& s, DType d) {
  return empty(s, Options(d).device(like.device()));
}

// A 0-d tensor holding v, with t's dtype and device.
inline Tensor scalar_like(const Tensor& t, double v) {
  return scalar_tensor(v, Options(t.dtype()).device(t.device()));
}

}  // namespace detail
}  // namespace gantry
