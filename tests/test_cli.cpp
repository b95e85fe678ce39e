// tests/test_cli.cpp — the `gantry` program as a user runs it: bad flags,
// values, files and configs give a one-line error and a non-zero exit; a tiny
// train + sample run writes a checkpoint, a grid, metrics and a .npy.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "autograd/ops.h"
#include "core/rng.h"
#include "gan/data/image.h"
#include "gan/data/npy.h"
#include "tests/test_cli_run.h"
#include "tests/test_skip.h"


using namespace gantry;
namespace fs = std::filesystem;

namespace {

using Result = testutil::CliResult;
Result run(const std::string& args) { return testutil::run_cli(args); }

std::string tmp(const std::string& name) {
  return (fs::temp_directory_path() / name).string();
}

std::string write_file(const std::string& name, const std::string& text) {
  std::string path = tmp(name);
  std::ofstream(path) << text;
  return path;
}

std::string image_folder() {
  std::string dir = tmp("gantry_cli_images");
  fs::remove_all(dir);
  fs::create_directories(dir);
  RandomState g(5);
  for (int i = 0; i < 32; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "/%02d.png", i);
    gan::save_png_grid(dir + name, tanh(randn({1, 1, 28, 28}, {}, &g)), 1, 0);
  }
  return dir;
}

bool one_line(const std::string& s) {
  return !s.empty() && s.find('\n') == s.size() - 1;
}

}  // namespace

TEST_CASE("cli: usage errors are one line with exit code 2", "[cli]") {
  auto r = run("train --no-such-flag");
  CHECK(r.code == 2);
  CHECK(r.output.find("unknown flag --no-such-flag") != std::string::npos);
  CHECK(one_line(r.output));
  r = run("train --steps many");
  CHECK(r.code == 2);
  CHECK(r.output.find("--steps: 'many' is not an integer") != std::string::npos);
  r = run("train --steps");
  CHECK(r.code == 2);
  CHECK(r.output.find("--steps needs a value") != std::string::npos);
  r = run("frobnicate");
  CHECK(r.code == 2);
  r = run("sample --n 3");
  CHECK(r.code == 2);
  CHECK(r.output.find("--checkpoint") != std::string::npos);
}

TEST_CASE("cli: every command has --help, train's from the option table", "[cli]") {
  auto r = run("train --help");
  CHECK(r.code == 0);
  for (const char* want : {"--config FILE.toml", "--lr-g NUMBER in (0, 1]", "--batch INT in [2, 65536]",
                           "--schedule TEXT constant|linear|cosine", "--ema NUMBER in [0, 1)",
                           "dcgan family:", "--resume", "[default 64]"})
    CHECK(r.output.find(want) != std::string::npos);
  for (const char* cmd : {"sample", "eval", "demo", "bench", "train-classifier"}) {
    INFO(cmd);
    r = run(std::string(cmd) + " --help");
    CHECK(r.code == 0);
    CHECK(r.output.find("Usage: gantry " + std::string(cmd)) != std::string::npos);
  }
  r = run("train --batch 1");  // out of range: a usage error naming the flag
  CHECK(r.code == 2);
  CHECK(r.output.find("--batch: must be in [2, 65536], got 1") != std::string::npos);
  CHECK(one_line(r.output));
  r = run("train --schedule exp");
  CHECK(r.code == 2);
  CHECK(one_line(r.output));
}

TEST_CASE("cli: bad files and configs are one-line errors with exit code 1", "[cli]") {
  auto r = run("train --config /no/such/file.toml");
  CHECK(r.code == 1);
  CHECK(r.output.find("/no/such/file.toml") != std::string::npos);
  CHECK(one_line(r.output));
  std::string bad_key = write_file("gantry_bad_key.toml", "model = \"dcgan\"\nlearning_rate = 3\n");
  r = run("train --config " + bad_key);
  CHECK(r.code == 1);
  CHECK(r.output.find(bad_key + ":2:1: unknown key 'learning_rate' (did you mean") != std::string::npos);
  CHECK(one_line(r.output));
  std::string bad_model = write_file("gantry_bad_model.toml", "model = \"stylegan9\"\n");
  r = run("train --config " + bad_model);
  CHECK(r.code == 1);
  CHECK(r.output.find("stylegan9") != std::string::npos);
  std::string bad_syntax = write_file("gantry_bad_syntax.toml", "steps = \n");
  r = run("train --config " + bad_syntax);
  CHECK(r.code == 1);
  CHECK(r.output.find(":1") != std::string::npos);
  r = run("sample --checkpoint /no/such.safetensors --out " + tmp("x.npy"));
  CHECK(r.code == 1);
  CHECK(r.output.find("/no/such.safetensors") != std::string::npos);
  std::string junk = write_file("gantry_junk.safetensors", "this is not a checkpoint");
  r = run("sample --checkpoint " + junk + " --out " + tmp("x.npy"));
  CHECK(r.code == 1);
  CHECK(one_line(r.output));
  r = run("train --data /no/such/dir --steps 1");
  CHECK(r.code == 1);
}

