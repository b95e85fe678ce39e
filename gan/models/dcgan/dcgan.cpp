// gan/models/dcgan/dcgan.cpp — the DCGAN generator and discriminator (see dcgan.h).
#include "gan/models/dcgan/dcgan.h"

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

DCGANGenerator::DCGANGenerator(const DCGANConfig& c) : GeneratorNet(c) {
  const int64_t w = c.g_width, k = dcgan_mid_kernel(c);
  main = register_module("main", make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      make_shared<nn::ConvTranspose2d>(c.latent, 4 * w, 4, 1, 0, false),
      make_shared<nn::BatchNorm2d>(4 * w),
      make_shared<nn::ReLU>(),
      make_shared<nn::ConvTranspose2d>(4 * w, 2 * w, k, 2, 1, false),  // 4 -> 7 (k3) or 8 (k4)
      make_shared<nn::BatchNorm2d>(2 * w),
      make_shared<nn::ReLU>(),
      make_shared<nn::ConvTranspose2d>(2 * w, w, 4, 2, 1, false),
      make_shared<nn::BatchNorm2d>(w),
      make_shared<nn::ReLU>(),
      make_shared<nn::ConvTranspose2d>(w, c.channels, 4, 2, 1, false),
      make_shared<nn::Tanh>(),
  }));
}

Tensor DCGANGenerator::first_layer_weight() const {
  const Tensor w = std::static_pointer_cast<nn::ConvTranspose2d>((*main)[0])->weight;  // [latent, 4w, 4, 4]
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
  main = register_module("main", make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      make_shared<nn::Conv2d>(c.channels, w, 4, 2, 1, false),
      make_shared<nn::LeakyReLU>(0.2),
      make_shared<nn::Conv2d>(w, 2 * w, 4, 2, 1, false),
      make_shared<nn::BatchNorm2d>(2 * w),
      make_shared<nn::LeakyReLU>(0.2),
      make_shared<nn::Conv2d>(2 * w, 4 * w, 4, 2, 1, false),
      make_shared<nn::BatchNorm2d>(4 * w),
      make_shared<nn::LeakyReLU>(0.2),
      make_shared<nn::Conv2d>(4 * w, 1, k, 1, 0, false),  // 3x3 (k3) or 4x4 (k4) -> 1x1
  }));
}

Tensor DCGANDiscriminator::score(const Tensor& x, const Tensor& labels) {
  check_images("DCGANDiscriminator", config, x);
  GANTRY_CHECK(!labels.defined(), "DCGANDiscriminator: unconditional, but labels were given");
  return reshape(main->forward(x), {x.size(0)});
}

}  // namespace gan
}  // namespace gantry
