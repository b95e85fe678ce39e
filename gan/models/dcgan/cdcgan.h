// gan/models/dcgan/cdcgan.h — the class-conditional DCGAN in the cGAN-PD form
// (Miyato & Koyama 2018, "cGANs with Projection Discriminator"): class-
// conditional batch norm in G, a spectrally normalized projection
// discriminator, the hinge loss.
//
//   G: z [N,latent], y [N]
//      ConvT(latent -> 4w, 4x4)          -> [N,4w,4,4]     CBN(y), ReLU
//      ConvT(4w -> 2w, k, 2, 1)          -> [N,2w,7,7]     CBN(y), ReLU   (k 3 at 28, 4 at 32)
//      ConvT(2w -> w, 4, 2, 1)           -> [N,w,14,14]    CBN(y), ReLU
//      ConvT(w -> C, 4, 2, 1), tanh      -> [N,C,28,28]
//      CBN(y): batch statistics, then the class's own scale and shift
//      (nn::ConditionalBatchNorm2d), so every layer's features are steered by
//      the label rather than only the first layer's input.
//   D: x [N,C,28,28], y [N]
//      SN Conv(C -> w, 4, 2, 1), LReLU(0.1)   SN Conv(w -> 2w, 4, 2, 1), LReLU
//      SN Conv(2w -> 4w, 4, 2, 1), LReLU      -> [N,4w,3,3]
//      h = sum over the positions             -> [N,4w]
//      score = SNLinear(4w -> 1)(h) + <SNEmbedding(K, 4w)(y), h>   -> [N]
//      Spectral norm on every layer, the class embedding included (the
//      paper's SNEmbedID): an unbounded projection lets D score each class by
//      a few memorized features, which collapses G within each class (the
//      earlier BCE + BatchNorm version of this model had recall 0.005).
// K = num_classes (10 for Fashion-MNIST). Widths g_width / d_width.
#pragma once
#include "gan/models/dcgan/dcgan.h"
#include "nn/sagan_layers.h"
#include "nn/spectral_norm.h"

namespace gantry {
namespace gan {

class CDCGANGenerator : public GeneratorNet {
 public:
  explicit CDCGANGenerator(const ModelConfig& c);
  Tensor generate(const Tensor& z, const Tensor& labels) override;
  std::string repr() const override { return repr_with_children("CDCGANGenerator"); }
  std::shared_ptr<nn::ConvTranspose2d> up1, up2, up3, to_image;
  std::shared_ptr<nn::ConditionalBatchNorm2d> bn1, bn2, bn3;
  std::shared_ptr<nn::Module> attention;  // after the block whose side is attention_at (or none)
  int64_t attention_block = -1;
};

class CDCGANDiscriminator : public DiscriminatorNet {
 public:
  explicit CDCGANDiscriminator(const ModelConfig& c);
  Tensor score(const Tensor& x, const Tensor& labels) override;
  std::string repr() const override { return repr_with_children("CDCGANDiscriminator"); }
  std::shared_ptr<nn::Sequential> body;      // -> [N,4w,3,3]
  std::shared_ptr<nn::SpectralNorm> head;    // SN Linear [N,4w] -> [N,1]
  std::shared_ptr<nn::SpectralNorm> embed;   // SN Embedding: class -> [4w] projection vector
};

}  // namespace gan
}  // namespace gantry
