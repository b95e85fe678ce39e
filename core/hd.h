// core/hd.h — GANTRY_HD marks a function that both compilers build: g++ for
// the CPU and nvcc for the GPU (host and device). Scalar code shared by the
// backends (core/rng.h's Philox, kernels/math.h's functors) uses it, so each
// formula is written once.
#pragma once

#if defined(__CUDACC__)
#define GANTRY_HD __host__ __device__ inline
#else
#define GANTRY_HD inline
#endif
