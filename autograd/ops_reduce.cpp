// autograd/ops_reduce.cpp — reductions and their derivatives.
//
// The gradient of a reduction is the output gradient broadcast back over the
// reduced dims (`expand_back`), scaled (mean), weighted (var) or masked to
// the winning elements (max/min; ties share the gradient equally).
#include <algorithm>

#include "autograd/op_helpers.h"

namespace gantry {

using autograd::record;
using NeedMask = std::vector<bool>;

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
Tensor run_reduce(const char* op, const Tensor& x, const std::vector<int64_t>& dims, bool keepdim,
                  DType out_dtype, bool unbiased = false) {
  kernels::Attrs at;
  at.dims = dims;
  at.keepdim = keepdim;
  at.unbiased = unbiased;
  Tensor out = detail::new_output(x, reduced_shape(x, dims, keepdim), out_dtype);
  kernels::run(op, {x}, {out}, at);
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
  Tensor out = run_reduce("sum", x, dims, keepdim, x.dtype());
  record("SumBackward", {x}, {out}, [s = x.shape(), dims, keepdim](const Tensors& g, const NeedMask&) {
    return Tensors{expand_back(g[0], s, dims, keepdim)};
  });
  return out;
}
Tensor sum(const Tensor& x) { return sum(x, {}, false); }

Tensor mean(const Tensor& x, const std::vector<int64_t>& dims_in, bool keepdim) {
  check_float_input("mean", x);
  auto dims = norm_dims("mean", x, dims_in);
  Tensor out = run_reduce("mean", x, dims, keepdim, x.dtype());
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
  Tensor out = run_reduce("var", x, dims, keepdim, x.dtype(), unbiased);
  const double n = static_cast<double>(reduced_count(x, dims)) - (unbiased ? 1.0 : 0.0);
  record("VarBackward", {x}, {out}, [x, dims, keepdim, n](const Tensors& g, const NeedMask&) {
    // d var / dx = 2 (x - mean) / n
    Tensor centered = sub(x, mean(x, dims, true));
    return Tensors{mul(expand_back(g[0], x.shape(), dims, keepdim), mul(centered, 2.0 / n))};
  });
  return out;
}
Tensor var(const Tensor& x) { return var(x, {}, true, false); }

namespace {
Tensor extremum(const char* op, const char* name, const Tensor& x,
                const std::vector<int64_t>& dims_in, bool keepdim) {
  check_float_input(op, x);
  GANTRY_CHECK(x.numel() > 0, op, ": reduction of an empty tensor of shape ", shape_str(x.shape()));
  auto dims = norm_dims(op, x, dims_in);
  Tensor out = run_reduce(op, x, dims, keepdim, x.dtype());
  record(name, {x}, {out}, [x, y = out.detach(), dims, keepdim](const Tensors& g, const NeedMask&) {
    Tensor mask = eq(x, expand_back(y, x.shape(), dims, keepdim));
    Tensor count = sum(to(mask, x.dtype()), dims, true);  // ties share the gradient
    Tensor share = div(expand_back(g[0], x.shape(), dims, keepdim), count);
    return Tensors{where(mask, share, 0.0)};
  });
  return out;
}

Tensor arg_extremum(const char* op, const Tensor& x, int64_t dim, bool keepdim, bool all) {
  check_float_input(op, x);
  GANTRY_CHECK(x.numel() > 0, op, ": reduction of an empty tensor of shape ", shape_str(x.shape()));
  if (all) return run_reduce(op, x, norm_dims(op, x, {}), false, kInt64);
  return run_reduce(op, x, {wrap_dim(dim, x.dim(), op)}, keepdim, kInt64);
}
}  // namespace

Tensor max(const Tensor& x, const std::vector<int64_t>& d, bool k) {
  return extremum("max", "MaxBackward", x, d, k);
}
Tensor max(const Tensor& x) { return max(x, {}, false); }
Tensor min(const Tensor& x, const std::vector<int64_t>& d, bool k) {
  return extremum("min", "MinBackward", x, d, k);
}
Tensor min(const Tensor& x) { return min(x, {}, false); }
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  return arg_extremum("argmax", x, dim, keepdim, false);
}
Tensor argmax(const Tensor& x) { return arg_extremum("argmax", x, 0, false, true); }
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim) {
  return arg_extremum("argmin", x, dim, keepdim, false);
}
Tensor argmin(const Tensor& x) { return arg_extremum("argmin", x, 0, false, true); }

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
