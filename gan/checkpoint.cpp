// gan/checkpoint.cpp — checkpoint I/O (see checkpoint.h): the trainer's
// save/load of everything a bit-exact resume needs, the format version, and
// load_generator for sampling.
#include "gan/checkpoint.h"

#include <cmath>
#include <cstdio>

#include "gan/trainer.h"
#include "nn/safetensors.h"
#include "optim/ema.h"

namespace gantry {
namespace gan {

namespace ckpt {
void add_prefixed(nn::NamedTensors& out, const std::string& prefix, const nn::NamedTensors& in) {
  for (const auto& kv : in) out.push_back({prefix + kv.first, kv.second});
}
nn::NamedTensors take_prefixed(const nn::NamedTensors& all, const std::string& prefix) {
  nn::NamedTensors r;
  for (const auto& kv : all)
    if (kv.first.rfind(prefix, 0) == 0) r.push_back({kv.first.substr(prefix.size()), kv.second});
  return r;
}
std::string meta(const std::map<std::string, std::string>& m, const std::string& k,
                 const std::string& path) {
  auto it = m.find(k);
  GANTRY_CHECK(it != m.end(), "checkpoint ", path, ": metadata has no '", k, "'");
  return it->second;
}
int64_t meta_int(const std::map<std::string, std::string>& m, const std::string& k,
                 const std::string& path) {
  const std::string v = meta(m, k, path);
  try {
    size_t used = 0;
    const long long x = std::stoll(v, &used);
    if (used == v.size()) return x;
  } catch (const std::exception&) {
  }
  throw Error("checkpoint " + path + ": metadata '" + k + "' = '" + v + "' is not an integer");
}
}  // namespace ckpt

using namespace ckpt;

namespace {
uint64_t meta_u64(const std::map<std::string, std::string>& m, const std::string& k,
                  const std::string& path) {
  const std::string v = meta(m, k, path);
  try {
    size_t used = 0;
    const unsigned long long x = std::stoull(v, &used);
    if (used == v.size() && v[0] != '-') return x;
  } catch (const std::exception&) {
  }
  throw Error("checkpoint " + path + ": metadata '" + k + "' = '" + v + "' is not an unsigned integer");
}
double meta_double(const std::map<std::string, std::string>& m, const std::string& k,
                   const std::string& path) {
  const std::string v = meta(m, k, path);
  try {
    size_t used = 0;
    const double x = std::stod(v, &used);
    if (used == v.size() && std::isfinite(x)) return x;
  } catch (const std::exception&) {
  }
  throw Error("checkpoint " + path + ": metadata '" + k + "' = '" + v + "' is not a finite number");
}
}  // namespace

int checkpoint_format_version(const std::map<std::string, std::string>& m, const std::string& path) {
  auto f = m.find("format");
  GANTRY_CHECK(f != m.end(), "checkpoint ", path, ": not a Gantry checkpoint (its metadata has no 'format')");
  if (f->second == "gantry-checkpoint-1" && !m.count("format_version")) return 1;
  GANTRY_CHECK(f->second == "gantry-checkpoint", "checkpoint ", path,
               ": not a Gantry checkpoint (format '", f->second, "')");
  auto v = m.find("format_version");
  GANTRY_CHECK(v != m.end(), "checkpoint ", path, ": metadata has no 'format_version'");
  int version = -1;
  try {
    size_t used = 0;
    version = std::stoi(v->second, &used);
    if (used != v->second.size()) version = -1;
  } catch (const std::exception&) {
  }
  GANTRY_CHECK(version >= 1 && version <= kCheckpointFormatVersion, "checkpoint ", path,
               ": unknown format version '", v->second, "' (this gantry reads versions 1 to ",
               kCheckpointFormatVersion, ")");
  return version;
}

// ------------------------------------------------------------- the trainer
void Trainer::save_checkpoint(const std::string& path) const {
  {
    NoGradGuard ng;
    for (const nn::Module* m : {static_cast<const nn::Module*>(G_.get()),
                                static_cast<const nn::Module*>(D_.get())})
      for (const auto& kv : m->state_dict()) {
        if (!is_floating(kv.second.dtype())) continue;
        GANTRY_CHECK(std::isfinite(sum(kv.second).item<double>()), "checkpoint ", path,
                     ": refusing to save: '", kv.first, "' holds non-finite values (step ",
                     step_, "); the previous checkpoint is kept");
      }
  }
  nn::NamedTensors all;
  add_prefixed(all, "G.", G_->state_dict());
  add_prefixed(all, "D.", D_->state_dict());
  add_prefixed(all, "opt_G.", opt_G_->state_dict());
  add_prefixed(all, "opt_D.", opt_D_->state_dict());
  if (ema_) add_prefixed(all, "ema.", ema_->state_dict());
  std::map<std::string, std::string> m;
  m["format"] = "gantry-checkpoint";
  m["format_version"] = std::to_string(kCheckpointFormatVersion);
  m["model"] = opt_.model;
  m["step"] = std::to_string(step_);
  m["config"] = opt_.to_toml();
  m["rng_seed"] = std::to_string(rng_.seed());
  m["rng_offset"] = std::to_string(rng_.offset());
  m["default_rng_seed"] = std::to_string(default_random_state().seed());
  m["default_rng_offset"] = std::to_string(default_random_state().offset());
  m["images_seen"] = std::to_string(images_seen_);  // growth schedules and the EMA ramp-up read it
  m["loader_epoch"] = std::to_string(loader_->epoch());
  m["loader_position"] = std::to_string(loader_->position());
  m["latent"] = std::to_string(opt_.latent);
  m["channels"] = std::to_string(G_->config.channels);
  m["num_classes"] = std::to_string(G_->config.num_classes);
  m["g_width"] = std::to_string(G_->config.g_width);
  if (G_->config.attention_at > 0) m["attention_at"] = std::to_string(G_->config.attention_at);
  m["resolution"] = std::to_string(G_->config.resolution);
  if (growth_) {
    // The schedule (a resumed run must have the same one), where it stands,
    // and the networks' sizes, so load_generator can rebuild them alone.
    m["growth_schedule"] = growth_signature();
    m["growth_level"] = std::to_string(growth_state_.phase);
    char alpha[40];
    std::snprintf(alpha, sizeof alpha, "%.17g", growth_state_.alpha);
    m["growth_alpha"] = alpha;
    m["start_resolution"] = std::to_string(G_->config.start_resolution);
  }
  if (style_) {  // W's shape for load_generator, and the path-length mean for an exact resume
    m["w_dim"] = std::to_string(G_->config.w_dim);
    m["mapping_layers"] = std::to_string(G_->config.mapping_layers);
    char v[40];
    std::snprintf(v, sizeof v, "%.17g", G_->config.mapping_lr_mul);
    m["mapping_lr_mul"] = v;
    std::snprintf(v, sizeof v, "%.17g", pl_mean_);
    m["pl_mean"] = v;
  }
  if (growth_ || style_) {
    m["fmap_base"] = std::to_string(G_->config.fmap_base);
    m["fmap_max"] = std::to_string(G_->config.fmap_max);
    m["mbstd_group"] = std::to_string(G_->config.mbstd_group);
  }
  if (ada_) {  // adaptive augmentation: p and the current interval's partial sums
    char v[40];
    std::snprintf(v, sizeof v, "%.17g", ada_->p());
    m["ada_p"] = v;
    std::snprintf(v, sizeof v, "%.17g", ada_->sign_sum());
    m["ada_sign_sum"] = v;
    m["ada_count"] = std::to_string(ada_->count());
    m["ada_steps"] = std::to_string(ada_->steps());
  }
  m["ema"] = ema_ ? "1" : "0";
  m["d_layout"] = opt_.d_layout;
  char scale[40];
  std::snprintf(scale, sizeof scale, "%.17g", lr_scale_);  // exact round trip
  m["lr_scale"] = scale;
  m["rollbacks"] = std::to_string(rollbacks_);
  nn::save_safetensors(path, all, m);
}

void Trainer::load_checkpoint(const std::string& path) {
  nn::SafetensorsFile f = nn::load_safetensors(path);
  const auto& m = f.metadata;
  const int version = checkpoint_format_version(m, path);
  GANTRY_CHECK(meta(m, "model", path) == opt_.model, "checkpoint ", path, " holds model '",
               meta(m, "model", path), "' but the run is for '", opt_.model, "'");
  GANTRY_CHECK((meta(m, "ema", path) == "1") == (ema_ != nullptr), "checkpoint ", path,
               ": EMA ", (ema_ ? "enabled" : "disabled"), " in this run but not in the checkpoint");
  // Checkpoints from before d_layout existed have the one layout there was.
  const std::string layout = m.count("d_layout") ? m.at("d_layout") : "dcgan";
  GANTRY_CHECK(layout == opt_.d_layout, "checkpoint ", path, ": its discriminator has d_layout '", layout,
               "' but the run's is '", opt_.d_layout, "'");
  const int64_t res = version >= 3 ? meta_int(m, "resolution", path) : 28;
  GANTRY_CHECK(res == G_->config.resolution, "checkpoint ", path, " is for resolution ", res,
               " but the run is for ", G_->config.resolution);
  if (growth_) {
    const std::string theirs = meta(m, "growth_schedule", path);
    GANTRY_CHECK(theirs == growth_signature(), "checkpoint ", path, " was trained with another growth schedule (",
                 theirs, "); this run's is ", growth_signature());
  }
  G_->load_state_dict(take_prefixed(f.tensors, "G."));
  D_->load_state_dict(take_prefixed(f.tensors, "D."));
  opt_G_->load_state_dict(take_prefixed(f.tensors, "opt_G."));
  opt_D_->load_state_dict(take_prefixed(f.tensors, "opt_D."));
  if (ema_) ema_->load_state_dict(take_prefixed(f.tensors, "ema."));
  step_ = meta_int(m, "step", path);
  if (m.count("lr_scale")) {
    try {
      lr_scale_ = std::stod(m.at("lr_scale"));
    } catch (const std::exception&) {
      throw Error("checkpoint " + path + ": metadata 'lr_scale' = '" + m.at("lr_scale") +
                  "' is not a number");
    }
    rebuild_schedules();
  }
  rollbacks_ = version >= 2 ? meta_int(m, "rollbacks", path) : 0;
  if (style_) pl_mean_ = meta_double(m, "pl_mean", path);
  if (ada_) {
    GANTRY_CHECK(m.count("ada_p"), "checkpoint ", path, " was trained without adaptive augmentation (augment = "
                 "\"ada\"), which this run uses");
    ada_->set_state(meta_double(m, "ada_p", path), meta_double(m, "ada_sign_sum", path),
                    meta_int(m, "ada_count", path), meta_int(m, "ada_steps", path));
  }
  rng_.manual_seed(meta_u64(m, "rng_seed", path));
  rng_.set_offset(meta_u64(m, "rng_offset", path));
  default_random_state().manual_seed(meta_u64(m, "default_rng_seed", path));
  default_random_state().set_offset(meta_u64(m, "default_rng_offset", path));
  // Checkpoints of fixed-resolution runs before images_seen was saved for
  // them: every step showed n_critic batches of the (fixed) batch size.
  images_seen_ = m.count("images_seen") ? meta_int(m, "images_seen", path)
                                         : step_ * opt_.n_critic * loader_->batch_size();
  if (growth_) {  // the phase's loader, then its position
    growth_state_ = growth_->at(images_seen_);
    enter_phase();
    set_net_growth();
  }
  loader_->seek(meta_int(m, "loader_epoch", path), meta_int(m, "loader_position", path));
}

std::string Trainer::growth_signature() const {
  std::string s = str(opt_.start_resolution, "->", G_->config.resolution, " phase_images ", opt_.phase_images,
                      " batch ", opt_.batch);
  for (const auto& kv : opt_.phase_batches()) s += str(" ", kv.first, ":", kv.second);
  return s;
}

// ----------------------------------------------------------- for sampling
LoadedGenerator load_generator(const std::string& path, bool use_ema) {
  nn::SafetensorsFile ck = nn::load_safetensors(path);
  LoadedGenerator out;
  out.format_version = checkpoint_format_version(ck.metadata, path);
  out.model = meta(ck.metadata, "model", path);
  out.step = meta_int(ck.metadata, "step", path);
  ModelConfig mc;
  mc.latent = meta_int(ck.metadata, "latent", path);
  mc.channels = meta_int(ck.metadata, "channels", path);
  // Checkpoints written before conditional models existed have no num_classes.
  mc.num_classes = ck.metadata.count("num_classes") ? meta_int(ck.metadata, "num_classes", path) : 0;
  // Format 1 knew only width 64; formats 1 and 2 only resolution 28.
  mc.g_width = ck.metadata.count("g_width") ? meta_int(ck.metadata, "g_width", path) : 64;
  mc.resolution = ck.metadata.count("resolution") ? meta_int(ck.metadata, "resolution", path) : 28;
  mc.attention_at = ck.metadata.count("attention_at") ? meta_int(ck.metadata, "attention_at", path) : 0;
  const bool growing = ck.metadata.count("growth_level") > 0;
  if (growing) mc.start_resolution = meta_int(ck.metadata, "start_resolution", path);
  if (ck.metadata.count("fmap_base")) {
    mc.fmap_base = meta_int(ck.metadata, "fmap_base", path);
    mc.fmap_max = meta_int(ck.metadata, "fmap_max", path);
    mc.mbstd_group = meta_int(ck.metadata, "mbstd_group", path);
  }
  if (ck.metadata.count("w_dim")) {
    mc.w_dim = meta_int(ck.metadata, "w_dim", path);
    mc.mapping_layers = meta_int(ck.metadata, "mapping_layers", path);
    mc.mapping_lr_mul = meta_double(ck.metadata, "mapping_lr_mul", path);
  }
  out.net = make_generator(out.model, mc);
  out.net->load_state_dict(take_prefixed(ck.tensors, "G."));
  if (growing) {  // where the run stood: a checkpoint mid-way samples at its current resolution
    GrowingNet* g = as_growing(*out.net);
    GANTRY_CHECK(g != nullptr, "checkpoint ", path, ": model '", out.model, "' does not grow, but the "
                 "checkpoint has a growth state");
    double alpha = 1.0;
    try {
      alpha = std::stod(meta(ck.metadata, "growth_alpha", path));
    } catch (const std::exception&) {
      throw Error("checkpoint " + path + ": metadata 'growth_alpha' is not a number");
    }
    g->set_growth(meta_int(ck.metadata, "growth_level", path), alpha);
  }
  if (use_ema) {
    GANTRY_CHECK(meta(ck.metadata, "ema", path) == "1", "checkpoint ", path,
                 " has no EMA generator (train with --ema DECAY)");
    optim::EMA ema(*out.net, 0.999);  // the decay is irrelevant for loading
    ema.load_state_dict(take_prefixed(ck.tensors, "ema."));
    ema.copy_to(*out.net);
    // BatchNorm statistics of the averaged weights, estimated here on the CPU
    // (a CUDA trainer estimates them on its device: equal up to rounding).
    standing_stats(*out.net);
    out.ema = true;
  }
  out.net->eval();
  return out;
}

}  // namespace gan
}  // namespace gantry
