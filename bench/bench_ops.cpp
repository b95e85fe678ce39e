// bench/bench_ops.cpp — micro-benchmarks of the Foundation ops on the CPU.
//
//   ./build/bench/bench_ops --benchmark_min_time=0.2
//
// GEMM at the im2col shapes of the DCGAN discriminator/generator layers
// (batch 64), elementwise and activation kernels over a DCGAN-sized
// activation (64x128x8x8), reductions, and a linear layer's forward+backward.
// The LibTorch twin program and the side-by-side ratios arrive with the
// benchmarks issue; items/s and GFLOP/s counters make rows comparable now.
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "autograd/engine.h"
#include "autograd/ops.h"
#include "autograd/ops_nn.h"
#include "bench/dcgan_shapes.h"
#include "bench/dcgan_step.h"
#include "bench/progan_step.h"
#include "bench/stylegan2_step.h"
#include "bench/stylegan_shapes.h"
#include "kernels/registry.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "gan/losses.h"
#include "gan/models/dcgan/dcgan.h"
#include "nn/init.h"
#include "optim/adam.h"

using namespace gantry;

namespace {

// GEMM at the im2col shapes of the DCGAN's batched convolutions
// (bench/dcgan_shapes.h; transposed operands are transposed views, as the
// convolution kernels pass them). Counters report GFLOP/s.
void BM_mm(benchmark::State& st) {
  const bench::GemmShape& S = bench::kGemmShapes[st.range(0)];
  RandomState g(1);
  Tensor a = S.a_trans ? transpose(randn({S.K, S.M}, {}, &g), 0, 1) : randn({S.M, S.K}, {}, &g);
  Tensor b = S.b_trans ? transpose(randn({S.N, S.K}, {}, &g), 0, 1) : randn({S.K, S.N}, {}, &g);
  for (auto _ : st) benchmark::DoNotOptimize(mm(a, b).raw_data());
  st.SetLabel(S.name);
  st.counters["GFLOP/s"] = benchmark::Counter(2.0 * S.M * S.K * S.N * st.iterations(),
                                              benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}
BENCHMARK(BM_mm)->DenseRange(0, bench::kNumGemmShapes - 1)->Unit(benchmark::kMillisecond);

const Shape kAct = {64, 128, 8, 8};

template <Tensor (*F)(const Tensor&)>
void BM_unary(benchmark::State& st) {
  RandomState g(2);
  Tensor x = randn(kAct, {}, &g);
  for (auto _ : st) benchmark::DoNotOptimize(F(x).raw_data());
  st.SetItemsProcessed(st.iterations() * x.numel());
}
Tensor lrelu(const Tensor& x) { return leaky_relu(x, 0.2); }
BENCHMARK_TEMPLATE(BM_unary, relu);
BENCHMARK_TEMPLATE(BM_unary, lrelu);
BENCHMARK_TEMPLATE(BM_unary, tanh);
BENCHMARK_TEMPLATE(BM_unary, sigmoid);

void BM_add_broadcast(benchmark::State& st) {
  RandomState g(3);
  Tensor x = randn(kAct, {}, &g), b = randn({1, 128, 1, 1}, {}, &g);
  for (auto _ : st) benchmark::DoNotOptimize(add(x, b).raw_data());
  st.SetItemsProcessed(st.iterations() * x.numel());
}
BENCHMARK(BM_add_broadcast);

void BM_sum_per_channel(benchmark::State& st) {
  RandomState g(4);
  Tensor x = randn(kAct, {}, &g);
  for (auto _ : st) benchmark::DoNotOptimize(sum(x, {0, 2, 3}).raw_data());
  st.SetItemsProcessed(st.iterations() * x.numel());
}
BENCHMARK(BM_sum_per_channel);

// Linear layer forward + backward (batch 64, 1024 -> 1024).
void BM_linear_fwd_bwd(benchmark::State& st) {
  RandomState g(5);
  Tensor x = randn({64, 1024}, {}, &g), w = randn({1024, 1024}, {}, &g), b = zeros({1024});
  w.requires_grad_(true);
  b.requires_grad_(true);
  for (auto _ : st) {
    Tensor y = sum(linear(x, w, b));
    y.backward();
    w.set_grad(Tensor());
    b.set_grad(Tensor());
  }
}
BENCHMARK(BM_linear_fwd_bwd)->Unit(benchmark::kMillisecond);

// Every convolution of the DCGAN at batch 64 (bench/dcgan_shapes.h), each
// pass as the registry kernel it dispatches to (a transposed convolution's
// forward is conv2d_input_grad, its backward-input is conv2d):
//   BM_conv/<layer>/<pass>, pass 0 forward, 1 backward-input, 2 backward-weight.
void BM_conv(benchmark::State& st) {
  const bench::ConvLayer& L = bench::kConvLayers[st.range(0)];
  const int pass = static_cast<int>(st.range(1));
  RandomState g(6);
  const Shape xs = {L.N, L.Cin, L.H, L.W}, ys = {L.N, L.Cout, L.OH(), L.OW()};
  const Shape ws = L.transposed ? Shape{L.Cin, L.Cout, L.K, L.K} : Shape{L.Cout, L.Cin, L.K, L.K};
  Tensor x = randn(xs, {}, &g), w = randn(ws, {}, &g), y = randn(ys, {}, &g);
  const kernels::ConvAttrs a{L.stride, L.stride, L.pad, L.pad, 1, 1, 1};
  // (op, inputs, output) of each pass; for a transposed layer the roles of x and y swap.
  kernels::OpId op;
  kernels::Tensors in;
  Tensor out;
  const Tensor& big = L.transposed ? y : x;    // the conv's "input" side
  const Tensor& small = L.transposed ? x : y;  // the conv's "output" side
  if (pass == 0) {
    op = L.transposed ? kernels::OpId::conv2d_input_grad : kernels::OpId::conv2d;
    in = {x, w};
    out = empty_like(y);
  } else if (pass == 1) {
    op = L.transposed ? kernels::OpId::conv2d : kernels::OpId::conv2d_input_grad;
    in = {y, w};
    out = empty_like(x);
  } else {
    op = kernels::OpId::conv2d_weight_grad;
    in = {big, small};
    out = empty_like(w);
  }
  for (auto _ : st) {
    kernels::run(op, in, {out}, a);
    benchmark::DoNotOptimize(out.raw_data());
  }
  st.SetLabel(std::string(L.name) + "/" + bench::kPassNames[pass]);
  st.counters["GFLOP/s"] = benchmark::Counter(L.flops() * st.iterations(), benchmark::Counter::kIsRate,
                                              benchmark::Counter::kIs1000);
}
BENCHMARK(BM_conv)
    ->ArgsProduct({benchmark::CreateDenseRange(0, bench::kNumConvLayers - 1, 1), {0, 1, 2}})
    ->Unit(benchmark::kMillisecond);

// BatchNorm2d training forward (arg1 = 0) and forward + backward (arg1 = 1)
// at 0 = [64,64,14,14] (G), 1 = [64,128,7,7] (D).
void BM_batch_norm(benchmark::State& st) {
  RandomState g(7);
  Tensor x = st.range(0) == 0 ? randn({64, 64, 14, 14}, {}, &g) : randn({64, 128, 7, 7}, {}, &g);
  const int64_t C = x.size(1);
  Tensor w = ones({C}), b = zeros({C}), rm = zeros({C}), rv = ones({C});
  const bool bwd = st.range(1);
  if (bwd) {
    x.requires_grad_(true);
    w.requires_grad_(true);
    b.requires_grad_(true);
  }
  Tensor gy = randn(x.shape(), {}, &g);
  for (auto _ : st) {
    Tensor y = batch_norm(x, rm, rv, w, b, true, 0.1, 1e-5);
    if (bwd) benchmark::DoNotOptimize(autograd::grad({y}, {x, w, b}, {gy})[0].raw_data());
    benchmark::DoNotOptimize(y.raw_data());
  }
  st.SetItemsProcessed(st.iterations() * x.numel());
}
BENCHMARK(BM_batch_norm)->ArgsProduct({{0, 1}, {0, 1}});

// Activations: 0 relu, 1 leaky_relu over [64,64,14,14]; 2 tanh over G's output [64,1,28,28].
void BM_act(benchmark::State& st) {
  RandomState g(8);
  const int which = static_cast<int>(st.range(0));
  Tensor x = which == 2 ? randn({64, 1, 28, 28}, {}, &g) : randn({64, 64, 14, 14}, {}, &g);
  for (auto _ : st) {
    Tensor y = which == 0 ? relu(x) : which == 1 ? leaky_relu(x, 0.2) : tanh(x);
    benchmark::DoNotOptimize(y.raw_data());
  }
  st.SetLabel(which == 0 ? "relu" : which == 1 ? "leaky_relu" : "tanh");
  st.SetItemsProcessed(st.iterations() * x.numel());
}
BENCHMARK(BM_act)->DenseRange(0, 2);

// BCE-with-logits over D's output [64] (forward + backward).
void BM_bce_with_logits(benchmark::State& st) {
  RandomState g(9);
  Tensor z = randn({64}, {}, &g), t = ones({64});
  z.requires_grad_(true);
  for (auto _ : st) {
    Tensor l = binary_cross_entropy_with_logits(z, t);
    benchmark::DoNotOptimize(autograd::grad({l}, {z})[0].raw_data());
  }
}
BENCHMARK(BM_bce_with_logits);

// One Adam step over all of G's parameters (gradients preset).
void BM_adam_step_G(benchmark::State& st) {
  manual_seed(10);
  gan::DCGANGenerator G;
  auto params = G.parameters();
  RandomState g(10);
  for (auto& p : params) p.set_grad(randn(p.shape(), {}, &g));
  optim::AdamOptions o;
  o.lr = 2e-4;
  o.beta1 = 0.5;
  optim::Adam opt(params, o);
  for (auto _ : st) opt.step();
}
BENCHMARK(BM_adam_step_G);

// G's forward alone (inference: eval mode, no graph) at batch 1 and 64.
void BM_generator_forward(benchmark::State& st) {
  manual_seed(11);
  gan::DCGANGenerator G;
  G.eval();
  NoGradGuard ng;
  RandomState g(11);
  Tensor z = randn({st.range(0), 100}, {}, &g);
  for (auto _ : st) benchmark::DoNotOptimize(G.forward(z).raw_data());
  st.SetItemsProcessed(st.iterations() * st.range(0));
}
BENCHMARK(BM_generator_forward)->Arg(1)->Arg(64)->Unit(benchmark::kMillisecond);

// One whole DCGAN training iteration at batch 64 (D step + G step with D
// frozen, Adam on both), on random "images": what `gantry train` does per step.
void BM_dcgan_iteration(benchmark::State& st) {
  bench::DCGANStep step(64);
  for (auto _ : st) step.run();
  st.counters["images/s"] = benchmark::Counter(64.0 * st.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_dcgan_iteration)->Unit(benchmark::kMillisecond)->MinTime(3.0);

// One progressive-GAN iteration at 32x32, batch 64 (bench/progan_step.h):
// Arg 100 = stable (alpha 1), 50 = mid fade-in (alpha 0.5, both paths).
// No LibTorch twin yet: the ratio for this row comes with the benchmarks
// issue ("Faster than today's LibTorch").
void BM_progan_iteration_32(benchmark::State& st) {
  bench::ProGANStep step(static_cast<double>(st.range(0)) / 100.0);
  for (auto _ : st) step.run();
  st.counters["images/s"] = benchmark::Counter(64.0 * st.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_progan_iteration_32)->Arg(100)->Arg(50)->Unit(benchmark::kMillisecond)->MinTime(3.0);

// upfirdn2d at the shapes of bench/stylegan_shapes.h, [1,3,3,1] separable;
// pass 0 = forward, 1 = forward + backward (the adjoint, another upfirdn2d).
void BM_upfirdn2d(benchmark::State& st) {
  const bench::ResampleShape& S = bench::kResampleShapes[st.range(0)];
  RandomState g(5);
  Tensor x = randn({S.N, S.C, S.H, S.W}, {}, &g);
  const Tensor f = make_resample_filter({1, 3, 3, 1}, x);
  const bool backward = st.range(1) == 1;
  if (backward) x.requires_grad_(true);
  for (auto _ : st) {
    Tensor y = upfirdn2d(x, f, {S.up, S.up}, {S.down, S.down}, {S.pad0, S.pad1, S.pad0, S.pad1}, false,
                         static_cast<double>(S.up * S.up));
    if (backward) {
      benchmark::DoNotOptimize(autograd::grad({sum(y)}, {x})[0].raw_data());
    } else {
      benchmark::DoNotOptimize(y.raw_data());
    }
  }
  st.SetLabel(std::string(S.name) + (backward ? "/fwd+bwd" : "/fwd"));
}
BENCHMARK(BM_upfirdn2d)->ArgsProduct({{0, 1}, {0, 1}})->Unit(benchmark::kMillisecond);

// Modulated 3x3 convolution (demodulated) at bench/stylegan_shapes.h's shape:
// form 0 = grouped (groups = batch: the per-group conv algorithm), 1 =
// scale-conv-scale; pass 0 = forward, 1 = forward + backward to x, w, styles.
void BM_modulated_conv(benchmark::State& st) {
  using namespace bench;
  RandomState g(6);
  Tensor x = randn({kModN, kModC, kModHW, kModHW}, {}, &g), w = randn({kModO, kModC, kModK, kModK}, {}, &g);
  Tensor s = add(rand({kModN, kModC}, {}, &g), 0.5);
  const ModConvForm form = st.range(0) == 0 ? ModConvForm::Grouped : ModConvForm::ScaleConvScale;
  const bool backward = st.range(1) == 1;
  if (backward) {
    x.requires_grad_(true);
    w.requires_grad_(true);
    s.requires_grad_(true);
  }
  for (auto _ : st) {
    Tensor y = modulated_conv2d(x, w, s, true, 1, form);
    if (backward) {
      benchmark::DoNotOptimize(autograd::grad({sum(y)}, {x, w, s})[0].raw_data());
    } else {
      benchmark::DoNotOptimize(y.raw_data());
    }
  }
  st.SetLabel(std::string(form == ModConvForm::Grouped ? "grouped" : "scale_conv_scale") +
              (backward ? "/fwd+bwd" : "/fwd"));
}
BENCHMARK(BM_modulated_conv)->ArgsProduct({{0, 1}, {0, 1}})->Unit(benchmark::kMillisecond);

// The StyleGAN2 step's phases at 32x32, batch 32 (bench/stylegan2_step.h):
// Arg 0 = the main loss only, 1 = with its lazy regularizer (R1 for D, path
// length for G). No LibTorch twin of the whole step yet: like the progan row,
// it comes with the benchmarks issue ("Faster than today's LibTorch").
void BM_stylegan2_D_step(benchmark::State& st) {
  bench::StyleGAN2Step step;
  for (auto _ : st) step.d_step(st.range(0) == 1);
  st.counters["images/s"] = benchmark::Counter(32.0 * st.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_stylegan2_D_step)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->MinTime(2.0);
void BM_stylegan2_G_step(benchmark::State& st) {
  bench::StyleGAN2Step step;
  for (auto _ : st) step.g_step(st.range(0) == 1);
  st.counters["images/s"] = benchmark::Counter(32.0 * st.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_stylegan2_G_step)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

int main(int argc, char** argv) {
  if (const char* env = std::getenv("BENCH_THREADS")) set_num_threads(std::max(1, std::atoi(env)));
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("gantry_threads", std::to_string(get_num_threads()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
