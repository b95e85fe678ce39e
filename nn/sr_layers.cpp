// nn/sr_layers.cpp — PReLU, pixel (un)shuffle layers, ESRGAN's dense and
// residual-in-residual blocks, and the U-Net discriminator's steps (see
// sr_layers.h).
#include "nn/sr_layers.h"

#include <functional>

#include "nn/init.h"
#include "nn/spectral_norm.h"

namespace gantry {
namespace nn {

namespace {
std::string desc(const Tensor& x) { return x.defined() ? shape_str(x.shape()) : std::string("undefined"); }
}  // namespace

// ---------------------------------------------------------------- PReLU
PReLU::PReLU(int64_t num_parameters, double init) {
  GANTRY_CHECK(num_parameters >= 1, "PReLU: num_parameters must be >= 1, got ", num_parameters);
  weight = register_parameter("weight", full({num_parameters}, init));
}

Tensor PReLU::forward(const Tensor& x) { return prelu(x, weight); }

std::string PReLU::repr() const { return "PReLU(num_parameters=" + std::to_string(weight.size(0)) + ")"; }

// ---------------------------------------------------------- pixel shuffle
Tensor PixelShuffle::forward(const Tensor& x) { return pixel_shuffle(x, r); }
std::string PixelShuffle::repr() const { return "PixelShuffle(upscale_factor=" + std::to_string(r) + ")"; }
Tensor PixelUnshuffle::forward(const Tensor& x) { return pixel_unshuffle(x, r); }
std::string PixelUnshuffle::repr() const {
  return "PixelUnshuffle(downscale_factor=" + std::to_string(r) + ")";
}

// ---------------------------------------------------------- initialization
void esrgan_init_(Module& root, double scale, RandomState* g) {
  NoGradGuard ng;
  // Pre-order walk, as init::dcgan_: the weights depend only on the seed.
  std::function<void(Module&)> visit = [&](Module& m) {
    Tensor w, b;
    if (auto* c = dynamic_cast<Conv2d*>(&m)) {
      w = c->weight;
      b = c->bias;
    } else if (auto* l = dynamic_cast<Linear*>(&m)) {
      w = l->weight;
      b = l->bias;
    }
    if (w.defined()) {
      init::kaiming_normal_(w, 0.0, g);
      core::copy_(w, mul(w, scale));
      if (b.defined()) init::zeros_(b);
    }
    for (auto& c : m.named_children()) visit(*c.second);
  };
  visit(root);
}

// ---------------------------------------------------- ResidualDenseBlock
ResidualDenseBlock::ResidualDenseBlock(int64_t f, int64_t gr) : features(f), growth(gr) {
  GANTRY_CHECK(f >= 1 && gr >= 1, "ResidualDenseBlock: features (", f, ") and growth (", gr,
               ") must be positive");
  for (int64_t i = 0; i < 5; ++i) {
    const int64_t in = f + i * gr, out = i < 4 ? gr : f;
    convs.push_back(register_module("conv" + std::to_string(i + 1), std::make_shared<Conv2d>(in, out, 3, 1, 1)));
  }
  esrgan_init_(*this, 0.1);
}

Tensor ResidualDenseBlock::forward(const Tensor& x) {
  GANTRY_CHECK(x.defined() && x.dim() == 4 && x.size(1) == features, "ResidualDenseBlock: expected input [N,",
               features, ",H,W], got ", desc(x));
  std::vector<Tensor> seen = {x};  // [x, x1, .., x4], concatenated along channels
  for (int i = 0; i < 4; ++i) seen.push_back(leaky_relu(convs[i]->forward(cat(seen, 1)), 0.2));
  return add(x, mul(convs[4]->forward(cat(seen, 1)), 0.2));
}

// ------------------------------------------------------------------- RRDB
RRDB::RRDB(int64_t f, int64_t gr) {
  rdb1 = register_module("rdb1", std::make_shared<ResidualDenseBlock>(f, gr));
  rdb2 = register_module("rdb2", std::make_shared<ResidualDenseBlock>(f, gr));
  rdb3 = register_module("rdb3", std::make_shared<ResidualDenseBlock>(f, gr));
}

Tensor RRDB::forward(const Tensor& x) {
  return add(x, mul(rdb3->forward(rdb2->forward(rdb1->forward(x))), 0.2));
}

// ------------------------------------------------------------ U-Net steps
UNetSNDown::UNetSNDown(int64_t in, int64_t out) {
  conv = register_module("conv", std::make_shared<SpectralNorm>(
                                     std::make_shared<Conv2d>(in, out, 4, 2, 1, /*bias=*/false)));
}

Tensor UNetSNDown::forward(const Tensor& x) {
  GANTRY_CHECK(x.defined() && x.dim() == 4 && x.size(2) % 2 == 0 && x.size(3) % 2 == 0,
               "UNetSNDown: expected input [N,C,H,W] with even H and W, got ", desc(x));
  return leaky_relu(conv->forward(x), 0.2);
}

UNetSNUp::UNetSNUp(int64_t in, int64_t out) : in_channels(in), out_channels(out) {
  conv = register_module("conv", std::make_shared<SpectralNorm>(
                                     std::make_shared<Conv2d>(in, out, 3, 1, 1, /*bias=*/false)));
}

Tensor UNetSNUp::forward(const Tensor&) {
  throw Error("UNetSNUp: forward needs the encoder's feature map: forward(x, skip)");
}

Tensor UNetSNUp::forward(const Tensor& x, const Tensor& skip) {
  GANTRY_CHECK(x.defined() && x.dim() == 4 && x.size(1) == in_channels, "UNetSNUp: expected input [N,",
               in_channels, ",H,W], got ", desc(x));
  GANTRY_CHECK(skip.defined() && skip.dim() == 4 && skip.size(0) == x.size(0) && skip.size(1) == out_channels &&
                   skip.size(2) == 2 * x.size(2) && skip.size(3) == 2 * x.size(3),
               "UNetSNUp: the skip must be [", x.size(0), ",", out_channels, ",", 2 * x.size(2), ",", 2 * x.size(3),
               "] for input ", desc(x), ", got ", desc(skip));
  const Tensor up = upsample_bilinear2d(x, {2 * x.size(2), 2 * x.size(3)}, /*align_corners=*/false);
  return add(leaky_relu(conv->forward(up), 0.2), skip);
}

}  // namespace nn
}  // namespace gantry
