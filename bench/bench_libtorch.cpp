// bench/bench_libtorch.cpp — the LibTorch twin of bench_ops' DCGAN rows, so
// Gantry's figures come with LibTorch's from the same machine. Run the two
// programs in separate processes (they share the OpenMP runtime), alternating.
//
//   ./build/bench/bench_libtorch --benchmark_min_time=3
//   ./build/bench/bench_libtorch --gantry-bench THREADS BATCH WARMUP STEPS   (used by `gantry bench`)
//   ./build/bench/bench_libtorch --gantry-sr-bench THREADS WARMUP STEPS      (its SR row)
//   ./build/bench/bench_libtorch --gantry-translation-bench pix2pix|cyclegan THREADS WARMUP STEPS
//
// BM_dcgan_iteration_libtorch is the cpp/dcgan example's loop as a LibTorch
// user writes it: D ends in a sigmoid, BCE loss, and the G step backpropagates
// into D's weights too (D is not frozen). BM_dcgan_iteration_libtorch_frozen
// freezes D's parameters during the G step, as Gantry's trainer does, so the
// gain from that trick is shown separately.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "bench/dcgan_shapes.h"
#include "bench/sr_shapes.h"
#include "bench/translation_shapes.h"
#include "bench/stylegan_shapes.h"
#ifdef GANTRY_BENCH_OPENBLAS
#include <cblas.h>
extern "C" void openblas_set_num_threads(int);
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Nets {
  torch::nn::Sequential G{nullptr}, D{nullptr};
  Nets(bool sigmoid) {
    G = torch::nn::Sequential(
        torch::nn::ConvTranspose2d(torch::nn::ConvTranspose2dOptions(100, 256, 4).bias(false)),
        torch::nn::BatchNorm2d(256), torch::nn::ReLU(),
        torch::nn::ConvTranspose2d(
            torch::nn::ConvTranspose2dOptions(256, 128, 3).stride(2).padding(1).bias(false)),
        torch::nn::BatchNorm2d(128), torch::nn::ReLU(),
        torch::nn::ConvTranspose2d(
            torch::nn::ConvTranspose2dOptions(128, 64, 4).stride(2).padding(1).bias(false)),
        torch::nn::BatchNorm2d(64), torch::nn::ReLU(),
        torch::nn::ConvTranspose2d(
            torch::nn::ConvTranspose2dOptions(64, 1, 4).stride(2).padding(1).bias(false)),
        torch::nn::Tanh());
    D = torch::nn::Sequential(
        torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 64, 4).stride(2).padding(1).bias(false)),
        torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)),
        torch::nn::Conv2d(torch::nn::Conv2dOptions(64, 128, 4).stride(2).padding(1).bias(false)),
        torch::nn::BatchNorm2d(128),
        torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)),
        torch::nn::Conv2d(torch::nn::Conv2dOptions(128, 256, 4).stride(2).padding(1).bias(false)),
        torch::nn::BatchNorm2d(256),
        torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)),
        torch::nn::Conv2d(torch::nn::Conv2dOptions(256, 1, 3).stride(1).padding(0).bias(false)));
    if (sigmoid) D->push_back(torch::nn::Sigmoid());
  }
};

// The example's optimizers and one iteration of its loop (batch B).
struct Iteration {
  Nets n{/*sigmoid=*/true};
  torch::optim::Adam og, od;
  torch::Tensor real;
  int64_t batch;
  explicit Iteration(int64_t b)
      : og(n.G->parameters(), torch::optim::AdamOptions(2e-4).betas({0.5, 0.999})),
        od(n.D->parameters(), torch::optim::AdamOptions(2e-4).betas({0.5, 0.999})),
        real(torch::tanh(torch::randn({b, 1, 28, 28}))), batch(b) {}

  void run(bool freeze_d) {
    // D step (the example's code).
    n.D->zero_grad();
    torch::Tensor real_labels = torch::empty(batch).uniform_(0.8, 1.0);
    torch::Tensor d_real = n.D->forward(real).reshape(-1);
    torch::Tensor d_loss_real = torch::binary_cross_entropy(d_real, real_labels);
    d_loss_real.backward();
    torch::Tensor noise = torch::randn({batch, 100, 1, 1});
    torch::Tensor fake = n.G->forward(noise);
    torch::Tensor fake_labels = torch::zeros(batch);
    torch::Tensor d_fake = n.D->forward(fake.detach()).reshape(-1);
    torch::Tensor d_loss_fake = torch::binary_cross_entropy(d_fake, fake_labels);
    d_loss_fake.backward();
    od.step();
    // G step.
    if (freeze_d)
      for (auto& p : n.D->parameters()) p.requires_grad_(false);
    n.G->zero_grad();
    fake_labels.fill_(1);
    torch::Tensor g_out = n.D->forward(fake).reshape(-1);
    torch::Tensor g_loss = torch::binary_cross_entropy(g_out, fake_labels);
    g_loss.backward();
    og.step();
    if (freeze_d)
      for (auto& p : n.D->parameters()) p.requires_grad_(true);
  }
};

