// tests/test_main.cpp — the Catch2 main shared by every test program.
//
// Catch2 v2 exits with the number of failed assertions; CTest treats exit
// code 77 as "skipped" (SKIP_RETURN_CODE), so a real failure count of 77 is
// mapped to 78; a program whose test cases passed or skipped, at least one
// skipped (GANTRY_SKIP, tests/test_skip.h), exits 77. Programs built with GANTRY_TEST_REQUIRES_CUDA exit 77 when no
// GPU is usable — but never while CTest is listing their tests (that would
// register zero tests, silently).
//
// Each test process works in its own temporary directory (TMPDIR is pointed
// at <tmp>/gantry-test-<pid>, removed at exit), so test programs running at
// the same time — two checkouts, ctest -j — never share files.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#ifdef GANTRY_TEST_REQUIRES_CUDA
#include "kernels/cuda/runtime.h"
#endif

#include "tests/test_skip.h"

namespace {
bool g_skipped = false;
}  // namespace

void testutil::skip(const std::string& why) {
  std::printf("SKIPPED: %s\n", why.c_str());
  std::fflush(stdout);
  g_skipped = true;
}

int main(int argc, char** argv) {
#ifdef GANTRY_TEST_REQUIRES_CUDA
  bool listing = false;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--list", 6) == 0) listing = true;
  if (!listing && !gantry::cuda::is_available()) {
    std::printf("SKIPPED: no usable CUDA device (%s)\n",
                gantry::cuda::unavailable_reason().c_str());
    return 77;
  }
#endif
  namespace fs = std::filesystem;
  const fs::path own = fs::temp_directory_path() / ("gantry-test-" + std::to_string(getpid()));
  fs::create_directories(own);
  setenv("TMPDIR", own.c_str(), 1);
  int failed = Catch::Session().run(argc, argv);
  std::error_code ec;
  fs::remove_all(own, ec);
  if (failed == 0 && g_skipped) return 77;  // tests/test_skip.h
  return failed == 77 ? 78 : failed;
}
