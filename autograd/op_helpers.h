// autograd/op_helpers.h — small pieces shared by the op definitions:
// input checks that name the op, and kernel dispatch into fresh outputs.
#pragma once
#include <string>

#include "autograd/node.h"
#include "autograd/ops.h"
#include "autograd/saved.h"
#include "kernels/registry.h"

namespace gantry {

// What an op definition records its backward with (autograd/node.h).
using autograd::record;
using NeedMask = std::vector<bool>;
// What op definitions save for backward (autograd/saved.h).
using autograd::save;
using autograd::save_if;
using autograd::save_output;
using autograd::SavedTensor;
using autograd::will_need_grad;

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

// Per-channel parameter [C] reshaped to broadcast over [N,C,*].
inline Tensor channel_view(const char* op, const char* what, const Tensor& p, const Tensor& x) {
  detail::check_same(op, x, p);
  GANTRY_CHECK(p.dim() == 1 && p.size(0) == x.size(1), op, ": ", what, " ",
               shape_str(p.shape()), " does not match ", x.size(1), " channels of input ",
               shape_str(x.shape()));
  Shape s(x.dim(), 1);
  s[1] = x.size(1);
  return reshape(p, s);
}

inline Tensor affine(const char* op, const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& b) {
  Tensor r = y;
  if (w.defined()) r = mul(r, channel_view(op, "weight", w, x));
  if (b.defined()) r = add(r, channel_view(op, "bias", b, x));
  return r;
}

}  // namespace detail
}  // namespace gantry
