// tests/test_autograd_safety.cpp — autograd that cannot silently return wrong
// gradients: version counters on saved tensors (an optimizer step, copy_ or
// Module::to between forward and backward is an error naming the op), what
// ops save (only what their backward reads, only for inputs that need a
// gradient; outputs without a reference cycle), gradient hooks, gradient
// clipping, binary cross-entropy at exactly 0 and 1, and graphs of 200,000
// nodes (no recursion in backward, grad or graph release).
#include <catch2/catch.hpp>

#include "tests/test_util.h"

#include <cmath>
#include <memory>

#include "autograd/engine.h"
#include "autograd/gradcheck.h"
#include "autograd/ops.h"
#include "core/rng.h"
#include "nn/layers.h"
#include "nn/spectral_norm.h"
#include "optim/adam.h"
#include "optim/clip.h"
#include "optim/sgd.h"

using namespace gantry;
using testutil::error_of;

namespace {
Tensor leaf64(std::vector<double> v, Shape s) {
  Tensor t = from_vector<double>(v, s);
  t.requires_grad_(true);
  return t;
}
std::vector<double> vals(const Tensor& t) { return t.to_vector<double>(); }
}  // namespace

// ------------------------------------------------------------ version counters

TEST_CASE("versions: every in-place write bumps the storage's counter", "[autograd][version]") {
  Tensor t = zeros({4});
  const uint64_t v0 = t.version();
  core::fill_(t, 1.0);
  CHECK(t.version() == v0 + 1);
  core::copy_(t, ones({4}));
  CHECK(t.version() == v0 + 2);
  Tensor view = core::slice(t, 0, 1, 3, 1);
  core::fill_(view, 2.0);  // a view shares the counter with its base
  CHECK(t.version() == v0 + 3);
  CHECK(view.version() == t.version());
  // An in-place kernel (the op table's kInPlace flag: adam_step) bumps what it writes.
  Tensor p = zeros({3});
  p.requires_grad_(true);
  p.set_grad(ones({3}));
  optim::Adam opt({p}, optim::AdamOptions{});
  const uint64_t pv = p.version();
  opt.step();
  CHECK(p.version() > pv);
}

TEST_CASE("versions: an optimizer step between forward and backward is an error",
          "[autograd][version]") {
  // Two layers: the second weight is saved for the first layer's gradient.
  manual_seed(3);
  nn::Linear l1(4, 5), l2(5, 2);
  Tensor x = randn({3, 4});
  std::vector<Tensor> params = l1.parameters();
  for (const Tensor& p : l2.parameters()) params.push_back(p);
  optim::SGD opt(params, optim::SGDOptions{0.1});
  Tensor loss = sum(l2.forward(tanh(l1.forward(x))));
  loss.backward(Tensor(), /*retain_graph=*/true);
  opt.step();  // writes every weight in place
  const std::string msg = error_of([&] { loss.backward(); });
  INFO(msg);
  CHECK_THAT(msg, Catch::Contains("MmBackward saved mat2 [5,2] at version"));
  CHECK_THAT(msg, Catch::Contains("it is now at version"));
  CHECK_THAT(msg, Catch::Contains("modified in place after the forward"));

  // The order that is right: backward first, then the step, then a new forward.
  for (Tensor& p : params) p.set_grad(Tensor());
  Tensor loss2 = sum(l2.forward(tanh(l1.forward(x))));
  loss2.backward();
  opt.step();
  REQUIRE_NOTHROW(sum(l2.forward(tanh(l1.forward(x)))).backward());
}

TEST_CASE("versions: copy_, fill_ and Module::to after the forward are caught",
          "[autograd][version]") {
  Tensor a = leaf64({1, 2, 3}, {3}), b = leaf64({4, 5, 6}, {3});
  Tensor y = sum(mul(a, b));
  core::fill_(b, 0.0);  // b was saved for a's gradient
  CHECK_THAT(error_of([&] { y.backward(); }), Catch::Contains("MulBackward saved other [3]"));

  // A saved output (tanh keeps its result) written in place.
  Tensor x = leaf64({0.1, 0.2}, {2});
  Tensor t = tanh(x);
  Tensor z = sum(t);
  core::copy_(t, zeros({2}, kFloat64));
  CHECK_THAT(error_of([&] { z.backward(); }), Catch::Contains("TanhBackward saved result [2]"));

  // Module::to swaps a parameter's storage.
  nn::Linear lin(3, 2);
  Tensor in2 = randn({4, 3});
  in2.requires_grad_(true);  // so the weight is saved (for the input's gradient)
  Tensor out = sum(lin.forward(in2));
  lin.to(kFloat64);  // linear saved a transposed view of the weight: its old memory was replaced
  CHECK_THAT(error_of([&] { out.backward(); }),
             Catch::Contains("MmBackward saved mat2 [3,2]") && Catch::Contains("modified in place"));
  // A saved handle of the parameter itself sees the new storage.
  nn::Linear lin2(3, 2);
  Tensor out2 = sum(mul(lin2.weight, 2.0));
  Tensor out3 = sum(mul(lin2.weight, lin2.weight));  // saves the parameter handle
  lin2.to(kFloat64);
  CHECK_THAT(error_of([&] { out3.backward(); }), Catch::Contains("replaced in place"));
  REQUIRE_NOTHROW(out2.backward());  // mul by a constant saved nothing of the weight
}

