// examples/tiny_gan.cpp — a whole GAN in one page, on Gantry's public API:
// G maps 2-D noise to points, D tells them from samples of a ring of eight
// Gaussians (the classic mode-collapse test of the unrolled-GAN paper).
// Nonsaturating loss, Adam (lr 1e-3, betas 0.5/0.999), one D and one G
// step per iteration — the same loop gan/trainer.cpp runs, without its
// checkpoints, logs and monitors. Exits 1 unless G covers at least 6 modes.
//
//   ./build/examples/tiny_gan [steps]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "autograd/ops.h"
#include "core/rng.h"
#include "nn/layers.h"
#include "optim/adam.h"

using namespace gantry;

// An MLP 2 -> 64 -> 64 -> out with LeakyReLU(0.2).
std::shared_ptr<nn::Sequential> mlp(int64_t out) {
  return std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(2, 64), std::make_shared<nn::LeakyReLU>(0.2),
      std::make_shared<nn::Linear>(64, 64), std::make_shared<nn::LeakyReLU>(0.2),
      std::make_shared<nn::Linear>(64, out)});
}

// The eight mode centres on a circle of radius 2. [8, 2]
Tensor ring_centres() {
  std::vector<float> c;
  for (int k = 0; k < 8; ++k) {
    c.push_back(static_cast<float>(2 * std::cos(2 * M_PI * k / 8)));
    c.push_back(static_cast<float>(2 * std::sin(2 * M_PI * k / 8)));
  }
  return from_vector<float>(c, {8, 2});
}

// n points from the ring: a random mode each, plus N(0, 0.05^2) noise. [n, 2]
Tensor real_batch(int64_t n, RandomState& rng) {
  static const Tensor centres = ring_centres();
  Tensor k = randint(0, 8, {n}, kInt64, &rng);
  return add(index_select(centres, 0, k), mul(randn({n, 2}, {}, &rng), 0.05));
}

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::atoi(argv[1]) : 2000;
  manual_seed(0);
  RandomState rng(1);
  auto G = mlp(2), D = mlp(1);
  optim::AdamOptions o;
  o.lr = 1e-3;
  o.beta1 = 0.5;
  optim::Adam opt_g(G->parameters(), o), opt_d(D->parameters(), o);
  const int64_t B = 128;
  for (int step = 1; step <= steps; ++step) {
    // D step: real -> 1, fake -> 0. G's output is detached: no G graph is kept.
    Tensor fake = G->forward(randn({B, 2}, {}, &rng)).detach();
    Tensor d_loss = add(binary_cross_entropy_with_logits(D->forward(real_batch(B, rng)), ones({B, 1})),
                        binary_cross_entropy_with_logits(D->forward(fake), zeros({B, 1})));
    opt_d.zero_grad();
    d_loss.backward();
    opt_d.step();
    // G step (nonsaturating): make D call fakes real. D is frozen meanwhile.
    D->requires_grad_(false);
    Tensor g_loss =
        binary_cross_entropy_with_logits(D->forward(G->forward(randn({B, 2}, {}, &rng))), ones({B, 1}));
    opt_g.zero_grad();
    g_loss.backward();
    opt_g.step();
    D->requires_grad_(true);
    if (step % 500 == 0)
      std::printf("step %5d  d_loss %.4f  g_loss %.4f\n", step, d_loss.item<double>(),
                  g_loss.item<double>());
  }
  // Which modes do 2000 samples land near (within 0.3)?
  NoGradGuard ng;
  const std::vector<float> p = G->forward(randn({2000, 2}, {}, &rng)).to_vector<float>();
  int hits[8] = {}, near = 0;
  for (size_t i = 0; i < p.size(); i += 2)
    for (int k = 0; k < 8; ++k) {
      const double dx = p[i] - 2 * std::cos(2 * M_PI * k / 8), dy = p[i + 1] - 2 * std::sin(2 * M_PI * k / 8);
      if (dx * dx + dy * dy < 0.09) ++hits[k], ++near;
    }
  int modes = 0;
  for (int h : hits) modes += h >= 20;  // a mode counts with >= 1 % of the samples
  std::printf("modes covered: %d of 8; %.1f %% of samples within 0.3 of a mode\n", modes,
              100.0 * near / 2000);
  return modes >= 6 ? 0 : 1;
}
