// kernels/ops/index.h — indexing in the op table: gather, scatter_add and
// max_pool2d_indices (kernels: kernels/cpu/index.cpp, kernels/cuda/index.cu),
// plus the joining and indexing ops built on them: cat, stack, split,
// index_select, embedding, one_hot, masked_fill (see kernels/ops/begin.h for
// how this file is read).
//
// gather and scatter_add are each other's derivative (both are linear):
//   d gather(x, idx) / dx  = scatter_add(zeros(x), idx, g)
//   d scatter_add(x, idx, src): dx = g, dsrc = gather(g, idx)
// so every indexing op built on them differentiates to any order.
#include "kernels/ops/begin.h"

// ----------------------------------------------------------------- entries
//        name                attrs      in out flags
GANTRY_OP(gather,             DimAttrs,  2, 1,  kNoFlags)  // (x, idx int64) -> y
GANTRY_OP(scatter_add,        DimAttrs,  3, 1,  kNoFlags)  // (x, idx, src) -> y
// The flat (h*W + w) index of each window's first maximum; max_pool2d
// (autograd/ops_nn.cpp) gathers with it, so its gradient is gather's.
GANTRY_OP(max_pool2d_indices, PoolAttrs, 1, 1,  kNotDifferentiable)

// ------------------------------------------------------------- public API
#if defined(GANTRY_OPS_DECLARE)
namespace gantry {
Tensor cat(const std::vector<Tensor>& xs, int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& xs, int64_t dim = 0);
// Pieces of `split_size` along dim (the last may be smaller); views.
std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim = 0);
// idx: int64 [K] -> x with dim `dim` replaced by K.
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& idx);
// idx int64 with x's rank -> y of idx's shape, y[..i..] = x[.. idx[..i..] at dim ..].
Tensor gather(const Tensor& x, int64_t dim, const Tensor& idx);
// y = x, then y[.. idx[..i..] at dim ..] += src[..i..]; idx and src have one shape.
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& idx, const Tensor& src);
// idx int64 [*] -> weight rows [*, D]; weight [V, D].
Tensor embedding(const Tensor& idx, const Tensor& weight);
// idx int64 [*] -> int64 [*, num_classes] of 0/1.
Tensor one_hot(const Tensor& idx, int64_t num_classes);
// value where mask (uint8, broadcastable), else x.
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);
}  // namespace gantry
#endif  // GANTRY_OPS_DECLARE

// ------------------------------------------------ definitions, derivatives
#if defined(GANTRY_OPS_DEFINE)
namespace gantry {

namespace {

void check_index_tensor(const char* op, const Tensor& x, const Tensor& idx, int64_t dim) {
  detail::check_defined(op, idx, "index");
  GANTRY_CHECK(idx.dtype() == kInt64, op, ": index must be int64, got ", tensor_desc(idx));
  GANTRY_CHECK(idx.device() == x.device(), op, ": index on ", idx.device().str(),
               " but input on ", x.device().str());
  GANTRY_CHECK(idx.dim() == x.dim(), op, ": index ", shape_str(idx.shape()),
               " must have as many dims as the input ", shape_str(x.shape()));
  for (int64_t d = 0; d < x.dim(); ++d)
    GANTRY_CHECK(d == dim || idx.size(d) <= x.size(d), op, ": index ", shape_str(idx.shape()),
                 " is larger than input ", shape_str(x.shape()), " in dim ", d);
}

kernels::DimAttrs dim_attr(int64_t dim) { return kernels::DimAttrs{dim}; }

}  // namespace

Tensor gather(const Tensor& x, int64_t dim, const Tensor& idx) {
  detail::check_defined("gather", x);
  dim = wrap_dim(dim, x.dim(), "gather");
  check_index_tensor("gather", x, idx, dim);
  Tensor y = detail::new_output(x, idx.shape(), x.dtype());
  kernels::run(kernels::OpId::gather, {x, idx}, {y}, dim_attr(dim));
  record("GatherBackward", {x}, {y}, [xs = x.shape(), dim, si = save(idx, "index")](const Tensors& g, const NeedMask&) {
    Tensor z = zeros(xs, Options(g[0].dtype()).device(g[0].device()));
    return Tensors{scatter_add(z, dim, si.unpack(), g[0])};
  });
  return y;
}

Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& idx, const Tensor& src) {
  detail::check_same("scatter_add", x, src);
  dim = wrap_dim(dim, x.dim(), "scatter_add");
  check_index_tensor("scatter_add", x, idx, dim);
  GANTRY_CHECK(src.shape() == idx.shape(), "scatter_add: source ", shape_str(src.shape()),
               " and index ", shape_str(idx.shape()), " must have one shape");
  Tensor y = detail::new_output(x, x.shape(), x.dtype());
  kernels::run(kernels::OpId::scatter_add, {x, idx, src}, {y}, dim_attr(dim));
  record("ScatterAddBackward", {x, src}, {y},
         [dim, si = save_if(will_need_grad(src), idx, "index")](const Tensors& g, const NeedMask& n) {
    return Tensors{n[0] ? g[0] : Tensor(), n[1] ? gather(g[0], dim, si.unpack()) : Tensor()};
  });
  return y;
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& idx) {
  detail::check_defined("index_select", x);
  dim = wrap_dim(dim, x.dim(), "index_select");
  GANTRY_CHECK(idx.defined() && idx.dtype() == kInt64 && idx.dim() == 1,
               "index_select: index must be a 1-D int64 tensor, got ", tensor_desc(idx));
  // A gather with the index broadcast over every other dim (a stride-0 view).
  Shape view(x.dim(), 1), out = x.shape();
  view[dim] = idx.size(0);
  out[dim] = idx.size(0);
  return gather(x, dim, core::expand(core::reshape(idx, view), out));
}

