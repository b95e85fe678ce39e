// autograd/ops.h — Gantry's differentiable op API.
//
// The primitive ops (elementwise, reductions, mm/bmm, convolution, batch
// norm, indexing) are declared in their family files under kernels/ops/,
// included below; this header adds views, conversions and operators.
//
// Every function validates its inputs (shapes, dtypes, devices; errors
// name them), dispatches to a kernel through kernels/registry.h, and — when
// grad mode is on and an input requires grad — records a graph node whose
// backward is written with these same ops (so it can be differentiated again).
//
// Elementwise binary ops broadcast as NumPy does; both operands must have the
// same dtype and device (no silent promotion). Scalar overloads convert the
// scalar to the tensor's dtype.
#pragma once
#include <vector>

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "core/tensor.h"
#include "autograd/ops_nn.h"  // normalization, pooling, losses, ...

// The primitive ops' API: each family file of the op table (kernels/ops/*.h)
// declares its ops, next to their entries and derivatives.
#define GANTRY_OPS_DECLARE 1
#include "kernels/ops/all.h"
#undef GANTRY_OPS_DECLARE

namespace gantry {

// ---------------------------------------------------------------- views
Tensor reshape(const Tensor& x, const Shape& s);
Tensor view(const Tensor& x, const Shape& s);
Tensor transpose(const Tensor& x, int64_t d0, int64_t d1);
Tensor permute(const Tensor& x, const Shape& order);
Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step = 1);
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);
Tensor select(const Tensor& x, int64_t dim, int64_t index);
Tensor unsqueeze(const Tensor& x, int64_t dim);
Tensor squeeze(const Tensor& x, int64_t dim);
Tensor squeeze(const Tensor& x);
Tensor expand(const Tensor& x, const Shape& s);
Tensor flatten(const Tensor& x, int64_t start = 0, int64_t end = -1);
Tensor contiguous(const Tensor& x);
Tensor clone(const Tensor& x);
Tensor to(const Tensor& x, DType t);
Tensor to(const Tensor& x, Device d);
Tensor detach(const Tensor& x);

// ------------------------------------------------------------- operators
inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& a) { return neg(a); }
inline Tensor operator+(const Tensor& a, double b) { return add(a, b); }
inline Tensor operator+(double a, const Tensor& b) { return add(b, a); }
inline Tensor operator-(const Tensor& a, double b) { return sub(a, b); }
inline Tensor operator-(double a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, double b) { return mul(a, b); }
inline Tensor operator*(double a, const Tensor& b) { return mul(b, a); }
inline Tensor operator/(const Tensor& a, double b) { return div(a, b); }
inline Tensor operator/(double a, const Tensor& b) { return div(a, b); }

}  // namespace gantry
