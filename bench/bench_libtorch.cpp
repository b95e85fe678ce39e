// bench/bench_libtorch.cpp — the LibTorch twin of bench_ops' DCGAN rows, so
// Gantry's figures come with LibTorch's from the same machine. Run the two
// programs in separate processes (they share the OpenMP runtime), alternating.
//
//   ./build/bench/bench_libtorch --benchmark_min_time=3
//   ./build/bench/bench_libtorch --gantry-bench THREADS BATCH WARMUP STEPS   (used by `gantry bench`)
//
// BM_dcgan_iteration_libtorch is the cpp/dcgan example's loop as a LibTorch
// user writes it: D ends in a sigmoid, BCE loss, and the G step backpropagates
// into D's weights too (D is not frozen). BM_dcgan_iteration_libtorch_frozen
// freezes D's parameters during the G step, as Gantry's trainer does, so the
// gain from that trick is shown separately.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

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

void BM_dcgan_iteration_libtorch(benchmark::State& st) { iteration(st, false); }
void BM_dcgan_iteration_libtorch_frozen(benchmark::State& st) { iteration(st, true); }
BENCHMARK(BM_dcgan_iteration_libtorch)->Unit(benchmark::kMillisecond)->MinTime(3.0);
BENCHMARK(BM_dcgan_iteration_libtorch_frozen)->Unit(benchmark::kMillisecond)->MinTime(3.0);

}  // namespace

int main(int argc, char** argv) {
  if (argc == 6 && std::string(argv[1]) == "--gantry-bench")
    return gantry_bench_mode(std::atoi(argv[2]), std::atoll(argv[3]), std::atoll(argv[4]),
                             std::atoll(argv[5]));
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