TEST_CASE("cli: train then sample writes every promised file", "[cli]") {
  const std::string data = image_folder(), out = tmp("gantry_cli_run");
  fs::remove_all(out);
  auto r = run("train --data " + data + " --steps 4 --batch 8 --seed 1 --out " + out +
               " --sample-every 2 --checkpoint-every 2 --quiet --ema 0.9 --log-every 1"
               " --schedule milestones --lr-milestones 2=0.5");
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(fs::exists(out + "/checkpoint.safetensors"));
  {  // The table option took effect: lr_g is 2e-4 before step 2, 1e-4 from it.
    std::ifstream csv(out + "/metrics.csv");
    std::string line, lrs;
    std::getline(csv, line);
    while (std::getline(csv, line)) {
      std::vector<std::string> cols;
      std::stringstream ss(line);
      for (std::string c; std::getline(ss, c, ',');) cols.push_back(c);
      REQUIRE(cols.size() > 6);
      lrs += cols[0] + ":" + std::to_string(std::stod(cols[6])) + " ";
    }
    CHECK(lrs == "1:0.000200 2:0.000200 3:0.000100 4:0.000100 ");
  }
  CHECK(fs::exists(out + "/samples/step_000002.png"));
  CHECK(fs::exists(out + "/samples/step_000004.png"));
  CHECK(fs::exists(out + "/metrics.csv"));
  CHECK(fs::exists(out + "/train.log"));
  // The saved config is every option, and trains again as it is.
  REQUIRE(fs::exists(out + "/config.toml"));
  r = run("train --config " + out + "/config.toml --steps 1 --out " + out + "_again --quiet");
  INFO(r.output);
  CHECK(r.code == 0);
  fs::remove_all(out + "_again");
  // Resume past the end: continues from step 4 to 6.
  r = run("train --data " + data + " --steps 6 --batch 8 --seed 1 --out " + out +
          " --checkpoint-every 2 --quiet --ema 0.9 --resume");
  INFO(r.output);
  REQUIRE(r.code == 0);
  const std::string npy = out + "/samples.npy", png = out + "/samples.png";
  r = run("sample --checkpoint " + out + "/checkpoint.safetensors --n 10 --out " + npy +
          " --png " + png + " --seed 4 --ema");
  INFO(r.output);
  REQUIRE(r.code == 0);
  Tensor s = gan::load_npy(npy);
  CHECK(s.shape() == Shape{10, 1, 28, 28});
  CHECK(s.dtype() == kFloat32);
  CHECK(max(abs(s)).item<float>() <= 1.0f);
  CHECK(fs::exists(png));
}

