// kernels/cuda/cudnn.cuh — cuDNN, loaded at run time (CUDA code only).
//
// Gantry does not link cuDNN: the first convolution that asks for it opens
// libcudnn.so.9 with dlopen (the cuDNN 9 front library, which loads its own
// sub-libraries) and looks up the legacy convolution API by name. Without the
// library every binary still starts and runs; the "cudnn" convolution
// algorithm reports itself not applicable and the registry's timed choice
// uses Gantry's own kernels (cudnn_status() says why).
//
// Only what convolution needs is looked up: handles, tensor/filter/
// convolution descriptors, the heuristic algorithm queries (_v7) and the
// three convolution calls. Each function pointer has the type of the
// header's declaration (decltype), so a mismatch is a compile error.
#pragma once
#include <cudnn.h>

#include <string>

namespace gantry {
namespace cuda {

#define GANTRY_CUDNN_FUNCTIONS(X)                                                           \
  X(cudnnGetVersion) X(cudnnGetErrorString) X(cudnnCreate) X(cudnnDestroy) X(cudnnSetStream) \
  X(cudnnCreateTensorDescriptor) X(cudnnDestroyTensorDescriptor)                             \
  X(cudnnSetTensor4dDescriptorEx) X(cudnnCreateFilterDescriptor)                             \
  X(cudnnDestroyFilterDescriptor) X(cudnnSetFilter4dDescriptor)                              \
  X(cudnnCreateConvolutionDescriptor) X(cudnnDestroyConvolutionDescriptor)                   \
  X(cudnnSetConvolution2dDescriptor) X(cudnnSetConvolutionGroupCount)                        \
  X(cudnnSetConvolutionMathType) X(cudnnGetConvolutionForwardAlgorithm_v7)                   \
  X(cudnnGetConvolutionBackwardDataAlgorithm_v7)                                             \
  X(cudnnGetConvolutionBackwardFilterAlgorithm_v7) X(cudnnConvolutionForward)                \
  X(cudnnConvolutionBackwardData) X(cudnnConvolutionBackwardFilter)

struct CudnnApi {
#define GANTRY_CUDNN_POINTER(name) decltype(&::name) name = nullptr;
  GANTRY_CUDNN_FUNCTIONS(GANTRY_CUDNN_POINTER)
#undef GANTRY_CUDNN_POINTER
};

// The loaded API, or nullptr when cuDNN could not be loaded (then
// cudnn_status() holds the reason). Loads once, thread-safe.
const CudnnApi* cudnn_api();

// The cuDNN handle of device `dev` (created on first use), bound to the
// device's current stream. Requires cudnn_api() != nullptr.
cudnnHandle_t cudnn_handle(int dev);

// Throws gantry::Error("cuDNN error in <what> (<file>:<line>): <text>").
void throw_cudnn_error(cudnnStatus_t s, const char* what, const char* file, int line);

#define GANTRY_CUDNN_CHECK(call)                                                \
  do {                                                                          \
    cudnnStatus_t gantry_s_ = (call);                                           \
    if (gantry_s_ != CUDNN_STATUS_SUCCESS)                                      \
      ::gantry::cuda::throw_cudnn_error(gantry_s_, #call, __FILE__, __LINE__);  \
  } while (0)

}  // namespace cuda
}  // namespace gantry
