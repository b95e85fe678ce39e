// tests/fuzz/fuzz_npy.cpp — libFuzzer target for gan::load_npy. Any exception
// other than gantry::Error, a crash, a sanitizer report or an allocation over
// -rss_limit_mb is a finding.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "gan/data/npy.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = gantry_fuzz::write_input("fuzz_npy", data, size);
  try {
    gantry::Tensor t = gantry::gan::load_npy(path);
    (void)t.numel();
  } catch (const gantry::Error&) {
  }
  return 0;
}
