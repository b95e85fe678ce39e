// gan/metrics/sha256.h — SHA-256 (FIPS 180-4), to check that the committed
// classifier weights are the ones their checksum file names.
#pragma once
#include <string>

namespace gantry {
namespace gan {
namespace metrics {

// Lower-case hex digest of `bytes`.
std::string sha256_hex(const std::string& bytes);
// Digest of a file's contents (throws if it cannot be read).
std::string sha256_file(const std::string& path);

}  // namespace metrics
}  // namespace gan
}  // namespace gantry
