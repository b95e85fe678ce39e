// tests/test_threads.cpp — what two threads may do at once: build and run
// graphs on shared parameters (leaf records, accumulation into .grad, hooks),
// force kernel algorithms while others dispatch, and draw from one
// RandomState while another thread reseeds it. scripts/tsan.sh runs this
// program under ThreadSanitizer (a CI step), where a data race is a failure
// even when the results happen to come out right.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "autograd/engine.h"
#include "autograd/ops.h"
#include "core/rng.h"
#include "kernels/registry.h"

using namespace gantry;

namespace {
// Runs f(0..n-1) on n threads and joins them.
template <typename F>
void on_threads(int n, F f) {
  std::vector<std::thread> ts;
  for (int i = 0; i < n; ++i) ts.emplace_back(f, i);
  for (auto& t : ts) t.join();
}
}  // namespace

TEST_CASE("threads: graphs on shared parameters accumulate every gradient",
          "[threads][autograd]") {
  // Integer-valued float64 data: every partial sum is exact, so the final
  // .grad is the same whatever order the threads accumulate in.
  Tensor w = from_vector<double>({1, 2, 3, 4, 5, 6}, {3, 2});
  w.requires_grad_(true);
  Tensor b = from_vector<double>({1, -1}, {2});
  b.requires_grad_(true);
  std::atomic<int> hook_calls{0};
  w.register_hook([&](const Tensor&) {
    ++hook_calls;
    return Tensor();
  });
  const int kThreads = 4, kSteps = 25;
  on_threads(kThreads, [&](int t) {
    for (int s = 0; s < kSteps; ++s) {
      // x [2,3] differs per thread and step; loss = sum(relu(x w + b)) ... all positive here.
      Tensor x = full({2, 3}, static_cast<double>(t + 1), kFloat64);
      Tensor y = add(mm(x, w), b);
      sum(mul(y, 2.0)).backward();
    }
  });
  // d/dw sum(2 (x w + b)) = 2 x^T 1: each column gets 2 * sum over rows of x = 4 (t+1).
  double per_step = 0;
  for (int t = 0; t < kThreads; ++t) per_step += 4.0 * (t + 1);
  const std::vector<double> gw = w.grad().to_vector<double>();
  for (double v : gw) CHECK(v == per_step * kSteps);
  const std::vector<double> gb = b.grad().to_vector<double>();
  for (double v : gb) CHECK(v == 2.0 * 2 * kThreads * kSteps);
  CHECK(hook_calls.load() == kThreads * kSteps);
}

TEST_CASE("threads: autograd::grad with create_graph on shared parameters",
          "[threads][autograd]") {
  Tensor w = from_vector<double>({0.5, -0.25, 0.75}, {3});
  w.requires_grad_(true);
  std::vector<double> results(4);
  on_threads(4, [&](int t) {
    for (int s = 0; s < 20; ++s) {
      Tensor x = full({3}, 1.0 + t, kFloat64);
      x.requires_grad_(true);
      Tensor y = sum(tanh(mul(x, w)));
      Tensor gx = autograd::grad({y}, {x}, {}, /*create_graph=*/true)[0];
      Tensor pen = sum(mul(gx, gx));  // a gradient penalty on shared w
      results[t] = autograd::grad({pen}, {w})[0].to_vector<double>()[0];
    }
  });
  // Each thread's result equals the single-threaded one.
  for (int t = 0; t < 4; ++t) {
    Tensor x = full({3}, 1.0 + t, kFloat64);
    x.requires_grad_(true);
    Tensor gx = autograd::grad({sum(tanh(mul(x, w)))}, {x}, {}, true)[0];
    const double want = autograd::grad({sum(mul(gx, gx))}, {w})[0].to_vector<double>()[0];
    CHECK(results[t] == want);
  }
}

TEST_CASE("threads: forcing an algorithm while other threads dispatch", "[threads][registry]") {
  auto& reg = kernels::Registry::instance();
  const auto algos = reg.algorithms(kernels::OpId::conv2d, DeviceType::CPU, kFloat64);
  REQUIRE(algos.size() >= 2);
  Tensor x = randn({2, 3, 7, 7}, kFloat64), w = randn({4, 3, 3, 3}, kFloat64);
  const std::vector<double> ref = conv2d(x, w, Tensor()).to_vector<double>();
  std::atomic<bool> stop{false};
  std::atomic<int> mismatches{0};
  std::thread forcer([&] {
    for (int i = 0; !stop.load(); ++i)
      reg.force_algorithm(kernels::OpId::conv2d, i % 3 == 2 ? "" : algos[i % 2].name);
  });
  on_threads(2, [&](int) {
    for (int s = 0; s < 200; ++s) {
      const std::vector<double> got = conv2d(x, w, Tensor()).to_vector<double>();
      for (size_t i = 0; i < got.size(); ++i)
        if (std::abs(got[i] - ref[i]) > 1e-9 * (1 + std::abs(ref[i]))) {
          ++mismatches;
          break;
        }
    }
  });
  stop = true;
  forcer.join();
  reg.force_algorithm(kernels::OpId::conv2d, "");
  CHECK(mismatches.load() == 0);
}

TEST_CASE("threads: RandomState hands out disjoint counters under one seed",
          "[threads][rng]") {
  RandomState rs(42);
  std::vector<std::vector<std::pair<uint64_t, uint64_t>>> got(4);
  on_threads(4, [&](int t) {
    for (int i = 0; i < 500; ++i) got[t].push_back(rs.reserve(3));
  });
  std::set<uint64_t> starts;
  for (auto& v : got)
    for (auto& [seed, off] : v) {
      CHECK(seed == 42);
      CHECK(off % 3 == 0);
      starts.insert(off);
    }
  CHECK(starts.size() == 2000);  // no counter was handed out twice
  CHECK(*starts.rbegin() == 3 * 1999);

  // A reseed racing with draws: every draw sees a (seed, offset) pair that
  // existed, so each tensor equals the one drawn from that pair alone.
  RandomState shared(1);
  std::atomic<bool> stop{false};
  std::thread reseeder([&] {
    for (int i = 0; !stop.load(); ++i) shared.manual_seed(static_cast<uint64_t>(i % 2 + 1));
  });
  int checked = 0;
  for (int i = 0; i < 100; ++i) {
    Tensor r = rand({4}, kFloat64, &shared);
    const std::vector<double> v = r.to_vector<double>();
    bool found = false;
    for (uint64_t seed : {1ull, 2ull})
      for (uint64_t off = 0; off <= 4 * 100 && !found; off += 4) {
        RandomState probe(seed);
        probe.set_offset(off);
        if (rand({4}, kFloat64, &probe).to_vector<double>() == v) found = true;
      }
    checked += found;
  }
  stop = true;
  reseeder.join();
  CHECK(checked == 100);
}
