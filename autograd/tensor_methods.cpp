// autograd/tensor_methods.cpp — the differentiable methods declared on
// Tensor in core/tensor.h, forwarded to the op API in autograd/ops.h.
#include "autograd/node.h"
#include "autograd/ops.h"

namespace gantry {

Tensor Tensor::reshape(const Shape& s) const { return gantry::reshape(*this, s); }
Tensor Tensor::view(const Shape& s) const { return gantry::view(*this, s); }
Tensor Tensor::transpose(int64_t d0, int64_t d1) const { return gantry::transpose(*this, d0, d1); }
Tensor Tensor::permute(const Shape& o) const { return gantry::permute(*this, o); }
Tensor Tensor::slice(int64_t dim, int64_t start, int64_t end, int64_t step) const {
  return gantry::slice(*this, dim, start, end, step);
}
Tensor Tensor::narrow(int64_t dim, int64_t start, int64_t length) const {
  return gantry::narrow(*this, dim, start, length);
}
Tensor Tensor::select(int64_t dim, int64_t index) const { return gantry::select(*this, dim, index); }
Tensor Tensor::unsqueeze(int64_t dim) const { return gantry::unsqueeze(*this, dim); }
Tensor Tensor::squeeze(int64_t dim) const { return gantry::squeeze(*this, dim); }
Tensor Tensor::squeeze() const { return gantry::squeeze(*this); }
Tensor Tensor::expand(const Shape& s) const { return gantry::expand(*this, s); }
Tensor Tensor::flatten(int64_t start, int64_t end) const { return gantry::flatten(*this, start, end); }
Tensor Tensor::contiguous() const { return gantry::contiguous(*this); }
Tensor Tensor::clone() const { return gantry::clone(*this); }
Tensor Tensor::to(DType t) const { return gantry::to(*this, t); }
Tensor Tensor::to(Device d) const { return gantry::to(*this, d); }
Tensor Tensor::detach() const { return gantry::detach(*this); }
void Tensor::register_hook(std::function<Tensor(const Tensor&)> hook) const {
  autograd::register_hook(*this, std::move(hook));
}
Tensor Tensor::sum() const { return gantry::sum(*this); }
Tensor Tensor::mean() const { return gantry::mean(*this); }
void Tensor::backward(const Tensor& grad_output, bool retain_graph, bool create_graph) const {
  autograd::backward({*this}, grad_output.defined() ? Tensors{grad_output} : Tensors{},
                     retain_graph, create_graph);
}

}  // namespace gantry
