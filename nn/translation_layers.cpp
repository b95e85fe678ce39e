// nn/translation_layers.cpp — instance norm, reflection padding, ResNet
// blocks and U-Net levels (see translation_layers.h).
#include "nn/translation_layers.h"

namespace gantry {
namespace nn {

namespace {
std::string desc(const Tensor& x) { return x.defined() ? shape_str(x.shape()) : std::string("undefined"); }
std::string bool_str(bool b) { return b ? "True" : "False"; }
}  // namespace

// --------------------------------------------------------- InstanceNorm2d
InstanceNorm2d::InstanceNorm2d(int64_t c, double e, bool affine) : channels(c), eps(e) {
  GANTRY_CHECK(c >= 1, "InstanceNorm2d: channels must be >= 1, got ", c);
  GANTRY_CHECK(e > 0, "InstanceNorm2d: eps must be positive, got ", e);
  if (affine) {
    weight = register_parameter("weight", ones({c}));
    bias = register_parameter("bias", zeros({c}));
  }
}

Tensor InstanceNorm2d::forward(const Tensor& x) {
  GANTRY_CHECK(x.defined() && x.dim() == 4 && x.size(1) == channels, "InstanceNorm2d: expected input [N,", channels,
               ",H,W], got ", desc(x));
  GANTRY_CHECK(x.size(2) * x.size(3) > 1, "InstanceNorm2d: a ", x.size(2), "x", x.size(3),
               " plane has no variance to normalize by (input ", desc(x), ")");
  return group_norm(x, channels, weight, bias, eps);
}

std::string InstanceNorm2d::repr() const {
  return "InstanceNorm2d(" + std::to_string(channels) + ", eps=" + detail::py_float(eps) +
         ", momentum=0.1, affine=" + bool_str(weight.defined()) + ", track_running_stats=False)";
}

// --------------------------------------------------------- ReflectionPad2d
Tensor ReflectionPad2d::forward(const Tensor& x) {
  GANTRY_CHECK(x.defined() && x.dim() == 4 && padding < x.size(2) && padding < x.size(3),
               "ReflectionPad2d: padding ", padding, " needs input [N,C,H,W] with H and W > ", padding, ", got ",
               desc(x));
  return pad(x, {padding, padding, padding, padding}, PadMode::Reflect);
}

std::string ReflectionPad2d::repr() const {
  const std::string p = std::to_string(padding);
  return "ReflectionPad2d((" + p + ", " + p + ", " + p + ", " + p + "))";
}

// ------------------------------------------------------------------ norms
std::shared_ptr<Module> make_norm2d(const std::string& kind, int64_t channels) {
  if (kind == "batch") return std::make_shared<BatchNorm2d>(channels);
  if (kind == "instance") return std::make_shared<InstanceNorm2d>(channels);
  GANTRY_CHECK(kind == "none", "norm: unknown kind '", kind, "' (batch, instance or none)");
  return nullptr;
}

bool conv_bias_before(const std::string& norm) { return norm != "batch"; }

// ------------------------------------------------------------ ResnetBlock
ResnetBlock::ResnetBlock(int64_t d, const std::string& norm, bool dropout) : dim(d) {
  GANTRY_CHECK(d >= 1, "ResnetBlock: dim must be >= 1, got ", d);
  const bool bias = conv_bias_before(norm);
  auto seq = std::make_shared<Sequential>();
  for (int half = 0; half < 2; ++half) {
    seq->push_back(std::make_shared<ReflectionPad2d>(1));
    seq->push_back(std::make_shared<Conv2d>(d, d, 3, 1, 0, bias));
    if (auto n = make_norm2d(norm, d)) seq->push_back(n);
    if (half == 0) {
      seq->push_back(std::make_shared<ReLU>());
      if (dropout) seq->push_back(std::make_shared<Dropout>(0.5));
    }
  }
  block = register_module("block", seq);
}

Tensor ResnetBlock::forward(const Tensor& x) {
  GANTRY_CHECK(x.defined() && x.dim() == 4 && x.size(1) == dim, "ResnetBlock: expected input [N,", dim,
               ",H,W], got ", desc(x));
  return add(x, block->forward(x));
}

// ---------------------------------------------------------- UNetSkipBlock
UNetSkipBlock::UNetSkipBlock(int64_t outer, int64_t inner, int64_t outer_in, std::shared_ptr<UNetSkipBlock> sub,
                             Level lv, const std::string& norm, bool dropout)
    : level(lv) {
  GANTRY_CHECK(outer >= 1 && inner >= 1 && outer_in >= 0, "UNetSkipBlock: channels must be positive (outer ", outer,
               ", inner ", inner, ", outer_in ", outer_in, ")");
  GANTRY_CHECK((lv == Level::Innermost) == (sub == nullptr),
               "UNetSkipBlock: the innermost level has no submodule, and every other level has one");
  if (outer_in == 0) outer_in = outer;
  const bool bias = conv_bias_before(norm);
  down = std::make_shared<Sequential>();
  up = std::make_shared<Sequential>();
  if (lv != Level::Outermost) down->push_back(std::make_shared<LeakyReLU>(0.2));
  down->push_back(std::make_shared<Conv2d>(outer_in, inner, 4, 2, 1, bias));
  if (lv == Level::Middle)
    if (auto n = make_norm2d(norm, inner)) down->push_back(n);
  // The innermost level's up conv sees only `inner` channels; every other
  // level's sees the inner level's output and its skip: 2 * inner.
  const int64_t up_in = lv == Level::Innermost ? inner : 2 * inner;
  up->push_back(std::make_shared<ReLU>());
  up->push_back(std::make_shared<ConvTranspose2d>(up_in, outer, 4, 2, 1, lv == Level::Outermost || bias));
  if (lv == Level::Outermost) {
    up->push_back(std::make_shared<Tanh>());
  } else {
    if (auto n = make_norm2d(norm, outer)) up->push_back(n);
    if (dropout) up->push_back(std::make_shared<Dropout>(0.5));
  }
  // Registered in the order data meets them: down, the inner levels, up.
  register_module("down", down);
  if (sub) submodule = register_module("submodule", sub);
  register_module("up", up);
}

Tensor UNetSkipBlock::forward(const Tensor& x) {
  GANTRY_CHECK(x.defined() && x.dim() == 4 && x.size(2) % 2 == 0 && x.size(3) % 2 == 0,
               "UNetSkipBlock: expected input [N,C,H,W] with even H and W, got ", desc(x));
  Tensor h = down->forward(x);                      // [N, inner, H/2, W/2]
  if (submodule) h = submodule->forward(h);         // [N, 2 inner, H/2, W/2]
  const Tensor y = up->forward(h);                  // [N, outer, H, W]
  return level == Level::Outermost ? y : cat({x, y}, 1);
}

}  // namespace nn
}  // namespace gantry
