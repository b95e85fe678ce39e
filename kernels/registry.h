// kernels/registry.h — the one table that maps (op, device, dtype) to kernels.
//
// A kernel is a plain function that reads input tensors and writes into
// outputs the caller has already allocated (contiguous, right shape/dtype).
// Kernels never see autograd: they get tensors (pointers, shapes, strides)
// and an Attrs bag of op parameters. One key may hold several algorithms
// (e.g. convolution: im2col+GEMM, direct, cuDNN); `Registry::select` picks the
// first whose `applicable` predicate accepts the call, unless a setting forces
// one by name.
//
// Registration is explicit: Registry::instance() calls register_cpu_kernels()
// (and register_cuda_kernels() in CUDA builds) on first use, so static linking
// cannot drop an op, and tests/test_registry.cpp walks the table.
#pragma once
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace gantry {
namespace kernels {

using Tensors = std::vector<Tensor>;

// Op parameters. Each op documents which fields it reads.
struct Attrs {
  std::vector<double> scalars;  // leaky_relu {slope}, elu {alpha}, clamp {lo, hi}
  std::vector<int64_t> dims;    // reductions: sorted, non-negative dims to reduce
  bool keepdim = false;         // reductions: keep reduced dims as size 1
  bool unbiased = false;        // var: divide by N-1
  std::vector<int64_t> ints;    // conv*: {stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, groups}
                                // max_pool2d_indices: {kh, kw, sh, sw, ph, pw, dh, dw}
                                // gather, scatter_add: {dim}
};

using KernelFn = void (*)(const Tensors& in, const Tensors& out, const Attrs& attrs);
using Applicable = bool (*)(const Tensors& in, const Attrs& attrs);

struct Algorithm {
  std::string name;
  KernelFn fn = nullptr;
  Applicable applicable = nullptr;  // nullptr: always applicable
};

struct Key {
  std::string op;
  DeviceType device;
  DType dtype;
};

class Registry {
 public:
  static Registry& instance();

  // Adds an algorithm for (op, device, dtype). dtype is the dtype of the
  // op's first input (the dispatch dtype).
  void add(const std::string& op, DeviceType dev, DType dtype, const std::string& algo,
           KernelFn fn, Applicable applicable = nullptr);

  // The algorithm to run for this call; throws naming the op, device and dtype
  // when nothing is registered.
  const Algorithm& select(const std::string& op, DeviceType dev, DType dtype, const Tensors& in,
                          const Attrs& attrs) const;
  bool has(const std::string& op, DeviceType dev, DType dtype) const;
  std::vector<Algorithm> algorithms(const std::string& op, DeviceType dev, DType dtype) const;

  // Forces algorithm `algo` for `op` ("" clears the choice).
  void force_algorithm(const std::string& op, const std::string& algo);

  std::vector<std::string> ops() const;                 // every op name, sorted
  std::vector<Key> keys() const;                        // every (op, device, dtype)
  std::vector<DType> dtypes(const std::string& op, DeviceType dev) const;

 private:
  Registry() = default;
  std::map<std::string, std::map<std::pair<int, int>, std::vector<Algorithm>>> table_;
  std::map<std::string, std::string> forced_;
};

// While alive, records the name of every op dispatched on this thread (tests
// use it to learn which kernels a composite op needs on a backend).
class DispatchTrace {
 public:
  DispatchTrace();
  ~DispatchTrace();
  DispatchTrace(const DispatchTrace&) = delete;
  DispatchTrace& operator=(const DispatchTrace&) = delete;
  const std::vector<std::string>& ops() const { return ops_; }
  void add(const std::string& op);

 private:
  std::vector<std::string> ops_;
  DispatchTrace* prev_;
};

// Op-level profiler: while enabled, every dispatch is timed and accumulated
// per (op, algorithm) — calls and total wall time. Timing is of the kernel
// call as the host sees it (CUDA backends synchronize only when profiling).
// Off by default; a disabled profiler costs one relaxed atomic load per op.
//   kernels::Profiler::enable(true);  ...work...;  std::cout << Profiler::report();
struct ProfileRow {
  std::string op, algorithm;
  int64_t calls = 0;
  double total_ms = 0;
};
class Profiler {
 public:
  static void enable(bool on);
  static bool enabled();
  static void reset();
  static std::vector<ProfileRow> rows();  // sorted by total time, largest first
  static std::string report();            // a printable table with percentages
};

// Dispatches `op` on the device and dtype of in[0].
void run(const std::string& op, const Tensors& in, const Tensors& out, const Attrs& attrs = {});

// Explicit registration entry points (one per backend).
void register_cpu_kernels(Registry& r);
#ifdef GANTRY_WITH_CUDA
void register_cuda_kernels(Registry& r);
#endif

}  // namespace kernels
}  // namespace gantry
