// autograd/ops.h — Gantry's differentiable op API.
//
// Every function here validates its inputs (shapes, dtypes, devices; errors
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
#include "autograd/ops_nn.h"  // convolution, normalization, pooling, losses, ...

namespace gantry {

// ------------------------------------------------------- elementwise binary
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);  // ties split the gradient
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor add(const Tensor& a, double b);
Tensor sub(const Tensor& a, double b);
Tensor sub(double a, const Tensor& b);
Tensor mul(const Tensor& a, double b);
Tensor div(const Tensor& a, double b);
Tensor div(double a, const Tensor& b);
Tensor pow(const Tensor& a, double b);
Tensor maximum(const Tensor& a, double b);
Tensor minimum(const Tensor& a, double b);

// Comparisons: uint8 results (1 = true), never differentiable.
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, double b);
Tensor ne(const Tensor& a, double b);
Tensor lt(const Tensor& a, double b);
Tensor le(const Tensor& a, double b);
Tensor gt(const Tensor& a, double b);
Tensor ge(const Tensor& a, double b);

// cond (uint8, broadcastable) ? a : b — differentiable in a and b.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, double b);

// ---------------------------------------------------------- elementwise unary
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor sign(const Tensor& x);  // gradient 0
Tensor square(const Tensor& x);  // x * x
Tensor relu(const Tensor& x);
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor softplus(const Tensor& x);  // log(1 + e^x), stable
Tensor erf(const Tensor& x);
Tensor gelu(const Tensor& x);  // exact (erf) form
Tensor elu(const Tensor& x, double alpha = 1.0);
// Use +-infinity for a missing bound.
Tensor clamp(const Tensor& x, double lo, double hi);

// ---------------------------------------------------------------- reductions
// `dims` may be negative; an empty list reduces over every dim.
Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
Tensor sum(const Tensor& x);
Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor var(const Tensor& x, const std::vector<int64_t>& dims, bool unbiased = true,
           bool keepdim = false);
Tensor var(const Tensor& x);  // unbiased, over all elements
Tensor max(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
Tensor max(const Tensor& x);
Tensor min(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
Tensor min(const Tensor& x);
// Index of the first maximum along `dim` (int64, not differentiable).
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor argmax(const Tensor& x);  // over the flattened tensor
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor argmin(const Tensor& x);
// Sums `x` down to `shape` (the inverse of broadcasting; used by backward).
Tensor sum_to(const Tensor& x, const Shape& shape);

// --------------------------------------------------------------- linear algebra
Tensor mm(const Tensor& a, const Tensor& b);   // [M,K] @ [K,N] -> [M,N]
Tensor bmm(const Tensor& a, const Tensor& b);  // [B,M,K] @ [B,K,N] -> [B,M,N]
// NumPy matmul: 1-D operands are promoted, batch dims broadcast.
Tensor matmul(const Tensor& a, const Tensor& b);
// x [..., in] @ w[out, in]^T + b[out] -> [..., out]; b may be undefined.
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b = Tensor());

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

// Broadcast result shape of a and b; `op` names the caller in errors.
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);

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
