// nn/spectral_norm.h — spectral normalization (Miyato et al., 2018) as a
// wrapper around a Conv2d, ConvTranspose2d, Linear or Embedding layer: the
// layer runs with
//   W_sn = W / sigma(W),   sigma(W) = the largest singular value of W viewed
//                                     as a matrix [out, in * KH * KW]
//                                     (a transposed convolution's weight
//                                     [in, out, KH, KW] is read out-first too,
//                                     as PyTorch's spectral_norm does),
// estimated by power iteration with a persistent vector u (one iteration per
// training forward, as in the paper):
//   v = normalize(W^T u)   [K]      u = normalize(W v)   [out]
//   sigma = u^T W v        (u, v constants; the gradient flows through W)
// u and v are buffers, so they are saved in checkpoints and resumed exactly;
// in eval mode they are not updated.
//
//   auto conv = std::make_shared<SpectralNorm>(std::make_shared<Conv2d>(1, 64, 4, 2, 1));
//   Tensor y = conv->forward(x);   // x [N,1,28,28] -> [N,64,14,14]
//
// The wrapper takes the layer's "weight" parameter over as "weight_orig"
// (state_dict names: "weight_orig", "u", "v", "module.bias"), as PyTorch's
// torch.nn.utils.spectral_norm does with weight_orig / weight_u / weight_v.
#pragma once
#include "nn/layers.h"

namespace gantry {
namespace nn {

class SpectralNorm : public Module {
 public:
  // layer: a Conv2d, ConvTranspose2d, Linear or Embedding (anything else is an error; an
  // Embedding's [num, dim] table is normalized as a matrix, as the
  // projection discriminator's class embedding). u starts as a
  // normalized N(0, 1) draw from `g` (default: the global generator).
  explicit SpectralNorm(std::shared_ptr<Module> layer, int64_t power_iterations = 1,
                        double eps = 1e-12, RandomState* g = nullptr);
  Tensor forward(const Tensor& x) override;
  std::string repr() const override;

  // sigma(weight_orig) from the current u and v (no update, no graph).
  double sigma() const;
  // The normalized weight W / sigma, with its graph (shape of weight_orig).
  Tensor normalized_weight();

  Tensor weight_orig;  // [out, in, KH, KW], [in, out, KH, KW] (transposed), [out, in] or [num, dim]
  Tensor u, v;         // [out], [in * KH * KW]
  std::shared_ptr<Module> module;
  int64_t power_iterations;
  double eps;

 private:
  void power_iterate();
  Tensor matrix(const Tensor& w) const;  // the weight as the [out, K] matrix sigma is taken of
  bool transposed_ = false;
};

}  // namespace nn
}  // namespace gantry
