// core/tensor.h — the Tensor handle.
//
// A Tensor is a cheap, shared handle (copying it shares everything, like a
// PyTorch tensor) to a TensorImpl: a Storage plus shape, strides (in
// elements), an element offset, a dtype and a device. Views (transpose, slice,
// expand, reshape of contiguous data, ...) share the Storage.
//
// The impl also has one slot for autograd metadata (requires_grad, grad,
// grad_fn). Core stores it and never interprets it: the autograd layer does.
// For convenience the differentiable methods (reshape, transpose, sum, ...)
// are declared on Tensor here but defined in autograd/tensor_methods.cpp;
// core's own code calls only the non-recording functions in gantry::core.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"
#include "core/error.h"
#include "core/storage.h"

namespace gantry {

using Shape = std::vector<int64_t>;
std::string shape_str(const Shape& s);  // "[64,100]"
int64_t shape_numel(const Shape& s);
Shape contiguous_strides(const Shape& s);
// Wraps a possibly negative dim into [0, ndim); names `op` in the error.
int64_t wrap_dim(int64_t d, int64_t ndim, const char* op);

namespace autograd {
struct Node;
}
struct TensorImpl;
struct AutogradMeta;

// Factory options: dtype, device and whether the new leaf requires grad.
struct Options {
  DType dtype_ = kFloat32;
  Device device_ = kCPU;
  bool requires_grad_ = false;
  Options() = default;
  Options(DType t) : dtype_(t) {}  // NOLINT: implicit, so zeros({2}, kFloat64) reads well
  Options& dtype(DType t) { dtype_ = t; return *this; }
  Options& device(Device d) { device_ = d; return *this; }
  Options& requires_grad(bool r = true) { requires_grad_ = r; return *this; }
};

class Tensor {
 public:
  Tensor() = default;  // an undefined tensor (like an empty optional)
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool is_same(const Tensor& o) const { return impl_ == o.impl_; }

  // ---- metadata ----
  const Shape& shape() const;
  const Shape& strides() const;
  int64_t size(int64_t d) const;
  int64_t stride(int64_t d) const;
  int64_t offset() const;
  int64_t dim() const;
  int64_t numel() const;
  DType dtype() const;
  Device device() const;
  bool is_contiguous() const;
  const std::shared_ptr<Storage>& storage() const;
  size_t itemsize() const { return dtype_size(dtype()); }

  // Pointer to element 0 (storage base + offset).
  void* raw_data() const;
  template <typename T>
  T* data() const {
    GANTRY_CHECK(dtype() == dtype_of<T>::value, "data<", dtype_name(dtype_of<T>::value),
                 ">(): tensor has dtype ", dtype_name(dtype()));
    return static_cast<T*>(raw_data());
  }
  // The single value of a one-element tensor, converted to T (copied to cpu if needed).
  template <typename T>
  T item() const;
  // All values in row-major order, converted to T (any layout, any device).
  template <typename T>
  std::vector<T> to_vector() const;

  // ---- autograd slot: stored here, interpreted by autograd/ ----
  bool requires_grad() const;
  // Marks a leaf as requiring grad (floating dtypes only).
  Tensor& requires_grad_(bool r = true);
  Tensor grad() const;  // undefined when no gradient has been accumulated
  void set_grad(const Tensor& g) const;
  std::shared_ptr<autograd::Node> grad_fn() const;
  uint32_t output_nr() const;
  bool is_leaf() const { return grad_fn() == nullptr; }
  AutogradMeta* autograd_meta() const;    // nullptr when none was ever set
  AutogradMeta& ensure_autograd_meta() const;
  // The version counter of this tensor's storage (core/storage.h): how many
  // in-place writes it has seen. Autograd checks it for saved tensors.
  uint64_t version() const;
  // Calls hook(grad) when the gradient w.r.t. this tensor is computed (by
  // backward or autograd::grad, create_graph paths included). The hook may
  // return a replacement gradient of the same shape, or an undefined tensor
  // to keep the one it was given. The tensor must require grad. (Defined in
  // autograd/tensor_methods.cpp.)
  void register_hook(std::function<Tensor(const Tensor&)> hook) const;

