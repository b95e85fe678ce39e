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
//   cdcgan    DCGAN G, class-conditional BN  SN features + SN projection head   28 or 32
//   progan    progressive (growing)          progressive (growing)              a power of two >= 8
//   stylegan2 mapping + synthesis (StyleNet)     residual, minibatch stddev         a power of two >= 4
//   sagan     DCGAN, SN, self-attention      SN conv critic, self-attention     28 or 32
//
// Images are [N, C, R, R] in [-1, 1] with C = config.channels and R the
// model's current resolution(): config.resolution for fixed models; for
// growing ones (GrowingNet) the resolution of the current growth level, which
// rises from config.start_resolution to config.resolution during training.
// Labels are int64 [N] in [0, num_classes).
#pragma once
#include <algorithm>
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
  bool d_deep = false;      // the BatchNorm-free critic in the SNGAN paper's 7-conv layout (critic.h)
  // DCGAN family: the side of the feature maps after which G and D each get
  // a self-attention block (nn::SelfAttention2d; 0: none), and spectral norm
  // on G's convolutions too (sagan).
  int64_t attention_at = 0;
  bool spectral_g = false;
  // Growing models (progan): the first resolution, and the feature maps at
  // resolution r, min(fmap_base / r, fmap_max); D's minibatch-stddev group.
  int64_t start_resolution = 4;
  int64_t fmap_base = 2048;
  int64_t fmap_max = 128;
  int64_t mbstd_group = 4;
  // Style-based models (stylegan2): W's width, the mapping network's depth
  // and learning-rate multiplier; the feature maps follow fmap_base/fmap_max.
  int64_t w_dim = 512;
  int64_t mapping_layers = 8;
  double mapping_lr_mul = 0.01;
};

// Helpers of the resolution-general families (progan, stylegan2).
inline bool is_power_of_two(int64_t x) { return x > 0 && (x & (x - 1)) == 0; }
// The smallest k with 2^k >= x (log2 of a power of two).
inline int64_t log2_ceil(int64_t x) {
  int64_t k = 0;
  while ((int64_t{1} << k) < x) ++k;
  return k;
}
// Feature maps at resolution r: max(1, min(fmap_base / r, fmap_max)).
inline int64_t feature_maps(const ModelConfig& c, int64_t r) {
  return std::max<int64_t>(1, std::min(c.fmap_base / r, c.fmap_max));
}

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

// Per-layer noise of a style-based synthesis network: fresh N(0, 1) maps
// (training), each layer's fixed stored map (reproducible images), or none.
enum class NoiseMode { Random, Const, None };

// Generators with an intermediate latent space W (stylegan2): a mapping
// network z -> w, a synthesis network that reads one w per layer (num_ws() of
// them, so different layers may take different w: style mixing), and w_avg,
// the running mean of w that truncation pulls towards.
class StyleNet {
 public:
  virtual ~StyleNet() = default;
  virtual int64_t num_ws() const = 0;
  virtual int64_t w_dim() const = 0;
  // z [N, latent] -> ws [N, num_ws, w_dim] (the same w repeated); with psi < 1
  // the first `cutoff` ws (all if cutoff < 0) become w_avg + psi (w - w_avg).
  // In training mode each call also moves w_avg towards the batch's mean w,
  // unless track_w_avg is false (style mixing's second latents).
  virtual Tensor mapping(const Tensor& z, double psi = 1.0, int64_t cutoff = -1, bool track_w_avg = true) = 0;
  // ws [N, num_ws, w_dim] -> images [N, C, R, R]
  virtual Tensor synthesis(const Tensor& ws, NoiseMode noise = NoiseMode::Random) = 0;
  // The same with the given noise maps instead (one per noise input, in
  // layer order, each of const_noise()'s shape, broadcast over the batch):
  // differentiable in them, so projection can optimize the noise as well.
  virtual Tensor synthesis(const Tensor& ws, const std::vector<Tensor>& noise) = 0;
  // The stored noise maps NoiseMode::Const uses, in layer order: [r, r] each.
  virtual std::vector<Tensor> const_noise() const = 0;
  virtual Tensor w_avg() const = 0;  // [w_dim]
  // The affine map from w to the first layer's styles, [styles, w_dim]
  // (closed-form semantic directions, SeFa, factorize it).
  virtual Tensor first_style_weight() const = 0;
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
  // Closed-form latent directions (gan/directions.h) for generators without a
  // W space: the first layer as a linear map of z, [features, latent], and
  // the first block's activations for z [N, latent] -> [N, features].
  // Undefined (the default) where the first layer is not linear in z alone.
  virtual Tensor first_layer_weight() const { return Tensor(); }
  virtual Tensor first_features(const Tensor& z) { (void)z; return Tensor(); }
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
// The StyleNet side of a generator, or nullptr for a model without a W space.
inline StyleNet* as_style(nn::Module& m) { return dynamic_cast<StyleNet*>(&m); }
// True for models whose networks grow (progan).
bool is_growing_model(const std::string& model);

// The model names above, in that order.
const std::vector<std::string>& model_names();
// Throws, listing the available names, for an unknown model.
std::shared_ptr<GeneratorNet> make_generator(const std::string& model, const ModelConfig& c);
std::shared_ptr<DiscriminatorNet> make_discriminator(const std::string& model,
                                                     const ModelConfig& c);

// Standing statistics for a BatchNorm generator (nn::recompute_batchnorm_stats):
// its running statistics re-estimated over `batches` batches of `batch`
// latents N(0, I) (and uniform labels for a conditional model), drawn from
// their own stream seeded by `seed`, so they are the same every time. Used on
// EMA generators, whose averaged weights do not match the running statistics
// copied from the live network. A generator without BatchNorm is unchanged.
void standing_stats(GeneratorNet& g, uint64_t seed = 0x57A2D1, int64_t batches = 16, int64_t batch = 64);

// Checks labels against a conditional model (int64 [N], values in range) or
// their absence for an unconditional one; `who` names the caller.
void check_labels(const char* who, const ModelConfig& c, const Tensor& labels, int64_t n);

}  // namespace gan
}  // namespace gantry