// `gantry bench` at a tiny size: prints its figures (and LibTorch's when the
// twin is built), rejects bad switches with usage errors.
TEST_CASE("cli: bench prints gantry_ms and checks its switches", "[cli]") {
  auto r = run("bench --threads 1 --batch 4 --steps 2 --rounds 1 --warmup 0 --sr-steps 1 --translation-steps 1");
  CHECK(r.code == 0);
  CHECK(r.output.find("gantry_ms ") != std::string::npos);
  CHECK(r.output.find("sr_gantry_ms ") != std::string::npos);        // the SR row
  CHECK(r.output.find("pix2pix_gantry_ms ") != std::string::npos);   // the translation rows
  CHECK(r.output.find("cyclegan_gantry_ms ") != std::string::npos);
  const bool twin = r.output.find("libtorch twin: not built") == std::string::npos;
  CHECK((r.output.find("\nratio ") != std::string::npos) == twin);
  CHECK((r.output.find("sr_ratio ") != std::string::npos) == twin);
  CHECK((r.output.find("pix2pix_ratio ") != std::string::npos) == twin);
  CHECK((r.output.find("cyclegan_ratio ") != std::string::npos) == twin);
  r = run("bench --threads 1 --batch 4 --steps 1 --rounds 1 --warmup 0 --no-libtorch --gemm eigen "
          "--force conv2d=per_sample --cpu-cache-mb 0 --profile --no-sr --no-translation");
  CHECK(r.code == 0);
  CHECK(r.output.find("ratio ") == std::string::npos);
  CHECK(r.output.find("sr_gantry_ms") == std::string::npos);
  CHECK(r.output.find("pix2pix_gantry_ms") == std::string::npos);
  CHECK(r.output.find("conv2d                   per_sample") != std::string::npos);
  r = run("bench --force conv2d=bogus");
  CHECK(r.code == 2);
  CHECK(one_line(r.output));
  r = run("bench --gemm mkl");
  CHECK(r.code == 2);
  r = run("bench --device tpu");
  CHECK(r.code == 2);
  r = run("bench --sr-steps 0");
  CHECK(r.code == 2);
  r = run("bench --translation-steps 0");
  CHECK(r.code == 2);
}

TEST_CASE("cli: sample truncation, interpolation and class flags, eval usage errors", "[cli][sample]") {
  const std::string data = image_folder(), out = tmp("gantry_cli_family");
  fs::remove_all(out);
  auto r = run("train --model sngan --data " + data + " --steps 2 --batch 8 --out " + out +
               " --sample-every 0 --checkpoint-every 2 --quiet --augment translation,cutout");
  INFO(r.output);
  REQUIRE(r.code == 0);
  const std::string ck = out + "/checkpoint.safetensors";
  // Truncation: same seed, smaller threshold -> different codes, still images.
  r = run("sample --checkpoint " + ck + " --n 6 --out " + out + "/t.npy --truncation 0.5");
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(gan::load_npy(out + "/t.npy").shape() == Shape{6, 1, 28, 28});
  // Interpolation strip: frames from seed 1 to seed 2; its ends are the plain samples of those seeds.
  r = run("sample --checkpoint " + ck + " --interpolate --seed 1 --seed-b 2 --frames 5 --mode lerp --png " +
          out + "/strip.png --out " + out + "/strip.npy");
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(fs::exists(out + "/strip.png"));
  Tensor strip = gan::load_npy(out + "/strip.npy");
  REQUIRE(strip.shape() == Shape{5, 1, 28, 28});
  r = run("sample --checkpoint " + ck + " --n 1 --seed 2 --out " + out + "/b.npy");
  REQUIRE(r.code == 0);
  const auto last = core::contiguous(core::slice(strip, 0, 4, 5, 1)).to_vector<float>();
  const auto b = gan::load_npy(out + "/b.npy").to_vector<float>();
  REQUIRE(last.size() == b.size());
  for (size_t i = 0; i < b.size(); ++i) CHECK(last[i] == Approx(b[i]).margin(1e-5));
  // Usage errors.
  r = run("sample --checkpoint " + ck + " --n 2 --out " + out + "/c.npy --class 3");
  CHECK(r.code == 2);
  CHECK(r.output.find("not class-conditional") != std::string::npos);
  r = run("sample --checkpoint " + ck + " --interpolate");
  CHECK(r.code == 2);
  r = run("sample --checkpoint " + ck + " --n 2 --out x.npy --truncation -1");
  CHECK(r.code == 2);
  r = run("eval");
  CHECK(r.code == 2);
  CHECK(one_line(r.output));
  r = run("eval --samples " + out + "/t.npy --reference val");
  CHECK(r.code == 2);
  r = run("train --model biggan --steps 1");
  CHECK(r.code == 1);
  CHECK(r.output.find("have: dcgan, wgan-gp, r1, sngan, cdcgan") != std::string::npos);
}