TEST_CASE("versions: batch-norm running stats may change before a double backward",
          "[autograd][version]") {
  // Running stats are updated in place by every training forward and are not
  // saved for backward, so two forwards and then a double backward are legal.
  manual_seed(5);
  nn::BatchNorm2d bn(3);
  Tensor x = randn({4, 3, 2, 2}, kFloat32);
  x.requires_grad_(true);
  Tensor y1 = bn.forward(x);
  const uint64_t rv = bn.running_mean.version();
  Tensor y2 = bn.forward(mul(x, 2.0));
  CHECK(bn.running_mean.version() > rv);
  Tensor gx = autograd::grad({sum(mul(y1, y1))}, {x}, {}, /*create_graph=*/true)[0];
  REQUIRE_NOTHROW(sum(mul(gx, gx)).backward());
  REQUIRE_NOTHROW(sum(y2).backward());
}

TEST_CASE("versions: SpectralNorm's u/v change in place while the graph lives",
          "[autograd][version]") {
  // D runs on real and fake images before one backward: each training forward
  // updates u and v in place. The graph keeps clones, so this is legal...
  manual_seed(7);
  nn::SpectralNorm sn(std::make_shared<nn::Linear>(4, 3));
  Tensor a = randn({2, 4}), b = randn({2, 4});
  Tensor loss = add(sum(sn.forward(a)), sum(sn.forward(b)));
  REQUIRE_NOTHROW(loss.backward());
  // ...and a graph that had kept u itself would be caught.
  Tensor w = sn.weight_orig;
  Tensor s = sum(mul(sn.u, sum(w, {1})));  // saves u (a buffer) for w's gradient
  sn.forward(a);                           // power iteration: copy_ into u
  CHECK_THAT(error_of([&] { s.backward(); }), Catch::Contains("MulBackward saved self [3]"));
}

// ------------------------------------------------------------ what ops save

TEST_CASE("saved tensors: mul keeps an operand only for the other's gradient",
          "[autograd][saved]") {
  Tensor w = leaf64({1, 2}, {2});
  Tensor a = mul(w, 3.0);                   // non-leaf, requires grad
  Tensor c = from_vector<double>({5, 6}, {2});  // a constant
  Tensor y = mul(a, c);                     // a's gradient reads c; c needs none, so a is not kept
  std::weak_ptr<TensorImpl> wa = a.impl_ptr(), wc = c.impl_ptr();
  a = Tensor();
  c = Tensor();
  CHECK(wa.expired());
  CHECK_FALSE(wc.expired());
  sum(y).backward();
  CHECK(vals(w.grad()) == std::vector<double>{15, 18});
}

TEST_CASE("saved tensors: a frozen convolution weight keeps no activations",
          "[autograd][saved]") {
  // The G step: D's weights are frozen, so D's conv saves its weight (for the
  // input's gradient) and not its input.
  Tensor x = randn({2, 3, 6, 6}, kFloat64);
  x.requires_grad_(true);
  Tensor h = mul(x, 2.0);
  Tensor w = randn({4, 3, 3, 3}, kFloat64);  // frozen: requires no grad
  Tensor y = conv2d(h, w, Tensor());
  std::weak_ptr<TensorImpl> wh = h.impl_ptr();
  h = Tensor();
  CHECK(wh.expired());
  sum(y).backward();
  CHECK(x.grad().defined());
}

