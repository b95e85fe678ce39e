// core/storage.cpp — CPU allocation and the per-device allocator and DeviceOps tables.
#include "core/storage.h"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace gantry {

namespace {

// CPU memory, 64-byte aligned, with a cache of freed large blocks.
// A training step allocates the same activation sizes every iteration; sent
// back to glibc, each large block would be a fresh mmap and a page fault per
// 4 KiB on first touch (~7000 faults per DCGAN iteration). Blocks of at least
// kCacheMin bytes are therefore kept on free lists keyed by their (64-byte
// rounded) size and handed out again, up to a byte limit (set_cpu_cache_limit;
// 0 disables the cache). Small blocks go straight to malloc/free. Contents of
// a reused block are not cleared, exactly as with malloc.
struct CpuAllocator final : Allocator {
  static constexpr size_t kCacheMin = size_t(64) << 10;

  std::mutex mu;
  std::unordered_map<size_t, std::vector<void*>> free_lists;  // rounded size -> blocks
  std::unordered_map<void*, size_t> large;                    // live large block -> size
  size_t cached_bytes = 0;
  size_t limit = size_t(1) << 30;

  void* allocate(size_t nbytes, const Device&) override {
    // aligned_alloc wants a size that is a multiple of the alignment.
    size_t rounded = (nbytes + 63) / 64 * 64;
    if (rounded == 0) rounded = 64;
    if (rounded >= kCacheMin) {
      std::lock_guard<std::mutex> lock(mu);
      auto it = free_lists.find(rounded);
      if (it != free_lists.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        cached_bytes -= rounded;
        large[p] = rounded;
        return p;
      }
    }
    void* p = std::aligned_alloc(64, rounded);
    GANTRY_CHECK(p != nullptr, "cpu: out of memory allocating ", nbytes, " bytes");
    if (rounded >= kCacheMin) {
      std::lock_guard<std::mutex> lock(mu);
      large[p] = rounded;
    }
    return p;
  }
  void deallocate(void* p, const Device&) override {
    if (!p) return;
    {
      std::lock_guard<std::mutex> lock(mu);
      auto it = large.find(p);
      if (it != large.end()) {
        const size_t size = it->second;
        large.erase(it);
        if (cached_bytes + size <= limit) {
          free_lists[size].push_back(p);
          cached_bytes += size;
          return;
        }
      }
    }
    std::free(p);
  }
  void copy(void* dst, const Device&, const void* src, const Device&, size_t n) override {
    if (n) std::memcpy(dst, src, n);
  }
  void trim(size_t keep) {
    std::lock_guard<std::mutex> lock(mu);
    for (auto& kv : free_lists)
      while (cached_bytes > keep && !kv.second.empty()) {
        std::free(kv.second.back());
        kv.second.pop_back();
        cached_bytes -= kv.first;
      }
  }
};

CpuAllocator& cpu_allocator() {
  static CpuAllocator* a = new CpuAllocator();  // never destroyed: tensors may outlive statics
  return *a;
}

Allocator*& slot(DeviceType t) {
  static Allocator* table[2] = {&cpu_allocator(), nullptr};
  return table[static_cast<int>(t)];
}

struct MemoryCounters {
  std::atomic<size_t> live{0}, peak{0};
};
MemoryCounters& counters(DeviceType t) {
  static MemoryCounters c[2];
  return c[static_cast<int>(t)];
}
void count_alloc(DeviceType t, size_t n) {
  MemoryCounters& c = counters(t);
  const size_t now = c.live.fetch_add(n, std::memory_order_relaxed) + n;
  size_t peak = c.peak.load(std::memory_order_relaxed);
  while (now > peak && !c.peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
}

DeviceOps*& ops_slot(DeviceType t) {
  static DeviceOps* table[2] = {nullptr, nullptr};
  return table[static_cast<int>(t)];
}

}  // namespace

void set_allocator(DeviceType t, Allocator* a) { slot(t) = a; }

void set_cpu_cache_limit(size_t bytes) {
  CpuAllocator& a = cpu_allocator();
  {
    std::lock_guard<std::mutex> lock(a.mu);
    a.limit = bytes;
  }
  a.trim(bytes);
}
size_t cpu_cache_bytes() {
  CpuAllocator& a = cpu_allocator();
  std::lock_guard<std::mutex> lock(a.mu);
  return a.cached_bytes;
}
void cpu_cache_clear() { cpu_allocator().trim(0); }

Allocator* get_allocator(DeviceType t) {
  Allocator* a = slot(t);
  GANTRY_CHECK(a != nullptr, Device(t).str(),
               ": no allocator registered (this build or machine has no such device)");
  return a;
}

MemoryStats memory_stats(DeviceType t) {
  MemoryCounters& c = counters(t);
  return MemoryStats{c.live.load(), c.peak.load()};
}
void reset_peak_memory(DeviceType t) {
  MemoryCounters& c = counters(t);
  c.peak.store(c.live.load());
}

void set_device_ops(DeviceType t, DeviceOps* ops) { ops_slot(t) = ops; }

DeviceOps* get_device_ops(DeviceType t) {
  DeviceOps* o = ops_slot(t);
  GANTRY_CHECK(o != nullptr, Device(t).str(),
               ": no device operations registered (this build or machine has no such device)");
  return o;
}

Storage::Storage(size_t nbytes, Device d) : nbytes_(nbytes), device_(d), owned_(true) {
  data_ = get_allocator(d.type)->allocate(nbytes, d);
  count_alloc(d.type, nbytes);
}

Storage::Storage(void* data, size_t nbytes, Device d, std::function<void(void*)> deleter)
    : data_(data), nbytes_(nbytes), device_(d), owned_(false), deleter_(std::move(deleter)) {}

Storage::~Storage() {
  if (owned_) {
    counters(device_.type).live.fetch_sub(nbytes_, std::memory_order_relaxed);
    get_allocator(device_.type)->deallocate(data_, device_);
  } else if (deleter_) {
    deleter_(data_);
  }
}

}  // namespace gantry
