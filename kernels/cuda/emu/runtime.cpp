// kernels/cuda/emu/runtime.cpp — the CUDA runtime API calls the backend
// makes, defined on host memory for the emulation build (declarations: the
// toolkit's cuda_runtime_api.h, so the signatures are the real ones).
//
//   devices     GANTRY_CUDA_EMU_DEVICES of them (default 1), each reported
//               as compute capability 9.0 with one multiprocessor per
//               OpenMP thread
//   memory      "device" allocations are host allocations, filled with 0xFF
//               bytes (NaN for floats: a kernel that reads what nobody wrote
//               shows it) and followed by canary bytes up to the next
//               multiple of 256 (at least 64). A write past the end (within
//               the canary) is found at the next synchronization or free,
//               which then returns cudaErrorIllegalAddress, as the GPU
//               reports a bad access at its next synchronization; writes
//               further out are AddressSanitizer's (the emulation build runs
//               under it in CI). Reads past the end within the canary are not
//               caught. Unlike the GPU the error is not sticky: it is
//               reported once and the runtime stays usable.
//   streams     every call runs to completion when it is made, so streams
//               and events only keep order trivially; events record the host
//               clock for cudaEventElapsedTime
//   capture     cudaStreamBeginCapture and the graph calls return
//               cudaErrorNotSupported: tests of CUDA graphs skip, by name
//   errors      cudaGetLastError returns and clears the host thread's last
//               error (a failed launch or call); cudaGetErrorName/String
//               know the codes the backend can meet
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "core/error.h"
#include "kernels/cuda/emu/device.h"
#undef warpSize  // a field of cudaDeviceProp here, not the built-in

struct CUstream_st {
  int device = 0;
};
struct CUevent_st {
  std::chrono::steady_clock::time_point when{};
  bool recorded = false;
};
struct CUmemPoolHandle_st {
  int device = 0;
};

namespace gantry {
namespace cuda {
namespace emu {

namespace {
thread_local cudaError_t tl_last_error = cudaSuccess;
thread_local int tl_device = 0;

constexpr size_t kCanaryBytes = 64;
constexpr unsigned char kCanary = 0xCD;
constexpr unsigned char kFreshByte = 0xFF;

struct Allocation {
  size_t size = 0;   // what was asked for
  size_t block = 0;  // what was allocated: size rounded up to 256, plus at least kCanaryBytes
  int device = 0;
};

struct Memory {
  std::mutex mu;
  std::map<const char*, Allocation> live;  // by start address
  size_t bytes = 0;     // in use
  size_t reserved = 0;  // what a caching pool would hold: the high-water mark of
                        // `bytes` since the last cudaMemPoolTrimTo
};
Memory& memory() {
  static Memory* m = new Memory();  // never destroyed: frees may come at exit
  return *m;
}

int device_count_env() {
  static const int n = [] {
    const char* s = std::getenv("GANTRY_CUDA_EMU_DEVICES");
    const int v = s ? std::atoi(s) : 1;
    return v < 0 ? 0 : (v > 16 ? 16 : v);
  }();
  return n;
}

size_t total_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<size_t>(pages) * static_cast<size_t>(page) / 2
                               : size_t(8) << 30;
}

cudaError_t fail(cudaError_t e) {
  tl_last_error = e;
  return e;
}

// Checks every live allocation (or only `only`): everything between the end
// of what was asked for and the end of the block must still be canary bytes.
// Names the first and last byte written; restores the canary so the error is
// reported once.
cudaError_t check_canaries(const char* only = nullptr) {
  Memory& m = memory();
  std::lock_guard<std::mutex> l(m.mu);
  auto check = [](const char* p, const Allocation& a) {
    size_t first = a.block, last = 0;
    for (size_t k = a.size; k < a.block; ++k)
      if (static_cast<unsigned char>(p[k]) != kCanary) {
        first = std::min(first, k - a.size);
        last = k - a.size;
      }
    if (first == a.block) return cudaSuccess;
    set_fault_message(str("a kernel wrote past the end of a ", a.size, "-byte allocation on cuda:",
                          a.device, " (bytes ", first, " to ", last,
                          " after its end changed; found by the emulation)"));
    std::memset(const_cast<char*>(p) + a.size, kCanary, a.block - a.size);
    return fail(cudaErrorIllegalAddress);
  };
  if (only) {
    auto it = m.live.find(only);
    return it == m.live.end() ? cudaSuccess : check(it->first, it->second);
  }
  for (auto& [p, a] : m.live) {
    const cudaError_t e = check(p, a);
    if (e != cudaSuccess) return e;
  }
  return cudaSuccess;
}

cudaError_t device_alloc(void** out, size_t size) {
  if (out == nullptr) return fail(cudaErrorInvalidValue);
  *out = nullptr;
  Memory& m = memory();
  {
    std::lock_guard<std::mutex> l(m.mu);
    if (size > total_bytes() || m.bytes + size > total_bytes())
      return fail(cudaErrorMemoryAllocation);
  }
  const size_t n = (size + kCanaryBytes + 255) / 256 * 256;
  char* p = static_cast<char*>(std::aligned_alloc(256, n));
  if (p == nullptr) return fail(cudaErrorMemoryAllocation);
  std::memset(p, kFreshByte, size);
  std::memset(p + size, kCanary, n - size);  // the canary fills the whole slack
  std::lock_guard<std::mutex> l(m.mu);
  m.live[p] = Allocation{size, n, tl_device};
  m.bytes += size;
  m.reserved = std::max(m.reserved, m.bytes);
  *out = p;
  return cudaSuccess;
}

cudaError_t device_free(void* ptr) {
  if (ptr == nullptr) return cudaSuccess;
  const char* p = static_cast<const char*>(ptr);
  cudaError_t e = check_canaries(p);
  Memory& m = memory();
  std::lock_guard<std::mutex> l(m.mu);
  auto it = m.live.find(p);
  if (it == m.live.end()) {
    set_fault_message("cudaFree of a pointer that is not a live device allocation");
    return fail(cudaErrorInvalidValue);
  }
  m.bytes -= it->second.size;
  m.live.erase(it);
  std::free(ptr);
  return e;
}

cudaError_t sync_point() { return check_canaries(); }
}  // namespace

void set_last_error(cudaError_t e) { tl_last_error = e; }

}  // namespace emu
}  // namespace cuda
}  // namespace gantry

