// kernels/cpu/register.cpp — the CPU backend's explicit registration entry.
// Each op family registers itself in its own file; this only calls them, so
// nothing depends on static initializers (which static linking may drop).
#include "kernels/registry.h"

namespace gantry {
namespace kernels {

void register_cpu_elementwise(Registry& r);
void register_cpu_reduce(Registry& r);
void register_cpu_gemm(Registry& r);
void register_cpu_conv(Registry& r);
void register_cpu_index(Registry& r);
void register_cpu_optim(Registry& r);
void register_cpu_norm(Registry& r);

void register_cpu_kernels(Registry& r) {
  register_cpu_elementwise(r);
  register_cpu_reduce(r);
  register_cpu_gemm(r);
  register_cpu_conv(r);
  register_cpu_index(r);
  register_cpu_optim(r);
  register_cpu_norm(r);
}

}  // namespace kernels
}  // namespace gantry
