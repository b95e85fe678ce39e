// kernels/cpu/conv.h — settings of the CPU convolution kernels (conv.cpp).
#pragma once
#include <cstdint>

namespace gantry {
namespace kernels {

// The batched convolution algorithm lays the im2col matrices of a chunk of
// samples side by side; chunks are sized so that this workspace stays under
// `bytes` (default 64 MiB; at least one sample per chunk). Smaller saves
// memory, larger makes fewer, longer GEMMs. Results depend on the chunking
// only through the weight gradient's summation order, never on threads.
void set_conv_workspace_limit(int64_t bytes);
int64_t conv_workspace_limit();

}  // namespace kernels
}  // namespace gantry
