// gan/models/model.h — what the trainer, the sampler and the metrics need to
// know about a GAN: a generator that maps latent codes (and, for conditional
// models, class labels) to images, and a discriminator/critic that scores
// images. Every model in gan/models/<family>/ derives from these two
// classes, and make_generator/make_discriminator build one by name (the
// registry is gan/models/registry.cpp):
//
//   name      G                              D                                  resolution
//   dcgan     DCGAN (BatchNorm)              DCGAN (BatchNorm), logits          28 or 32
//   wgan-gp   DCGAN                          conv critic with LayerNorm         28 or 32
//   r1        DCGAN                          conv discriminator, no norm        28 or 32
//   sngan     DCGAN                          conv discriminator, SpectralNorm   28 or 32
//   cdcgan    DCGAN fed [z, embed(y)]        DCGAN features + projection head   28 or 32
//   progan    progressive (growing)          progressive (growing)              a power of two >= 8
//
// Images are [N, C, R, R] in [-1, 1] with C = config.channels and R the
// model's current resolution(): config.resolution for fixed models; for
// growing ones (GrowingNet) the resolution of the current growth level, which
// rises from config.start_resolution to config.resolution during training.
// Labels are int64 [N] in [0, num_classes).
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
  int64_t resolution = 28;  // image height = width (the final one, for growing models)
  int64_t num_classes = 0;  // > 0: class-conditional
  int64_t g_width = 64;     // DCGAN family: G's last hidden width (64 -> 128 -> 256 going up)
  int64_t d_width = 64;     // DCGAN family: D's first width (64 -> 128 -> 256 going down)
  // Growing models (progan): the first resolution, and the feature maps at
  // resolution r, min(fmap_base / r, fmap_max); D's minibatch-stddev group.
  int64_t start_resolution = 4;
  int64_t fmap_base = 2048;
  int64_t fmap_max = 128;
  int64_t mbstd_group = 4;
};

// Growing networks (progan). Level 0 works at start_resolution, level k at
// start_resolution * 2^k. With alpha < 1 the newest block (level's) is being
// faded in: its output is blended with the previous level's, weighted alpha.
class GrowingNet {
 public:
  virtual ~GrowingNet() = default;
  // level in [0, max_level()], alpha in [0, 1] (level 0: alpha is ignored).
  virtual void set_growth(int64_t level, double alpha) = 0;
  virtual int64_t level() const = 0;
  virtual double alpha() const = 0;
  virtual int64_t max_level() const = 0;
};

class GeneratorNet : public nn::Module {
 public:
  explicit GeneratorNet(const ModelConfig& c) : config(c) {}
  // z [N, latent], labels int64 [N] (conditional models; else undefined)
  //   -> images [N, channels, resolution(), resolution()], in [-1, 1] for
  //      tanh outputs (progan's output is linear: clamp when saving)
  virtual Tensor generate(const Tensor& z, const Tensor& labels) = 0;
  Tensor forward(const Tensor& z) override { return generate(z, Tensor()); }
  bool conditional() const { return config.num_classes > 0; }
  // The side of the images generate() returns now.
  virtual int64_t resolution() const { return config.resolution; }
  ModelConfig config;
};

class DiscriminatorNet : public nn::Module {
 public:
  explicit DiscriminatorNet(const ModelConfig& c) : config(c) {}
  // images [N, channels, resolution(), resolution()], labels int64 [N] or
  // undefined -> scores [N] (logits for BCE losses, critic values for
  // Wasserstein/hinge).
  virtual Tensor score(const Tensor& x, const Tensor& labels) = 0;
  Tensor forward(const Tensor& x) override { return score(x, Tensor()); }
  bool conditional() const { return config.num_classes > 0; }
  // The side of the images score() takes now.
  virtual int64_t resolution() const { return config.resolution; }
  ModelConfig config;
};

// The GrowingNet side of a network, or nullptr for a fixed-resolution one.
inline GrowingNet* as_growing(nn::Module& m) { return dynamic_cast<GrowingNet*>(&m); }
// True for models whose networks grow (progan).
bool is_growing_model(const std::string& model);

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
