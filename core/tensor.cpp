// core/tensor.cpp — Tensor metadata, views, copies, factories and printing.
#include "core/tensor.h"

#include <mutex>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <sstream>
#include <iomanip>
#include <numeric>

#include "core/parallel.h"
#include "core/rng.h"
#include "core/strided.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace gantry {

// ------------------------------------------------------------------ shapes
std::string shape_str(const Shape& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

Shape contiguous_strides(const Shape& s) {
  Shape st(s.size());
  int64_t acc = 1;
  for (int64_t d = static_cast<int64_t>(s.size()) - 1; d >= 0; --d) {
    st[d] = acc;
    acc *= std::max<int64_t>(s[d], 1);
  }
  return st;
}

int64_t wrap_dim(int64_t d, int64_t ndim, const char* op) {
  int64_t n = std::max<int64_t>(ndim, 1);
  GANTRY_CHECK(d >= -n && d < n, op, ": dim ", d, " out of range for a tensor of ", ndim,
               " dims");
  return d < 0 ? d + n : d;
}

// ---------------------------------------------------------------- metadata
const Shape& Tensor::shape() const { return impl_->shape; }
const Shape& Tensor::strides() const { return impl_->strides; }
int64_t Tensor::size(int64_t d) const {
  GANTRY_CHECK(dim() > 0, "size: a 0-d tensor has no dims");
  return impl_->shape[wrap_dim(d, dim(), "size")];
}
int64_t Tensor::stride(int64_t d) const {
  GANTRY_CHECK(dim() > 0, "stride: a 0-d tensor has no dims");
  return impl_->strides[wrap_dim(d, dim(), "stride")];
}
int64_t Tensor::offset() const { return impl_->offset; }
int64_t Tensor::dim() const { return static_cast<int64_t>(impl_->shape.size()); }
int64_t Tensor::numel() const { return shape_numel(impl_->shape); }
DType Tensor::dtype() const { return impl_->dtype; }
Device Tensor::device() const { return impl_->storage->device(); }
const std::shared_ptr<Storage>& Tensor::storage() const { return impl_->storage; }

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (int64_t d = dim() - 1; d >= 0; --d) {
    if (impl_->shape[d] == 1) continue;
    if (impl_->strides[d] != expected) return false;
    expected *= impl_->shape[d];
  }
  return true;
}

void* Tensor::raw_data() const {
  return static_cast<char*>(impl_->storage->data()) + impl_->offset * itemsize();
}

template <typename T>
T Tensor::item() const {
  GANTRY_CHECK(defined(), "item(): undefined tensor");
  GANTRY_CHECK(numel() == 1, "item(): tensor of shape ", shape_str(shape()), " has ", numel(),
               " elements, not 1");
  return to_vector<T>()[0];
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  GANTRY_CHECK(defined(), "to_vector(): undefined tensor");
  Tensor c = core::contiguous(core::cast(device().is_cpu() ? *this : core::to_device(*this, kCPU),
                                         dtype_of<T>::value));
  const T* p = c.data<T>();
  return std::vector<T>(p, p + c.numel());
}

#define GANTRY_INSTANTIATE(T)                       \
  template T Tensor::item<T>() const;               \
  template std::vector<T> Tensor::to_vector<T>() const;
GANTRY_INSTANTIATE(float)
GANTRY_INSTANTIATE(double)
GANTRY_INSTANTIATE(int64_t)
GANTRY_INSTANTIATE(int32_t)
GANTRY_INSTANTIATE(uint8_t)
#undef GANTRY_INSTANTIATE

