// kernels/registry.cpp — the op table (see registry.h).
#include "kernels/registry.h"

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
  a.fn(in, out, attrs);
}

}  // namespace kernels
}  // namespace gantry