// One `gantry eval` for every input kind (gan/eval.h): a checkpoint is scored
// on samples drawn exactly as `gantry sample` draws them, so the two routes
// give the same numbers; inputs no evaluator takes are one-line errors.
TEST_CASE("cli: eval dispatches on its input: samples, a checkpoint, or an error", "[cli][eval]") {
  const std::string out = tmp("gantry_cli_eval");
  fs::remove_all(out);
  fs::create_directories(out);
  // What no evaluator takes, before anything needs data.
  auto r = run("eval --list");
  CHECK(r.code == 0);
  CHECK(r.output.find("image-samples") != std::string::npos);
  CHECK(r.output.find("image-generator") != std::string::npos);
  r = run("eval " + out + "/missing.npy");
  CHECK(r.code == 1);
  CHECK(one_line(r.output));
  CHECK(r.output.find("missing.npy: no such file") != std::string::npos);
  const std::string csv = write_file("gantry_cli_eval_rows.csv", "a,b\n1,2\n");
  r = run("eval " + csv);
  CHECK(r.code == 1);
  CHECK(one_line(r.output));
  CHECK(r.output.find("is a .csv file; no evaluator in this build takes it (eval takes: FILE.npy") !=
        std::string::npos);
  r = run("eval " + csv + " --samples " + csv);
  CHECK(r.code == 2);
  if (fs::exists(std::string(GANTRY_SOURCE_DIR) + "/assets/fmnist_classifier.safetensors")) {
    r = run("eval " + std::string(GANTRY_SOURCE_DIR) + "/assets/fmnist_classifier.safetensors");
    CHECK(r.code == 1);
    CHECK(r.output.find("a safetensors file that is not a training checkpoint") != std::string::npos);
  }

  const std::string fmnist = "/usr/share/datasets/fashion-mnist";
  const std::string clf = std::string(GANTRY_SOURCE_DIR) + "/assets/fmnist_classifier.safetensors";
  if (!fs::exists(fmnist + "/t10k-images-idx3-ubyte.gz") || !fs::exists(clf))
    GANTRY_SKIP("Fashion-MNIST or the committed classifier missing (scripts/get-data fashion-mnist)");
  r = run("train --data " + image_folder() + " --steps 2 --batch 8 --out " + out +
          " --sample-every 0 --checkpoint-every 2 --quiet");
  INFO(r.output);
  REQUIRE(r.code == 0);
  const std::string ck = out + "/checkpoint.safetensors";
  const std::string common = " --n 40 --seed 3 --threads 1 --classifier " + clf;
  const Result direct = run("eval " + ck + common);
  INFO(direct.output);
  REQUIRE(direct.code == 0);
  CHECK(direct.output.find("# image-generator: 40 samples from " + ck + " (dcgan, step 2, seed 3)") !=
        std::string::npos);
  r = run("sample --checkpoint " + ck + " --n 40 --seed 3 --out " + out + "/s.npy");
  REQUIRE(r.code == 0);
  const Result via_npy = run("eval " + out + "/s.npy" + common);
  INFO(via_npy.output);
  REQUIRE(via_npy.code == 0);
  CHECK(via_npy.output.find("# image-samples: 40 samples from " + out + "/s.npy") != std::string::npos);
  // Everything after the header line is the same: same draws, same metrics.
  auto body = [](const std::string& s) { return s.substr(s.find("\nsamples ")); };
  CHECK(body(direct.output) == body(via_npy.output));
  CHECK(direct.output.find("real-train   FID-FMNIST") != std::string::npos);
  r = run("eval " + out + "/s.npy --data /tmp");
  CHECK(r.code == 1);
  CHECK(r.output.find("scored by image-samples, which takes no data (--data /tmp)") != std::string::npos);
  // The checkpoint was trained on an image folder: the classifier's metrics do not apply.
  r = run("eval " + ck + " --n 40");
  CHECK(r.code == 1);
  CHECK(r.output.find("not Fashion-MNIST: the Fashion-MNIST classifier's metrics do not apply") !=
        std::string::npos);
  // --ema on a run without EMA names the problem.
  r = run("eval " + ck + common + " --ema");
  CHECK(r.code == 1);
  CHECK(r.output.find("has no EMA generator") != std::string::npos);
  // A class-conditional eval of unconditional samples or models is an error.
  r = run("eval " + out + "/s.npy" + common + " --class 3");
  CHECK(r.code == 1);
  CHECK(r.output.find("--class 3 needs a checkpoint of a class-conditional model; samples") != std::string::npos);
  r = run("eval " + ck + common + " --class 3");
  CHECK(r.code == 1);
  CHECK(r.output.find("which is unconditional") != std::string::npos);

  // A class-conditional checkpoint (cdcgan, trained on Fashion-MNIST): the
  // per-class metrics and their means, and one class alone.
  const std::string cout_dir = out + "/cdcgan";
  r = run("train --model cdcgan --data-limit 64 --steps 2 --batch 8 --out " + cout_dir +
          " --sample-every 0 --checkpoint-every 2 --quiet");
  INFO(r.output);
  REQUIRE(r.code == 0);
  const std::string cck = cout_dir + "/checkpoint.safetensors";
  r = run("eval " + cck + " --n 100 --seed 1 --threads 1 --classifier " + clf);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(r.output.find("samples      intra-FID") != std::string::npos);
  CHECK(r.output.find("samples      intra-recall") != std::string::npos);
  CHECK(r.output.find("class 9      FID-FMNIST") != std::string::npos);
  r = run("eval " + cck + " --n 20 --seed 1 --threads 1 --class 7 --classifier " + clf);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(r.output.find("Fashion-MNIST test images of class 7") != std::string::npos);
  r = run("eval " + cck + " --n 20 --class 10 --classifier " + clf);
  CHECK(r.code == 1);
  CHECK(r.output.find("--class 10 is not below the model's 10 classes") != std::string::npos);
}

