// gan/data/idx.h — IDX files (the MNIST / Fashion-MNIST format), gzipped or
// plain, and the in-memory image dataset every loader produces.
//
// IDX: bytes 0,0, a type code, the number of dimensions n, then n big-endian
// uint32 sizes, then the big-endian data in C order. Type codes:
//   0x08 uint8 -> uint8     0x09 int8  -> int32    0x0B int16 -> int32
//   0x0C int32 -> int32     0x0D float32 -> float32   0x0E float64 -> float64
// A file that starts with the gzip magic (1f 8b) is inflated on the fly. The
// header is checked against the limits and (plain files) the file size before
// anything is allocated; a gzipped file must decompress to exactly the size
// its header announces.
#pragma once
#include <cstdint>
#include <string>

#include "core/tensor.h"

namespace gantry {
namespace gan {

// A dataset held in memory.
struct ImageDataset {
  Tensor images;  // float32 [N,C,H,W] in [-1,1], CPU, contiguous
  Tensor labels;  // int64 [N], or undefined when the data has no labels
};

// The file's shape; dtype per the table above. CPU, contiguous.
Tensor read_idx(const std::string& path);

constexpr uint64_t kMaxIdxBytes = 4ull << 30;  // payload limit (after decompression)
constexpr int kMaxIdxDims = 16;

// Fashion-MNIST from `dir` ({train,t10k}-{images-idx3,labels-idx1}-ubyte,
// with or without .gz): images [N,1,28,28] mapped from 0..255 to [-1,1]
// (x / 127.5 - 1), labels int64 [N] in 0..9. limit >= 0 keeps the first
// `limit` examples. A missing file names the Debian package to install.
ImageDataset load_fashion_mnist(const std::string& dir = "/usr/share/datasets/fashion-mnist",
                                bool train = true, int64_t limit = -1);

// Fashion-MNIST images [N,1,28,28] at `resolution`: 28 as they are; 32 padded
// with 2 background pixels (-1) on every side; 16, 8, 4 padded to 32 and
// shrunk by area averaging. A larger resolution is an error (the data is
// smaller than it).
Tensor fit_fashion_mnist(const Tensor& images, int64_t resolution);

}  // namespace gan
}  // namespace gantry
