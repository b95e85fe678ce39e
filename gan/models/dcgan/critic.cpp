// gan/models/dcgan/critic.cpp — the BatchNorm-free critics (see critic.h).
#include "gan/models/dcgan/critic.h"

#include "nn/spectral_norm.h"

namespace gantry {
namespace gan {

using std::make_shared;

ConvCritic::ConvCritic(const ModelConfig& c, CriticNorm n) : DiscriminatorNet(c), norm(n) {
  const int64_t w = c.d_width, k = dcgan_mid_kernel(c);
  const int64_t r2 = c.resolution / 4, r3 = c.resolution / 8;  // 7, 3 at 28; 8, 4 at 32
  const bool bias = n != CriticNorm::LayerNorm;  // LayerNorm's own bias follows
  auto conv = [&](int64_t in, int64_t out, int64_t k, int64_t s, int64_t p) -> std::shared_ptr<nn::Module> {
    auto layer = make_shared<nn::Conv2d>(in, out, k, s, p, bias);
    if (n == CriticNorm::Spectral) return make_shared<nn::SpectralNorm>(layer);
    return layer;
  };
  const std::vector<int64_t> sizes = dcgan_d_sizes(c);
  const bool sn = n == CriticNorm::Spectral;
  main = register_module("main", make_shared<nn::Sequential>());
  main->push_back(conv(c.channels, w, 4, 2, 1));
  main->push_back(make_shared<nn::LeakyReLU>(0.2));
  if (auto att = attention_if(c, sizes[0], w, sn)) main->push_back(att);
  main->push_back(conv(w, 2 * w, 4, 2, 1));
  if (n == CriticNorm::LayerNorm) main->push_back(make_shared<nn::LayerNorm>(Shape{2 * w, r2, r2}));
  main->push_back(make_shared<nn::LeakyReLU>(0.2));
  if (auto att = attention_if(c, sizes[1], 2 * w, sn)) main->push_back(att);
  main->push_back(conv(2 * w, 4 * w, 4, 2, 1));
  if (n == CriticNorm::LayerNorm) main->push_back(make_shared<nn::LayerNorm>(Shape{4 * w, r3, r3}));
  main->push_back(make_shared<nn::LeakyReLU>(0.2));
  if (auto att = attention_if(c, sizes[2], 4 * w, sn)) main->push_back(att);
  main->push_back(conv(4 * w, 1, k, 1, 0));
}

Tensor ConvCritic::score(const Tensor& x, const Tensor& labels) {
  check_images("ConvCritic", config, x);
  GANTRY_CHECK(!labels.defined(), "ConvCritic: unconditional, but labels were given");
  return reshape(main->forward(x), {x.size(0)});
}

}  // namespace gan
}  // namespace gantry
