// kernels/cuda/runtime.h — the CUDA backend's public face (plain C++ header:
// code above kernels/ includes it without nvcc).
//
// Is there a usable GPU? On a machine with the toolkit but no driver,
// cudaGetDeviceCount fails ("CUDA driver version is insufficient"); any
// failure means "no GPU": the CUDA backend is simply unavailable, and the
// reason is kept for messages (allocating on `cuda` then says it).
//
// Also: device properties, free memory, synchronization, and the TF32
// setting for cuBLAS matrix products (off by default so float32 results match
// the CPU's to ~1e-6; on trades ~10 bits of mantissa for tensor-core speed).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gantry {
namespace cuda {

// Number of usable devices (0 when the runtime or driver is missing).
int device_count();
bool is_available();
// Why CUDA is unavailable ("" when it is available).
std::string unavailable_reason();
// Throws gantry::Error naming the reason unless device `dev` is usable.
void require_device(int dev);

struct DeviceProperties {
  std::string name;               // e.g. "NVIDIA H100 80GB HBM3"
  int major = 0, minor = 0;       // compute capability
  size_t total_memory = 0;        // bytes
  int multiprocessors = 0;
  int max_threads_per_block = 0;
  size_t shared_memory_per_block = 0;  // bytes (default limit)
  int l2_cache_bytes = 0;
};
DeviceProperties properties(int dev);

// cudaMemGetInfo for device `dev`: bytes free and total.
void memory_info(int dev, size_t* free_bytes, size_t* total_bytes);
// Bytes the stream-ordered pool of `dev` holds (in use + cached for reuse).
size_t pool_reserved_bytes(int dev);
// Returns cached, unused pool memory of `dev` to the driver.
void empty_cache(int dev);

// Waits until all work Gantry issued on device `dev` (-1: every device) is done.
void synchronize(int dev = -1);

// Freeing device memory happens in Storage's destructor, which must not throw
// and (like every layer below apps/) never prints. A failed cudaFreeAsync is
// counted here instead: how many frees failed since the last call, and the
// first failure's message ("" when none). Callers that care (the trainer,
// gpu-check) ask after a step.
struct FreeErrors {
  uint64_t count = 0;
  std::string first;
};
FreeErrors take_free_errors();

// The stream Gantry issues device `dev`'s work on, as an opaque cudaStream_t
// (for code built without nvcc, e.g. a test that captures a CUDA graph).
// Setting nullptr restores Gantry's own stream. Switch only between
// synchronized points: memory freed on one stream is reused on another.
void* current_stream_handle(int dev);
void set_current_stream_handle(int dev, void* stream);

// TF32 tensor-core math for float32 GEMMs (cuBLAS). Default: off.
void set_allow_tf32(bool on);
bool allow_tf32();

// cuDNN is opened at run time (kernels/cuda/cudnn.cuh). cudnn_status() is its
// version ("cuDNN 9.19.0") or why it is missing; without it, convolutions use
// Gantry's own kernels.
bool cudnn_available();
std::string cudnn_status();

// The convolution algorithm the registry's timed choice ("auto") settled on
// for each shape seen so far, one line per shape:
//   "conv2d float32 x[64,3,64,64] w[64,3,4,4] s2 p1 d1 g1: cudnn 0.041 ms (im2col_gemm 0.093 ms)"
std::vector<std::string> conv_algorithm_choices();
// Forgets the choices (the next call of each shape times again).
void clear_conv_algorithm_choices();
// Most bytes one convolution call may use as scratch (im2col columns, cuDNN
// workspace); default 512 MiB. Own kernels process the batch in chunks of
// samples that fit. Changing it forgets the choices above.
void set_conv_workspace_limit(size_t bytes);
size_t conv_workspace_limit();

}  // namespace cuda
}  // namespace gantry
