// kernels/cpu/scratch.h — reusable scratch memory for CPU kernels.
//
// Convolution's im2col matrices and the GEMM's packed panels are megabytes
// each; allocating them per call costs an mmap and a page fault per 4 KiB
// touched. Each thread instead keeps one growing buffer per slot, reused by
// every later call. A slot's buffer is valid until the next scratch() call
// for the same slot on the same thread, so nested users take distinct slots.
#pragma once
#include <array>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace gantry {
namespace kernels {

enum class ScratchSlot { ConvCols, ConvGroup, ConvOut, GemmA, GemmB, kCount };

namespace detail {
struct ScratchBuf {
  void* p = nullptr;
  size_t cap = 0;
  ~ScratchBuf() { std::free(p); }
};
inline std::array<ScratchBuf, static_cast<size_t>(ScratchSlot::kCount)>& scratch_bufs() {
  thread_local std::array<ScratchBuf, static_cast<size_t>(ScratchSlot::kCount)> bufs;
  return bufs;
}
}  // namespace detail

// At least n elements of T, 64-byte aligned, uninitialized.
template <typename T>
T* scratch(ScratchSlot slot, size_t n) {
  detail::ScratchBuf& b = detail::scratch_bufs()[static_cast<size_t>(slot)];
  const size_t bytes = ((n * sizeof(T) + 63) / 64) * 64;
  if (bytes > b.cap) {
    std::free(b.p);
    b.p = std::aligned_alloc(64, bytes);
    b.cap = b.p ? bytes : 0;
    if (!b.p) throw std::bad_alloc();
  }
  return static_cast<T*>(b.p);
}

}  // namespace kernels
}  // namespace gantry
