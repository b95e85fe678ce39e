// tests/test_gradcheck.cpp — gradcheck for every differentiable case of the
// conformance table, and gradgradcheck for every case marked for second
// derivatives (what a gradient penalty passes through), in float64.
#include <catch2/catch.hpp>

#include "autograd/gradcheck.h"
#include "core/rng.h"
#include "tests/op_table.h"

using namespace gantry;

namespace {

// float64 inputs that require grad (masks stay constant).
Tensors grad_inputs(const tbl::OpCase& c) {
  Tensors ins = tbl::make_inputs(c, tbl::case_seed(c.name));
  for (auto& t : ins)
    if (t.dtype() == kFloat64) t.requires_grad_(true);
  return ins;
}

autograd::Fn as_fn(const tbl::OpCase& c) {
  auto run = c.run;
  return [run](const Tensors& x) { return Tensors{run(x)}; };
}

}  // namespace

TEST_CASE("gradcheck: every differentiable op case", "[gradcheck]") {
  int n = 0;
  for (const auto& c : tbl::op_cases()) {
    if (!c.grad) continue;
    ++n;
    DYNAMIC_SECTION(c.name) {
      auto r = autograd::gradcheck(as_fn(c), grad_inputs(c));
      INFO(r.message);
      CHECK(r.ok);
    }
  }
  CHECK(n > 40);
}

TEST_CASE("gradgradcheck: second derivatives", "[gradgradcheck]") {
  int n = 0;
  for (const auto& c : tbl::op_cases()) {
    if (!c.gradgrad) continue;
    ++n;
    DYNAMIC_SECTION(c.name) {
      auto r = autograd::gradgradcheck(as_fn(c), grad_inputs(c));
      INFO(r.message);
      CHECK(r.ok);
    }
  }
  CHECK(n > 40);
}

TEST_CASE("gradcheck catches a wrong derivative", "[gradcheck]") {
  // A deliberately wrong backward (2x instead of 3x^2) must be reported.
  Tensor x = from_vector<double>({0.5, -1.2, 2.0}, {3});
  x.requires_grad_(true);
  autograd::Fn wrong = [](const Tensors& in) {
    Tensor y = detach(mul(mul(in[0], in[0]), in[0]));
    autograd::record("WrongCubeBackward", {in[0]}, {y}, [x = in[0]](const Tensors& g, const std::vector<bool>&) {
      return Tensors{mul(g[0], mul(x, 2.0))};
    });
    return Tensors{y};
  };
  auto r = autograd::gradcheck(wrong, {x});
  CHECK_FALSE(r.ok);
  CHECK(r.message.find("mismatch") != std::string::npos);
}

TEST_CASE("gradgradcheck: a small MLP critic end to end", "[gradgradcheck]") {
  // The gradient-penalty path: grad of D(x) w.r.t. x, differentiated again.
  manual_seed(7);
  Tensor x = randn({3, 4}, kFloat64), w1 = randn({5, 4}, kFloat64), b1 = randn({5}, kFloat64),
         w2 = randn({1, 5}, kFloat64);
  for (Tensor* t : {&x, &w1, &b1, &w2}) t->requires_grad_(true);
  autograd::Fn critic = [](const Tensors& in) {
    Tensor h = leaky_relu(linear(in[0], in[1], in[2]), 0.2);
    return Tensors{mean(linear(softplus(h), in[3]))};
  };
  auto r = autograd::gradgradcheck(critic, {x, w1, b1, w2});
  INFO(r.message);
  CHECK(r.ok);
}

TEST_CASE("gradgradcheck: a small conv critic end to end", "[gradgradcheck]") {
  // conv -> leaky_relu -> conv -> mean: the path a WGAN-GP / R1 penalty takes,
  // with a strided, padded first layer and a bias.
  RandomState g(8);
  Tensor x = randn({2, 2, 6, 6}, kFloat64, &g), w1 = randn({3, 2, 4, 4}, kFloat64, &g),
         b1 = randn({3}, kFloat64, &g), w2 = randn({1, 3, 3, 3}, kFloat64, &g);
  for (Tensor* t : {&x, &w1, &b1, &w2}) t->requires_grad_(true);
  autograd::Fn critic = [](const Tensors& in) {
    Tensor h = leaky_relu(conv2d(in[0], in[1], in[2], {2, 2}, {1, 1}), 0.2);
    return Tensors{mean(conv2d(h, in[3]))};
  };
  auto r = autograd::gradgradcheck(critic, {x, w1, b1, w2});
  INFO(r.message);
  CHECK(r.ok);
}

TEST_CASE("a WGAN-GP style penalty trains through conv layers", "[gradgradcheck]") {
  // ||d D(x)/dx||: its gradient w.r.t. the critic weights needs the second
  // derivative of every layer; compare one weight entry with finite differences.
  RandomState g(9);
  Tensor x = randn({2, 1, 6, 6}, kFloat64, &g);
  x.requires_grad_(true);
  Tensor w1 = randn({2, 1, 3, 3}, kFloat64, &g), w2 = randn({1, 2, 4, 4}, kFloat64, &g);
  auto penalty = [&](const Tensor& w) {
    Tensor d = sum(conv2d(tanh(conv2d(x, w, Tensor(), {1, 1}, {1, 1})), w2));
    Tensor gx = autograd::grad({d}, {x}, {}, /*create_graph=*/true)[0];
    return mean(square(sub(sqrt(sum(square(gx), {1, 2, 3})), 1.0)));
  };
  Tensor w = w1.clone().detach();
  w.requires_grad_(true);
  Tensor gp = penalty(w);
  gp.backward();
  const double analytic = w.grad().to_vector<double>()[4];
  double* p = static_cast<double*>(w.raw_data()) + 4;
  const double eps = 1e-6, orig = *p;
  *p = orig + eps;
  const double up = penalty(w).item<double>();
  *p = orig - eps;
  const double down = penalty(w).item<double>();
  *p = orig;
  CHECK(analytic == Approx((up - down) / (2 * eps)).epsilon(1e-5));
  CHECK(analytic != 0.0);
}