// Progressive growing through the CLI: a 4 -> 8 schedule of a few steps per
// stretch, phase grids, a checkpoint mid-fade that samples at full size, and
// the schedule errors as one-line messages.
TEST_CASE("cli: progan grows 4 -> 8 and samples at full resolution", "[cli][progan]") {
  const std::string data = image_folder(), out = tmp("gantry_cli_progan");
  fs::remove_all(out);
  const std::string common = "train --model progan --data " + data + " --resolution 8 --latent 16 --fmap-base 32 "
                             "--fmap-max 8 --phase-images 16 --batch 8 --phase-batch 8=4 --eval-phases=false "
                             "--sample-every 0 --quiet --out " + out;
  // 2 steps at 4x4, then 4 of the fade-in to 8x8: stopped mid-fade.
  auto r = run(common + " --steps 6 --checkpoint-every 3");
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(r.output.find("progan on " + data + ", 6 steps of batch 8") != std::string::npos);
  CHECK(fs::exists(out + "/samples/phase_4x4.png"));
  r = run("sample --checkpoint " + out + "/checkpoint.safetensors --n 5 --out " + out + "/mid.npy --ema");
  INFO(r.output);
  REQUIRE(r.code == 0);
  Tensor mid = gan::load_npy(out + "/mid.npy");
  CHECK(mid.shape() == Shape{5, 1, 8, 8});
  CHECK(max(abs(mid)).item<float>() <= 1.0f);
  // Resume to the schedule's end (steps 0: its length, 2 + 4 + 4 = 10).
  r = run(common + " --steps 0 --resume");
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(fs::exists(out + "/samples/phase_8x8.png"));
  r = run("sample --checkpoint " + out + "/checkpoint.safetensors --n 3 --out " + out + "/end.npy");
  REQUIRE(r.code == 0);
  CHECK(gan::load_npy(out + "/end.npy").shape() == Shape{3, 1, 8, 8});
  // Another schedule cannot resume this checkpoint; an unreachable one is refused up front.
  r = run(common + " --phase-images 32 --steps 0 --resume");
  CHECK(r.code == 1);  // after the run's header line, one error line
  CHECK(r.output.find("gantry train: error: checkpoint ") != std::string::npos);
  CHECK(r.output.find("another growth schedule") != std::string::npos);
  CHECK(r.output.substr(r.output.find("gantry train: error:")).find('\n') == r.output.size() - 1 -
        r.output.find("gantry train: error:"));
  r = run("train --model progan --data " + data + " --resolution 64 --steps 1 --quiet --out " + out + "_big");
  CHECK(r.code == 1);
  CHECK(r.output.find("smaller than the resolution 64") != std::string::npos);
  r = run("train --model progan --resolution 16 --start-resolution 32 --steps 1");
  CHECK(r.code == 1);
  CHECK(r.output.find("start_resolution 32") != std::string::npos);
}

