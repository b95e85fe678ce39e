// tests/fuzz/fuzz_config.cpp — libFuzzer target for gan::Config::parse (our
// own TOML subset). Besides parsing, it reads every key back with its type's
// getter and re-parses dump(): any exception other than gantry::Error, a
// crash or a sanitizer report is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "gan/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using gantry::gan::Config;
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    Config c = Config::parse(text, "fuzz.toml");
    for (const std::string& k : c.keys()) {
      switch (c.type(k)) {
        case Config::Type::String: (void)c.get_string(k); break;
        case Config::Type::Int: (void)c.get_int(k); (void)c.get_double(k); break;
        case Config::Type::Float: (void)c.get_double(k); break;
        case Config::Type::Bool: (void)c.get_bool(k); break;
        case Config::Type::Array: (void)c.get_doubles(k); break;
      }
      (void)c.value_text(k);
    }
    Config again = Config::parse(c.dump(), "dump.toml");
    (void)again.keys();
  } catch (const gantry::Error&) {
  }
  return 0;
}
