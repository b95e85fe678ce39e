// gan/checkpoint.h — training checkpoints: what Trainer::save_checkpoint and
// load_checkpoint write and read (gan/checkpoint.cpp), and reading a
// generator back for sampling and evaluation without building a Trainer.
//
// A checkpoint is a safetensors file (Python can read it), written to a
// temporary file, flushed and renamed. Tensors: G.*, D.*, opt_G.*, opt_D.*,
// ema.* (with EMA). Metadata: the format and its version, model, step, every
// option (config, as TOML), the RNG seeds and offsets, the data order, the
// learning-rate scale and the rollback count.
//
// Format versions (metadata "format_version"; the reader takes 1..current):
//   1  metadata "format" = "gantry-checkpoint-1", no format_version key
//      (checkpoints written before versions were counted; tests/fixtures/
//      holds one)
//   2  "format" = "gantry-checkpoint", "format_version" = "2"; adds
//      "rollbacks" (the divergence guard's count, kept across --resume) and
//      "g_width" (G's width; format 1 had only 64)
//   3  adds "resolution" (formats 1 and 2: 28) and, for growing models,
//      "images_seen", "growth_schedule", "growth_level", "growth_alpha",
//      "start_resolution", "fmap_base", "fmap_max", "mbstd_group"
//
//   gan::LoadedGenerator g = gan::load_generator("runs/wgan-gp/checkpoint.safetensors", true);
//   Tensor x = g.net->generate(randn({16, g.net->config.latent}), Tensor());  // [16,1,28,28]
#pragma once
#include <map>
#include <memory>
#include <string>

#include "gan/models/model.h"

namespace gantry {
namespace gan {

constexpr int kCheckpointFormatVersion = 3;

// The format version of a checkpoint's metadata; anything that is not a
// Gantry checkpoint of version 1..kCheckpointFormatVersion is a one-line
// error naming `path`.
int checkpoint_format_version(const std::map<std::string, std::string>& metadata,
                              const std::string& path);

struct LoadedGenerator {
  std::shared_ptr<GeneratorNet> net;  // in eval mode
  std::string model;                  // "dcgan", "wgan-gp", ...
  int64_t step = 0;                   // generator steps trained
  bool ema = false;                   // the EMA weights were loaded
  int format_version = 0;             // of the file
};

// use_ema: load the EMA generator's weights (an error if the run had none).
LoadedGenerator load_generator(const std::string& checkpoint, bool use_ema);

// Helpers of every checkpoint format (this one, gan/sr_trainer.h's): tensors
// of several modules in one file under "PREFIX." names, and metadata read
// with errors that name the file and the key.
namespace ckpt {
void add_prefixed(nn::NamedTensors& out, const std::string& prefix, const nn::NamedTensors& in);
nn::NamedTensors take_prefixed(const nn::NamedTensors& all, const std::string& prefix);
std::string meta(const std::map<std::string, std::string>& m, const std::string& key, const std::string& path);
int64_t meta_int(const std::map<std::string, std::string>& m, const std::string& key, const std::string& path);
}  // namespace ckpt

}  // namespace gan
}  // namespace gantry
