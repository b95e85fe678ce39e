// tests/test_cuda_emulator.cu — the CUDA emulation's own tests (built only
// with -DGANTRY_CUDA_EMULATION=ON; kernels/cuda/emu, docs/cuda.md).
//
// An emulator that cannot fail proves nothing, so most cases here plant a
// fault a GPU would punish and check the emulation catches it:
//   - a shared-memory reduction without __syncthreads gives a wrong sum under
//     every schedule (and the same kernel with the barrier the right one);
//   - shuffles with a partial mask fail the launch, naming the lanes;
//   - an off-by-one lda makes the cuBLAS stand-in return INVALID_VALUE;
//   - a 2048-thread block (and the other launch limits) is refused;
//   - a store one element past an allocation is reported at the next
//     synchronization as an illegal address;
//   - a barrier in a kernel launched barrier-free, and a deadlock, fail.
// The rest checks what the emulation must get right: warp lockstep, lane
// arithmetic, atomics across parallel blocks, the schedule permutation, and
// the GEMM stand-in against a float64 reference.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "core/tensor.h"
#include "kernels/cuda/common.cuh"

using namespace gantry;
using namespace gantry::cuda;

namespace {

constexpr int kBlock = 256;

// sum of x[0..255] into out[0], the textbook tree in shared memory.
template <bool WithBarriers>
__global__ void block_sum(const float* x, float* out) {
  __shared__ float sm[kBlock];
  const int t = threadIdx.x;
  sm[t] = x[t];
  if (WithBarriers) __syncthreads();
  for (int s = kBlock / 2; s > 0; s >>= 1) {
    if (t < s) sm[t] += sm[t + s];
    if (WithBarriers) __syncthreads();
  }
  if (t == 0) out[0] = sm[0];
}

// Lane l of each warp holds l; the warp sums with shuffles. Mask and the
// participating lanes are the test's choice.
template <int Variant>
__global__ void warp_sum(int* out) {
  const int lane = threadIdx.x & 31;
  int v = lane;
  if (Variant == 0) {  // correct: all lanes, full mask
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  } else if (Variant == 1) {  // every lane calls with a mask of lanes 0-15 only
    v += __shfl_down_sync(0x0000ffffu, v, 16);
  } else if (Variant == 2) {  // lanes 0-15 call with their own mask, reading lanes 16-31
    if (lane < 16) v += __shfl_down_sync(0x0000ffffu, v, 16);
  } else if (Variant == 3) {  // deadlock: half the warp shuffles, half waits at a barrier
    if (lane < 16) v += __shfl_down_sync(0xffffffffu, v, 1);
    else __syncthreads();
  } else if (Variant == 4) {  // legal: lanes 16-31 have exited; groups of 16, 0-7 read 8-15
    if (lane >= 16) return;
    v += __shfl_down_sync(0xffffffffu, v, 8, 16);
  } else if (Variant == 5) {  // lanes 8-15 read lanes 16-23, which have exited
    if (lane >= 16) return;
    v += __shfl_down_sync(0xffffffffu, v, 8);
    v += __shfl_down_sync(0xffffffffu, v, 8);
  } else if (Variant == 6) {  // a width that is not a power of two
    v += __shfl_down_sync(0xffffffffu, v, 1, 12);
  }
  out[threadIdx.x] = v;
}

// Each lane's results of the shuffles, for the lane arithmetic.
constexpr int kKinds = 7;
__global__ void shuffle_kinds(int* out) {
  const int lane = threadIdx.x & 31;
  const int v = 100 + lane;
  int* o = out + kKinds * lane;
  o[0] = __shfl_sync(0xffffffffu, v, 5);           // lane 5 for all
  o[1] = __shfl_up_sync(0xffffffffu, v, 3);        // lane-3, own below 3
  o[2] = __shfl_down_sync(0xffffffffu, v, 4, 8);   // within groups of 8
  o[3] = __shfl_xor_sync(0xffffffffu, v, 1);       // neighbour swap
  o[4] = __shfl_xor_sync(0xffffffffu, v, 16, 16);  // a lower group may be read, a higher not
  o[5] = __shfl_up_sync(0xffffffffu, v, 2, 4);     // within groups of 4
  o[6] = __shfl_sync(0xffffffffu, v, 7, 4);        // lane 3 of the caller's group of 4
}

__global__ void store_at(float* x, int64_t i, float v) {
  if (threadIdx.x == 0 && blockIdx.x == 0) x[i] = v;
}

__global__ void barrier_inside() { __syncthreads(); }

__global__ void count_atomically(unsigned long long* c, float* f, int reps) {
  for (int r = 0; r < reps; ++r) {
    atomicAdd(c, 1ull);
    atomicAdd(f, 1.0f);
  }
}

// Records the order threads reach the first statement in.
__global__ void arrival_order(int* order, int* next) {
  const int k = atomicAdd(next, 1);
  order[k] = threadIdx.x;
}

struct Big {
  char bytes[40000];
};
__global__ void big_params(Big b, char* out) { out[0] = b.bytes[0]; }

__global__ void nothing(int*) {}

// Device buffers that free themselves.
template <typename T>
struct Buf {
  T* p = nullptr;
  size_t n = 0;
  explicit Buf(size_t count, T fill = T{}) : n(count) {
    REQUIRE(cudaMalloc(&p, n * sizeof(T)) == cudaSuccess);
    std::vector<T> h(n, fill);
    REQUIRE(cudaMemcpy(p, h.data(), n * sizeof(T), cudaMemcpyHostToDevice) == cudaSuccess);
  }
  ~Buf() { cudaFree(p); }
  std::vector<T> get() const {
    std::vector<T> h(n);
    REQUIRE(cudaMemcpy(h.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost) == cudaSuccess);
    return h;
  }
  void set(const std::vector<T>& h) {
    REQUIRE(cudaMemcpy(p, h.data(), n * sizeof(T), cudaMemcpyHostToDevice) == cudaSuccess);
  }
};

LaunchConfig one_block(unsigned threads, bool barrier_free = false) {
  return LaunchConfig{dim3(1), dim3(threads), 0, nullptr, barrier_free};
}

std::string launch_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

struct ScheduleGuard {
  uint64_t saved = emu::schedule();
  ~ScheduleGuard() { emu::set_schedule(saved); }
};

}  // namespace

