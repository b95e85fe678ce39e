// tests/test_tensorboard.cpp — TensorBoard event files (gan/tensorboard.h):
// CRC-32C against its published check value, the TFRecord framing read back
// with both CRCs, corruption detected, `--tensorboard` training runs writing
// scalars and sample grids, and the files read by TensorBoard's own event
// reader (EventAccumulator) in Python. That last check needs a virtual
// environment with the `tensorboard` wheel (.ci/run makes one at
// .venv-tensorboard; `python3 -m venv .venv-tensorboard &&
// .venv-tensorboard/bin/pip install tensorboard` by hand); without it the
// test is skipped, never passed.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "autograd/ops.h"
#include "core/rng.h"
#include "gan/data/image.h"
#include "gan/tensorboard.h"
#include "gan/trainer.h"
#include "tests/test_images.h"
#include "tests/test_skip.h"

using namespace gantry;
namespace fs = std::filesystem;

namespace {

std::string bytes_of(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string temp_dir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / (name + "_" + std::to_string(getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

std::vector<std::string> event_files(const std::string& dir) {
  std::vector<std::string> r;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind("events.out.tfevents.", 0) == 0)
      r.push_back(e.path().string());
  return r;
}

// A little writer run: 3 scalar steps of two series and one image.
std::string write_sample_events(const std::string& dir) {
  gan::EventWriter w(dir);
  for (int s = 1; s <= 3; ++s) {
    w.add_scalar("loss/d", 1.0 / s, s * 10);
    w.add_scalar("loss/g", 0.5 * s, s * 10);
  }
  const std::string png_path = dir + "/grid.png";
  manual_seed(2);
  gan::save_png_grid(png_path, tanh(randn({4, 1, 28, 28})), 2, 2);  // 62 x 62 gray
  w.add_png("samples", bytes_of(png_path), 30);
  w.flush();
  return w.path();
}

}  // namespace

TEST_CASE("tensorboard: CRC-32C check value", "[tensorboard]") {
  CHECK(gan::crc32c("123456789", 9) == 0xE3069283u);
  CHECK(gan::crc32c("", 0) == 0u);
}

TEST_CASE("tensorboard: records read back with both CRCs, and corruption is named",
          "[tensorboard]") {
  const std::string dir = temp_dir("gantry_tb");
  const std::string path = write_sample_events(dir);
  const std::vector<std::string> recs = gan::read_tfrecords(path);
  REQUIRE(recs.size() == 1 + 6 + 1);  // file_version, 6 scalars, 1 image
  CHECK(recs[0].find("brain.Event:2") != std::string::npos);
  CHECK(recs[1].find("loss/d") != std::string::npos);
  CHECK(recs[7].find("\x89PNG") != std::string::npos);
  // Flip one byte inside the fourth record's data: its CRC must catch it.
  std::string b = bytes_of(path);
  size_t at = 0;
  for (int r = 0; r < 3; ++r) {
    uint64_t len = 0;
    std::memcpy(&len, b.data() + at, 8);
    at += 12 + len + 4;
  }
  b[at + 12 + 2] ^= 0x40;
  const std::string bad = dir + "/events.out.tfevents.bad";
  std::ofstream(bad, std::ios::binary) << b;
  CHECK_THROWS_WITH(gan::read_tfrecords(bad), Catch::Contains("record 3") &&
                                                  Catch::Contains("CRC"));
  std::ofstream(bad, std::ios::binary) << b.substr(0, b.size() - 7);  // truncated
  CHECK_THROWS_WITH(gan::read_tfrecords(bad), Catch::Contains("truncated"));
  CHECK_THROWS_WITH(gan::EventWriter(dir + "/grid.png/sub"), Catch::Contains("cannot create"));
  fs::remove_all(dir);
}

TEST_CASE("tensorboard: --tensorboard training writes scalars and sample grids",
          "[tensorboard][e2e]") {
  const std::string data = testutil::synthetic_image_folder("gantry_tb_images", 32, 5);
  const std::string out = temp_dir("gantry_tb_run");
  gan::TrainOptions o;
  o.data = data;
  o.batch = 8;
  o.steps = 4;
  o.log_every = 2;
  o.sample_every = 2;
  o.checkpoint_every = 0;
  o.quiet = true;
  o.out = out;
  o.tensorboard = true;
  {
    gan::Trainer t(o);
    t.run();
  }
  const auto files = event_files(out + "/tb");
  REQUIRE(files.size() == 1);
  const auto recs = gan::read_tfrecords(files[0]);
  int dloss = 0, images = 0;
  for (const auto& r : recs) {
    dloss += r.find("loss/d") != std::string::npos;
    images += r.find("\x89PNG") != std::string::npos;
  }
  CHECK(dloss == 2);   // steps 2 and 4
  CHECK(images == 2);  // the grids of steps 2 and 4
  fs::remove_all(out);
}

TEST_CASE("tensorboard: TensorBoard's own reader loads the events", "[tensorboard][e2e]") {
  const std::string python = std::string(GANTRY_SOURCE_DIR) + "/.venv-tensorboard/bin/python";
  if (!fs::exists(python))
    GANTRY_SKIP("no .venv-tensorboard with the tensorboard wheel (see this file's header)");
  const std::string dir = temp_dir("gantry_tb_interop");
  write_sample_events(dir);
  const std::string script = dir + "/read.py";
  std::ofstream(script) << R"PY(
import sys
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
acc = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0, "images": 0})
acc.Reload()
tags = acc.Tags()
assert sorted(tags["scalars"]) == ["loss/d", "loss/g"], tags
d = [(e.step, round(e.value, 6)) for e in acc.Scalars("loss/d")]
g = [(e.step, round(e.value, 6)) for e in acc.Scalars("loss/g")]
assert d == [(10, 1.0), (20, 0.5), (30, round(1 / 3, 6))], d
assert g == [(10, 0.5), (20, 1.0), (30, 1.5)], g
img = acc.Images("samples")
assert len(img) == 1 and img[0].step == 30, img
assert (img[0].width, img[0].height) == (62, 62), (img[0].width, img[0].height)
assert img[0].encoded_image_string[:4] == b"\x89PNG"
print("tensorboard reader: ok", d, g, (img[0].width, img[0].height))
)PY";
  const std::string cmd = python + " " + script + " " + dir + " > " + dir + "/py.log 2>&1";
  const int rc = std::system(cmd.c_str());
  INFO(bytes_of(dir + "/py.log"));
  CHECK(rc == 0);
  fs::remove_all(dir);
}