TEST_CASE("saved tensors: outputs are kept without a reference cycle", "[autograd][saved]") {
  for (int op = 0; op < 5; ++op) {
    std::weak_ptr<autograd::Node> node;
    std::weak_ptr<TensorImpl> impl;
    {
      Tensor x = leaf64({0.3, 0.7}, {2});
      Tensor y = op == 0 ? tanh(x) : op == 1 ? sigmoid(x) : op == 2 ? exp(x)
                 : op == 3 ? sqrt(x) : rsqrt(x);
      node = y.grad_fn();
      impl = y.impl_ptr();
      REQUIRE_FALSE(node.expired());
    }
    CHECK(node.expired());  // nothing keeps the node alive once its output is gone
    CHECK(impl.expired());
  }
}

TEST_CASE("saved tensors: ops that save their output still differentiate twice",
          "[autograd][saved]") {
  using autograd::gradgradcheck;
  Tensor x = leaf64({0.3, 0.9, 1.7, 2.5}, {4});
  auto check = [&](const char* name, std::function<Tensor(const Tensor&)> f) {
    INFO(name);
    auto r = gradgradcheck([f](const Tensors& in) { return Tensors{f(in[0])}; }, {x});
    INFO(r.message);
    CHECK(r.ok);
    // Third order through the re-attached output: d3/dx3 of sum(f) by
    // nesting grad, against a finite difference of the second derivative.
    Tensor g1 = autograd::grad({sum(f(x))}, {x}, {}, true)[0];
    Tensor g2 = autograd::grad({sum(g1)}, {x}, {}, true)[0];
    Tensor g3 = autograd::grad({sum(g2)}, {x}, {}, false)[0];
    const double h = 1e-5;
    auto second = [&](double shift) {
      Tensor xs = add(x.detach(), shift);
      xs.requires_grad_(true);
      Tensor a = autograd::grad({sum(f(xs))}, {xs}, {}, true)[0];
      return vals(autograd::grad({sum(a)}, {xs}, {}, false)[0]);
    };
    auto hi = second(h), lo = second(-h);
    auto got = vals(g3);
    for (size_t i = 0; i < got.size(); ++i)
      CHECK(got[i] == Approx((hi[i] - lo[i]) / (2 * h)).epsilon(1e-4).margin(1e-6));
  };
  check("tanh", [](const Tensor& t) { return tanh(t); });
  check("sigmoid", [](const Tensor& t) { return sigmoid(t); });
  check("exp", [](const Tensor& t) { return exp(t); });
  check("sqrt", [](const Tensor& t) { return sqrt(t); });
  check("rsqrt", [](const Tensor& t) { return rsqrt(t); });
}

// ------------------------------------------------------------------- hooks

TEST_CASE("hooks: inspect and replace gradients on leaves and intermediates",
          "[autograd][hooks]") {
  Tensor x = leaf64({1, 2, 3}, {3});
  std::vector<double> seen;
  x.register_hook([&](const Tensor& g) {
    seen = vals(g);
    return Tensor();  // undefined: keep the gradient
  });
  Tensor h = mul(x, x);
  h.register_hook([](const Tensor& g) { return mul(g, 10.0); });  // replaces dL/dh
  sum(h).backward();
  CHECK(seen == std::vector<double>{20, 40, 60});  // 10 * 2x
  CHECK(vals(x.grad()) == std::vector<double>{20, 40, 60});

  // autograd::grad sees the hooks too, and a hook's result must keep the shape.
  Tensor y = leaf64({1, 2}, {2});
  Tensor z = mul(y, 3.0);
  z.register_hook([](const Tensor& g) { return mul(g, 2.0); });
  CHECK(vals(autograd::grad({sum(z)}, {y})[0]) == std::vector<double>{6, 6});
  Tensor q = mul(y, 1.0);
  q.register_hook([](const Tensor& g) { return sum(g); });
  CHECK_THAT(error_of([&] { sum(q).backward(); }), Catch::Contains("returned a gradient") && Catch::Contains("MulBackward"));
  CHECK_THAT(error_of([&] { from_vector<double>({1}, {1}).register_hook([](const Tensor& g) {
               return g;
             }); }),
             Catch::Contains("does not require grad"));
}

TEST_CASE("hooks: a hook on a create_graph path is differentiated through",
          "[autograd][hooks]") {
  // y = x^3 with a hook doubling dL/dy: dL/dx = 2 * 3x^2 = 6x^2, built as a
  // graph, so d/dx of sum(dL/dx) = 12x.
  Tensor x = leaf64({1, 2}, {2});
  Tensor y = mul(mul(x, x), x);
  y.register_hook([](const Tensor& g) { return mul(g, 2.0); });
  Tensor gx = autograd::grad({sum(y)}, {x}, {}, /*create_graph=*/true)[0];
  CHECK(vals(gx) == std::vector<double>{6, 24});
  REQUIRE(gx.requires_grad());
  Tensor ggx = autograd::grad({sum(gx)}, {x})[0];
  CHECK(vals(ggx) == std::vector<double>{12, 24});
}