TEST_CASE("emulation: a reduction missing __syncthreads is wrong under every schedule",
          "[emu][meta]") {
  ScheduleGuard g;
  Buf<float> x(kBlock), out(1);
  std::vector<float> h(kBlock);
  for (uint64_t sched : {0ull, 1ull, 2ull}) {
    emu::set_schedule(sched);
    // Fresh data each time, so what an earlier launch left in shared memory
    // cannot add up to the right answer by accident.
    for (int i = 0; i < kBlock; ++i) h[i] = static_cast<float>((i * 7 + sched * 13) % 31 + 1);
    x.set(h);
    const float want = std::accumulate(h.begin(), h.end(), 0.0f);
    launch<block_sum<true>>(one_block(kBlock), x.p, out.p);
    CHECK(out.get()[0] == want);
    for (int i = 0; i < kBlock; ++i) h[i] += 1000.0f;  // and again for the faulty one
    x.set(h);
    const float want2 = std::accumulate(h.begin(), h.end(), 0.0f);
    launch<block_sum<false>>(one_block(kBlock), x.p, out.p);
    INFO("schedule " << sched);
    CHECK(out.get()[0] != want2);
  }
}

TEST_CASE("emulation: shuffles run in warp lockstep with the GPU's lane arithmetic",
          "[emu]") {
  Buf<int> out(64, -1);
  launch<warp_sum<0>>(one_block(64), out.p);
  std::vector<int> v = out.get();
  CHECK(v[0] == 496);   // 0 + 1 + ... + 31
  CHECK(v[32] == 496);  // second warp
  Buf<int> k(kKinds * 32, -1);
  launch<shuffle_kinds>(one_block(32), k.p);
  std::vector<int> r = k.get();
  for (int lane = 0; lane < 32; ++lane) {
    INFO("lane " << lane);
    const int* o = r.data() + kKinds * lane;
    CHECK(o[0] == 105);
    CHECK(o[1] == 100 + (lane >= 3 ? lane - 3 : lane));  // own value below 3
    CHECK(o[2] == 100 + ((lane % 8) + 4 < 8 ? lane + 4 : lane));
    CHECK(o[3] == 100 + (lane ^ 1));
    CHECK(o[4] == 100 + (lane < 16 ? lane : lane - 16));  // PTX: only j > group end is "own"
    CHECK(o[5] == 100 + (lane % 4 >= 2 ? lane - 2 : lane));
    CHECK(o[6] == 100 + (lane / 4 * 4 + 3));
  }
  // Lanes named in the mask may have exited, as long as nobody reads them.
  Buf<int> e(32, -1);
  launch<warp_sum<4>>(one_block(32), e.p);
  std::vector<int> ev = e.get();
  for (int lane = 0; lane < 16; ++lane) CHECK(ev[lane] == lane + (lane < 8 ? lane + 8 : lane));
}

