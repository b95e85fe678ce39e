// tests/test_skip.h — a test case that cannot run here (no Fashion-MNIST, no
// cuDNN, ...) says so instead of passing:
//
//   if (!have_data) GANTRY_SKIP("Fashion-MNIST not installed");
//
// prints "SKIPPED: ..." and returns from the test case; the program then
// exits 77 if nothing failed, which CTest (SKIP_RETURN_CODE 77) reports as
// skipped. CTest runs one test case per process, so the skip is exact there;
// a whole program run by hand exits 77 when any case skipped and none failed.
#pragma once
#include <string>

namespace testutil {
void skip(const std::string& why);  // tests/test_main.cpp
}  // namespace testutil

#define GANTRY_SKIP(why)     \
  do {                       \
    ::testutil::skip(why);   \
    return;                  \
  } while (0)
