// kernels/cuda/runtime.cu — device discovery and the CUDA registration entry.
//
// The kernels of CUDA I/II register here; until then the backend only reports
// whether a device exists. A tiny probe kernel is launched once on first use
// so that "available" means "a kernel built for this architecture runs".
#include <cuda_runtime.h>

#include <mutex>
#include <string>

#include "kernels/cuda/runtime.h"
#include "kernels/registry.h"

namespace gantry {
namespace cuda {
namespace {

__global__ void probe_kernel(int* out) { *out = 42; }

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
    probe_kernel<<<1, 1>>>(d);
    cudaError_t le = cudaGetLastError();
    if (le == cudaSuccess) le = cudaMemcpy(&h, d, sizeof(int), cudaMemcpyDeviceToHost);
    cudaFree(d);
    if (le != cudaSuccess || h != 42) {
      r.reason = std::string("probe kernel failed: ") + cudaGetErrorString(le) +
                 " (was the library built for this GPU's architecture?)";
      return r;
    }
    r.count = n;
    return r;
  }();
  return p;
}

}  // namespace

int device_count() { return probe().count; }
bool is_available() { return device_count() > 0; }
std::string unavailable_reason() { return probe().reason; }

}  // namespace cuda

namespace kernels {
// CUDA kernels are added by the CUDA I/II issues; each registers itself here.
void register_cuda_kernels(Registry&) {}
}  // namespace kernels
}  // namespace gantry
