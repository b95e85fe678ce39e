// gan/models/registry.cpp — the model registry of gan/models/model.h
// (model_names, make_generator, make_discriminator): every family's models
// by name.
//
//   name      G                       D                                    objective (set_model_defaults)
//   dcgan     DCGAN                   DCGAN, BatchNorm                     non-saturating, labels U(0.8, 1); Radford et al. 2016
//   wgan-gp   DCGAN                   critic.h, LayerNorm                  Wasserstein + 10 GP, 5 critic steps, Adam(1e-4, 0, 0.9); Gulrajani et al. 2017
//   r1        DCGAN                   critic.h, no normalization           non-saturating + R1 (gamma 1); Mescheder et al. 2018
//   sngan     DCGAN                   critic.h, spectral norm everywhere   hinge, Adam(4e-4, 0, 0.9); Miyato et al. 2018
//   cdcgan    DCGAN G with CBN(y)     SN DCGAN body + SN projection       hinge, Adam(2e-4, 0, 0.9), class-conditional; Miyato & Koyama 2018
//   sagan     DCGAN, SN + attention   critic.h, SN + attention            hinge, TTUR Adam(1e-4 / 4e-4, 0, 0.9); Zhang et al. 2019
//   progan    progressive (progan.h)  progressive + minibatch stddev       Wasserstein + 10 GP + 0.001 drift, Adam(1e-3, 0, 0.99); Karras et al. 2018
//   stylegan2 mapping + synthesis         residual + minibatch stddev          non-saturating + lazy R1 + path length, style mixing; Karras et al. 2020
//             (stylegan/stylegan2.h)
//
// The DCGAN family (gan/models/dcgan/) is 28x28 or 32x32, with the DCGAN
// generator of LibTorch's cpp/dcgan example (dcgan.h) and a discriminator of
// the same layout; its own options (penalty, gp_weight, r1_gamma, r1_every,
// augment, g_width, d_width) are rows of the option table (gan/options.h) in
// its "dcgan family" group, progan's in its "progan" group. A new family gets
// its own folder under gan/models/ and its names here.
#include "core/rng.h"
#include "gan/models/dcgan/cdcgan.h"
#include "gan/models/dcgan/critic.h"
#include "gan/models/dcgan/dcgan.h"
#include "gan/models/progan/progan.h"
#include "gan/models/stylegan/stylegan2.h"

namespace gantry {
namespace gan {

using std::make_shared;

const std::vector<std::string>& model_names() {
  static const std::vector<std::string> names = {"dcgan",  "wgan-gp",   "r1",   "sngan",
                                                 "cdcgan", "progan", "stylegan2", "sagan"};
  return names;
}

namespace {
std::string names_list() {
  std::string s;
  for (const auto& n : model_names()) s += (s.empty() ? "" : ", ") + n;
  return s;
}
}  // namespace

bool is_growing_model(const std::string& m) { return m == "progan"; }

namespace {
// The DCGAN family's attention placement (sagan: the resolution / 2 unless
// given; spectral norm in G), checked against the maps there are; the other
// families have no attention blocks.
ModelConfig with_attention(const std::string& m, ModelConfig c) {
  const bool family = m == "dcgan" || m == "wgan-gp" || m == "r1" || m == "sngan" || m == "cdcgan" || m == "sagan";
  if (!family) {
    GANTRY_CHECK(c.attention_at == 0, "attention_at: model '", m, "' has no self-attention blocks (the DCGAN "
                 "family and sagan have)");
    return c;
  }
  if (m == "sagan") {
    if (c.attention_at == 0) c.attention_at = c.resolution / 2;
    c.spectral_g = true;
  }
  dcgan_mid_kernel(c);  // the family's resolution check first
  check_attention_at(m, c);
  return c;
}
}  // namespace

void standing_stats(GeneratorNet& g, uint64_t seed, int64_t batches, int64_t batch) {
  if (nn::batchnorm_layers(g).empty()) return;
  const std::vector<Tensor> params = g.parameters();
  const Device dev = params.empty() ? Device() : params.front().device();
  RandomState rng(seed);
  nn::recompute_batchnorm_stats(g, batches, [&] {
    Tensor z = randn({batch, g.config.latent}, {}, &rng).to(dev);  // [batch, latent]
    Tensor labels;
    if (g.conditional()) labels = randint(0, g.config.num_classes, {batch}, kInt64, &rng).to(dev);
    g.generate(z, labels);
  });
}

std::shared_ptr<GeneratorNet> make_generator(const std::string& m, const ModelConfig& given) {
  const ModelConfig c = with_attention(m, given);
  if (m == "cdcgan") return make_shared<CDCGANGenerator>(c);
  if (m == "progan") {
    GANTRY_CHECK(c.num_classes == 0, "model 'progan' is unconditional (num_classes must be 0)");
    return make_shared<ProGANGenerator>(c);
  }
  if (m == "stylegan2") return make_shared<StyleGAN2Generator>(c);
  if (m == "dcgan" || m == "wgan-gp" || m == "r1" || m == "sngan" || m == "sagan") {
    GANTRY_CHECK(c.num_classes == 0, "model '", m, "' is unconditional (num_classes must be 0)");
    return make_shared<DCGANGenerator>(c);
  }
  throw Error("unknown model '" + m + "' (have: " + names_list() + ")");
}

std::shared_ptr<DiscriminatorNet> make_discriminator(const std::string& m, const ModelConfig& given) {
  const ModelConfig c = with_attention(m, given);
  if (m == "cdcgan") return make_shared<CDCGANDiscriminator>(c);
  GANTRY_CHECK(c.num_classes == 0 || m != "dcgan", "model '", m, "' is unconditional");
  if (m == "dcgan") return make_shared<DCGANDiscriminator>(c);
  if (m == "wgan-gp") return make_shared<ConvCritic>(c, CriticNorm::LayerNorm);
  if (m == "r1") return make_shared<ConvCritic>(c, CriticNorm::None);
  if (m == "sngan" || m == "sagan") return make_shared<ConvCritic>(c, CriticNorm::Spectral);
  if (m == "progan") return make_shared<ProGANDiscriminator>(c);
  if (m == "stylegan2") return make_shared<StyleGAN2Discriminator>(c);
  throw Error("unknown model '" + m + "' (have: " + names_list() + ")");
}

}  // namespace gan
}  // namespace gantry
