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
  embed = register_module("embed", make_shared<nn::Embedding>(c.num_classes, kEmbedDim));
  ModelConfig inner = c;
  inner.latent = c.latent + kEmbedDim;
  inner.num_classes = 0;
  net = register_module("net", make_shared<DCGANGenerator>(inner));
}

Tensor CDCGANGenerator::generate(const Tensor& z, const Tensor& y) {
  GANTRY_CHECK(z.dim() == 2 && z.size(1) == config.latent, "CDCGANGenerator: latent codes must be [N, ",
               config.latent, "], got ", shape_str(z.shape()));
  check_labels("CDCGANGenerator", config, y, z.size(0));
  return net->generate(cat({z, embed->forward(y)}, 1), Tensor());  // [N, latent+E] -> images
}

CDCGANDiscriminator::CDCGANDiscriminator(const ModelConfig& c) : DiscriminatorNet(c) {
  GANTRY_CHECK(c.num_classes > 0, "CDCGANDiscriminator: num_classes must be positive");
  const int64_t w = c.d_width;
  body = register_module("body", make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      make_shared<nn::Conv2d>(c.channels, w, 4, 2, 1, false),
      make_shared<nn::LeakyReLU>(0.2),
      make_shared<nn::Conv2d>(w, 2 * w, 4, 2, 1, false),
      make_shared<nn::BatchNorm2d>(2 * w),
      make_shared<nn::LeakyReLU>(0.2),
      make_shared<nn::Conv2d>(2 * w, 4 * w, 4, 2, 1, false),
      make_shared<nn::BatchNorm2d>(4 * w),
      make_shared<nn::LeakyReLU>(0.2),
  }));
  head = register_module("head", make_shared<nn::Linear>(4 * w, 1));
  embed = register_module("embed", make_shared<nn::Embedding>(c.num_classes, 4 * w));
  // Start the projection small so the conditional term does not dominate at step 0.
  nn::init::normal_(embed->weight, 0.0, 0.02);
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
