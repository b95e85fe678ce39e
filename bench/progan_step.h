// bench/progan_step.h — one progressive-GAN training iteration at 32x32 and
// batch 64 on random "images", as `gantry train --model progan` runs it at
// its last phase (configs/progan.toml's widths):
//   D step: fake = G(z) (no graph: one critic step reuses it detached);
//           loss_D = E[D(fake)] - E[D(real)] + 10 * GP + 0.001 * E[D(real)^2]
//           (the gradient penalty differentiates D twice)
//   G step: D frozen; loss_G = -E[D(G(z))]
//   Adam (lr 1e-3, betas 0/0.99) on both.
// alpha < 1 times a step of the fade-in to 32x32 (both paths run).
// Shapes: z [64,100], real/fake [64,1,32,32].
#pragma once
#include <cstdint>
#include <memory>

#include "autograd/ops.h"
#include "core/rng.h"
#include "gan/losses.h"
#include "gan/models/progan/progan.h"
#include "gan/penalties.h"
#include "optim/adam.h"

namespace gantry {
namespace bench {

struct ProGANStep {
  std::unique_ptr<gan::ProGANGenerator> G;
  std::unique_ptr<gan::ProGANDiscriminator> D;
  std::unique_ptr<optim::Adam> opt_g, opt_d;
  RandomState rng;
  Tensor real;  // [B,1,32,32]
  int64_t batch;

  explicit ProGANStep(double alpha, int64_t batch_size = 64, uint64_t seed = 0) : rng(seed + 8), batch(batch_size) {
    manual_seed(seed);
    gan::ModelConfig c;
    c.resolution = 32;
    c.fmap_base = 512;
    c.fmap_max = 64;
    G = std::make_unique<gan::ProGANGenerator>(c);
    D = std::make_unique<gan::ProGANDiscriminator>(c);
    G->set_growth(G->max_level(), alpha);
    D->set_growth(D->max_level(), alpha);
    optim::AdamOptions o;
    o.lr = 1e-3;
    o.beta1 = 0.0;
    o.beta2 = 0.99;
    opt_g = std::make_unique<optim::Adam>(G->parameters(), o);
    opt_d = std::make_unique<optim::Adam>(D->parameters(), o);
    real = tanh(randn({batch, 1, 32, 32}, {}, &rng));
  }

  void run() {
    Tensor fake = G->generate(randn({batch, 100}, {}, &rng), Tensor());  // [B,1,32,32]
    Tensor d_real = D->score(real, Tensor()), d_fake = D->score(fake.detach(), Tensor());
    Tensor d_loss = gan::discriminator_loss(gan::LossKind::Wasserstein, d_real, d_fake);
    d_loss = add(d_loss, mul(gan::gradient_penalty(*D, real, fake.detach(), Tensor(), &rng), 10.0));
    d_loss = add(d_loss, mul(mean(mul(d_real, d_real)), 0.001));
    opt_d->zero_grad();
    d_loss.backward();
    opt_d->step();
    D->requires_grad_(false);
    Tensor g_loss = gan::generator_loss(gan::LossKind::Wasserstein, D->score(fake, Tensor()));
    opt_g->zero_grad();
    g_loss.backward();
    opt_g->step();
    D->requires_grad_(true);
  }
};

}  // namespace bench
}  // namespace gantry
