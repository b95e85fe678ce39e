// tests/test_images.h — a folder of synthetic 28x28 grayscale PNGs (random
// blobs), so trainer tests run without the real data set installed.
#pragma once
#include <cstdio>
#include <filesystem>
#include <string>

#include "autograd/ops.h"
#include "core/rng.h"
#include "gan/data/image.h"

namespace testutil {

// Writes n images to $TMPDIR/<name> (emptied first) from RandomState(seed);
// returns the folder's path.
inline std::string synthetic_image_folder(const std::string& name, int n, uint64_t seed) {
  namespace fs = std::filesystem;
  using namespace gantry;
  const std::string dir = (fs::temp_directory_path() / name).string();
  fs::remove_all(dir);
  fs::create_directories(dir);
  RandomState g(seed);
  for (int i = 0; i < n; ++i) {
    Tensor img = tanh(mul(randn({1, 1, 28, 28}, {}, &g), 1.5));  // [1,1,28,28] in (-1, 1)
    char file[64];
    std::snprintf(file, sizeof file, "/img_%03d.png", i);
    gan::save_png_grid(dir + file, img, 1, 0);
  }
  return dir;
}

}  // namespace testutil