using namespace gantry::cuda::emu;

// ------------------------------------------------------------ errors
cudaError_t cudaGetLastError() {
  const cudaError_t e = tl_last_error;
  tl_last_error = cudaSuccess;
  return e;
}
cudaError_t cudaPeekAtLastError() { return tl_last_error; }

const char* cudaGetErrorName(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
    case cudaErrorNotSupported: return "cudaErrorNotSupported";
    case cudaErrorIllegalAddress: return "cudaErrorIllegalAddress";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorNoKernelImageForDevice: return "cudaErrorNoKernelImageForDevice";
    case cudaErrorCudartUnloading: return "cudaErrorCudartUnloading";
    case cudaErrorContextIsDestroyed: return "cudaErrorContextIsDestroyed";
    default: return "cudaErrorUnknown";
  }
}

const char* cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
    case cudaErrorNotSupported: return "operation not supported (CUDA emulation)";
    case cudaErrorIllegalAddress: return "an illegal memory access was encountered";
    case cudaErrorLaunchFailure: return "unspecified launch failure";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorNoKernelImageForDevice:
      return "no kernel image is available for execution on the device";
    default: return "unknown error";
  }
}

// ------------------------------------------------------------ devices
cudaError_t cudaGetDeviceCount(int* count) {
  if (count == nullptr) return fail(cudaErrorInvalidValue);
  *count = device_count_env();
  return *count > 0 ? cudaSuccess : fail(cudaErrorNoDevice);
}
cudaError_t cudaSetDevice(int device) {
  if (device < 0 || device >= device_count_env()) return fail(cudaErrorInvalidDevice);
  tl_device = device;
  return cudaSuccess;
}
cudaError_t cudaGetDevice(int* device) {
  if (device == nullptr) return fail(cudaErrorInvalidValue);
  *device = tl_device;
  return cudaSuccess;
}
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  if (prop == nullptr) return fail(cudaErrorInvalidValue);
  if (device < 0 || device >= device_count_env()) return fail(cudaErrorInvalidDevice);
  std::memset(prop, 0, sizeof(*prop));
  std::snprintf(prop->name, sizeof(prop->name), "Gantry CUDA emulation (sm_90 on the CPU)");
  prop->totalGlobalMem = total_bytes();
  prop->sharedMemPerBlock = 48 * 1024;
  prop->regsPerBlock = 65536;
  prop->warpSize = 32;
  prop->maxThreadsPerBlock = 1024;
  prop->maxThreadsDim[0] = prop->maxThreadsDim[1] = 1024;
  prop->maxThreadsDim[2] = 64;
  prop->maxGridSize[0] = 2147483647;
  prop->maxGridSize[1] = prop->maxGridSize[2] = 65535;
  prop->major = 9;
  prop->minor = 0;
  prop->multiProcessorCount = omp_get_max_threads();
  prop->l2CacheSize = 50 << 20;
  return cudaSuccess;
}
cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device) {
  if (value == nullptr) return fail(cudaErrorInvalidValue);
  if (device < 0 || device >= device_count_env()) return fail(cudaErrorInvalidDevice);
  switch (attr) {
    case cudaDevAttrMultiProcessorCount: *value = omp_get_max_threads(); return cudaSuccess;
    case cudaDevAttrMaxThreadsPerBlock: *value = 1024; return cudaSuccess;
    case cudaDevAttrWarpSize: *value = 32; return cudaSuccess;
    case cudaDevAttrComputeCapabilityMajor: *value = 9; return cudaSuccess;
    case cudaDevAttrComputeCapabilityMinor: *value = 0; return cudaSuccess;
    default: return fail(cudaErrorInvalidValue);
  }
}
cudaError_t cudaDeviceSynchronize() {
  cudaError_t e = sync_point();
  return e;
}
cudaError_t cudaMemGetInfo(size_t* free_b, size_t* total_b) {
  Memory& m = memory();
  std::lock_guard<std::mutex> l(m.mu);
  if (total_b) *total_b = total_bytes();
  if (free_b) *free_b = total_bytes() - m.bytes;
  return cudaSuccess;
}