void iteration(benchmark::State& st, bool freeze_d) {
  torch::manual_seed(0);
  Iteration it(64);
  for (auto _ : st) it.run(freeze_d);
  st.counters["images/s"] = benchmark::Counter(64.0 * st.iterations(), benchmark::Counter::kIsRate);
}

// `gantry bench` mode: median ms per iteration of `steps` iterations after
// `warmup`, for the example as written and with D frozen.
double median_ms(Iteration& it, bool freeze_d, int64_t warmup, int64_t steps) {
  for (int64_t i = 0; i < warmup; ++i) it.run(freeze_d);
  std::vector<double> ms;
  for (int64_t i = 0; i < steps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    it.run(freeze_d);
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms.size() % 2 ? ms[ms.size() / 2] : 0.5 * (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]);
}

int gantry_bench_mode(int threads, int64_t batch, int64_t warmup, int64_t steps) {
  torch::set_num_threads(std::max(1, threads));
  torch::manual_seed(0);
  Iteration it(batch);
  std::printf("torch_threads %d\n", torch::get_num_threads());
  std::printf("libtorch_ms %.3f\n", median_ms(it, false, warmup, steps));
  std::printf("libtorch_frozen_ms %.3f\n", median_ms(it, true, warmup, steps));
  return 0;
}

// ---- The SR row: ESRGAN's RRDBNet, as a LibTorch user writes it ----------
// The same layers as gan/models/sr/sr.h's RRDBNet (bench/sr_shapes.h's
// sizes): conv_first, blocks of RRDB (three dense blocks of five 3x3 convs,
// LeakyReLU 0.2, residual scaling 0.2), conv_body plus the long skip, two
// nearest x2 + conv + LeakyReLU, conv_hr + LeakyReLU, conv_last, plus the
// input enlarged bilinearly (kSRBilinearSkip).
struct DenseBlockImpl : torch::nn::Module {
  std::vector<torch::nn::Conv2d> convs;
  DenseBlockImpl(int64_t f, int64_t g) {
    for (int64_t i = 0; i < 5; ++i)
      convs.push_back(register_module("conv" + std::to_string(i + 1),
                                      torch::nn::Conv2d(torch::nn::Conv2dOptions(f + i * g, i < 4 ? g : f, 3).padding(1))));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    std::vector<torch::Tensor> seen = {x};
    for (int i = 0; i < 4; ++i) seen.push_back(torch::leaky_relu(convs[i]->forward(torch::cat(seen, 1)), 0.2));
    return x + convs[4]->forward(torch::cat(seen, 1)) * 0.2;
  }
};
TORCH_MODULE(DenseBlock);
struct RRDBTwinImpl : torch::nn::Module {
  DenseBlock b1{nullptr}, b2{nullptr}, b3{nullptr};
  RRDBTwinImpl(int64_t f, int64_t g) {
    b1 = register_module("rdb1", DenseBlock(f, g));
    b2 = register_module("rdb2", DenseBlock(f, g));
    b3 = register_module("rdb3", DenseBlock(f, g));
  }
  torch::Tensor forward(const torch::Tensor& x) { return x + b3->forward(b2->forward(b1->forward(x))) * 0.2; }
};
TORCH_MODULE(RRDBTwin);
struct RRDBNetTwinImpl : torch::nn::Module {
  torch::nn::Conv2d conv_first{nullptr}, conv_body{nullptr}, up1{nullptr}, up2{nullptr}, conv_hr{nullptr},
      conv_last{nullptr};
  std::vector<RRDBTwin> body;
  RRDBNetTwinImpl(int64_t c, int64_t f, int64_t blocks, int64_t g) {
    auto conv = [](int64_t in, int64_t out) { return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1)); };
    conv_first = register_module("conv_first", conv(c, f));
    for (int64_t i = 0; i < blocks; ++i) body.push_back(register_module("body" + std::to_string(i), RRDBTwin(f, g)));
    conv_body = register_module("conv_body", conv(f, f));
    up1 = register_module("conv_up1", conv(f, f));
    up2 = register_module("conv_up2", conv(f, f));
    conv_hr = register_module("conv_hr", conv(f, f));
    conv_last = register_module("conv_last", conv(f, c));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor feat = conv_first->forward(x), h = feat;
    for (auto& b : body) h = b->forward(h);
    h = feat + conv_body->forward(h);
    namespace F = torch::nn::functional;
    for (auto* up : {&up1, &up2})
      h = torch::leaky_relu((*up)->forward(F::interpolate(
                                h, F::InterpolateFuncOptions().scale_factor(std::vector<double>{2.0, 2.0}).mode(torch::kNearest))),
                            0.2);
    torch::Tensor y = conv_last->forward(torch::leaky_relu(conv_hr->forward(h), 0.2));
    if (!gantry::bench::kSRBilinearSkip) return y;
    return y + F::interpolate(x, F::InterpolateFuncOptions()
                                     .scale_factor(std::vector<double>{4.0, 4.0})
                                     .mode(torch::kBilinear)
                                     .align_corners(false));
  }
};
TORCH_MODULE(RRDBNetTwin);

