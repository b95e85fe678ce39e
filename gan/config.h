// gan/config.h — training configurations: a small TOML subset, parsed here
// (no third-party TOML library), flattened to "section.key" -> value.
//
//   # DCGAN on Fashion-MNIST
//   seed = 1
//   [optim]
//   lr = 2.0e-4              # float (also 1e-4, 0.5, inf, nan)
//   betas = [0.5, 0.999]     # array of numbers (may span lines)
//   [data]
//   dir = "/usr/share/datasets/fashion-mnist"   # "..." with \" \\ \n \t \uXXXX, or '...'
//   shuffle = true
//
// gives keys seed, optim.lr, optim.betas, data.dir, data.shuffle. Supported:
// comments, [section] and [dotted.section] headers, bare/quoted/dotted keys,
// strings, integers (123, -7, 1_000, 0x1F), floats, booleans, arrays of
// numbers. Not supported (refused with an error): inline tables, arrays of
// tables, multi-line strings, dates. Errors name the source and line:
// "config.toml:7: expected '=' after key 'lr'". Duplicate keys are errors.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gantry {
namespace gan {

class Config {
 public:
  enum class Type { String, Int, Float, Bool, Array };

  Config() = default;
  // `name` labels errors (usually the file name). Text over 1 MiB is refused.
  static Config parse(const std::string& text, const std::string& name = "<config>");
  static Config load(const std::string& path);

  bool has(const std::string& key) const;
  // Without a default, a missing key is an error. A value of another type is
  // always an error naming the key (an integer is accepted as a double).
  std::string get_string(const std::string& key) const;
  std::string get_string(const std::string& key, const std::string& def) const;
  int64_t get_int(const std::string& key) const;
  int64_t get_int(const std::string& key, int64_t def) const;
  double get_double(const std::string& key) const;
  double get_double(const std::string& key, double def) const;
  bool get_bool(const std::string& key) const;
  bool get_bool(const std::string& key, bool def) const;
  std::vector<double> get_doubles(const std::string& key) const;
  std::vector<double> get_doubles(const std::string& key, const std::vector<double>& def) const;
  Type type(const std::string& key) const;  // error when missing

  // Keys in the order they were first defined (file order, then new overrides).
  std::vector<std::string> keys() const;

  // Command-line override: `value` is read as a TOML value ("2e-4", "true",
  // "[0.5, 0.9]", "\"text\"") or, failing that, taken as a bare string. Over an
  // existing key the new value must fit its type (an integer may replace a
  // float; anything may replace a string, taken as text); a mismatch is an
  // error naming the key.
  void set(const std::string& key, const std::string& value);
  // Parses "key=value" (e.g. from `--set optim.lr=1e-4`) and calls set().
  void set_from_assignment(const std::string& assignment);

  // All values as flat TOML ("key = value" lines, keys quoted where needed),
  // which parse() reads back to an equal Config. For logs and checkpoint metadata.
  std::string dump() const;
  // One value as TOML text ("2.0e-04" style is not kept: 0.0002).
  std::string value_text(const std::string& key) const;
  const std::string& name() const { return name_; }

  struct Value {
    Type type = Type::String;
    std::string s;
    int64_t i = 0;
    double d = 0;
    bool b = false;
    std::vector<double> arr;
    int line = 0;  // 0 for overrides
  };

 private:
  const Value& get(const std::string& key) const;
  [[noreturn]] void type_error(const std::string& key, const Value& v, const char* want) const;

  std::string name_ = "<config>";
  std::map<std::string, Value> values_;
  std::vector<std::string> order_;
};

const char* config_type_name(Config::Type t);

}  // namespace gan
}  // namespace gantry