// ------------------------------------------------------------ autograd slot
AutogradMeta* Tensor::autograd_meta() const { return impl_->autograd.get(); }
AutogradMeta& Tensor::ensure_autograd_meta() const {
  // Not synchronized, by design: a record is created by requires_grad_ on a
  // leaf before the leaf is shared between threads, and by ops on their own
  // fresh outputs. Readers (requires_grad, grad_fn) then only read it; the
  // mutable parts (.grad, hooks, the cached accumulator) are guarded in
  // autograd/engine.cpp.
  if (!impl_->autograd) impl_->autograd = std::make_shared<AutogradMeta>();
  return *impl_->autograd;
}
uint64_t Tensor::version() const { return impl_->storage->version(); }
bool Tensor::requires_grad() const { return impl_->autograd && impl_->autograd->requires_grad; }
Tensor& Tensor::requires_grad_(bool r) {
  GANTRY_CHECK(!r || is_floating(dtype()), "requires_grad_: only floating tensors can require ",
               "grad, got ", dtype_name(dtype()));
  GANTRY_CHECK(is_leaf(), "requires_grad_: can only be changed on a leaf tensor (this one is ",
               "the output of an op; use detach() first)");
  ensure_autograd_meta().requires_grad = r;
  return *this;
}
Tensor Tensor::grad() const { return impl_->autograd ? impl_->autograd->grad : Tensor(); }
void Tensor::set_grad(const Tensor& g) const { ensure_autograd_meta().grad = g; }
std::shared_ptr<autograd::Node> Tensor::grad_fn() const {
  return impl_->autograd ? impl_->autograd->grad_fn : nullptr;
}
uint32_t Tensor::output_nr() const { return impl_->autograd ? impl_->autograd->output_nr : 0; }

// ------------------------------------------------------------------- views
namespace core {

Tensor make_view(const Tensor& t, const Shape& shape, const Shape& strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = t.storage();
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = offset;
  impl->dtype = t.dtype();
  return Tensor(std::move(impl));
}

Shape infer_shape(const Shape& s, int64_t numel, const char* op) {
  Shape r = s;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < r.size(); ++i) {
    if (r[i] == -1) {
      GANTRY_CHECK(infer < 0, op, ": only one dimension can be -1 in ", shape_str(s));
      infer = static_cast<int64_t>(i);
    } else {
      GANTRY_CHECK(r[i] >= 0, op, ": invalid size ", r[i], " in ", shape_str(s));
      known *= r[i];
    }
  }
  if (infer >= 0) {
    GANTRY_CHECK(known != 0 && numel % known == 0, op, ": shape ", shape_str(s),
                 " is invalid for input of size ", numel);
    r[infer] = numel / known;
  }
  GANTRY_CHECK(shape_numel(r) == numel, op, ": shape ", shape_str(s),
               " is invalid for input of size ", numel);
  return r;
}

// A reshape is a view when each group of new dims maps onto a run of old dims
// that is contiguous in memory (old dims of size 1 are skipped).
bool view_strides(const Tensor& t, const Shape& s, Shape* out) {
  if (t.is_contiguous()) {
    *out = contiguous_strides(s);
    return true;
  }
  Shape os, ost;  // old shape/strides without size-1 dims
  for (int64_t d = 0; d < t.dim(); ++d)
    if (t.size(d) != 1) os.push_back(t.size(d)), ost.push_back(t.stride(d));
  Shape st(s.size(), 0);
  size_t oi = 0;
  int64_t ni = 0;
  const int64_t nd = static_cast<int64_t>(s.size());
  while (ni < nd) {
    if (s[ni] == 1) {
      st[ni] = 1;
      ++ni;
      continue;
    }
    if (oi >= os.size()) return false;
    // Take a run of old dims [oi, oj) that is contiguous, and a group of new dims
    // [ni, nj) with the same element count.
    int64_t old_count = os[oi], new_count = s[ni];
    size_t oj = oi + 1;
    int64_t nj = ni + 1;
    while (old_count != new_count) {
      if (old_count < new_count) {
        if (oj >= os.size() || ost[oj - 1] != ost[oj] * os[oj]) return false;
        old_count *= os[oj++];
      } else {
        if (nj >= nd) return false;
        new_count *= s[nj++];
      }
    }
    // Strides for the new group: innermost gets the stride of the innermost old dim.
    int64_t acc = ost[oj - 1];
    for (int64_t k = nj - 1; k >= ni; --k) {
      st[k] = acc;
      acc *= s[k];
    }
    oi = oj;
    ni = nj;
  }
  if (oi != os.size()) return false;
  *out = st;
  return true;
}

