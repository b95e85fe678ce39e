// tests/test_cuda.cpp — the CUDA runtime and the kernels that have no place in
// the conformance table: device properties, the memory pool and its
// out-of-memory message, host<->device copies (small, staged, strided, every
// dtype), device copy/cast/fill, Philox draws bit-identical to the CPU's,
// the multi-tensor fused Adam against the CPU kernel, the TF32 setting,
// large reductions and GEMMs, errors for operands on two devices, and an op
// captured in a CUDA graph (stream-ordered allocation inside capture).
//
// Built only with GANTRY_CUDA; exits 77 (skipped) where no GPU is usable.
#include <catch2/catch.hpp>

#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "autograd/ops.h"
#include "core/rng.h"
#include "kernels/cuda/runtime.h"
#include "kernels/registry.h"
#include "tests/test_skip.h"
#include "tests/test_util.h"

using namespace gantry;
using testutil::check_close;
using testutil::check_gemm;
using testutil::vals;

namespace {

const Device kCuda{DeviceType::CUDA, 0};

Tensor on_cuda(const Tensor& t) { return core::to_device(t, kCuda); }

}  // namespace

TEST_CASE("cuda: device properties and memory info", "[cuda]") {
  REQUIRE(cuda::device_count() >= 1);
  auto p = cuda::properties(0);
  INFO(p.name << " sm_" << p.major << p.minor);
  CHECK(!p.name.empty());
  CHECK(p.major >= 7);
  CHECK(p.total_memory > (size_t(1) << 30));
  CHECK(p.multiprocessors > 0);
  size_t free_b = 0, total_b = 0;
  cuda::memory_info(0, &free_b, &total_b);
  CHECK(total_b > 0);
  CHECK(free_b <= total_b);
  CHECK_THROWS_WITH(cuda::properties(cuda::device_count()), Catch::Contains("does not exist"));
}

TEST_CASE("cuda: round trips through the device for every dtype and size", "[cuda]") {
  // 3 sizes: tiny (direct pageable copy), 5 MiB + a bit (two staged chunks,
  // the last partial), and 0 elements.
  for (int64_t n : {int64_t(7), int64_t(1310721), int64_t(0)}) {
    Tensor f = arange(static_cast<double>(n), kFloat64);
    for (DType d : {kFloat32, kFloat64, kInt64, kInt32, kUInt8}) {
      INFO("n " << n << " dtype " << dtype_name(d));
      // (to uint8 through int64: wraps modulo 256, where double -> uint8 would be UB)
      Tensor c = core::cast(d == kUInt8 ? core::cast(f, kInt64) : f, d);
      Tensor g = c.to(kCuda);
      CHECK(g.device() == kCuda);
      CHECK(g.dtype() == d);
      Tensor back = g.to(kCPU);
      CHECK(back.device() == kCPU);
      CHECK(vals(back) == vals(c));
    }
  }
}

TEST_CASE("cuda: strided copies, casts and fills on the device", "[cuda]") {
  Tensor x = arange(24.0, kFloat32).reshape({2, 3, 4});
  Tensor g = on_cuda(x);
  // Non-contiguous device tensors: permute, slice, then to cpu (contiguous first on device).
  Tensor p = g.permute({2, 0, 1});
  CHECK(vals(p) == vals(x.permute({2, 0, 1})));
  Tensor s = g.slice(2, 1, 4, 2);
  CHECK(vals(s) == vals(x.slice(2, 1, 4, 2)));
  // cast on device
  CHECK(vals(core::cast(g, kInt64)) == vals(core::cast(x, kInt64)));
  CHECK(vals(core::cast(p, kFloat64)) == vals(x.permute({2, 0, 1})));
  // copy_ into a device view, from the device and from the cpu (with broadcast)
  Tensor z = zeros({2, 3, 8}, Options(kFloat32).device(kCuda));
  Tensor view = z.slice(2, 0, 8, 2);
  core::copy_(view, g);
  Tensor zc = zeros({2, 3, 8});
  core::copy_(zc.slice(2, 0, 8, 2), x);
  CHECK(vals(z) == vals(zc));
  core::copy_(view, from_vector<double>({1, 2, 3, 4}, {4}));  // cpu float64 -> cuda float32 view
  core::copy_(zc.slice(2, 0, 8, 2), from_vector<double>({1, 2, 3, 4}, {4}));
  CHECK(vals(z) == vals(zc));
  // fill: whole, zero, and a strided view
  Tensor f = full({5, 6}, 2.5, Options(kFloat64).device(kCuda));
  CHECK(vals(f) == std::vector<double>(30, 2.5));
  core::fill_(f.slice(1, 0, 6, 3), -1.0);
  Tensor fc = full({5, 6}, 2.5, kFloat64);
  core::fill_(fc.slice(1, 0, 6, 3), -1.0);
  CHECK(vals(f) == vals(fc));
  core::fill_(f, 0.0);
  CHECK(vals(f) == std::vector<double>(30, 0.0));
  // clone of a transposed view
  Tensor t = core::clone(g.reshape({6, 4}).t());
  CHECK(t.is_contiguous());
  CHECK(vals(t) == vals(x.reshape({6, 4}).t()));
}

