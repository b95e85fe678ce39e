// kernels/cuda/runtime.cu — the CUDA runtime layer: device discovery, error
// reporting, one stream per device, the stream-ordered memory pool that core
// allocates `cuda:N` storage from, host<->device copies and device properties.
//
// Memory: every device's default memory pool (cudaDeviceGetDefaultMemPool)
// with its release threshold raised to "never", so freed blocks stay cached
// in the pool and a training step's allocations are served without driver
// calls. cudaMallocFromPoolAsync/cudaFreeAsync are stream-ordered, which also
// makes them legal inside CUDA-graph capture. No allocator of our own.
//
// Copies: device<->device are cudaMemcpyAsync on the current stream.
// Host->device of small buffers goes straight from pageable memory (the
// driver stages it; the call returns once the source may be reused).
// Larger transfers go through two pinned 4 MiB staging buffers per device, so
// the host memcpy into one overlaps the DMA out of the other. Device->host
// waits for the data (the caller reads it next).
#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kernels/cuda/common.cuh"

namespace gantry {
namespace cuda {
namespace {

// Failed frees (see take_free_errors in runtime.h).
std::mutex g_free_errors_mu;
FreeErrors g_free_errors;
void record_free_error(const std::string& what) {
  std::lock_guard<std::mutex> lock(g_free_errors_mu);
  if (g_free_errors.count++ == 0) g_free_errors.first = what;
}

__global__ void __launch_bounds__(1) probe_kernel(int* out) { *out = 42; }

struct Probe {
  int count = 0;
  std::string reason;
};

const Probe& probe() {
  static Probe p = [] {
    Probe r;
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
      r.reason = std::string("cudaGetDeviceCount failed: ") + cudaGetErrorString(e);
      cudaGetLastError();  // clear the sticky error
      return r;
    }
    if (n == 0) {
      r.reason = "no CUDA device found";
      return r;
    }
    int* d = nullptr;
    int h = 0;
    if (cudaMalloc(&d, sizeof(int)) != cudaSuccess) {
      r.reason = "cudaMalloc failed in the device probe";
      cudaGetLastError();
      return r;
    }
    cudaError_t le = cudaSuccess;
    try {
      launch<probe_kernel>(LaunchConfig{dim3(1), dim3(1), 0, nullptr, /*barrier_free=*/true}, d);
    } catch (const Error&) {
      le = cudaErrorNoKernelImageForDevice;  // the usual reason a 1-thread kernel fails
    }
    if (le == cudaSuccess) le = cudaMemcpy(&h, d, sizeof(int), cudaMemcpyDeviceToHost);
    cudaFree(d);
    if (le != cudaSuccess || h != 42) {
      r.reason = std::string("probe kernel failed: ") + cudaGetErrorString(le) +
                 " (was the library built for this GPU's architecture?)";
      cudaGetLastError();
      return r;
    }
    r.count = n;
    return r;
  }();
  return p;
}

// Per-device state, created on first use of the device and never destroyed
// (destroying streams or pools at exit would race with the runtime's own
// teardown; the process exit releases them).
struct DeviceState {
  std::once_flag once;
  cudaStream_t own_stream = nullptr;   // Gantry's stream (non-blocking)
  cudaStream_t current = nullptr;      // what work is issued on
  cudaMemPool_t pool = nullptr;
  cublasHandle_t cublas = nullptr;
  long long* index_record = nullptr;  // IndexErrors' fields, mapped pinned host memory
  IndexErrors index_errors{};         // their device addresses
  std::mutex staging_mutex;
  void* staging[2] = {nullptr, nullptr};  // pinned, kStagingBytes each
  cudaEvent_t staging_done[2] = {nullptr, nullptr};
};

constexpr size_t kStagingBytes = size_t(4) << 20;  // per staging buffer
constexpr size_t kStagingMin = size_t(1) << 20;    // smaller copies go direct

std::vector<std::unique_ptr<DeviceState>>& states() {
  static auto* v = [] {
    auto* s = new std::vector<std::unique_ptr<DeviceState>>();
    for (int i = 0; i < device_count(); ++i) s->push_back(std::make_unique<DeviceState>());
    return s;
  }();
  return *v;
}

DeviceState& state(int dev) {
  require_device(dev);
  DeviceState& s = *states()[dev];
  std::call_once(s.once, [&] {
    DeviceGuard g(dev);
    GANTRY_CUDA_CHECK(cudaStreamCreateWithFlags(&s.own_stream, cudaStreamNonBlocking));
    s.current = s.own_stream;
    GANTRY_CUDA_CHECK(cudaDeviceGetDefaultMemPool(&s.pool, dev));
    uint64_t keep = UINT64_MAX;  // never hand cached blocks back on synchronize
    GANTRY_CUDA_CHECK(cudaMemPoolSetAttribute(s.pool, cudaMemPoolAttrReleaseThreshold, &keep));
    // The bad-index record: [count, value, limit, op], zeroed, visible to kernels.
    void* rec = nullptr;
    GANTRY_CUDA_CHECK(cudaHostAlloc(&rec, 4 * sizeof(long long), cudaHostAllocMapped));
    std::memset(rec, 0, 4 * sizeof(long long));
    s.index_record = static_cast<long long*>(rec);
    void* drec = nullptr;
    GANTRY_CUDA_CHECK(cudaHostGetDevicePointer(&drec, rec, 0));
    auto* d = static_cast<long long*>(drec);
    s.index_errors = IndexErrors{reinterpret_cast<unsigned long long*>(d), d + 1, d + 2,
                                 reinterpret_cast<int*>(d + 3)};
  });
  return s;
}

std::mutex g_handle_mutex;
bool g_allow_tf32 = false;

std::string mib(size_t bytes) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

// ------------------------------------------------------------ allocator
struct PoolAllocator final : Allocator {
  void* allocate(size_t nbytes, const Device& d) override {
    if (nbytes == 0) return nullptr;
    DeviceState& s = state(d.index);
    DeviceGuard g(d.index);
    void* p = nullptr;
    cudaError_t e = cudaMallocFromPoolAsync(&p, nbytes, s.pool, s.current);
    if (e == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      // Blocks freed on other streams become reusable once those finish. Not
      // while the stream is being captured into a CUDA graph: synchronizing
      // then is illegal (it would invalidate the capture), so the request
      // fails with the out-of-memory message below.
      cudaStreamCaptureStatus cap = cudaStreamCaptureStatusNone;
      GANTRY_CUDA_CHECK(cudaStreamIsCapturing(s.current, &cap));
      if (cap == cudaStreamCaptureStatusNone) {
        GANTRY_CUDA_CHECK(cudaDeviceSynchronize());
        e = cudaMallocFromPoolAsync(&p, nbytes, s.pool, s.current);
      }
    }
    if (e != cudaSuccess) {
      cudaGetLastError();
      size_t free_b = 0, total_b = 0;
      cudaMemGetInfo(&free_b, &total_b);
      // A request beyond the device's size may be refused as an invalid value.
      if (e != cudaErrorMemoryAllocation && nbytes <= total_b)
        throw_cuda_error(e, "cudaMallocFromPoolAsync", __FILE__, __LINE__);
      throw Error(str(d.str(), ": out of memory allocating ", nbytes, " bytes (", mib(nbytes),
                      "); ", mib(free_b), " free of ", mib(total_b), " on the device, ",
                      mib(pool_reserved_bytes(d.index)), " held by Gantry's memory pool"));
    }
    return p;
  }

