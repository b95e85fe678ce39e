// apps/cli.h — flag parsing shared by the gantry subcommands.
//
// Flags are `--name value` or boolean `--name`. Every subcommand declares the
// flags it accepts; an unknown flag, a missing value or a bad number is a
// one-line error (exit code 2), never a crash.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

namespace gantry {
namespace cli {

struct UsageError {
  std::string message;
};

class Flags {
 public:
  // valued: flags that take a value; boolean: flags that do not.
  Flags(int argc, char** argv, int first, const std::set<std::string>& valued,
        const std::set<std::string>& boolean);
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::string str(const std::string& name, const std::string& def = "") const;
  long long integer(const std::string& name, long long def) const;
  double number(const std::string& name, double def) const;
  // Flags in command-line order (for config overrides).
  const std::vector<std::pair<std::string, std::string>>& ordered() const { return ordered_; }

 private:
  std::map<std::string, std::string> values_;
  std::vector<std::pair<std::string, std::string>> ordered_;
};

int run_train(int argc, char** argv);
int run_sample(int argc, char** argv);
int run_demo(int argc, char** argv);
int run_bench(int argc, char** argv);
int run_eval(int argc, char** argv);
int run_train_classifier(int argc, char** argv);

}  // namespace cli
}  // namespace gantry
