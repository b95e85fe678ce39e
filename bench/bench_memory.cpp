// bench/bench_memory.cpp — how many bytes the autograd graph holds, for the
// GAN steps that matter. These are memory rows, not timings: each benchmark
// reports counters (MiB), and its time is only the cost of one step.
//
// A counting CPU allocator wraps the registered one for the whole run, so the
// figures count every tensor's storage and nothing else (not the allocator's
// cache, not the heap). For each step:
//   graph_MiB  bytes live just before the backward that frees the graph,
//              minus the bytes live before the step began (weights, Adam
//              state and the batch are there before and after);
//   peak_MiB   the highest live bytes during the step, minus the same base.
// Steps:
//   BM_graph_dcgan_d      D step of the DCGAN: D(real), D(G(z).detach()), BCE;
//   BM_graph_dcgan_g      G step: D frozen, D(G(z)), BCE;
//   BM_graph_wgangp_critic  WGAN-GP critic step: D(real), D(fake), and the
//                         gradient penalty on interpolates (create_graph).
// Batch 64, Fashion-MNIST shapes [64,1,28,28], seed 0. The program uses only
// APIs that predate the saved-tensor rules, so the same file measures a build
// from before them (docs/benchmarks.md has both).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "autograd/ops.h"
#include "core/rng.h"
#include "core/storage.h"
#include "gan/losses.h"
#include "gan/models/model.h"
#include "gan/penalties.h"
#include "nn/init.h"

using namespace gantry;

namespace {

// Wraps the CPU allocator and counts the bytes it has handed out.
struct CountingAllocator final : Allocator {
  Allocator* inner;
  std::mutex mu;
  std::unordered_map<void*, size_t> sizes;
  size_t live = 0, peak = 0;
  explicit CountingAllocator(Allocator* a) : inner(a) {}
  void* allocate(size_t n, const Device& d) override {
    void* p = inner->allocate(n, d);
    std::lock_guard<std::mutex> l(mu);
    sizes[p] = n;
    live += n;
    peak = std::max(peak, live);
    return p;
  }
  void deallocate(void* p, const Device& d) override {
    {
      std::lock_guard<std::mutex> l(mu);
      auto it = sizes.find(p);
      if (it != sizes.end()) {
        live -= it->second;
        sizes.erase(it);
      }
    }
    inner->deallocate(p, d);
  }
  void copy(void* dst, const Device& dd, const void* src, const Device& sd, size_t n) override {
    inner->copy(dst, dd, src, sd, n);
  }
  size_t now() {
    std::lock_guard<std::mutex> l(mu);
    return live;
  }
  void reset_peak() {
    std::lock_guard<std::mutex> l(mu);
    peak = live;
  }
  size_t high() {
    std::lock_guard<std::mutex> l(mu);
    return peak;
  }
};

CountingAllocator& counter() {
  static CountingAllocator* c = [] {
    auto* a = new CountingAllocator(get_allocator(DeviceType::CPU));
    set_allocator(DeviceType::CPU, a);
    return a;
  }();
  return *c;
}

constexpr double kMiB = 1024.0 * 1024.0;
constexpr int64_t kBatch = 64;

struct Models {
  std::shared_ptr<gan::GeneratorNet> G;
  std::shared_ptr<gan::DiscriminatorNet> D;
  RandomState rng{8};
  Tensor real;
  explicit Models(const std::string& name) {
    manual_seed(0);
    gan::ModelConfig c;
    G = gan::make_generator(name, c);
    D = gan::make_discriminator(name, c);
    nn::init::dcgan_(*G);
    nn::init::dcgan_(*D);
    real = tanh(randn({kBatch, 1, 28, 28}, {}, &rng));
  }
  Tensor z() { return randn({kBatch, 100}, {}, &rng); }
};

// Runs `forward` (which returns the loss and leaves the graph alive) and then
// the backward, recording the two figures.
template <typename Forward>
void measure(benchmark::State& state, Forward forward) {
  CountingAllocator& c = counter();
  double graph = 0, peak = 0;
  for (auto _ : state) {
    const size_t base = c.now();
    c.reset_peak();
    Tensor loss = forward();
    graph = static_cast<double>(c.now() - base) / kMiB;
    loss.backward();
    peak = static_cast<double>(c.high() - base) / kMiB;
  }
  state.counters["graph_MiB"] = graph;
  state.counters["peak_MiB"] = peak;
}

void BM_graph_dcgan_d(benchmark::State& state) {
  counter();
  Models m("dcgan");
  measure(state, [&] {
    Tensor fake = m.G->forward(m.z()).detach();
    return gan::discriminator_loss(gan::LossKind::NonSaturating, m.D->forward(m.real),
                                   m.D->forward(fake));
  });
}
BENCHMARK(BM_graph_dcgan_d)->Iterations(3)->Unit(benchmark::kMillisecond);

void BM_graph_dcgan_g(benchmark::State& state) {
  counter();
  Models m("dcgan");
  m.D->requires_grad_(false);
  measure(state, [&] {
    return gan::generator_loss(gan::LossKind::NonSaturating, m.D->forward(m.G->forward(m.z())));
  });
}
BENCHMARK(BM_graph_dcgan_g)->Iterations(3)->Unit(benchmark::kMillisecond);

void BM_graph_wgangp_critic(benchmark::State& state) {
  counter();
  Models m("wgan-gp");
  RandomState gp_rng(9);
  measure(state, [&] {
    Tensor fake = m.G->forward(m.z()).detach();
    Tensor loss = gan::discriminator_loss(gan::LossKind::Wasserstein, m.D->forward(m.real),
                                          m.D->forward(fake));
    return add(loss, mul(gan::gradient_penalty(*m.D, m.real, fake, Tensor(), &gp_rng), 10.0));
  });
}
BENCHMARK(BM_graph_wgangp_critic)->Iterations(3)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