// The style-based generator through the CLI: a few training steps, then the
// latent controls (truncation in W, a mixing grid, W interpolation), project
// and directions, and their one-line errors.
TEST_CASE("cli: stylegan2 trains, then sample in W, project and directions", "[cli][stylegan]") {
  const std::string data = image_folder(), out = tmp("gantry_cli_stylegan");
  fs::remove_all(out);
  auto r = run("train --model stylegan2 --data " + data + " --resolution 8 --latent 16 --w-dim 16 "
               "--mapping-layers 2 --fmap-base 64 --fmap-max 8 --batch 8 --steps 4 --pl-every 2 "
               "--r1-every 2 --log-every 1 --sample-every 0 --quiet --out " + out);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(r.output.find("stylegan2 on " + data + ", 4 steps of batch 8") != std::string::npos);
  // Lazy Adam: G's and D's rates are 0.0025 * 2/3 (both regularizers every 2nd step).
  std::ifstream csv(out + "/metrics.csv");
  std::string header, row;
  std::getline(csv, header);
  std::getline(csv, row);
  CHECK(row.find("0.00166667") != std::string::npos);
  // Both regularizers ran at step 1 (and 3), not at 2: a row shows the mean
  // of the penalties applied since the previous row.
  REQUIRE(header == "step,epoch,d_loss,g_loss,d_real,d_fake,lr_g,lr_d,images_per_s,penalty,pl_penalty");
  auto cells = [](const std::string& line) {
    std::vector<double> v;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) v.push_back(std::stod(c));
    return v;
  };
  const std::vector<double> row1 = cells(row);
  std::string line2;
  REQUIRE(std::getline(csv, line2));
  const std::vector<double> row2 = cells(line2);
  REQUIRE(row1.size() == 11);
  REQUIRE(row2.size() == 11);
  CHECK(row1[9] > 0);
  CHECK(row1[10] > 0);
  CHECK(row2[9] == 0);
  CHECK(row2[10] == 0);
  const std::string ck = out + "/checkpoint.safetensors";
  r = run("sample --checkpoint " + ck + " --n 4 --out " + out + "/t.npy --truncation-psi 0.5 --truncation-cutoff 2");
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(gan::load_npy(out + "/t.npy").shape() == Shape{4, 1, 8, 8});
  r = run("sample --checkpoint " + ck + " --mix-rows 1,2 --mix-cols 3,4,5 --mix-cutoff 2 --png " + out + "/mix.png");
  REQUIRE(r.code == 0);
  CHECK(fs::exists(out + "/mix.png"));
  r = run("sample --checkpoint " + ck + " --interpolate --space w --frames 4 --png " + out + "/w.png");
  REQUIRE(r.code == 0);
  // A target from the model's own samples, projected for a few steps.
  r = run("sample --checkpoint " + ck + " --n 1 --out " + out + "/one.npy --png " + out + "/one.png --seed 3");
  REQUIRE(r.code == 0);
  r = run("project --checkpoint " + ck + " --target " + out + "/one.png --steps 30 --feature-weight 0 --out " +
          out + "/proj");
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(r.output.find("12x12, resized to 8x8 (area)") != std::string::npos);  // the grid's 2-pixel border
  CHECK(gan::load_npy(out + "/proj/projected_w.npy").shape() == Shape{1, 4, 16});
  for (const char* f : {"reconstruction.png", "progress.png", "projected_noise.safetensors"})
    CHECK(fs::exists(out + "/proj/" + f));
  r = run("directions --checkpoint " + ck + " --k 4 --rows 2 --samples 200 --seeds 0,1 --out " + out + "/dir");
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(gan::load_npy(out + "/dir/directions_sefa.npy").shape() == Shape{4, 16});
  CHECK(gan::load_npy(out + "/dir/directions_pca.npy").shape() == Shape{4, 16});
  CHECK(fs::exists(out + "/dir/directions_pca.png"));
  // Bad input: one line each, naming the problem.
  r = run("sample --checkpoint " + ck + " --n 2 --out " + out + "/x.npy --truncation-psi 1.2");
  CHECK(r.code == 2);
  CHECK(r.output.find("--truncation-psi must be in [0, 1]") != std::string::npos);
  r = run("sample --checkpoint " + ck + " --n 2 --out " + out + "/x.npy --truncation-psi 0.5 --truncation-cutoff 5");
  CHECK(r.code == 2);
  CHECK(r.output.find("--truncation-cutoff 5 is beyond the generator's 4 layers") != std::string::npos);
  r = run("sample --checkpoint " + ck + " --mix-rows 1 --mix-cols 2 --mix-cutoff 4 --png " + out + "/x.png");
  CHECK(r.code == 1);
  CHECK(r.output.find("mixing layer 4 is outside [1, 3]") != std::string::npos);
  r = run("sample --checkpoint " + ck + " --n 2 --out " + out + "/x.npy --space w");
  CHECK(r.code == 2);
  CHECK(r.output.find("--space applies to --interpolate") != std::string::npos);
  r = run("sample --checkpoint " + ck + " --mix-rows 1 --mix-cols 2 --mix-cutoff 2 --truncation-cutoff 2 --png " + out +
          "/x.png");
  CHECK(r.code == 2);
  CHECK(r.output.find("its cutoff is --mix-cutoff") != std::string::npos);
  r = run("project --checkpoint " + ck + " --target " + out + "/missing.png --out " + out + "/p2");
  CHECK(r.code == 1);
  CHECK(r.output.find("cannot read the target image") != std::string::npos);
  // A model without a W space: project refuses it by name; directions work in z.
  r = run("train --model dcgan --data " + data + " --g-width 4 --d-width 4 --batch 8 --steps 1 --sample-every 0 "
          "--quiet --out " + out + "_dcgan");
  REQUIRE(r.code == 0);
  r = run("project --checkpoint " + out + "_dcgan/checkpoint.safetensors --target " + out + "/one.png --out " + out +
          "/p3");
  CHECK(r.code == 1);
  CHECK(r.output.find("needs a style-based model (stylegan2); model 'dcgan' has no W space") != std::string::npos);
  r = run("directions --checkpoint " + out + "_dcgan/checkpoint.safetensors --method sefa --k 3 --rows 1 --out " +
          out + "/dir_dcgan");
  INFO(r.output);
  CHECK(r.code == 0);
  CHECK(r.output.find("sefa in z") != std::string::npos);
}

