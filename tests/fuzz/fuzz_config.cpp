// tests/fuzz/fuzz_config.cpp — libFuzzer target for the whole config load
// path: toml++ parsing (gan::Config::parse), flattening, every getter, the
// dump/re-parse round trip, and the option table's validation
// (TrainOptions::apply, whose errors name file:line:column and the key) and
// its to_toml round trip. Any exception other than gantry::Error (a toml++
// exception escaping, std::out_of_range, ...), a crash or a sanitizer report
// is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "gan/config.h"
#include "gan/options.h"

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
      (void)c.where(k);
    }
    Config again = Config::parse(c.dump(), "dump.toml");
    if (again.keys() != c.keys()) std::abort();  // dump() must read back
    gantry::gan::TrainOptions o;
    o.apply(c);
    gantry::gan::TrainOptions back;
    back.apply(Config::parse(o.to_toml(), "saved.toml"));
    if (back.to_toml() != o.to_toml()) std::abort();  // the saved config must round-trip
  } catch (const gantry::Error&) {
  }
  return 0;
}
