// tests/fuzz/fuzz_util.h — shared by the libFuzzer targets. The parsers under
// test take a path, so each input is written to one per-process file under
// /tmp (/tmp/gantry_<target>_<pid>, overwritten every run, removed at exit)
// and that path is handed over. The library itself gets no fuzzing hooks.
#pragma once
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace gantry_fuzz {

inline std::string& input_file() {
  static std::string path;
  return path;
}

inline void remove_input_file() { std::remove(input_file().c_str()); }

// Writes the fuzzer's bytes to the per-process file and returns its path.
// Aborts (a harness failure, not a parser finding) if it cannot be written.
inline const std::string& write_input(const char* target, const uint8_t* data, size_t size) {
  std::string& path = input_file();
  if (path.empty()) {
    path = std::string("/tmp/gantry_") + target + "_" + std::to_string(getpid());
    std::atexit(remove_input_file);
  }
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  if (std::fclose(f) != 0) std::abort();
  return path;
}

}  // namespace gantry_fuzz
