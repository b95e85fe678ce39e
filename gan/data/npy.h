// gan/data/npy.h — NumPy .npy files: how samples leave Gantry (and arrays
// from Python come in).
//
// Supported: format versions 1.0 and 2.0, C order (fortran_order False),
// dtypes '<f4' float32, '<f8' float64, '<i8' int64, '<i4' int32, '|u1' uint8.
// Anything else (big-endian, Fortran order, object arrays, version 3.0, ...)
// is refused with an error that names the file and the problem. Every size is
// checked against the file before reading: the data must be exactly
// shape product × item size bytes.
#pragma once
#include <string>

#include "core/tensor.h"

namespace gantry {
namespace gan {

// Writes t (any device or layout; one of the five dtypes above) in C order.
// Atomic: path + ".tmp", fflush + fsync, rename. Version 1.0 unless the header
// needs 2.0; the header is padded to a multiple of 64 bytes as numpy does.
void save_npy(const std::string& path, const Tensor& t);
// Reads a CPU, contiguous tensor with the file's dtype and shape.
Tensor load_npy(const std::string& path);

constexpr uint64_t kMaxNpyHeader = 1 << 20;  // bytes of header dict (numpy's own default is 10000)

}  // namespace gan
}  // namespace gantry
