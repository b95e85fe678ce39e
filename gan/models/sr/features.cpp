// gan/models/sr/features.cpp — the fixed random VGG-style feature net of the
// perceptual loss (see features.h).
#include "gan/models/sr/features.h"

#include "core/rng.h"
#include "nn/init.h"

namespace gantry {
namespace gan {

FeatureNet::FeatureNet(int64_t c) : channels(c) {
  GANTRY_CHECK(c >= 1, "FeatureNet: channels must be positive, got ", c);
  RandomState rng(kSeed);
  const int64_t widths[3] = {32, 64, 128};
  int64_t in = c;
  for (int64_t s = 0; s < 3; ++s)
    for (int64_t k = 0; k < 2; ++k) {
      auto conv = register_module("conv" + std::to_string(2 * s + k),
                                  std::make_shared<nn::Conv2d>(in, widths[s], 3, 1, 1, /*bias=*/false));
      {
        NoGradGuard ng;
        nn::init::kaiming_normal_(conv->weight, 0.0, &rng);  // He: ReLU keeps the activations' scale
      }
      convs.push_back(conv);
      in = widths[s];
    }
  requires_grad_(false);
  eval();
}

std::vector<Tensor> FeatureNet::features(const Tensor& x) {
  GANTRY_CHECK(x.defined() && x.dim() == 4 && x.size(1) == channels, "FeatureNet: expected [N, ", channels,
               ", H, W] images, got ", x.defined() ? shape_str(x.shape()) : std::string("undefined"));
  GANTRY_CHECK(x.size(2) >= 4 && x.size(3) >= 4, "FeatureNet: images of at least 4x4 are needed, got ",
               shape_str(x.shape()));
  std::vector<Tensor> out;
  Tensor h = x;
  for (size_t s = 0; s < 3; ++s) {
    if (s > 0) h = avg_pool2d(h, {2, 2});
    h = relu(convs[2 * s]->forward(h));
    h = relu(convs[2 * s + 1]->forward(h));
    out.push_back(h);
  }
  return out;
}

Tensor FeatureNet::forward(const Tensor& x) { return features(x).back(); }

Tensor perceptual_loss(FeatureNet& phi, const Tensor& a, const Tensor& b) {
  GANTRY_CHECK(a.defined() && b.defined() && a.shape() == b.shape(), "perceptual_loss: the images differ in shape (",
               a.defined() ? shape_str(a.shape()) : "undefined", " and ",
               b.defined() ? shape_str(b.shape()) : "undefined", ")");
  const std::vector<Tensor> fa = phi.features(a), fb = phi.features(b);
  Tensor total;
  for (size_t l = 0; l < fa.size(); ++l) {
    Tensor d = l1_loss(fa[l], fb[l]);
    total = total.defined() ? add(total, d) : d;
  }
  return mul(total, 1.0 / static_cast<double>(fa.size()));
}

}  // namespace gan
}  // namespace gantry
