// tests/test_autograd.cpp — the engine's contract: accumulation into leaves,
// retain_graph, no_grad, detach, requires_grad_, autograd::grad with and
// without create_graph, frozen inputs, and errors.
#include <catch2/catch.hpp>

#include "autograd/ops.h"

using namespace gantry;

namespace {
Tensor leaf(std::vector<double> v, Shape s) {
  Tensor t = from_vector<double>(v, s);
  t.requires_grad_(true);
  return t;
}
std::vector<double> vals(const Tensor& t) { return t.to_vector<double>(); }
}  // namespace

TEST_CASE("backward accumulates into leaf .grad", "[autograd]") {
  Tensor x = leaf({1, 2, 3}, {3});
  Tensor y = sum(mul(x, x));  // dy/dx = 2x
  y.backward(Tensor(), /*retain_graph=*/true);
  CHECK(vals(x.grad()) == std::vector<double>{2, 4, 6});
  y.backward();  // accumulates
  CHECK(vals(x.grad()) == std::vector<double>{4, 8, 12});
  CHECK(x.is_leaf());
  CHECK_FALSE(y.is_leaf());
  CHECK(y.grad_fn() != nullptr);
}

TEST_CASE("a second backward without retain_graph is an error naming the node", "[autograd]") {
  Tensor x = leaf({1, 2}, {2});
  Tensor y = sum(exp(x));
  y.backward();
  CHECK_THROWS_WITH(y.backward(), Catch::Contains("second time") && Catch::Contains("retain_graph"));
}

TEST_CASE("a tensor used twice gets the sum of both paths", "[autograd]") {
  Tensor x = leaf({3}, {1});
  Tensor y = add(mul(x, x), mul(x, 4.0));  // y = x^2 + 4x -> 2x + 4 = 10
  sum(y).backward();
  CHECK(vals(x.grad()) == std::vector<double>{10});
}

TEST_CASE("backward with an explicit gradient and non-scalar outputs", "[autograd]") {
  Tensor x = leaf({1, 2}, {2});
  Tensor y = mul(x, 3.0);
  CHECK_THROWS_WITH(y.backward(), Catch::Contains("one-element"));
  y.backward(from_vector<double>({1, 10}, {2}));
  CHECK(vals(x.grad()) == std::vector<double>{3, 30});
}

TEST_CASE("no_grad records nothing, detach cuts the graph", "[autograd]") {
  Tensor x = leaf({1, 2}, {2});
  {
    NoGradGuard g;
    Tensor y = mul(x, 2.0);
    CHECK_FALSE(y.requires_grad());
    CHECK(y.grad_fn() == nullptr);
  }
  Tensor d = x.detach();
  CHECK_FALSE(d.requires_grad());
  CHECK(d.storage() == x.storage());
  Tensor y = add(mul(x, d), 0.0);  // d is a constant: dy/dx = d
  sum(y).backward();
  CHECK(vals(x.grad()) == std::vector<double>{1, 2});
}

TEST_CASE("requires_grad_ rules", "[autograd]") {
  CHECK_THROWS_WITH(zeros({2}, kInt64).requires_grad_(true), Catch::Contains("floating"));
  Tensor x = leaf({1}, {1});
  Tensor y = mul(x, 2.0);
  CHECK_THROWS_WITH(y.requires_grad_(false), Catch::Contains("leaf"));
  x.requires_grad_(false);
  CHECK_FALSE(mul(x, 2.0).requires_grad());
}

TEST_CASE("frozen inputs get no gradient and cost no weight-gradient work", "[autograd]") {
  // A "discriminator" weight w frozen while the "generator" input z trains.
  Tensor z = leaf({1, 2, 3, 4}, {2, 2});
  Tensor w = from_vector<double>({1, 0, 0, 1}, {2, 2});  // requires_grad = false
  Tensor out = sum(mm(z, w));
  out.backward();
  CHECK(z.grad().defined());
  CHECK_FALSE(w.grad().defined());
}

TEST_CASE("autograd::grad returns gradients without touching .grad", "[autograd]") {
  Tensor x = leaf({1, 2}, {2});
  Tensor w = leaf({3, 4}, {2});
  Tensor y = sum(mul(mul(x, x), w));  // dy/dx = 2xw, dy/dw = x^2
  Tensors g = autograd::grad({y}, {x});
  CHECK(vals(g[0]) == std::vector<double>{6, 16});
  CHECK_FALSE(x.grad().defined());
  CHECK_FALSE(w.grad().defined());
  CHECK_FALSE(g[0].requires_grad());  // no create_graph
}