// ---------------------------------------------------------------- clipping

TEST_CASE("clip_grad_norm_: global norm, scaling, skips and errors", "[autograd][clip]") {
  Tensor a = leaf64({0, 0}, {2}), b = leaf64({0}, {1}), c = leaf64({0}, {1});
  a.set_grad(from_vector<double>({3, 0}, {2}));
  b.set_grad(from_vector<double>({4}, {1}));  // c has no gradient: skipped
  CHECK(optim::clip_grad_norm_({a, b, c}, 10.0) == Approx(5.0));
  CHECK(vals(a.grad()) == std::vector<double>{3, 0});  // under the limit: unchanged
  CHECK(optim::clip_grad_norm_({a, b, c}, 1.0) == Approx(5.0));
  CHECK(vals(a.grad())[0] == Approx(0.6).epsilon(1e-6));
  CHECK(vals(b.grad())[0] == Approx(0.8).epsilon(1e-6));
  // The infinity norm, and float32 gradients.
  Tensor d = zeros({3});
  d.requires_grad_(true);
  d.set_grad(from_vector<float>({-6, 2, 1}, {3}));
  CHECK(optim::clip_grad_norm_({d}, 3.0, std::numeric_limits<double>::infinity()) == Approx(6.0));
  CHECK(vals(d.grad())[0] == Approx(-3.0).epsilon(1e-5));
  // Non-finite gradients are named, or left alone on request.
  d.set_grad(from_vector<float>({1, NAN, 1}, {3}));
  CHECK_THAT(error_of([&] { optim::clip_grad_norm_({a, d}, 1.0); }),
             Catch::Contains("parameter 1") && Catch::Contains("not finite"));
  CHECK(std::isnan(optim::clip_grad_norm_({d}, 1.0, 2.0, false)));
  CHECK_THROWS_AS(optim::clip_grad_norm_({a}, -1.0), Error);
  optim::clip_grad_value_({b}, 0.5);
  CHECK(vals(b.grad())[0] == Approx(0.5));
}

// ----------------------------------------------------- BCE on probabilities

TEST_CASE("binary_cross_entropy: finite loss and gradients at exactly 0 and 1",
          "[autograd][bce]") {
  for (DType dt : {kFloat32, kFloat64}) {
    Tensor p = from_vector<double>({0, 0, 1, 1, 0.25}, {5}).to(dt);
    p.requires_grad_(true);
    Tensor t = from_vector<double>({0, 1, 0, 1, 1}, {5}).to(dt);
    t.requires_grad_(true);
    Tensor l = binary_cross_entropy(p, t, Reduction::None);
    // Hand-computed: -(t max(log p, -100) + (1 - t) max(log(1 - p), -100)).
    const std::vector<double> want_l = {0, 100, 100, 0, -std::log(0.25)};
    auto got_l = vals(l);
    for (size_t i = 0; i < want_l.size(); ++i) CHECK(got_l[i] == Approx(want_l[i]).epsilon(1e-6));
    sum(l).backward();
    // dL/dp = (p - t) / max(p (1 - p), 1e-12); dL/dt = max(log(1-p),-100) - max(log p,-100).
    const std::vector<double> want_gp = {0, -1e12, 1e12, 0, (0.25 - 1) / (0.25 * 0.75)};
    const std::vector<double> want_gt = {100, 100, -100, -100, std::log(0.75) - std::log(0.25)};
    auto gp = vals(p.grad()), gt = vals(t.grad());
    for (size_t i = 0; i < want_gp.size(); ++i) {
      CHECK(std::isfinite(gp[i]));
      CHECK(gp[i] == Approx(want_gp[i]).epsilon(1e-6));
      CHECK(gt[i] == Approx(want_gt[i]).epsilon(1e-6));
    }
  }
}

