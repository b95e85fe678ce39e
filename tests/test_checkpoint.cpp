// tests/test_checkpoint.cpp — checkpoint format versions (gan/checkpoint.h):
// a format-1 checkpoint written before versions existed (tests/fixtures/)
// still resumes, today's checkpoints carry format_version and the rollback
// count, an unknown version is a one-line error naming the file, and the
// committed classifier asset still loads.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>

#include "gan/checkpoint.h"
#include "gan/metrics/classifier.h"
#include "gan/trainer.h"
#include "nn/safetensors.h"
#include "tests/test_images.h"

using namespace gantry;
using namespace gantry::gan;
namespace fs = std::filesystem;

namespace {
const std::string kFixture =
    std::string(GANTRY_SOURCE_DIR) + "/tests/fixtures/checkpoint_format1_dcgan_w4.safetensors";

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// The step column of OUT/metrics.csv.
std::vector<int64_t> metric_steps(const std::string& out) {
  std::ifstream m(out + "/metrics.csv");
  std::string line;
  std::getline(m, line);  // header
  std::vector<int64_t> steps;
  while (std::getline(m, line)) steps.push_back(std::stoll(line));
  return steps;
}

// The options the fixture was trained with (its data replaced by a synthetic
// folder of the same size: the data order depends only on the seed and count).
TrainOptions fixture_options(const std::string& out) {
  TrainOptions o;
  o.data = testutil::synthetic_image_folder("gantry_ck_images", 64, 9);
  o.data_limit = 64;
  o.batch = 8;
  o.steps = 4;
  o.seed = 3;
  o.latent = 8;
  o.g_width = o.d_width = 4;
  o.ema_decay = 0.9;
  o.out = out;
  o.quiet = true;
  o.sample_every = 0;
  o.checkpoint_every = 0;
  return o;
}
// An empty directory under the system's temp dir, for one test's run.
std::string fresh_dir(const std::string& name) {
  const std::string out = (fs::temp_directory_path() / name).string();
  fs::remove_all(out);
  fs::create_directories(out);
  return out;
}
}  // namespace

TEST_CASE("checkpoint: a format-1 file (before versions) still resumes", "[checkpoint]") {
  nn::SafetensorsFile f = nn::load_safetensors(kFixture);
  REQUIRE(checkpoint_format_version(f.metadata, kFixture) == 1);
  CHECK(f.metadata.count("rollbacks") == 0);
  const std::string out = fresh_dir("gantry_ck_v1");
  Trainer t(fixture_options(out));
  t.load_checkpoint(kFixture);
  CHECK(t.step() == 2);
  CHECK(t.rollbacks() == 0);
  CHECK(t.lr_scale() == 1.0);
  // The weights are the file's.
  for (const auto& kv : t.generator().state_dict())
    for (const auto& fk : f.tensors)
      if (fk.first == "G." + kv.first) CHECK(kv.second.to_vector<float>() == fk.second.to_vector<float>());
  // It trains on and saves in today's format, which loads back.
  StepStats st = t.train_step();
  CHECK(st.step == 3);
  CHECK(std::isfinite(st.g_loss));
  t.save_checkpoint(t.checkpoint_path());
  nn::SafetensorsFile g = nn::load_safetensors(t.checkpoint_path());
  CHECK(g.metadata.at("format") == "gantry-checkpoint");
  CHECK(g.metadata.at("format_version") == std::to_string(kCheckpointFormatVersion));
  CHECK(g.metadata.at("rollbacks") == "0");
  CHECK(g.metadata.at("config").find("g_width = 4") != std::string::npos);
  LoadedGenerator lg = load_generator(t.checkpoint_path(), /*use_ema=*/true);
  CHECK(lg.format_version == kCheckpointFormatVersion);
  CHECK(lg.step == 3);
  CHECK(lg.net->config.g_width == 4);
}

