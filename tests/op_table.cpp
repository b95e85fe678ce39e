// tests/op_table.cpp — the conformance table (see op_table.h).
#include "tests/op_table.h"

#include <cmath>
#include <random>

#include "autograd/engine.h"
#include "kernels/registry.h"

namespace tbl {

using namespace gantry;
using ref::Ref;
using R = std::vector<Ref>;

uint64_t case_seed(const std::string& name) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (char c : name) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return h;
}

Tensors make_inputs(const OpCase& c, uint64_t seed, bool integers) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Tensors out;
  for (const auto& in : c.inputs) {
    const int64_t n = ref::numel(in.shape);
    std::vector<double> v(n);
    for (int64_t i = 0; i < n; ++i) {
      double x = 0;
      switch (in.dist) {
        case Dist::Uniform: x = integers ? std::floor(u(rng) * 9) - 4 : u(rng) * 4 - 2; break;
        case Dist::Positive: x = integers ? std::floor(u(rng) * 4) + 1 : 0.5 + 2 * u(rng); break;
        case Dist::AwayZero: {
          double m = integers ? std::floor(u(rng) * 4) + 1 : 0.1 + 1.9 * u(rng);
          x = u(rng) < 0.5 ? -m : m;
          break;
        }
        case Dist::Distinct: x = static_cast<double>(i) - n / 2.0; break;
        case Dist::Coarse: x = std::floor(u(rng) * 3) - 1; break;
        case Dist::Mask: x = u(rng) < 0.5 ? 0 : 1; break;
        case Dist::Index: x = std::floor(u(rng) * static_cast<double>(in.high)); break;
        case Dist::Prob: x = 0.05 + 0.9 * u(rng); break;
      }
      v[i] = x;
    }
    if (in.dist == Dist::Distinct) {
      std::shuffle(v.begin(), v.end(), rng);
      for (auto& x : v) x *= integers ? 1.0 : 0.37;
    }
    // Never all zeros (a test that cannot fail); indices may legitimately be.
    bool all_zero = std::all_of(v.begin(), v.end(), [](double x) { return x == 0; });
    if (all_zero && n > 0 && in.dist != Dist::Index) v[0] = 1;
    if (in.dist == Dist::Mask) {
      std::vector<uint8_t> m(v.begin(), v.end());
      out.push_back(from_vector<uint8_t>(m, in.shape));
    } else if (in.dist == Dist::Index) {
      std::vector<int64_t> m(v.begin(), v.end());
      out.push_back(from_vector<int64_t>(m, in.shape));
    } else {
      out.push_back(from_vector<double>(v, in.shape));
    }
  }
  return out;
}

Ref to_ref(const Tensor& t) { return Ref{t.shape(), t.to_vector<double>()}; }

OpCase make_case(const std::string& name, const std::string& op, Family fam,
                 std::vector<InputSpec> ins, std::function<Tensor(const Tensors&)> run,
                 std::function<Ref(const std::vector<Ref>&)> reference) {
  OpCase c;
  c.name = name;
  c.op = op;
  c.family = fam;
  c.inputs = std::move(ins);
  c.run = std::move(run);
  c.reference = std::move(reference);
  return c;
}

