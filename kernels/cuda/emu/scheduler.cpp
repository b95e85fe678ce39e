// kernels/cuda/emu/scheduler.cpp — how the emulation runs a kernel's grid
// (device.h has the model; docs/cuda.md how to debug a kernel with it).
//
//   launch(spec, body, ctx)
//     checks the launch limits, then runs the blocks on OpenMP threads
//     (dynamic schedule). Each block runs on one host thread:
//       barrier-free kernels: thread (0,0,0), (1,0,0), ... each call body()
//         to completion, one after another;
//       other kernels: every CUDA thread is a fiber with its own stack. The
//         block's scheduler runs the ready fibers, in an order drawn from the
//         schedule seed, until each has finished or waits (at __syncthreads
//         or at a warp operation). Then it completes the warp operations
//         whose lanes have all arrived, or, when every live thread waits at
//         __syncthreads, releases the barrier. Anything else is a deadlock
//         on the GPU too, and fails the launch naming what each thread waits
//         for.
//
// Fibers switch with a few lines of x86-64 assembly (callee-saved registers,
// the stack pointer, MXCSR and the x87 control word), annotated for
// AddressSanitizer; elsewhere with ucontext. A fault (device_fault, an
// exception) unwinds the faulting fiber; the block's other fibers are
// abandoned where they wait (kernels own no resources), and the launch fails.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.h"
#include "kernels/cuda/emu/device.h"

#if defined(__SANITIZE_ADDRESS__)
#define GANTRY_EMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GANTRY_EMU_ASAN 1
#endif
#endif
#ifdef GANTRY_EMU_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

