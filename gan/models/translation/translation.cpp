// gan/models/translation/translation.cpp — the U-Net and ResNet generators
// and the PatchGAN discriminator (see translation.h).
#include "gan/models/translation/translation.h"

#include <algorithm>

#include "nn/init.h"

namespace gantry {
namespace gan {

namespace {
std::string desc(const Tensor& x) { return x.defined() ? shape_str(x.shape()) : std::string("undefined"); }

// x [N, C, H, W] edge-padded so H and W become multiples of m (the extra
// split between the two sides, the odd pixel at the end); `crop` gets the
// region of the original picture.
Tensor pad_to_multiple(const Tensor& x, int64_t m, std::array<int64_t, 4>& crop) {
  const int64_t h = x.size(2), w = x.size(3);
  const int64_t ph = (m - h % m) % m, pw = (m - w % m) % m;
  crop = {ph / 2, pw / 2, h, w};
  if (ph == 0 && pw == 0) return x;
  return pad(x, {pw / 2, pw - pw / 2, ph / 2, ph - ph / 2}, PadMode::Replicate);
}
Tensor crop_back(const Tensor& y, const std::array<int64_t, 4>& c) {
  if (y.size(2) == c[2] && y.size(3) == c[3]) return y;
  return narrow(narrow(y, 2, c[0], c[2]), 3, c[1], c[3]);
}
void check_image(const char* who, const Tensor& x, int64_t channels) {
  GANTRY_CHECK(x.defined() && x.dim() == 4 && x.size(1) == channels, who, ": expected input [N,", channels,
               ",H,W], got ", desc(x));
}
}  // namespace

const std::vector<std::string>& translation_model_names() {
  static const std::vector<std::string> names = {"pix2pix", "cyclegan"};
  return names;
}
bool is_translation_model(const std::string& name) {
  const auto& n = translation_model_names();
  return std::find(n.begin(), n.end(), name) != n.end();
}

// ---------------------------------------------------------- UNetGenerator
UNetGenerator::UNetGenerator(int64_t in, int64_t out, int64_t d, int64_t f, const std::string& norm, bool dropout)
    : in_channels(in), out_channels(out), depth(d), ngf(f) {
  GANTRY_CHECK(in >= 1 && out >= 1 && f >= 1, "UNetGenerator: channels must be positive (in ", in, ", out ", out,
               ", ngf ", f, ")");
  GANTRY_CHECK(d >= 2 && d <= 12, "UNetGenerator: depth must be in [2, 12], got ", d);
  using L = nn::UNetSkipBlock::Level;
  auto width = [&](int64_t i) { return f * std::min<int64_t>(int64_t{1} << std::min<int64_t>(i, 3), 8); };
  // Built from the innermost level (d - 1) outwards; level i's down conv
  // makes width(i) channels from its input's width(i - 1).
  std::shared_ptr<nn::UNetSkipBlock> block = std::make_shared<nn::UNetSkipBlock>(
      width(d - 2), width(d - 1), 0, nullptr, L::Innermost, norm, false);
  for (int64_t i = d - 2; i >= 1; --i) {
    const bool drop = dropout && i >= std::max<int64_t>(1, d - 4);
    block = std::make_shared<nn::UNetSkipBlock>(width(i - 1), width(i), 0, block, L::Middle, norm, drop);
  }
  net = register_module("model", std::make_shared<nn::UNetSkipBlock>(out, width(0), in, block, L::Outermost, norm,
                                                                     false));
  nn::init::dcgan_(*this);
}

Tensor UNetGenerator::forward(const Tensor& x) {
  check_image("UNetGenerator", x, in_channels);
  std::array<int64_t, 4> c;
  const Tensor p = pad_to_multiple(x, int64_t{1} << depth, c);  // [N, in, H', W'], 2^depth | H', W'
  return crop_back(net->forward(p), c);                          // [N, out, H, W]
}

// -------------------------------------------------------- ResnetGenerator
ResnetGenerator::ResnetGenerator(int64_t in, int64_t out, int64_t f, int64_t b, const std::string& norm,
                                 bool dropout)
    : in_channels(in), out_channels(out), ngf(f), blocks(b) {
  GANTRY_CHECK(in >= 1 && out >= 1 && f >= 1 && b >= 0, "ResnetGenerator: channels must be positive and blocks "
               ">= 0 (in ", in, ", out ", out, ", ngf ", f, ", blocks ", b, ")");
  const bool bias = nn::conv_bias_before(norm);
  auto s = std::make_shared<nn::Sequential>();
  auto add_norm_relu = [&](int64_t ch) {
    if (auto n = nn::make_norm2d(norm, ch)) s->push_back(n);
    s->push_back(std::make_shared<nn::ReLU>());
  };
  s->push_back(std::make_shared<nn::ReflectionPad2d>(3));
  s->push_back(std::make_shared<nn::Conv2d>(in, f, 7, 1, 0, bias));
  add_norm_relu(f);
  for (int64_t i = 0; i < 2; ++i) {  // [f, H] -> [2f, H/2] -> [4f, H/4]
    s->push_back(std::make_shared<nn::Conv2d>(f << i, f << (i + 1), 3, 2, 1, bias));
    add_norm_relu(f << (i + 1));
  }
  for (int64_t i = 0; i < b; ++i) s->push_back(std::make_shared<nn::ResnetBlock>(4 * f, norm, dropout));
  for (int64_t i = 2; i > 0; --i) {  // [4f, H/4] -> [2f, H/2] -> [f, H]
    s->push_back(std::make_shared<nn::ConvTranspose2d>(f << i, f << (i - 1), Pair{3, 3}, Pair{2, 2}, Pair{1, 1},
                                                       Pair{1, 1}, bias));
    add_norm_relu(f << (i - 1));
  }
  s->push_back(std::make_shared<nn::ReflectionPad2d>(3));
  s->push_back(std::make_shared<nn::Conv2d>(f, out, 7, 1, 0, true));
  s->push_back(std::make_shared<nn::Tanh>());
  net = register_module("model", s);
  nn::init::dcgan_(*this);
}

Tensor ResnetGenerator::forward(const Tensor& x) {
  check_image("ResnetGenerator", x, in_channels);
  GANTRY_CHECK(x.size(2) >= 4 && x.size(3) >= 4, "ResnetGenerator: images must be at least 4x4, got ", desc(x));
  std::array<int64_t, 4> c;
  const Tensor p = pad_to_multiple(x, 4, c);  // [N, in, H', W'], 4 | H', W'
  return crop_back(net->forward(p), c);        // [N, out, H, W]
}

// --------------------------------------------------------------- PatchGAN
PatchGAN::PatchGAN(int64_t in, int64_t f, int64_t n, const std::string& norm) : in_channels(in), ndf(f), n_layers(n) {
  GANTRY_CHECK(in >= 1 && f >= 1, "PatchGAN: channels must be positive (in ", in, ", ndf ", f, ")");
  GANTRY_CHECK(n >= 1 && n <= 8, "PatchGAN: n_layers must be in [1, 8], got ", n);
  const bool bias = nn::conv_bias_before(norm);
  auto width = [&](int64_t i) { return f * std::min<int64_t>(int64_t{1} << std::min<int64_t>(i, 3), 8); };
  auto s = std::make_shared<nn::Sequential>();
  s->push_back(std::make_shared<nn::Conv2d>(in, f, 4, 2, 1, true));
  s->push_back(std::make_shared<nn::LeakyReLU>(0.2));
  for (int64_t i = 1; i <= n; ++i) {  // stride 2 up to n_layers - 1, then one stride-1 conv
    s->push_back(std::make_shared<nn::Conv2d>(width(i - 1), width(i), 4, i < n ? 2 : 1, 1, bias));
    if (auto m = nn::make_norm2d(norm, width(i))) s->push_back(m);
    s->push_back(std::make_shared<nn::LeakyReLU>(0.2));
  }
  s->push_back(std::make_shared<nn::Conv2d>(width(n), 1, 4, 1, 1, true));
  net = register_module("model", s);
  nn::init::dcgan_(*this);
}

Tensor PatchGAN::forward(const Tensor& x) {
  check_image("PatchGAN", x, in_channels);
  GANTRY_CHECK(patchgan_output_side(n_layers, x.size(2)) >= 1 && patchgan_output_side(n_layers, x.size(3)) >= 1,
               "PatchGAN: a ", n_layers, "-layer PatchGAN has no output for input ", desc(x),
               " (too small; use fewer layers)");
  return net->forward(x);  // [N, 1, h, w]
}

namespace {
// The stride of each 4x4 conv of PatchGAN(n): n stride-2 convs, then two stride-1.
std::vector<int64_t> patch_strides(int64_t n) {
  std::vector<int64_t> s(static_cast<size_t>(n), 2);
  s.push_back(1);
  s.push_back(1);
  return s;
}
}  // namespace

int64_t patchgan_receptive_field(int64_t n) {
  // Walking back from one output pixel: a k x k conv of stride s turns a
  // window of r pixels into (r - 1) * s + k.
  const std::vector<int64_t> st = patch_strides(n);
  int64_t r = 1;
  for (auto it = st.rbegin(); it != st.rend(); ++it) r = (r - 1) * *it + 4;
  return r;
}

int64_t patchgan_output_side(int64_t n, int64_t side) {
  for (int64_t s : patch_strides(n)) {
    if (side + 2 < 4) return 0;
    side = (side + 2 - 4) / s + 1;  // 4x4 conv, padding 1
  }
  return side;
}

}  // namespace gan
}  // namespace gantry