  // Called from Storage's destructor, which must not throw: a failure is
  // recorded for take_free_errors(); at process exit (runtime already
  // unloading) it is expected and not recorded.
  void deallocate(void* p, const Device& d) override {
    if (p == nullptr) return;
    DeviceState& s = *states()[d.index];
    int prev = -1;
    cudaGetDevice(&prev);
    if (prev != d.index) cudaSetDevice(d.index);
    cudaError_t e = cudaFreeAsync(p, s.current);
    if (prev >= 0 && prev != d.index) cudaSetDevice(prev);
    if (e != cudaSuccess && e != cudaErrorCudartUnloading && e != cudaErrorContextIsDestroyed)
      record_free_error(str("cudaFreeAsync on ", d.str(), " failed: ", cudaGetErrorString(e)));
    if (e != cudaSuccess) cudaGetLastError();
  }

  void copy(void* dst, const Device& dd, const void* src, const Device& sd,
            size_t n) override {
    if (n == 0) return;
    if (dd.is_cuda() && sd.is_cuda()) {
      if (dd.index == sd.index) {
        DeviceGuard g(dd.index);
        GANTRY_CUDA_CHECK(cudaMemcpyAsync(dst, src, n, cudaMemcpyDeviceToDevice,
                                          state(dd.index).current));
        return;
      }
      // Between two GPUs: order after all work on both, finish before returning.
      synchronize(sd.index);
      synchronize(dd.index);
      DeviceGuard g(dd.index);
      GANTRY_CUDA_CHECK(
          cudaMemcpyPeerAsync(dst, dd.index, src, sd.index, n, state(dd.index).current));
      GANTRY_CUDA_CHECK(cudaStreamSynchronize(state(dd.index).current));
      return;
    }
    if (dd.is_cuda()) {
      to_device(dst, dd.index, static_cast<const char*>(src), n);
    } else {
      to_host(static_cast<char*>(dst), static_cast<const char*>(src), sd.index, n);
    }
  }

