// tests/test_cli_run.h — runs the real `gantry` binary (GANTRY_CLI, defined
// by tests/CMakeLists.txt) the way a user does, for the programs that test
// the command line (test_cli, test_cuda_cli):
//
//   CliResult r = run_cli("train --steps 3 --out runs/x");
//   REQUIRE(r.code == 0);  // r.output: stdout and stderr together
#pragma once
#include <catch2/catch.hpp>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#ifndef GANTRY_CLI
#error "GANTRY_CLI (path of the gantry binary) must be defined by the build"
#endif

namespace testutil {

struct CliResult {
  int code;            // exit status (-1 if killed by a signal)
  std::string output;  // stdout + stderr
};

inline CliResult run_cli(const std::string& args) {
  const std::string cmd = std::string(GANTRY_CLI) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace testutil
