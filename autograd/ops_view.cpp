// autograd/ops_view.cpp — shape and view ops with their derivatives.
//
// Views share storage with their input (core/ does the geometry); here each
// one records how to send a gradient back: reshape-like views reshape it,
// transpose/permute permute it back, expand sums it, and slice/select write
// it into a zero tensor of the input's shape (`embed`).
//
// In-place writes through views are not tracked by autograd (there are no
// version counters yet): do not modify a tensor that a graph has saved.
#include <functional>

#include "autograd/op_helpers.h"

namespace gantry {

namespace {

// Records a view whose backward is "reshape the gradient back to x's shape".
Tensor reshape_like_view(const char* name, const Tensor& x, Tensor out) {
  record(name, {x}, {out}, [s = x.shape()](const Tensors& g, const NeedMask&) {
    return Tensors{reshape(g[0], s)};
  });
  return out;
}

// zeros(base_shape) with g written into the view `pick` selects. Linear in g;
// its own derivative picks the same view of the incoming gradient.
using Pick = std::function<Tensor(const Tensor&)>;
Tensor embed(const Tensor& g, const Shape& base_shape, Pick core_pick, Pick diff_pick) {
  Tensor out = zeros(base_shape, Options(g.dtype()).device(g.device()));
  core::copy_(core_pick(out), g);
  record("EmbedBackward", {g}, {out}, [diff_pick](const Tensors& gg, const NeedMask&) {
    return Tensors{diff_pick(gg[0])};
  });
  return out;
}

}  // namespace

Tensor reshape(const Tensor& x, const Shape& s) {
  detail::check_defined("reshape", x);
  return reshape_like_view("ReshapeBackward", x, core::reshape(x, s));
}

Tensor view(const Tensor& x, const Shape& s) {
  detail::check_defined("view", x);
  return reshape_like_view("ViewBackward", x, core::view(x, s));
}

Tensor unsqueeze(const Tensor& x, int64_t d) {
  detail::check_defined("unsqueeze", x);
  return reshape_like_view("UnsqueezeBackward", x, core::unsqueeze(x, d));
}

Tensor squeeze(const Tensor& x, int64_t d) {
  detail::check_defined("squeeze", x);
  return reshape_like_view("SqueezeBackward", x, core::squeeze(x, d));
}

Tensor squeeze(const Tensor& x) {
  detail::check_defined("squeeze", x);
  Shape s;
  for (int64_t v : x.shape())
    if (v != 1) s.push_back(v);
  return reshape_like_view("SqueezeBackward", x, core::reshape(x, s));
}

Tensor flatten(const Tensor& x, int64_t start, int64_t end) {
  detail::check_defined("flatten", x);
  if (x.dim() == 0) return reshape(x, {1});
  start = wrap_dim(start, x.dim(), "flatten");
  end = wrap_dim(end, x.dim(), "flatten");
  GANTRY_CHECK(start <= end, "flatten: start dim ", start, " is after end dim ", end);
  Shape s(x.shape().begin(), x.shape().begin() + start);
  int64_t n = 1;
  for (int64_t d = start; d <= end; ++d) n *= x.size(d);
  s.push_back(n);
  s.insert(s.end(), x.shape().begin() + end + 1, x.shape().end());
  return reshape(x, s);
}

Tensor transpose(const Tensor& x, int64_t d0, int64_t d1) {
  detail::check_defined("transpose", x);
  Tensor out = core::transpose(x, d0, d1);
  record("TransposeBackward", {x}, {out}, [d0, d1](const Tensors& g, const NeedMask&) {
    return Tensors{transpose(g[0], d0, d1)};
  });
  return out;
}

Tensor permute(const Tensor& x, const Shape& order) {
  detail::check_defined("permute", x);
  Tensor out = core::permute(x, order);
  Shape inv(order.size());
  for (size_t i = 0; i < order.size(); ++i) inv[wrap_dim(order[i], x.dim(), "permute")] = i;
  record("PermuteBackward", {x}, {out}, [inv](const Tensors& g, const NeedMask&) {
    return Tensors{permute(g[0], inv)};
  });
  return out;
}

Tensor expand(const Tensor& x, const Shape& s) {
  detail::check_defined("expand", x);
  Tensor out = core::expand(x, s);
  record("ExpandBackward", {x}, {out}, [xs = x.shape()](const Tensors& g, const NeedMask&) {
    return Tensors{sum_to(g[0], xs)};
  });
  return out;
}

Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step) {
  detail::check_defined("slice", x);
  Tensor out = core::slice(x, dim, start, end, step);
  record("SliceBackward", {x}, {out}, [xs = x.shape(), dim, start, end, step](const Tensors& g, const NeedMask&) {
    return Tensors{embed(
        g[0], xs, [=](const Tensor& t) { return core::slice(t, dim, start, end, step); },
        [=](const Tensor& t) { return slice(t, dim, start, end, step); })};
  });
  return out;
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  detail::check_defined("narrow", x);
  const int64_t d = wrap_dim(dim, x.dim(), "narrow");
  GANTRY_CHECK(start >= 0 && length >= 0 && start + length <= x.size(d), "narrow: [", start, ", ",
               start + length, ") is outside dim ", d, " of size ", x.size(d), " in shape ",
               shape_str(x.shape()));
  return slice(x, d, start, start + length, 1);
}

Tensor select(const Tensor& x, int64_t dim, int64_t index) {
  detail::check_defined("select", x);
  Tensor out = core::select(x, dim, index);
  record("SelectBackward", {x}, {out}, [xs = x.shape(), dim, index](const Tensors& g, const NeedMask&) {
    return Tensors{embed(
        g[0], xs, [=](const Tensor& t) { return core::select(t, dim, index); },
        [=](const Tensor& t) { return select(t, dim, index); })};
  });
  return out;
}

Tensor contiguous(const Tensor& x) {
  detail::check_defined("contiguous", x);
  if (x.is_contiguous()) return x;
  Tensor out = core::clone(x);
  record("ContiguousBackward", {x}, {out}, [](const Tensors& g, const NeedMask&) {
    return Tensors{g[0]};
  });
  return out;
}

Tensor clone(const Tensor& x) {
  detail::check_defined("clone", x);
  Tensor out = core::clone(x);
  record("CloneBackward", {x}, {out}, [](const Tensors& g, const NeedMask&) {
    return Tensors{g[0]};
  });
  return out;
}

Tensor to(const Tensor& x, DType t) {
  detail::check_defined("to", x);
  if (x.dtype() == t) return x;
  Tensor out = core::cast(x, t);
  if (is_floating(t)) {
    record("ToDtypeBackward", {x}, {out}, [xt = x.dtype()](const Tensors& g, const NeedMask&) {
      return Tensors{to(g[0], xt)};
    });
  }
  return out;
}

Tensor to(const Tensor& x, Device d) {
  detail::check_defined("to", x);
  if (x.device() == d) return x;
  Tensor out = core::to_device(x, d);
  record("ToDeviceBackward", {x}, {out}, [xd = x.device()](const Tensors& g, const NeedMask&) {
    return Tensors{to(g[0], xd)};
  });
  return out;
}

Tensor detach(const Tensor& x) { return core::detach(x); }

}  // namespace gantry
