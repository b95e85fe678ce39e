// bench/dcgan_step.h — one DCGAN training iteration at a fixed batch, the unit
// of work both `bench_ops` (BM_dcgan_iteration) and `gantry bench` time.
//
// One iteration = what `gantry train` does per step on random "images":
//   D step: fake = G(z); loss_D = BCE-with-logits(D(real), 1) + (D(fake.detach()), 0)
//   G step: D's parameters frozen (no weight-gradient work); loss_G = BCE(D(fake), 1)
//   Adam (lr 2e-4, betas 0.5/0.999) on both.
// Shapes: z [B,100], real/fake [B,1,28,28], D(x) [B,1,1,1].
// On cuda the weights are initialized on the CPU and moved; the noise is drawn
// on the device; sync() waits for the device (a no-op on the CPU).
#pragma once
#include <cstdint>
#include <memory>

#include "autograd/ops.h"
#include "core/rng.h"
#include "gan/losses.h"
#include "gan/models/dcgan/dcgan.h"
#include "nn/init.h"
#include "optim/adam.h"
#ifdef GANTRY_WITH_CUDA
#include "kernels/cuda/runtime.h"
#endif

namespace gantry {
namespace bench {

struct DCGANStep {
  gan::DCGANGenerator G;
  gan::DCGANDiscriminator D;
  std::unique_ptr<optim::Adam> opt_g, opt_d;
  RandomState rng;
  Tensor real;  // [B,1,28,28]
  int64_t batch;
  Device device;

  explicit DCGANStep(int64_t batch_size = 64, uint64_t seed = 0, Device dev = kCPU)
      : rng(seed + 8), batch(batch_size), device(dev) {
    manual_seed(seed);
    nn::init::dcgan_(G);
    nn::init::dcgan_(D);
    G.to(dev);
    D.to(dev);
    optim::AdamOptions o;
    o.lr = 2e-4;
    o.beta1 = 0.5;
    opt_g = std::make_unique<optim::Adam>(G.parameters(), o);
    opt_d = std::make_unique<optim::Adam>(D.parameters(), o);
    real = tanh(randn({batch, 1, 28, 28}, {}, &rng)).to(dev);
  }

  void sync() const {
#ifdef GANTRY_WITH_CUDA
    if (device.is_cuda()) cuda::synchronize(device.index);
#endif
  }

  void run() {
    Tensor fake = G.forward(randn({batch, 100}, Options().device(device), &rng));  // [B,1,28,28]
    Tensor d_loss = gan::discriminator_loss(gan::LossKind::NonSaturating, D.forward(real),
                                            D.forward(fake.detach()));
    opt_d->zero_grad();
    d_loss.backward();
    opt_d->step();
    D.requires_grad_(false);
    Tensor g_loss = gan::generator_loss(gan::LossKind::NonSaturating, D.forward(fake));
    opt_g->zero_grad();
    g_loss.backward();
    opt_g->step();
    D.requires_grad_(true);
  }
};

}  // namespace bench
}  // namespace gantry