Tensor view(const Tensor& t, const Shape& s) {
  Shape shape = infer_shape(s, t.numel(), "view"), st;
  GANTRY_CHECK(view_strides(t, shape, &st), "view: cannot view a tensor of shape ",
               shape_str(t.shape()), " with strides ", shape_str(t.strides()), " as ",
               shape_str(shape), " without a copy (use reshape)");
  return make_view(t, shape, st, t.offset());
}

Tensor reshape(const Tensor& t, const Shape& s) {
  Shape shape = infer_shape(s, t.numel(), "reshape"), st;
  if (view_strides(t, shape, &st)) return make_view(t, shape, st, t.offset());
  Tensor c = clone(t);
  return make_view(c, shape, contiguous_strides(shape), 0);
}

Tensor transpose(const Tensor& t, int64_t d0, int64_t d1) {
  d0 = wrap_dim(d0, t.dim(), "transpose");
  d1 = wrap_dim(d1, t.dim(), "transpose");
  Shape sh = t.shape(), st = t.strides();
  if (t.dim() == 0) return make_view(t, sh, st, t.offset());
  std::swap(sh[d0], sh[d1]);
  std::swap(st[d0], st[d1]);
  return make_view(t, sh, st, t.offset());
}

Tensor permute(const Tensor& t, const Shape& order) {
  GANTRY_CHECK(static_cast<int64_t>(order.size()) == t.dim(), "permute: order ",
               shape_str(order), " has ", order.size(), " entries for a tensor of shape ",
               shape_str(t.shape()));
  Shape sh(order.size()), st(order.size());
  std::vector<bool> seen(order.size(), false);
  for (size_t i = 0; i < order.size(); ++i) {
    int64_t d = wrap_dim(order[i], t.dim(), "permute");
    GANTRY_CHECK(!seen[d], "permute: dim ", d, " repeated in ", shape_str(order));
    seen[d] = true;
    sh[i] = t.size(d);
    st[i] = t.stride(d);
  }
  return make_view(t, sh, st, t.offset());
}

Tensor slice(const Tensor& t, int64_t dim, int64_t start, int64_t end, int64_t step) {
  GANTRY_CHECK(t.dim() > 0, "slice: cannot slice a 0-d tensor");
  dim = wrap_dim(dim, t.dim(), "slice");
  GANTRY_CHECK(step > 0, "slice: step must be positive, got ", step);
  const int64_t n = t.size(dim);
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::clamp<int64_t>(start, 0, n);
  end = std::clamp<int64_t>(end, start, n);
  Shape sh = t.shape(), st = t.strides();
  sh[dim] = (end - start + step - 1) / step;
  st[dim] = t.stride(dim) * step;
  return make_view(t, sh, st, t.offset() + start * t.stride(dim));
}

Tensor select(const Tensor& t, int64_t dim, int64_t index) {
  GANTRY_CHECK(t.dim() > 0, "select: cannot select from a 0-d tensor");
  dim = wrap_dim(dim, t.dim(), "select");
  const int64_t n = t.size(dim);
  GANTRY_CHECK(index >= -n && index < n, "select: index ", index, " out of range for dim ", dim,
               " of size ", n, " in shape ", shape_str(t.shape()));
  if (index < 0) index += n;
  Shape sh = t.shape(), st = t.strides();
  int64_t off = t.offset() + index * st[dim];
  sh.erase(sh.begin() + dim);
  st.erase(st.begin() + dim);
  return make_view(t, sh, st, off);
}

Tensor unsqueeze(const Tensor& t, int64_t dim) {
  dim = wrap_dim(dim, t.dim() + 1, "unsqueeze");
  Shape sh = t.shape(), st = t.strides();
  int64_t s = dim < t.dim() ? st[dim] * sh[dim] : 1;
  sh.insert(sh.begin() + dim, 1);
  st.insert(st.begin() + dim, s);
  return make_view(t, sh, st, t.offset());
}