// ------------------------------------------------------------ memory
cudaError_t cudaMalloc(void** p, size_t size) { return device_alloc(p, size); }
cudaError_t cudaFree(void* p) { return device_free(p); }
cudaError_t cudaMallocAsync(void** p, size_t size, cudaStream_t) { return device_alloc(p, size); }
cudaError_t cudaFreeAsync(void* p, cudaStream_t) { return device_free(p); }
cudaError_t cudaMallocFromPoolAsync(void** p, size_t size, cudaMemPool_t, cudaStream_t) {
  return device_alloc(p, size);
}
cudaError_t cudaMallocHost(void** p, size_t size) {
  if (p == nullptr) return fail(cudaErrorInvalidValue);
  *p = std::malloc(size ? size : 1);
  return *p ? cudaSuccess : fail(cudaErrorMemoryAllocation);
}
cudaError_t cudaHostAlloc(void** p, size_t size, unsigned int) { return cudaMallocHost(p, size); }
cudaError_t cudaHostGetDevicePointer(void** d, void* h, unsigned int) {
  if (d == nullptr || h == nullptr) return fail(cudaErrorInvalidValue);
  *d = h;  // one address space
  return cudaSuccess;
}
cudaError_t cudaFreeHost(void* p) {
  std::free(p);
  return cudaSuccess;
}
cudaError_t cudaDeviceGetDefaultMemPool(cudaMemPool_t* pool, int device) {
  if (pool == nullptr) return fail(cudaErrorInvalidValue);
  if (device < 0 || device >= device_count_env()) return fail(cudaErrorInvalidDevice);
  static CUmemPoolHandle_st pools[16];
  pools[device].device = device;
  *pool = &pools[device];
  return cudaSuccess;
}
cudaError_t cudaMemPoolSetAttribute(cudaMemPool_t, cudaMemPoolAttr, void*) { return cudaSuccess; }
cudaError_t cudaMemPoolGetAttribute(cudaMemPool_t, cudaMemPoolAttr attr, void* value) {
  if (value == nullptr) return fail(cudaErrorInvalidValue);
  Memory& m = memory();
  std::lock_guard<std::mutex> l(m.mu);
  switch (attr) {
    case cudaMemPoolAttrReservedMemCurrent:
      *static_cast<uint64_t*>(value) = m.reserved;
      return cudaSuccess;
    case cudaMemPoolAttrUsedMemCurrent:
      *static_cast<uint64_t*>(value) = m.bytes;
      return cudaSuccess;
    case cudaMemPoolReuseFollowEventDependencies:
    case cudaMemPoolReuseAllowOpportunistic:
    case cudaMemPoolReuseAllowInternalDependencies:
      *static_cast<int*>(value) = 1;  // these three are int
      return cudaSuccess;
    default:
      *static_cast<uint64_t*>(value) = 0;  // the rest are 64-bit
      return cudaSuccess;
  }
}
cudaError_t cudaMemPoolTrimTo(cudaMemPool_t, size_t keep) {
  Memory& m = memory();
  std::lock_guard<std::mutex> l(m.mu);
  m.reserved = std::max(m.bytes, std::min(m.reserved, keep));
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t n, cudaMemcpyKind) {
  if (n && (dst == nullptr || src == nullptr)) return fail(cudaErrorInvalidValue);
  cudaError_t e = sync_point();  // a blocking copy is a synchronization point
  if (n) std::memmove(dst, src, n);
  return e;
}
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t n, cudaMemcpyKind, cudaStream_t) {
  if (n && (dst == nullptr || src == nullptr)) return fail(cudaErrorInvalidValue);
  if (n) std::memmove(dst, src, n);
  return cudaSuccess;
}
cudaError_t cudaMemcpyPeerAsync(void* dst, int, const void* src, int, size_t n, cudaStream_t) {
  if (n && (dst == nullptr || src == nullptr)) return fail(cudaErrorInvalidValue);
  if (n) std::memmove(dst, src, n);
  return cudaSuccess;
}
cudaError_t cudaMemset(void* p, int value, size_t n) {
  if (n && p == nullptr) return fail(cudaErrorInvalidValue);
  if (n) std::memset(p, value, n);
  return cudaSuccess;
}
cudaError_t cudaMemsetAsync(void* p, int value, size_t n, cudaStream_t) {
  return cudaMemset(p, value, n);
}

