// gan/checkpoint.cpp — load_generator (see checkpoint.h).
#include "gan/checkpoint.h"

#include "nn/safetensors.h"
#include "optim/ema.h"

namespace gantry {
namespace gan {

namespace {
std::string meta(const std::map<std::string, std::string>& m, const std::string& k,
                 const std::string& path) {
  auto it = m.find(k);
  GANTRY_CHECK(it != m.end(), "checkpoint ", path, ": metadata has no '", k, "'");
  return it->second;
}
nn::NamedTensors with_prefix(const nn::NamedTensors& all, const std::string& p) {
  nn::NamedTensors r;
  for (const auto& kv : all)
    if (kv.first.rfind(p, 0) == 0) r.push_back({kv.first.substr(p.size()), kv.second});
  return r;
}
int64_t meta_int(const std::map<std::string, std::string>& m, const std::string& k,
                 const std::string& path) {
  const std::string v = meta(m, k, path);
  try {
    return std::stoll(v);
  } catch (const std::exception&) {
    throw Error("checkpoint " + path + ": metadata '" + k + "' = '" + v + "' is not an integer");
  }
}
}  // namespace

LoadedGenerator load_generator(const std::string& path, bool use_ema) {
  nn::SafetensorsFile ck = nn::load_safetensors(path);
  GANTRY_CHECK(meta(ck.metadata, "format", path) == "gantry-checkpoint-1", "checkpoint ", path,
               ": unknown format '", meta(ck.metadata, "format", path), "'");
  LoadedGenerator out;
  out.model = meta(ck.metadata, "model", path);
  out.step = meta_int(ck.metadata, "step", path);
  ModelConfig mc;
  mc.latent = meta_int(ck.metadata, "latent", path);
  mc.channels = meta_int(ck.metadata, "channels", path);
  // Checkpoints written before conditional models existed have no num_classes.
  mc.num_classes = ck.metadata.count("num_classes") ? meta_int(ck.metadata, "num_classes", path) : 0;
  out.net = make_generator(out.model, mc);
  out.net->load_state_dict(with_prefix(ck.tensors, "G."));
  if (use_ema) {
    GANTRY_CHECK(meta(ck.metadata, "ema", path) == "1", "checkpoint ", path,
                 " has no EMA generator (train with --ema DECAY)");
    optim::EMA ema(*out.net, 0.999);  // the decay is irrelevant for loading
    ema.load_state_dict(with_prefix(ck.tensors, "ema."));
    ema.copy_to(*out.net);
    out.ema = true;
  }
  out.net->eval();
  return out;
}

}  // namespace gan
}  // namespace gantry
