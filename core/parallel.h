// core/parallel.h — the CPU thread count (OpenMP; Eigen never threads on its
// own). Default: the number of cores. Results do not depend on it: every
// kernel splits work into pieces fixed by the shapes, not by the thread count.
#pragma once

namespace gantry {
void set_num_threads(int n);
int get_num_threads();
}  // namespace gantry
