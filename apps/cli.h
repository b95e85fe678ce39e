// apps/cli.h — flag parsing shared by the gantry subcommands, on CLI11.
//
// Every subcommand declares its flags once, with a help line; CLI11 parses
// them and generates `gantry CMD --help` (to stdout, exit 0). `gantry train`
// declares its flags from the option table (gan/options.h). Flags are
// `--name value`, `--name=value` or, for switches, `--name` (or
// `--name=false` to turn off one that a model's defaults turn on); a positional
// spec takes a bare argument. An unknown flag,
// a missing value or a bad number is a one-line UsageError (exit code 2),
// never a crash.
#pragma once
#include <map>
#include <string>
#include <vector>

namespace gantry {
namespace cli {

struct UsageError {
  std::string message;
};
// `--help` was asked for and has been printed: exit 0.
struct HelpShown {};

struct FlagSpec {
  std::string name;        // without "--"
  std::string value_name;  // "N", "FILE", ...; empty for a switch
  std::string help;
  std::string group = "";  // --help section ("" : Options)
  bool positional = false;  // a bare argument (`gantry eval FILE`), read as str(name)
};

class Flags {
 public:
  // Parses argv[first..argc); `command` ("gantry sample") and `about` head --help.
  Flags(int argc, char** argv, int first, const std::string& command, const std::string& about,
        const std::vector<FlagSpec>& flags);
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::string str(const std::string& name, const std::string& def = "") const;
  long long integer(const std::string& name, long long def) const;
  double number(const std::string& name, double def) const;
  // A comma-separated list of seeds (non-negative integers), or `def` when absent.
  std::vector<uint64_t> seeds(const std::string& name, const std::string& def = "") const;
  // Flags in command-line order (a switch has the value "true").
  const std::vector<std::pair<std::string, std::string>>& ordered() const { return ordered_; }

 private:
  std::map<std::string, std::string> values_;
  std::vector<std::pair<std::string, std::string>> ordered_;
};

// Whether `path` ends in ".png" (any case): the output file commands write.
bool is_png_path(const std::string& path);

int run_train(int argc, char** argv);
int run_sample(int argc, char** argv);
int run_demo(int argc, char** argv);
int run_bench(int argc, char** argv);
int run_eval(int argc, char** argv);
int run_train_classifier(int argc, char** argv);
int run_report(int argc, char** argv);
int run_project(int argc, char** argv);
int run_directions(int argc, char** argv);
int run_upscale(int argc, char** argv);
int run_translate(int argc, char** argv);

}  // namespace cli
}  // namespace gantry
