// tests/test_options.cpp — the option table (gan/options.h): every row's
// default passes its own check, config errors name file:line:column and the
// key (unknown keys with the nearest valid key), flag text is checked the
// same way, and to_toml() reads back to the same options, strings escaped.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "gan/options.h"
#include "tests/test_skip.h"

using namespace gantry;
using namespace gantry::gan;

namespace {
std::string error_of(const std::string& toml) {
  try {
    TrainOptions o;
    o.apply(Config::parse(toml, "c.toml"));
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}
}  // namespace

TEST_CASE("options: the table is consistent and the defaults pass it", "[options]") {
  std::set<std::string> keys, flags;
  for (const OptionSpec& o : option_table()) {
    INFO(o.key);
    CHECK(keys.insert(o.key).second);
    CHECK(flags.insert(o.flag).second);
    CHECK(std::string(o.help).size() > 5);
    CHECK(find_option(o.key) == &o);
  }
  TrainOptions d;
  CHECK_NOTHROW(d.validate());  // also runs every row's check on its default
  CHECK(find_option("no_such") == nullptr);
}

TEST_CASE("options: config errors name the place, the key and the problem", "[options]") {
  CHECK(error_of("batch = 16\nlr_gg = 1e-4\n") ==
        "c.toml:2:1: unknown key 'lr_gg' (did you mean 'lr_g'?)");
  CHECK(error_of("\n[optim]\nbeta = 0.5\n") ==
        "c.toml:3:1: unknown key 'optim.beta' (did you mean 'beta1'?)");
  CHECK(error_of("batch = \"x\"\n") == "c.toml:1:1: key 'batch': expected an integer, got a string");
  CHECK(error_of("batch = 1\n") == "c.toml:1:1: key 'batch': must be in [2, 65536], got 1");
  CHECK(error_of("ema_decay = 1.0\n") == "c.toml:1:1: key 'ema_decay': must be in [0, 1), got 1");
  CHECK(error_of("lr_g = nan\n").find("key 'lr_g': must be in (0, 1]") != std::string::npos);
  CHECK(error_of("schedule = \"exp\"\n") ==
        "c.toml:1:1: key 'schedule': must be one of constant,linear,cosine, got \"exp\"");
  CHECK(error_of("loss = \"l1\"\n").find("c.toml:1:1: key 'loss': unknown GAN loss 'l1'") == 0);
  CHECK(error_of("augment = \"flip\"\n").find("c.toml:1:1: key 'augment':") == 0);
  CHECK(error_of("model = \"biggan\"\n").find("c.toml:1:1: key 'model': model 'biggan' is not available") == 0);
  CHECK(error_of("steps = 0\nepochs = 0\n").find("set steps or epochs") != std::string::npos);
  CHECK(error_of("lr_g = 1\n") == "(no error)");  // an integer is a number
}

TEST_CASE("options: flag text is parsed and checked by the same table", "[options]") {
  const OptionSpec& batch = *find_option("batch");
  CHECK(parse_option_text(batch, "32", "--batch").i == 32);
  CHECK_THROWS_WITH(parse_option_text(batch, "x", "--batch"), "--batch: 'x' is not an integer");
  CHECK_THROWS_WITH(parse_option_text(batch, "1", "--batch"), "--batch: must be in [2, 65536], got 1");
  CHECK(parse_option_text(*find_option("lr_g"), "2e-4", "--lr-g").d == 2e-4);
  CHECK_THROWS_WITH(parse_option_text(*find_option("penalty"), "l2", "--penalty"),
                    "--penalty: must be one of none,gp,r1, got \"l2\"");
  CHECK(parse_option_text(*find_option("resume"), "true", "--resume").b);
  // An override keeps its origin for later errors.
  Config c = Config::parse("", "(defaults)");
  c.set_value("batch", parse_option_text(batch, "8", "--batch"));
  CHECK(c.where("batch") == "--batch (key 'batch')");
}

TEST_CASE("options: to_toml round-trips, strings escaped", "[options]") {
  TrainOptions o;
  o.apply(Config::parse("model = \"wgan-gp\"\n", "t"));
  o.out = "runs/a \"quoted\" \\ path\nwith newline\ttab";
  o.data = "caf\xc3\xa9";
  o.lr_g = 0.1 + 0.2;  // not exactly representable in short decimal
  o.seed = 1234567890123;
  const std::string toml = o.to_toml();
  TrainOptions back;
  back.apply(Config::parse(toml, "saved.toml"));
  CHECK(back.to_toml() == toml);
  CHECK(back.out == o.out);
  CHECK(back.data == o.data);
  CHECK(back.lr_g == o.lr_g);
  CHECK(back.seed == o.seed);
  CHECK(back.n_critic == 5);
  // Every key of the table is in it, once.
  const Config saved = Config::parse(toml, "saved.toml");
  CHECK(saved.keys().size() == option_table().size());
}

// GANTRY_SKIP (tests/test_skip.h): a skipped test case makes its program exit
// 77, which CTest reports as skipped, not passed. The hidden case below is
// run in a child process of this same program.
TEST_CASE("skip demo: always skips", "[.][skip-demo]") { GANTRY_SKIP("the skip mechanism's own test"); }

TEST_CASE("tests: a skipped test case exits 77, not 0", "[options]") {
  const std::string cmd = "/proc/" + std::to_string(getpid()) + "/exe \"skip demo: always skips\" 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[512];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  INFO(out);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 77);
  CHECK(out.find("SKIPPED: the skip mechanism's own test") != std::string::npos);
}

TEST_CASE("options: every committed config in configs/ applies cleanly", "[options]") {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::string(GANTRY_SOURCE_DIR) + "/configs")) {
    if (e.path().extension() != ".toml") continue;
    INFO(e.path().string());
    TrainOptions o;
    CHECK_NOTHROW(o.apply(Config::load(e.path().string())));
    CHECK(o.model == e.path().stem().string());  // configs/NAME.toml trains NAME
    ++n;
  }
  CHECK(n >= 5);
}