TEST_CASE("cuda: Philox draws on the device match the CPU's", "[cuda][rng]") {
  const int64_t n = 100003;  // odd, > a block, several grid-stride rounds
  RandomState a(1234), b(1234);
  a.set_offset(77);
  b.set_offset(77);
  SECTION("uniform float32 and float64: bit-identical") {
    for (DType d : {kFloat32, kFloat64}) {
      Tensor c = rand({n}, d, &a);
      Tensor g = rand({n}, Options(d).device(kCuda), &b);
      CHECK(vals(g) == vals(c));
      CHECK(a.offset() == b.offset());
    }
  }
  SECTION("randint: bit-identical") {
    Tensor c = randint(-5, 1000003, {n}, kInt64, &a);
    Tensor g = randint(-5, 1000003, {n}, Options(kInt64).device(kCuda), &b);
    CHECK(vals(g) == vals(c));
  }
  SECTION("normal: equal to a few ulp") {
    Tensor c = randn({n}, kFloat64, &a);
    Tensor g = randn({n}, Options(kFloat64).device(kCuda), &b);
    check_close(vals(g), vals(c), 1e-13, "randn float64");
    Tensor c32 = randn({n}, kFloat32, &a);
    Tensor g32 = randn({n}, Options(kFloat32).device(kCuda), &b);
    check_close(vals(g32), vals(c32), 1e-6, "randn float32");
  }
}

TEST_CASE("cuda: out of memory names the request and the free memory", "[cuda]") {
  const int64_t huge = int64_t(1) << 43;  // 32 TiB of float32
  try {
    Tensor t = empty({huge}, Options(kFloat32).device(kCuda));
    FAIL("allocating 32 TiB succeeded");
  } catch (const Error& e) {
    std::string m = e.what();
    INFO(m);
    CHECK(m.find("out of memory") != std::string::npos);
    CHECK(m.find(std::to_string(huge * 4)) != std::string::npos);
    CHECK(m.find("free") != std::string::npos);
  }
  // The device still works afterwards.
  CHECK(vals(add(on_cuda(ones({3})), on_cuda(ones({3})))) == std::vector<double>{2, 2, 2});
  CHECK(cuda::pool_reserved_bytes(0) > 0);
}

TEST_CASE("cuda: operands on two devices are refused, naming both", "[cuda]") {
  Tensor c = ones({3});
  Tensor g = on_cuda(ones({3}));
  CHECK_THROWS_WITH(add(c, g), Catch::Contains("different devices") && Catch::Contains("cuda:0") &&
                                   Catch::Contains("cpu"));
  CHECK_THROWS_WITH(kernels::run(kernels::OpId::exp, {g}, {empty({3})}),
                    Catch::Contains("exp") && Catch::Contains("different devices"));
  CHECK_THROWS_WITH(where(ones({3}, kUInt8), g, g),
                    Catch::Contains("cpu") && Catch::Contains("cuda:0"));
}

