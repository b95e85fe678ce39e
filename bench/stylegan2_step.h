// bench/stylegan2_step.h — the StyleGAN2 training step at 32x32 and batch 32
// on random "images", as `gantry train --config configs/stylegan2.toml` runs
// it, split into the trainer's phases:
//   D step: fakes from style-mixed ws (no graph), non-saturating logistic
//           loss; with_reg then takes R1's own Adam step (a double backward
//           through D), as every 16th D step does
//   G step: D frozen, loss on D(G(z)) (style mixing); with_reg then takes the
//           path-length penalty's own step on batch/2 latents (a double
//           backward through synthesis), as every 4th G step does
//   Adam (0.0025 scaled by the lazy ratio, betas 0/0.99) on both.
#pragma once
#include <cstdint>
#include <memory>

#include "autograd/ops.h"
#include "core/rng.h"
#include "gan/latent.h"
#include "gan/losses.h"
#include "gan/models/stylegan/stylegan2.h"
#include "gan/penalties.h"
#include "optim/adam.h"

namespace gantry {
namespace bench {

struct StyleGAN2Step {
  std::unique_ptr<gan::StyleGAN2Generator> G;
  std::unique_ptr<gan::StyleGAN2Discriminator> D;
  std::unique_ptr<optim::Adam> opt_g, opt_d;
  RandomState rng;
  Tensor real;  // [B,1,32,32]
  int64_t batch;
  double pl_mean = 0;

  explicit StyleGAN2Step(int64_t batch_size = 32, uint64_t seed = 0) : rng(seed + 9), batch(batch_size) {
    manual_seed(seed);
    gan::ModelConfig c;  // configs/stylegan2.toml's network
    c.latent = 128;
    c.resolution = 32;
    c.w_dim = 128;
    c.mapping_layers = 8;
    c.fmap_base = 1024;
    c.fmap_max = 64;
    G = std::make_unique<gan::StyleGAN2Generator>(c);
    D = std::make_unique<gan::StyleGAN2Discriminator>(c);
    optim::AdamOptions o;
    o.lr = 0.0025;
    o.beta1 = 0.0;
    o.beta2 = 0.99;
    opt_g = std::make_unique<optim::Adam>(G->parameters(), o);
    opt_d = std::make_unique<optim::Adam>(D->parameters(), o);
    real = tanh(randn({batch, 1, 32, 32}, {}, &rng));
  }

  Tensor fakes(int64_t n) {
    return G->synthesis(gan::mixed_ws(*G, randn({n, 128}, {}, &rng), 0.9, &rng), gan::NoiseMode::Random);
  }

  void d_step(bool with_reg) {
    Tensor fake;
    {
      NoGradGuard ng;
      fake = fakes(batch);
    }
    Tensor loss = gan::discriminator_loss(gan::LossKind::NonSaturating, D->score(real, Tensor()),
                                          D->score(fake, Tensor()));
    opt_d->zero_grad();
    loss.backward();
    opt_d->step();
    if (with_reg) {  // R1 as its own step (lazy_adam), as the trainer runs it
      Tensor r1 = mul(gan::r1_penalty(*D, real, Tensor()), 0.5 * 0.01 * 16);
      opt_d->zero_grad();
      r1.backward();
      opt_d->step();
    }
  }

  void g_step(bool with_reg) {
    D->requires_grad_(false);
    Tensor loss = gan::generator_loss(gan::LossKind::NonSaturating, D->score(fakes(batch), Tensor()));
    opt_g->zero_grad();
    loss.backward();
    opt_g->step();
    if (with_reg) {  // the path length as its own step (lazy_adam), as the trainer runs it
      const Tensor ws = gan::mixed_ws(*G, randn({batch / 2, 128}, {}, &rng), 0.9, &rng);
      Tensor pl = mul(gan::path_length_penalty(*G, ws, &pl_mean, 0.01, &rng), 2.0 * 4);
      opt_g->zero_grad();
      pl.backward();
      opt_g->step();
    }
    D->requires_grad_(true);
  }
};

}  // namespace bench
}  // namespace gantry