  // ---- differentiable methods (defined in autograd/tensor_methods.cpp) ----
  Tensor reshape(const Shape& s) const;    // a view when possible, else a copy
  Tensor view(const Shape& s) const;       // a view or an error
  Tensor transpose(int64_t d0, int64_t d1) const;
  Tensor t() const { return transpose(0, 1); }
  Tensor permute(const Shape& order) const;
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor select(int64_t dim, int64_t index) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor squeeze(int64_t dim) const;
  Tensor squeeze() const;
  Tensor expand(const Shape& s) const;     // -1 keeps a size
  Tensor flatten(int64_t start = 0, int64_t end = -1) const;
  Tensor contiguous() const;
  Tensor clone() const;
  Tensor to(DType t) const;
  Tensor to(Device d) const;
  Tensor detach() const;                   // shares storage, no graph
  Tensor sum() const;
  Tensor mean() const;
  void backward(const Tensor& grad_output = Tensor(), bool retain_graph = false,
                bool create_graph = false) const;

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// Autograd's per-tensor record. Fields are public so autograd/ can use them;
// nothing in core/ reads them beyond requires_grad/grad accessors.
struct AutogradMeta {
  bool requires_grad = false;
  Tensor grad;
  std::shared_ptr<autograd::Node> grad_fn;  // null for leaves
  uint32_t output_nr = 0;                   // which output of grad_fn this is
  std::weak_ptr<autograd::Node> grad_accumulator;  // leaves: cached AccumulateGrad
  std::vector<std::function<Tensor(const Tensor&)>> hooks;  // leaves: register_hook
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape, strides;
  int64_t offset = 0;  // in elements
  DType dtype = kFloat32;
  std::shared_ptr<AutogradMeta> autograd;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);
std::string tensor_desc(const Tensor& t);  // "[2,3] float32 cpu" for error messages

// ---------------------------------------------------------------- factories
Tensor empty(const Shape& s, Options o = {});
Tensor zeros(const Shape& s, Options o = {});
Tensor ones(const Shape& s, Options o = {});
Tensor full(const Shape& s, double value, Options o = {});
Tensor scalar_tensor(double value, Options o = {});  // 0-d
Tensor arange(double start, double end, double step = 1, Options o = {});
Tensor arange(double end, Options o = {});
Tensor linspace(double start, double end, int64_t steps, Options o = {});
class RandomState;
Tensor rand(const Shape& s, Options o = {}, RandomState* g = nullptr);   // U[0,1)
Tensor randn(const Shape& s, Options o = {}, RandomState* g = nullptr);  // N(0,1)
Tensor randint(int64_t low, int64_t high, const Shape& s, Options o = kInt64,
               RandomState* g = nullptr);                                // [low, high)
template <typename T>
Tensor from_vector(const std::vector<T>& v, const Shape& s, Options o = dtype_of<T>::value);
// Wraps caller-owned CPU memory without copying; `deleter` (optional) frees it.
Tensor from_blob(void* data, const Shape& s, DType t, std::function<void(void*)> deleter = {});
Tensor empty_like(const Tensor& t, Options o);
Tensor empty_like(const Tensor& t);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, double value);
Tensor rand_like(const Tensor& t, RandomState* g = nullptr);
Tensor randn_like(const Tensor& t, RandomState* g = nullptr);

// ------------------------------------------- non-recording core operations
// These never touch autograd metadata; the differentiable API wraps them.
namespace core {
// A new handle on t's storage with the given geometry (no autograd metadata).
Tensor make_view(const Tensor& t, const Shape& shape, const Shape& strides, int64_t offset);
// Geometry of `t` reshaped to s without copying, or false if that is impossible.
bool view_strides(const Tensor& t, const Shape& s, Shape* strides);
Shape infer_shape(const Shape& s, int64_t numel, const char* op);  // resolves one -1
Tensor reshape(const Tensor& t, const Shape& s);  // view when possible, else copy
Tensor view(const Tensor& t, const Shape& s);
Tensor transpose(const Tensor& t, int64_t d0, int64_t d1);
Tensor permute(const Tensor& t, const Shape& order);
Tensor slice(const Tensor& t, int64_t dim, int64_t start, int64_t end, int64_t step);
Tensor select(const Tensor& t, int64_t dim, int64_t index);
Tensor unsqueeze(const Tensor& t, int64_t dim);
Tensor squeeze(const Tensor& t, int64_t dim);
Tensor expand(const Tensor& t, const Shape& s);
Tensor detach(const Tensor& t);
// dst[...] = src[...] with dtype conversion; shapes must match (src may broadcast).
void copy_(const Tensor& dst, const Tensor& src);
void fill_(const Tensor& t, double value);
Tensor contiguous(const Tensor& t);  // t itself when already contiguous
Tensor clone(const Tensor& t);       // always a fresh contiguous copy
Tensor cast(const Tensor& t, DType d);  // t itself when already of dtype d
Tensor to_device(const Tensor& t, Device d);
}  // namespace core

}  // namespace gantry
