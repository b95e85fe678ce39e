// tests/test_cuda_cli.cpp — `gantry train --device cuda` and
// `gantry bench --device cuda` as a user runs them (label cuda: skipped
// without a GPU; in the emulation build they run on the CPU, kernels/cuda/emu).
//
// The training check: the DCGAN for 3 steps at batch 8 on Fashion-MNIST, once
// on cuda and once on the cpu, same seed. Initial weights and noise are drawn
// on the CPU in both runs, so the runs differ only by the kernels' rounding:
// each step's d_loss and g_loss (metrics.csv) agree to 2e-3 relative, the
// tolerance docs/cuda.md documents (after 3 steps of Adam the float32 sums
// in another order have moved the losses by about 1e-4 relative).
#include <catch2/catch.hpp>

#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/test_cli_run.h"
#include "tests/test_skip.h"

namespace fs = std::filesystem;

namespace {

using Result = testutil::CliResult;
Result run(const std::string& args) { return testutil::run_cli(args); }

// metrics.csv rows as {d_loss, g_loss}.
std::vector<std::array<double, 2>> losses(const std::string& run_dir) {
  std::ifstream f(run_dir + "/metrics.csv");
  REQUIRE(f.good());
  std::string line;
  std::getline(f, line);
  REQUIRE(line.rfind("step,epoch,d_loss,g_loss", 0) == 0);
  std::vector<std::array<double, 2>> r;
  while (std::getline(f, line)) {
    std::stringstream ss(line);
    std::string cell;
    std::vector<std::string> cells;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    REQUIRE(cells.size() >= 4);
    r.push_back({std::stod(cells[2]), std::stod(cells[3])});
  }
  return r;
}

}  // namespace

TEST_CASE("cuda cli: gantry train --device cuda tracks the cpu run step by step",
          "[cuda][cli]") {
  const std::string data_dir = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(data_dir + "/train-images-idx3-ubyte.gz") &&
      !fs::exists(data_dir + "/train-images-idx3-ubyte"))
    GANTRY_SKIP("Fashion-MNIST not installed (" + data_dir + ")");
  const std::string base = (fs::temp_directory_path() / "gantry_cuda_cli").string();
  fs::remove_all(base);
  std::vector<std::array<double, 2>> l[2];
  const char* devices[] = {"cpu", "cuda"};
  for (int i = 0; i < 2; ++i) {
    const std::string out = base + "/" + devices[i];
    Result r = run(std::string("train --config ") + GANTRY_SOURCE_DIR +
                   "/configs/dcgan.toml --steps 3 --batch 8 --data-limit 64 --seed 3 "
                   "--log-every 1 --sample-every 3 --checkpoint-every 3 --quiet --device " +
                   devices[i] + " --out " + out);
    INFO(r.output);
    REQUIRE(r.code == 0);
    CHECK(fs::exists(out + "/checkpoint.safetensors"));
    CHECK(fs::exists(out + "/samples/step_000003.png"));
    l[i] = losses(out);
    REQUIRE(l[i].size() == 3);
  }
  for (int s = 0; s < 3; ++s) {
    INFO("step " << s + 1);
    CHECK(l[1][s][0] == Approx(l[0][s][0]).epsilon(2e-3));
    CHECK(l[1][s][1] == Approx(l[0][s][1]).epsilon(2e-3));
  }
  fs::remove_all(base);
}

TEST_CASE("cuda cli: gantry bench --device cuda times the step", "[cuda][cli]") {
  Result r = run("bench --device cuda --steps 2 --rounds 1 --warmup 1 --batch 8 --no-libtorch --no-sr --no-translation");
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(r.output.find("cuda") != std::string::npos);
}

// Progressive growing on the device: a 4 -> 8 schedule (2 steps at 4x4, the
// fade-in, 2 stable steps at 8x8) tracks the cpu run step by step. WGAN
// losses pass near 0, so the tolerance has an absolute part as well.
TEST_CASE("cuda cli: progan grows on the device as on the cpu", "[cuda][cli][progan]") {
  const std::string data_dir = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(data_dir + "/train-images-idx3-ubyte.gz") &&
      !fs::exists(data_dir + "/train-images-idx3-ubyte"))
    GANTRY_SKIP("Fashion-MNIST not installed (" + data_dir + ")");
  const std::string base = (fs::temp_directory_path() / "gantry_cuda_cli_progan").string();
  fs::remove_all(base);
  std::vector<std::array<double, 2>> l[2];
  const char* devices[] = {"cpu", "cuda"};
  for (int i = 0; i < 2; ++i) {
    const std::string out = base + "/" + devices[i];
    Result r = run(std::string("train --model progan --resolution 8 --phase-images 16 --batch 8 --data-limit 64 "
                               "--latent 16 --fmap-base 64 --fmap-max 16 --seed 3 --eval-phases=false "
                               "--log-every 1 --sample-every 0 --checkpoint-every 6 --quiet --device ") +
                   devices[i] + " --out " + out);
    INFO(r.output);
    REQUIRE(r.code == 0);
    CHECK(fs::exists(out + "/samples/phase_8x8.png"));
    l[i] = losses(out);
    REQUIRE(l[i].size() == 6);
  }
  for (int s = 0; s < 6; ++s) {
    INFO("step " << s + 1);
    CHECK(l[1][s][0] == Approx(l[0][s][0]).epsilon(2e-3).margin(2e-3));
    CHECK(l[1][s][1] == Approx(l[0][s][1]).epsilon(2e-3).margin(2e-3));
  }
  fs::remove_all(base);
}

// The style-based generator on the device: a few steps with both lazy
// regularizers (R1 and path length: double backward through upfirdn2d,
// bias_act and the grouped modulated convolution) track the cpu run.
TEST_CASE("cuda cli: stylegan2 trains on the device as on the cpu", "[cuda][cli][stylegan]") {
  const std::string data_dir = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(data_dir + "/train-images-idx3-ubyte.gz") &&
      !fs::exists(data_dir + "/train-images-idx3-ubyte"))
    GANTRY_SKIP("Fashion-MNIST not installed (" + data_dir + ")");
  const std::string base = (fs::temp_directory_path() / "gantry_cuda_cli_stylegan").string();
  fs::remove_all(base);
  std::vector<std::array<double, 2>> l[2];
  const char* devices[] = {"cpu", "cuda"};
  for (int i = 0; i < 2; ++i) {
    const std::string out = base + "/" + devices[i];
    Result r = run(std::string("train --model stylegan2 --resolution 8 --batch 4 --data-limit 32 --latent 8 "
                               "--w-dim 8 --mapping-layers 2 --fmap-base 16 --fmap-max 4 --mbstd-group 2 "
                               "--r1-every 2 --pl-every 2 --steps 4 --seed 3 --log-every 1 --sample-every 0 "
                               "--checkpoint-every 4 --quiet --device ") +
                   devices[i] + " --out " + out);
    INFO(r.output);
    REQUIRE(r.code == 0);
    l[i] = losses(out);
    REQUIRE(l[i].size() == 4);
  }
  for (int s = 0; s < 4; ++s) {
    INFO("step " << s + 1);
    CHECK(l[1][s][0] == Approx(l[0][s][0]).epsilon(2e-3).margin(2e-3));
    CHECK(l[1][s][1] == Approx(l[0][s][1]).epsilon(2e-3).margin(2e-3));
  }
  fs::remove_all(base);
}
