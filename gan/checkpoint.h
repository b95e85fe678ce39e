// gan/checkpoint.h — reading a generator back from a training checkpoint
// (the safetensors file Trainer::save_checkpoint writes), for sampling and
// evaluation without building a Trainer.
//
//   gan::LoadedGenerator g = gan::load_generator("runs/wgan-gp/checkpoint.safetensors", true);
//   Tensor x = g.net->generate(randn({16, g.net->config.latent}), Tensor());  // [16,1,28,28]
#pragma once
#include <memory>
#include <string>

#include "gan/models/model.h"

namespace gantry {
namespace gan {

struct LoadedGenerator {
  std::shared_ptr<GeneratorNet> net;  // in eval mode
  std::string model;                  // "dcgan", "wgan-gp", ...
  int64_t step = 0;                   // generator steps trained
  bool ema = false;                   // the EMA weights were loaded
};

// use_ema: load the EMA generator's weights (an error if the run had none).
LoadedGenerator load_generator(const std::string& checkpoint, bool use_ema);

}  // namespace gan
}  // namespace gantry