 private:
  static void ensure_staging(DeviceState& s) {
    if (s.staging[0]) return;
    for (int b = 0; b < 2; ++b) {
      GANTRY_CUDA_CHECK(cudaMallocHost(&s.staging[b], kStagingBytes));
      GANTRY_CUDA_CHECK(cudaEventCreateWithFlags(&s.staging_done[b], cudaEventDisableTiming));
    }
  }

  static void to_device(void* dst, int dev, const char* src, size_t n) {
    DeviceState& s = state(dev);
    DeviceGuard g(dev);
    if (n < kStagingMin) {
      // Pageable source: returns once the driver has staged it.
      GANTRY_CUDA_CHECK(cudaMemcpyAsync(dst, src, n, cudaMemcpyHostToDevice, s.current));
      return;
    }
    std::lock_guard<std::mutex> l(s.staging_mutex);
    ensure_staging(s);
    char* d = static_cast<char*>(dst);
    for (size_t off = 0, k = 0; off < n; off += kStagingBytes, ++k) {
      const int b = static_cast<int>(k & 1);
      const size_t len = std::min(kStagingBytes, n - off);
      GANTRY_CUDA_CHECK(cudaEventSynchronize(s.staging_done[b]));  // buffer b drained
      std::memcpy(s.staging[b], src + off, len);
      GANTRY_CUDA_CHECK(
          cudaMemcpyAsync(d + off, s.staging[b], len, cudaMemcpyHostToDevice, s.current));
      GANTRY_CUDA_CHECK(cudaEventRecord(s.staging_done[b], s.current));
    }
  }

