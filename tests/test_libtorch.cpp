// tests/test_libtorch.cpp — cross-check against LibTorch (Debian's
// libtorch-dev, a test-only dependency): conv2d, conv_transpose2d and
// batch_norm outputs and gradients on random float32 inputs must match.
// Built only when CMake finds Torch; otherwise a stub reports "skipped".
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "autograd/ops.h"
#include "core/rng.h"

namespace {

using gantry::Tensor;

torch::Tensor to_torch(const Tensor& t) {
  auto v = t.to_vector<float>();
  std::vector<int64_t> s(t.shape().begin(), t.shape().end());
  return torch::from_blob(v.data(), s, torch::kFloat32).clone();
}

// max |a - b| <= atol + rtol * max |b|, reported with both tensors' sizes.
void check_close(const Tensor& ours, const torch::Tensor& theirs, const char* what,
                 double tol = 1e-4) {
  INFO(what << ": shapes " << gantry::shape_str(ours.shape()) << " vs " << theirs.sizes());
  REQUIRE(ours.shape() == gantry::Shape(theirs.sizes().begin(), theirs.sizes().end()));
  torch::Tensor o = to_torch(ours);
  const double err = (o - theirs).abs().max().item<double>();
  const double scale = std::max(1.0, theirs.abs().max().item<double>());
  INFO(what << ": max abs error " << err << " (scale " << scale << ")");
  CHECK(err <= tol * scale);
}

struct ConvCase {
  const char* name;
  gantry::Shape x, w;
  gantry::Pair stride, padding, dilation, output_padding;
  int64_t groups;
};

}  // namespace

TEST_CASE("libtorch: conv2d forward and gradients match", "[libtorch]") {
  torch::manual_seed(0);
  const ConvCase cases[] = {
      {"plain 3x3", {2, 3, 9, 8}, {5, 3, 3, 3}, {1, 1}, {0, 0}, {1, 1}, {0, 0}, 1},
      {"dcgan D layer k4 s2 p1", {4, 8, 16, 16}, {16, 8, 4, 4}, {2, 2}, {1, 1}, {1, 1}, {0, 0}, 1},
      {"dilation 2, groups 2, odd sizes", {2, 4, 11, 7}, {6, 2, 3, 2}, {1, 2}, {2, 1}, {2, 1}, {0, 0}, 2},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      gantry::RandomState g(11);
      Tensor x = gantry::randn(c.x, {}, &g), w = gantry::randn(c.w, {}, &g),
             b = gantry::randn({c.w[0]}, {}, &g);
      x.requires_grad_(true);
      w.requires_grad_(true);
      b.requires_grad_(true);
      Tensor y = gantry::conv2d(x, w, b, c.stride, c.padding, c.dilation, c.groups);
      Tensor gy = gantry::randn(y.shape(), {}, &g);
      y.backward(gy);

      auto tx = to_torch(x).requires_grad_(), tw = to_torch(w).requires_grad_(),
           tb = to_torch(b).requires_grad_();
      auto ty = torch::conv2d(tx, tw, tb, {c.stride[0], c.stride[1]}, {c.padding[0], c.padding[1]},
                              {c.dilation[0], c.dilation[1]}, c.groups);
      ty.backward(to_torch(gy));
      check_close(y, ty, "output");
      check_close(x.grad(), tx.grad(), "grad input");
      check_close(w.grad(), tw.grad(), "grad weight");
      check_close(b.grad(), tb.grad(), "grad bias");
    }
  }
}

TEST_CASE("libtorch: conv_transpose2d forward and gradients match", "[libtorch]") {
  const ConvCase cases[] = {
      {"dcgan G layer 1 (100->256, k4 s1 p0)", {4, 100, 1, 1}, {100, 32, 4, 4}, {1, 1}, {0, 0}, {1, 1}, {0, 0}, 1},
      {"dcgan G layer 2 (k3 s2 p1)", {4, 32, 4, 4}, {32, 16, 3, 3}, {2, 2}, {1, 1}, {1, 1}, {0, 0}, 1},
      {"k4 s2 p1", {2, 16, 7, 7}, {16, 8, 4, 4}, {2, 2}, {1, 1}, {1, 1}, {0, 0}, 1},
      {"output_padding, groups 2, dilation", {2, 4, 5, 6}, {4, 3, 3, 3}, {2, 3}, {1, 0}, {2, 1}, {1, 2}, 2},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      gantry::RandomState g(12);
      Tensor x = gantry::randn(c.x, {}, &g), w = gantry::randn(c.w, {}, &g),
             b = gantry::randn({c.w[1] * c.groups}, {}, &g);
      x.requires_grad_(true);
      w.requires_grad_(true);
      b.requires_grad_(true);
      Tensor y = gantry::conv_transpose2d(x, w, b, c.stride, c.padding, c.output_padding,
                                          c.groups, c.dilation);
      Tensor gy = gantry::randn(y.shape(), {}, &g);
      y.backward(gy);

      auto tx = to_torch(x).requires_grad_(), tw = to_torch(w).requires_grad_(),
           tb = to_torch(b).requires_grad_();
      auto ty = torch::conv_transpose2d(tx, tw, tb, {c.stride[0], c.stride[1]},
                                        {c.padding[0], c.padding[1]},
                                        {c.output_padding[0], c.output_padding[1]}, c.groups,
                                        {c.dilation[0], c.dilation[1]});
      ty.backward(to_torch(gy));
      check_close(y, ty, "output");
      check_close(x.grad(), tx.grad(), "grad input");
      check_close(w.grad(), tw.grad(), "grad weight");
      check_close(b.grad(), tb.grad(), "grad bias");
    }
  }
}

TEST_CASE("libtorch: batch_norm training, running stats and eval match", "[libtorch]") {
  gantry::RandomState g(13);
  Tensor x = gantry::add(gantry::mul(gantry::randn({8, 6, 5, 5}, {}, &g), 3.0), 2.0);
  Tensor w = gantry::randn({6}, {}, &g), b = gantry::randn({6}, {}, &g);
  x.requires_grad_(true);
  w.requires_grad_(true);
  b.requires_grad_(true);
  Tensor rm = gantry::zeros({6}), rv = gantry::ones({6});
  Tensor y = gantry::batch_norm(x, rm, rv, w, b, /*training=*/true, 0.1, 1e-5);
  Tensor gy = gantry::randn(y.shape(), {}, &g);
  y.backward(gy);

  auto tx = to_torch(x).requires_grad_(), tw = to_torch(w).requires_grad_(),
       tb = to_torch(b).requires_grad_();
  auto trm = torch::zeros({6}), trv = torch::ones({6});
  auto ty = torch::batch_norm(tx, tw, tb, trm, trv, /*training=*/true, 0.1, 1e-5, false);
  ty.backward(to_torch(gy));
  check_close(y, ty, "train output");
  check_close(x.grad(), tx.grad(), "grad input");
  check_close(w.grad(), tw.grad(), "grad weight");
  check_close(b.grad(), tb.grad(), "grad bias");
  check_close(rm, trm, "running_mean");
  check_close(rv, trv, "running_var (unbiased)");

  Tensor ye = gantry::batch_norm(x.detach(), rm, rv, w.detach(), b.detach(), false);
  torch::NoGradGuard ng;
  auto tye = torch::batch_norm(tx.detach(), tw.detach(), tb.detach(), trm, trv, false, 0.1, 1e-5,
                               false);
  check_close(ye, tye, "eval output");
}
