// kernels/cuda/cudnn.cu — opening cuDNN at run time, its handles and errors
// (see cudnn.cuh for why it is not linked).
#include <dlfcn.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/cudnn.cuh"

namespace gantry {
namespace cuda {
namespace {

std::mutex g_mutex;
std::string g_status = "not loaded yet";

// GANTRY_CUDNN names a library file to open instead of the default search
// (LD_LIBRARY_PATH, the runpath, /usr/local/cuda/lib64 last).
CudnnApi* load() {
#ifdef GANTRY_CUDA_EMULATION
  // cuDNN's kernels cannot run on the CPU: the own kernels are the tested path.
  g_status = "cuDNN is not used under CUDA emulation";
  return nullptr;
#endif
  std::string tried;
  void* lib = nullptr;
  std::vector<std::string> names;
  if (const char* env = std::getenv("GANTRY_CUDNN")) names.push_back(env);
  names.push_back("libcudnn.so.9");
  names.push_back("/usr/local/cuda/lib64/libcudnn.so.9");
  for (const auto& n : names) {
    lib = dlopen(n.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib) break;
    const char* e = dlerror();
    tried += str(tried.empty() ? "" : "; ", e ? e : n.c_str());
  }
  if (!lib) {
    g_status = "cuDNN not found (" + tried + ")";
    return nullptr;
  }
  auto* api = new CudnnApi();
#define GANTRY_CUDNN_LOOKUP(name)                                                    \
  api->name = reinterpret_cast<decltype(api->name)>(dlsym(lib, #name));              \
  if (!api->name) {                                                                  \
    g_status = "cuDNN library lacks " #name;                                         \
    delete api;                                                                      \
    return nullptr;                                                                  \
  }
  GANTRY_CUDNN_FUNCTIONS(GANTRY_CUDNN_LOOKUP)
#undef GANTRY_CUDNN_LOOKUP
  const size_t v = api->cudnnGetVersion();
  if (v / 10000 != CUDNN_MAJOR) {
    g_status = str("cuDNN ", v, " found, but Gantry was built against major version ", CUDNN_MAJOR);
    delete api;
    return nullptr;
  }
  g_status = str("cuDNN ", v / 10000, ".", (v / 100) % 100, ".", v % 100);
  return api;
}

}  // namespace

const CudnnApi* cudnn_api() {
  static CudnnApi* api = [] {
    std::lock_guard<std::mutex> lock(g_mutex);
    return load();
  }();
  return api;
}

std::string cudnn_status() {
  cudnn_api();
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_status;
}

// Set when the library loaded but a handle could not be created (e.g. a cuDNN
// built for another CUDA major version than the driver offers): from then on
// cuDNN counts as unavailable and the timed choice uses Gantry's own kernels.
std::atomic<bool> g_unusable{false};

bool cudnn_available() {
  if (!is_available() || cudnn_api() == nullptr) return false;
  static std::once_flag probe;  // a handle on cuda:0 once, so "available" means usable
  std::call_once(probe, [] {
    try {
      cudnn_handle(0);
    } catch (const Error&) {
      // g_unusable is set and the status says why
    }
  });
  return !g_unusable.load();
}

void throw_cudnn_error(cudnnStatus_t s, const char* what, const char* file, int line) {
  const CudnnApi* api = cudnn_api();
  const char* text = api ? api->cudnnGetErrorString(s) : "cuDNN not loaded";
  throw Error(str("cuDNN error in ", what, " (", file, ":", line, "): ", text, " (status ",
                  static_cast<int>(s), ")"));
}

cudnnHandle_t cudnn_handle(int dev) {
  static std::mutex mutex;
  static std::map<int, cudnnHandle_t> handles;
  const CudnnApi* api = cudnn_api();
  GANTRY_CHECK(api, "cudnn: ", cudnn_status());
  cudnnHandle_t h;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = handles.find(dev);
    if (it == handles.end()) {
      DeviceGuard guard(dev);
      const cudnnStatus_t st = api->cudnnCreate(&h);
      if (st != CUDNN_STATUS_SUCCESS) {
        g_unusable = true;
        {
          std::lock_guard<std::mutex> status_lock(g_mutex);
          g_status += str(" (unusable: cudnnCreate on cuda:", dev, " failed: ",
                          api->cudnnGetErrorString(st), ")");
        }
        throw_cudnn_error(st, "cudnnCreate", __FILE__, __LINE__);
      }
      handles[dev] = h;
    } else {
      h = it->second;
    }
  }
  GANTRY_CUDNN_CHECK(api->cudnnSetStream(h, current_stream(dev)));
  return h;
}

}  // namespace cuda
}  // namespace gantry