TEST_CASE("emulation: shuffles with a partial mask fail the launch", "[emu][meta]") {
  Buf<int> out(32);
  std::string e1 = launch_error([&] { launch<warp_sum<1>>(one_block(32), out.p); });
  CHECK_THAT(e1, Catch::Contains("warp_sum<1>"));
  CHECK_THAT(e1, Catch::Contains("does not include the lane itself"));
  std::string e2 = launch_error([&] { launch<warp_sum<2>>(one_block(32), out.p); });
  CHECK_THAT(e2, Catch::Contains("reads lane 16"));
  CHECK_THAT(e2, Catch::Contains("not in the mask 0x0000ffff"));
  std::string e3 = launch_error([&] { launch<warp_sum<3>>(one_block(32), out.p); });
  CHECK_THAT(e3, Catch::Contains("deadlock"));
  std::string e5 = launch_error([&] { launch<warp_sum<5>>(one_block(32), out.p); });
  CHECK_THAT(e5, Catch::Contains("reads lane 16") && Catch::Contains("has exited"));
  std::string e6 = launch_error([&] { launch<warp_sum<6>>(one_block(32), out.p); });
  CHECK_THAT(e6, Catch::Contains("width 12 is not a power of two"));
  // The runtime is usable after a failed launch.
  launch<warp_sum<0>>(one_block(32), out.p);
  CHECK(out.get()[0] == 496);
}

TEST_CASE("emulation: the GPU's launch limits are enforced", "[emu][meta]") {
  Buf<int> out(1);
  std::string e = launch_error([&] { launch<nothing>(one_block(2048, true), out.p); });
  CHECK_THAT(e, Catch::Contains("cudaErrorInvalidConfiguration"));
  CHECK_THAT(e, Catch::Contains("2048 threads"));
  CHECK_THAT(e, Catch::Contains("nothing"));
  CHECK_NOTHROW(launch<nothing>(one_block(1024, true), out.p));
  CHECK_THROWS_WITH(
      launch<nothing>(LaunchConfig{dim3(1, 65536), dim3(1), 0, nullptr, true}, out.p),
      Catch::Contains("65535"));
  CHECK_THROWS_WITH(
      launch<nothing>(LaunchConfig{dim3(1), dim3(32), 64 * 1024, nullptr, true}, out.p),
      Catch::Contains("shared memory"));
  Big b{};
  Buf<char> c(1);
  CHECK_THROWS_WITH(launch<big_params>(one_block(1, true), b, c.p),
                    Catch::Contains("32764"));
  // and directly through the emulator, the way the GPU reports it
  emu::LaunchSpec spec;
  spec.block = dim3(2048);
  spec.grid = dim3(1);
  CHECK(emu::launch(spec, [](const void*) {}, nullptr) == cudaErrorInvalidConfiguration);
  CHECK(cudaGetLastError() == cudaErrorInvalidConfiguration);
  CHECK(cudaGetLastError() == cudaSuccess);
}

TEST_CASE("emulation: a store past an allocation is an illegal address at the next sync",
          "[emu][meta]") {
  Tensor t = zeros({100}, Options().device(Device{DeviceType::CUDA, 0}));
  float* p = static_cast<float*>(t.raw_data());
  launch<store_at>(one_block(32, true), p, int64_t{99}, 1.0f);  // in bounds
  CHECK_NOTHROW(gantry::cuda::synchronize(0));
  launch<store_at>(one_block(32, true), p, int64_t{100}, 1.0f);  // one past the end
  std::string e = launch_error([] { gantry::cuda::synchronize(0); });
  CHECK_THAT(e, Catch::Contains("cudaErrorIllegalAddress"));
  CHECK_THAT(e, Catch::Contains("past the end of a 400-byte allocation"));
  CHECK_THAT(e, Catch::Contains("bytes 0 to 3 after its end"));
  CHECK_NOTHROW(gantry::cuda::synchronize(0));  // reported once
  // 80 bytes out: past the 64-byte minimum, still inside the allocation's
  // 512-byte block (400 + 64 rounded up to 256), all of which is canary.
  launch<store_at>(one_block(32, true), p, int64_t{120}, 1.0f);
  CHECK_THROWS_WITH(gantry::cuda::synchronize(0), Catch::Contains("bytes 80 to 83 after its end"));
}

