// gan/models/dcgan/dcgan.h — the DCGAN of LibTorch's cpp/dcgan example, exactly
// (28x28 single-channel images, latent 100, no conv biases), and its 32x32
// variant (resolution 32: the k3 layers become k4, 4 -> 8 -> 16 -> 32):
//
//   G: z [N,100] -> [N,100,1,1]
//      ConvT(100->256, k4 s1 p0) -> BN -> ReLU      [N,256, 4, 4]
//      ConvT(256->128, k3 s2 p1) -> BN -> ReLU      [N,128, 7, 7]
//      ConvT(128-> 64, k4 s2 p1) -> BN -> ReLU      [N, 64,14,14]
//      ConvT( 64->  1, k4 s2 p1) -> Tanh            [N,  1,28,28]
//   D: x [N,1,28,28]
//      Conv(1->64,  k4 s2 p1) -> LeakyReLU(0.2)         [N, 64,14,14]
//      Conv(64->128, k4 s2 p1) -> BN -> LeakyReLU(0.2)  [N,128, 7, 7]
//      Conv(128->256, k4 s2 p1) -> BN -> LeakyReLU(0.2) [N,256, 3, 3]
//      Conv(256->1, k3 s1 p0)                            [N,  1, 1, 1] -> logits [N]
// The example ends D with a sigmoid and uses BCE; we return logits and use
// BCE-with-logits: the same objective, numerically stable.
#pragma once
#include <string>
#include <vector>

#include "gan/models/model.h"
#include "nn/layers.h"

namespace gantry {
namespace gan {

using DCGANConfig = ModelConfig;  // num_classes is ignored here (see cdcgan.h)

class DCGANGenerator : public GeneratorNet {
 public:
  explicit DCGANGenerator(const DCGANConfig& c = {});
  // z [N, latent] -> images [N, channels, R, R] in [-1, 1], R = 28 or 32
  Tensor generate(const Tensor& z, const Tensor& labels) override;
  // The first transposed convolution maps z [N, latent, 1, 1] to [N, 4w, 4, 4]:
  // its weight [latent, 4w, 4, 4] read as [4w*16, latent]; the features are
  // that layer's output after batch norm and ReLU, flattened.
  Tensor first_layer_weight() const override;
  Tensor first_features(const Tensor& z) override;
  std::string repr() const override { return "DCGANGenerator"; }
  std::shared_ptr<nn::Sequential> main;
};

class DCGANDiscriminator : public DiscriminatorNet {
 public:
  explicit DCGANDiscriminator(const DCGANConfig& c = {});
  // images [N, channels, R, R] -> logits [N]
  Tensor score(const Tensor& x, const Tensor& labels) override;
  std::string repr() const override { return "DCGANDiscriminator"; }
  std::shared_ptr<nn::Sequential> main;
};

// Checks x is [N, channels, R, R] (R = c.resolution); `who` names the caller.
void check_images(const char* who, const ModelConfig& c, const Tensor& x);
// The family's middle kernel: 3 at resolution 28, 4 at 32; other resolutions
// are an error.
int64_t dcgan_mid_kernel(const ModelConfig& c);
// The sides of the family's hidden feature maps, where attention_at may put a
// self-attention block: G's blocks {4, 7, 14} and D's {14, 7, 3} at 28
// ({4, 8, 16}, {16, 8, 4} at 32). An attention_at that is none of them is an
// error naming them.
std::vector<int64_t> dcgan_g_sizes(const ModelConfig& c);
std::vector<int64_t> dcgan_d_sizes(const ModelConfig& c);
void check_attention_at(const std::string& model, const ModelConfig& c);
// A self-attention block for a map of `channels` at side `size` when
// c.attention_at == size (nullptr otherwise).
std::shared_ptr<nn::Module> attention_if(const ModelConfig& c, int64_t size, int64_t channels, bool spectral);

}  // namespace gan
}  // namespace gantry