Tensor squeeze(const Tensor& t, int64_t dim) {
  if (t.dim() == 0) return make_view(t, t.shape(), t.strides(), t.offset());
  dim = wrap_dim(dim, t.dim(), "squeeze");
  if (t.size(dim) != 1) return make_view(t, t.shape(), t.strides(), t.offset());
  Shape sh = t.shape(), st = t.strides();
  sh.erase(sh.begin() + dim);
  st.erase(st.begin() + dim);
  return make_view(t, sh, st, t.offset());
}

Tensor expand(const Tensor& t, const Shape& s) {
  GANTRY_CHECK(static_cast<int64_t>(s.size()) >= t.dim(), "expand: cannot expand ",
               shape_str(t.shape()), " to fewer dims ", shape_str(s));
  const int64_t lead = static_cast<int64_t>(s.size()) - t.dim();
  Shape sh(s.size()), st(s.size());
  for (int64_t i = 0; i < static_cast<int64_t>(s.size()); ++i) {
    int64_t d = i - lead;
    if (d < 0) {
      GANTRY_CHECK(s[i] >= 0, "expand: size -1 not allowed for new leading dim in ",
                   shape_str(s));
      sh[i] = s[i];
      st[i] = 0;
      continue;
    }
    int64_t want = s[i] == -1 ? t.size(d) : s[i];
    if (t.size(d) == want) {
      sh[i] = want;
      st[i] = t.stride(d);
    } else {
      GANTRY_CHECK(t.size(d) == 1, "expand: cannot expand ", shape_str(t.shape()), " to ",
                   shape_str(s), " (dim ", d, " has size ", t.size(d), ", not 1)");
      sh[i] = want;
      st[i] = 0;
    }
  }
  return make_view(t, sh, st, t.offset());
}

Tensor detach(const Tensor& t) { return make_view(t, t.shape(), t.strides(), t.offset()); }

// ------------------------------------------------------------- materialize
namespace {
void copy_impl(const Tensor& dst, const Tensor& src);
void fill_impl(const Tensor& t, double value);
}  // namespace

// Both bump the written storage's version counter once the write succeeded
// (autograd refuses a backward that would read a tensor changed since it was
// saved; a write that throws changes nothing).
void copy_(const Tensor& dst, const Tensor& src) {
  GANTRY_CHECK(dst.defined() && src.defined(), "copy_: undefined tensor");
  copy_impl(dst, src);
  dst.storage()->bump_version();
}
void fill_(const Tensor& t, double value) {
  GANTRY_CHECK(t.defined(), "fill_: undefined tensor");
  fill_impl(t, value);
  t.storage()->bump_version();
}

namespace {
void copy_impl(const Tensor& dst, const Tensor& src) {
  if (dst.device() == src.device() && !dst.device().is_cpu()) {
    // On one device: the device's strided copy (any strides, broadcast, cast).
    Tensor s = src.shape() == dst.shape() ? src : expand(src, dst.shape());
    get_device_ops(dst.device().type)->copy(dst, s);
    return;
  }
  if (dst.device() != src.device()) {
    // Across devices: make a contiguous copy of src in dst's dtype on src's
    // device, move its bytes, then place it (strides, broadcast) on dst's.
    Tensor s = contiguous(cast(src, dst.dtype()));
    const bool direct = dst.is_contiguous() && s.shape() == dst.shape();
    Tensor land = direct ? dst : empty(s.shape(), Options(dst.dtype()).device(dst.device()));
    Allocator* a = get_allocator(dst.device().is_cpu() ? s.device().type : dst.device().type);
    a->copy(land.raw_data(), land.device(), s.raw_data(), s.device(), s.numel() * s.itemsize());
    if (!direct) copy_impl(dst, land);
    return;
  }
  Tensor s = src.shape() == dst.shape() ? src : expand(src, dst.shape());
  StridedLayout<2> L(dst.shape(), {dst.strides(), s.strides()});
  dispatch_storage_dtype(dst.dtype(), "copy_", [&](auto dt) {
    using D = decltype(dt);
    dispatch_storage_dtype(s.dtype(), "copy_", [&](auto st) {
      using S = decltype(st);
      D* dp = static_cast<D*>(dst.raw_data());
      const S* sp = static_cast<const S*>(s.raw_data());
      for_each_row(L, [&](std::array<int64_t, 2> off, int64_t n, std::array<int64_t, 2> is) {
        D* d = dp + off[0];
        const S* q = sp + off[1];
        if (is[0] == 1 && is[1] == 1) {
          for (int64_t i = 0; i < n; ++i) d[i] = convert<D>(q[i]);
        } else {
          for (int64_t i = 0; i < n; ++i) d[i * is[0]] = convert<D>(q[i * is[1]]);
        }
      });
    });
  });
}

void fill_impl(const Tensor& t, double value) {
  if (!t.device().is_cpu()) {
    get_device_ops(t.device().type)->fill(t, value);
    return;
  }
  StridedLayout<1> L(t.shape(), {t.strides()});
  dispatch_storage_dtype(t.dtype(), "fill_", [&](auto z) {
    using T = decltype(z);
    T v = convert<T>(value);
    T* p = static_cast<T*>(t.raw_data());
    for_each_row(L, [&](std::array<int64_t, 1> off, int64_t n, std::array<int64_t, 1> is) {
      for (int64_t i = 0; i < n; ++i) p[off[0] + i * is[0]] = v;
    });
  });
}

}  // namespace

