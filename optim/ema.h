// optim/ema.h — an exponential moving average of a module's weights (the
// "EMA generator" of GAN training: samples from the averaged weights are
// smoother than those of the live ones).
//
//   optim::EMA ema(*G, 0.999);
//   ... after each G step:  ema.update(*G);
//   ... to sample:          ema.copy_to(*G_ema);
//
// update():  shadow = decay * shadow + (1 - decay) * param   for parameters,
//            shadow = buffer                                  for buffers
//            (batch-norm running stats, counters).
// Ramp-up (StyleGAN): rampup_decay() gives the decay whose half-life, in
// images, is at most a fraction of the images seen so far, so the average
// does not drag the random initial weights along early in a run.
// The shadow is kept under the source's state_dict() names, in its order, so
// state_dict() is a valid state dict for a module of the same architecture.
#pragma once
#include "nn/module.h"

namespace gantry {
namespace optim {

class EMA {
 public:
  // Starts the shadow as a copy of src's parameters and buffers.
  EMA(const nn::Module& src, double decay);
  // src must have the architecture the EMA was built from (same names, shapes).
  void update(const nn::Module& src);
  // Writes the shadow into dst's parameters and buffers, in place.
  void copy_to(nn::Module& dst) const;
  // The shadow by name (detached views of the live shadow tensors).
  nn::NamedTensors state_dict() const;
  // Copies values into the shadow; names and shapes must match exactly.
  void load_state_dict(const nn::NamedTensors& sd);
  double decay() const { return decay_; }
  // For the next update()s; in [0, 1].
  void set_decay(double decay);
  // The decay for a step of `batch` images after `images_seen` images:
  // min(decay, 0.5^(batch / (rampup * images_seen))), i.e. the half-life
  // (batch * ln 0.5 / ln decay images) capped at rampup * images_seen.
  // 0 before any image has been seen (the average is the model).
  static double rampup_decay(double decay, double rampup, int64_t batch, int64_t images_seen);

 private:
  double decay_;
  nn::NamedTensors shadow_;   // src.state_dict() order
  std::vector<bool> is_param_;  // per shadow entry: averaged (true) or copied
};

}  // namespace optim
}  // namespace gantry
