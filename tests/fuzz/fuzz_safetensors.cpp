// tests/fuzz/fuzz_safetensors.cpp — libFuzzer target for nn::load_safetensors
// (the checkpoint reader). Any exception other than gantry::Error, a crash, a
// sanitizer report or an allocation over -rss_limit_mb is a finding.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "nn/safetensors.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = gantry_fuzz::write_input("fuzz_safetensors", data, size);
  try {
    gantry::nn::SafetensorsFile f = gantry::nn::load_safetensors(path);
    for (auto& kv : f.tensors) (void)kv.second.numel();
  } catch (const gantry::Error&) {
  }
  return 0;
}