TEST_CASE("autograd::grad with create_graph gives second derivatives", "[autograd]") {
  // Gradient penalty shape: gp = sum((dy/dx)^2); d gp / dx needs y''.
  Tensor x = leaf({0.5, -1.0}, {2});
  Tensor y = sum(mul(mul(x, x), x));  // y' = 3x^2, y'' = 6x
  Tensor gx = autograd::grad({y}, {x}, {}, /*create_graph=*/true)[0];
  CHECK(gx.requires_grad());
  CHECK(vals(gx) == std::vector<double>{0.75, 3.0});
  Tensor gp = sum(mul(gx, gx));  // sum 9x^4 -> d/dx = 36 x^3
  gp.backward();
  auto g = vals(x.grad());
  CHECK(g[0] == Approx(36 * 0.125));
  CHECK(g[1] == Approx(-36.0));
}

TEST_CASE("autograd::grad of a non-leaf input and of an unused input", "[autograd]") {
  Tensor x = leaf({2}, {1});
  Tensor h = mul(x, 3.0);
  Tensor y = sum(mul(h, h));  // dy/dh = 2h = 12
  CHECK(vals(autograd::grad({y}, {h}, {}, false, true)[0]) == std::vector<double>{12});
  Tensor u = leaf({1}, {1});
  CHECK_THROWS_WITH(autograd::grad({y}, {u}, {}, false, true), Catch::Contains("not used"));
  Tensors r = autograd::grad({y}, {u}, {}, false, true, /*allow_unused=*/true);
  CHECK_FALSE(r[0].defined());
}

TEST_CASE("backward of an output that does not require grad is an error", "[autograd]") {
  Tensor x = from_vector<double>({1}, {1});
  CHECK_THROWS_WITH(sum(x).backward(), Catch::Contains("does not require grad"));
}

TEST_CASE("gradients flow through views into the base", "[autograd]") {
  Tensor x = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor y = sum(mul(x.t().select(0, 1), 10.0));  // column 1 of x, times 10
  y.backward();
  CHECK(vals(x.grad()) == std::vector<double>{0, 10, 0, 0, 10, 0});
}

TEST_CASE("broadcast gradients are summed back to the operand's shape", "[autograd]") {
  Tensor a = leaf({1, 2, 3}, {3});
  Tensor b = leaf({1, 1, 1, 1, 1, 1}, {2, 3});
  sum(mul(a, b)).backward();
  CHECK(a.grad().shape() == Shape{3});
  CHECK(vals(a.grad()) == std::vector<double>{2, 2, 2});
  CHECK(vals(b.grad()) == std::vector<double>{1, 2, 3, 1, 2, 3});
}

TEST_CASE("autograd::grad asks no node for gradients it will not use", "[autograd]") {
  // w requires grad, but only d/da is requested: the backward of this op must
  // be told not to compute d/dw (the gradient-penalty case: no weight GEMMs).
  Tensor a = leaf({1, 2}, {2});
  Tensor w = leaf({3, 4}, {2});
  std::vector<bool> seen;
  Tensor y = detach(mul(a, w));
  autograd::record("ProbeBackward", {a, w}, {y},
                   [&seen, a, w](const Tensors& g, const std::vector<bool>& need) {
                     seen = need;
                     return Tensors{need[0] ? mul(g[0], w) : Tensor(),
                                    need[1] ? mul(g[0], a) : Tensor()};
                   });
  Tensor ga = autograd::grad({sum(y)}, {a})[0];
  CHECK(vals(ga) == std::vector<double>{3, 4});
  REQUIRE(seen.size() == 2);
  CHECK(seen[0]);
  CHECK_FALSE(seen[1]);
}

TEST_CASE("leaf gradients never share memory with each other or the caller", "[autograd]") {
  Tensor x = leaf({1, 2}, {2}), y = leaf({3, 4}, {2});
  Tensor G = from_vector<double>({1, 1}, {2});
  add(x, y).backward(G);
  CHECK(x.grad().storage() != y.grad().storage());
  CHECK(x.grad().storage() != G.storage());
  core::fill_(x.grad(), 0.0);  // an in-place zero-grad must not touch y.grad or G
  CHECK(vals(y.grad()) == std::vector<double>{1, 1});
  CHECK(vals(G) == std::vector<double>{1, 1});
}
