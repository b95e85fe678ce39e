// gan/config.cpp — gan::Config on toml++: parse with toml++, then flatten the
// document's tables to dotted keys in file order and turn every toml++ error
// (toml++ runs in exceptions mode) into one gantry::Error naming the
// file:line:column and the key. toml++ is header-only here: this is the only
// file that includes it, so it is compiled once, into gantry_gan.
#include "gan/config.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include <toml++/toml.h>

#include "core/error.h"

namespace gantry {
namespace gan {

namespace {

constexpr size_t kMaxConfigBytes = 1 << 20;

bool is_bare(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

std::string double_text(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  std::string out(buf, r.ptr);
  if (out.find_first_of(".en") == std::string::npos) out += ".0";
  return out;
}

std::string dotted_key(const std::string& key) {
  std::string out;
  size_t b = 0;
  for (;;) {
    size_t e = key.find('.', b);
    std::string part = key.substr(b, e == std::string::npos ? std::string::npos : e - b);
    bool bare = !part.empty();
    for (char c : part) bare = bare && is_bare(c);
    out += bare ? part : toml_quote(part);
    if (e == std::string::npos) break;
    out += '.';
    b = e + 1;
  }
  return out;
}

bool valid_key(const std::string& key) {
  if (key.empty() || key.front() == '.' || key.back() == '.') return false;
  for (size_t k = 0; k < key.size(); ++k) {
    if (key[k] == '.') {
      if (key[k + 1] == '.') return false;
    } else if (!is_bare(key[k])) {
      return false;
    }
  }
  return true;
}

// The key written on line `line` (1-based) of `text`, if that line reads
// `key = ...`; for naming the key in a syntax error.
std::string key_on_line(const std::string& text, int line) {
  size_t b = 0;
  for (int l = 1; l < line && b != std::string::npos; ++l) {
    b = text.find('\n', b);
    if (b != std::string::npos) ++b;
  }
  if (b == std::string::npos || b >= text.size()) return "";
  size_t e = text.find('\n', b);
  std::string s = text.substr(b, e == std::string::npos ? std::string::npos : e - b);
  size_t eq = s.find('=');
  if (eq == std::string::npos) return "";
  std::string k = s.substr(0, eq);
  while (!k.empty() && (k.back() == ' ' || k.back() == '\t')) k.pop_back();
  size_t f = k.find_first_not_of(" \t");
  if (f == std::string::npos) return "";
  k = k.substr(f);
  if (k.size() > 64 || k.find_first_of("[#\"'") != std::string::npos) return "";
  return k;
}

struct Flat {
  std::string key;
  Config::Value v;
};

[[noreturn]] void fail_at(const std::string& name, const toml::source_region& src,
                          const std::string& key, const std::string& msg) {
  throw Error(str(name, ":", src.begin.line, ":", src.begin.column, ": key '", key, "': ", msg));
}

// Flattens `t` (prefix "a.b.") into out; refuses what no option can hold.
void flatten(const toml::table& t, const std::string& prefix, const std::string& name,
             std::vector<Flat>& out) {
  for (auto&& [k, node] : t) {
    const std::string key = prefix + std::string(k.str());
    const toml::source_region& src = k.source();
    if (const toml::table* sub = node.as_table()) {
      flatten(*sub, key + ".", name, out);
      continue;
    }
    Flat f;
    f.key = key;
    f.v.line = static_cast<int>(src.begin.line);
    f.v.column = static_cast<int>(src.begin.column);
    Config::Value& v = f.v;
    if (auto s = node.as_string()) {
      v.type = Config::Type::String;
      v.s = s->get();
    } else if (auto i = node.as_integer()) {
      v.type = Config::Type::Int;
      v.i = i->get();
    } else if (auto d = node.as_floating_point()) {
      v.type = Config::Type::Float;
      v.d = d->get();
    } else if (auto b = node.as_boolean()) {
      v.type = Config::Type::Bool;
      v.b = b->get();
    } else if (const toml::array* a = node.as_array()) {
      v.type = Config::Type::Array;
      for (const toml::node& e : *a) {
        if (auto ei = e.as_integer()) v.arr.push_back(static_cast<double>(ei->get()));
        else if (auto ed = e.as_floating_point()) v.arr.push_back(ed->get());
        else if (e.is_table())
          fail_at(name, src, key, "arrays of tables are not used by any option");
        else fail_at(name, src, key, "arrays may hold only numbers");
      }
    } else {  // dates and times
      fail_at(name, src, key, "dates and times are not used by any option");
    }
    out.push_back(std::move(f));
  }
}

}  // namespace

std::string toml_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (u < 0x20 || u == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04X", u);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string toml_value_text(const Config::Value& v) {
  switch (v.type) {
    case Config::Type::String: return toml_quote(v.s);
    case Config::Type::Int: return std::to_string(v.i);
    case Config::Type::Float: return double_text(v.d);
    case Config::Type::Bool: return v.b ? "true" : "false";
    case Config::Type::Array: {
      std::string out = "[";
      for (size_t k = 0; k < v.arr.size(); ++k) {
        if (k) out += ", ";
        out += double_text(v.arr[k]);
      }
      return out + "]";
    }
  }
  return "";
}

const char* config_type_name(Config::Type t) {
  switch (t) {
    case Config::Type::String: return "a string";
    case Config::Type::Int: return "an integer";
    case Config::Type::Float: return "a float";
    case Config::Type::Bool: return "a boolean";
    case Config::Type::Array: return "an array";
  }
  return "?";
}

Config Config::parse(const std::string& text, const std::string& name) {
  GANTRY_CHECK(text.size() <= kMaxConfigBytes, name, ": config is ", text.size(),
               " bytes, over the limit of ", kMaxConfigBytes);
  std::vector<Flat> flat;
  try {
    toml::table doc = toml::parse(std::string_view(text), std::string_view(name));
    flatten(doc, "", name, flat);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    const std::string key = key_on_line(text, static_cast<int>(b.line));
    throw Error(str(name, ":", b.line, ":", b.column, ": ",
                    key.empty() ? std::string() : "key '" + key + "': ", e.description()));
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {  // e.g. std::bad_alloc inside toml++
    throw Error(str(name, ": cannot parse the config: ", e.what()));
  }
  // File order: toml++ tables are sorted by key, the positions are not.
  std::stable_sort(flat.begin(), flat.end(), [](const Flat& a, const Flat& b) {
    return a.v.line != b.v.line ? a.v.line < b.v.line : a.v.column < b.v.column;
  });
  Config cfg;
  cfg.name_ = name;
  for (Flat& f : flat) {
    auto it = cfg.values_.find(f.key);
    if (it != cfg.values_.end())  // "a.b" quoted beside a table a with key b
      throw Error(str(name, ":", f.v.line, ":", f.v.column, ": key '", f.key,
                      "' is defined twice (first on line ", it->second.line, ")"));
    cfg.order_.push_back(f.key);
    cfg.values_[f.key] = std::move(f.v);
  }
  return cfg;
}

Config Config::load(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  GANTRY_CHECK(f != nullptr, path, ": cannot open config: ", std::strerror(errno));
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    std::fclose(f);
    throw Error(str(path, ": not a regular file"));
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxConfigBytes) {
    std::fclose(f);
    throw Error(str(path, ": config is ", st.st_size, " bytes, over the limit of ",
                    kMaxConfigBytes));
  }
  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t got = text.empty() ? 0 : std::fread(text.data(), 1, text.size(), f);
  std::fclose(f);
  GANTRY_CHECK(got == text.size(), path, ": read ", got, " of ", text.size(), " bytes");
  return parse(text, path);
}

bool Config::has(const std::string& key) const { return values_.count(key) != 0; }

const Config::Value& Config::get(const std::string& key) const {
  auto it = values_.find(key);
  GANTRY_CHECK(it != values_.end(), name_, ": missing key '", key, "'");
  return it->second;
}

const Config::Value& Config::value(const std::string& key) const { return get(key); }

std::string Config::where(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end() || (it->second.line == 0 && it->second.origin.empty()))
    return str(name_, ": key '", key, "'");
  if (it->second.line > 0)
    return str(name_, ":", it->second.line, ":", it->second.column, ": key '", key, "'");
  return str(it->second.origin, " (key '", key, "')");
}

std::string Config::position(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end() || (it->second.line == 0 && it->second.origin.empty())) return name_;
  if (it->second.line > 0) return str(name_, ":", it->second.line, ":", it->second.column);
  return it->second.origin;
}

void Config::type_error(const std::string& key, const Value& v, const char* want) const {
  throw Error(str(where(key), " is ", config_type_name(v.type), ", expected ", want));
}

Config::Type Config::type(const std::string& key) const { return get(key).type; }

std::string Config::get_string(const std::string& key) const {
  const Value& v = get(key);
  if (v.type != Type::String) type_error(key, v, "a string");
  return v.s;
}
std::string Config::get_string(const std::string& key, const std::string& def) const {
  return has(key) ? get_string(key) : def;
}
int64_t Config::get_int(const std::string& key) const {
  const Value& v = get(key);
  if (v.type != Type::Int) type_error(key, v, "an integer");
  return v.i;
}
int64_t Config::get_int(const std::string& key, int64_t def) const {
  return has(key) ? get_int(key) : def;
}
double Config::get_double(const std::string& key) const {
  const Value& v = get(key);
  if (v.type == Type::Int) return static_cast<double>(v.i);
  if (v.type != Type::Float) type_error(key, v, "a number");
  return v.d;
}
double Config::get_double(const std::string& key, double def) const {
  return has(key) ? get_double(key) : def;
}
bool Config::get_bool(const std::string& key) const {
  const Value& v = get(key);
  if (v.type != Type::Bool) type_error(key, v, "a boolean");
  return v.b;
}
bool Config::get_bool(const std::string& key, bool def) const {
  return has(key) ? get_bool(key) : def;
}
std::vector<double> Config::get_doubles(const std::string& key) const {
  const Value& v = get(key);
  if (v.type != Type::Array) type_error(key, v, "an array of numbers");
  return v.arr;
}
std::vector<double> Config::get_doubles(const std::string& key,
                                        const std::vector<double>& def) const {
  return has(key) ? get_doubles(key) : def;
}

std::vector<std::string> Config::keys() const { return order_; }

void Config::set_value(const std::string& key, Value v) {
  GANTRY_CHECK(valid_key(key), name_, ": override key '", key,
               "' is not a dotted key of letters, digits, '_' and '-'");
  v.line = v.column = 0;
  if (v.origin.empty()) v.origin = "override " + key;
  auto it = values_.find(key);
  if (it != values_.end()) {
    it->second = std::move(v);
  } else {
    values_[key] = std::move(v);
    order_.push_back(key);
  }
}

void Config::set(const std::string& key, const std::string& value, const std::string& origin) {
  GANTRY_CHECK(valid_key(key), name_, ": override key '", key,
               "' is not a dotted key of letters, digits, '_' and '-'");
  GANTRY_CHECK(value.size() <= kMaxConfigBytes, name_, ": override value for '", key,
               "' is too long");
  // Read the value as TOML ("v = VALUE" must give exactly one plain value).
  Value v;
  bool parsed = false;
  if (value.find_first_of("\n\r") == std::string::npos) {
    try {
      Config one = parse("v = " + value + "\n", "override");
      if (one.keys().size() == 1 && one.keys()[0] == "v") {
        v = one.values_.at("v");
        parsed = true;
      }
    } catch (const Error&) {
      parsed = false;
    }
  }
  if (!parsed) {
    v = Value();
    v.type = Type::String;
    v.s = value;
  }
  v.origin = origin.empty() ? "override " + key : origin;
  auto it = values_.find(key);
  if (it != values_.end()) {
    const Type old = it->second.type;
    if (old == Type::String && v.type != Type::String) {
      v.type = Type::String;
      v.s = value;
    } else if (old == Type::Float && v.type == Type::Int) {
      v.type = Type::Float;
      v.d = static_cast<double>(v.i);
    } else if (old != v.type) {
      throw Error(str(name_, ": ", v.origin, " ", key, "=", value, ": key '", key, "' is ",
                      config_type_name(old), ", but the value is ",
                      parsed ? config_type_name(v.type) : "not a valid TOML value"));
    }
  }
  set_value(key, std::move(v));
}

void Config::set_from_assignment(const std::string& assignment) {
  size_t eq = assignment.find('=');
  GANTRY_CHECK(eq != std::string::npos, name_, ": override '", assignment,
               "' is not of the form key=value");
  std::string key = assignment.substr(0, eq);
  while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.pop_back();
  while (!key.empty() && (key.front() == ' ' || key.front() == '\t')) key.erase(0, 1);
  std::string value = assignment.substr(eq + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
  set(key, value);
}

std::string Config::value_text(const std::string& key) const { return toml_value_text(get(key)); }

std::string Config::dump() const {
  std::string out;
  for (const std::string& k : order_) out += dotted_key(k) + " = " + value_text(k) + "\n";
  return out;
}

}  // namespace gan
}  // namespace gantry
