// gan/models/dcgan/dcgan.cpp — the DCGAN generator and discriminator (see dcgan.h).
#include "gan/models/dcgan/dcgan.h"

#include <algorithm>

#include "nn/sagan_layers.h"
#include "nn/spectral_norm.h"

namespace gantry {
namespace gan {

using std::make_shared;

void check_images(const char* who, const ModelConfig& c, const Tensor& x) {
  const int64_t r = c.resolution;
  GANTRY_CHECK(x.dim() == 4 && x.size(1) == c.channels && x.size(2) == r && x.size(3) == r, who,
               ": images must be [N, ", c.channels, ", ", r, ", ", r, "], got ", shape_str(x.shape()));
}

int64_t dcgan_mid_kernel(const ModelConfig& c) {
  GANTRY_CHECK(c.resolution == 28 || c.resolution == 32, "the DCGAN family works at resolution 28 or 32, not ",
               c.resolution, " (progan grows to any power of two)");
  return c.resolution == 28 ? 3 : 4;
}

std::vector<int64_t> dcgan_g_sizes(const ModelConfig& c) {
  const int64_t m = c.resolution / 4;  // 7 or 8
  return {4, m, 2 * m};
}

std::vector<int64_t> dcgan_d_sizes(const ModelConfig& c) {
  return {c.resolution / 2, c.resolution / 4, c.resolution / 8};
}

void check_attention_at(const std::string& model, const ModelConfig& c) {
  if (c.attention_at == 0) return;
  std::vector<int64_t> all = dcgan_g_sizes(c);
  for (int64_t s : dcgan_d_sizes(c)) all.push_back(s);
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  if (std::find(all.begin(), all.end(), c.attention_at) != all.end()) return;
  std::string have;
  for (int64_t s : all) have += (have.empty() ? "" : ", ") + std::to_string(s);
  throw Error(str("attention_at ", c.attention_at, " matches no feature map of ", model, " at ", c.resolution, "x",
                  c.resolution, " (its G and D have maps of side ", have, ")"));
}

std::shared_ptr<nn::Module> attention_if(const ModelConfig& c, int64_t size, int64_t channels, bool spectral) {
  if (c.attention_at == 0 || c.attention_at != size) return nullptr;
  return make_shared<nn::SelfAttention2d>(channels, spectral);
}

DCGANGenerator::DCGANGenerator(const DCGANConfig& c) : GeneratorNet(c) {
  const int64_t w = c.g_width, k = dcgan_mid_kernel(c);
  const std::vector<int64_t> sizes = dcgan_g_sizes(c);
  auto convt = [&](int64_t in, int64_t out, int64_t kk, int64_t s, int64_t p) -> std::shared_ptr<nn::Module> {
    auto layer = make_shared<nn::ConvTranspose2d>(in, out, kk, s, p, false);
    if (c.spectral_g) return make_shared<nn::SpectralNorm>(layer);
    return layer;
  };
  main = register_module("main", make_shared<nn::Sequential>());
  const int64_t ins[3] = {c.latent, 4 * w, 2 * w}, outs[3] = {4 * w, 2 * w, w};
  const int64_t ks[3] = {4, k, 4}, strides[3] = {1, 2, 2}, pads[3] = {0, 1, 1};  // 1 -> 4 -> 7 (8) -> 14 (16)
  for (int b = 0; b < 3; ++b) {
    main->push_back(convt(ins[b], outs[b], ks[b], strides[b], pads[b]));
    main->push_back(make_shared<nn::BatchNorm2d>(outs[b]));
    main->push_back(make_shared<nn::ReLU>());
    if (auto att = attention_if(c, sizes[b], outs[b], c.spectral_g)) main->push_back(att);
  }
  main->push_back(convt(w, c.channels, 4, 2, 1));
  main->push_back(make_shared<nn::Tanh>());
}

namespace {
// The layer inside a spectral-norm wrapper, or the module itself.
const nn::Module& unwrapped(const std::shared_ptr<nn::Module>& m) {
  if (auto* sn = dynamic_cast<const nn::SpectralNorm*>(m.get())) return *sn->module;
  return *m;
}
}  // namespace

Tensor DCGANGenerator::first_layer_weight() const {
  // [latent, 4w, 4, 4]; under spectral norm the raw weight_orig (directions
  // normalize the rows anyway).
  const Tensor w = dynamic_cast<const nn::ConvTranspose2d&>(unwrapped((*main)[0])).weight;
  return transpose(reshape(detach(w), {w.size(0), -1}), 0, 1);                          // [4w*16, latent]
}

Tensor DCGANGenerator::first_features(const Tensor& z) {
  GANTRY_CHECK(z.dim() == 2 && z.size(1) == config.latent, "DCGANGenerator: latent codes must be [N, ",
               config.latent, "], got ", shape_str(z.shape()));
  Tensor x = reshape(z, {z.size(0), z.size(1), 1, 1});
  for (size_t i = 0; i < 3; ++i) x = (*main)[i]->forward(x);  // ConvTranspose2d, BatchNorm2d, ReLU
  return reshape(x, {z.size(0), -1});
}

Tensor DCGANGenerator::generate(const Tensor& z, const Tensor& labels) {
  GANTRY_CHECK(z.dim() == 2 && z.size(1) == config.latent, "DCGANGenerator: latent codes must be [N, ",
               config.latent, "], got ", shape_str(z.shape()));
  GANTRY_CHECK(!labels.defined(), "DCGANGenerator: unconditional, but labels were given");
  return main->forward(reshape(z, {z.size(0), config.latent, 1, 1}));
}

DCGANDiscriminator::DCGANDiscriminator(const DCGANConfig& c) : DiscriminatorNet(c) {
  const int64_t w = c.d_width, k = dcgan_mid_kernel(c);
  const std::vector<int64_t> sizes = dcgan_d_sizes(c);
  main = register_module("main", make_shared<nn::Sequential>());
  const int64_t ins[3] = {c.channels, w, 2 * w}, outs[3] = {w, 2 * w, 4 * w};
  for (int b = 0; b < 3; ++b) {
    main->push_back(make_shared<nn::Conv2d>(ins[b], outs[b], 4, 2, 1, false));
    if (b > 0) main->push_back(make_shared<nn::BatchNorm2d>(outs[b]));
    main->push_back(make_shared<nn::LeakyReLU>(0.2));
    if (auto att = attention_if(c, sizes[b], outs[b], false)) main->push_back(att);
  }
  main->push_back(make_shared<nn::Conv2d>(4 * w, 1, k, 1, 0, false));  // 3x3 (k3) or 4x4 (k4) -> 1x1
}

Tensor DCGANDiscriminator::score(const Tensor& x, const Tensor& labels) {
  check_images("DCGANDiscriminator", config, x);
  GANTRY_CHECK(!labels.defined(), "DCGANDiscriminator: unconditional, but labels were given");
  return reshape(main->forward(x), {x.size(0)});
}

}  // namespace gan
}  // namespace gantry
