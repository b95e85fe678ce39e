// gan/models/dcgan/critic.h — the DCGAN discriminator's layout without BatchNorm,
// for the objectives whose penalty differentiates D with respect to its input
// (WGAN-GP, R1: batch statistics would couple the samples of a batch) or that
// normalize the weights instead (SNGAN):
//
//   x [N,C,28,28]
//   Conv(C->w,   k4 s2 p1)              -> LeakyReLU(0.2)   [N, w,14,14]
//   Conv(w->2w,  k4 s2 p1) -> [norm]    -> LeakyReLU(0.2)   [N,2w, 7, 7]
//   Conv(2w->4w, k4 s2 p1) -> [norm]    -> LeakyReLU(0.2)   [N,4w, 3, 3]
//   Conv(4w->1,  k3 s1 p0)                                  [N, 1, 1, 1] -> scores [N]
// (at resolution 32: 16, 8 and 4 pixels, and the last conv k4)
//
// d_layout = "deep" (config.d_deep): the SNGAN paper's "standard CNN", seven
// convs and LeakyReLU(0.1), the last conv again a linear map of the whole map:
//   Conv(C->w,   k3 s1 p1)                                  [N, w,28,28]
//   Conv(w->w,   k4 s2 p1) [norm], Conv(w->2w,   k3 s1 p1) [norm]   [N,2w,14,14]
//   Conv(2w->2w, k4 s2 p1) [norm], Conv(2w->4w,  k3 s1 p1) [norm]   [N,4w, 7, 7]
//   Conv(4w->4w, k4 s2 p1) [norm], Conv(4w->8w,  k3 s1 p1) [norm]   [N,8w, 3, 3]
//   Conv(8w->1,  k3 s1 p0)                                  -> scores [N]
//
//   CriticNorm::LayerNorm  LayerNorm over [C,H,W] after the middle convs (WGAN-GP)
//   CriticNorm::None       plain convs with biases (R1)
//   CriticNorm::Spectral   every conv wrapped in nn::SpectralNorm, with biases (SNGAN)
#pragma once
#include "gan/models/dcgan/dcgan.h"

namespace gantry {
namespace gan {

enum class CriticNorm { None, LayerNorm, Spectral };

class ConvCritic : public DiscriminatorNet {
 public:
  ConvCritic(const ModelConfig& c, CriticNorm norm);
  // images [N, channels, 28, 28] -> scores [N]
  Tensor score(const Tensor& x, const Tensor& labels) override;
  std::string repr() const override { return repr_with_children("ConvCritic"); }
  std::shared_ptr<nn::Sequential> main;
  CriticNorm norm;
};

}  // namespace gan
}  // namespace gantry