TEST_CASE("cuda: fused multi-tensor Adam matches the CPU kernel", "[cuda][optim]") {
  // 30 parameters (more than one launch's 24), one of 300 chunks of 65536
  // elements (more than one launch's 256 blocks), odd sizes, an empty one.
  std::vector<int64_t> sizes;
  for (int i = 0; i < 28; ++i) sizes.push_back(1 + 997 * i);
  sizes.push_back(0);
  sizes.push_back(65536 * 300 + 5);
  for (bool decoupled : {false, true}) {
    const kernels::AdamAttrs a{1e-3, 0.9, 0.999, 1e-8, 0.01, 5, decoupled};
    RandomState gen(99);
    Tensors cpu_in, cpu_out, dev_in, dev_out;
    std::vector<Tensor> cpu_params, dev_params;
    for (int64_t n : sizes) {
      Tensor p = randn({n}, kFloat32, &gen), g = randn({n}, kFloat32, &gen),
             m = mul(randn({n}, kFloat32, &gen), 0.1), v = mul(rand({n}, kFloat32, &gen), 0.01);
      Tensor dp = on_cuda(p), dg = on_cuda(g), dm = on_cuda(m), dv = on_cuda(v);
      kernels::run(kernels::OpId::adam_step, {p, g, m, v}, {p, m, v}, a);  // the CPU kernel, per parameter
      dev_in.insert(dev_in.end(), {dp, dg, dm, dv});
      dev_out.insert(dev_out.end(), {dp, dm, dv});
      cpu_params.insert(cpu_params.end(), {p, m, v});
    }
    kernels::run(kernels::OpId::adam_step, dev_in, dev_out, a);  // one call for the whole list
    for (size_t i = 0; i < cpu_params.size(); ++i) {
      INFO("decoupled " << decoupled << " tensor " << i / 3 << " field " << i % 3);
      check_close(vals(dev_out[i]), vals(cpu_params[i]), 1e-6, "adam_step");
    }
  }
}

TEST_CASE("cuda: large reductions and products against the CPU", "[cuda]") {
  RandomState gen(7);
  Tensor x = randn({3, 1000001}, kFloat32, &gen);
  Tensor g = on_cuda(x);
  check_close(vals(sum(g, {1})), vals(sum(x, {1})), 1e-6, "sum over 1e6");
  check_close(vals(sum(g)), vals(sum(x)), 1e-6, "sum of all");
  check_close(vals(var(add(g, 100.0), {1}, true)), vals(var(add(x, 100.0), {1}, true)), 1e-5,
              "var, large mean");
  CHECK(vals(argmax(g, 1)) == vals(argmax(x, 1)));
  CHECK(vals(max(g, {0})) == vals(max(x, {0})));
  // Ties: the first index wins.
  Tensor t = zeros({2, 5000});
  CHECK(vals(argmax(on_cuda(t), 1)) == std::vector<double>{0, 0});
  // A NaN wins max.
  Tensor nan_at = from_vector<float>({1, NAN, 3, 4}, {4});
  CHECK(std::isnan(max(on_cuda(nan_at)).item<double>()));
  CHECK(argmax(on_cuda(nan_at)).item<int64_t>() == 1);

  Tensor a = randn({257, 300}, kFloat32, &gen), b = randn({300, 129}, kFloat32, &gen);
  check_gemm(mm(on_cuda(a), on_cuda(b)), a, b, 1.0, "mm float32");
  check_gemm(mm(on_cuda(b).t(), on_cuda(a).t()).t(), a, b, 1.0, "mm of transposed views");
  Tensor a64 = core::cast(a, kFloat64), b64 = core::cast(b, kFloat64);
  check_close(vals(mm(on_cuda(a64), on_cuda(b64))), vals(mm(a64, b64)), 1e-12, "mm float64");
}

TEST_CASE("cuda: TF32 is off by default and can be turned on", "[cuda][gemm]") {
  CHECK_FALSE(cuda::allow_tf32());
  RandomState gen(3);
  Tensor a = randn({128, 512}, kFloat32, &gen), b = randn({512, 64}, kFloat32, &gen);
  Tensor ref = mm(a, b);
  cuda::set_allow_tf32(true);
  Tensor fast = mm(on_cuda(a), on_cuda(b));
  cuda::set_allow_tf32(false);
  // TF32 keeps 10 mantissa bits: close, not float32-exact.
  check_close(vals(fast), vals(ref), 5e-2, "tf32 mm");
  check_gemm(mm(on_cuda(a), on_cuda(b)), a, b, 1.0, "float32 mm");
}

