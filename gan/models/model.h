// gan/models/model.h — what the trainer, the sampler and the metrics need to
// know about a GAN: a generator that maps latent codes (and, for conditional
// models, class labels) to images, and a discriminator/critic that scores
// images. Every model in gan/models/<family>/ derives from these two
// classes, and make_generator/make_discriminator build one by name (the
// registry is in gan/models/dcgan/family.cpp, the only family so far):
//
//   name      G                              D
//   dcgan     DCGAN (BatchNorm)              DCGAN (BatchNorm), logits
//   wgan-gp   DCGAN                          conv critic with LayerNorm, no BatchNorm
//   r1        DCGAN                          conv discriminator without normalization
//   sngan     DCGAN                          conv discriminator, SpectralNorm on every layer
//   cdcgan    DCGAN fed [z, embed(y)]        DCGAN features + projection head
//
// Images are [N, C, 28, 28] in [-1, 1]; labels int64 [N] in [0, num_classes).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "nn/module.h"

namespace gantry {
namespace gan {

struct ModelConfig {
  int64_t latent = 100;
  int64_t channels = 1;     // image channels
  int64_t num_classes = 0;  // > 0: class-conditional
  int64_t g_width = 64;     // G's last hidden width (64 -> 128 -> 256 going up)
  int64_t d_width = 64;     // D's first width (64 -> 128 -> 256 going down)
};

class GeneratorNet : public nn::Module {
 public:
  explicit GeneratorNet(const ModelConfig& c) : config(c) {}
  // z [N, latent], labels int64 [N] (conditional models; else undefined)
  //   -> images [N, channels, 28, 28] in [-1, 1]
  virtual Tensor generate(const Tensor& z, const Tensor& labels) = 0;
  Tensor forward(const Tensor& z) override { return generate(z, Tensor()); }
  bool conditional() const { return config.num_classes > 0; }
  ModelConfig config;
};

class DiscriminatorNet : public nn::Module {
 public:
  explicit DiscriminatorNet(const ModelConfig& c) : config(c) {}
  // images [N, channels, 28, 28], labels int64 [N] or undefined -> scores [N]
  // (logits for BCE losses, critic values for Wasserstein/hinge).
  virtual Tensor score(const Tensor& x, const Tensor& labels) = 0;
  Tensor forward(const Tensor& x) override { return score(x, Tensor()); }
  bool conditional() const { return config.num_classes > 0; }
  ModelConfig config;
};

// The model names above, in that order.
const std::vector<std::string>& model_names();
// Throws, listing the available names, for an unknown model.
std::shared_ptr<GeneratorNet> make_generator(const std::string& model, const ModelConfig& c);
std::shared_ptr<DiscriminatorNet> make_discriminator(const std::string& model,
                                                     const ModelConfig& c);

// Checks labels against a conditional model (int64 [N], values in range) or
// their absence for an unconditional one; `who` names the caller.
void check_labels(const char* who, const ModelConfig& c, const Tensor& labels, int64_t n);

}  // namespace gan
}  // namespace gantry