TEST_CASE("binary_cross_entropy: gradcheck and gradgradcheck 1e-6 inside [0, 1]",
          "[autograd][bce]") {
  Tensor p = leaf64({1e-6, 1 - 1e-6, 0.3, 0.8}, {4});
  Tensor t = leaf64({1, 0, 0.4, 1}, {4});
  auto f = [](const Tensors& in) {
    return Tensors{binary_cross_entropy(in[0], in[1], Reduction::Sum)};
  };
  autograd::GradcheckOptions o;
  o.eps = 1e-10;  // p is 1e-6 from an end
  o.rtol = 1e-3;
  auto r = autograd::gradcheck(f, {p, t}, o);
  INFO(r.message);
  CHECK(r.ok);
  Tensor p2 = leaf64({0.2, 0.6, 0.9}, {3}), t2 = leaf64({1, 0, 0.5}, {3});
  auto r2 = autograd::gradgradcheck(f, {p2, t2});
  INFO(r2.message);
  CHECK(r2.ok);
}

// ---------------------------------------------------------- no recursion

TEST_CASE("engine: a 200,000-node chain runs backward and grad and frees without recursion",
          "[autograd][deep]") {
  const int n = 200000;
  Tensor x = leaf64({0.5}, {1});
  std::weak_ptr<autograd::Node> first;
  {
    Tensor y = x;
    for (int i = 0; i < n; ++i) {
      y = add(y, 1e-6);
      if (i == 0) first = y.grad_fn();
    }
    Tensor g = autograd::grad({sum(y)}, {x}, {}, /*create_graph=*/true)[0];
    CHECK(vals(g)[0] == 1.0);
    Tensor gg = autograd::grad({sum(mul(y, y))}, {x}, {}, false, /*retain_graph=*/true)[0];
    CHECK(vals(gg)[0] == Approx(2 * (0.5 + n * 1e-6)));
    sum(y).backward();
    CHECK(vals(x.grad())[0] == 1.0);
    REQUIRE_FALSE(first.expired());
  }  // y, g and their graphs go here
  CHECK(first.expired());
}

TEST_CASE("engine: chains released through saved tensors and hooks do not recurse",
          "[autograd][deep]") {
  // A chain held together by what nodes save (tanh keeps its output, mul its
  // operands) rather than only by edges; grad twice through it, then free.
  Tensor x = leaf64({0.3}, {1});
  Tensor w = leaf64({0.999}, {1});
  {
    Tensor y = x;
    for (int i = 0; i < 40000; ++i) y = tanh(mul(y, w));
    Tensor g = autograd::grad({sum(y)}, {x}, {}, /*create_graph=*/true)[0];
    Tensor gg = autograd::grad({sum(g)}, {w})[0];
    CHECK(std::isfinite(vals(gg)[0]));
  }
  // 200,000 independent nodes, each holding the previous one only through a
  // hook's captured tensor: releasing the last frees them all, iteratively.
  {
    Tensor prev;
    for (int i = 0; i < 200000; ++i) {
      Tensor y = mul(w, 2.0);
      y.register_hook([prev](const Tensor&) { return Tensor(); });
      prev = y;
    }
  }
  SUCCEED("released");
}

TEST_CASE("engine: backward with create_graph and a grad_output that requires grad",
          "[autograd]") {
  // A Hessian-vector-product pattern: accumulating into a leaf records ops on
  // another leaf (v); it must neither deadlock nor lose the graph.
  Tensor x = leaf64({1, 2}, {2});
  Tensor v = leaf64({3, 4}, {2});
  Tensor y = mul(x, x);
  y.backward(v, /*retain_graph=*/false, /*create_graph=*/true);  // x.grad = 2 x v
  REQUIRE(x.grad().defined());
  CHECK(vals(x.grad()) == std::vector<double>{6, 16});
  CHECK(x.grad().requires_grad());
  Tensor gv = autograd::grad({sum(x.grad())}, {v})[0];  // d/dv sum(2 x v) = 2x
  CHECK(vals(gv) == std::vector<double>{2, 4});
  x.set_grad(Tensor());  // break the documented leaf -> .grad -> graph cycle
}

TEST_CASE("binary_cross_entropy: second derivatives stay finite at 0 and 1",
          "[autograd][bce]") {
  Tensor p = leaf64({0, 1, 0.5}, {3});
  Tensor t = leaf64({1, 0, 0.3}, {3});
  Tensor l = binary_cross_entropy(p, t, Reduction::Sum);
  Tensors g = autograd::grad({l}, {p, t}, {}, /*create_graph=*/true);
  Tensors gg = autograd::grad({add(sum(g[0]), sum(g[1]))}, {p, t});
  for (const Tensor& h : gg)
    for (double v : vals(h)) CHECK(std::isfinite(v));
}