namespace gantry {
namespace cuda {
namespace emu {

// Implemented in runtime.cpp: records e as the host thread's last error.
void set_last_error(cudaError_t e);

namespace {

// ------------------------------------------------------------ context switch
#if defined(__x86_64__)
extern "C" void gantry_emu_switch(void** save_sp, void* load_sp);
asm(R"(
  .text
  .globl gantry_emu_switch
  .type gantry_emu_switch, @function
gantry_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size gantry_emu_switch, .-gantry_emu_switch
  .section .note.GNU-stack,"",@progbits
  .text
)");
struct Context {
  void* sp = nullptr;
};
#else
struct Context {
  ucontext_t uc;
};
#endif

constexpr size_t kStackBytes = size_t(256) << 10;  // per CUDA thread (ASan frames are large)

struct FaultUnwind {};  // thrown by device_fault to unwind the faulting thread

enum class Wait { kReady, kBarrier, kWarp, kDone };

struct Fiber {
  Context ctx;
  char* stack = nullptr;  // lowest usable byte
  bool dirty = false;     // abandoned mid-kernel: its ASan shadow must be cleared
  uint3 tid{};
  int linear = 0;
  Wait wait = Wait::kReady;
  // the warp operation it waits at
  unsigned mask = 0;
  uint64_t bits = 0, result = 0;
  int src = -1;
  const char* op = nullptr;
  void* asan_fake = nullptr;
  char* low_water = nullptr;  // ASan builds: the stack position it finished at
};

// Stacks are kept per host thread and reused by every block it runs: one
// mapping of 1024 stacks (the most threads a block has), reserved but not
// committed, so a machine with many cores stays far below the kernel's limit
// on mappings (vm.max_map_count; a guard page per stack would cost two each).
// Instead of guard pages, each stack's lowest bytes hold a canary, checked
// when its thread finishes: an overflow fails the launch.
constexpr size_t kMaxFibers = 1024;
constexpr size_t kStackCanaryBytes = 64;
constexpr unsigned char kStackCanary = 0xA5;

struct StackPool {
  char* base = nullptr;
  std::vector<Fiber> fibers;
  ~StackPool() {
    if (base) munmap(base, kMaxFibers * kStackBytes);
  }
  void reserve(size_t n) {
    if (n > kMaxFibers) throw Error(str("CUDA emulation: ", n, " threads in a block"));
    if (base) return;
    void* m = mmap(nullptr, kMaxFibers * kStackBytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) throw Error("CUDA emulation: cannot map the fiber stacks");
    base = static_cast<char*>(m);
    fibers.resize(kMaxFibers);
    for (size_t i = 0; i < kMaxFibers; ++i) fibers[i].stack = base + i * kStackBytes;
  }
};

struct Block {
  const LaunchSpec* spec = nullptr;
  BodyFn body = nullptr;
  const void* ctx = nullptr;
  uint3 bidx{};
  int n = 0;                 // threads in the block
  Fiber* fibers = nullptr;   // fiber mode: n of them
  Fiber* current = nullptr;  // the running fiber (fiber mode)
  uint3 plain_tid{};         // the running thread (barrier-free mode)
  Context sched;             // the scheduler's own context
  std::string fault;         // first fault in this block
  const void* main_stack_bottom = nullptr;
  size_t main_stack_size = 0;
  void* sched_fake = nullptr;
};

thread_local Block* tl_block = nullptr;
thread_local std::string tl_fault_message;
std::atomic<uint64_t> g_schedule{[] {
  const char* s = std::getenv("GANTRY_CUDA_EMU_SCHEDULE");
  return s ? std::strtoull(s, nullptr, 10) : 1ull;
}()};

const uint3 kZero3{0, 0, 0};
const dim3 kOne3(1, 1, 1);

uint64_t splitmix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

std::string hex(unsigned v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", v);
  return b;
}

std::string tid_str(const uint3& t) { return str("(", t.x, ",", t.y, ",", t.z, ")"); }

// ------------------------------------------------------------ switching
void fiber_main();

#ifdef GANTRY_EMU_ASAN
// A finished fiber leaves fiber_main's and the switch path's frames at the top
// of its stack, never returned from, so their redzones stay poisoned there;
// deeper frames returned and unpoisoned their own. Clearing that region (from
// the fiber's last stack position, recorded in `low_water`, to the top: a few
// hundred bytes) before reuse keeps ASan from flagging the next fiber's first
// frames. An abandoned fiber (a fault) is cleared entirely.
void unpoison_top(Fiber& f) {
  char* top = f.stack + kStackBytes;
  char* low = f.low_water;
  if (low == nullptr || low <= f.stack + 1024 || low > top) low = top - 4096;  // not seen: a guess
  low -= 1024;  // the frames below it (the sanitizer's switch call)
  ASAN_UNPOISON_MEMORY_REGION(low, static_cast<size_t>(top - low));
  f.low_water = nullptr;
}
#endif

void set_stack_canary(Fiber& f) { std::memset(f.stack, kStackCanary, kStackCanaryBytes); }
bool stack_canary_intact(const Fiber& f) {
  for (size_t k = 0; k < kStackCanaryBytes; ++k)
    if (static_cast<unsigned char>(f.stack[k]) != kStackCanary) return false;
  return true;
}

#if defined(__x86_64__)
void prepare(Fiber& f) {
#ifdef GANTRY_EMU_ASAN
  unpoison_top(f);
#endif
  set_stack_canary(f);
  // The first switch into f "returns" into fiber_main with the stack as a
  // call would leave it (rsp + 8 a multiple of 16).
  uintptr_t top = reinterpret_cast<uintptr_t>(f.stack + kStackBytes) & ~uintptr_t(15);
  auto* sp = reinterpret_cast<uint64_t*>(top);
  *--sp = 0;                                              // fiber_main's return address
  *--sp = reinterpret_cast<uint64_t>(&fiber_main);        // popped by ret
  for (int r = 0; r < 6; ++r) *--sp = 0;                  // rbp rbx r12..r15
  --sp;
  const uint32_t mxcsr = 0x1F80;                          // round to nearest, all masked
  const uint16_t fpucw = 0x037F;
  std::memcpy(sp, &mxcsr, 4);
  std::memcpy(reinterpret_cast<char*>(sp) + 4, &fpucw, 2);
  f.ctx.sp = sp;
}
void jump(Context& from, Context& to) { gantry_emu_switch(&from.sp, to.sp); }
#else
void prepare(Fiber& f) {
#ifdef GANTRY_EMU_ASAN
  unpoison_top(f);
#endif
  set_stack_canary(f);
  getcontext(&f.ctx.uc);
  f.ctx.uc.uc_stack.ss_sp = f.stack;
  f.ctx.uc.uc_stack.ss_size = kStackBytes;
  f.ctx.uc.uc_link = nullptr;
  makecontext(&f.ctx.uc, &fiber_main, 0);
}
void jump(Context& from, Context& to) { swapcontext(&from.uc, &to.uc); }
#endif

// scheduler -> fiber f, until f waits or finishes.
void run_fiber(Block& b, Fiber& f) {
  b.current = &f;
#ifdef GANTRY_EMU_ASAN
  __sanitizer_start_switch_fiber(&b.sched_fake, f.stack, kStackBytes);
#endif
  jump(b.sched, f.ctx);
#ifdef GANTRY_EMU_ASAN
  __sanitizer_finish_switch_fiber(b.sched_fake, nullptr, nullptr);
#endif
  b.current = nullptr;
}

// fiber -> scheduler; returns when the scheduler resumes this fiber.
void yield_to_scheduler(Block& b, Fiber& f, bool finished) {
#ifdef GANTRY_EMU_ASAN
  if (finished) f.low_water = static_cast<char*>(__builtin_frame_address(0));
  __sanitizer_start_switch_fiber(finished ? nullptr : &f.asan_fake, b.main_stack_bottom,
                                 b.main_stack_size);
#endif
  jump(f.ctx, b.sched);
#ifdef GANTRY_EMU_ASAN
  __sanitizer_finish_switch_fiber(f.asan_fake, nullptr, nullptr);
#endif
}

void record_fault(Block& b, const std::string& what) {
  if (b.fault.empty()) b.fault = what;
}

void fiber_main() {
  Block& b = *tl_block;
  Fiber& f = *b.current;
#ifdef GANTRY_EMU_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &b.main_stack_bottom, &b.main_stack_size);
#endif
  try {
    b.body(b.ctx);
  } catch (const FaultUnwind&) {
  } catch (const std::exception& e) {
    record_fault(b, str("thread ", tid_str(f.tid), " threw: ", e.what()));
  } catch (...) {
    record_fault(b, str("thread ", tid_str(f.tid), " threw an exception"));
  }
  f.wait = Wait::kDone;
  yield_to_scheduler(b, f, /*finished=*/true);
  std::abort();  // a finished fiber is never resumed
}

// ------------------------------------------------------------ one block
// Completes the warp operations whose lanes have all arrived. Returns true if
// any thread became ready; records a fault for an impossible warp operation.
bool resolve_warps(Block& b) {
  bool progressed = false;
  const int warps = (b.n + 31) / 32;
  for (int w = 0; w < warps && b.fault.empty(); ++w) {
    Fiber* lanes = b.fibers + w * 32;
    const int nl = std::min(32, b.n - w * 32);
    int first = -1;
    for (int l = 0; l < nl; ++l)
      if (lanes[l].wait == Wait::kWarp) {
        first = l;
        break;
      }
    if (first < 0) continue;
    const unsigned mask = lanes[first].mask;
    const char* op = lanes[first].op;
    // CUDA: every non-exited lane named in the mask takes part, with the
    // same mask. Exited lanes and lanes past the end of a partial last warp
    // may be named; reading one is what fails (below).
    bool complete = true;
    for (int l = 0; l < nl && b.fault.empty(); ++l) {
      const Fiber& f = lanes[l];
      const bool named = (mask >> l) & 1u;
      if (f.wait == Wait::kWarp) {
        if (f.mask != mask || std::strcmp(f.op, op) != 0)
          record_fault(b, str("warp ", w, ": lane ", first, " calls ", op, " with mask ",
                              hex(mask), " while lane ", l, " calls ", f.op, " with mask ",
                              hex(f.mask), " (the emulation requires the lanes waiting in one "
                              "warp at a time to agree)"));
        else if (!named)
          record_fault(b, str("warp ", w, ": lane ", l, " calls ", op, " with mask ", hex(mask),
                              ", which does not include the lane itself"));
      } else if (named && f.wait == Wait::kBarrier) {
        record_fault(b, str("deadlock in warp ", w, ": lanes wait in ", op, " (mask ",
                            hex(mask), ") while lane ", l, " waits at __syncthreads"));
        complete = false;
      }
    }
    if (!b.fault.empty()) return false;
    if (!complete) continue;
    for (int l = 0; l < nl; ++l) {
      Fiber& f = lanes[l];
      if (f.wait != Wait::kWarp) continue;
      if (f.src < 0) {
        f.result = f.bits;  // source lane out of range: the caller's own value
      } else if (!((mask >> f.src) & 1u)) {
        record_fault(b, str("warp ", w, ": lane ", l, " reads lane ", f.src, " in ", op,
                            ", which is not in the mask ", hex(mask),
                            " (the GPU returns an undefined value)"));
        return false;
      } else if (f.src >= nl || lanes[f.src].wait != Wait::kWarp) {
        record_fault(b, str("warp ", w, ": lane ", l, " reads lane ", f.src, " in ", op,
                            f.src >= nl ? ", which does not exist (the block has "
                                        : ", which has exited (the block has ",
                            b.n, " threads; the GPU returns an undefined value)"));
        return false;
      } else {
        f.result = lanes[f.src].bits;
      }
    }
    for (int l = 0; l < nl; ++l)
      if (lanes[l].wait == Wait::kWarp) lanes[l].wait = Wait::kReady;
    progressed = true;
  }
  return progressed;
}

std::string describe_waits(const Block& b) {
  std::string s;
  int shown = 0;
  for (int i = 0; i < b.n && shown < 8; ++i) {
    const Fiber& f = b.fibers[i];
    if (f.wait == Wait::kDone) continue;
    s += str(shown ? "; " : "", "thread ", tid_str(f.tid), " waits ",
             f.wait == Wait::kBarrier ? std::string("at __syncthreads")
                                      : str("in ", f.op, " (mask ", hex(f.mask), ")"));
    ++shown;
  }
  return s;
}

void run_block_fibers(Block& b, StackPool& pool, uint64_t seed, uint64_t block_linear) {
  pool.reserve(static_cast<size_t>(b.n));
  b.fibers = pool.fibers.data();
  const dim3 bd = b.spec->block;
  for (int i = 0; i < b.n; ++i) {
    Fiber& f = b.fibers[i];
#ifdef GANTRY_EMU_ASAN
    if (f.dirty) ASAN_UNPOISON_MEMORY_REGION(f.stack, kStackBytes);
#endif
    f.dirty = false;
    f.linear = i;
    f.tid = uint3{static_cast<unsigned>(i) % bd.x, static_cast<unsigned>(i) / bd.x % bd.y,
                  static_cast<unsigned>(i) / (bd.x * bd.y)};
    f.wait = Wait::kReady;
    f.asan_fake = nullptr;
    prepare(f);
  }
  std::vector<int> order(static_cast<size_t>(b.n));
  for (uint64_t phase = 0;; ++phase) {
    order.clear();
    for (int i = 0; i < b.n; ++i)
      if (b.fibers[i].wait == Wait::kReady) order.push_back(i);
    if (seed != 0) {  // Fisher-Yates with a counter-based generator
      uint64_t st = splitmix(seed ^ splitmix(block_linear ^ splitmix(phase)));
      for (size_t i = order.size(); i > 1; --i) {
        st = splitmix(st);
        std::swap(order[i - 1], order[st % i]);
      }
    }
    for (int i : order) {
      if (b.fibers[i].wait != Wait::kReady) continue;
      run_fiber(b, b.fibers[i]);
      if (!stack_canary_intact(b.fibers[i]))
        record_fault(b, str("thread ", tid_str(b.fibers[i].tid), " overflowed its ",
                            kStackBytes >> 10, " KiB stack"));
      if (!b.fault.empty()) break;
    }
    if (!b.fault.empty()) break;
    if (resolve_warps(b)) continue;
    if (!b.fault.empty()) break;
    int live = 0, at_barrier = 0;
    for (int i = 0; i < b.n; ++i) {
      if (b.fibers[i].wait != Wait::kDone) ++live;
      if (b.fibers[i].wait == Wait::kBarrier) ++at_barrier;
    }
    if (live == 0) return;
    if (at_barrier == live) {
      for (int i = 0; i < b.n; ++i)
        if (b.fibers[i].wait == Wait::kBarrier) b.fibers[i].wait = Wait::kReady;
      continue;
    }
    record_fault(b, "deadlock: " + describe_waits(b));
    break;
  }
  for (int i = 0; i < b.n; ++i)  // abandoned mid-kernel
    if (b.fibers[i].wait != Wait::kDone) b.fibers[i].dirty = true;
}

void run_block_plain(Block& b) {
  const dim3 bd = b.spec->block;
  for (unsigned z = 0; z < bd.z && b.fault.empty(); ++z)
    for (unsigned y = 0; y < bd.y && b.fault.empty(); ++y)
      for (unsigned x = 0; x < bd.x && b.fault.empty(); ++x) {
        b.plain_tid = uint3{x, y, z};
        try {
          b.body(b.ctx);
        } catch (const FaultUnwind&) {
        } catch (const std::exception& e) {
          record_fault(b, str("thread ", tid_str(b.plain_tid), " threw: ", e.what()));
        } catch (...) {
          record_fault(b, str("thread ", tid_str(b.plain_tid), " threw an exception"));
        }
      }
}

Block& this_block(const char* what) {
  if (tl_block == nullptr) throw Error(str("CUDA emulation: ", what, " used outside a kernel"));
  return *tl_block;
}

Fiber& this_fiber(const char* op) {
  Block& b = this_block(op);
  if (b.current == nullptr)
    device_fault(str("kernel ", b.spec->name, " was launched barrier-free but calls ", op,
                     " (launch it with barrier_free = false)"));
  return *b.current;
}

}  // namespace

// ------------------------------------------------------------ built-ins
const uint3& thread_idx() {
  Block& b = this_block("threadIdx");
  return b.current ? b.current->tid : b.plain_tid;
}
const uint3& block_idx() { return this_block("blockIdx").bidx; }
const dim3& block_dim() { return this_block("blockDim").spec->block; }
const dim3& grid_dim() { return this_block("gridDim").spec->grid; }

int lane_id() {
  Block& b = this_block("a warp operation");
  return (b.current ? b.current->linear : 0) & 31;
}

void device_fault(const std::string& what) {
  Block& b = this_block("device_fault");
  const uint3 t = b.current ? b.current->tid : b.plain_tid;
  record_fault(b, str("thread ", tid_str(t), ": ", what));
  throw FaultUnwind{};
}

void syncthreads() {
  Fiber& f = this_fiber("__syncthreads");
  Block& b = *tl_block;
  f.wait = Wait::kBarrier;
  yield_to_scheduler(b, f, false);
}

uint64_t warp_exchange(unsigned mask, uint64_t bits, int src, const char* op) {
  Fiber& f = this_fiber(op);
  Block& b = *tl_block;
  f.wait = Wait::kWarp;
  f.mask = mask;
  f.bits = bits;
  f.src = src;
  f.op = op;
  yield_to_scheduler(b, f, false);
  return f.result;
}

void syncwarp(unsigned mask) { warp_exchange(mask, 0, -1, "__syncwarp"); }

void check_width(int width, const char* op) {
  if (width < 1 || width > 32 || (width & (width - 1)) != 0)
    device_fault(str(op, ": width ", width, " is not a power of two in [1, 32]"));
}

// ------------------------------------------------------------ launch
const std::string& fault_message() { return tl_fault_message; }
void set_fault_message(const std::string& what) { tl_fault_message = what; }
void set_schedule(uint64_t seed) { g_schedule.store(seed); }
uint64_t schedule() { return g_schedule.load(); }

cudaError_t launch(const LaunchSpec& spec, BodyFn body, const void* ctx) {
  tl_fault_message.clear();
  const uint64_t threads = uint64_t(spec.block.x) * spec.block.y * spec.block.z;
  const uint64_t blocks = uint64_t(spec.grid.x) * spec.grid.y * spec.grid.z;
  std::string bad;
  if (threads == 0 || blocks == 0)
    bad = "an empty grid or block";
  else if (threads > 1024 || spec.block.x > 1024 || spec.block.y > 1024 || spec.block.z > 64)
    bad = str(threads, " threads per block; the limit is 1024");
  else if (spec.grid.x > 2147483647u || spec.grid.y > 65535 || spec.grid.z > 65535)
    bad = "gridDim.y and gridDim.z are at most 65535, gridDim.x at most 2^31-1";
  else if (spec.shared_bytes > 48 * 1024)
    bad = str(spec.shared_bytes, " bytes of dynamic shared memory; the limit is 49152");
  else if (spec.param_bytes > 32764)
    bad = str(spec.param_bytes, " bytes of parameters; the limit is 32764");
  if (!bad.empty()) {
    tl_fault_message = str("kernel ", spec.name, ": ", bad);
    set_last_error(cudaErrorInvalidConfiguration);
    return cudaErrorInvalidConfiguration;
  }
  if (tl_block != nullptr) throw Error("CUDA emulation: a kernel launched from inside a kernel");

  const uint64_t seed = schedule();
  std::mutex fault_mu;
  std::string first_fault;
  std::atomic<bool> failed{false};
  const int64_t nb = static_cast<int64_t>(blocks);
  auto run = [&](int64_t k) {
    if (failed.load(std::memory_order_relaxed)) return;
    static thread_local StackPool pool;
    Block b;
    b.spec = &spec;
    b.body = body;
    b.ctx = ctx;
    b.n = static_cast<int>(threads);
    const uint64_t u = static_cast<uint64_t>(k);
    b.bidx = uint3{static_cast<unsigned>(u % spec.grid.x),
                   static_cast<unsigned>(u / spec.grid.x % spec.grid.y),
                   static_cast<unsigned>(u / (uint64_t(spec.grid.x) * spec.grid.y))};
    tl_block = &b;
    try {
      if (spec.barrier_free)
        run_block_plain(b);
      else
        run_block_fibers(b, pool, seed, u);
    } catch (const std::exception& e) {
      record_fault(b, e.what());
    } catch (...) {
      record_fault(b, "the emulation failed with an unknown exception");
    }
    if (!b.fault.empty() && b.fibers != nullptr)  // fibers left mid-kernel
      for (int i = 0; i < b.n; ++i)
        if (b.fibers[i].wait != Wait::kDone) b.fibers[i].dirty = true;
    tl_block = nullptr;
    if (!b.fault.empty()) {
      std::lock_guard<std::mutex> l(fault_mu);
      if (first_fault.empty())
        first_fault = str("kernel ", spec.name, ", block ", tid_str(b.bidx), ": ", b.fault);
      failed.store(true);
    }
  };
  if (nb == 1) {
    run(0);
  } else {
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t k = 0; k < nb; ++k) run(k);
  }
  if (!first_fault.empty()) {
    tl_fault_message = first_fault;
    set_last_error(cudaErrorLaunchFailure);
    return cudaErrorLaunchFailure;
  }
  return cudaSuccess;
}

}  // namespace emu
}  // namespace cuda
}  // namespace gantry
