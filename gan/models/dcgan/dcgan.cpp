// gan/models/dcgan/dcgan.cpp — the DCGAN generator and discriminator (see dcgan.h).
#include "gan/models/dcgan/dcgan.h"

namespace gantry {
namespace gan {

using std::make_shared;

void check_images(const char* who, const ModelConfig& c, const Tensor& x) {
  GANTRY_CHECK(x.dim() == 4 && x.size(1) == c.channels && x.size(2) == 28 && x.size(3) == 28, who,
               ": images must be [N, ", c.channels, ", 28, 28], got ", shape_str(x.shape()));
}

DCGANGenerator::DCGANGenerator(const DCGANConfig& c) : GeneratorNet(c) {
  const int64_t w = c.g_width;
  main = register_module("main", make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      make_shared<nn::ConvTranspose2d>(c.latent, 4 * w, 4, 1, 0, false),
      make_shared<nn::BatchNorm2d>(4 * w),
      make_shared<nn::ReLU>(),
      make_shared<nn::ConvTranspose2d>(4 * w, 2 * w, 3, 2, 1, false),
      make_shared<nn::BatchNorm2d>(2 * w),
      make_shared<nn::ReLU>(),
      make_shared<nn::ConvTranspose2d>(2 * w, w, 4, 2, 1, false),
      make_shared<nn::BatchNorm2d>(w),
      make_shared<nn::ReLU>(),
      make_shared<nn::ConvTranspose2d>(w, c.channels, 4, 2, 1, false),
      make_shared<nn::Tanh>(),
  }));
}

Tensor DCGANGenerator::generate(const Tensor& z, const Tensor& labels) {
  GANTRY_CHECK(z.dim() == 2 && z.size(1) == config.latent, "DCGANGenerator: latent codes must be [N, ",
               config.latent, "], got ", shape_str(z.shape()));
  GANTRY_CHECK(!labels.defined(), "DCGANGenerator: unconditional, but labels were given");
  return main->forward(reshape(z, {z.size(0), config.latent, 1, 1}));
}

DCGANDiscriminator::DCGANDiscriminator(const DCGANConfig& c) : DiscriminatorNet(c) {
  const int64_t w = c.d_width;
  main = register_module("main", make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      make_shared<nn::Conv2d>(c.channels, w, 4, 2, 1, false),
      make_shared<nn::LeakyReLU>(0.2),
      make_shared<nn::Conv2d>(w, 2 * w, 4, 2, 1, false),
      make_shared<nn::BatchNorm2d>(2 * w),
      make_shared<nn::LeakyReLU>(0.2),
      make_shared<nn::Conv2d>(2 * w, 4 * w, 4, 2, 1, false),
      make_shared<nn::BatchNorm2d>(4 * w),
      make_shared<nn::LeakyReLU>(0.2),
      make_shared<nn::Conv2d>(4 * w, 1, 3, 1, 0, false),
  }));
}

Tensor DCGANDiscriminator::score(const Tensor& x, const Tensor& labels) {
  check_images("DCGANDiscriminator", config, x);
  GANTRY_CHECK(!labels.defined(), "DCGANDiscriminator: unconditional, but labels were given");
  return reshape(main->forward(x), {x.size(0)});
}

}  // namespace gan
}  // namespace gantry
