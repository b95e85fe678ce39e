// kernels/cuda/runtime.h — is there a usable GPU? (plain C++ header)
//
// On a machine with the toolkit but no driver, cudaGetDeviceCount fails
// ("CUDA driver version is insufficient"); any failure means "no GPU" and the
// CUDA backend is simply unavailable, with the reason kept for messages.
#pragma once
#include <string>

namespace gantry {
namespace cuda {

// Number of usable devices (0 when the runtime or driver is missing).
int device_count();
bool is_available();
// Why CUDA is unavailable ("" when it is available).
std::string unavailable_reason();

}  // namespace cuda
}  // namespace gantry
