// bench/bench_libtorch.cpp — the LibTorch twin of bench_ops' DCGAN rows, so
// Gantry's figures come with LibTorch's from the same machine. Run the two
// programs in separate processes (they share the OpenMP runtime), alternating.
//
//   ./build/bench/bench_libtorch --benchmark_min_time=3
//
// BM_dcgan_iteration_libtorch is the cpp/dcgan example's loop as a LibTorch
// user writes it: D ends in a sigmoid, BCE loss, and the G step backpropagates
// into D's weights too (D is not frozen). BM_dcgan_iteration_libtorch_frozen
// freezes D's parameters during the G step, as Gantry's trainer does, so the
// gain from that trick is shown separately.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdlib>
#include <thread>

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

void iteration(benchmark::State& st, bool freeze_d) {
  torch::manual_seed(0);
  Nets n(/*sigmoid=*/true);
  torch::optim::Adam og(n.G->parameters(), torch::optim::AdamOptions(2e-4).betas({0.5, 0.999}));
  torch::optim::Adam od(n.D->parameters(), torch::optim::AdamOptions(2e-4).betas({0.5, 0.999}));
  torch::Tensor real = torch::tanh(torch::randn({64, 1, 28, 28}));
  for (auto _ : st) {
    // D step (the example's code).
    n.D->zero_grad();
    torch::Tensor real_labels = torch::empty(64).uniform_(0.8, 1.0);
    torch::Tensor d_real = n.D->forward(real).reshape(-1);
    torch::Tensor d_loss_real = torch::binary_cross_entropy(d_real, real_labels);
    d_loss_real.backward();
    torch::Tensor noise = torch::randn({64, 100, 1, 1});
    torch::Tensor fake = n.G->forward(noise);
    torch::Tensor fake_labels = torch::zeros(64);
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
  st.counters["images/s"] = benchmark::Counter(64.0 * st.iterations(), benchmark::Counter::kIsRate);
}

void BM_dcgan_iteration_libtorch(benchmark::State& st) { iteration(st, false); }
void BM_dcgan_iteration_libtorch_frozen(benchmark::State& st) { iteration(st, true); }
BENCHMARK(BM_dcgan_iteration_libtorch)->Unit(benchmark::kMillisecond)->MinTime(3.0);
BENCHMARK(BM_dcgan_iteration_libtorch_frozen)->Unit(benchmark::kMillisecond)->MinTime(3.0);

}  // namespace

int main(int argc, char** argv) {
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