  static void to_host(char* dst, const char* src, int dev, size_t n) {
    DeviceState& s = state(dev);
    DeviceGuard g(dev);
    if (n < kStagingMin) {
      GANTRY_CUDA_CHECK(cudaMemcpyAsync(dst, src, n, cudaMemcpyDeviceToHost, s.current));
      GANTRY_CUDA_CHECK(cudaStreamSynchronize(s.current));
      check_index_errors(dev);
      return;
    }
    std::lock_guard<std::mutex> l(s.staging_mutex);
    ensure_staging(s);
    const size_t chunks = (n + kStagingBytes - 1) / kStagingBytes;
    auto len_of = [&](size_t k) { return std::min(kStagingBytes, n - k * kStagingBytes); };
    // Chunk k lands in buffer k&1; while the host copies chunk k out, the DMA
    // of chunk k+1 into the other buffer runs.
    auto issue = [&](size_t k) {
      const int b = static_cast<int>(k & 1);
      // Done already for k >= 2; for k < 2 it orders after an earlier copy
      // through this buffer even if that one ran on another stream.
      GANTRY_CUDA_CHECK(cudaEventSynchronize(s.staging_done[b]));
      GANTRY_CUDA_CHECK(cudaMemcpyAsync(s.staging[b], src + k * kStagingBytes, len_of(k),
                                        cudaMemcpyDeviceToHost, s.current));
      GANTRY_CUDA_CHECK(cudaEventRecord(s.staging_done[b], s.current));
    };
    issue(0);
    for (size_t k = 0; k < chunks; ++k) {
      if (k + 1 < chunks) issue(k + 1);  // its buffer was drained in iteration k-1
      const int b = static_cast<int>(k & 1);
      GANTRY_CUDA_CHECK(cudaEventSynchronize(s.staging_done[b]));
      std::memcpy(dst + k * kStagingBytes, s.staging[b], len_of(k));
    }
    check_index_errors(dev);
  }
};

// ------------------------------------------------------------ device ops
struct CudaDeviceOps final : DeviceOps {
  void copy(const Tensor& dst, const Tensor& src) override { copy_strided(dst, src); }
  void fill(const Tensor& t, double value) override { cuda::fill(t, value); }
  void random(const Tensor& t, Random kind, uint64_t seed, uint64_t offset, int64_t low,
              uint64_t range) override {
    random_fill(t, kind, seed, offset, low, range);
  }
};

PoolAllocator g_allocator;
CudaDeviceOps g_device_ops;

// Registers the allocator and device ops at load time (no CUDA call happens
// here). This object is kept by the whole-archive link of gantry_kernels, like
// the self-registering kernel files.
struct Registrar {
  Registrar() {
    set_allocator(DeviceType::CUDA, &g_allocator);
    set_device_ops(DeviceType::CUDA, &g_device_ops);
  }
} g_registrar;

}  // namespace

// ------------------------------------------------------------ errors
void throw_cuda_error(cudaError_t e, const char* what, const char* file, int line) {
  cudaGetLastError();  // clear a non-sticky error so the next call starts clean
#ifdef GANTRY_CUDA_EMULATION
  // What the emulation knows about a fault found at this call (e.g. which
  // allocation a kernel wrote past, found at synchronization).
  std::string detail;
  if (e == cudaErrorIllegalAddress || e == cudaErrorLaunchFailure) {
    detail = emu::fault_message();
    emu::set_fault_message("");
  }
#else
  const std::string detail;
#endif
  throw Error(str("CUDA error in ", what, " (", file, ":", line, "): ", cudaGetErrorName(e), ": ",
                  cudaGetErrorString(e), detail.empty() ? "" : " (", detail,
                  detail.empty() ? "" : ")"));
}

// ------------------------------------------------------------ launches
std::string launch_config_problem(const LaunchConfig& c, size_t param_bytes) {
  const uint64_t threads = uint64_t(c.block.x) * c.block.y * c.block.z;
  if (threads == 0 || c.grid.x == 0 || c.grid.y == 0 || c.grid.z == 0)
    return str("empty launch: grid (", c.grid.x, ",", c.grid.y, ",", c.grid.z, "), block (",
               c.block.x, ",", c.block.y, ",", c.block.z, ")");
  if (threads > kMaxThreadsPerBlock || c.block.x > kMaxThreadsPerBlock ||
      c.block.y > kMaxThreadsPerBlock || c.block.z > kMaxBlockZ)
    return str("block (", c.block.x, ",", c.block.y, ",", c.block.z, ") has ", threads,
               " threads; the limit is ", kMaxThreadsPerBlock, " per block (z at most ",
               kMaxBlockZ, ")");
  if (c.grid.x > 2147483647u || c.grid.y > kMaxGridYZ || c.grid.z > kMaxGridYZ)
    return str("grid (", c.grid.x, ",", c.grid.y, ",", c.grid.z,
               "): gridDim.x is at most 2^31-1, gridDim.y and gridDim.z at most ", kMaxGridYZ);
  if (c.shared_bytes > kMaxDynamicShared)
    return str(c.shared_bytes, " bytes of dynamic shared memory; the limit without the opt-in "
               "attribute is ", kMaxDynamicShared);
  if (param_bytes > kMaxParamBytes)
    return str(param_bytes, " bytes of kernel parameters; the limit is ", kMaxParamBytes);
  return "";
}

std::string kernel_name_from_signature(const char* pretty) {
  // g++:   "void gantry::cuda::launch(...) [with auto Kernel = fill_kernel<float>; A = {...}]"
  // clang: "void gantry::cuda::launch(...) [Kernel = &fill_kernel<float>, A = <...>]"
  const std::string s(pretty);
  const std::string key = "Kernel = ";
  size_t b = s.find(key);
  if (b == std::string::npos) return s;
  b += key.size();
  int depth = 0;
  size_t e = b;
  for (; e < s.size(); ++e) {
    const char c = s[e];
    if (c == '<' || c == '(') ++depth;
    if (c == '>' || c == ')') --depth;
    if (depth < 0 || (depth == 0 && (c == ';' || c == ']' || c == ','))) break;
  }
  std::string name = s.substr(b, e - b);
  for (const char* ns : {"gantry::cuda::", "{anonymous}::", "(anonymous namespace)::"}) {
    for (size_t k; (k = name.find(ns)) != std::string::npos;) name.erase(k, std::strlen(ns));
  }
  if (!name.empty() && name[0] == '&') name.erase(0, 1);
  return name;
}

void throw_launch_error(const char* pretty, cudaError_t e, const std::string& detail) {
  cudaGetLastError();
  throw Error(str("CUDA error in the launch of ", kernel_name_from_signature(pretty), ": ",
                  cudaGetErrorName(e), ": ", cudaGetErrorString(e),
                  detail.empty() ? "" : " (", detail, detail.empty() ? "" : ")"));
}

bool sync_after_launch() {
  // Read at every launch (a getenv is far cheaper than a launch), so a test
  // or a debugger session can switch it on and off.
  const char* v = std::getenv("GANTRY_CUDA_SYNC");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

cudaError_t sync_launch_stream(cudaStream_t s) {
  cudaStreamCaptureStatus cap = cudaStreamCaptureStatusNone;
  cudaError_t e = cudaStreamIsCapturing(s, &cap);
  if (e != cudaSuccess || cap != cudaStreamCaptureStatusNone) return e;
  return cudaStreamSynchronize(s);
}

void throw_cublas_error(cublasStatus_t s, const char* what, const char* file, int line) {
  throw Error(str("cuBLAS error in ", what, " (", file, ":", line, "): ",
                  cublasGetStatusName(s), ": ", cublasGetStatusString(s)));
}

// ------------------------------------------------------------ discovery
int device_count() { return probe().count; }
bool is_available() { return device_count() > 0; }
std::string unavailable_reason() { return probe().reason; }

void require_device(int dev) {
  GANTRY_CHECK(is_available(), "cuda is unavailable: ", unavailable_reason());
  GANTRY_CHECK(dev >= 0 && dev < device_count(), "cuda:", dev, " does not exist (", device_count(),
               " device", device_count() == 1 ? "" : "s", " present)");
}

DeviceGuard::DeviceGuard(int dev) {
  GANTRY_CUDA_CHECK(cudaGetDevice(&prev_));
  if (prev_ != dev) GANTRY_CUDA_CHECK(cudaSetDevice(dev));
}
DeviceGuard::~DeviceGuard() {
  int cur = -1;
  if (cudaGetDevice(&cur) == cudaSuccess && cur != prev_ && prev_ >= 0) cudaSetDevice(prev_);
}

cudaStream_t current_stream(int dev) { return state(dev).current; }

void set_current_stream(int dev, cudaStream_t s) {
  DeviceState& st = state(dev);
  st.current = s ? s : st.own_stream;
}

void* current_stream_handle(int dev) { return current_stream(dev); }
void set_current_stream_handle(int dev, void* stream) {
  set_current_stream(dev, static_cast<cudaStream_t>(stream));
}

cublasHandle_t cublas_handle(int dev) {
  DeviceState& s = state(dev);
  std::lock_guard<std::mutex> l(g_handle_mutex);
  if (!s.cublas) {
    DeviceGuard g(dev);
    GANTRY_CUBLAS_CHECK(cublasCreate(&s.cublas));
  }
  GANTRY_CUBLAS_CHECK(cublasSetStream(s.cublas, s.current));
  // Default math never uses TF32 for float32 inputs; TF32 is the opt-in.
  GANTRY_CUBLAS_CHECK(
      cublasSetMathMode(s.cublas, g_allow_tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
  return s.cublas;
}

int check_same_cuda_device(const char* op, const Tensors& in, const Tensors& out) {
  int dev = -1;
  std::string first;
  for (const Tensors* group : {&in, &out})
    for (const auto& t : *group) {
      if (!t.defined()) continue;
      const Device d = t.device();
      GANTRY_CHECK(d.is_cuda() && (dev < 0 || d.index == dev), op,
                   ": tensors on different devices: ", first.empty() ? tensor_desc(t) : first,
                   " and ", tensor_desc(t));
      if (dev < 0) {
        dev = d.index;
        first = tensor_desc(t);
      }
    }
  GANTRY_CHECK(dev >= 0, op, ": no cuda tensor among the operands");
  return dev;
}

DeviceProperties properties(int dev) {
  require_device(dev);
  cudaDeviceProp p;
  GANTRY_CUDA_CHECK(cudaGetDeviceProperties(&p, dev));
  DeviceProperties r;
  r.name = p.name;
  r.major = p.major;
  r.minor = p.minor;
  r.total_memory = p.totalGlobalMem;
  r.multiprocessors = p.multiProcessorCount;
  r.max_threads_per_block = p.maxThreadsPerBlock;
  r.shared_memory_per_block = p.sharedMemPerBlock;
  r.l2_cache_bytes = p.l2CacheSize;
  return r;
}

void memory_info(int dev, size_t* free_bytes, size_t* total_bytes) {
  require_device(dev);
  DeviceGuard g(dev);
  GANTRY_CUDA_CHECK(cudaMemGetInfo(free_bytes, total_bytes));
}

size_t pool_reserved_bytes(int dev) {
  DeviceState& s = state(dev);
  uint64_t v = 0;
  GANTRY_CUDA_CHECK(cudaMemPoolGetAttribute(s.pool, cudaMemPoolAttrReservedMemCurrent, &v));
  return static_cast<size_t>(v);
}

void empty_cache(int dev) {
  DeviceState& s = state(dev);
  GANTRY_CUDA_CHECK(cudaStreamSynchronize(s.current));
  GANTRY_CUDA_CHECK(cudaMemPoolTrimTo(s.pool, 0));
}

FreeErrors take_free_errors() {
  std::lock_guard<std::mutex> lock(g_free_errors_mu);
  FreeErrors r = g_free_errors;
  g_free_errors = FreeErrors{};
  return r;
}

void synchronize(int dev) {
  if (dev < 0) {
    for (int i = 0; i < device_count(); ++i) synchronize(i);
    return;
  }
  DeviceState& s = state(dev);
  DeviceGuard g(dev);
  GANTRY_CUDA_CHECK(cudaStreamSynchronize(s.current));
  check_index_errors(dev);
}

IndexErrors index_errors(int dev) { return state(dev).index_errors; }

void check_index_errors(int dev) {
  DeviceState& s = state(dev);
  volatile long long* r = s.index_record;
  const long long count = r[0];
  if (count == 0) return;
  const long long value = r[1], limit = r[2];
  const int op = static_cast<int>(r[3]);
  r[0] = r[1] = r[2] = r[3] = 0;
  const char* name = op == static_cast<int>(IndexOp::gather)        ? "gather"
                     : op == static_cast<int>(IndexOp::scatter_add) ? "scatter_add"
                                                                    : "an index op";
  throw Error(str(name, " on cuda:", dev, ": index ", value, " is out of range for size ", limit,
                  " (", count, " bad indices; found at the first synchronization after the "
                  "kernel, set GANTRY_CUDA_SYNC=1 to stop at the kernel itself)"));
}

void set_allow_tf32(bool on) { g_allow_tf32 = on; }
bool allow_tf32() { return g_allow_tf32; }

}  // namespace cuda

}  // namespace gantry
