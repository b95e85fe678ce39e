// gan/models/dcgan/critic.cpp — the BatchNorm-free critics (see critic.h).
#include "gan/models/dcgan/critic.h"

#include "nn/spectral_norm.h"

namespace gantry {
namespace gan {

using std::make_shared;

ConvCritic::ConvCritic(const ModelConfig& c, CriticNorm n) : DiscriminatorNet(c), norm(n) {
  const int64_t w = c.d_width, k = dcgan_mid_kernel(c);
  const bool bias = n != CriticNorm::LayerNorm;  // LayerNorm's own bias follows
  const bool sn = n == CriticNorm::Spectral;
  const double slope = c.d_deep ? 0.1 : 0.2;  // the SNGAN paper's standard CNN uses 0.1
  const std::vector<int64_t> sizes = dcgan_d_sizes(c);
  main = register_module("main", make_shared<nn::Sequential>());
  int64_t ch = c.channels, side = c.resolution;  // the map the next layer sees
  // conv -> [LayerNorm] -> LeakyReLU; `normed`: LayerNorm after it (not after the first).
  auto conv = [&](int64_t out, int64_t kk, int64_t s, int64_t p) {
    std::shared_ptr<nn::Module> layer = make_shared<nn::Conv2d>(ch, out, kk, s, p, bias);
    if (sn) layer = make_shared<nn::SpectralNorm>(layer);
    main->push_back(layer);
  };
  auto block = [&](int64_t out, int64_t kk, int64_t s, int64_t p, bool normed) {
    conv(out, kk, s, p);
    ch = out;
    side = (side + 2 * p - kk) / s + 1;
    if (normed && n == CriticNorm::LayerNorm) main->push_back(make_shared<nn::LayerNorm>(Shape{ch, side, side}));
    main->push_back(make_shared<nn::LeakyReLU>(slope));
  };
  auto attention = [&](int64_t i) {
    if (auto att = attention_if(c, sizes[i], ch, sn)) main->push_back(att);
  };
  if (!c.d_deep) {
    block(w, 4, 2, 1, false);
    attention(0);
    block(2 * w, 4, 2, 1, true);
    attention(1);
    block(4 * w, 4, 2, 1, true);
    attention(2);
  } else {
    block(w, 3, 1, 1, false);
    for (int64_t i = 0; i < 3; ++i) {  // the widths w -> 2w -> 4w -> 8w
      block(ch, 4, 2, 1, true);        // downsample, same width
      block(2 * ch, 3, 1, 1, true);    // 3x3 stride 1, twice the width
      attention(i);
    }
  }
  conv(1, k, 1, 0);  // the head: a linear map of the whole last map
}

Tensor ConvCritic::score(const Tensor& x, const Tensor& labels) {
  check_images("ConvCritic", config, x);
  GANTRY_CHECK(!labels.defined(), "ConvCritic: unconditional, but labels were given");
  return reshape(main->forward(x), {x.size(0)});
}

}  // namespace gan
}  // namespace gantry
