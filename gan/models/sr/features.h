// gan/models/sr/features.h — the feature network of the SR perceptual loss
// and of `gantry eval`'s perceptual distance.
//
// ESRGAN compares VGG19 features (ImageNet weights) of the output and of HR.
// Those weights cannot be downloaded here, and nothing in Gantry is trained
// on natural photos, so the feature net is a fixed VGG-style net with
// random weights drawn from a constant seed: three stages of two 3x3 convs
// + ReLU (widths 32, 64, 128), 2x2 average pooling between stages, He-normal
// weights, no biases. Random convolutional features are a known stand-in
// for trained ones in texture statistics and image reconstruction
// (Ustyuzhaninov et al., "What does it take to generate natural textures?",
// ICLR 2017; He, Wang & Hopcroft, NeurIPS 2016): a loss on them rewards
// matching local structure at three scales rather than the mean that L1
// rewards. What it cannot give is ImageNet's semantic features; docs/sr.md
// says so. Its weights depend only on `channels` (the seed is fixed), so
// every run and every evaluation measures in the same space.
//
//   FeatureNet phi(3);                         // frozen, eval mode
//   Tensor d = perceptual_loss(phi, sr, hr);   // scalar; sr, hr [N,3,H,W] in [-1,1]
#pragma once
#include <memory>
#include <vector>

#include "nn/layers.h"

namespace gantry {
namespace gan {

class FeatureNet : public nn::Module {
 public:
  explicit FeatureNet(int64_t channels);
  // x [N, C, H, W] in [-1, 1] -> the three stages' activations
  // [N, 32, H, W], [N, 64, H/2, W/2], [N, 128, H/4, W/4].
  std::vector<Tensor> features(const Tensor& x);
  Tensor forward(const Tensor& x) override;  // the last stage's activations
  std::vector<std::shared_ptr<nn::Conv2d>> convs;  // 6 convs, 2 per stage
  int64_t channels;
  static constexpr uint64_t kSeed = 0x5eedfea7;
};

// mean over the stages of mean |phi_l(a) - phi_l(b)| (a scalar that
// gradients flow through to a and b; phi's own weights are frozen).
Tensor perceptual_loss(FeatureNet& phi, const Tensor& a, const Tensor& b);

}  // namespace gan
}  // namespace gantry