TEST_CASE("emulation: a barrier in a kernel launched barrier-free fails the launch",
          "[emu][meta]") {
  std::string e = launch_error([] { launch<barrier_inside>(one_block(64, true)); });
  CHECK_THAT(e, Catch::Contains("barrier-free"));
  CHECK_THAT(e, Catch::Contains("__syncthreads"));
  CHECK_NOTHROW(launch<barrier_inside>(one_block(64, false)));
}

TEST_CASE("emulation: atomics are exact across blocks running in parallel", "[emu]") {
  Buf<unsigned long long> c(1, 0);
  Buf<float> f(1, 0.0f);
  launch<count_atomically>(LaunchConfig{dim3(64), dim3(128), 0, nullptr, true}, c.p, f.p, 4);
  CHECK(c.get()[0] == 64ull * 128 * 4);
  CHECK(f.get()[0] == 64.0f * 128 * 4);  // every partial sum is an exact float
}

TEST_CASE("emulation: the schedule permutes the order threads run in", "[emu]") {
  ScheduleGuard g;
  Buf<int> order(64, -1), next(1, 0);
  emu::set_schedule(0);
  launch<arrival_order>(one_block(64), order.p, next.p);
  std::vector<int> o0 = order.get();
  std::vector<int> id(64);
  std::iota(id.begin(), id.end(), 0);
  CHECK(o0 == id);
  std::vector<std::vector<int>> seen;
  for (uint64_t s : {1ull, 2ull, 1ull}) {
    emu::set_schedule(s);
    next.set({0});
    launch<arrival_order>(one_block(64), order.p, next.p);
    std::vector<int> o = order.get();
    std::vector<int> sorted = o;
    std::sort(sorted.begin(), sorted.end());
    CHECK(sorted == id);  // a permutation
    CHECK(o != id);
    seen.push_back(o);
  }
  CHECK(seen[0] != seen[1]);  // seeds differ
  CHECK(seen[0] == seen[2]);  // the same seed repeats
}

namespace {
// C = alpha op(A) op(B) + beta C, column-major, in double.
void ref_gemm(bool ta, bool tb, int m, int n, int k, double alpha, const std::vector<float>& A,
              int lda, const std::vector<float>& B, int ldb, double beta, std::vector<float>& C,
              int ldc) {
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < m; ++i) {
      double acc = 0;
      for (int l = 0; l < k; ++l)
        acc += double(ta ? A[l + i * lda] : A[i + l * lda]) *
               double(tb ? B[j + l * ldb] : B[l + j * ldb]);
      const double c = beta == 0 ? 0.0 : beta * C[i + j * ldc];
      C[i + j * ldc] = static_cast<float>(alpha * acc + c);
    }
}
}  // namespace

