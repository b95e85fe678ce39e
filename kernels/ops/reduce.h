// kernels/ops/reduce.h — the reduction family of the op table: sum, mean,
// var, max, min, argmax, argmin (kernels: kernels/cpu/reduce.cpp,
// kernels/cuda/reduce.cu; attributes: ReduceAttrs), with their API and
// derivatives (see kernels/ops/begin.h for how this file is read).
//
// The gradient of a reduction is the output gradient broadcast back over the
// reduced dims (`expand_back`), scaled (mean), weighted (var) or masked to
// the winning elements (max/min; ties share the gradient equally).
#include "kernels/ops/begin.h"

// ----------------------------------------------------------------- entries
//        name    attrs        in out flags
GANTRY_OP(sum,    ReduceAttrs, 1, 1,  kNoFlags)
GANTRY_OP(mean,   ReduceAttrs, 1, 1,  kNoFlags)
GANTRY_OP(var,    ReduceAttrs, 1, 1,  kNoFlags)
GANTRY_OP(max,    ReduceAttrs, 1, 1,  kNoFlags)
GANTRY_OP(min,    ReduceAttrs, 1, 1,  kNoFlags)
GANTRY_OP(argmax, ReduceAttrs, 1, 1,  kNotDifferentiable)  // int64 output
GANTRY_OP(argmin, ReduceAttrs, 1, 1,  kNotDifferentiable)

// ------------------------------------------------------------- public API
#if defined(GANTRY_OPS_DECLARE)
namespace gantry {
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
}  // namespace gantry
#endif  // GANTRY_OPS_DECLARE

// ------------------------------------------------ definitions, derivatives
#if defined(GANTRY_OPS_DEFINE)
#include <algorithm>