Tensor clone(const Tensor& t) {
  Tensor out = empty(t.shape(), Options(t.dtype()).device(t.device()));
  copy_(out, t);
  return out;
}

Tensor contiguous(const Tensor& t) { return t.is_contiguous() ? t : clone(t); }

Tensor cast(const Tensor& t, DType d) {
  if (t.dtype() == d) return t;
  Tensor out = empty(t.shape(), Options(d).device(t.device()));
  copy_(out, t);
  return out;
}

Tensor to_device(const Tensor& t, Device d) {
  if (t.device() == d) return t;
  Tensor out = empty(t.shape(), Options(t.dtype()).device(d));
  copy_(out, t);  // any layout: copy_ makes it contiguous on t's device first
  return out;
}

}  // namespace core

// --------------------------------------------------------------- factories
Tensor empty(const Shape& s, Options o) {
  for (int64_t d : s)
    GANTRY_CHECK(d >= 0, "empty: negative size in shape ", shape_str(s));
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(shape_numel(s) * dtype_size(o.dtype_), o.device_);
  impl->shape = s;
  impl->strides = contiguous_strides(s);
  impl->dtype = o.dtype_;
  Tensor t(std::move(impl));
  if (o.requires_grad_) t.requires_grad_(true);
  return t;
}

Tensor full(const Shape& s, double value, Options o) {
  bool rg = o.requires_grad_;
  o.requires_grad_ = false;
  Tensor t = empty(s, Options(o.dtype_).device(o.device_));
  core::fill_(t, value);  // on the device itself: no host-to-device copy
  if (rg) t.requires_grad_(true);
  return t;
}
Tensor zeros(const Shape& s, Options o) { return full(s, 0.0, o); }
Tensor ones(const Shape& s, Options o) { return full(s, 1.0, o); }
Tensor scalar_tensor(double value, Options o) { return full({}, value, o); }

namespace {
// Builds a CPU tensor from a per-element function, then moves it to o.device_.
template <typename F>
Tensor generate(const Shape& s, Options o, const char* what, F&& f) {
  Tensor t = empty(s, Options(o.dtype_));
  const int64_t n = t.numel();
  dispatch_dtype(o.dtype_, what, [&](auto z) {
    using T = decltype(z);
    T* p = t.data<T>();
#pragma omp parallel for schedule(static) if (n > kParallelGrain)
    for (int64_t i = 0; i < n; ++i) p[i] = f(i, T{});
  });
  if (!o.device_.is_cpu()) t = core::to_device(t, o.device_);
  if (o.requires_grad_) t.requires_grad_(true);
  return t;
}
// Random tensors on a device are drawn there, by the same Philox function of
// (seed, offset + i) as on the CPU (the device backend's DeviceOps::random).
Tensor random_on_device(const Shape& s, Options o, DeviceOps::Random kind, uint64_t seed,
                        uint64_t base, int64_t low, uint64_t range) {
  Tensor t = empty(s, Options(o.dtype_).device(o.device_));
  if (t.numel() > 0) get_device_ops(o.device_.type)->random(t, kind, seed, base, low, range);
  if (o.requires_grad_) t.requires_grad_(true);
  return t;
}
}  // namespace