TEST_CASE("cuda: elementwise vector path with unaligned pointers and tails", "[cuda]") {
  RandomState gen(5);
  Tensor x = randn({1003}, kFloat32, &gen), y = randn({1003}, kFloat32, &gen);
  Tensor gx = on_cuda(x), gy = on_cuda(y);
  for (int64_t off : {0, 1, 2, 3}) {
    INFO("offset " << off);
    Tensor a = x.slice(0, off, 1003), b = y.slice(0, off, 1003);
    Tensor ga = gx.slice(0, off, 1003), gb = gy.slice(0, off, 1003);
    CHECK(vals(add(ga, gb)) == vals(add(a, b)));
    CHECK(vals(gt(ga, gb)) == vals(gt(a, b)));
    check_close(vals(tanh(ga)), vals(tanh(a)), 1e-6, "tanh");
  }
}

namespace {
// One CUDA-graph capture: begin() makes a new stream current on cuda:0 and
// starts capturing on it (false when capture is unsupported: the emulation);
// run() ends the capture, instantiates the graph and runs it once;
// the destructor restores Gantry's stream and frees everything.
struct Capture {
  cudaStream_t s = nullptr;
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  bool capturing = false;
  bool begin() {
    cuda::synchronize(0);
    REQUIRE(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking) == cudaSuccess);
    const cudaError_t e = cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal);
#ifdef GANTRY_CUDA_EMULATION
    if (e == cudaErrorNotSupported) {  // kernels/cuda/emu: no graphs on the CPU
      cudaGetLastError();
      return false;
    }
#endif
    REQUIRE(e == cudaSuccess);
    capturing = true;
    cuda::set_current_stream_handle(0, s);
    return true;
  }
  void run() {
    capturing = false;
    REQUIRE(cudaStreamEndCapture(s, &graph) == cudaSuccess);
    REQUIRE(cudaGraphInstantiate(&exec, graph, 0) == cudaSuccess);
    REQUIRE(cudaGraphLaunch(exec, s) == cudaSuccess);
    REQUIRE(cudaStreamSynchronize(s) == cudaSuccess);
  }
  ~Capture() {
    if (capturing) {  // a throw inside the capture
      cudaGraph_t g = nullptr;
      cudaStreamEndCapture(s, &g);
      if (g) cudaGraphDestroy(g);
    }
    if (s) cuda::set_current_stream_handle(0, nullptr);
    if (exec) cudaGraphExecDestroy(exec);
    if (graph) cudaGraphDestroy(graph);
    if (s) cudaStreamDestroy(s);
  }
};
}  // namespace

TEST_CASE("cuda: an op captured in a CUDA graph (stream-ordered allocation)", "[cuda]") {
  Tensor a = on_cuda(arange(1000.0, kFloat32)), b = on_cuda(full({1000}, 2.0));
  Tensor c;
  {
    Capture cap;
    if (!cap.begin()) GANTRY_SKIP("CUDA graph capture is not supported under CUDA emulation");
    c = mul(add(a, b), b);  // allocates its output and a temporary inside the capture
    cap.run();
    std::vector<double> want(1000);
    for (int i = 0; i < 1000; ++i) want[i] = (i + 2.0) * 2.0;
    CHECK(vals(c) == want);
    c = Tensor();  // frees the graph's allocation (on the capture stream)
    cuda::synchronize(0);
  }
}

TEST_CASE("cuda: gather and scatter_add are captured in a CUDA graph", "[cuda][index]") {
  // They check indices on the device (reported at the next synchronization),
  // so nothing in them synchronizes and capture succeeds.
  Tensor x = on_cuda(arange(50.0, kFloat32).reshape({5, 10}));
  Tensor idx = on_cuda(from_vector<int64_t>({9, 0, 3, 3, 1, 2, 8, 7, 6, 5}, {5, 2}));
  Tensor src = on_cuda(ones({5, 2}));
  Tensor y, z;
  {
    Capture cap;
    if (!cap.begin()) GANTRY_SKIP("CUDA graph capture is not supported under CUDA emulation");
    y = gather(x, 1, idx);
    z = scatter_add(x, 1, idx, src);
    cap.run();
    Tensor xc = arange(50.0, kFloat32).reshape({5, 10});
    Tensor ic = from_vector<int64_t>({9, 0, 3, 3, 1, 2, 8, 7, 6, 5}, {5, 2});
    CHECK(vals(y) == vals(gather(xc, 1, ic)));
    CHECK(vals(z) == vals(scatter_add(xc, 1, ic, ones({5, 2}))));
    y = Tensor();
    z = Tensor();
    cuda::synchronize(0);
  }
}
