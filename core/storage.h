// core/storage.h — a block of device memory that tensors share.
//
// Several Tensors (a base and its views) point at one Storage. CPU memory is
// 64-byte aligned so vectorized kernels may use aligned loads on a fresh
// tensor. Other devices plug in an Allocator (the CUDA backend registers its
// stream-ordered pool) and the few DeviceOps core needs to materialize a
// tensor there: strided copy with dtype conversion, fill, and random fill.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "core/device.h"

namespace gantry {

// Allocation interface of one device type. The CUDA backend registers its
// stream-ordered pool here; CPU uses aligned_alloc.
struct Allocator {
  virtual ~Allocator() = default;
  virtual void* allocate(size_t nbytes, const Device& d) = 0;
  virtual void deallocate(void* p, const Device& d) = 0;
  // Copies nbytes between any two devices this allocator understands (one of
  // them is always its own device type; the other may be CPU).
  virtual void copy(void* dst, const Device& dst_dev, const void* src, const Device& src_dev,
                    size_t nbytes) = 0;
};

// Registers (or replaces) the allocator for a device type; nullptr clears it.
void set_allocator(DeviceType t, Allocator* a);
Allocator* get_allocator(DeviceType t);  // throws if none is registered

// The CPU allocator keeps freed blocks of 64 KiB and more for reuse (a
// training step allocates the same sizes every iteration), up to a limit of
// cached bytes (default 1 GiB; 0 turns the cache off).
void set_cpu_cache_limit(size_t bytes);
size_t cpu_cache_bytes();  // bytes held in the cache now
void cpu_cache_clear();    // returns every cached block to the system

class Tensor;

// Bytes of storage the process holds now, and the most it has held since the
// last reset, per device type (allocated by Storage, not the allocator's cache).
// The graph-memory rows of bench/ read these.
struct MemoryStats {
  size_t live_bytes = 0;
  size_t peak_bytes = 0;
};
MemoryStats memory_stats(DeviceType t);
void reset_peak_memory(DeviceType t);  // peak := live

// Tensor-level work core needs on a non-CPU device (core/tensor.cpp calls
// these; the CUDA backend implements them with its own kernels).
struct DeviceOps {
  enum class Random { Uniform, Normal, Int };
  virtual ~DeviceOps() = default;
  // dst[...] = src[...]: both on this device, equal shapes (src may have
  // stride-0 broadcast dims), any strides, dtype conversion as static_cast.
  virtual void copy(const Tensor& dst, const Tensor& src) = 0;
  virtual void fill(const Tensor& t, double value) = 0;
  // Fills a fresh contiguous tensor with Philox draws (core/rng.h): element i
  // uses counter offset + i. Uniform: [0,1); Normal: N(0,1); Int: low + the
  // multiply-shift of 64 random bits by `range` (randint's [low, low+range)).
  virtual void random(const Tensor& t, Random kind, uint64_t seed, uint64_t offset, int64_t low,
                      uint64_t range) = 0;
};

// Registers (or replaces) the DeviceOps for a device type; nullptr clears it.
void set_device_ops(DeviceType t, DeviceOps* ops);
DeviceOps* get_device_ops(DeviceType t);  // throws if none is registered

class Storage {
 public:
  // Allocates nbytes on device d.
  Storage(size_t nbytes, Device d);
  // Wraps memory the caller owns; `deleter` (may be empty) runs on destruction.
  Storage(void* data, size_t nbytes, Device d, std::function<void(void*)> deleter);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  const Device& device() const { return device_; }

  // The version counter: bumped by every in-place write to this memory
  // (copy_, fill_, every kernel's outputs, including ops that write their
  // inputs in place such as adam_step). Autograd records it when it saves a
  // tensor for backward and refuses a backward that would read a changed one
  // (autograd/saved.h). Views share their base's storage, so its counter.
  uint64_t version() const { return version_.load(std::memory_order_acquire); }
  void bump_version() { version_.fetch_add(1, std::memory_order_acq_rel); }

 private:
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  Device device_;
  bool owned_ = false;
  std::function<void(void*)> deleter_;
  std::atomic<uint64_t> version_{0};
};

}  // namespace gantry
