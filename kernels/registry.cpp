// kernels/registry.cpp — the op table (see registry.h).
#include "kernels/registry.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>

namespace gantry {
namespace kernels {

namespace {
std::pair<int, int> slot(DeviceType d, DType t) {
  return {static_cast<int>(d), static_cast<int>(t)};
}
}  // namespace

Registry& Registry::instance() {
  static Registry* r = [] {
    auto* reg = new Registry();
    register_cpu_kernels(*reg);
#ifdef GANTRY_WITH_CUDA
    register_cuda_kernels(*reg);
#endif
    return reg;
  }();
  return *r;
}

void Registry::add(const std::string& op, DeviceType dev, DType dtype, const std::string& algo,
                   KernelFn fn, Applicable applicable) {
  auto& v = table_[op][slot(dev, dtype)];
  for (const auto& a : v)
    GANTRY_CHECK(a.name != algo, "Registry: ", op, "/", Device(dev).str(), "/",
                 dtype_name(dtype), " algorithm '", algo, "' registered twice");
  v.push_back(Algorithm{algo, fn, applicable});
}

const Algorithm& Registry::select(const std::string& op, DeviceType dev, DType dtype,
                                  const Tensors& in, const Attrs& attrs) const {
  auto it = table_.find(op);
  GANTRY_CHECK(it != table_.end(), op, ": no such op in the kernel registry");
  auto jt = it->second.find(slot(dev, dtype));
  GANTRY_CHECK(jt != it->second.end() && !jt->second.empty(), op, ": no kernel for device ",
               Device(dev).str(), " and dtype ", dtype_name(dtype));
  const auto& algos = jt->second;
  auto f = forced_.find(op);
  if (f != forced_.end()) {
    for (const auto& a : algos)
      if (a.name == f->second) return a;
    throw Error(str(op, ": forced algorithm '", f->second, "' is not registered for ",
                    Device(dev).str(), "/", dtype_name(dtype)));
  }
  for (const auto& a : algos)
    if (!a.applicable || a.applicable(in, attrs)) return a;
  throw Error(str(op, ": no registered algorithm accepts this call on ", Device(dev).str(), "/",
                  dtype_name(dtype)));
}

bool Registry::has(const std::string& op, DeviceType dev, DType dtype) const {
  auto it = table_.find(op);
  return it != table_.end() && it->second.count(slot(dev, dtype));
}

std::vector<Algorithm> Registry::algorithms(const std::string& op, DeviceType dev,
                                            DType dtype) const {
  if (!has(op, dev, dtype)) return {};
  return table_.at(op).at(slot(dev, dtype));
}

void Registry::force_algorithm(const std::string& op, const std::string& algo) {
  if (algo.empty()) forced_.erase(op);
  else forced_[op] = algo;
}

std::vector<std::string> Registry::ops() const {
  std::vector<std::string> r;
  for (const auto& kv : table_) r.push_back(kv.first);
  return r;
}

std::vector<Key> Registry::keys() const {
  std::vector<Key> r;
  for (const auto& kv : table_)
    for (const auto& s : kv.second)
      r.push_back(Key{kv.first, static_cast<DeviceType>(s.first.first),
                      static_cast<DType>(s.first.second)});
  return r;
}

std::vector<DType> Registry::dtypes(const std::string& op, DeviceType dev) const {
  std::vector<DType> r;
  auto it = table_.find(op);
  if (it == table_.end()) return r;
  for (const auto& s : it->second)
    if (s.first.first == static_cast<int>(dev)) r.push_back(static_cast<DType>(s.first.second));
  return r;
}

namespace {
thread_local DispatchTrace* g_trace = nullptr;
}  // namespace

DispatchTrace::DispatchTrace() : prev_(g_trace) { g_trace = this; }
DispatchTrace::~DispatchTrace() { g_trace = prev_; }
void DispatchTrace::add(const std::string& op) {
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

void run(const std::string& op, const Tensors& in, const Tensors& out, const Attrs& attrs) {
  GANTRY_CHECK(!in.empty() && in[0].defined(), op, ": called with no input");
  if (g_trace) g_trace->add(op);
  const Tensor& x = in[0];
  // Kernels read raw pointers: every operand must live on in[0]'s device.
  for (const Tensors* group : {&in, &out})
    for (const auto& t : *group)
      if (t.defined() && t.device() != x.device()) {
        std::string all;
        for (const auto& u : in) all += (all.empty() ? "" : ", ") + tensor_desc(u);
        for (const auto& u : out) all += (all.empty() ? "" : ", ") + tensor_desc(u);
        throw Error(str(op, ": tensors on different devices (", x.device().str(), " and ",
                        t.device().str(), "): ", all));
      }
  const Algorithm& a =
      Registry::instance().select(op, x.device().type, x.dtype(), in, attrs);
  if (!g_profiling.load(std::memory_order_relaxed)) {
    a.fn(in, out, attrs);
    return;
  }
  const auto t0 = std::chrono::steady_clock::now();
  a.fn(in, out, attrs);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::lock_guard<std::mutex> lock(g_profile_mu);
  ProfileRow& row = profile_table()[{op, a.name}];
  row.op = op;
  row.algorithm = a.name;
  row.calls += 1;
  row.total_ms += ms;
}

}  // namespace kernels
}  // namespace gantry