TEST_CASE("emulation: the cuBLAS stand-in has cuBLAS's semantics", "[emu]") {
  cublasHandle_t h = nullptr;
  REQUIRE(cublasCreate(&h) == CUBLAS_STATUS_SUCCESS);
  const int m = 5, n = 4, k = 3, pad = 2;
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (double beta : {0.0, 0.5}) {
        const int lda = (ta ? k : m) + pad, ldb = (tb ? n : k) + pad, ldc = m + pad;
        const int acols = ta ? m : k, bcols = tb ? k : n;
        std::vector<float> A(lda * acols), B(ldb * bcols), C(ldc * n);
        for (size_t i = 0; i < A.size(); ++i) A[i] = float(i % 7) - 3.0f;
        for (size_t i = 0; i < B.size(); ++i) B[i] = float(i % 5) * 0.5f - 1.0f;
        for (size_t i = 0; i < C.size(); ++i) C[i] = beta == 0 ? NAN : float(i % 3);
        std::vector<float> want = C;
        ref_gemm(ta, tb, m, n, k, 2.0, A, lda, B, ldb, beta, want, ldc);
        Buf<float> dA(A.size()), dB(B.size()), dC(C.size());
        dA.set(A);
        dB.set(B);
        dC.set(C);
        const float alpha = 2.0f, fb = static_cast<float>(beta);
        REQUIRE(cublasSgemmStridedBatched(h, ta ? CUBLAS_OP_T : CUBLAS_OP_N,
                                          tb ? CUBLAS_OP_T : CUBLAS_OP_N, m, n, k, &alpha, dA.p,
                                          lda, 0, dB.p, ldb, 0, &fb, dC.p, ldc, 0,
                                          1) == CUBLAS_STATUS_SUCCESS);
        std::vector<float> got = dC.get();
        INFO("ta " << ta << " tb " << tb << " beta " << beta);
        for (int j = 0; j < n; ++j)
          for (int i = 0; i < m; ++i) CHECK(got[i + j * ldc] == Approx(want[i + j * ldc]));
        // padding rows untouched (NaN stays NaN when beta == 0)
        CHECK(std::isnan(got[m]) == (beta == 0));
      }
  // batched, with strides between the matrices, and CUBLAS_OP_C (= T for real types)
  {
    const int batch = 3, lda = m + 1, ldb = n + 2, ldc = m;  // A: N, B: C (stored n x k)
    const long long sA = lda * k + 5, sB = ldb * k + 3, sC = ldc * n + 7;
    std::vector<float> A(sA * batch), B(sB * batch), C(sC * batch, 1.0f);
    for (size_t i = 0; i < A.size(); ++i) A[i] = float(i % 11) * 0.25f - 1.0f;
    for (size_t i = 0; i < B.size(); ++i) B[i] = float(i % 13) * 0.125f - 0.5f;
    std::vector<float> want = C;
    for (int b = 0; b < batch; ++b) {
      std::vector<float> a(A.begin() + b * sA, A.begin() + b * sA + lda * k);
      std::vector<float> bb(B.begin() + b * sB, B.begin() + b * sB + ldb * k);
      std::vector<float> c(want.begin() + b * sC, want.begin() + b * sC + ldc * n);
      ref_gemm(false, true, m, n, k, 1.5, a, lda, bb, ldb, 0.25, c, ldc);
      std::copy(c.begin(), c.end(), want.begin() + b * sC);
    }
    Buf<float> dA(A.size()), dB(B.size()), dC(C.size());
    dA.set(A);
    dB.set(B);
    dC.set(C);
    const float alpha = 1.5f, beta = 0.25f;
    REQUIRE(cublasSgemmStridedBatched(h, CUBLAS_OP_N, CUBLAS_OP_C, m, n, k, &alpha, dA.p, lda, sA,
                                      dB.p, ldb, sB, &beta, dC.p, ldc, sC,
                                      batch) == CUBLAS_STATUS_SUCCESS);
    std::vector<float> got = dC.get();
    for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]));  // gaps: untouched
  }
  // off-by-one leading dimensions are refused, as cuBLAS documents
  Buf<float> d(64);
  const float one = 1.0f, zero = 0.0f;
  CHECK(cublasSgemmStridedBatched(h, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &one, d.p, m - 1, 0, d.p,
                                  k, 0, &zero, d.p, m, 0, 1) == CUBLAS_STATUS_INVALID_VALUE);
  CHECK(cublasSgemmStridedBatched(h, CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, &one, d.p, k - 1, 0, d.p,
                                  k, 0, &zero, d.p, m, 0, 1) == CUBLAS_STATUS_INVALID_VALUE);
  CHECK(cublasSgemmStridedBatched(h, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &one, d.p, m, 0, d.p,
                                  k - 1, 0, &zero, d.p, m, 0, 1) == CUBLAS_STATUS_INVALID_VALUE);
  CHECK(cublasSgemmStridedBatched(h, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &one, d.p, m, 0, d.p, k,
                                  0, &zero, d.p, m - 1, 0, 1) == CUBLAS_STATUS_INVALID_VALUE);
  CHECK(cublasSgemmStridedBatched(h, CUBLAS_OP_N, CUBLAS_OP_N, -1, n, k, &one, d.p, m, 0, d.p, k,
                                  0, &zero, d.p, m, 0, 1) == CUBLAS_STATUS_INVALID_VALUE);
  CHECK(cublasGemmStridedBatchedEx(h, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &one, d.p, CUDA_R_32F,
                                   m - 1, 0, d.p, CUDA_R_32F, k, 0, &zero, d.p, CUDA_R_32F, m, 0,
                                   1, CUBLAS_COMPUTE_32F,
                                   CUBLAS_GEMM_DEFAULT) == CUBLAS_STATUS_INVALID_VALUE);
  // and through Gantry's checked wrapper it is an error naming the status
  auto checked = [&] {
    GANTRY_CUBLAS_CHECK(cublasSgemmStridedBatched(h, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &one, d.p,
                                                  m - 1, 0, d.p, k, 0, &zero, d.p, m, 0, 1));
  };
  CHECK_THROWS_WITH(checked(), Catch::Contains("CUBLAS_STATUS_INVALID_VALUE"));
  cublasDestroy(h);
}