// A classifier trained on a labelled folder (one subfolder per class) makes
// eval's metrics apply to a run on that data.
TEST_CASE("cli: train-classifier on a labelled folder, eval against it", "[cli][eval]") {
  const std::string dir = tmp("gantry_cli_labelled"), out = tmp("gantry_cli_labelled_run");
  fs::remove_all(dir);
  fs::remove_all(out);
  RandomState g(9);
  for (int k = 0; k < 2; ++k) {  // class "a": dark blobs, class "b": bright
    fs::create_directories(dir + "/" + std::string(1, static_cast<char>('a' + k)));
    for (int i = 0; i < 40; ++i) {
      char name[64];
      std::snprintf(name, sizeof name, "/%c/%02d.png", 'a' + k, i);
      gan::save_png_grid(dir + name, tanh(add(mul(randn({1, 1, 32, 32}, {}, &g), 0.5), k ? 1.0 : -1.0)), 1, 0);
    }
  }
  auto r = run("train-classifier --data " + dir + " --epochs 2 --threads 1");
  CHECK(r.code == 2);  // --out is required: the committed weights are not overwritten
  r = run("train-classifier --data " + dir + " --out " + out + "/clf.safetensors --epochs 20 --threads 1");
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(r.output.find("2 classes (" + dir + ")") != std::string::npos);
  CHECK(r.output.find("test accuracy 1.0000") != std::string::npos);  // the classes are easy
  // A run on the folder's images, scored against them.
  r = run("train --data " + dir + "/a --resolution 28 --steps 2 --batch 8 --sample-every 0 --quiet --out " + out);
  INFO(r.output);
  REQUIRE(r.code == 0);
  r = run("eval " + out + "/checkpoint.safetensors --n 20 --threads 1 --classifier " + out + "/clf.safetensors");
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(r.output.find("20 samples from") != std::string::npos);
  CHECK(r.output.find("vs 20 images of " + dir) != std::string::npos);
  CHECK(r.output.find("real-train") == std::string::npos);  // no Fashion-MNIST floor here
  r = run("train-classifier --data " + dir + "/a --out " + out + "/x.safetensors");
  CHECK(r.code == 1);
  CHECK(r.output.find("class subfolders") != std::string::npos);
}
