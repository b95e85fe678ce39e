// nn/init.h — weight initializers. Each fills a tensor in place (no graph)
// from the given generator (default: the global one).
#pragma once
#include "core/rng.h"
#include "core/tensor.h"
#include "nn/module.h"

namespace gantry {
namespace nn {
namespace init {

// fan_in = size(1) * receptive field, fan_out = size(0) * receptive field.
std::pair<int64_t, int64_t> fans(const Tensor& w);
void uniform_(const Tensor& t, double lo, double hi, RandomState* g = nullptr);
void normal_(const Tensor& t, double mean, double std, RandomState* g = nullptr);
void zeros_(const Tensor& t);
void ones_(const Tensor& t);
void constant_(const Tensor& t, double v);
// PyTorch's default for Linear/Conv weights: kaiming_uniform(a = sqrt(5)),
// i.e. U(-b, b) with b = sqrt(6 / ((1 + a^2) fan_in)) = 1/sqrt(fan_in).
void kaiming_uniform_(const Tensor& w, double a = 2.23606797749979, RandomState* g = nullptr);
void kaiming_normal_(const Tensor& w, double a = 0.0, RandomState* g = nullptr);
void xavier_uniform_(const Tensor& w, double gain = 1.0, RandomState* g = nullptr);
void xavier_normal_(const Tensor& w, double gain = 1.0, RandomState* g = nullptr);
// The DCGAN paper's scheme, applied to every submodule: conv weights
// N(0, 0.02); batch-norm weights N(1, 0.02), biases 0.
void dcgan_(Module& m, RandomState* g = nullptr);

}  // namespace init
}  // namespace nn
}  // namespace gantry