Tensor arange(double start, double end, double step, Options o) {
  GANTRY_CHECK(step != 0, "arange: step must be nonzero");
  double span = (end - start) / step;
  int64_t n = span > 0 ? static_cast<int64_t>(std::ceil(span - 1e-12)) : 0;
  return generate({n}, o, "arange", [&](int64_t i, auto z) {
    return static_cast<decltype(z)>(start + static_cast<double>(i) * step);
  });
}
Tensor arange(double end, Options o) { return arange(0, end, 1, o); }

Tensor linspace(double start, double end, int64_t steps, Options o) {
  GANTRY_CHECK(steps >= 0, "linspace: steps must be non-negative, got ", steps);
  double h = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  return generate({steps}, o, "linspace", [&](int64_t i, auto z) {
    // Fill from both ends so the last value is exactly `end`.
    double v = (steps == 1 || i < steps / 2) ? start + h * static_cast<double>(i)
                                             : end - h * static_cast<double>(steps - 1 - i);
    return static_cast<decltype(z)>(v);
  });
}

Tensor rand(const Shape& s, Options o, RandomState* g) {
  GANTRY_CHECK(is_floating(o.dtype_), "rand: needs a floating dtype, got ", dtype_name(o.dtype_));
  RandomState& gen = g ? *g : default_random_state();
  const std::pair<uint64_t, uint64_t> drawn = gen.reserve(shape_numel(s));  // {seed, first counter}
  const uint64_t seed = drawn.first, base = drawn.second;
  if (!o.device_.is_cpu())
    return random_on_device(s, o, DeviceOps::Random::Uniform, seed, base, 0, 0);
  return generate(s, o, "rand", [&](int64_t i, auto z) {
    using T = decltype(z);
    uint32_t w[4];
    Philox::draw(seed, base + i, w);
    if constexpr (std::is_same_v<T, float>) return Philox::uniform_f32(w);
    else return static_cast<T>(Philox::uniform_f64(w[0], w[1]));
  });
}

Tensor randn(const Shape& s, Options o, RandomState* g) {
  GANTRY_CHECK(is_floating(o.dtype_), "randn: needs a floating dtype, got ",
               dtype_name(o.dtype_));
  RandomState& gen = g ? *g : default_random_state();
  const std::pair<uint64_t, uint64_t> drawn = gen.reserve(shape_numel(s));  // {seed, first counter}
  const uint64_t seed = drawn.first, base = drawn.second;
  if (!o.device_.is_cpu())
    return random_on_device(s, o, DeviceOps::Random::Normal, seed, base, 0, 0);
  return generate(s, o, "randn", [&](int64_t i, auto z) {
    uint32_t w[4];
    Philox::draw(seed, base + i, w);
    return static_cast<decltype(z)>(Philox::normal(w));
  });
}

Tensor randint(int64_t low, int64_t high, const Shape& s, Options o, RandomState* g) {
  GANTRY_CHECK(high > low, "randint: empty range [", low, ", ", high, ")");
  RandomState& gen = g ? *g : default_random_state();
  const std::pair<uint64_t, uint64_t> drawn = gen.reserve(shape_numel(s));  // {seed, first counter}
  const uint64_t seed = drawn.first, base = drawn.second;
  const unsigned __int128 range = static_cast<uint64_t>(high - low);
  if (!o.device_.is_cpu())
    return random_on_device(s, o, DeviceOps::Random::Int, seed, base, low,
                            static_cast<uint64_t>(high - low));
  return generate(s, o, "randint", [&](int64_t i, auto z) {
    uint32_t w[4];
    Philox::draw(seed, base + i, w);
    uint64_t x = static_cast<uint64_t>(w[0]) << 32 | w[1];
    uint64_t r = static_cast<uint64_t>((x * range) >> 64);
    return static_cast<decltype(z)>(low + static_cast<int64_t>(r));
  });
}

