// kernels/attrs.h — the typed attributes of the ops: one struct per kind of
// parameter an op takes (a convolution's strides, a reduction's dims, Adam's
// hyper-parameters), instead of one positional bag of numbers.
//
// Each op's table entry (kernels/ops/*.h) names its attribute struct, and
// kernels::run checks that a call passes exactly that struct. A kernel reads
// its parameters with `attrs.as<ConvAttrs>()`, which throws (naming both
// structs) if the caller passed another kind — a wrong read is never silent.
//
// To add a struct: declare it here and add one X(...) line to
// GANTRY_ATTRS_LIST below. The structs are plain aggregates, so a call site
// reads `ConvAttrs{stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, groups}`.
#pragma once
#include <cstdint>
#include <vector>

#include "core/error.h"

namespace gantry {
namespace kernels {

struct NoAttrs {};

// leaky_relu, leaky_relu_backward: y = x > 0 ? x : slope * x
struct SlopeAttrs {
  double slope = 0.01;
};

// elu: y = x > 0 ? x : alpha * (e^x - 1)
struct EluAttrs {
  double alpha = 1.0;
};

// clamp: lo <= y <= hi (use -inf / +inf for a missing bound)
struct ClampAttrs {
  double lo, hi;
};

// sum, mean, var, max, min, argmax, argmin: `dims` sorted, non-negative.
struct ReduceAttrs {
  std::vector<int64_t> dims;
  bool keepdim = false;
  bool unbiased = false;  // var only: divide by N - 1
};

// conv2d, conv2d_input_grad, conv2d_weight_grad
struct ConvAttrs {
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dil_h = 1, dil_w = 1;
  int64_t groups = 1;
};

// max_pool2d_indices: window, stride, padding and dilation per spatial dim.
struct PoolAttrs {
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;
};

// gather, scatter_add: the (non-negative) dim indexed along.
struct DimAttrs {
  int64_t dim;
};

// batch_norm_train, batch_norm_train_backward
struct BatchNormAttrs {
  double eps;
};

// adam_step: one bias-corrected Adam/AdamW update at step `step` (>= 1).
struct AdamAttrs {
  double lr, beta1, beta2, eps, weight_decay;
  int64_t step = 1;
  bool decoupled = false;  // AdamW: weight decay applied to the parameter, not the gradient
};

// pixel_shuffle, pixel_unshuffle: the upscale (downscale) factor r.
struct ShuffleAttrs {
  int64_t factor;
};

// upfirdn2d: upsample by zero insertion (up), pad (negative: crop), FIR
// filter, keep every down-th sample; per axis. flip_filter = false convolves
// with the filter (the taps are reversed), true correlates with it as stored.
struct UpFirDnAttrs {
  int64_t up_h = 1, up_w = 1, down_h = 1, down_w = 1;
  int64_t pad_left = 0, pad_right = 0, pad_top = 0, pad_bottom = 0;
  bool flip_filter = false;
  double gain = 1.0;
};

// bias_act, bias_act_grad: the activation of the fused bias + activation op.
enum class Activation : int32_t { Linear, Relu, LeakyRelu, Tanh, Sigmoid };

// bias_act: y = clamp(act(x + b) * gain, -clamp, clamp) (no clamp if clamp < 0);
// alpha is leaky_relu's negative slope.
struct BiasActAttrs {
  Activation act = Activation::Linear;
  double alpha = 0.2, gain = 1.0, clamp = -1.0;
};

// grid_sample: what a sample point outside the image reads (Zeros: 0;
// Border: the nearest edge pixel), and whether grid values -1 and 1 are the
// centres of the corner pixels (align_corners) or their outer edges.
enum class GridPadding : int32_t { Zeros, Border };
struct GridSampleAttrs {
  GridPadding padding = GridPadding::Zeros;
  bool align_corners = false;
};

#define GANTRY_ATTRS_LIST(X) \
  X(NoAttrs)                 \
  X(SlopeAttrs)              \
  X(EluAttrs)                \
  X(ClampAttrs)              \
  X(ReduceAttrs)             \
  X(ConvAttrs)               \
  X(PoolAttrs)               \
  X(DimAttrs)                \
  X(BatchNormAttrs)          \
  X(AdamAttrs)               \
  X(ShuffleAttrs)             \
  X(UpFirDnAttrs)             \
  X(BiasActAttrs)             \
  X(GridSampleAttrs)

enum class AttrKind : uint8_t {
#define GANTRY_X(A) A,
  GANTRY_ATTRS_LIST(GANTRY_X)
#undef GANTRY_X
};

template <typename A> struct attr_kind;
#define GANTRY_X(A) \
  template <> struct attr_kind<A> { static constexpr AttrKind value = AttrKind::A; };
GANTRY_ATTRS_LIST(GANTRY_X)
#undef GANTRY_X

const char* attr_kind_name(AttrKind k);

// A typed reference to a call's attributes, as kernels receive them.
class OpAttrs {
 public:
  OpAttrs() : kind_(AttrKind::NoAttrs), p_(&none_) {}
  template <typename A>
  OpAttrs(const A& a) : kind_(attr_kind<A>::value), p_(&a) {}  // NOLINT: implicit on purpose
  AttrKind kind() const { return kind_; }
  template <typename A>
  const A& as() const {
    GANTRY_CHECK(kind_ == attr_kind<A>::value, "kernel reads ", attr_kind_name(attr_kind<A>::value),
                 " but the call passed ", attr_kind_name(kind_));
    return *static_cast<const A*>(p_);
  }

 private:
  AttrKind kind_;
  const void* p_;
  static constexpr NoAttrs none_{};
};

}  // namespace kernels
}  // namespace gantry
