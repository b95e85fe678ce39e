// gan/models/sr/sr.cpp — RRDBNet, the compact SR net and the VGG-style and
// U-Net discriminators (see sr.h).
#include "gan/models/sr/sr.h"

#include "autograd/ops.h"
#include "nn/spectral_norm.h"

namespace gantry {
namespace gan {

const std::vector<std::string>& sr_model_names() {
  static const std::vector<std::string> names = {"esrgan", "realesrgan"};
  return names;
}
bool is_sr_model(const std::string& name) { return name == "esrgan" || name == "realesrgan"; }


namespace {

std::string desc(const Tensor& x) { return x.defined() ? shape_str(x.shape()) : std::string("undefined"); }

void check_image(const char* who, const Tensor& x, int64_t channels, int64_t multiple) {
  GANTRY_CHECK(x.defined() && x.dim() == 4 && x.size(1) == channels, who, ": expected images [N,", channels,
               ",H,W], got ", desc(x));
  GANTRY_CHECK(x.size(2) % multiple == 0 && x.size(3) % multiple == 0, who, ": H and W must be multiples of ",
               multiple, ", got ", desc(x));
}

}  // namespace

// ---------------------------------------------------------------- RRDBNet
RRDBNet::RRDBNet(int64_t c, int64_t s, int64_t f, int64_t nb, int64_t gr, bool skip)
    : channels(c), scale(s), features(f), blocks(nb), growth(gr), bilinear_skip(skip) {
  GANTRY_CHECK(s == 1 || s == 2 || s == 4, "RRDBNet: scale must be 1, 2 or 4, got ", s);
  GANTRY_CHECK(c >= 1 && f >= 1 && nb >= 1 && gr >= 1, "RRDBNet: channels (", c, "), features (", f,
               "), blocks (", nb, ") and growth (", gr, ") must be positive");
  const int64_t unshuffle = 4 / s;  // the body always upsamples x4
  conv_first = register_module("conv_first", std::make_shared<nn::Conv2d>(c * unshuffle * unshuffle, f, 3, 1, 1));
  body = register_module("body", std::make_shared<nn::Sequential>());
  for (int64_t i = 0; i < nb; ++i) body->push_back(std::make_shared<nn::RRDB>(f, gr));
  conv_body = register_module("conv_body", std::make_shared<nn::Conv2d>(f, f, 3, 1, 1));
  conv_up1 = register_module("conv_up1", std::make_shared<nn::Conv2d>(f, f, 3, 1, 1));
  conv_up2 = register_module("conv_up2", std::make_shared<nn::Conv2d>(f, f, 3, 1, 1));
  conv_hr = register_module("conv_hr", std::make_shared<nn::Conv2d>(f, f, 3, 1, 1));
  conv_last = register_module("conv_last", std::make_shared<nn::Conv2d>(f, c, 3, 1, 1));
  if (skip) {  // start near the bilinear enlargement: a small residual on top of it
    NoGradGuard ng;
    core::copy_(conv_last->weight, mul(conv_last->weight, 0.1));
  }
  // The dense blocks drew He-normal x 0.1 themselves (the residual scaling
  // that lets a deep stack start near the identity); the outer convs keep
  // PyTorch's default, as ESRGAN's.
}

Tensor RRDBNet::forward(const Tensor& x) {
  const int64_t unshuffle = 4 / scale;
  check_image("RRDBNet", x, channels, unshuffle);
  const Tensor in = unshuffle > 1 ? pixel_unshuffle(x, unshuffle) : x;  // [N, C u^2, h/u, w/u]
  const Tensor feat = conv_first->forward(in);                           // [N, F, h', w']
  Tensor h = add(feat, conv_body->forward(body->forward(feat)));
  for (const auto& up : {conv_up1, conv_up2}) {
    h = leaky_relu(up->forward(upsample_nearest2d(h, {2 * h.size(2), 2 * h.size(3)})), 0.2);
  }
  const Tensor y = conv_last->forward(leaky_relu(conv_hr->forward(h), 0.2));  // [N, C, 4h', 4w']
  if (!bilinear_skip) return y;
  return add(y, upsample_bilinear2d(x, {x.size(2) * scale, x.size(3) * scale}, /*align_corners=*/false));
}

// ----------------------------------------------------------- SRVGGCompact
SRVGGCompact::SRVGGCompact(int64_t c, int64_t s, int64_t f, int64_t nc)
    : channels(c), scale(s), features(f), convs(nc) {
  GANTRY_CHECK(c >= 1 && s >= 1 && f >= 1 && nc >= 0, "SRVGGCompact: channels (", c, "), scale (", s,
               "), features (", f, ") must be positive and convs (", nc, ") >= 0");
  body = register_module("body", std::make_shared<nn::Sequential>());
  body->push_back(std::make_shared<nn::Conv2d>(c, f, 3, 1, 1));
  body->push_back(std::make_shared<nn::PReLU>(f));
  for (int64_t i = 0; i < nc; ++i) {
    body->push_back(std::make_shared<nn::Conv2d>(f, f, 3, 1, 1));
    body->push_back(std::make_shared<nn::PReLU>(f));
  }
  body->push_back(std::make_shared<nn::Conv2d>(f, c * s * s, 3, 1, 1));
}

Tensor SRVGGCompact::forward(const Tensor& x) {
  check_image("SRVGGCompact", x, channels, 1);
  const Tensor r = pixel_shuffle(body->forward(x), scale);                           // [N, C, hs, ws]
  return add(r, upsample_nearest2d(x, {x.size(2) * scale, x.size(3) * scale}));  // + nearest neighbour
}

// -------------------------------------------------------------- VGGStyleD
VGGStyleD::VGGStyleD(int64_t c, int64_t f, int64_t size) : channels(c), input_size(size) {
  GANTRY_CHECK(c >= 1 && f >= 1, "VGGStyleD: channels (", c, ") and features (", f, ") must be positive");
  GANTRY_CHECK(size >= 8 && (size & (size - 1)) == 0, "VGGStyleD: input_size must be a power of two >= 8, got ",
               size);
  features_net = register_module("features", std::make_shared<nn::Sequential>());
  int64_t in = c, width = f;
  for (int64_t side = size, stage = 0; side > 4; side /= 2, ++stage) {
    width = f * std::min<int64_t>(int64_t(1) << stage, 8);
    const bool first = stage == 0;
    features_net->push_back(std::make_shared<nn::Conv2d>(in, width, 3, 1, 1, /*bias=*/first));
    if (!first) features_net->push_back(std::make_shared<nn::BatchNorm2d>(width));
    features_net->push_back(std::make_shared<nn::LeakyReLU>(0.2));
    features_net->push_back(std::make_shared<nn::Conv2d>(width, width, 4, 2, 1, /*bias=*/false));
    features_net->push_back(std::make_shared<nn::BatchNorm2d>(width));
    features_net->push_back(std::make_shared<nn::LeakyReLU>(0.2));
    in = width;
  }
  linear1 = register_module("linear1", std::make_shared<nn::Linear>(width * 4 * 4, 100));
  linear2 = register_module("linear2", std::make_shared<nn::Linear>(100, 1));
}

Tensor VGGStyleD::forward(const Tensor& x) {
  GANTRY_CHECK(x.defined() && x.dim() == 4 && x.size(1) == channels && x.size(2) == input_size &&
                   x.size(3) == input_size,
               "VGGStyleD: expected images [N,", channels, ",", input_size, ",", input_size, "], got ", desc(x));
  const Tensor h = flatten(features_net->forward(x), 1);           // [N, width*16]
  return linear2->forward(leaky_relu(linear1->forward(h), 0.2));  // [N, 1]
}

// ---------------------------------------------------------------- UNetDSN
UNetDSN::UNetDSN(int64_t c, int64_t f) : channels(c), features(f) {
  GANTRY_CHECK(c >= 1 && f >= 1, "UNetDSN: channels (", c, ") and features (", f, ") must be positive");
  conv0 = register_module("conv0", std::make_shared<nn::Conv2d>(c, f, 3, 1, 1));
  down1 = register_module("down1", std::make_shared<nn::UNetSNDown>(f, 2 * f));
  down2 = register_module("down2", std::make_shared<nn::UNetSNDown>(2 * f, 4 * f));
  down3 = register_module("down3", std::make_shared<nn::UNetSNDown>(4 * f, 8 * f));
  up1 = register_module("up1", std::make_shared<nn::UNetSNUp>(8 * f, 4 * f));
  up2 = register_module("up2", std::make_shared<nn::UNetSNUp>(4 * f, 2 * f));
  up3 = register_module("up3", std::make_shared<nn::UNetSNUp>(2 * f, f));
  conv7 = register_module("conv7", std::make_shared<nn::SpectralNorm>(
                                       std::make_shared<nn::Conv2d>(f, f, 3, 1, 1, /*bias=*/false)));
  conv8 = register_module("conv8", std::make_shared<nn::SpectralNorm>(
                                       std::make_shared<nn::Conv2d>(f, f, 3, 1, 1, /*bias=*/false)));
  conv9 = register_module("conv9", std::make_shared<nn::Conv2d>(f, 1, 3, 1, 1));
}

Tensor UNetDSN::forward(const Tensor& x) {
  check_image("UNetDSN", x, channels, 8);
  const Tensor x0 = leaky_relu(conv0->forward(x), 0.2);  // [N, F,  H,   W]
  const Tensor x1 = down1->forward(x0);                  // [N, 2F, H/2, W/2]
  const Tensor x2 = down2->forward(x1);                  // [N, 4F, H/4, W/4]
  const Tensor x3 = down3->forward(x2);                  // [N, 8F, H/8, W/8]
  Tensor h = up1->forward(x3, x2);                       // [N, 4F, H/4, W/4]
  h = up2->forward(h, x1);                               // [N, 2F, H/2, W/2]
  h = up3->forward(h, x0);                               // [N, F,  H,   W]
  h = leaky_relu(conv7->forward(h), 0.2);
  h = leaky_relu(conv8->forward(h), 0.2);
  return conv9->forward(h);                              // [N, 1, H, W]
}

}  // namespace gan
}  // namespace gantry
