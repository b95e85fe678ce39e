// apps/cli.cpp — flag parsing (see cli.h).
#include "apps/cli.h"

#include <cerrno>
#include <cstdlib>

namespace gantry {
namespace cli {

Flags::Flags(int argc, char** argv, int first, const std::set<std::string>& valued,
             const std::set<std::string>& boolean) {
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) throw UsageError{"unexpected argument '" + a + "'"};
    std::string name = a.substr(2), value;
    const auto eq = name.find('=');
    bool inline_value = eq != std::string::npos;
    if (inline_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (boolean.count(name)) {
      if (inline_value) throw UsageError{"--" + name + " takes no value"};
      value = "true";
    } else if (valued.count(name)) {
      if (!inline_value) {
        if (i + 1 >= argc) throw UsageError{"--" + name + " needs a value"};
        value = argv[++i];
      }
    } else {
      throw UsageError{"unknown flag --" + name};
    }
    values_[name] = value;
    ordered_.push_back({name, value});
  }
}

std::string Flags::str(const std::string& name, const std::string& def) const {
  auto it = values_.find(name);
  return it == values_.end() ? def : it->second;
}

long long Flags::integer(const std::string& name, long long def) const {
  auto it = values_.find(name);
  if (it == values_.end()) return def;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end != '\0' || errno != 0)
    throw UsageError{"--" + name + ": '" + it->second + "' is not an integer"};
  return v;
}

double Flags::number(const std::string& name, double def) const {
  auto it = values_.find(name);
  if (it == values_.end()) return def;
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(it->second.c_str(), &end);
  if (it->second.empty() || *end != '\0' || errno != 0)
    throw UsageError{"--" + name + ": '" + it->second + "' is not a number"};
  return v;
}

}  // namespace cli
}  // namespace gantry
