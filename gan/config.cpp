// gan/config.cpp — the TOML-subset parser behind gan::Config.
//
// A single pass over the text with a line counter: each statement is blank,
// a comment, a [section] header or `key = value`, and must end at a newline
// (arrays may span lines). Numbers go through std::from_chars, so parsing
// does not depend on the C locale.
#include "gan/config.h"

#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "core/error.h"

namespace gantry {
namespace gan {

namespace {

constexpr size_t kMaxConfigBytes = 1 << 20;

bool is_bare(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

struct Parser {
  const std::string& s;
  const std::string& name;
  size_t i = 0;
  int line = 1;

  [[noreturn]] void fail(const std::string& msg) const {
    throw Error(str(name, ":", line, ": ", msg));
  }
  bool eof() const { return i >= s.size(); }
  char peek(size_t k = 0) const { return i + k < s.size() ? s[i + k] : '\0'; }
  void skip_ws() {
    while (peek() == ' ' || peek() == '\t') ++i;
  }
  void skip_comment() {
    if (peek() != '#') return;
    while (!eof() && peek() != '\n') {
      unsigned char c = static_cast<unsigned char>(peek());
      if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7F) fail("control character in comment");
      ++i;
    }
  }
  bool newline() {
    if (peek() == '\n') {
      ++i;
      ++line;
      return true;
    }
    if (peek() == '\r' && peek(1) == '\n') {
      i += 2;
      ++line;
      return true;
    }
    return false;
  }
  // Whitespace, comments and newlines (inside arrays).
  void skip_all() {
    for (;;) {
      skip_ws();
      skip_comment();
      if (!newline()) break;
    }
  }
  void end_of_line(const char* after) {
    skip_ws();
    skip_comment();
    if (eof() || newline()) return;
    fail(str("unexpected '", peek(), "' after ", after));
  }

  std::string basic_string() {  // at the opening quote
    if (peek(1) == '"' && peek(2) == '"') fail("multi-line strings are not supported");
    ++i;
    std::string out;
    for (;;) {
      if (eof() || peek() == '\n' || peek() == '\r') fail("unterminated string");
      char c = s[i++];
      if (c == '"') break;
      if (c != '\\') {
        unsigned char u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u == 0x7F) fail("control character in string");
        out += c;
        continue;
      }
      char e = peek();
      ++i;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u':
        case 'U': {
          int n = e == 'u' ? 4 : 8;
          uint32_t cp = 0;
          for (int k = 0; k < n; ++k) {
            char h = peek();
            int v = is_digit(h) ? h - '0'
                    : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                    : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                             : -1;
            if (v < 0) fail(str("bad \\", e, " escape in string"));
            cp = cp * 16 + static_cast<uint32_t>(v);
            ++i;
          }
          if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            fail("escape is not a Unicode scalar value");
          append_utf8(out, cp);
          break;
        }
        default: fail(str("unknown escape '\\", e == '\0' ? ' ' : e, "' in string"));
      }
    }
    return out;
  }
  std::string literal_string() {  // at the opening quote
    if (peek(1) == '\'' && peek(2) == '\'') fail("multi-line strings are not supported");
    ++i;
    std::string out;
    for (;;) {
      if (eof() || peek() == '\n' || peek() == '\r') fail("unterminated string");
      char c = s[i++];
      if (c == '\'') break;
      unsigned char u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7F) fail("control character in string");
      out += c;
    }
    return out;
  }
  std::string key_part() {
    if (peek() == '"') return basic_string();
    if (peek() == '\'') return literal_string();
    size_t b = i;
    while (is_bare(peek())) ++i;
    if (i == b) {
      if (eof() || peek() == '\n' || peek() == '\r') fail("expected a key");
      fail(str("expected a key, found '", peek(), "'"));
    }
    return s.substr(b, i - b);
  }
  std::string key() {
    std::string k = key_part();
    for (;;) {
      skip_ws();
      if (peek() != '.') break;
      ++i;
      skip_ws();
      k += '.';
      k += key_part();
    }
    return k;
  }

