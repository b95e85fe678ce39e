// gan/models/stylegan/stylegan2.cpp — the StyleGAN2 generator and
// discriminator (see stylegan2.h). Parameter names: G "mapping.fc0" ...,
// "const", "b4.conv1", "b4.rgb", "b8.conv0", ...; D "from_rgb", "b32.conv0",
// "b32.conv1", "b32.skip", ..., "final_conv", "final_dense", "out".
#include "gan/models/stylegan/stylegan2.h"

#include <cmath>
#include <sstream>
#include <string>

#include "autograd/ops.h"
#include "core/error.h"
#include "gan/latent.h"
#include "nn/init.h"

namespace gantry {
namespace gan {

using std::make_shared;

namespace {
Tensor resample_filter() { return make_resample_filter({1, 3, 3, 1}, Tensor()); }

// A named holder, so parameters read "b8.conv0.conv.weight".
class Holder : public nn::Module {
 public:
  explicit Holder(const char* name) : name_(name) {}
  std::string repr() const override { return repr_with_children(name_); }

 private:
  const char* name_;
};
}  // namespace

void check_stylegan2_config(const ModelConfig& c) {
  GANTRY_CHECK(is_power_of_two(c.resolution) && c.resolution >= 4, "stylegan2: resolution ", c.resolution,
               " must be a power of two >= 4");
  GANTRY_CHECK(c.w_dim > 0, "stylegan2: w_dim ", c.w_dim, " must be positive");
  GANTRY_CHECK(c.mapping_layers >= 1, "stylegan2: mapping_layers ", c.mapping_layers, " must be >= 1");
  GANTRY_CHECK(c.mapping_lr_mul > 0 && std::isfinite(c.mapping_lr_mul), "stylegan2: mapping_lr_mul ",
               c.mapping_lr_mul, " must be positive");
  GANTRY_CHECK(c.fmap_base > 0 && c.fmap_max > 0, "stylegan2: fmap_base ", c.fmap_base, " and fmap_max ",
               c.fmap_max, " must be positive");
  GANTRY_CHECK(c.channels >= 1, "stylegan2: channels ", c.channels, " must be positive");
}

int64_t stylegan2_num_ws(int64_t resolution) { return 2 * log2_ceil(resolution) - 2; }

// ------------------------------------------------------------- mapping
MappingNetwork::MappingNetwork(int64_t latent, int64_t w_dim, int64_t layers, double lr_mul,
                               int64_t num_ws, double w_avg_beta)
    : num_ws(num_ws), w_avg_beta(w_avg_beta) {
  for (int64_t i = 0; i < layers; ++i)
    fc.push_back(register_module("fc" + std::to_string(i),
                                 make_shared<nn::EqualizedLinear>(i == 0 ? latent : w_dim, w_dim, true,
                                                                  1.0, lr_mul)));
  w_avg = register_buffer("w_avg", zeros({w_dim}));
}

Tensor MappingNetwork::map(const Tensor& z, bool track_w_avg) {
  GANTRY_CHECK(z.dim() == 2 && z.size(1) == fc[0]->weight.size(1), "stylegan2 mapping: z ",
               shape_str(z.shape()), " must be [N, ", fc[0]->weight.size(1), "]");
  Tensor x = pixel_norm(z);  // z normalized to unit RMS
  for (auto& l : fc) x = l->forward_act(x, Activation::LeakyRelu);
  if (is_training() && track_w_avg) {
    NoGradGuard ng;
    const Tensor batch_mean = mean(detach(x), {0});
    core::copy_(w_avg, add(batch_mean, mul(sub(w_avg.to(x.dtype()), batch_mean), w_avg_beta)).to(w_avg.dtype()));
  }
  return x;
}

Tensor MappingNetwork::forward_ws(const Tensor& z, double psi, int64_t cutoff, bool track_w_avg) {
  GANTRY_CHECK(psi >= 0 && psi <= 1, "truncation psi ", psi, " is outside [0, 1]");
  GANTRY_CHECK(cutoff <= num_ws, "truncation cutoff ", cutoff, " is beyond the generator's ", num_ws,
               " layers (ws)");
  const Tensor w = map(z, track_w_avg);  // [N, w_dim]
  Tensor ws = expand(unsqueeze(w, 1), {w.size(0), num_ws, w.size(1)});
  if (psi == 1.0) return ws;
  const Tensor avg = reshape(w_avg.to(w.dtype()), {1, 1, w.size(1)});
  const Tensor truncated = add(avg, mul(sub(ws, avg), psi));
  if (cutoff < 0 || cutoff == num_ws) return truncated;
  return mix_styles(truncated, ws, cutoff);
}

std::string MappingNetwork::repr() const {
  std::ostringstream os;
  os << "MappingNetwork(layers=" << fc.size() << ", w_dim=" << w_avg.size(0) << ", num_ws=" << num_ws
     << ", lr_mul=" << fc[0]->lr_mul << ")";
  return os.str();
}

// ------------------------------------------------------------- synthesis
SynthesisLayer::SynthesisLayer(int64_t in, int64_t out, int64_t w_dim, int64_t resolution, int64_t up)
    : resolution(resolution) {
  conv = register_module("conv", make_shared<nn::ModulatedConv2d>(in, out, 3, w_dim, true, up));
  noise_strength = register_parameter("noise_strength", zeros({1}));
  noise_const = register_buffer("noise_const", randn({resolution, resolution}));
  bias = register_parameter("bias", zeros({out}));
}

Tensor SynthesisLayer::forward(const Tensor& x, const Tensor& w, NoiseMode noise, const Tensor& map) {
  Tensor y = conv->forward(x, w);  // [N, out, r, r]
  GANTRY_CHECK(y.size(2) == resolution && y.size(3) == resolution, "SynthesisLayer: output ",
               shape_str(y.shape()), " is not at the layer's resolution ", resolution);
  if (map.defined()) {
    GANTRY_CHECK(map.shape() == noise_const.shape(), "SynthesisLayer: noise map ", shape_str(map.shape()),
                 " must be ", shape_str(noise_const.shape()));
    y = add(y, mul(reshape(map.to(y.dtype()), {1, 1, resolution, resolution}), noise_strength));
  } else if (noise != NoiseMode::None) {
    const Tensor n = noise == NoiseMode::Random
                         ? randn({y.size(0), 1, resolution, resolution}, Options(y.dtype()).device(y.device()))
                         : reshape(noise_const.to(y.dtype()), {1, 1, resolution, resolution});
    y = add(y, mul(n, noise_strength));
  }
  return bias_act(y, bias, Activation::LeakyRelu);
}

ToRGBLayer::ToRGBLayer(int64_t in, int64_t channels, int64_t w_dim) {
  conv = register_module("conv", make_shared<nn::ModulatedConv2d>(in, channels, 1, w_dim, false, 1));
  bias = register_parameter("bias", zeros({channels}));
}

Tensor ToRGBLayer::forward(const Tensor& x, const Tensor& w) {
  return bias_act(conv->forward(x, w), bias, Activation::Linear);
}

StyleGAN2Generator::StyleGAN2Generator(const ModelConfig& c) : GeneratorNet(c) {
  check_stylegan2_config(c);
  GANTRY_CHECK(c.num_classes == 0, "model 'stylegan2' is unconditional (num_classes must be 0)");
  num_ws_ = stylegan2_num_ws(c.resolution);
  mapping_ = register_module("mapping", make_shared<MappingNetwork>(c.latent, c.w_dim, c.mapping_layers,
                                                                    c.mapping_lr_mul, num_ws_));
  const_ = register_parameter("const", randn({feature_maps(c, 4), 4, 4}));
  for (int64_t r = 4; r <= c.resolution; r *= 2) {
    auto h = register_module("b" + std::to_string(r), make_shared<Holder>("SynthesisBlock"));
    Block b;
    if (r > 4) b.conv0 = h->register_module("conv0", make_shared<SynthesisLayer>(feature_maps(c, r / 2), feature_maps(c, r), c.w_dim, r, 2));
    b.conv1 = h->register_module("conv1", make_shared<SynthesisLayer>(feature_maps(c, r), feature_maps(c, r), c.w_dim, r, 1));
    b.rgb = h->register_module("rgb", make_shared<ToRGBLayer>(feature_maps(c, r), c.channels, c.w_dim));
    blocks_.push_back(b);
  }
  filter_ = register_buffer("filter", resample_filter());
}

Tensor StyleGAN2Generator::mapping(const Tensor& z, double psi, int64_t cutoff, bool track_w_avg) {
  return mapping_->forward_ws(z, psi, cutoff, track_w_avg);
}

Tensor StyleGAN2Generator::synthesis(const Tensor& ws, NoiseMode noise) {
  return run_synthesis(ws, noise, nullptr);
}

Tensor StyleGAN2Generator::synthesis(const Tensor& ws, const std::vector<Tensor>& noise) {
  const size_t layers = blocks_.size() * 2 - 1;
  GANTRY_CHECK(noise.size() == layers, "stylegan2 synthesis: ", noise.size(), " noise maps given, the network has ",
               layers, " noise inputs");
  return run_synthesis(ws, NoiseMode::Const, &noise);
}

std::vector<Tensor> StyleGAN2Generator::const_noise() const {
  std::vector<Tensor> out;
  for (const Block& b : blocks_) {
    if (b.conv0) out.push_back(b.conv0->noise_const);
    out.push_back(b.conv1->noise_const);
  }
  return out;
}

Tensor StyleGAN2Generator::run_synthesis(const Tensor& ws, NoiseMode noise, const std::vector<Tensor>* maps) {
  GANTRY_CHECK(ws.dim() == 3 && ws.size(1) == num_ws_ && ws.size(2) == config.w_dim,
               "stylegan2 synthesis: ws ", shape_str(ws.shape()), " must be [N, ", num_ws_, ", ",
               config.w_dim, "]");
  const int64_t N = ws.size(0);
  auto w_at = [&](int64_t i) { return select(ws, 1, i); };  // [N, w_dim]
  Tensor x = expand(unsqueeze(const_.to(ws.dtype()), 0), {N, const_.size(0), 4, 4});
  Tensor img;
  int64_t i = 0;  // the next layer's w
  size_t k = 0;   // the next noise input
  auto map_at = [&]() { return maps ? (*maps)[k++] : Tensor(); };
  for (const Block& b : blocks_) {
    if (b.conv0) x = b.conv0->forward(x, w_at(i++), noise, map_at());
    x = b.conv1->forward(x, w_at(i++), noise, map_at());
    const Tensor rgb = b.rgb->forward(x, w_at(i));  // the next layer's w (the last: num_ws - 1)
    img = img.defined() ? add(upsample2d(img, filter_.to(img.dtype()), 2), rgb) : rgb;
  }
  return img;
}

Tensor StyleGAN2Generator::generate(const Tensor& z, const Tensor& labels) {
  check_labels("stylegan2", config, labels, z.size(0));
  // Training draws fresh noise; evaluation uses each layer's stored map, so
  // the same z gives the same image (samples and metrics are reproducible).
  return synthesis(mapping(z), is_training() ? NoiseMode::Random : NoiseMode::Const);
}

Tensor StyleGAN2Generator::first_style_weight() const {
  // The first layer's affine: styles = w A^T * scale + b; its directions are A's.
  const auto& aff = blocks_[0].conv1->conv->affine;
  return mul(detach(aff->weight), aff->scale);
}

// ------------------------------------------------------------- discriminator
StyleGAN2Discriminator::StyleGAN2Discriminator(const ModelConfig& c) : DiscriminatorNet(c) {
  check_stylegan2_config(c);
  GANTRY_CHECK(c.num_classes == 0, "model 'stylegan2' is unconditional (num_classes must be 0)");
  GANTRY_CHECK(c.mbstd_group >= 1, "stylegan2: mbstd_group ", c.mbstd_group, " must be positive");
  const int64_t R = c.resolution;
  from_rgb_ = register_module("from_rgb", make_shared<nn::EqualizedConv2d>(c.channels, feature_maps(c, R), 1, 1, 0, true, 1.0));
  for (int64_t r = R; r >= 8; r /= 2) {
    auto h = register_module("b" + std::to_string(r), make_shared<Holder>("DiscriminatorBlock"));
    Block b;
    b.conv0 = h->register_module("conv0", make_shared<nn::EqualizedConv2d>(feature_maps(c, r), feature_maps(c, r), 3, 1, 1, true, 1.0));
    b.conv1 = h->register_module("conv1", make_shared<nn::EqualizedConv2d>(feature_maps(c, r), feature_maps(c, r / 2), 3, 1, 1, true, 1.0));
    b.skip = h->register_module("skip", make_shared<nn::EqualizedConv2d>(feature_maps(c, r), feature_maps(c, r / 2), 1, 1, 0, false, 1.0));
    blocks_.push_back(b);
  }
  mbstd_ = register_module("mbstd", make_shared<nn::MinibatchStdDev>(c.mbstd_group, 1));
  final_conv_ = register_module("final_conv", make_shared<nn::EqualizedConv2d>(feature_maps(c, 4) + 1, feature_maps(c, 4), 3, 1, 1, true, 1.0));
  final_dense_ = register_module("final_dense", make_shared<nn::EqualizedLinear>(feature_maps(c, 4) * 16, feature_maps(c, 4), true, 1.0));
  out_ = register_module("out", make_shared<nn::EqualizedLinear>(feature_maps(c, 4), 1, true, 1.0));
  filter_ = register_buffer("filter", resample_filter());
}

Tensor StyleGAN2Discriminator::score(const Tensor& x, const Tensor& labels) {
  const int64_t R = config.resolution;
  GANTRY_CHECK(x.dim() == 4 && x.size(1) == config.channels && x.size(2) == R && x.size(3) == R,
               "stylegan2 discriminator: images ", shape_str(x.shape()), " must be [N, ", config.channels,
               ", ", R, ", ", R, "]");
  check_labels("stylegan2", config, labels, x.size(0));
  const Tensor f = filter_.to(x.dtype());
  const double inv_sqrt2 = 1.0 / std::sqrt(2.0);
  Tensor h = from_rgb_->forward_act(x, Activation::LeakyRelu);
  for (const Block& b : blocks_) {
    const Tensor skip = b.skip->forward(downsample2d(h, f, 2));
    Tensor y = b.conv0->forward_act(h, Activation::LeakyRelu);
    y = b.conv1->forward_act(downsample2d(y, f, 2), Activation::LeakyRelu);
    h = mul(add(y, skip), inv_sqrt2);
  }
  h = final_conv_->forward_act(mbstd_->forward(h), Activation::LeakyRelu);  // [N, nf4, 4, 4]
  h = final_dense_->forward_act(reshape(h, {h.size(0), -1}), Activation::LeakyRelu);
  return reshape(out_->forward(h), {h.size(0)});
}

}  // namespace gan
}  // namespace gantry
