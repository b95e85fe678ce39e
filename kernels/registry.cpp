// kernels/registry.cpp — the op table (see registry.h).
#include "kernels/registry.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <shared_mutex>

namespace gantry {
namespace kernels {

Registry& Registry::instance() {
  // Built on first use (kernel files register from static initializers, in
  // any order), never destroyed (kernels may run from other static destructors).
  static Registry* r = new Registry();
  return *r;
}

void Registry::add(OpId op, DeviceType dev, DType dtype, const std::string& algo, KernelFn fn,
                   Applicable applicable) {
  auto& v = table_[op_index(op)][static_cast<int>(dev)][static_cast<int>(dtype)];
  for (const auto& a : v)
    GANTRY_CHECK(a.name != algo, "Registry: ", op_name(op), "/", Device(dev).str(), "/",
                 dtype_name(dtype), " algorithm '", algo, "' registered twice");
  v.push_back(Algorithm{algo, fn, applicable});
}

const Algorithm& Registry::select(OpId op, DeviceType dev, DType dtype, const Tensors& in,
                                  const OpAttrs& attrs) const {
  const Slot& algos = slot(op, dev, dtype);
  GANTRY_CHECK(!algos.empty(), op_name(op), ": no kernel for device ", Device(dev).str(),
               " and dtype ", dtype_name(dtype));
  if (num_forced_.load(std::memory_order_acquire) > 0) {
    std::shared_lock<std::shared_mutex> lock(forced_mu_);  // force_algorithm may run meanwhile
    const std::string& f = forced_[op_index(op)];
    if (!f.empty()) {
      for (const auto& a : algos)
        if (a.name == f) return a;
      throw Error(str(op_name(op), ": forced algorithm '", f, "' is not registered for ",
                      Device(dev).str(), "/", dtype_name(dtype)));
    }
  }
  for (const auto& a : algos)
    if (!a.applicable || a.applicable(in, attrs)) return a;
  throw Error(str(op_name(op), ": no registered algorithm accepts this call on ",
                  Device(dev).str(), "/", dtype_name(dtype)));
}

bool Registry::has(OpId op, DeviceType dev, DType dtype) const {
  return !slot(op, dev, dtype).empty();
}

std::vector<Algorithm> Registry::algorithms(OpId op, DeviceType dev, DType dtype) const {
  return slot(op, dev, dtype);
}

void Registry::force_algorithm(OpId op, const std::string& algo) {
  std::unique_lock<std::shared_mutex> lock(forced_mu_);
  std::string& f = forced_[op_index(op)];
  if (f.empty() && !algo.empty()) ++num_forced_;
  if (!f.empty() && algo.empty()) --num_forced_;
  f = algo;
}

void Registry::force_algorithm(const std::string& op, const std::string& algo) {
  force_algorithm(op_id(op), algo);
}

std::vector<OpId> Registry::ops() const {
  std::vector<OpId> r;
  for (int i = 0; i < kNumOps; ++i) {
    bool any = false;
    for (const auto& dev : table_[i])
      for (const auto& s : dev) any = any || !s.empty();
    if (any) r.push_back(static_cast<OpId>(i));
  }
  return r;
}

std::vector<Key> Registry::keys() const {
  std::vector<Key> r;
  for (int i = 0; i < kNumOps; ++i)
    for (int d = 0; d < kNumDeviceTypes; ++d)
      for (int t = 0; t < kNumDTypes; ++t)
        if (!table_[i][d][t].empty())
          r.push_back(Key{static_cast<OpId>(i), static_cast<DeviceType>(d), static_cast<DType>(t)});
  return r;
}

std::vector<DType> Registry::dtypes(OpId op, DeviceType dev) const {
  std::vector<DType> r;
  for (int t = 0; t < kNumDTypes; ++t)
    if (!table_[op_index(op)][static_cast<int>(dev)][t].empty()) r.push_back(static_cast<DType>(t));
  return r;
}

namespace {
thread_local DispatchTrace* g_trace = nullptr;
}  // namespace

DispatchTrace::DispatchTrace() : prev_(g_trace) { g_trace = this; }
DispatchTrace::~DispatchTrace() { g_trace = prev_; }
void DispatchTrace::add(OpId id) {
  const char* op = op_name(id);
  for (const auto& o : ops_)
    if (o == op) return;
  ops_.push_back(op);
}

namespace {
std::atomic<bool> g_profiling{false};
std::mutex g_profile_mu;
std::map<std::pair<std::string, std::string>, ProfileRow>& profile_table() {
  static auto* t = new std::map<std::pair<std::string, std::string>, ProfileRow>();
  return *t;
}
}  // namespace

void Profiler::enable(bool on) { g_profiling.store(on, std::memory_order_relaxed); }
bool Profiler::enabled() { return g_profiling.load(std::memory_order_relaxed); }
void Profiler::reset() {
  std::lock_guard<std::mutex> lock(g_profile_mu);
  profile_table().clear();
}
std::vector<ProfileRow> Profiler::rows() {
  std::vector<ProfileRow> r;
  {
    std::lock_guard<std::mutex> lock(g_profile_mu);
    for (const auto& kv : profile_table()) r.push_back(kv.second);
  }
  std::sort(r.begin(), r.end(),
            [](const ProfileRow& a, const ProfileRow& b) { return a.total_ms > b.total_ms; });
  return r;
}
std::string Profiler::report() {
  auto r = rows();
  double total = 0;
  for (const auto& x : r) total += x.total_ms;
  std::string s;
  char line[256];
  std::snprintf(line, sizeof line, "%-24s %-16s %8s %11s %9s %6s\n", "op", "algorithm", "calls",
                "total_ms", "ms/call", "%");
  s += line;
  for (const auto& x : r) {
    std::snprintf(line, sizeof line, "%-24s %-16s %8lld %11.2f %9.4f %6.1f\n", x.op.c_str(),
                  x.algorithm.c_str(), static_cast<long long>(x.calls), x.total_ms,
                  x.total_ms / std::max<int64_t>(1, x.calls), total > 0 ? 100 * x.total_ms / total : 0);
    s += line;
  }
  std::snprintf(line, sizeof line, "%-24s %-16s %8s %11.2f\n", "total (kernels)", "", "", total);
  s += line;
  return s;
}

void run(OpId op, const Tensors& in, const Tensors& out, const OpAttrs& attrs) {
  GANTRY_CHECK(!in.empty() && in[0].defined(), op_name(op), ": called with no input");
  const OpInfo& info = op_info(op);
  GANTRY_CHECK(attrs.kind() == info.attrs, op_name(op), ": takes ", attr_kind_name(info.attrs),
               ", called with ", attr_kind_name(attrs.kind()));
  if (g_trace) g_trace->add(op);
  const Tensor& x = in[0];
  // Kernels read raw pointers: every operand must live on in[0]'s device.
  for (const Tensors* group : {&in, &out})
    for (const auto& t : *group)
      if (t.defined() && t.device() != x.device()) {
        std::string all;
        for (const auto& u : in) all += (all.empty() ? "" : ", ") + tensor_desc(u);
        for (const auto& u : out) all += (all.empty() ? "" : ", ") + tensor_desc(u);
        throw Error(str(op_name(op), ": tensors on different devices (", x.device().str(),
                        " and ", t.device().str(), "): ", all));
      }
  const Algorithm& a = Registry::instance().select(op, x.device().type, x.dtype(), in, attrs);
  // Every output is written: bump its storage's version counter (for a kInPlace
  // op such as adam_step the outputs are the inputs it updates), so autograd
  // can tell when a tensor it saved for backward has changed.
  for (const auto& t : out)
    if (t.defined()) t.storage()->bump_version();
  if (!g_profiling.load(std::memory_order_relaxed)) {
    a.fn(in, out, attrs);
    return;
  }
  const auto t0 = std::chrono::steady_clock::now();
  a.fn(in, out, attrs);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::lock_guard<std::mutex> lock(g_profile_mu);
  ProfileRow& row = profile_table()[{op_name(op), a.name}];
  row.op = op_name(op);
  row.algorithm = a.name;
  row.calls += 1;
  row.total_ms += ms;
}

}  // namespace kernels
}  // namespace gantry
