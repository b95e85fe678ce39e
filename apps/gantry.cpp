// apps/gantry.cpp — the `gantry` command-line program.
//
//   gantry demo [--steps N] [--seed S] [--threads T]   train a 2-layer MLP on XOR
//                                                       and on a 1-D regression
//   gantry info                                         build and device summary
//
// The GAN commands (train, sample, eval, bench) arrive with later issues; the
// demo is the end-to-end proof that tensors, kernels and autograd work
// together: a hand-written SGD loop, no nn/ or optim/ yet.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "autograd/ops.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "kernels/registry.h"
#ifdef GANTRY_WITH_CUDA
#include "kernels/cuda/runtime.h"
#endif

using namespace gantry;

namespace {

struct Mlp {
  Tensor w1, b1, w2, b2;  // [H,in] [H] [out,H] [out]
  Mlp(int64_t in, int64_t hidden, int64_t out) {
    // Kaiming-uniform-like init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    auto init = [](const Shape& s, int64_t fan_in) {
      double k = 1.0 / std::sqrt(static_cast<double>(fan_in));
      Tensor t = sub(mul(rand(s), 2 * k), k).detach();
      t.requires_grad_(true);
      return t;
    };
    w1 = init({hidden, in}, in);
    b1 = init({hidden}, in);
    w2 = init({out, hidden}, hidden);
    b2 = init({out}, hidden);
  }
  Tensor forward(const Tensor& x) const { return linear(tanh(linear(x, w1, b1)), w2, b2); }
  void sgd_step(double lr) {
    NoGradGuard ng;
    for (Tensor* p : {&w1, &b1, &w2, &b2}) {
      Tensor updated = sub(*p, mul(p->grad(), lr));
      core::copy_(*p, updated);  // in place: the parameter keeps its identity
      p->set_grad(Tensor());
    }
  }
};

double train(Mlp& m, const Tensor& x, const Tensor& y, int steps, double lr, bool verbose,
             const char* name) {
  double l = 0;
  for (int s = 1; s <= steps; ++s) {
    Tensor loss = mean(square(sub(m.forward(x), y)));
    loss.backward();
    m.sgd_step(lr);
    l = loss.item<double>();
    if (verbose && (s % (steps / 10) == 0 || s == 1))
      std::printf("  %-10s step %5d  mse %.6f\n", name, s, l);
  }
  return l;
}

int demo(int steps, uint64_t seed) {
  manual_seed(seed);
  std::printf("XOR: 2-16-1 tanh MLP, full-batch SGD (lr 0.1), %d steps\n", steps);
  Tensor x = from_vector<float>({0, 0, 0, 1, 1, 0, 1, 1}, {4, 2});
  Tensor y = from_vector<float>({0, 1, 1, 0}, {4, 1});
  Mlp xor_net(2, 16, 1);
  double lx = train(xor_net, x, y, steps, 0.1, true, "xor");
  std::cout << "  predictions: " << xor_net.forward(x).detach().reshape({4}) << "\n";

  std::printf("Regression: y = sin(3x) on [-1,1], 1-32-1 tanh MLP, %d steps\n", steps);
  Tensor xr = linspace(-1, 1, 128).reshape({128, 1});
  Tensor yr = gantry::detach(core::clone(xr));
  {
    auto v = xr.to_vector<float>();
    for (auto& t : v) t = std::sin(3 * t);
    yr = from_vector<float>(v, {128, 1});
  }
  Mlp reg(1, 32, 1);
  double lr_ = train(reg, xr, yr, steps, 0.2, true, "regression");
  std::printf("final: xor mse %.6f (target < 0.01), regression mse %.6f (target < 0.01)\n", lx,
              lr_);
  return (lx < 0.01 && lr_ < 0.01) ? 0 : 1;
}

int info() {
  std::printf("gantry: threads=%d\n", get_num_threads());
#ifdef GANTRY_WITH_CUDA
  if (cuda::is_available())
    std::printf("cuda: %d device(s)\n", cuda::device_count());
  else
    std::printf("cuda: built, unavailable (%s)\n", cuda::unavailable_reason().c_str());
#else
  std::printf("cuda: not built (GANTRY_CUDA=OFF)\n");
#endif
  auto ops = kernels::Registry::instance().ops();
  std::printf("registered ops (%zu):", ops.size());
  for (auto& o : ops) std::printf(" %s", o.c_str());
  std::printf("\n");
  return 0;
}

void usage() {
  std::fprintf(stderr,
               "usage: gantry demo [--steps N] [--seed S] [--threads T]\n"
               "       gantry info\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage();
    return 2;
  }
  std::string cmd = argv[1];
  int steps = 3000, threads = 0;
  uint64_t seed = 0;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "gantry: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    try {
      if (a == "--steps") steps = std::stoi(next());
      else if (a == "--seed") seed = std::stoull(next());
      else if (a == "--threads") threads = std::stoi(next());
      else {
        std::fprintf(stderr, "gantry: unknown option %s\n", a.c_str());
        usage();
        return 2;
      }
    } catch (const std::exception&) {
      std::fprintf(stderr, "gantry: bad value for %s\n", a.c_str());
      return 2;
    }
  }
  try {
    if (threads > 0) set_num_threads(threads);
    if (cmd == "demo") return demo(std::max(steps, 10), seed);
    if (cmd == "info") return info();
    usage();
    return 2;
  } catch (const gantry::Error& e) {
    std::fprintf(stderr, "gantry: error: %s\n", e.what());
    return 1;
  }
}