// ------------------------------------------------------------ streams and events
cudaError_t cudaStreamCreate(cudaStream_t* s) {
  if (s == nullptr) return fail(cudaErrorInvalidValue);
  *s = new CUstream_st{tl_device};
  return cudaSuccess;
}
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned int) {
  return cudaStreamCreate(s);
}
cudaError_t cudaStreamDestroy(cudaStream_t s) {
  delete s;
  return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t) { return sync_point(); }
cudaError_t cudaStreamWaitEvent(cudaStream_t, cudaEvent_t, unsigned int) { return cudaSuccess; }
cudaError_t cudaStreamQuery(cudaStream_t) { return cudaSuccess; }
cudaError_t cudaStreamBeginCapture(cudaStream_t, cudaStreamCaptureMode) {
  return fail(cudaErrorNotSupported);
}
cudaError_t cudaStreamEndCapture(cudaStream_t, cudaGraph_t* g) {
  if (g) *g = nullptr;
  return fail(cudaErrorNotSupported);
}
cudaError_t cudaStreamIsCapturing(cudaStream_t, cudaStreamCaptureStatus* status) {
  if (status == nullptr) return fail(cudaErrorInvalidValue);
  *status = cudaStreamCaptureStatusNone;
  return cudaSuccess;
}
cudaError_t cudaGraphInstantiate(cudaGraphExec_t*, cudaGraph_t, unsigned long long) {
  return fail(cudaErrorNotSupported);
}
cudaError_t cudaGraphLaunch(cudaGraphExec_t, cudaStream_t) { return fail(cudaErrorNotSupported); }
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t) { return cudaSuccess; }
cudaError_t cudaGraphDestroy(cudaGraph_t) { return cudaSuccess; }

cudaError_t cudaEventCreate(cudaEvent_t* e) {
  if (e == nullptr) return fail(cudaErrorInvalidValue);
  *e = new CUevent_st();
  return cudaSuccess;
}
cudaError_t cudaEventCreateWithFlags(cudaEvent_t* e, unsigned int) { return cudaEventCreate(e); }
cudaError_t cudaEventDestroy(cudaEvent_t e) {
  delete e;
  return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t) {
  if (e == nullptr) return fail(cudaErrorInvalidResourceHandle);
  e->when = std::chrono::steady_clock::now();
  e->recorded = true;
  return cudaSuccess;
}
cudaError_t cudaEventSynchronize(cudaEvent_t e) {
  if (e == nullptr) return fail(cudaErrorInvalidResourceHandle);
  return sync_point();
}
cudaError_t cudaEventQuery(cudaEvent_t) { return cudaSuccess; }
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t a, cudaEvent_t b) {
  if (ms == nullptr || a == nullptr || b == nullptr) return fail(cudaErrorInvalidResourceHandle);
  if (!a->recorded || !b->recorded) return fail(cudaErrorInvalidResourceHandle);
  *ms = std::chrono::duration<float, std::milli>(b->when - a->when).count();
  return cudaSuccess;
}

