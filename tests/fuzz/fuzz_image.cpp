// tests/fuzz/fuzz_image.cpp — libFuzzer target for gan::load_image (PNG/JPEG
// through stb behind our size caps). The requested channel count (1..4) is
// taken from the input's length so every conversion path is reached without
// changing the file's bytes. Any exception other than gantry::Error, a crash,
// a sanitizer report or an allocation over -rss_limit_mb is a finding.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "gan/data/image.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = gantry_fuzz::write_input("fuzz_image", data, size);
  const int channels = 1 + static_cast<int>(size % 4);
  try {
    gantry::Tensor t = gantry::gan::load_image(path, channels);
    (void)t.numel();
  } catch (const gantry::Error&) {
  }
  return 0;
}
