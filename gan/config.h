// gan/config.h — training configurations read from TOML, flattened to
// "section.key" -> value for the option table (gan/options.h).
//
//   # DCGAN on Fashion-MNIST
//   seed = 1
//   [optim]
//   lr = 2.0e-4              # float (also 1e-4, 0.5, inf, nan)
//   betas = [0.5, 0.999]     # array of numbers (may span lines)
//   [data]
//   dir = "/usr/share/datasets/fashion-mnist"
//
// gives keys seed, optim.lr, optim.betas, data.dir. The text is parsed by
// toml++ (full TOML 1.0: inline tables, multi-line strings, ... all read);
// tables, inline or not, flatten to dotted keys. Values Gantry has no use for
// (dates and times, arrays of strings or tables) are refused when read, with
// the key and its position. Every error is one gantry::Error naming
// file:line:column and, where there is one, the key:
//   "config.toml:7:4: key 'lr': expected '=' ..."
// Keys keep their file order (keys()), so dumps and errors follow the file.
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

  struct Value {
    Type type = Type::String;
    std::string s;
    int64_t i = 0;
    double d = 0;
    bool b = false;
    std::vector<double> arr;
    int line = 0, column = 0;  // where the value stands in the file (0: an override)
    std::string origin;        // for overrides: who set it ("--batch"); else empty
  };

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
  const Value& value(const std::string& key) const;  // error when missing

  // Keys in the order they were first defined (file order, then new overrides).
  std::vector<std::string> keys() const;

  // Command-line override: `value` is read as a TOML value ("2e-4", "true",
  // "[0.5, 0.9]", "\"text\"") or, failing that, taken as a bare string. Over an
  // existing key the new value must fit its type (an integer may replace a
  // float; anything may replace a string, taken as text); a mismatch is an
  // error naming the key. `origin` names the source in later errors
  // (e.g. "--batch"; default "override KEY").
  void set(const std::string& key, const std::string& value, const std::string& origin = "");
  // Sets an already typed value (its line/column are cleared, origin kept).
  void set_value(const std::string& key, Value v);
  // Parses "key=value" (e.g. from `--set optim.lr=1e-4`) and calls set().
  void set_from_assignment(const std::string& assignment);

  // "cfg.toml:8:6: key 'lr'" for a value from the file, "--lr (key 'lr')"
  // for an override: how errors about this key begin.
  std::string where(const std::string& key) const;
  // Just the place: "cfg.toml:8:6", or the override's origin ("--lr").
  std::string position(const std::string& key) const;

  // All values as flat TOML ("key = value" lines, keys quoted where needed,
  // strings escaped), which parse() reads back to an equal Config.
  std::string dump() const;
  // One value as TOML text (floats in their shortest exact form: 0.0002).
  std::string value_text(const std::string& key) const;
  const std::string& name() const { return name_; }

 private:
  const Value& get(const std::string& key) const;
  [[noreturn]] void type_error(const std::string& key, const Value& v, const char* want) const;

  std::string name_ = "<config>";
  std::map<std::string, Value> values_;
  std::vector<std::string> order_;
};

const char* config_type_name(Config::Type t);
// A value as TOML text (strings quoted and escaped; floats exact).
std::string toml_value_text(const Config::Value& v);
// A string as a TOML basic string, "..." with escapes.
std::string toml_quote(const std::string& s);

}  // namespace gan
}  // namespace gantry
