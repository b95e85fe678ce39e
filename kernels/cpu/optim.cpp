// kernels/cpu/optim.cpp — fused optimizer updates (placeholder until the
// optimizer work registers its kernels here).
#include "kernels/registry.h"

namespace gantry {
namespace kernels {
void register_cpu_optim(Registry&) {}
}  // namespace kernels
}  // namespace gantry
