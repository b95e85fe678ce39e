// optim/optimizer.cpp — what every optimizer shares: parameter validation,
// zero_grad, the learning rate, and saving/restoring per-parameter state by
// name ("state.<i>.<field>", "step", "lr") with every entry checked before
// anything changes.
#include "optim/optimizer.h"

#include <algorithm>
#include <map>
#include <set>

namespace gantry {
namespace optim {

namespace {

// Copies src into dst in place, converting dtype and crossing devices.
void assign(const Tensor& dst, Tensor src) {
  if (src.device() != dst.device()) {
    if (!src.device().is_cpu()) src = core::to_device(src, kCPU);
    src = core::contiguous(core::cast(src, dst.dtype()));
    if (!dst.device().is_cpu()) src = core::to_device(src, dst.device());
  }
  core::copy_(dst, src);
}

// "state.12.exp_avg" -> (12, "exp_avg"); false when the name has another form.
bool parse_state_name(const std::string& s, size_t* index, std::string* field) {
  const std::string pre = "state.";
  if (s.compare(0, pre.size(), pre) != 0) return false;
  const size_t dot = s.find('.', pre.size());
  if (dot == std::string::npos || dot == pre.size() || dot + 1 >= s.size()) return false;
  const std::string num = s.substr(pre.size(), dot - pre.size());
  if (num.size() > 9 || num.find_first_not_of("0123456789") != std::string::npos) return false;
  *index = static_cast<size_t>(std::stoul(num));
  *field = s.substr(dot + 1);
  return true;
}

}  // namespace

Optimizer::Optimizer(std::vector<Tensor> params, double lr) : params_(std::move(params)), lr_(lr) {
  GANTRY_CHECK(lr >= 0, "Optimizer: learning rate ", lr, " must be >= 0");
  std::set<const TensorImpl*> seen;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    GANTRY_CHECK(p.defined(), "Optimizer: parameter ", i, " is undefined");
    GANTRY_CHECK(is_floating(p.dtype()), "Optimizer: parameter ", i, " (", tensor_desc(p),
                 ") is not floating point");
    GANTRY_CHECK(p.is_leaf(), "Optimizer: parameter ", i, " (", tensor_desc(p),
                 ") is the output of an op, not a leaf");
    GANTRY_CHECK(seen.insert(p.impl()).second, "Optimizer: parameter ", i,
                 " appears more than once");
  }
  state_.resize(params_.size());
}

Optimizer::~Optimizer() = default;

void Optimizer::zero_grad() {
  for (auto& p : params_) p.set_grad(Tensor());
}

void Optimizer::set_lr(double lr) {
  GANTRY_CHECK(lr >= 0, name(), ": learning rate ", lr, " must be >= 0");
  lr_ = lr;
}

Tensor Optimizer::new_field(size_t i, const std::string&) const {
  const Tensor& p = params_[i];
  return zeros(p.shape(), Options(p.dtype()).device(p.device()));
}

Tensor& Optimizer::state(size_t i, const std::string& field) {
  for (auto& f : state_[i])
    if (f.first == field) return f.second;
  GANTRY_CHECK(false, name(), ": parameter ", i, " has no state '", field, "'");
  return state_[i][0].second;  // unreachable
}

void Optimizer::init_state(size_t i) {
  state_[i].clear();
  for (const auto& f : state_fields()) state_[i].emplace_back(f, new_field(i, f));
}

Tensor Optimizer::grad_of(size_t i) const {
  const Tensor& p = params_[i];
  Tensor g = p.grad();
  if (!g.defined()) return g;
  GANTRY_CHECK(g.shape() == p.shape() && g.dtype() == p.dtype() && g.device() == p.device(),
               name(), ": the gradient of parameter ", i, " (", tensor_desc(g),
               ") does not match the parameter (", tensor_desc(p), ")");
  return g;
}

void Optimizer::reset_state() {
  for (auto& s : state_) s.clear();
}

nn::NamedTensors Optimizer::state_dict() const {
  nn::NamedTensors sd;
  sd.emplace_back("lr", scalar_tensor(lr_, kFloat64));
  sd.emplace_back("step", scalar_tensor(static_cast<double>(steps_), kInt64));
  for (size_t i = 0; i < state_.size(); ++i)
    for (const auto& f : state_[i])
      sd.emplace_back("state." + std::to_string(i) + "." + f.first, core::clone(f.second));
  return sd;
}

void Optimizer::load_state_dict(const nn::NamedTensors& sd) {
  const std::string where = std::string(name()) + "::load_state_dict: ";
  const std::vector<std::string> fields = state_fields();
  Tensor lr, step;
  // per parameter: field -> source tensor
  std::map<size_t, std::map<std::string, Tensor>> found;
  std::set<std::string> names;
  for (const auto& e : sd) {
    const std::string& n = e.first;
    GANTRY_CHECK(names.insert(n).second, where, "'", n, "' appears twice");
    GANTRY_CHECK(e.second.defined(), where, "'", n, "' is undefined");
    if (n == "lr" || n == "step") {
      GANTRY_CHECK(e.second.numel() == 1, where, "'", n, "' must hold one value, got shape ",
                   shape_str(e.second.shape()));
      (n == "lr" ? lr : step) = e.second;
      continue;
    }
    size_t i = 0;
    std::string field;
    GANTRY_CHECK(parse_state_name(n, &i, &field), where, "unexpected '", n, "'");
    GANTRY_CHECK(i < params_.size(), where, "unexpected '", n, "' (the optimizer has ",
                 params_.size(), " parameters)");
    GANTRY_CHECK(std::find(fields.begin(), fields.end(), field) != fields.end(), where,
                 "unexpected '", n, "' (", name(), " has no state field '", field, "')");
    const Shape want = new_field(i, field).shape();
    GANTRY_CHECK(e.second.shape() == want, where, "'", n, "' has shape ",
                 shape_str(e.second.shape()), " but parameter ", i, " needs ", shape_str(want));
    found[i][field] = e.second;
  }
  GANTRY_CHECK(lr.defined(), where, "missing 'lr'");
  GANTRY_CHECK(step.defined(), where, "missing 'step'");
  const double lr_v = lr.item<double>();
  const double step_v = step.item<double>();
  GANTRY_CHECK(lr_v >= 0, where, "'lr' is ", lr_v, ", must be >= 0");
  GANTRY_CHECK(step_v >= 0, where, "'step' is ", step_v, ", must be >= 0");
  for (const auto& kv : found)
    for (const auto& f : fields)
      GANTRY_CHECK(kv.second.count(f), where, "missing 'state.", kv.first, ".", f,
                   "' (other state of parameter ", kv.first, " is present)");

  // Everything checked: apply.
  lr_ = lr_v;
  steps_ = static_cast<int64_t>(step_v);
  for (size_t i = 0; i < state_.size(); ++i) {
    state_[i].clear();
    auto it = found.find(i);
    if (it == found.end()) continue;
    init_state(i);
    for (auto& f : state_[i]) assign(f.second, it->second.at(f.first));
  }
}

}  // namespace optim
}  // namespace gantry
