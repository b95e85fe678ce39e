// nn/sagan_layers.h — the layers of the SNGAN / cGAN-PD / SAGAN / BigGAN line:
//
//   ConditionalBatchNorm2d  batch norm whose scale and shift are chosen by the
//       class label (de Vries et al. 2017; Miyato & Koyama 2018): a
//       BatchNorm2d without its own affine, then per-class gamma (init 1) and
//       beta (init 0) from two embeddings:
//         y = (x - mean) / sqrt(var + eps) * gamma[c] + beta[c]
//   SelfAttention2d  SAGAN's self-attention block (Zhang et al. 2019): every
//       position attends to every other one,
//         q = Wq x [N, C/8, HW]   k = Wk x [N, C/8, HW]   v = Wv x [N, C/2, HW]
//         a = softmax_j(q_i . k_j)        [N, HW, HW] (rows sum to 1)
//         o = Wo (v a^T)                  [N, C, H, W]
//         y = x + gamma * o               gamma a learned scalar, init 0
//       with 1x1 convolutions (no bias, as BigGAN's implementation); with
//       `spectral` each is spectrally normalized (SAGAN puts SN in G and D).
//       gamma = 0 makes a new block the identity, so a network starts as its
//       convolutional self and learns how much non-local evidence to use.
//
// Both are compositions of existing ops (batch_norm, embedding, conv2d, bmm,
// softmax), so every derivative order comes from the ops.
//
//   auto att = std::make_shared<nn::SelfAttention2d>(64, /*spectral=*/true);
//   Tensor y = att->forward(x);   // x [N,64,14,14] -> [N,64,14,14]
#pragma once
#include <memory>

#include "nn/layers.h"

namespace gantry {
namespace nn {

// x [N, C, H, W], labels int64 [N] in [0, classes) -> [N, C, H, W]
class ConditionalBatchNorm2d : public Module {
 public:
  ConditionalBatchNorm2d(int64_t channels, int64_t classes, double eps = 1e-5, double momentum = 0.1);
  Tensor forward(const Tensor& x) override;  // an error: the layer needs labels
  Tensor forward(const Tensor& x, const Tensor& labels);
  std::string repr() const override;
  std::shared_ptr<BatchNorm2d> bn;           // affine = false: the running statistics
  std::shared_ptr<Embedding> gamma, beta;    // [classes, C] each
};

// x [N, C, H, W] -> [N, C, H, W]
class SelfAttention2d : public Module {
 public:
  explicit SelfAttention2d(int64_t channels, bool spectral = false);
  Tensor forward(const Tensor& x) override;
  // The attention map for x: [N, HW, HW], row i = where position i looks
  // (rows sum to 1); for figures and tests.
  Tensor attention(const Tensor& x);
  std::string repr() const override;
  std::shared_ptr<Module> query, key, value, out;  // 1x1 convs (SpectralNorm-wrapped with spectral)
  Tensor gamma;                                    // [1], init 0
  int64_t channels, qk_channels, v_channels;
  bool spectral;
};

}  // namespace nn
}  // namespace gantry
