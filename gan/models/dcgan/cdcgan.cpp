// gan/models/dcgan/cdcgan.cpp — the class-conditional DCGAN (see cdcgan.h).
#include "gan/models/dcgan/cdcgan.h"

#include <algorithm>

#include "gan/models/dcgan/critic.h"
#include "nn/init.h"

namespace gantry {
namespace gan {

using std::make_shared;

void check_labels(const char* who, const ModelConfig& c, const Tensor& y, int64_t n) {
  if (c.num_classes == 0) {
    GANTRY_CHECK(!y.defined(), who, ": the model is unconditional, but labels were given");
    return;
  }
  GANTRY_CHECK(y.defined(), who, ": the model is conditional on ", c.num_classes,
               " classes; labels int64 [", n, "] are needed");
  GANTRY_CHECK(y.dtype() == kInt64 && y.dim() == 1 && y.size(0) == n, who,
               ": labels must be int64 [", n, "], got ", tensor_desc(y));
  if (n == 0) return;
  const std::vector<int64_t> v = core::contiguous(y).to_vector<int64_t>();
  const int64_t lo = *std::min_element(v.begin(), v.end()), hi = *std::max_element(v.begin(), v.end());
  GANTRY_CHECK(lo >= 0 && hi < c.num_classes, who, ": labels must be in [0, ", c.num_classes,
               "), got values from ", lo, " to ", hi);
}

CDCGANGenerator::CDCGANGenerator(const ModelConfig& c) : GeneratorNet(c) {
  GANTRY_CHECK(c.num_classes > 0, "CDCGANGenerator: num_classes must be positive");
  const int64_t w = c.g_width, k = dcgan_mid_kernel(c), K = c.num_classes;
  up1 = register_module("up1", make_shared<nn::ConvTranspose2d>(c.latent, 4 * w, 4, 1, 0, false));
  bn1 = register_module("bn1", make_shared<nn::ConditionalBatchNorm2d>(4 * w, K));
  up2 = register_module("up2", make_shared<nn::ConvTranspose2d>(4 * w, 2 * w, k, 2, 1, false));
  bn2 = register_module("bn2", make_shared<nn::ConditionalBatchNorm2d>(2 * w, K));
  up3 = register_module("up3", make_shared<nn::ConvTranspose2d>(2 * w, w, 4, 2, 1, false));
  bn3 = register_module("bn3", make_shared<nn::ConditionalBatchNorm2d>(w, K));
  to_image = register_module("to_image", make_shared<nn::ConvTranspose2d>(w, c.channels, 4, 2, 1, false));
  const std::vector<int64_t> sizes = dcgan_g_sizes(c);
  const int64_t widths[3] = {4 * w, 2 * w, w};
  for (int b = 0; b < 3; ++b)
    if (auto att = attention_if(c, sizes[b], widths[b], false)) {
      attention = register_module("attention", att);
      attention_block = b;
    }
}

Tensor CDCGANGenerator::generate(const Tensor& z, const Tensor& y) {
  GANTRY_CHECK(z.dim() == 2 && z.size(1) == config.latent, "CDCGANGenerator: latent codes must be [N, ",
               config.latent, "], got ", shape_str(z.shape()));
  check_labels("CDCGANGenerator", config, y, z.size(0));
  Tensor h = reshape(z, {z.size(0), config.latent, 1, 1});
  auto att = [&](int b) { return attention_block == b ? attention->forward(h) : h; };
  h = relu(bn1->forward(up1->forward(h), y));  // [N,4w,4,4]
  h = att(0);
  h = relu(bn2->forward(up2->forward(h), y));  // [N,2w,7,7] (8 at 32)
  h = att(1);
  h = relu(bn3->forward(up3->forward(h), y));  // [N,w,14,14]
  h = att(2);
  return tanh(to_image->forward(h));           // [N,C,28,28]
}

CDCGANDiscriminator::CDCGANDiscriminator(const ModelConfig& c) : DiscriminatorNet(c) {
  GANTRY_CHECK(c.num_classes > 0, "CDCGANDiscriminator: num_classes must be positive");
  const int64_t w = c.d_width;
  auto sn = [](std::shared_ptr<nn::Module> m) { return make_shared<nn::SpectralNorm>(std::move(m)); };
  const std::vector<int64_t> sizes = dcgan_d_sizes(c);
  body = register_module("body", make_shared<nn::Sequential>());
  const int64_t ins[3] = {c.channels, w, 2 * w}, outs[3] = {w, 2 * w, 4 * w};
  for (int b = 0; b < 3; ++b) {
    body->push_back(sn(make_shared<nn::Conv2d>(ins[b], outs[b], 4, 2, 1)));
    body->push_back(make_shared<nn::LeakyReLU>(0.1));
    if (auto att = attention_if(c, sizes[b], outs[b], true)) body->push_back(att);
  }
  head = register_module("head", sn(make_shared<nn::Linear>(4 * w, 1)));
  embed = register_module("embed", sn(make_shared<nn::Embedding>(c.num_classes, 4 * w)));
}

Tensor CDCGANDiscriminator::score(const Tensor& x, const Tensor& y) {
  check_images("CDCGANDiscriminator", config, x);
  check_labels("CDCGANDiscriminator", config, y, x.size(0));
  Tensor h = sum(body->forward(x), {2, 3});                   // [N,4w]
  Tensor proj = sum(mul(embed->forward(y), h), {1});           // [N]
  return add(reshape(head->forward(h), {x.size(0)}), proj);    // [N]
}

// ------------------------------------------------------------------ registry
}  // namespace gan
}  // namespace gantry