Tensor embedding(const Tensor& idx, const Tensor& weight) {
  detail::check_defined("embedding", weight, "weight");
  GANTRY_CHECK(weight.dim() == 2, "embedding: weight must be [num_embeddings, dim], got ",
               shape_str(weight.shape()));
  GANTRY_CHECK(idx.defined() && idx.dtype() == kInt64, "embedding: indices must be int64, got ",
               tensor_desc(idx));
  Shape out = idx.shape();
  out.push_back(weight.size(1));
  return reshape(index_select(weight, 0, core::reshape(idx, {-1})), out);
}

Tensor one_hot(const Tensor& idx, int64_t num_classes) {
  GANTRY_CHECK(idx.defined() && idx.dtype() == kInt64, "one_hot: indices must be int64, got ",
               tensor_desc(idx));
  GANTRY_CHECK(num_classes > 0, "one_hot: num_classes must be positive, got ", num_classes);
  Tensor classes = arange(num_classes, Options(kInt64).device(idx.device()));
  Tensor hit = eq(unsqueeze(idx, -1), classes);
  if (idx.numel() > 0) {
    auto v = idx.to_vector<int64_t>();
    for (int64_t i : v)
      GANTRY_CHECK(i >= 0 && i < num_classes, "one_hot: class ", i, " is outside [0, ",
                   num_classes, ")");
  }
  return core::cast(hit, kInt64);
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  detail::check_defined("masked_fill", x);
  return where(mask, detail::scalar_like(x, value), x);
}

Tensor cat(const std::vector<Tensor>& xs, int64_t dim) {
  GANTRY_CHECK(!xs.empty(), "cat: needs at least one tensor");
  const Tensor& a = xs[0];
  detail::check_defined("cat", a);
  dim = wrap_dim(dim, a.dim(), "cat");
  Shape out = a.shape();
  out[dim] = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    detail::check_same("cat", a, xs[i]);
    GANTRY_CHECK(xs[i].dim() == a.dim(), "cat: tensor ", i, " ", shape_str(xs[i].shape()),
                 " has a different rank from tensor 0 ", shape_str(a.shape()));
    for (int64_t d = 0; d < a.dim(); ++d)
      GANTRY_CHECK(d == dim || xs[i].size(d) == a.size(d), "cat: tensor ", i, " ",
                   shape_str(xs[i].shape()), " does not match tensor 0 ", shape_str(a.shape()),
                   " outside dim ", dim);
    out[dim] += xs[i].size(dim);
  }
  Tensor y = detail::new_output(a, out, a.dtype());
  std::vector<int64_t> starts;
  int64_t off = 0;
  for (const auto& t : xs) {
    starts.push_back(off);
    core::copy_(core::slice(y, dim, off, off + t.size(dim), 1), t);
    off += t.size(dim);
  }
  std::vector<int64_t> lens;
  for (const auto& t : xs) lens.push_back(t.size(dim));
  record("CatBackward", xs, {y}, [dim, starts, lens](const Tensors& g, const NeedMask& n) {
    Tensors r(n.size());
    for (size_t i = 0; i < n.size(); ++i)
      if (n[i]) r[i] = narrow(g[0], dim, starts[i], lens[i]);
    return r;
  });
  return y;
}

Tensor stack(const std::vector<Tensor>& xs, int64_t dim) {
  GANTRY_CHECK(!xs.empty(), "stack: needs at least one tensor");
  dim = wrap_dim(dim, xs[0].dim() + 1, "stack");
  std::vector<Tensor> u;
  for (size_t i = 0; i < xs.size(); ++i) {
    GANTRY_CHECK(xs[i].defined() && xs[i].shape() == xs[0].shape(), "stack: tensor ", i, " ",
                 shape_str(xs[i].defined() ? xs[i].shape() : Shape{}),
                 " differs from tensor 0 ", shape_str(xs[0].shape()));
    u.push_back(unsqueeze(xs[i], dim));
  }
  return cat(u, dim);
}

std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim) {
  detail::check_defined("split", x);
  GANTRY_CHECK(split_size > 0, "split: split_size must be positive, got ", split_size);
  dim = wrap_dim(dim, x.dim(), "split");
  std::vector<Tensor> r;
  for (int64_t s = 0; s < x.size(dim); s += split_size)
    r.push_back(narrow(x, dim, s, std::min(split_size, x.size(dim) - s)));
  return r;
}

}  // namespace gantry
#endif  // GANTRY_OPS_DEFINE

#include "kernels/ops/end.h"
