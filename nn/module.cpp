// nn/module.cpp — Module: registration, recursive named views (dotted names in
// registration order), train/eval, freezing, device moves, and state_dict
// save/load with strict checking. See nn/module.h for the contract.
//
// Everything that writes values (load_state_dict, to) does so in place on the
// existing TensorImpl, so the handles an optimizer or an EMA holds stay valid.
#include "nn/module.h"

#include <cxxabi.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <set>
#include <typeinfo>

namespace gantry {
namespace nn {

namespace {

std::string join_name(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

// "gantry::nn::Conv2d" -> "Conv2d" (the demangled dynamic type, last component).
std::string class_name(const std::type_info& ti) {
  int status = 0;
  char* d = abi::__cxa_demangle(ti.name(), nullptr, nullptr, &status);
  std::string s = (status == 0 && d) ? d : ti.name();
  std::free(d);
  // Drop template arguments, then namespaces.
  const size_t lt = s.find('<');
  if (lt != std::string::npos) s = s.substr(0, lt);
  const size_t colon = s.rfind("::");
  if (colon != std::string::npos) s = s.substr(colon + 2);
  return s;
}

// Indents every line after the first by two spaces (children inside a parent).
std::string indent_tail(const std::string& s) {
  std::string out;
  for (char c : s) {
    out += c;
    if (c == '\n') out += "  ";
  }
  return out;
}

}  // namespace

namespace detail {

std::string py_float(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  // Shortest %g precision that round-trips (what Python's repr does).
  char buf[64];
  int prec = 1;
  for (; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  std::string s = buf;
  const size_t e = s.find('e');
  if (e != std::string::npos) {
    // Python uses positional notation for decimal exponents in [-4, 16).
    const int exp10 = std::atoi(s.c_str() + e + 1);
    if (exp10 >= -4 && exp10 < 16) {
      const int decimals = std::max(0, prec - 1 - exp10);
      std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
      s = buf;
    } else {
      return s;  // "1e-05", "1e+16": already Python's spelling
    }
  }
  if (s.find('.') == std::string::npos) s += ".0";
  return s;
}

}  // namespace detail

// ------------------------------------------------------------- registration
Tensor Module::forward(const Tensor&) {
  GANTRY_CHECK(false, repr(), ": forward(Tensor) is not implemented by this module");
  return Tensor();
}

void Module::check_new_name(const std::string& name, const char* what) const {
  GANTRY_CHECK(!name.empty(), "register_", what, ": empty name");
  GANTRY_CHECK(name.find('.') == std::string::npos, "register_", what, ": name '", name,
               "' must not contain '.'");
  for (const auto& p : params_)
    GANTRY_CHECK(p.first != name, "register_", what, ": '", name, "' is already a parameter");
  for (const auto& b : buffers_)
    GANTRY_CHECK(b.first != name, "register_", what, ": '", name, "' is already a buffer");
  for (const auto& c : children_)
    GANTRY_CHECK(c.first != name, "register_", what, ": '", name, "' is already a submodule");
}

Tensor& Module::register_parameter(const std::string& name, Tensor t, bool requires_grad) {
  check_new_name(name, "parameter");
  GANTRY_CHECK(t.defined(), "register_parameter: '", name, "' is undefined");
  GANTRY_CHECK(is_floating(t.dtype()), "register_parameter: '", name, "' has dtype ",
               dtype_name(t.dtype()), "; parameters must be floating point");
  if (!t.is_leaf()) t = core::detach(t);
  t.requires_grad_(requires_grad);
  params_.emplace_back(name, t);
  return params_.back().second;
}

Tensor Module::take_parameter(const std::string& name) {
  for (auto it = params_.begin(); it != params_.end(); ++it)
    if (it->first == name) {
      Tensor t = it->second;
      params_.erase(it);
      return t;
    }
  throw Error("take_parameter: no parameter '" + name + "' in " + repr());
}

Tensor& Module::register_buffer(const std::string& name, Tensor t) {
  check_new_name(name, "buffer");
  GANTRY_CHECK(t.defined(), "register_buffer: '", name, "' is undefined");
  if (!t.is_leaf() || t.requires_grad()) t = core::detach(t);
  buffers_.emplace_back(name, t);
  return buffers_.back().second;
}

void Module::register_module_impl(const std::string& name, std::shared_ptr<Module> m) {
  check_new_name(name, "module");
  GANTRY_CHECK(m != nullptr, "register_module: '", name, "' is null");
  GANTRY_CHECK(m.get() != this, "register_module: '", name, "' is the module itself");
  children_.emplace_back(name, std::move(m));
}

// ---------------------------------------------------------- recursive views
NamedTensors Module::named_parameters() const {
  NamedTensors out;
  std::set<const TensorImpl*> seen;
  std::function<void(const Module&, const std::string&)> walk = [&](const Module& m,
                                                                     const std::string& prefix) {
    for (const auto& p : m.params_)
      if (seen.insert(p.second.impl()).second) out.emplace_back(join_name(prefix, p.first), p.second);
    for (const auto& c : m.children_) walk(*c.second, join_name(prefix, c.first));
  };
  walk(*this, "");
  return out;
}

NamedTensors Module::named_buffers() const {
  NamedTensors out;
  std::set<const TensorImpl*> seen;
  std::function<void(const Module&, const std::string&)> walk = [&](const Module& m,
                                                                     const std::string& prefix) {
    for (const auto& b : m.buffers_)
      if (seen.insert(b.second.impl()).second) out.emplace_back(join_name(prefix, b.first), b.second);
    for (const auto& c : m.children_) walk(*c.second, join_name(prefix, c.first));
  };
  walk(*this, "");
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& p : named_parameters()) out.push_back(p.second);
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_children() const {
  return children_;
}

// ------------------------------------------------------------------ modes
void Module::train(bool on) {
  training_ = on;
  for (auto& c : children_) c.second->train(on);
}

void Module::zero_grad() {
  for (auto& p : named_parameters()) p.second.set_grad(Tensor());
}

void Module::requires_grad_(bool on) {
  for (auto& p : named_parameters()) p.second.requires_grad_(on);
}

void Module::to(Device d) {
  // Live handles (not views): the swap below must reach every holder.
  NamedTensors all = named_parameters();
  for (auto& b : named_buffers()) all.push_back(b);
  struct Move {
    Tensor target, moved, grad;
  };
  std::vector<Move> moves;
  // Copy everything first; swap only when every copy succeeded.
  for (const auto& e : all) {
    const Tensor& t = e.second;
    Tensor g = t.grad();
    if (t.device() == d && (!g.defined() || g.device() == d)) continue;
    Move mv{t, t, g};
    try {
      if (t.device() != d) mv.moved = core::to_device(core::contiguous(t), d);
      if (g.defined() && g.device() != d) mv.grad = core::to_device(core::contiguous(g), d);
    } catch (const Error& err) {
      GANTRY_CHECK(false, "Module::to(", d.str(), "): cannot move '", e.first, "' (",
                   tensor_desc(t), "): ", err.what());
    }
    moves.push_back(mv);
  }
  for (auto& mv : moves) {
    if (!mv.moved.is_same(mv.target)) {
      TensorImpl* dst = mv.target.impl();
      const TensorImpl* src = mv.moved.impl();
      dst->storage->bump_version();  // views and saved copies of the old memory see a write
      dst->storage = src->storage;
      dst->strides = src->strides;
      dst->offset = src->offset;
    }
    if (mv.grad.defined()) mv.target.set_grad(mv.grad);
  }
}

void Module::to(DType t) {
  GANTRY_CHECK(is_floating(t), "Module::to: ", dtype_name(t), " is not a floating-point dtype");
  NamedTensors all = named_parameters();
  for (auto& b : named_buffers()) all.push_back(b);
  NoGradGuard ng;
  std::vector<std::pair<Tensor, Tensor>> conv;  // (live handle, converted copy)
  for (const auto& e : all)
    if (is_floating(e.second.dtype()) && e.second.dtype() != t)
      conv.push_back({e.second, core::contiguous(e.second.to(t))});
  for (auto& c : conv) {
    TensorImpl* dst = c.first.impl();
    const TensorImpl* src = c.second.impl();
    dst->storage->bump_version();  // views and saved copies of the old memory see a write
    dst->storage = src->storage;
    dst->strides = src->strides;
    dst->offset = src->offset;
    dst->dtype = src->dtype;
    c.first.set_grad(Tensor());
  }
}

// ------------------------------------------------------------- state dicts
void Module::collect_state(const std::string& prefix, NamedTensors* out) const {
  for (const auto& p : params_) out->emplace_back(join_name(prefix, p.first), p.second);
  for (const auto& b : buffers_) out->emplace_back(join_name(prefix, b.first), b.second);
  for (const auto& c : children_) c.second->collect_state(join_name(prefix, c.first), out);
}

NamedTensors Module::state_dict() const {
  NamedTensors live;
  collect_state("", &live);
  for (auto& e : live) e.second = core::detach(e.second);
  return live;
}

void Module::load_state_dict(const NamedTensors& sd, bool strict) {
  NamedTensors own;
  collect_state("", &own);
  std::map<std::string, Tensor> given;
  for (const auto& e : sd) {
    GANTRY_CHECK(given.emplace(e.first, e.second).second, "load_state_dict: '", e.first,
                 "' appears twice in the state dict");
  }
  std::vector<std::string> problems;
  std::vector<std::pair<Tensor, Tensor>> copies;  // (destination, source)
  std::set<std::string> own_names;
  for (const auto& e : own) {
    own_names.insert(e.first);
    auto it = given.find(e.first);
    if (it == given.end()) {
      problems.push_back("missing '" + e.first + "'");
    } else if (!it->second.defined()) {
      problems.push_back("'" + e.first + "' is undefined");
    } else if (it->second.shape() != e.second.shape()) {
      problems.push_back("'" + e.first + "' has shape " + shape_str(it->second.shape()) +
                         " but the module expects " + shape_str(e.second.shape()));
    } else {
      copies.emplace_back(e.second, it->second);
    }
  }
  for (const auto& e : sd)
    if (!own_names.count(e.first)) problems.push_back("unexpected '" + e.first + "'");
  if (strict && !problems.empty()) {
    std::string msg = "load_state_dict: ";
    for (size_t i = 0; i < problems.size(); ++i) msg += (i ? "; " : "") + problems[i];
    throw Error(msg);
  }
  NoGradGuard ng;
  for (auto& c : copies) {
    const Tensor& dst = c.first;
    Tensor src = c.second;
    if (src.device() != dst.device()) {
      // Device copies move raw bytes: convert dtype and layout on the cpu side.
      if (!src.device().is_cpu()) src = core::to_device(src, kCPU);
      src = core::contiguous(core::cast(src, dst.dtype()));
      if (!dst.device().is_cpu()) src = core::to_device(src, dst.device());
    }
    core::copy_(dst, src);
  }
}

// ------------------------------------------------------------------- repr
std::string Module::repr_with_children(const std::string& head) const {
  if (children_.empty()) return head;
  std::string s = head + "(\n";
  for (const auto& c : children_)
    s += "  (" + c.first + "): " + indent_tail(c.second->repr()) + "\n";
  return s + ")";
}

std::string Module::repr() const {
  std::string name = class_name(typeid(*this));
  return children_.empty() ? name + "()" : repr_with_children(name);
}

}  // namespace nn
}  // namespace gantry
