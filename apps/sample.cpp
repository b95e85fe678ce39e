// apps/sample.cpp — `gantry sample`: draw images from a trained generator.
//
//   gantry sample --checkpoint FILE --n N --out FILE.npy [--png FILE.png]
//                 [--seed S] [--ema] [--batch B]
// Writes float32 [N, C, 28, 28] in [-1, 1] (C order) and optionally a PNG
// grid of the first 64. The generator runs in eval mode (running statistics).
#include <cstdio>

#include "apps/cli.h"
#include "core/rng.h"
#include "gan/data/image.h"
#include "gan/data/npy.h"
#include "gan/models/dcgan.h"
#include "nn/safetensors.h"
#include "optim/ema.h"

namespace gantry {
namespace cli {

namespace {
std::string meta(const std::map<std::string, std::string>& m, const std::string& k,
                 const std::string& path) {
  auto it = m.find(k);
  if (it == m.end()) throw Error("checkpoint " + path + ": metadata has no '" + k + "'");
  return it->second;
}
nn::NamedTensors with_prefix(const nn::NamedTensors& all, const std::string& p) {
  nn::NamedTensors r;
  for (const auto& kv : all)
    if (kv.first.rfind(p, 0) == 0) r.push_back({kv.first.substr(p.size()), kv.second});
  return r;
}
}  // namespace

int run_sample(int argc, char** argv) {
  Flags f(argc, argv, 2, {"checkpoint", "n", "out", "png", "seed", "batch"}, {"ema"});
  if (!f.has("checkpoint") || !f.has("out"))
    throw UsageError{"sample needs --checkpoint FILE and --out FILE.npy"};
  const std::string path = f.str("checkpoint");
  const long long n = f.integer("n", 64), batch = f.integer("batch", 500);
  if (n < 1 || batch < 1) throw UsageError{"--n and --batch must be positive"};
  nn::SafetensorsFile ck = nn::load_safetensors(path);
  if (meta(ck.metadata, "model", path) != "dcgan")
    throw Error("checkpoint " + path + ": model '" + meta(ck.metadata, "model", path) +
                "' cannot be sampled (have: dcgan)");
  gan::DCGANConfig mc;
  mc.latent = std::stoll(meta(ck.metadata, "latent", path));
  mc.channels = std::stoll(meta(ck.metadata, "channels", path));
  gan::DCGANGenerator G(mc);
  G.load_state_dict(with_prefix(ck.tensors, "G."));
  if (f.has("ema")) {
    if (meta(ck.metadata, "ema", path) != "1")
      throw Error("checkpoint " + path + " has no EMA generator (train with --ema DECAY)");
    optim::EMA ema(G, 0.999);
    ema.load_state_dict(with_prefix(ck.tensors, "ema."));
    ema.copy_to(G);
  }
  G.eval();
  NoGradGuard ng;
  Generator gen(static_cast<uint64_t>(f.integer("seed", 0)));
  std::vector<Tensor> parts;
  for (long long done = 0; done < n; done += batch) {
    const long long b = std::min(batch, n - done);
    parts.push_back(G.forward(randn({b, mc.latent}, {}, &gen)));
  }
  Tensor all = parts.size() == 1 ? parts[0] : cat(parts, 0);
  gan::save_npy(f.str("out"), all);
  std::fprintf(stderr, "gantry sample: wrote %lld samples %s to %s\n", n,
               shape_str(all.shape()).c_str(), f.str("out").c_str());
  if (f.has("png")) {
    gan::save_png_grid(f.str("png"), core::slice(all, 0, 0, std::min<long long>(n, 64), 1), 8, 2);
    std::fprintf(stderr, "gantry sample: grid in %s\n", f.str("png").c_str());
  }
  return 0;
}

}  // namespace cli
}  // namespace gantry
