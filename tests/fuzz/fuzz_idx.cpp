// tests/fuzz/fuzz_idx.cpp — libFuzzer target for gan::read_idx (IDX, plain or
// gzipped). Any exception other than gantry::Error, a crash, a sanitizer
// report or an allocation over -rss_limit_mb is a finding.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "gan/data/idx.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = gantry_fuzz::write_input("fuzz_idx", data, size);
  try {
    gantry::Tensor t = gantry::gan::read_idx(path);
    (void)t.numel();
  } catch (const gantry::Error&) {
  }
  return 0;
}