  Config::Value number(const std::string& tok) {
    Config::Value v;
    auto bad = [&]() { fail(str("invalid value '", tok, "'")); };
    std::string body = tok;
    bool neg = false, has_sign = false;
    if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
      neg = body[0] == '-';
      has_sign = true;
      body = body.substr(1);
    }
    if (body == "inf" || body == "nan") {
      v.type = Config::Type::Float;
      v.d = body == "inf" ? std::numeric_limits<double>::infinity()
                          : std::numeric_limits<double>::quiet_NaN();
      if (neg) v.d = -v.d;
      return v;
    }
    if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'o' || body[1] == 'b')) {
      if (has_sign) bad();
      int base = body[1] == 'x' ? 16 : body[1] == 'o' ? 8 : 2;
      std::string digits;
      for (size_t k = 2; k < body.size(); ++k) {
        if (body[k] == '_') {
          if (k == 2 || k + 1 == body.size() || body[k + 1] == '_') bad();
          continue;
        }
        digits += body[k];
      }
      uint64_t u = 0;
      auto r = std::from_chars(digits.data(), digits.data() + digits.size(), u, base);
      if (r.ec == std::errc::result_out_of_range ||
          u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        fail(str("integer '", tok, "' is out of range"));
      if (r.ec != std::errc() || r.ptr != digits.data() + digits.size() || digits.empty()) bad();
      v.type = Config::Type::Int;
      v.i = static_cast<int64_t>(u);
      return v;
    }
    // Decimal: digits ['.' digits] [e [sign] digits], '_' only between digits.
    std::string clean = neg ? "-" : "";
    size_t k = 0;
    auto digits = [&](bool allow_leading_zero) {
      size_t start = k;
      while (k < body.size() && (is_digit(body[k]) || body[k] == '_')) {
        if (body[k] == '_') {
          if (k == start || k + 1 >= body.size() || !is_digit(body[k + 1])) bad();
        } else {
          clean += body[k];
        }
        ++k;
      }
      if (k == start) bad();
      if (!allow_leading_zero && body[start] == '0' && k - start > 1)
        fail(str("leading zeros are not allowed in '", tok, "'"));
    };
    digits(false);
    bool is_float = false;
    if (k < body.size() && body[k] == '.') {
      is_float = true;
      clean += '.';
      ++k;
      digits(true);
    }
    if (k < body.size() && (body[k] == 'e' || body[k] == 'E')) {
      is_float = true;
      clean += 'e';
      ++k;
      if (k < body.size() && (body[k] == '+' || body[k] == '-')) clean += body[k++];
      digits(true);
    }
    if (k != body.size()) bad();
    const char* b = clean.data();
    const char* e = clean.data() + clean.size();
    if (is_float) {
      double d = 0;
      auto r = std::from_chars(b, e, d);
      if (r.ec == std::errc::result_out_of_range) fail(str("float '", tok, "' is out of range"));
      if (r.ec != std::errc() || r.ptr != e) bad();
      v.type = Config::Type::Float;
      v.d = d;
    } else {
      int64_t n = 0;
      auto r = std::from_chars(b, e, n);
      if (r.ec == std::errc::result_out_of_range) fail(str("integer '", tok, "' is out of range"));
      if (r.ec != std::errc() || r.ptr != e) bad();
      v.type = Config::Type::Int;
      v.i = n;
    }
    return v;
  }

  Config::Value scalar() {
    Config::Value v;
    char c = peek();
    if (c == '"') {
      v.s = basic_string();
      return v;
    }
    if (c == '\'') {
      v.s = literal_string();
      return v;
    }
    if (c == '{') fail("inline tables are not supported");
    if (c == '[') fail("nested arrays are not supported");
    size_t b = i;
    while (is_bare(peek()) || peek() == '.' || peek() == '+') ++i;
    std::string tok = s.substr(b, i - b);
    if (tok.empty()) {
      if (eof() || peek() == '\n' || peek() == '\r' || peek() == '#') fail("expected a value");
      fail(str("expected a value, found '", peek(), "'"));
    }
    if (tok == "true" || tok == "false") {
      v.type = Config::Type::Bool;
      v.b = tok == "true";
      return v;
    }
    // Dates (1979-05-27, 1979-05-27T07:32:00) are not part of the subset.
    if (tok.size() >= 10 && tok[4] == '-' && is_digit(tok[0])) fail("dates are not supported");
    return number(tok);
  }

  Config::Value value() {
    if (peek() != '[') return scalar();
    Config::Value v;
    v.type = Config::Type::Array;
    const int start_line = line;
    ++i;
    for (;;) {
      skip_all();
      if (eof()) {
        line = start_line;
        fail("unterminated array");
      }
      if (peek() == ']') {
        ++i;
        break;
      }
      Config::Value e = scalar();
      if (e.type == Config::Type::Int) v.arr.push_back(static_cast<double>(e.i));
      else if (e.type == Config::Type::Float) v.arr.push_back(e.d);
      else fail("arrays may hold only numbers");
      skip_all();
      if (peek() == ',') {
        ++i;
        continue;
      }
      if (peek() == ']') {
        ++i;
        break;
      }
      if (eof()) {
        line = start_line;
        fail("unterminated array");
      }
      fail(str("expected ',' or ']' in array, found '", peek(), "'"));
    }
    return v;
  }
};

