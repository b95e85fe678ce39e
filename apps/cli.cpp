// apps/cli.cpp — Flags on CLI11 (see cli.h): CLI11 parses and writes --help;
// its errors are turned into one-line UsageErrors worded as before
// ("unknown flag --x", "--steps needs a value").
#include "apps/cli.h"

#include <CLI/CLI.hpp>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>

namespace gantry {
namespace cli {

Flags::Flags(int argc, char** argv, int first, const std::string& command,
             const std::string& about, const std::vector<FlagSpec>& flags) {
  CLI::App app(about, command);
  app.allow_extras(true);  // reported below, in our words
  app.get_formatter()->column_width(34);
  std::vector<std::pair<CLI::Option*, const FlagSpec*>> opts;
  for (const FlagSpec& s : flags) {
    CLI::Option* o;
    if (s.positional) {
      o = app.add_option(s.name, s.help)->type_name(s.value_name);
    } else if (s.value_name.empty()) {
      o = app.add_flag("--" + s.name, s.help);
    } else {
      o = app.add_option("--" + s.name, s.help)->type_name(s.value_name);
      o->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    }
    if (!s.group.empty()) o->group(s.group);
    opts.push_back({o, &s});
  }
  // CLI11 reads argv[1..]: hand it the subcommand's name as the program name.
  try {
    app.parse(argc - first + 1, argv + first - 1);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    throw HelpShown{};
  } catch (const CLI::ArgumentMismatch& e) {
    std::string what = e.what();
    const size_t colon = what.find(':');
    if (colon != std::string::npos && what.rfind("--", 0) == 0)
      throw UsageError{what.substr(0, colon) + " needs a value"};
    throw UsageError{what};
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    for (char& c : what)
      if (c == '\n') c = ' ';
    throw UsageError{what};
  }
  for (const std::string& r : app.remaining()) {
    if (r.rfind("-", 0) == 0) throw UsageError{"unknown flag " + r.substr(0, r.find('='))};
    throw UsageError{"unexpected argument '" + r + "'"};
  }
  for (CLI::Option* o : app.parse_order()) {
    for (const auto& kv : opts) {
      if (kv.first != o) continue;
      const FlagSpec& s = *kv.second;
      // A switch reads "true", or what `--name=false` / `--name=true` gives.
      const std::string v = s.value_name.empty() ? (o->as<bool>() ? "true" : "false") : o->as<std::string>();
      if (!s.value_name.empty() && v.empty())
        throw UsageError{(s.positional ? s.name : "--" + s.name) + " needs a value"};
      values_[s.name] = v;
      ordered_.push_back({s.name, v});
    }
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

std::vector<uint64_t> Flags::seeds(const std::string& name, const std::string& def) const {
  std::vector<uint64_t> out;
  std::stringstream ss(str(name, def));
  std::string item;
  while (std::getline(ss, item, ',')) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || item[0] == '-')
      throw UsageError{"--" + name + ": '" + item + "' is not a seed (a non-negative integer)"};
    out.push_back(v);
  }
  if (out.empty()) throw UsageError{"--" + name + " lists no seeds"};
  return out;
}

bool is_png_path(const std::string& p) {
  if (p.size() < 4) return false;
  std::string e = p.substr(p.size() - 4);
  for (char& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return e == ".png";
}

}  // namespace cli
}  // namespace gantry