// `gantry bench` SR mode: median ms of `steps` forwards after `warmup`.
int gantry_sr_bench_mode(int threads, int64_t warmup, int64_t steps) {
  using namespace gantry::bench;
  torch::set_num_threads(std::max(1, threads));
  torch::manual_seed(0);
  RRDBNetTwin net(kSRChannels, kSRFeatures, kSRBlocks, kSRGrowth);
  net->eval();
  torch::NoGradGuard ng;
  torch::Tensor x = torch::rand({1, kSRChannels, kSRSize, kSRSize}) * 2 - 1;
  for (int64_t i = 0; i < warmup; ++i) net->forward(x);
  std::vector<double> ms;
  for (int64_t i = 0; i < steps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    torch::Tensor y = net->forward(x);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    if (y.size(2) != kSRSize * kSRScale) return 1;
  }
  std::sort(ms.begin(), ms.end());
  std::printf("libtorch_sr_ms %.3f\n",
              ms.size() % 2 ? ms[ms.size() / 2] : 0.5 * (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]));
  return 0;
}

// ---- The translation rows: pix2pix and CycleGAN steps, as a LibTorch user writes them
// The same nets as gan/models/translation/translation.h at
// bench/translation_shapes.h's sizes, the same losses and the same order of
// the steps as gan/translation_trainer.cpp, N(0, 0.02) init.
namespace tnn = torch::nn;
int64_t width_at(int64_t f, int64_t i) { return f * std::min<int64_t>(int64_t{1} << std::min<int64_t>(i, 3), 8); }
void normal_init(tnn::Module& m) {
  torch::NoGradGuard ng;
  for (auto& kv : m.named_parameters()) {
    if (kv.key().find("bias") != std::string::npos) kv.value().zero_();
    else if (kv.value().dim() == 1) kv.value().normal_(1.0, 0.02);  // batch-norm scales
    else kv.value().normal_(0.0, 0.02);
  }
}
// pix2pix's U-Net level (UnetSkipConnectionBlock).
struct UNetLevelImpl : tnn::Module {
  tnn::Sequential down, up;
  std::shared_ptr<UNetLevelImpl> sub;
  bool outermost;
  UNetLevelImpl(int64_t outer, int64_t inner, int64_t outer_in, std::shared_ptr<UNetLevelImpl> s, int level,
                bool dropout)  // level 0 outermost, 1 middle, 2 innermost
      : sub(std::move(s)), outermost(level == 0) {
    if (level != 0) down->push_back(tnn::LeakyReLU(tnn::LeakyReLUOptions().negative_slope(0.2)));
    down->push_back(tnn::Conv2d(tnn::Conv2dOptions(outer_in, inner, 4).stride(2).padding(1).bias(false)));
    if (level == 1) down->push_back(tnn::BatchNorm2d(inner));
    up->push_back(tnn::ReLU());
    up->push_back(tnn::ConvTranspose2d(
        tnn::ConvTranspose2dOptions(level == 2 ? inner : 2 * inner, outer, 4).stride(2).padding(1).bias(level == 0)));
    if (level == 0) {
      up->push_back(tnn::Tanh());
    } else {
      up->push_back(tnn::BatchNorm2d(outer));
      if (dropout) up->push_back(tnn::Dropout(0.5));
    }
    register_module("down", down);
    if (sub) register_module("submodule", sub);
    register_module("up", up);
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor h = down->forward(x);
    if (sub) h = sub->forward(h);
    torch::Tensor y = up->forward(h);
    return outermost ? y : torch::cat({x, y}, 1);
  }
};
struct UNetTwinImpl : tnn::Module {
  std::shared_ptr<UNetLevelImpl> net;
  int64_t depth;
  UNetTwinImpl(int64_t in, int64_t out, int64_t d, int64_t f) : depth(d) {
    auto b = std::make_shared<UNetLevelImpl>(width_at(f, d - 2), width_at(f, d - 1), width_at(f, d - 2), nullptr, 2,
                                             false);
    for (int64_t i = d - 2; i >= 1; --i)
      b = std::make_shared<UNetLevelImpl>(width_at(f, i - 1), width_at(f, i), width_at(f, i - 1), b, 1,
                                          i >= std::max<int64_t>(1, d - 4));
    net = register_module("model", std::make_shared<UNetLevelImpl>(out, f, in, b, 0, false));
    normal_init(*this);
  }
  torch::Tensor forward(const torch::Tensor& x) {  // edge-pad to a multiple of 2^depth, crop back
    const int64_t m = int64_t{1} << depth, h = x.size(2), w = x.size(3);
    const int64_t ph = (m - h % m) % m, pw = (m - w % m) % m;
    namespace F = tnn::functional;
    torch::Tensor p = F::pad(x, F::PadFuncOptions({pw / 2, pw - pw / 2, ph / 2, ph - ph / 2}).mode(torch::kReplicate));
    return net->forward(p).narrow(2, ph / 2, h).narrow(3, pw / 2, w);
  }
};
TORCH_MODULE(UNetTwin);
tnn::Sequential patchgan_twin(int64_t in, int64_t f, int64_t n, bool instance) {
  tnn::Sequential s;
  auto lrelu = [] { return tnn::LeakyReLU(tnn::LeakyReLUOptions().negative_slope(0.2)); };
  s->push_back(tnn::Conv2d(tnn::Conv2dOptions(in, f, 4).stride(2).padding(1)));
  s->push_back(lrelu());
  for (int64_t i = 1; i <= n; ++i) {
    s->push_back(tnn::Conv2d(tnn::Conv2dOptions(width_at(f, i - 1), width_at(f, i), 4).stride(i < n ? 2 : 1).padding(1).bias(instance)));
    if (instance) s->push_back(tnn::InstanceNorm2d(width_at(f, i)));
    else s->push_back(tnn::BatchNorm2d(width_at(f, i)));
    s->push_back(lrelu());
  }
  s->push_back(tnn::Conv2d(tnn::Conv2dOptions(width_at(f, n), 1, 4).stride(1).padding(1)));
  normal_init(*s);
  return s;
}
struct ResBlockTwinImpl : tnn::Module {
  tnn::Sequential block;
  explicit ResBlockTwinImpl(int64_t d) {
    block = register_module("block", tnn::Sequential(
        tnn::ReflectionPad2d(1), tnn::Conv2d(tnn::Conv2dOptions(d, d, 3)), tnn::InstanceNorm2d(d), tnn::ReLU(),
        tnn::ReflectionPad2d(1), tnn::Conv2d(tnn::Conv2dOptions(d, d, 3)), tnn::InstanceNorm2d(d)));
  }
  torch::Tensor forward(const torch::Tensor& x) { return x + block->forward(x); }
};
TORCH_MODULE(ResBlockTwin);
tnn::Sequential resnet_twin(int64_t in, int64_t out, int64_t f, int64_t blocks) {
  tnn::Sequential s(tnn::ReflectionPad2d(3), tnn::Conv2d(tnn::Conv2dOptions(in, f, 7)), tnn::InstanceNorm2d(f),
                    tnn::ReLU());
  for (int64_t i = 0; i < 2; ++i) {
    s->push_back(tnn::Conv2d(tnn::Conv2dOptions(f << i, f << (i + 1), 3).stride(2).padding(1)));
    s->push_back(tnn::InstanceNorm2d(f << (i + 1)));
    s->push_back(tnn::ReLU());
  }
  for (int64_t i = 0; i < blocks; ++i) s->push_back(ResBlockTwin(4 * f));
  for (int64_t i = 2; i > 0; --i) {
    s->push_back(tnn::ConvTranspose2d(
        tnn::ConvTranspose2dOptions(f << i, f << (i - 1), 3).stride(2).padding(1).output_padding(1)));
    s->push_back(tnn::InstanceNorm2d(f << (i - 1)));
    s->push_back(tnn::ReLU());
  }
  s->push_back(tnn::ReflectionPad2d(3));
  s->push_back(tnn::Conv2d(tnn::Conv2dOptions(f, out, 7)));
  s->push_back(tnn::Tanh());
  normal_init(*s);
  return s;
}
void set_frozen(tnn::Module& m, bool frozen) {
  for (auto& p : m.parameters()) p.requires_grad_(!frozen);
}
// CycleGAN's history pool (50 images, swap half the time once full).
struct PoolTwin {
  std::vector<torch::Tensor> images;
  int64_t size;
  explicit PoolTwin(int64_t s) : size(s) {}
  torch::Tensor query(const torch::Tensor& x) {
    std::vector<torch::Tensor> out;
    for (int64_t i = 0; i < x.size(0); ++i) {
      torch::Tensor im = x[i].clone();
      if (static_cast<int64_t>(images.size()) < size) {
        images.push_back(im);
        out.push_back(im);
      } else if (torch::rand({1}).item<double>() < 0.5) {
        out.push_back(im);
      } else {
        const int64_t k = torch::randint(size, {1}).item<int64_t>();
        out.push_back(images[k]);
        images[k] = im;
      }
    }
    return torch::stack(out, 0);
  }
};
struct TranslationStepTwin {
  bool cycle;
  UNetTwin unet{nullptr};
  tnn::Sequential G{nullptr}, F{nullptr}, D{nullptr}, DA{nullptr};
  std::unique_ptr<torch::optim::Adam> og, od;
  PoolTwin pool_a{gantry::bench::kCycPool}, pool_b{gantry::bench::kCycPool};
  torch::Tensor a, b;
  explicit TranslationStepTwin(bool cyclegan) : cycle(cyclegan) {
    using namespace gantry::bench;
    const int64_t B = cycle ? kCycBatch : kP2PBatch;
    a = torch::tanh(torch::randn({B, 1, kTransSize, kTransSize}));
    b = torch::tanh(torch::randn({B, 1, kTransSize, kTransSize}));
    std::vector<torch::Tensor> gp, dp;
    auto add = [](std::vector<torch::Tensor>& v, const std::vector<torch::Tensor>& p) { v.insert(v.end(), p.begin(), p.end()); };
    if (cycle) {
      G = resnet_twin(1, 1, kCycWidth, kCycBlocks);
      F = resnet_twin(1, 1, kCycWidth, kCycBlocks);
      D = patchgan_twin(1, kCycDWidth, kCycDLayers, true);
      DA = patchgan_twin(1, kCycDWidth, kCycDLayers, true);
      add(gp, G->parameters());
      add(gp, F->parameters());
      add(dp, DA->parameters());
      add(dp, D->parameters());
    } else {
      unet = UNetTwin(1, 1, kP2PDepth, kP2PWidth);
      D = patchgan_twin(2, kP2PDWidth, kP2PDLayers, false);
      add(gp, unet->parameters());
      add(dp, D->parameters());
    }
    og = std::make_unique<torch::optim::Adam>(gp, torch::optim::AdamOptions(2e-4).betas({0.5, 0.999}));
    od = std::make_unique<torch::optim::Adam>(dp, torch::optim::AdamOptions(2e-4).betas({0.5, 0.999}));
  }
  void run() {
    namespace Fn = tnn::functional;
    if (!cycle) {
      torch::Tensor fake = unet->forward(a);
      torch::Tensor rl = D->forward(torch::cat({a, b}, 1)), fl = D->forward(torch::cat({a, fake.detach()}, 1));
      torch::Tensor d = 0.5 * (Fn::binary_cross_entropy_with_logits(rl, torch::ones_like(rl)) +
                               Fn::binary_cross_entropy_with_logits(fl, torch::zeros_like(fl)));
      od->zero_grad();
      d.backward();
      od->step();
      set_frozen(*D, true);
      torch::Tensor gl = D->forward(torch::cat({a, fake}, 1));
      torch::Tensor loss = Fn::binary_cross_entropy_with_logits(gl, torch::ones_like(gl)) + 100.0 * torch::l1_loss(fake, b);
      og->zero_grad();
      loss.backward();
      og->step();
      set_frozen(*D, false);
      return;
    }
    set_frozen(*D, true);
    set_frozen(*DA, true);
    torch::Tensor fake_b = G->forward(a), fake_a = F->forward(b);
    torch::Tensor rec_a = F->forward(fake_b), rec_b = G->forward(fake_a);
    auto mse1 = [](const torch::Tensor& t) { return torch::mse_loss(t, torch::ones_like(t)); };
    torch::Tensor loss = mse1(D->forward(fake_b)) + mse1(DA->forward(fake_a)) +
                         10.0 * (torch::l1_loss(rec_a, a) + torch::l1_loss(rec_b, b)) +
                         5.0 * (torch::l1_loss(G->forward(b), b) + torch::l1_loss(F->forward(a), a));
    og->zero_grad();
    loss.backward();
    og->step();
    set_frozen(*D, false);
    set_frozen(*DA, false);
    torch::Tensor pa = pool_a.query(fake_a.detach()), pb = pool_b.query(fake_b.detach());
    auto d_loss = [&](tnn::Sequential& net, const torch::Tensor& real, const torch::Tensor& fake) {
      torch::Tensor r = net->forward(real), f = net->forward(fake);
      return 0.5 * (torch::mse_loss(r, torch::ones_like(r)) + torch::mse_loss(f, torch::zeros_like(f)));
    };
    torch::Tensor d = d_loss(DA, a, pa) + d_loss(D, b, pb);
    od->zero_grad();
    d.backward();
    od->step();
  }
};

