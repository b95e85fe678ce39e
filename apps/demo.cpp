// apps/demo.cpp — `gantry demo`: a 2-layer MLP trained with a hand-written
// SGD loop on XOR and on y = sin(3x) — tensors, kernels and autograd working
// together with nothing above them.
//
//   gantry demo [--steps N] [--seed S] [--threads T]
#include <cmath>
#include <cstdio>
#include <iostream>

#include "apps/cli.h"
#include "autograd/ops.h"
#include "core/parallel.h"
#include "core/rng.h"

namespace gantry {
namespace cli {

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
  auto v = xr.to_vector<float>();
  for (auto& t : v) t = std::sin(3 * t);
  Tensor yr = from_vector<float>(v, {128, 1});
  Mlp reg(1, 32, 1);
  double lr_ = train(reg, xr, yr, steps, 0.2, true, "regression");
  std::printf("final: xor mse %.6f (target < 0.01), regression mse %.6f (target < 0.01)\n", lx,
              lr_);
  return (lx < 0.01 && lr_ < 0.01) ? 0 : 1;
}

}  // namespace

int run_demo(int argc, char** argv) {
  Flags f(argc, argv, 2, "gantry demo", "The MLP demo: XOR and a regression.",
          {{"steps", "N", "training steps (default 3000)"},
           {"seed", "S", "seed (default 0)"},
           {"threads", "T", "CPU threads (default all)"}});
  const long long steps = f.integer("steps", 3000), threads = f.integer("threads", 0);
  if (steps < 10) throw UsageError{"--steps must be at least 10"};
  if (threads > 0) set_num_threads(static_cast<int>(threads));
  return demo(static_cast<int>(steps), static_cast<uint64_t>(f.integer("seed", 0)));
}

}  // namespace cli
}  // namespace gantry
