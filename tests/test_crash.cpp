// tests/test_crash.cpp — crash safety of `gantry train`, as a user meets it:
//   - SIGKILL at seeded moments (a checkpoint is written every step, so many
//     kills land inside a write): the checkpoint left behind always loads, a
//     restart with --resume continues from its step, and the final weights are
//     bit-identical to an uninterrupted run's;
//   - SIGINT/SIGTERM: the run writes a final checkpoint and exits 128+signal.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "autograd/ops.h"
#include "core/rng.h"
#include "gan/data/image.h"
#include "nn/safetensors.h"

#ifndef GANTRY_CLI
#error "GANTRY_CLI (path of the gantry binary) must be defined by the build"
#endif

extern char** environ;

using namespace gantry;
namespace fs = std::filesystem;

namespace {

std::string tmp(const std::string& n) { return (fs::temp_directory_path() / n).string(); }

std::string image_folder() {
  std::string dir = tmp("gantry_crash_images");
  fs::remove_all(dir);
  fs::create_directories(dir);
  RandomState g(9);
  for (int i = 0; i < 24; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "/%02d.png", i);
    gan::save_png_grid(dir + name, tanh(randn({1, 1, 28, 28}, {}, &g)), 1, 0);
  }
  return dir;
}

std::vector<std::string> train_args(const std::string& data, const std::string& out, int steps,
                                    bool resume) {
  std::vector<std::string> a = {GANTRY_CLI, "train", "--data", data, "--steps",
                                std::to_string(steps), "--batch", "8", "--seed", "5", "--out",
                                out, "--checkpoint-every", "1", "--sample-every", "0", "--quiet"};
  if (resume) a.push_back("--resume");
  return a;
}

pid_t spawn(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& s : args) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::vector<std::pair<std::string, Tensor>> weights(const std::string& path) {
  std::vector<std::pair<std::string, Tensor>> r;
  for (auto& kv : nn::load_safetensors(path).tensors)
    if (kv.first.rfind("G.", 0) == 0 || kv.first.rfind("D.", 0) == 0 ||
        kv.first.rfind("opt_", 0) == 0)
      r.push_back(kv);
  return r;
}

int64_t step_of(const std::string& path) {
  return std::stoll(nn::load_safetensors(path).metadata.at("step"));
}

}  // namespace

TEST_CASE("crash safety: SIGKILL at seeded moments, then --resume, ends bit-identical",
          "[crash]") {
  const std::string data = image_folder();
  const int steps = 10;
  const std::string ref = tmp("gantry_crash_ref");
  fs::remove_all(ref);
  REQUIRE(wait_exit(spawn(train_args(data, ref, steps, false))) == 0);
  const auto want = weights(ref + "/checkpoint.safetensors");

  std::mt19937 rng(2024);  // the kill moments are seeded
  for (int trial = 0; trial < 4; ++trial) {
    const std::string out = tmp("gantry_crash_" + std::to_string(trial));
    fs::remove_all(out);
    const int delay_ms = std::uniform_int_distribution<int>(150, 1500)(rng);
    pid_t pid = spawn(train_args(data, out, steps, false));
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    kill(pid, SIGKILL);
    wait_exit(pid);
    INFO("trial " << trial << ": killed after " << delay_ms << " ms");
    const std::string ck = out + "/checkpoint.safetensors";
    int64_t saved = 0;
    if (fs::exists(ck)) {
      REQUIRE_NOTHROW(saved = step_of(ck));  // never torn: written to .tmp, then renamed
      WARN("trial " << trial << ": killed after " << delay_ms << " ms; checkpoint at step " << saved);
    }
    REQUIRE(wait_exit(spawn(train_args(data, out, steps, true))) == 0);
    REQUIRE(step_of(ck) == steps);
    const auto got = weights(ck);
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      INFO(got[i].first);
      CHECK(got[i].second.to_vector<double>() == want[i].second.to_vector<double>());
    }
  }
}

TEST_CASE("crash safety: SIGKILL in the middle of a checkpoint write", "[crash]") {
  // Watch for the temporary file of the second checkpoint write and kill the
  // moment it appears: the write is then certainly in progress.
  const std::string data = image_folder();
  const int steps = 6;
  const std::string ref = tmp("gantry_crash_write_ref"), out = tmp("gantry_crash_write");
  fs::remove_all(ref);
  fs::remove_all(out);
  REQUIRE(wait_exit(spawn(train_args(data, ref, steps, false))) == 0);
  const std::string ck = out + "/checkpoint.safetensors", part = ck + ".tmp";
  pid_t pid = spawn(train_args(data, out, steps, false));
  bool caught = false;
  for (int i = 0; i < 20000 && !caught; ++i) {
    if (fs::exists(ck) && fs::exists(part)) caught = true;
    else std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  kill(pid, SIGKILL);
  wait_exit(pid);
  REQUIRE(caught);
  int64_t saved = -1;
  REQUIRE_NOTHROW(saved = step_of(ck));  // the previous checkpoint is intact
  WARN("killed during a checkpoint write; the previous checkpoint (step " << saved << ") loads");
  REQUIRE(wait_exit(spawn(train_args(data, out, steps, true))) == 0);
  const auto want = weights(ref + "/checkpoint.safetensors"), got = weights(ck);
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO(got[i].first);
    CHECK(got[i].second.to_vector<double>() == want[i].second.to_vector<double>());
  }
}

TEST_CASE("crash safety: SIGINT and SIGTERM write a final checkpoint", "[crash]") {
  const std::string data = image_folder();
  for (int sig : {SIGINT, SIGTERM}) {
    const std::string out = tmp("gantry_sigint_" + std::to_string(sig));
    fs::remove_all(out);
    auto args = train_args(data, out, 100000, false);
    for (size_t i = 0; i + 1 < args.size(); ++i)
      if (args[i] == "--checkpoint-every") args[i + 1] = "0";  // only the final checkpoint
    pid_t pid = spawn(args);
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    kill(pid, sig);
    CHECK(wait_exit(pid) == 128 + sig);
    const std::string ck = out + "/checkpoint.safetensors";
    REQUIRE(fs::exists(ck));
    CHECK(step_of(ck) >= 0);
    CHECK(step_of(ck) < 100000);
  }
}
