// core/storage.cpp — CPU allocation and the per-device allocator and DeviceOps tables.
#include "core/storage.h"

#include <cstdlib>
#include <cstring>

namespace gantry {

namespace {

struct CpuAllocator final : Allocator {
  void* allocate(size_t nbytes, const Device&) override {
    // aligned_alloc wants a size that is a multiple of the alignment.
    size_t rounded = (nbytes + 63) / 64 * 64;
    if (rounded == 0) rounded = 64;
    void* p = std::aligned_alloc(64, rounded);
    GANTRY_CHECK(p != nullptr, "cpu: out of memory allocating ", nbytes, " bytes");
    return p;
  }
  void deallocate(void* p, const Device&) override { std::free(p); }
  void copy(void* dst, const Device&, const void* src, const Device&, size_t n) override {
    if (n) std::memcpy(dst, src, n);
  }
};

Allocator*& slot(DeviceType t) {
  static CpuAllocator cpu;
  static Allocator* table[2] = {&cpu, nullptr};
  return table[static_cast<int>(t)];
}

DeviceOps*& ops_slot(DeviceType t) {
  static DeviceOps* table[2] = {nullptr, nullptr};
  return table[static_cast<int>(t)];
}

}  // namespace

void set_allocator(DeviceType t, Allocator* a) { slot(t) = a; }

Allocator* get_allocator(DeviceType t) {
  Allocator* a = slot(t);
  GANTRY_CHECK(a != nullptr, Device(t).str(),
               ": no allocator registered (this build or machine has no such device)");
  return a;
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
}

Storage::Storage(void* data, size_t nbytes, Device d, std::function<void(void*)> deleter)
    : data_(data), nbytes_(nbytes), device_(d), owned_(false), deleter_(std::move(deleter)) {}

Storage::~Storage() {
  if (owned_) {
    get_allocator(device_.type)->deallocate(data_, device_);
  } else if (deleter_) {
    deleter_(data_);
  }
}

}  // namespace gantry
