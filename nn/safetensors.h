// nn/safetensors.h — the checkpoint file format (the safetensors layout, so
// Python tools read Gantry checkpoints and Gantry reads theirs).
//
//   [8 bytes]  N, little-endian uint64: length of the JSON header
//   [N bytes]  JSON: {"__metadata__": {"k": "v", ...},            (optional)
//                     "name": {"dtype": "F32", "shape": [2,3],
//                              "data_offsets": [begin, end]}, ...}
//              padded with spaces to a multiple of 8
//   [rest]     raw little-endian data; offsets are relative to its start
//
// dtypes: F32, F64, I64, I32, U8, BF16, F16. Saving writes path + ".tmp", flushes and
// fsyncs it, then rename()s it over `path`, so an existing checkpoint is never
// half-overwritten. Loading validates every size and offset against the file
// before reading and throws gantry::Error naming the file and the problem.
#pragma once
#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace gantry {
namespace nn {

// Tensors are saved in the given order (any device, any layout: copied to a
// contiguous CPU buffer). Names must be unique, non-empty and not "__metadata__".
void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

struct SafetensorsFile {
  std::vector<std::pair<std::string, Tensor>> tensors;  // CPU, contiguous, in data-offset order
  std::map<std::string, std::string> metadata;
};
SafetensorsFile load_safetensors(const std::string& path);

// Limits enforced by load_safetensors.
constexpr uint64_t kMaxSafetensorsHeader = 100'000'000;  // bytes of JSON header

// Writes the concatenation of `parts` to path + ".tmp", flushes and fsyncs it,
// then renames it to `path` (and fsyncs the directory, best effort). On any
// failure the temporary file is removed, `path` is left untouched, and a
// gantry::Error names `what`, the file and the system's reason. Shared by every
// writer of user files (checkpoints, .npy, PNG).
void write_file_atomic(const std::string& path,
                       const std::vector<std::pair<const void*, size_t>>& parts,
                       const std::string& what);

}  // namespace nn
}  // namespace gantry
