// core/parallel.h — the CPU thread count (OpenMP and Eigen follow it).
// Default: the number of cores. Results of elementwise ops and reductions do
// not depend on it; GEMM (Eigen's blocking) may differ in the last ulp.
#pragma once

namespace gantry {
void set_num_threads(int n);
int get_num_threads();
}  // namespace gantry