namespace {

using F1 = std::function<double(double)>;
using F2 = std::function<double(double, double)>;

OpCase unary_case(const std::string& name, const std::string& op, Dist d,
                  std::function<Tensor(const Tensor&)> f, F1 r, double tol = 1) {
  OpCase c;
  c.name = name;
  c.op = op;
  c.family = Family::Unary;
  c.inputs = {{{3, 5}, d}};
  c.run = [f](const Tensors& x) { return f(x[0]); };
  c.reference = [r](const R& x) { return ref::map1(x[0], r); };
  c.tol = tol;
  return c;
}

OpCase binary_case(const std::string& name, const std::string& op, InputSpec a, InputSpec b,
                   std::function<Tensor(const Tensor&, const Tensor&)> f, F2 r,
                   bool grad = true) {
  OpCase c;
  c.name = name;
  c.op = op;
  c.family = Family::Binary;
  c.inputs = {a, b};
  c.run = [f](const Tensors& x) { return f(x[0], x[1]); };
  c.reference = [r](const R& x) { return ref::map2(x[0], x[1], r); };
  c.grad = c.gradgrad = grad;
  return c;
}

OpCase reduce_case(const std::string& name, const std::string& op, InputSpec a,
                   std::function<Tensor(const Tensor&)> f,
                   std::function<Ref(const Ref&)> r, bool grad = true) {
  OpCase c;
  c.name = name;
  c.op = op;
  c.family = Family::Reduce;
  c.inputs = {a};
  c.run = [f](const Tensors& x) { return f(x[0]); };
  c.reference = [r](const R& x) { return r(x[0]); };
  c.grad = c.gradgrad = grad;
  return c;
}

OpCase composite(const std::string& name, Family fam, std::vector<InputSpec> ins,
                 std::function<Tensor(const Tensors&)> f, std::function<Ref(const R&)> r,
                 const std::string& op = "") {
  return make_case(name, op, fam, std::move(ins), std::move(f), std::move(r));
}

// Reference for a pure permutation of elements: out[i] = in[index(i)].
Ref gather(const Ref& a, const Shape& out_shape, const std::function<int64_t(const Shape&)>& src) {
  Ref r{out_shape, std::vector<double>(ref::numel(out_shape))};
  for (int64_t i = 0; i < ref::numel(out_shape); ++i) {
    auto idx = ref::unravel(i, out_shape);
    r.v[i] = a.v[src(idx)];
  }
  return r;
}

int64_t flat(const Shape& idx, const Shape& s) {
  int64_t o = 0;
  for (size_t d = 0; d < s.size(); ++d) o = o * s[d] + idx[d];
  return o;
}

std::vector<OpCase> build() {
  std::vector<OpCase> v;
  const Dist U = Dist::Uniform, P = Dist::Positive, Z = Dist::AwayZero, D = Dist::Distinct,
             C = Dist::Coarse;

  // ------------------------------------------------------------ binary
  auto add_f = [](const Tensor& a, const Tensor& b) { return add(a, b); };
  auto add_r = [](double a, double b) { return a + b; };
  v.push_back(binary_case("add/same", "add", {{3, 4}}, {{3, 4}}, add_f, add_r));
  v.push_back(binary_case("add/broadcast", "add", {{4, 1, 3}}, {{5, 3}}, add_f, add_r));
  v.push_back(binary_case("add/scalar_tensor", "add", {{}}, {{2, 3}}, add_f, add_r));
  {
    // Large enough (> kParallelGrain) that the OpenMP split, its piece offsets
    // and the broadcast strides are all exercised against the reference.
    OpCase c = binary_case("mul/large_broadcast", "mul", {{64, 33, 20}}, {{33, 1}},
                           [](const Tensor& a, const Tensor& b) { return mul(a, b); },
                           [](double a, double b) { return a * b; }, false);
    v.push_back(c);
  }
  v.push_back(binary_case("sub/broadcast", "sub", {{2, 3, 4}}, {{3, 1}},
                          [](const Tensor& a, const Tensor& b) { return sub(a, b); },
                          [](double a, double b) { return a - b; }));
  v.push_back(binary_case("mul/same", "mul", {{3, 4}}, {{3, 4}},
                          [](const Tensor& a, const Tensor& b) { return a * b; },
                          [](double a, double b) { return a * b; }));
  v.push_back(binary_case("mul/broadcast", "mul", {{4, 1}}, {{1, 5}},
                          [](const Tensor& a, const Tensor& b) { return mul(a, b); },
                          [](double a, double b) { return a * b; }));
  v.push_back(binary_case("div/same", "div", {{3, 4}}, {{3, 4}, P},
                          [](const Tensor& a, const Tensor& b) { return a / b; },
                          [](double a, double b) { return a / b; }));
  v.push_back(binary_case("div/broadcast", "div", {{3}, P}, {{2, 3}, Z},
                          [](const Tensor& a, const Tensor& b) { return div(a, b); },
                          [](double a, double b) { return a / b; }));
  v.push_back(binary_case("pow/tensor", "pow", {{3, 4}, P}, {{3, 4}},
                          [](const Tensor& a, const Tensor& b) { return pow(a, b); },
                          [](double a, double b) { return std::pow(a, b); }));
  {
    OpCase c = unary_case("pow/scalar_exponent", "pow", U, [](const Tensor& x) { return pow(x, 3.0); },
                          [](double x) { return x * x * x; });
    c.family = Family::Binary;
    v.push_back(c);
  }
  v.push_back(binary_case("maximum/same", "maximum", {{3, 4}, D}, {{3, 4}, D},
                          [](const Tensor& a, const Tensor& b) { return maximum(a, b); },
                          [](double a, double b) { return std::max(a, b); }));
  v.push_back(binary_case("maximum/broadcast", "maximum", {{3, 4}, D}, {{3, 1}, Z},
                          [](const Tensor& a, const Tensor& b) { return maximum(a, b); },
                          [](double a, double b) { return std::max(a, b); }));
  v.push_back(binary_case("minimum/same", "minimum", {{3, 4}, D}, {{3, 4}, D},
                          [](const Tensor& a, const Tensor& b) { return minimum(a, b); },
                          [](double a, double b) { return std::min(a, b); }));
  v.push_back(binary_case("minimum/broadcast", "minimum", {{2, 3}, D}, {{3}, Z},
                          [](const Tensor& a, const Tensor& b) { return minimum(a, b); },
                          [](double a, double b) { return std::min(a, b); }));
  // Comparisons (uint8 results).
  struct Cmp {
    const char* op;
    Tensor (*f)(const Tensor&, const Tensor&);
    F2 r;
  };
  const Cmp cmps[] = {
      {"eq", eq, [](double a, double b) { return double(a == b); }},
      {"ne", ne, [](double a, double b) { return double(a != b); }},
      {"lt", lt, [](double a, double b) { return double(a < b); }},
      {"le", le, [](double a, double b) { return double(a <= b); }},
      {"gt", gt, [](double a, double b) { return double(a > b); }},
      {"ge", ge, [](double a, double b) { return double(a >= b); }},
  };
  for (const auto& k : cmps) {
    auto f = k.f;
    v.push_back(binary_case(std::string(k.op) + "/broadcast", k.op, {{4, 5}, C}, {{5}, C},
                            [f](const Tensor& a, const Tensor& b) { return f(a, b); }, k.r, false));
  }
  {
    OpCase c = composite("where/same", Family::Binary, {{{3, 4}, Dist::Mask}, {{3, 4}}, {{3, 4}}},
                         [](const Tensors& x) { return where(x[0], x[1], x[2]); },
                         [](const R& x) {
                           return ref::map3(x[0], x[1], x[2],
                                            [](double c, double a, double b) { return c ? a : b; });
                         },
                         "where");
    v.push_back(c);
    c = composite("where/broadcast", Family::Binary, {{{3, 1}, Dist::Mask}, {{3, 4}}, {{}}},
                  [](const Tensors& x) { return where(x[0], x[1], x[2]); },
                  [](const R& x) {
                    return ref::map3(x[0], x[1], x[2],
                                     [](double c, double a, double b) { return c ? a : b; });
                  },
                  "where");
    v.push_back(c);
  }

  // ------------------------------------------------------------- unary
  v.push_back(unary_case("neg", "neg", U, [](const Tensor& x) { return -x; }, [](double x) { return -x; }));
  v.push_back(unary_case("exp", "exp", U, [](const Tensor& x) { return exp(x); }, [](double x) { return std::exp(x); }));
  v.push_back(unary_case("log", "log", P, [](const Tensor& x) { return log(x); }, [](double x) { return std::log(x); }));
  v.push_back(unary_case("sqrt", "sqrt", P, [](const Tensor& x) { return sqrt(x); }, [](double x) { return std::sqrt(x); }));
  v.push_back(unary_case("rsqrt", "rsqrt", P, [](const Tensor& x) { return rsqrt(x); },
                         [](double x) { return 1 / std::sqrt(x); }));
  v.push_back(unary_case("abs", "abs", Z, [](const Tensor& x) { return abs(x); }, [](double x) { return std::fabs(x); }));
  v.push_back(unary_case("sign", "sign", Z, [](const Tensor& x) { return sign(x); },
                         [](double x) { return double((x > 0) - (x < 0)); }));
  v.push_back(unary_case("floor", "floor", U, [](const Tensor& x) { return floor(x); },
                         [](double x) { return std::floor(x); }));
  v.push_back(unary_case("relu", "relu", Z, [](const Tensor& x) { return relu(x); },
                         [](double x) { return x > 0 ? x : 0; }));
  v.push_back(unary_case("leaky_relu", "leaky_relu", Z, [](const Tensor& x) { return leaky_relu(x, 0.2); },
                         [](double x) { return x > 0 ? x : 0.2 * x; }));
  // The fused first-order backward of relu / leaky_relu (autograd uses it when
  // no graph is built): returns dx for an output gradient g.
  for (double slope : {0.0, 0.2}) {
    OpCase c = make_case(
        slope == 0 ? "leaky_relu_backward/relu" : "leaky_relu_backward/slope0.2",
        "leaky_relu_backward", Family::Composite, {{{4, 5}, Z}, {{4, 5}}},
        [slope](const Tensors& x) {
          Tensor in = x[0].detach();
          in.requires_grad_(true);
          Tensor y = slope == 0 ? relu(in) : leaky_relu(in, slope);
          return autograd::grad({y}, {in}, {x[1]})[0];
        },
        [slope](const std::vector<ref::Ref>& x) {
          ref::Ref r{x[0].shape, {}};
          for (size_t i = 0; i < x[0].v.size(); ++i)
            r.v.push_back(x[0].v[i] > 0 ? x[1].v[i] : slope * x[1].v[i]);
          return r;
        });
    c.grad = c.gradgrad = false;
    v.push_back(c);
  }
  v.push_back(unary_case("tanh", "tanh", U, [](const Tensor& x) { return tanh(x); }, [](double x) { return std::tanh(x); }));
  v.push_back(unary_case("sigmoid", "sigmoid", U, [](const Tensor& x) { return sigmoid(x); },
                         [](double x) { return ref::sigmoid(x); }));
  v.push_back(unary_case("softplus", "softplus", U, [](const Tensor& x) { return softplus(x); },
                         [](double x) { return std::log(1 + std::exp(x)); }));
  v.push_back(unary_case("erf", "erf", U, [](const Tensor& x) { return erf(x); }, [](double x) { return std::erf(x); }));
  v.push_back(unary_case("gelu", "gelu", U, [](const Tensor& x) { return gelu(x); },
                         [](double x) { return x * 0.5 * (1 + std::erf(x / std::sqrt(2.0))); }));
  // prelu: per-channel slopes [C] broadcast over [N, C, *], and one shared slope [1].
  for (const Shape& ws : {Shape{3}, Shape{1}}) {
    v.push_back(make_case(
        ws[0] == 3 ? "prelu/channels" : "prelu/shared", "prelu", Family::Binary,
        {{{2, 3, 4}, Z}, {ws}}, [](const Tensors& x) { return prelu(x[0], x[1]); },
        [](const R& x) {
          Ref r{x[0].shape, x[0].v};
          for (int64_t i = 0; i < ref::numel(r.shape); ++i) {
            const double w = x[1].v[x[1].v.size() == 1 ? 0 : ref::unravel(i, r.shape)[1]];
            if (r.v[i] <= 0) r.v[i] *= w;
          }
          return r;
        }));
  }
  v.push_back(unary_case("elu", "elu", Z, [](const Tensor& x) { return elu(x, 0.7); },
                         [](double x) { return x > 0 ? x : 0.7 * (std::exp(x) - 1); }));
  {
    OpCase c = unary_case("tanh/large", "tanh", U, [](const Tensor& x) { return tanh(x); },
                          [](double x) { return std::tanh(x); });
    c.inputs = {{{3, 70001}}};
    c.grad = c.gradgrad = false;  // forward of the parallel path; gradients are checked above
    v.push_back(c);
  }
  v.push_back(unary_case("clamp", "clamp", U, [](const Tensor& x) { return clamp(x, -0.5, 0.8); },
                         [](double x) { return std::min(std::max(x, -0.5), 0.8); }));
  {
    // Large logits: the stable forms must not overflow.
    OpCase c = unary_case("sigmoid/large", "sigmoid", U, [](const Tensor& x) { return sigmoid(x * 60.0); },
                          [](double x) { return ref::sigmoid(60 * x); });
    c.grad = c.gradgrad = false;  // saturated: finite differences say nothing useful
    v.push_back(c);
    c = unary_case("softplus/large", "softplus", U, [](const Tensor& x) { return softplus(x * 60.0); },
                   [](double x) { return 60 * x > 30 ? 60 * x + std::log1p(std::exp(-60 * x)) : std::log1p(std::exp(60 * x)); });
    c.grad = c.gradgrad = false;
    v.push_back(c);
  }

  // ----------------------------------------------------------- reduce
  v.push_back(reduce_case("sum/all", "sum", {{3, 4}}, [](const Tensor& x) { return sum(x); },
                          [](const Ref& a) { return ref::reduce(a, {}, false, ref::r_sum); }));
  v.push_back(reduce_case("sum/dim1", "sum", {{2, 3, 4}}, [](const Tensor& x) { return sum(x, {1}); },
                          [](const Ref& a) { return ref::reduce(a, {1}, false, ref::r_sum); }));
  v.push_back(reduce_case("sum/dims02_keepdim", "sum", {{2, 3, 4}},
                          [](const Tensor& x) { return sum(x, {0, -1}, true); },
                          [](const Ref& a) { return ref::reduce(a, {0, 2}, true, ref::r_sum); }));
  v.push_back(reduce_case("sum/long", "sum", {{3, 20000}}, [](const Tensor& x) { return sum(x, {1}); },
                          [](const Ref& a) { return ref::reduce(a, {1}, false, ref::r_sum); }, false));
  v.push_back(reduce_case("sum/all_long", "sum", {{70001}}, [](const Tensor& x) { return sum(x); },
                          [](const Ref& a) { return ref::reduce(a, {}, false, ref::r_sum); }, false));
  v.push_back(reduce_case("mean/all", "mean", {{3, 4}}, [](const Tensor& x) { return mean(x); },
                          [](const Ref& a) { return ref::reduce(a, {}, false, ref::r_mean); }));
  v.push_back(reduce_case("mean/dim0_keepdim", "mean", {{4, 3}}, [](const Tensor& x) { return mean(x, {0}, true); },
                          [](const Ref& a) { return ref::reduce(a, {0}, true, ref::r_mean); }));
  v.push_back(reduce_case("var/dim1_unbiased", "var", {{3, 5}}, [](const Tensor& x) { return var(x, {1}, true); },
                          [](const Ref& a) {
                            return ref::reduce(a, {1}, false, [](const std::vector<double>& g) { return ref::r_var(g, true); });
                          }));
  v.push_back(reduce_case("var/all_biased", "var", {{2, 3, 2}}, [](const Tensor& x) { return var(x, {}, false); },
                          [](const Ref& a) {
                            return ref::reduce(a, {}, false, [](const std::vector<double>& g) { return ref::r_var(g, false); });
                          }));
  {
    // Large mean, small spread: a one-pass formula would lose every digit.
    OpCase c = reduce_case("var/large_mean", "var", {{4, 50}}, [](const Tensor& x) { return var(add(x, 1000.0), {1}); },
                           [](const Ref& a) {
                             Ref s = ref::map1(a, [](double x) { return x + 1000; });
                             return ref::reduce(s, {1}, false, [](const std::vector<double>& g) { return ref::r_var(g, true); });
                           }, false);
    c.tol = 20;
    v.push_back(c);
  }
  v.push_back(reduce_case("max/dim1", "max", {{3, 5}, D}, [](const Tensor& x) { return max(x, {1}); },
                          [](const Ref& a) { return ref::reduce(a, {1}, false, ref::r_max); }));
  v.push_back(reduce_case("max/all", "max", {{2, 3, 4}, D}, [](const Tensor& x) { return max(x); },
                          [](const Ref& a) { return ref::reduce(a, {}, false, ref::r_max); }));
  v.push_back(reduce_case("min/dim0_keepdim", "min", {{4, 3}, D}, [](const Tensor& x) { return min(x, {0}, true); },
                          [](const Ref& a) { return ref::reduce(a, {0}, true, ref::r_min); }));
  v.push_back(reduce_case("argmax/dim1", "argmax", {{3, 5}, D}, [](const Tensor& x) { return argmax(x, 1); },
                          [](const Ref& a) { return ref::reduce(a, {1}, false, ref::r_argmax); }, false));
  v.push_back(reduce_case("argmax/all", "argmax", {{3, 4}, D}, [](const Tensor& x) { return argmax(x); },
                          [](const Ref& a) { return ref::reduce(a, {}, false, ref::r_argmax); }, false));
  v.push_back(reduce_case("argmin/dim0", "argmin", {{4, 3}, D}, [](const Tensor& x) { return argmin(x, 0, true); },
                          [](const Ref& a) { return ref::reduce(a, {0}, true, ref::r_argmin); }, false));

  // ------------------------------------------------------------ linalg
  v.push_back(composite("mm", Family::Linalg, {{{3, 4}}, {{4, 5}}},
                        [](const Tensors& x) { return mm(x[0], x[1]); },
                        [](const R& x) { return ref::matmul(x[0], x[1]); }, "mm"));
  v.push_back(composite("mm/transposed_operands", Family::Linalg, {{{4, 3}}, {{5, 4}}},
                        [](const Tensors& x) { return mm(x[0].t(), x[1].t()); },
                        [](const R& x) { return ref::matmul(ref::transpose_last(x[0]), ref::transpose_last(x[1])); },
                        "mm"));
  {
    OpCase c = composite("mm/large", Family::Linalg, {{{33, 70}}, {{70, 65}}},
                         [](const Tensors& x) { return mm(x[0], x[1]); },
                         [](const R& x) { return ref::matmul(x[0], x[1]); }, "mm");
    c.grad = c.gradgrad = false;  // forward accuracy at a size that takes Eigen's blocked path
    c.tol = 10;
    v.push_back(c);
  }
  v.push_back(composite("mm/broadcast_operand", Family::Linalg, {{{1, 4}}, {{4, 2}}},
                        [](const Tensors& x) { return mm(x[0].expand({3, 4}), x[1]); },
                        [](const R& x) {
                          Ref a{{3, 4}, {}};
                          for (int i = 0; i < 3; ++i) a.v.insert(a.v.end(), x[0].v.begin(), x[0].v.end());
                          return ref::matmul(a, x[1]);
                        }, "mm"));
  v.push_back(composite("bmm", Family::Linalg, {{{2, 3, 4}}, {{2, 4, 5}}},
                        [](const Tensors& x) { return bmm(x[0], x[1]); },
                        [](const R& x) { return ref::matmul(x[0], x[1]); }, "bmm"));
  v.push_back(composite("matmul/2d_1d", Family::Composite, {{{3, 4}}, {{4}}},
                        [](const Tensors& x) { return matmul(x[0], x[1]); },
                        [](const R& x) {
                          Ref b{{4, 1}, x[1].v};
                          Ref r = ref::matmul(x[0], b);
                          r.shape = {3};
                          return r;
                        }));
  v.push_back(composite("matmul/1d_1d", Family::Composite, {{{5}}, {{5}}},
                        [](const Tensors& x) { return matmul(x[0], x[1]); },
                        [](const R& x) {
                          double s = 0;
                          for (int i = 0; i < 5; ++i) s += x[0].v[i] * x[1].v[i];
                          return Ref{{}, {s}};
                        }));
  v.push_back(composite("matmul/3d_2d", Family::Composite, {{{2, 3, 4}}, {{4, 2}}},
                        [](const Tensors& x) { return matmul(x[0], x[1]); },
                        [](const R& x) { return ref::matmul(x[0], x[1]); }));
  v.push_back(composite("matmul/batch_broadcast", Family::Composite, {{{2, 1, 3, 4}}, {{3, 4, 2}}},
                        [](const Tensors& x) { return matmul(x[0], x[1]); },
                        [](const R& x) {
                          // out[i,j] = a[i,0] @ b[j]
                          Ref r{{2, 3, 3, 2}, {}};
                          for (int i = 0; i < 2; ++i)
                            for (int j = 0; j < 3; ++j) {
                              Ref a{{3, 4}, std::vector<double>(x[0].v.begin() + i * 12, x[0].v.begin() + i * 12 + 12)};
                              Ref b{{4, 2}, std::vector<double>(x[1].v.begin() + j * 8, x[1].v.begin() + j * 8 + 8)};
                              Ref m = ref::matmul(a, b);
                              r.v.insert(r.v.end(), m.v.begin(), m.v.end());
                            }
                          return r;
                        }));
  v.push_back(composite("linear/bias", Family::Composite, {{{5, 3}}, {{4, 3}}, {{4}}},
                        [](const Tensors& x) { return linear(x[0], x[1], x[2]); },
                        [](const R& x) {
                          Ref m = ref::matmul(x[0], ref::transpose_last(x[1]));
                          return ref::map2(m, x[2], [](double a, double b) { return a + b; });
                        }));
  v.push_back(composite("linear/3d_no_bias", Family::Composite, {{{2, 3, 4}}, {{5, 4}}},
                        [](const Tensors& x) { return linear(x[0], x[1]); },
                        [](const R& x) {
                          Ref a{{6, 4}, x[0].v};
                          Ref m = ref::matmul(a, ref::transpose_last(x[1]));
                          m.shape = {2, 3, 5};
                          return m;
                        }));

  // ---------------------------------------------------- views and shapes
  v.push_back(composite("square", Family::Composite, {{{3, 4}}}, [](const Tensors& x) { return square(x[0]); },
                        [](const R& x) { return ref::map1(x[0], [](double a) { return a * a; }); }));
  v.push_back(composite("reshape", Family::Composite, {{{2, 6}}},
                        [](const Tensors& x) { return x[0].reshape({3, -1}); },
                        [](const R& x) { return Ref{{3, 4}, x[0].v}; }));
  v.push_back(composite("transpose", Family::Composite, {{{2, 3, 4}}},
                        [](const Tensors& x) { return x[0].transpose(0, 2); },
                        [](const R& x) {
                          return gather(x[0], {4, 3, 2}, [](const Shape& i) { return flat({i[2], i[1], i[0]}, {2, 3, 4}); });
                        }));
  v.push_back(composite("permute", Family::Composite, {{{2, 3, 4}}},
                        [](const Tensors& x) { return x[0].permute({1, 2, 0}); },
                        [](const R& x) {
                          return gather(x[0], {3, 4, 2}, [](const Shape& i) { return flat({i[2], i[0], i[1]}, {2, 3, 4}); });
                        }));
  v.push_back(composite("slice/step2", Family::Composite, {{{3, 7}}},
                        [](const Tensors& x) { return x[0].slice(1, 1, 6, 2); },
                        [](const R& x) {
                          return gather(x[0], {3, 3}, [](const Shape& i) { return flat({i[0], 1 + 2 * i[1]}, {3, 7}); });
                        }));
  v.push_back(composite("narrow", Family::Composite, {{{5, 3}}},
                        [](const Tensors& x) { return x[0].narrow(0, 1, 3); },
                        [](const R& x) {
                          return gather(x[0], {3, 3}, [](const Shape& i) { return flat({i[0] + 1, i[1]}, {5, 3}); });
                        }));
  v.push_back(composite("select", Family::Composite, {{{3, 4}}},
                        [](const Tensors& x) { return x[0].select(1, -1); },
                        [](const R& x) {
                          return gather(x[0], {3}, [](const Shape& i) { return flat({i[0], 3}, {3, 4}); });
                        }));
  v.push_back(composite("unsqueeze_squeeze", Family::Composite, {{{3, 1, 4}}},
                        [](const Tensors& x) { return x[0].squeeze(1).unsqueeze(0); },
                        [](const R& x) { return Ref{{1, 3, 4}, x[0].v}; }));
  v.push_back(composite("expand", Family::Composite, {{{3, 1}}},
                        [](const Tensors& x) { return x[0].expand({2, 3, 4}); },
                        [](const R& x) {
                          return gather(x[0], {2, 3, 4}, [](const Shape& i) { return i[1]; });
                        }));
  v.push_back(composite("flatten", Family::Composite, {{{2, 3, 4}}},
                        [](const Tensors& x) { return x[0].flatten(1); },
                        [](const R& x) { return Ref{{2, 12}, x[0].v}; }));
  v.push_back(composite("contiguous_of_transpose", Family::Composite, {{{3, 4}}},
                        [](const Tensors& x) { return x[0].t().contiguous(); },
                        [](const R& x) { return ref::transpose_last(x[0]); }));
  v.push_back(composite("sum_to", Family::Composite, {{{2, 3, 4}}},
                        [](const Tensors& x) { return sum_to(x[0], {3, 1}); },
                        [](const R& x) {
                          Ref r = ref::reduce(x[0], {0, 2}, false, ref::r_sum);
                          r.shape = {3, 1};
                          return r;
                        }));
  {
    // Fused Adam update (an optimizer kernel, in place; no derivative): the
    // updated param, exp_avg and exp_avg_sq, flattened and joined, against a
    // float64 loop. L2 weight decay on, step 3 (bias corrections matter).
    const std::vector<double> sc = {0.01, 0.9, 0.999, 1e-8, 0.05, 3, 0};  // lr b1 b2 eps wd step decoupled
    OpCase c = composite(
        "adam_step", Family::Composite,
        {{{5, 7}}, {{5, 7}}, {{5, 7}}, {{5, 7}, Dist::Positive}},
        [sc](const Tensors& x) {
          Tensor p = core::clone(x[0]), g = core::clone(x[1]), m = core::clone(x[2]),
                 v = core::clone(x[3]);
          const kernels::AdamAttrs a{sc[0], sc[1], sc[2], sc[3], sc[4],
                                     static_cast<int64_t>(sc[5]), sc[6] != 0};
          kernels::run(kernels::OpId::adam_step, {p, g, m, v}, {p, m, v}, a);
          return cat({p.reshape({-1}), m.reshape({-1}), v.reshape({-1})});
        },
        [sc](const R& x) {
          const double lr = sc[0], b1 = sc[1], b2 = sc[2], eps = sc[3], wd = sc[4], t = sc[5];
          const size_t n = x[0].v.size();
          Ref r{{static_cast<int64_t>(3 * n)}, std::vector<double>(3 * n)};
          for (size_t i = 0; i < n; ++i) {
            const double g = x[1].v[i] + wd * x[0].v[i];
            const double m = b1 * x[2].v[i] + (1 - b1) * g;
            const double v = b2 * x[3].v[i] + (1 - b2) * g * g;
            const double mhat = m / (1 - std::pow(b1, t)), vhat = v / (1 - std::pow(b2, t));
            r.v[i] = x[0].v[i] - lr * mhat / (std::sqrt(vhat) + eps);
            r.v[n + i] = m;
            r.v[2 * n + i] = v;
          }
          return r;
        },
        "adam_step");
    c.grad = c.gradgrad = false;
    v.push_back(c);
  }
  add_nn_cases(v);
  return v;
}

}  // namespace

const std::vector<OpCase>& op_cases() {
  static const std::vector<OpCase> cases = build();
  return cases;
}

}  // namespace tbl
