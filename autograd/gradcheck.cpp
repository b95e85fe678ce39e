// autograd/gradcheck.cpp — finite-difference checks of first and second
// derivatives (see gradcheck.h).
#include "autograd/gradcheck.h"

#include <cmath>
#include <sstream>

#include "core/rng.h"

namespace gantry {
namespace autograd {

namespace {

// Element offset (in elements, from storage start) of flat index i of t.
int64_t offset_of(const Tensor& t, int64_t i) {
  int64_t off = t.offset();
  for (int64_t d = t.dim() - 1; d >= 0; --d) {
    off += (i % t.size(d)) * t.stride(d);
    i /= t.size(d);
  }
  return off;
}

// f's outputs, flattened. Grad mode stays on: for gradgradcheck, f itself
// runs a backward pass that needs the graph.
std::vector<double> flat_outputs(const Fn& f, const Tensors& inputs) {
  std::vector<double> r;
  for (const Tensor& o : f(inputs)) {
    if (!o.defined()) continue;
    auto v = o.to_vector<double>();
    r.insert(r.end(), v.begin(), v.end());
  }
  return r;
}

}  // namespace

GradcheckResult gradcheck(const Fn& f, const Tensors& inputs, GradcheckOptions opt) {
  for (size_t i = 0; i < inputs.size(); ++i)
    GANTRY_CHECK(!inputs[i].requires_grad() || inputs[i].dtype() == kFloat64,
                 "gradcheck: input ", i, " is ", tensor_desc(inputs[i]),
                 "; checked inputs must be float64");
  // Analytical Jacobian rows: one backward per output element.
  Tensors outs = f(inputs);
  std::vector<size_t> checked;
  Tensors wrt;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].requires_grad()) checked.push_back(i), wrt.push_back(inputs[i]);
  GradcheckResult res;
  if (wrt.empty()) return res;

  std::vector<std::pair<size_t, int64_t>> out_index;  // (output, element)
  for (size_t k = 0; k < outs.size(); ++k)
    if (outs[k].defined())
      for (int64_t e = 0; e < outs[k].numel(); ++e) out_index.push_back({k, e});

  // analytic[r][input][element]
  std::vector<std::vector<std::vector<double>>> analytic(out_index.size());
  for (size_t r = 0; r < out_index.size(); ++r) {
    Tensors used, seeds;
    for (size_t k = 0; k < outs.size(); ++k) {
      if (!outs[k].defined() || !outs[k].requires_grad()) continue;
      Tensor s = zeros_like(outs[k]);
      if (k == out_index[r].first) static_cast<double*>(s.raw_data())[out_index[r].second] = 1.0;
      used.push_back(outs[k]);
      seeds.push_back(s);
    }
    analytic[r].resize(wrt.size());
    Tensors g;
    if (!used.empty()) g = grad(used, wrt, seeds, false, true, true);
    for (size_t j = 0; j < wrt.size(); ++j) {
      if (j < g.size() && g[j].defined()) analytic[r][j] = g[j].to_vector<double>();
      else analytic[r][j].assign(wrt[j].numel(), 0.0);
    }
  }

  // Numerical Jacobian, column by column, perturbing the inputs in place.
  for (size_t j = 0; j < wrt.size(); ++j) {
    const Tensor& x = wrt[j];
    double* base = static_cast<double*>(x.storage()->data());
    for (int64_t e = 0; e < x.numel(); ++e) {
      double* p = base + offset_of(x, e);
      const double orig = *p;
      *p = orig + opt.eps;
      auto plus = flat_outputs(f, inputs);
      *p = orig - opt.eps;
      auto minus = flat_outputs(f, inputs);
      *p = orig;
      for (size_t r = 0; r < out_index.size() && r < plus.size(); ++r) {
        double num = (plus[r] - minus[r]) / (2 * opt.eps);
        double ana = analytic[r][j][e];
        if (!(std::abs(num - ana) <= opt.atol + opt.rtol * std::abs(num))) {
          std::ostringstream os;
          os << "gradcheck: mismatch for input " << checked[j] << " (shape "
             << shape_str(x.shape()) << ") element " << e << ", output "
             << out_index[r].first << " element " << out_index[r].second
             << ": numerical " << num << " vs analytical " << ana;
          res.ok = false;
          res.message = os.str();
          return res;
        }
      }
    }
  }
  return res;
}

GradcheckResult gradgradcheck(const Fn& f, const Tensors& inputs, GradcheckOptions opt,
                              uint64_t seed) {
  // Random grad_outputs v (float64, requiring grad) for each output of f.
  Tensors outs = f(inputs);
  RandomState gen(seed);
  Tensors vs;
  for (const auto& o : outs) {
    Tensor v = randn(o.shape(), kFloat64, &gen);
    v.requires_grad_(true);
    vs.push_back(v);
  }
  std::vector<size_t> checked;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].requires_grad()) checked.push_back(i);
  const size_t n_in = inputs.size();
  Fn g = [&](const Tensors& all) {
    Tensors xs(all.begin(), all.begin() + n_in);
    Tensors v(all.begin() + n_in, all.end());
    Tensors o = f(xs), used, seeds, wrt;
    for (size_t k = 0; k < o.size(); ++k)
      if (o[k].defined() && o[k].requires_grad()) used.push_back(o[k]), seeds.push_back(v[k]);
    for (size_t i : checked) wrt.push_back(xs[i]);
    Tensors gr = grad(used, wrt, seeds, /*create_graph=*/true, true, true);
    Tensors r;
    for (size_t j = 0; j < gr.size(); ++j)
      r.push_back(gr[j].defined() ? gr[j] : zeros_like(wrt[j]));
    return r;
  };
  Tensors all = inputs;
  all.insert(all.end(), vs.begin(), vs.end());
  return gradcheck(g, all, opt);
}

}  // namespace autograd
}  // namespace gantry