TEST_CASE("checkpoint: unknown formats and versions are one-line errors naming the file",
          "[checkpoint]") {
  const std::string dir = (fs::temp_directory_path() / "gantry_ck_bad").string();
  fs::create_directories(dir);
  const nn::NamedTensors one = {{"G.x", zeros({1})}};
  struct Case {
    std::map<std::string, std::string> meta;
    std::string want;
  };
  const std::vector<Case> cases = {
      {{{"format", "gantry-checkpoint"}, {"format_version", "99"}},
       "unknown format version '99' (this gantry reads versions 1 to " + std::to_string(kCheckpointFormatVersion) + ")"},
      {{{"format", "gantry-checkpoint"}, {"format_version", "2x"}}, "unknown format version '2x'"},
      {{{"format", "gantry-checkpoint"}}, "metadata has no 'format_version'"},
      {{{"format", "gantry-checkpoint-7"}}, "not a Gantry checkpoint (format 'gantry-checkpoint-7')"},
      {{{"model", "dcgan"}}, "not a Gantry checkpoint (its metadata has no 'format')"},
  };
  int i = 0;
  for (const Case& c : cases) {
    const std::string path = dir + "/bad" + std::to_string(i++) + ".safetensors";
    nn::save_safetensors(path, one, c.meta);
    const std::string msg = error_of([&] { load_generator(path, false); });
    INFO(msg);
    CHECK(msg.find("checkpoint " + path + ": ") == 0);
    CHECK(msg.find(c.want) != std::string::npos);
    CHECK(msg.find('\n') == std::string::npos);
  }
}

TEST_CASE("checkpoint: the rollback count is saved and restored", "[checkpoint]") {
  const std::string out = fresh_dir("gantry_ck_rollbacks");
  TrainOptions o = fixture_options(out);
  o.on_divergence = "rollback";
  o.log_every = 1;
  o.checkpoint_every = 1;
  Trainer t(o);
  t.train_step();
  t.save_checkpoint(t.checkpoint_path());
  {
    NoGradGuard ng;
    core::fill_(t.discriminator().parameters()[0], std::nan(""));
  }
  t.run();  // step 2 diverges, rolls back to 1, finishes
  CHECK(t.rollbacks() == 1);
  Trainer r(o);
  r.load_checkpoint(t.checkpoint_path());
  CHECK(r.rollbacks() == 1);
  CHECK(r.lr_scale() == 0.5);
  CHECK(metric_steps(out) == std::vector<int64_t>{2, 3, 4});
}

TEST_CASE("checkpoint: --resume cuts metrics.csv back to the checkpoint's step", "[checkpoint]") {
  const std::string out = (fs::temp_directory_path() / "gantry_ck_resume_csv").string();
  fs::remove_all(out);
  TrainOptions o = fixture_options(out);
  o.log_every = 1;
  o.checkpoint_every = 2;
  o.steps = 2;
  Trainer(o).run();  // rows 1, 2; checkpoint at 2
  fs::copy_file(out + "/checkpoint.safetensors", out + "/step2.safetensors");
  o.steps = 4;
  o.resume = true;
  Trainer(o).run();  // rows 3, 4; checkpoint at 4
  CHECK(metric_steps(out) == std::vector<int64_t>{1, 2, 3, 4});
  // As if the run had been killed after logging step 4 but before its checkpoint.
  fs::copy_file(out + "/step2.safetensors", out + "/checkpoint.safetensors",
                fs::copy_options::overwrite_existing);
  Trainer(o).run();  // resumes at 2: rows 3 and 4 are written again, once
  CHECK(metric_steps(out) == std::vector<int64_t>{1, 2, 3, 4});
  // A fresh run (no --resume) in the same directory starts the file over.
  o.resume = false;
  o.steps = 1;
  Trainer(o).run();
  CHECK(metric_steps(out) == std::vector<int64_t>{1});
}

TEST_CASE("checkpoint: the committed classifier asset still loads", "[checkpoint]") {
  auto c = metrics::load_classifier(std::string(GANTRY_SOURCE_DIR) + "/assets/fmnist_classifier.safetensors");
  REQUIRE(c != nullptr);
  CHECK(!c->parameters().empty());
}

TEST_CASE("checkpoint: a discriminator of another d_layout is a one-line error naming both", "[checkpoint]") {
  const std::string out = fresh_dir("gantry_ck_layout");
  TrainOptions o = fixture_options(out);
  o.model = "sngan";
  o.d_layout = "deep";
  o.ema_decay = 0;
  o.steps = 1;
  {
    Trainer t(o);
    t.train_step();
    t.save_checkpoint(t.checkpoint_path());
    nn::SafetensorsFile f = nn::load_safetensors(t.checkpoint_path());
    CHECK(f.metadata.at("d_layout") == "deep");
  }
  {
    Trainer same(o);  // the same layout resumes
    CHECK_NOTHROW(same.load_checkpoint(same.checkpoint_path()));
    CHECK(same.step() == 1);
  }
  o.d_layout = "dcgan";
  Trainer other(o);
  CHECK_THROWS_WITH(other.load_checkpoint(other.checkpoint_path()),
                    Catch::Contains("its discriminator has d_layout 'deep' but the run's is 'dcgan'"));
}
