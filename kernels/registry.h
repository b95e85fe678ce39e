// kernels/registry.h — maps (op, device, dtype) to kernels.
//
// A kernel is a plain function that reads input tensors and writes into
// outputs the caller has already allocated (contiguous, right shape/dtype).
// Kernels never see autograd: they get tensors (pointers, shapes, strides)
// and the op's typed attributes (kernels/attrs.h). One key may hold several
// algorithms (e.g. convolution: im2col+GEMM, direct, cuDNN); `select` picks
// the first whose `applicable` predicate accepts the call, unless a setting
// forces one by name.
//
// Ops are the typed ids of the op table (kernels/op.h); the table is a flat
// array indexed by (op, device, dtype), so dispatch costs no string compare.
//
// Registration is one line next to each kernel:
//   GANTRY_KERNEL(mm, DeviceType::CPU, kFloat32, "eigen", mm<float>);
//   GANTRY_KERNEL_IF(conv2d, DeviceType::CUDA, kFloat32, "cudnn", cudnn_ok, conv_cudnn<float>);
// Each expands to a static object whose constructor adds the kernel. Static
// linking would drop an object file nothing refers to, so the kernels library
// is linked whole (CMake: $<LINK_LIBRARY:WHOLE_ARCHIVE,...>; see
// CMakeLists.txt), and tests/test_registry.cpp walks the table so a dropped
// registration fails a test.
#pragma once
#include <array>
#include <atomic>
#include <shared_mutex>
#include <mutex>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "kernels/op.h"

namespace gantry {
namespace kernels {

using Tensors = std::vector<Tensor>;

using KernelFn = void (*)(const Tensors& in, const Tensors& out, const OpAttrs& attrs);
using Applicable = bool (*)(const Tensors& in, const OpAttrs& attrs);

struct Algorithm {
  std::string name;
  KernelFn fn = nullptr;
  Applicable applicable = nullptr;  // nullptr: always applicable
};

struct Key {
  OpId op;
  DeviceType device;
  DType dtype;
};

constexpr int kNumDeviceTypes = 2;  // DeviceType::CPU, DeviceType::CUDA
constexpr int kNumDTypes = 7;       // every DType (core/dtype.h)

class Registry {
 public:
  static Registry& instance();

  // Adds an algorithm for (op, device, dtype). dtype is the dtype of the
  // op's first input (the dispatch dtype).
  void add(OpId op, DeviceType dev, DType dtype, const std::string& algo, KernelFn fn,
           Applicable applicable = nullptr);

  // The algorithm to run for this call; throws naming the op, device and dtype
  // when nothing is registered.
  const Algorithm& select(OpId op, DeviceType dev, DType dtype, const Tensors& in,
                          const OpAttrs& attrs) const;
  bool has(OpId op, DeviceType dev, DType dtype) const;
  std::vector<Algorithm> algorithms(OpId op, DeviceType dev, DType dtype) const;

  // Forces algorithm `algo` for `op` ("" clears the choice).
  void force_algorithm(OpId op, const std::string& algo);
  // The same by name (`--force OP=ALGO`); throws when no op has that name.
  void force_algorithm(const std::string& op, const std::string& algo);

  std::vector<OpId> ops() const;   // every op with at least one kernel, in table order
  std::vector<Key> keys() const;   // every (op, device, dtype) with a kernel
  std::vector<DType> dtypes(OpId op, DeviceType dev) const;

 private:
  Registry() = default;
  using Slot = std::vector<Algorithm>;
  const Slot& slot(OpId op, DeviceType dev, DType dtype) const {
    return table_[op_index(op)][static_cast<int>(dev)][static_cast<int>(dtype)];
  }
  std::array<std::array<std::array<Slot, kNumDTypes>, kNumDeviceTypes>, kNumOps> table_;
  std::array<std::string, kNumOps> forced_;
  std::atomic<int> num_forced_{0};  // fast path: no op is forced
  mutable std::shared_mutex forced_mu_;  // guards forced_: select reads, force_algorithm writes
};

// A static object that registers one kernel when the program starts
// (GANTRY_KERNEL below).
struct Registrar {
  Registrar(OpId op, DeviceType dev, DType dtype, const char* algo, KernelFn fn,
            Applicable applicable = nullptr) {
    Registry::instance().add(op, dev, dtype, algo, fn, applicable);
  }
  // Runs `f()` at start-up: for kernel files that register a family in a loop.
  template <typename F>
  explicit Registrar(F&& f) {
    f(Registry::instance());
  }
};

#define GANTRY_REG_CAT2_(a, b) a##b
#define GANTRY_REG_CAT_(a, b) GANTRY_REG_CAT2_(a, b)
// One kernel: op (a name in the op table), device, dtype, algorithm name, and
// the function last (it may be a template-id with commas: extremum<T, true>).
#define GANTRY_KERNEL(OP, DEV, DTYPE, ALGO, ...)                                          \
  static const ::gantry::kernels::Registrar GANTRY_REG_CAT_(gantry_kernel_, __COUNTER__)( \
      ::gantry::kernels::OpId::OP, DEV, DTYPE, ALGO, __VA_ARGS__)
// The same, used only where `applicable(in, attrs)` accepts the call.
#define GANTRY_KERNEL_IF(OP, DEV, DTYPE, ALGO, APPLICABLE, ...)                           \
  static const ::gantry::kernels::Registrar GANTRY_REG_CAT_(gantry_kernel_, __COUNTER__)( \
      ::gantry::kernels::OpId::OP, DEV, DTYPE, ALGO, __VA_ARGS__, APPLICABLE)
// A block of registrations run at start-up: GANTRY_REGISTER_KERNELS(r) { r.add(...); }
#define GANTRY_REGISTER_KERNELS(R)                                                         \
  static void GANTRY_REG_CAT_(gantry_register_, __LINE__)(::gantry::kernels::Registry&);   \
  static const ::gantry::kernels::Registrar GANTRY_REG_CAT_(gantry_kernels_, __LINE__)(    \
      [](::gantry::kernels::Registry& r_) { GANTRY_REG_CAT_(gantry_register_, __LINE__)(r_); }); \
  static void GANTRY_REG_CAT_(gantry_register_, __LINE__)(::gantry::kernels::Registry & R)

// While alive, records the name of every op dispatched on this thread (tests
// use it to learn which kernels a composite op needs on a backend).
class DispatchTrace {
 public:
  DispatchTrace();
  ~DispatchTrace();
  DispatchTrace(const DispatchTrace&) = delete;
  DispatchTrace& operator=(const DispatchTrace&) = delete;
  const std::vector<std::string>& ops() const { return ops_; }
  void add(OpId op);

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

// Dispatches `op` on the device and dtype of in[0]. `attrs` must be the
// attribute struct the op's table entry names (checked).
void run(OpId op, const Tensors& in, const Tensors& out, const OpAttrs& attrs = {});

}  // namespace kernels
}  // namespace gantry