namespace gantry {

namespace {

// Wrapped, sorted, unique dims; empty means all.
std::vector<int64_t> norm_dims(const char* op, const Tensor& x, const std::vector<int64_t>& dims) {
  std::vector<int64_t> r;
  if (x.dim() == 0) {  // a 0-d tensor has no dims to reduce; 0 and -1 name "it"
    for (int64_t d : dims) wrap_dim(d, 0, op);
    return r;
  }
  if (dims.empty()) {
    for (int64_t d = 0; d < x.dim(); ++d) r.push_back(d);
    return r;
  }
  for (int64_t d : dims) r.push_back(wrap_dim(d, x.dim(), op));
  std::sort(r.begin(), r.end());
  GANTRY_CHECK(std::adjacent_find(r.begin(), r.end()) == r.end(), op, ": dim repeated in ",
               shape_str(dims));
  return r;
}

Shape reduced_shape(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  Shape s;
  for (int64_t d = 0; d < x.dim(); ++d) {
    bool red = std::binary_search(dims.begin(), dims.end(), d);
    if (!red) s.push_back(x.size(d));
    else if (keepdim) s.push_back(1);
  }
  return s;
}

int64_t reduced_count(const Tensor& x, const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= x.size(d);
  return n;
}

// Runs reduction kernel `op` into a new tensor of the reduced shape.
Tensor run_reduce(kernels::OpId op, const Tensor& x, const std::vector<int64_t>& dims,
                  bool keepdim, DType out_dtype, bool unbiased = false) {
  Tensor out = detail::new_output(x, reduced_shape(x, dims, keepdim), out_dtype);
  kernels::run(op, {x}, {out}, kernels::ReduceAttrs{dims, keepdim, unbiased});
  return out;
}

// Broadcasts a reduction's gradient g back to x's shape.
Tensor expand_back(const Tensor& g, const Shape& x_shape, const std::vector<int64_t>& dims,
                   bool keepdim) {
  Tensor k = g;
  if (!keepdim) {
    Shape ks = x_shape;
    for (int64_t d : dims) ks[d] = 1;
    k = reshape(g, ks);
  }
  return expand(k, x_shape);
}

Tensor check_float_input(const char* op, const Tensor& x) {
  detail::check_defined(op, x);
  detail::check_floating(op, x);
  return x;
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<int64_t>& dims_in, bool keepdim) {
  check_float_input("sum", x);
  auto dims = norm_dims("sum", x, dims_in);
  Tensor out = run_reduce(kernels::OpId::sum, x, dims, keepdim, x.dtype());
  record("SumBackward", {x}, {out}, [s = x.shape(), dims, keepdim](const Tensors& g, const NeedMask&) {
    return Tensors{expand_back(g[0], s, dims, keepdim)};
  });
  return out;
}
Tensor sum(const Tensor& x) { return sum(x, {}, false); }

Tensor mean(const Tensor& x, const std::vector<int64_t>& dims_in, bool keepdim) {
  check_float_input("mean", x);
  auto dims = norm_dims("mean", x, dims_in);
  Tensor out = run_reduce(kernels::OpId::mean, x, dims, keepdim, x.dtype());
  const double n = static_cast<double>(reduced_count(x, dims));
  record("MeanBackward", {x}, {out}, [s = x.shape(), dims, keepdim, n](const Tensors& g, const NeedMask&) {
    return Tensors{expand_back(div(g[0], n), s, dims, keepdim)};
  });
  return out;
}
Tensor mean(const Tensor& x) { return mean(x, {}, false); }

Tensor var(const Tensor& x, const std::vector<int64_t>& dims_in, bool unbiased, bool keepdim) {
  check_float_input("var", x);
  auto dims = norm_dims("var", x, dims_in);
  Tensor out = run_reduce(kernels::OpId::var, x, dims, keepdim, x.dtype(), unbiased);
  const double n = static_cast<double>(reduced_count(x, dims)) - (unbiased ? 1.0 : 0.0);
  record("VarBackward", {x}, {out}, [sx = save(x, "self"), dims, keepdim, n](const Tensors& g, const NeedMask&) {
    const Tensor x = sx.unpack();
    // d var / dx = 2 (x - mean) / n
    Tensor centered = sub(x, mean(x, dims, true));
    return Tensors{mul(expand_back(g[0], x.shape(), dims, keepdim), mul(centered, 2.0 / n))};
  });
  return out;
}
Tensor var(const Tensor& x) { return var(x, {}, true, false); }

namespace {
Tensor extremum(kernels::OpId id, const char* name, const Tensor& x,
                const std::vector<int64_t>& dims_in, bool keepdim) {
  const char* op = kernels::op_name(id);
  check_float_input(op, x);
  GANTRY_CHECK(x.numel() > 0, op, ": reduction of an empty tensor of shape ", shape_str(x.shape()));
  auto dims = norm_dims(op, x, dims_in);
  Tensor out = run_reduce(id, x, dims, keepdim, x.dtype());
  record(name, {x}, {out}, [sx = save(x, "self"), sy = save_output(out, "result"), dims, keepdim](
                               const Tensors& g, const NeedMask&) {
    const Tensor x = sx.unpack(), y = sy.unpack().detach();  // y only selects: no gradient through it
    Tensor mask = eq(x, expand_back(y, x.shape(), dims, keepdim));
    Tensor count = sum(to(mask, x.dtype()), dims, true);  // ties share the gradient
    Tensor share = div(expand_back(g[0], x.shape(), dims, keepdim), count);
    return Tensors{where(mask, share, 0.0)};
  });
  return out;
}

Tensor arg_extremum(kernels::OpId id, const Tensor& x, int64_t dim, bool keepdim, bool all) {
  const char* op = kernels::op_name(id);
  check_float_input(op, x);
  GANTRY_CHECK(x.numel() > 0, op, ": reduction of an empty tensor of shape ", shape_str(x.shape()));
  if (all) return run_reduce(id, x, norm_dims(op, x, {}), false, kInt64);
  return run_reduce(id, x, {wrap_dim(dim, x.dim(), op)}, keepdim, kInt64);
}
}  // namespace

Tensor max(const Tensor& x, const std::vector<int64_t>& d, bool k) {
  return extremum(kernels::OpId::max, "MaxBackward", x, d, k);
}
Tensor max(const Tensor& x) { return max(x, {}, false); }
Tensor min(const Tensor& x, const std::vector<int64_t>& d, bool k) {
  return extremum(kernels::OpId::min, "MinBackward", x, d, k);
}
Tensor min(const Tensor& x) { return min(x, {}, false); }
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  return arg_extremum(kernels::OpId::argmax, x, dim, keepdim, false);
}
Tensor argmax(const Tensor& x) { return arg_extremum(kernels::OpId::argmax, x, 0, false, true); }
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim) {
  return arg_extremum(kernels::OpId::argmin, x, dim, keepdim, false);
}
Tensor argmin(const Tensor& x) { return arg_extremum(kernels::OpId::argmin, x, 0, false, true); }

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  const int64_t lead = x.dim() - static_cast<int64_t>(shape.size());
  GANTRY_CHECK(lead >= 0, "sum_to: cannot sum ", shape_str(x.shape()), " to the larger shape ",
               shape_str(shape));
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (d < lead) {
      dims.push_back(d);
    } else if (shape[d - lead] == 1 && x.size(d) != 1) {
      dims.push_back(d);
    } else {
      GANTRY_CHECK(shape[d - lead] == x.size(d), "sum_to: ", shape_str(x.shape()),
                   " does not broadcast to ", shape_str(shape));
    }
  }
  Tensor r = dims.empty() ? x : sum(x, dims, true);
  return reshape(r, shape);
}

}  // namespace gantry
#endif  // GANTRY_OPS_DEFINE

#include "kernels/ops/end.h"