// `gantry bench` translation mode: median ms of `steps` training steps after `warmup`.
int gantry_translation_bench_mode(const std::string& model, int threads, int64_t warmup, int64_t steps) {
  if (model != "pix2pix" && model != "cyclegan") return 2;
  torch::set_num_threads(std::max(1, threads));
  torch::manual_seed(0);
  TranslationStepTwin step(model == "cyclegan");
  for (int64_t i = 0; i < warmup; ++i) step.run();
  std::vector<double> ms;
  for (int64_t i = 0; i < steps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    step.run();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("libtorch_translation_ms %.3f\n",
              ms.size() % 2 ? ms[ms.size() / 2] : 0.5 * (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]));
  return 0;
}

// ---- Micro-benchmarks: the same rows as bench_ops, same names ------------
// BM_conv/<layer>/<pass>: each DCGAN convolution (bench/dcgan_shapes.h);
// backward passes through at::convolution_backward with one output enabled.
void BM_conv(benchmark::State& st) {
  const gantry::bench::ConvLayer& L = gantry::bench::kConvLayers[st.range(0)];
  const int pass = static_cast<int>(st.range(1));
  torch::manual_seed(6);
  torch::Tensor x = torch::randn({L.N, L.Cin, L.H, L.W});
  torch::Tensor w = L.transposed ? torch::randn({L.Cin, L.Cout, L.K, L.K})
                                 : torch::randn({L.Cout, L.Cin, L.K, L.K});
  torch::Tensor gy = torch::randn({L.N, L.Cout, L.OH(), L.OW()});
  const std::vector<int64_t> s = {L.stride, L.stride}, p = {L.pad, L.pad}, d = {1, 1}, op = {0, 0};
  torch::NoGradGuard ng;
  for (auto _ : st) {
    torch::Tensor r;
    if (pass == 0) {
      r = L.transposed ? torch::conv_transpose2d(x, w, {}, s, p) : torch::conv2d(x, w, {}, s, p);
    } else {
      auto g = at::convolution_backward(gy, x, w, c10::nullopt, s, p, d, L.transposed, op, 1,
                                        {pass == 1, pass == 2, false});
      r = pass == 1 ? std::get<0>(g) : std::get<1>(g);
    }
    benchmark::DoNotOptimize(r.data_ptr());
  }
  st.SetLabel(std::string(L.name) + "/" + gantry::bench::kPassNames[pass]);
  st.counters["GFLOP/s"] = benchmark::Counter(L.flops() * st.iterations(), benchmark::Counter::kIsRate,
                                              benchmark::Counter::kIs1000);
}
BENCHMARK(BM_conv)
    ->ArgsProduct({benchmark::CreateDenseRange(0, gantry::bench::kNumConvLayers - 1, 1), {0, 1, 2}})
    ->Unit(benchmark::kMillisecond);