std::string quote(const std::string& s) {
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

std::string double_text(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  std::string out(buf, r.ptr);
  if (out.find_first_of(".e") == std::string::npos) out += ".0";
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
    out += bare ? part : quote(part);
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

}  // namespace

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
  Config cfg;
  cfg.name_ = name;
  Parser p{text, name};
  std::string section;
  for (;;) {
    p.skip_ws();
    if (p.eof()) break;
    if (p.newline()) continue;
    if (p.peek() == '#') {
      p.skip_comment();
      continue;
    }
    if (p.peek() == '[') {
      if (p.peek(1) == '[') p.fail("arrays of tables ([[...]]) are not supported");
      ++p.i;
      p.skip_ws();
      section = p.key();
      p.skip_ws();
      if (p.peek() != ']') p.fail(str("expected ']' after section name '", section, "'"));
      ++p.i;
      p.end_of_line(str("section header [", section, "]").c_str());
      continue;
    }
    const int line = p.line;
    std::string k = p.key();
    p.skip_ws();
    if (p.peek() != '=') p.fail(str("expected '=' after key '", k, "'"));
    ++p.i;
    p.skip_ws();
    Value v = p.value();
    v.line = line;
    const std::string full = section.empty() ? k : section + "." + k;
    auto it = cfg.values_.find(full);
    if (it != cfg.values_.end()) {
      p.line = line;
      p.fail(str("duplicate key '", full, "' (first set on line ", it->second.line, ")"));
    }
    p.end_of_line(str("the value of '", k, "'").c_str());
    cfg.values_[full] = std::move(v);
    cfg.order_.push_back(full);
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

void Config::type_error(const std::string& key, const Value& v, const char* want) const {
  if (v.line > 0)
    throw Error(str(name_, ":", v.line, ": key '", key, "' is ", config_type_name(v.type),
                    ", expected ", want));
  throw Error(str(name_, ": key '", key, "' (set by override) is ", config_type_name(v.type),
                  ", expected ", want));
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

void Config::set(const std::string& key, const std::string& value) {
  GANTRY_CHECK(valid_key(key), name_, ": override key '", key,
               "' is not a dotted key of letters, digits, '_' and '-'");
  GANTRY_CHECK(value.size() <= kMaxConfigBytes, name_, ": override value for '", key,
               "' is too long");
  const std::string label = "override " + key;
  Value v;
  bool parsed = false;
  try {
    Parser p{value, label};
    p.skip_ws();
    if (!p.eof()) {
      v = p.value();
      p.skip_ws();
      parsed = p.eof();
    }
  } catch (const Error&) {
    parsed = false;
  }
  if (!parsed) {
    v = Value();
    v.type = Type::String;
    v.s = value;
  }
  v.line = 0;
  auto it = values_.find(key);
  if (it != values_.end()) {
    const Type old = it->second.type;
    if (old == Type::String && v.type != Type::String) {
      v = Value();
      v.type = Type::String;
      v.s = value;
    } else if (old == Type::Float && v.type == Type::Int) {
      v.type = Type::Float;
      v.d = static_cast<double>(v.i);
    } else if (old != v.type) {
      throw Error(str(name_, ": override ", key, "=", value, ": key '", key, "' is ",
                      config_type_name(old), ", but the value is ",
                      parsed ? config_type_name(v.type) : "not a valid TOML value"));
    }
    it->second = std::move(v);
  } else {
    values_[key] = std::move(v);
    order_.push_back(key);
  }
}

void Config::set_from_assignment(const std::string& assignment) {
  size_t eq = assignment.find('=');
  GANTRY_CHECK(eq != std::string::npos, name_, ": override '", assignment,
               "' is not of the form key=value");
  std::string key = assignment.substr(0, eq);
  while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.pop_back();
  while (!key.empty() && (key.front() == ' ' || key.front() == '\t')) key.erase(0, 1);
  set(key, assignment.substr(eq + 1));
}

std::string Config::value_text(const std::string& key) const {
  const Value& v = get(key);
  switch (v.type) {
    case Type::String: return quote(v.s);
    case Type::Int: return std::to_string(v.i);
    case Type::Float: return double_text(v.d);
    case Type::Bool: return v.b ? "true" : "false";
    case Type::Array: {
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

std::string Config::dump() const {
  std::string out;
  for (const std::string& k : order_) out += dotted_key(k) + " = " + value_text(k) + "\n";
  return out;
}

}  // namespace gan
}  // namespace gantry