template <typename T>
Tensor from_vector(const std::vector<T>& v, const Shape& s, Options o) {
  GANTRY_CHECK(static_cast<int64_t>(v.size()) == shape_numel(s), "from_vector: ", v.size(),
               " values do not fill shape ", shape_str(s));
  return generate(s, o, "from_vector",
                  [&](int64_t i, auto z) { return static_cast<decltype(z)>(v[i]); });
}
template Tensor from_vector<float>(const std::vector<float>&, const Shape&, Options);
template Tensor from_vector<double>(const std::vector<double>&, const Shape&, Options);
template Tensor from_vector<int64_t>(const std::vector<int64_t>&, const Shape&, Options);
template Tensor from_vector<int32_t>(const std::vector<int32_t>&, const Shape&, Options);
template Tensor from_vector<uint8_t>(const std::vector<uint8_t>&, const Shape&, Options);

Tensor from_blob(void* data, const Shape& s, DType t, std::function<void(void*)> deleter) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage =
      std::make_shared<Storage>(data, shape_numel(s) * dtype_size(t), kCPU, std::move(deleter));
  impl->shape = s;
  impl->strides = contiguous_strides(s);
  impl->dtype = t;
  return Tensor(std::move(impl));
}

Tensor empty_like(const Tensor& t, Options o) { return empty(t.shape(), o); }
Tensor empty_like(const Tensor& t) { return empty(t.shape(), Options(t.dtype()).device(t.device())); }
Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), Options(t.dtype()).device(t.device())); }
Tensor ones_like(const Tensor& t) { return ones(t.shape(), Options(t.dtype()).device(t.device())); }
Tensor full_like(const Tensor& t, double v) {
  return full(t.shape(), v, Options(t.dtype()).device(t.device()));
}
Tensor rand_like(const Tensor& t, RandomState* g) {
  return rand(t.shape(), Options(t.dtype()).device(t.device()), g);
}
Tensor randn_like(const Tensor& t, RandomState* g) {
  return randn(t.shape(), Options(t.dtype()).device(t.device()), g);
}

// ------------------------------------------------------------------- RNG
RandomState& default_random_state() {
  static RandomState g;
  return g;
}
void manual_seed(uint64_t seed) { default_random_state().manual_seed(seed); }

// ---------------------------------------------------------------- printing
std::string tensor_desc(const Tensor& t) {
  if (!t.defined()) return "(undefined)";
  return shape_str(t.shape()) + " " + dtype_name(t.dtype()) + " " + t.device().str();
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  if (!t.defined()) return os << "Tensor(undefined)";
  std::vector<double> v = t.to_vector<double>();
  const int64_t nd = t.dim();
  const Shape& sh = t.shape();
  const int64_t kEdge = 3;  // elements shown at each end of a long dim
  std::ostringstream body;
  body << std::setprecision(6);
  // Recursive printer over dims with "..." elision for long dims.
  std::function<void(int64_t, int64_t)> rec = [&](int64_t d, int64_t base) {
    if (d == nd) {
      body << v[base];
      return;
    }
    int64_t inner = 1;
    for (int64_t k = d + 1; k < nd; ++k) inner *= sh[k];
    body << "[";
    for (int64_t i = 0; i < sh[d]; ++i) {
      if (sh[d] > 2 * kEdge && i == kEdge) {
        body << "..., ";
        i = sh[d] - kEdge - 1;
        continue;
      }
      rec(d + 1, base + i * inner);
      if (i + 1 < sh[d]) body << (d + 1 == nd ? ", " : ",\n" + std::string(d + 8, ' '));
    }
    body << "]";
  };
  if (t.numel() == 0) body << "[]";
  else rec(0, 0);
  os << "Tensor(" << body.str() << ", shape=" << shape_str(sh) << ", dtype=" << t.dtype()
     << ", device=" << t.device();
  if (t.grad_fn()) os << ", grad_fn";
  else if (t.requires_grad()) os << ", requires_grad";
  return os << ")";
}

}  // namespace gantry