// GEMM at the im2col shapes (bench/dcgan_shapes.h) through torch::mm
// (OpenBLAS here), and through OpenBLAS's cblas_sgemm directly when found.
void BM_mm(benchmark::State& st) {
  const gantry::bench::GemmShape& S = gantry::bench::kGemmShapes[st.range(0)];
  torch::manual_seed(1);
  torch::Tensor a = S.a_trans ? torch::randn({S.K, S.M}).t() : torch::randn({S.M, S.K});
  torch::Tensor b = S.b_trans ? torch::randn({S.N, S.K}).t() : torch::randn({S.K, S.N});
  torch::NoGradGuard ng;
  for (auto _ : st) benchmark::DoNotOptimize(torch::mm(a, b).data_ptr());
  st.SetLabel(S.name);
  st.counters["GFLOP/s"] = benchmark::Counter(2.0 * S.M * S.K * S.N * st.iterations(),
                                              benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}
BENCHMARK(BM_mm)->DenseRange(0, gantry::bench::kNumGemmShapes - 1)->Unit(benchmark::kMillisecond);

#ifdef GANTRY_BENCH_OPENBLAS
void BM_mm_openblas(benchmark::State& st) {
  const gantry::bench::GemmShape& S = gantry::bench::kGemmShapes[st.range(0)];
  std::vector<float> a(S.M * S.K, 0.5f), b(S.K * S.N, 0.25f), c(S.M * S.N);
  openblas_set_num_threads(torch::get_num_threads());
  for (auto _ : st) {
    cblas_sgemm(CblasRowMajor, S.a_trans ? CblasTrans : CblasNoTrans,
                S.b_trans ? CblasTrans : CblasNoTrans, S.M, S.N, S.K, 1.f, a.data(),
                S.a_trans ? S.M : S.K, b.data(), S.b_trans ? S.K : S.N, 0.f, c.data(), S.N);
    benchmark::DoNotOptimize(c.data());
  }
  st.SetLabel(S.name);
  st.counters["GFLOP/s"] = benchmark::Counter(2.0 * S.M * S.K * S.N * st.iterations(),
                                              benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}
BENCHMARK(BM_mm_openblas)->DenseRange(0, gantry::bench::kNumGemmShapes - 1)->Unit(benchmark::kMillisecond);
#endif

// BatchNorm2d training forward, and forward + backward, at G's and D's widest
// normalized activations: 0 = [64,64,14,14] (G), 1 = [64,128,7,7] (D).
torch::Tensor bn_input(int which) {
  return which == 0 ? torch::randn({64, 64, 14, 14}) : torch::randn({64, 128, 7, 7});
}
void BM_batch_norm(benchmark::State& st) {
  torch::manual_seed(7);
  torch::Tensor x = bn_input(static_cast<int>(st.range(0)));
  const int64_t C = x.size(1);
  torch::Tensor w = torch::ones({C}).requires_grad_(st.range(1)),
                b = torch::zeros({C}).requires_grad_(st.range(1));
  torch::Tensor rm = torch::zeros({C}), rv = torch::ones({C});
  if (st.range(1)) x.requires_grad_(true);
  torch::Tensor g = torch::randn_like(x);
  for (auto _ : st) {
    torch::Tensor y = torch::batch_norm(x, w, b, rm, rv, true, 0.1, 1e-5, false);
    if (st.range(1)) {
      auto gr = torch::autograd::grad({y}, {x, w, b}, {g});
      benchmark::DoNotOptimize(gr[0].data_ptr());
    }
    benchmark::DoNotOptimize(y.data_ptr());
  }
  st.SetItemsProcessed(st.iterations() * x.numel());
}
BENCHMARK(BM_batch_norm)->ArgsProduct({{0, 1}, {0, 1}});

// Activations over G3's output [64,64,14,14] (tanh: G's output [64,1,28,28]).
void BM_act(benchmark::State& st) {
  torch::manual_seed(8);
  const int which = static_cast<int>(st.range(0));
  torch::Tensor x = which == 2 ? torch::randn({64, 1, 28, 28}) : torch::randn({64, 64, 14, 14});
  torch::NoGradGuard ng;
  for (auto _ : st) {
    torch::Tensor y = which == 0 ? torch::relu(x) : which == 1 ? torch::leaky_relu(x, 0.2) : torch::tanh(x);
    benchmark::DoNotOptimize(y.data_ptr());
  }
  st.SetLabel(which == 0 ? "relu" : which == 1 ? "leaky_relu" : "tanh");
  st.SetItemsProcessed(st.iterations() * x.numel());
}
BENCHMARK(BM_act)->DenseRange(0, 2);

// BCE-with-logits over D's output [64] (forward + backward).
void BM_bce_with_logits(benchmark::State& st) {
  torch::manual_seed(9);
  torch::Tensor z = torch::randn({64}).requires_grad_(true), t = torch::ones({64});
  for (auto _ : st) {
    torch::Tensor l = torch::binary_cross_entropy_with_logits(z, t);
    auto gr = torch::autograd::grad({l}, {z});
    benchmark::DoNotOptimize(gr[0].data_ptr());
  }
}
BENCHMARK(BM_bce_with_logits);

// One Adam step over all of G's parameters (gradients preset).
void BM_adam_step_G(benchmark::State& st) {
  torch::manual_seed(10);
  Nets n(true);
  auto params = n.G->parameters();
  for (auto& p : params) p.mutable_grad() = torch::randn_like(p);
  torch::optim::Adam opt(params, torch::optim::AdamOptions(2e-4).betas({0.5, 0.999}));
  for (auto _ : st) opt.step();
}
BENCHMARK(BM_adam_step_G);

// G's forward alone (inference, no graph) at batch 1 and 64.
void BM_generator_forward(benchmark::State& st) {
  torch::manual_seed(11);
  Nets n(true);
  n.G->eval();
  torch::NoGradGuard ng;
  torch::Tensor z = torch::randn({st.range(0), 100, 1, 1});
  for (auto _ : st) benchmark::DoNotOptimize(n.G->forward(z).data_ptr());
  st.SetItemsProcessed(st.iterations() * st.range(0));
}
BENCHMARK(BM_generator_forward)->Arg(1)->Arg(64)->Unit(benchmark::kMillisecond);

void BM_dcgan_iteration_libtorch(benchmark::State& st) { iteration(st, false); }
void BM_dcgan_iteration_libtorch_frozen(benchmark::State& st) { iteration(st, true); }
BENCHMARK(BM_dcgan_iteration_libtorch)->Unit(benchmark::kMillisecond)->MinTime(3.0);
BENCHMARK(BM_dcgan_iteration_libtorch_frozen)->Unit(benchmark::kMillisecond)->MinTime(3.0);

// upfirdn2d as a LibTorch user composes it (no such op in LibTorch): zero
// insertion by reshape + pad, the pads, then the separable [1,3,3,1] filter
// as two depthwise conv2d (a [1,4] and a [4,1] kernel) with the stride doing
// the downsampling; the twin of bench_ops' BM_upfirdn2d.
torch::Tensor upfirdn2d_torch(const torch::Tensor& x, const torch::Tensor& f1, int64_t up, int64_t down,
                              int64_t p0, int64_t p1, double gain) {
  namespace F = torch::nn::functional;
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  torch::Tensor y = x;
  if (up > 1) {
    y = F::pad(y.reshape({N, C, H, 1, W, 1}), F::PadFuncOptions({0, up - 1, 0, 0, 0, up - 1}));
    y = y.reshape({N, C, H * up, W * up});
  }
  y = F::pad(y, F::PadFuncOptions({p0, p1, p0, p1}));
  const int64_t K = f1.size(0);
  torch::Tensor fw = (f1.flip({0}) * gain).reshape({1, 1, 1, K}).repeat({C, 1, 1, 1});  // convolution: flipped taps
  torch::Tensor fh = f1.flip({0}).reshape({1, 1, K, 1}).repeat({C, 1, 1, 1});
  const std::vector<int64_t> sw = {1, down}, sh = {down, 1}, zero = {0, 0}, one = {1, 1};
  y = torch::conv2d(y, fw, {}, sw, zero, one, C);
  return torch::conv2d(y, fh, {}, sh, zero, one, C);
}

void BM_upfirdn2d(benchmark::State& st) {
  const gantry::bench::ResampleShape& S = gantry::bench::kResampleShapes[st.range(0)];
  torch::manual_seed(5);
  torch::Tensor x = torch::randn({S.N, S.C, S.H, S.W});
  torch::Tensor f = torch::tensor({1.f, 3.f, 3.f, 1.f}) / 8;
  const bool backward = st.range(1) == 1;
  if (backward) x.requires_grad_(true);
  for (auto _ : st) {
    torch::Tensor y = upfirdn2d_torch(x, f, S.up, S.down, S.pad0, S.pad1, static_cast<double>(S.up * S.up));
    if (backward) {
      benchmark::DoNotOptimize(torch::autograd::grad({y.sum()}, {x})[0].data_ptr());
    } else {
      benchmark::DoNotOptimize(y.data_ptr());
    }
  }
  st.SetLabel(std::string(S.name) + (backward ? "/fwd+bwd" : "/fwd"));
}
BENCHMARK(BM_upfirdn2d)->ArgsProduct({{0, 1}, {0, 1}})->Unit(benchmark::kMillisecond);

// The modulated convolution in LibTorch, both forms (the twin of bench_ops'
// BM_modulated_conv): per-sample weights and one grouped conv2d, or scale,
// conv2d, scale.
void BM_modulated_conv(benchmark::State& st) {
  using namespace gantry::bench;
  torch::manual_seed(6);
  torch::Tensor x = torch::randn({kModN, kModC, kModHW, kModHW}), w = torch::randn({kModO, kModC, kModK, kModK});
  torch::Tensor s = torch::rand({kModN, kModC}) + 0.5;
  const bool grouped = st.range(0) == 0, backward = st.range(1) == 1;
  if (backward) {
    x.requires_grad_(true);
    w.requires_grad_(true);
    s.requires_grad_(true);
  }
  for (auto _ : st) {
    torch::Tensor y;
    if (grouped) {
      torch::Tensor wn = w.unsqueeze(0) * s.reshape({kModN, 1, kModC, 1, 1});
      wn = wn * torch::rsqrt(wn.square().sum({2, 3, 4}, true) + 1e-8);
      const std::vector<int64_t> one = {1, 1};
      y = torch::conv2d(x.reshape({1, kModN * kModC, kModHW, kModHW}), wn.reshape({kModN * kModO, kModC, kModK, kModK}),
                        {}, one, one, one, kModN)
              .reshape({kModN, kModO, kModHW, kModHW});
    } else {
      y = torch::conv2d(x * s.reshape({kModN, kModC, 1, 1}), w, {}, 1, 1);
      torch::Tensor d = torch::rsqrt(torch::mm(s.square(), w.square().sum({2, 3}).t()) + 1e-8);
      y = y * d.reshape({kModN, kModO, 1, 1});
    }
    if (backward) {
      benchmark::DoNotOptimize(torch::autograd::grad({y.sum()}, {x, w, s})[0].data_ptr());
    } else {
      benchmark::DoNotOptimize(y.data_ptr());
    }
  }
  st.SetLabel(std::string(grouped ? "grouped" : "scale_conv_scale") + (backward ? "/fwd+bwd" : "/fwd"));
}
BENCHMARK(BM_modulated_conv)->ArgsProduct({{0, 1}, {0, 1}})->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  if (argc == 6 && std::string(argv[1]) == "--gantry-bench")
    return gantry_bench_mode(std::atoi(argv[2]), std::atoll(argv[3]), std::atoll(argv[4]),
                             std::atoll(argv[5]));
  if (argc == 5 && std::string(argv[1]) == "--gantry-sr-bench")
    return gantry_sr_bench_mode(std::atoi(argv[2]), std::atoll(argv[3]), std::atoll(argv[4]));
  if (argc == 6 && std::string(argv[1]) == "--gantry-translation-bench")
    return gantry_translation_bench_mode(argv[2], std::atoi(argv[3]), std::atoll(argv[4]), std::atoll(argv[5]));
  // Same thread count as Gantry's default: all cores (override: BENCH_THREADS).
  const char* env = std::getenv("BENCH_THREADS");
  const int threads = env ? std::atoi(env) : static_cast<int>(std::thread::hardware_concurrency());
  torch::set_num_threads(std::max(1, threads));
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("torch_threads", std::to_string(torch::get_num_threads()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
