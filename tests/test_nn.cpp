// tests/test_nn.cpp — nn/: every layer's forward and backward against float64
// references written here as plain loops (not the ops the layers call), the
// Module machinery (dotted names in registration order, train/eval, freezing,
// device moves), state_dict round trips and strict-load errors, repr strings,
// and the statistics of the initializers (PyTorch defaults, DCGAN's).
#include <catch2/catch.hpp>

#include <stdexcept>

#include "tests/test_util.h"

#include <cmath>
#include <numeric>

#include "core/rng.h"
#include "nn/init.h"
#include "nn/layers.h"

using namespace gantry;
using testutil::Vec;

namespace {

using testutil::check_close;
using testutil::vals;

double mean_of(const Vec& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); }
double std_of(const Vec& v) {
  const double m = mean_of(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / (v.size() - 1));
}

// L = sum(y * r) for a fixed random r: its gradients are r pulled back.
Tensor weighted_sum(const Tensor& y, const Tensor& r) { return sum(mul(y, r)); }

// ---- direct-loop references (float64), computing the output and, for
// L = sum(y * r), the gradients of x, w and b in the same pass over every
// (input element, weight element) contribution.
struct ConvRef {
  Vec y, dx, dw, db;
  Shape yshape;
};

// conv2d: x [N,C,H,W], w [O,C,K,K], b [O].
ConvRef conv2d_ref(const Tensor& xt, const Tensor& wt, const Tensor& bt, const Tensor& rt,
                   int64_t s, int64_t p, int64_t d) {
  const Vec x = vals(xt), w = vals(wt), b = vals(bt);
  const int64_t N = xt.size(0), C = xt.size(1), H = xt.size(2), W = xt.size(3);
  const int64_t O = wt.size(0), K = wt.size(2);
  const int64_t OH = (H + 2 * p - d * (K - 1) - 1) / s + 1, OW = (W + 2 * p - d * (K - 1) - 1) / s + 1;
  ConvRef R;
  R.yshape = {N, O, OH, OW};
  R.y.assign(N * O * OH * OW, 0);
  R.dx.assign(x.size(), 0);
  R.dw.assign(w.size(), 0);
  R.db.assign(O, 0);
  const Vec r = vals(rt);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < O; ++o)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          const int64_t yi = ((n * O + o) * OH + oh) * OW + ow;
          double acc = b[o];
          for (int64_t c = 0; c < C; ++c)
            for (int64_t kh = 0; kh < K; ++kh)
              for (int64_t kw = 0; kw < K; ++kw) {
                const int64_t ih = oh * s - p + kh * d, iw = ow * s - p + kw * d;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                const int64_t xi = ((n * C + c) * H + ih) * W + iw;
                const int64_t wi = ((o * C + c) * K + kh) * K + kw;
                acc += x[xi] * w[wi];
                R.dx[xi] += r[yi] * w[wi];
                R.dw[wi] += r[yi] * x[xi];
              }
          R.y[yi] = acc;
          R.db[o] += r[yi];
        }
  return R;
}

// conv_transpose2d: x [N,C,H,W], w [C,O,K,K], b [O]; every input element
// scatters x * w into y at (ih*s - p + kh, iw*s - p + kw).
ConvRef conv_transpose2d_ref(const Tensor& xt, const Tensor& wt, const Tensor& bt,
                             const Tensor& rt, int64_t s, int64_t p, int64_t op) {
  const Vec x = vals(xt), w = vals(wt), b = vals(bt), r = vals(rt);
  const int64_t N = xt.size(0), C = xt.size(1), H = xt.size(2), W = xt.size(3);
  const int64_t O = wt.size(1), K = wt.size(2);
  const int64_t OH = (H - 1) * s - 2 * p + (K - 1) + op + 1, OW = (W - 1) * s - 2 * p + (K - 1) + op + 1;
  ConvRef R;
  R.yshape = {N, O, OH, OW};
  R.y.assign(N * O * OH * OW, 0);
  R.dx.assign(x.size(), 0);
  R.dw.assign(w.size(), 0);
  R.db.assign(O, 0);
  REQUIRE(static_cast<int64_t>(r.size()) == N * O * OH * OW);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < O; ++o)
      for (int64_t i = 0; i < OH * OW; ++i) {
        R.y[(n * O + o) * OH * OW + i] = b[o];
        R.db[o] += r[(n * O + o) * OH * OW + i];
      }
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t ih = 0; ih < H; ++ih)
        for (int64_t iw = 0; iw < W; ++iw) {
          const int64_t xi = ((n * C + c) * H + ih) * W + iw;
          for (int64_t o = 0; o < O; ++o)
            for (int64_t kh = 0; kh < K; ++kh)
              for (int64_t kw = 0; kw < K; ++kw) {
                const int64_t oh = ih * s - p + kh, ow = iw * s - p + kw;
                if (oh < 0 || oh >= OH || ow < 0 || ow >= OW) continue;
                const int64_t yi = ((n * O + o) * OH + oh) * OW + ow;
                const int64_t wi = ((c * O + o) * K + kh) * K + kw;
                R.y[yi] += x[xi] * w[wi];
                R.dx[xi] += r[yi] * w[wi];
                R.dw[wi] += r[yi] * x[xi];
              }
        }
  return R;
}

// A module with a nested Sequential, named as a DCGAN generator would be.
struct Net : nn::Module {
  std::shared_ptr<nn::Sequential> main;
  std::shared_ptr<nn::Linear> head;
  Net() {
    main = register_module("main", std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
                                       std::make_shared<nn::Conv2d>(1, 4, 3, 1, 1, false),
                                       std::make_shared<nn::BatchNorm2d>(4),
                                       std::make_shared<nn::LeakyReLU>(0.2)}));
    head = register_module("head", std::make_shared<nn::Linear>(4 * 3 * 3, 2));
  }
  Tensor forward(const Tensor& x) override { return head->forward(flatten(main->forward(x), 1)); }
};

}  // namespace

// ----------------------------------------------------------------- layers
TEST_CASE("Linear: forward and backward match loops", "[nn]") {
  manual_seed(1);
  nn::Linear lin(4, 5);
  Tensor x = randn({3, 4}).requires_grad_();
  Tensor r = randn({3, 5});
  Tensor y = lin.forward(x);
  REQUIRE(y.shape() == Shape{3, 5});
  weighted_sum(y, r).backward();

  const Vec xv = vals(x), w = vals(lin.weight), b = vals(lin.bias), rv = vals(r);
  Vec ye(15), dx(12, 0), dw(20, 0), db(5, 0);
  for (int n = 0; n < 3; ++n)
    for (int o = 0; o < 5; ++o) {
      double acc = b[o];
      for (int i = 0; i < 4; ++i) {
        acc += xv[n * 4 + i] * w[o * 4 + i];
        dx[n * 4 + i] += rv[n * 5 + o] * w[o * 4 + i];
        dw[o * 4 + i] += rv[n * 5 + o] * xv[n * 4 + i];
      }
      ye[n * 5 + o] = acc;
      db[o] += rv[n * 5 + o];
    }
  check_close(vals(y), ye, 1e-5, "y");
  check_close(vals(x.grad()), dx, 1e-5, "dx");
  check_close(vals(lin.weight.grad()), dw, 1e-5, "dw");
  check_close(vals(lin.bias.grad()), db, 1e-5, "db");

  nn::Linear nb(4, 2, false);
  CHECK_FALSE(nb.bias.defined());
  CHECK(nb.named_parameters().size() == 1);
  CHECK(nb.forward(randn({2, 3, 4})).shape() == Shape{2, 3, 2});
  CHECK(lin.repr() == "Linear(in_features=4, out_features=5, bias=True)");
  CHECK(nb.repr() == "Linear(in_features=4, out_features=2, bias=False)");
}

TEST_CASE("Conv2d: equals the functional op and a direct loop, forward and backward", "[nn]") {
  manual_seed(2);
  nn::Conv2d conv(2, 3, {3, 3}, {2, 2}, {1, 1}, true, {1, 1});
  Tensor x = randn({2, 2, 5, 6}).requires_grad_();
  Tensor y = conv.forward(x);
  {
    NoGradGuard ng;
    CHECK(vals(y) == vals(conv2d(x, conv.weight, conv.bias, {2, 2}, {1, 1})));
  }
  Tensor r = randn(y.shape());
  weighted_sum(y, r).backward();
  ConvRef R = conv2d_ref(x, conv.weight, conv.bias, r, 2, 1, 1);
  REQUIRE(y.shape() == R.yshape);
  check_close(vals(y), R.y, 1e-5, "y");
  check_close(vals(x.grad()), R.dx, 1e-5, "dx");
  check_close(vals(conv.weight.grad()), R.dw, 1e-5, "dw");
  check_close(vals(conv.bias.grad()), R.db, 1e-5, "db");

  // Dilation 2, no padding, no bias.
  nn::Conv2d dil(2, 2, {3, 3}, {1, 1}, {0, 0}, false, {2, 2});
  Tensor x2 = randn({1, 2, 7, 7});
  Tensor y2 = dil.forward(x2);
  ConvRef R2 = conv2d_ref(x2, dil.weight, zeros({2}), zeros(y2.shape()), 1, 0, 2);
  REQUIRE(y2.shape() == R2.yshape);
  check_close(vals(y2), R2.y, 1e-5, "dilated y");

  CHECK(conv.repr() == "Conv2d(2, 3, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))");
  CHECK(nn::Conv2d(1, 64, 4, 2, 1, false).repr() ==
        "Conv2d(1, 64, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1), bias=False)");
  CHECK(dil.repr() == "Conv2d(2, 2, kernel_size=(3, 3), stride=(1, 1), dilation=(2, 2), bias=False)");
  CHECK_THROWS_WITH(nn::Conv2d(3, 4, {3, 3}, {1, 1}, {0, 0}, true, {1, 1}, 2),
                    Catch::Contains("groups 2") && Catch::Contains("in_channels 3"));
}

TEST_CASE("ConvTranspose2d: equals the functional op and a direct loop, forward and backward",
          "[nn]") {
  manual_seed(3);
  nn::ConvTranspose2d ct(3, 2, {3, 3}, {2, 2}, {1, 1}, {1, 1});
  REQUIRE(ct.weight.shape() == Shape{3, 2, 3, 3});
  Tensor x = randn({2, 3, 3, 4}).requires_grad_();
  Tensor y = ct.forward(x);
  {
    NoGradGuard ng;
    CHECK(vals(y) == vals(conv_transpose2d(x, ct.weight, ct.bias, {2, 2}, {1, 1}, {1, 1})));
  }
  Tensor r = randn(y.shape());
  weighted_sum(y, r).backward();
  ConvRef R = conv_transpose2d_ref(x, ct.weight, ct.bias, r, 2, 1, 1);
  REQUIRE(y.shape() == R.yshape);  // [2,2,6,8]
  check_close(vals(y), R.y, 1e-5, "y");
  check_close(vals(x.grad()), R.dx, 1e-5, "dx");
  check_close(vals(ct.weight.grad()), R.dw, 1e-5, "dw");
  check_close(vals(ct.bias.grad()), R.db, 1e-5, "db");

  // The DCGAN generator's first layer: [N,100,1,1] -> [N,64,4,4].
  nn::ConvTranspose2d g0(100, 64, 4, 1, 0, false);
  CHECK(g0.forward(randn({2, 100, 1, 1})).shape() == Shape{2, 64, 4, 4});
  CHECK(g0.repr() == "ConvTranspose2d(100, 64, kernel_size=(4, 4), stride=(1, 1), bias=False)");
  CHECK(ct.repr() ==
        "ConvTranspose2d(3, 2, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), "
        "output_padding=(1, 1))");
}

TEST_CASE("recompute_batchnorm_stats: the plain average of the batch statistics (standing stats)", "[nn]") {
  manual_seed(11);
  const int64_t N = 3, C = 2, HW = 4, K = 3;
  auto net = std::make_shared<nn::Sequential>();
  auto lin = std::make_shared<nn::Linear>(HW, HW);  // not a BatchNorm: untouched
  net->push_back(lin);
  auto bn = std::make_shared<nn::BatchNorm2d>(C, 1e-5, 0.25);
  net->push_back(bn);
  // Running stats far from the answer, and eval mode: both must not matter.
  core::fill_(bn->running_mean, 7.0);
  core::fill_(bn->running_var, 9.0);
  net->eval();
  std::vector<Tensor> batches;  // [N, C, 1, HW] each, different means and scales
  for (int64_t k = 0; k < K; ++k) batches.push_back(add(mul(randn({N, C, 1, HW}), 1.0 + k), 2.0 * k));
  int64_t call = 0;
  std::vector<Vec> seen;  // the BatchNorm's inputs, as the Linear made them
  nn::recompute_batchnorm_stats(*net, K, [&] {
    Tensor h = lin->forward(batches[call++]);
    seen.push_back(vals(h));
    bn->forward(h);
  });
  CHECK(call == K);
  CHECK(!net->is_training());
  CHECK(bn->momentum == 0.25);
  CHECK(bn->num_batches_tracked.item<int64_t>() == K);
  Vec want_mean(C, 0.0), want_var(C, 0.0);
  const double M = N * HW;
  for (int64_t c = 0; c < C; ++c)
    for (int64_t k = 0; k < K; ++k) {
      double mu = 0, var = 0;
      for (int64_t n = 0; n < N; ++n)
        for (int64_t i = 0; i < HW; ++i) mu += seen[k][(n * C + c) * HW + i];
      mu /= M;
      for (int64_t n = 0; n < N; ++n)
        for (int64_t i = 0; i < HW; ++i) var += std::pow(seen[k][(n * C + c) * HW + i] - mu, 2);
      want_mean[c] += mu / K;
      want_var[c] += var / (M - 1) / K;  // unbiased, as the running estimate is
    }
  check_close(vals(bn->running_mean), want_mean, 1e-5, "standing mean");
  check_close(vals(bn->running_var), want_var, 1e-5, "standing var");
  CHECK(nn::batchnorm_layers(*net).size() == 1);
  CHECK_THROWS_WITH(nn::recompute_batchnorm_stats(*net, 0, [] {}), Catch::Contains("batches must be >= 1"));
  // A BatchNorm that forward never reaches keeps its statistics; a forward
  // that throws leaves every layer as it was.
  auto unused = std::make_shared<nn::BatchNorm2d>(C);
  net->push_back(unused);
  core::fill_(unused->running_mean, 3.0);
  const Vec kept_mean = vals(bn->running_mean);
  call = 0;
  seen.clear();
  nn::recompute_batchnorm_stats(*net, K, [&] { bn->forward(lin->forward(batches[call++])); });
  CHECK(vals(unused->running_mean) == Vec(C, 3.0));
  CHECK(unused->num_batches_tracked.item<int64_t>() == 0);
  check_close(vals(bn->running_mean), kept_mean, 1e-6, "the same batches, the same average");
  CHECK_THROWS_WITH(nn::recompute_batchnorm_stats(*net, K, [&] {
                      bn->forward(lin->forward(batches[0]));
                      throw Error("boom");
                    }),
                    Catch::Contains("boom"));
  check_close(vals(bn->running_mean), kept_mean, 1e-6, "restored after a throw");
  CHECK(bn->num_batches_tracked.item<int64_t>() == K);
  CHECK(!bn->cumulative);
  CHECK(!net->is_training());
  // Cumulative mode on its own: PyTorch's momentum=None.
  nn::BatchNorm2d cum(C);
  cum.cumulative = true;
  CHECK(cum.repr() == "BatchNorm2d(2, eps=1e-05, momentum=None, affine=True, track_running_stats=True)");
  for (int64_t k = 0; k < K; ++k) cum.forward(lin->forward(batches[k]));
  check_close(vals(cum.running_mean), want_mean, 1e-5, "cumulative mean");
  check_close(vals(cum.running_var), want_var, 1e-5, "cumulative var");
  // A network without BatchNorm: forward is never called.
  nn::Linear plain(2, 2);
  bool called = false;
  nn::recompute_batchnorm_stats(plain, 4, [&] { called = true; });
  CHECK(!called);
}

TEST_CASE("BatchNorm2d: training and eval against loops, running stats, counter", "[nn]") {
  manual_seed(4);
  nn::BatchNorm2d bn(3);
  CHECK(bn.num_batches_tracked.dtype() == kInt64);
  CHECK(bn.num_batches_tracked.dim() == 0);
  CHECK(vals(bn.weight) == Vec{1, 1, 1});
  CHECK(vals(bn.bias) == Vec{0, 0, 0});
  CHECK(vals(bn.running_mean) == Vec{0, 0, 0});
  CHECK(vals(bn.running_var) == Vec{1, 1, 1});
  core::copy_(bn.weight, from_vector<double>({0.5, 2.0, -1.0}, {3}));
  core::copy_(bn.bias, from_vector<double>({0.1, -0.2, 0.3}, {3}));

  const int64_t N = 4, C = 3, HW = 5;
  Tensor x = add(mul(randn({N, C, 1, HW}), 2.0), 1.0).requires_grad_();
  Tensor r = randn({N, C, 1, HW});
  Tensor y = bn.forward(x);
  weighted_sum(y, r).backward();

  const Vec xv = vals(x), rv = vals(r), w = {0.5, 2.0, -1.0}, b = {0.1, -0.2, 0.3};
  Vec ye(xv.size()), dx(xv.size()), dw(C, 0), db(C, 0), rm(C), rvar(C);
  const double M = N * HW, eps = 1e-5;
  for (int64_t c = 0; c < C; ++c) {
    auto at = [&](int64_t n, int64_t i) { return (n * C + c) * HW + i; };
    double mu = 0, var = 0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < HW; ++i) mu += xv[at(n, i)];
    mu /= M;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < HW; ++i) var += (xv[at(n, i)] - mu) * (xv[at(n, i)] - mu);
    var /= M;  // biased, for normalization
    const double inv = 1 / std::sqrt(var + eps);
    double sr = 0, srx = 0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < HW; ++i) {
        const double xh = (xv[at(n, i)] - mu) * inv;
        ye[at(n, i)] = xh * w[c] + b[c];
        sr += rv[at(n, i)];
        srx += rv[at(n, i)] * xh;
      }
    dw[c] = srx;
    db[c] = sr;
    // dx = w * inv * (r - mean(r) - xhat * mean(r * xhat))
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < HW; ++i) {
        const double xh = (xv[at(n, i)] - mu) * inv;
        dx[at(n, i)] = w[c] * inv * (rv[at(n, i)] - sr / M - xh * srx / M);
      }
    rm[c] = 0.9 * 0 + 0.1 * mu;
    rvar[c] = 0.9 * 1 + 0.1 * var * M / (M - 1);  // unbiased in the running estimate
  }
  check_close(vals(y), ye, 1e-5, "train y");
  check_close(vals(x.grad()), dx, 1e-4, "dx");
  check_close(vals(bn.weight.grad()), dw, 1e-5, "dweight");
  check_close(vals(bn.bias.grad()), db, 1e-5, "dbias");
  check_close(vals(bn.running_mean), rm, 1e-6, "running_mean");
  check_close(vals(bn.running_var), rvar, 1e-6, "running_var");
  CHECK(bn.num_batches_tracked.item<int64_t>() == 1);
  bn.forward(x);
  CHECK(bn.num_batches_tracked.item<int64_t>() == 2);

  // Eval: normalizes with the running stats and changes nothing.
  bn.eval();
  CHECK_FALSE(bn.is_training());
  const Vec rm2 = vals(bn.running_mean), rv2 = vals(bn.running_var);
  Tensor ye2 = bn.forward(x);
  Vec want(xv.size());
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < HW; ++i) {
        const int64_t k = (n * C + c) * HW + i;
        want[k] = (xv[k] - rm2[c]) / std::sqrt(rv2[c] + eps) * w[c] + b[c];
      }
  check_close(vals(ye2), want, 1e-5, "eval y");
  CHECK(vals(bn.running_mean) == rm2);
  CHECK(bn.num_batches_tracked.item<int64_t>() == 2);

  CHECK(bn.repr() == "BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)");
  CHECK_THROWS_WITH(bn.forward(randn({2, 4, 2, 2})), Catch::Contains("4 channels"));
  CHECK_THROWS_WITH(bn.forward(randn({2, 3})), Catch::Contains("[N,C,H,W]"));
  nn::BatchNorm2d plain(2, 1e-3, 0.2, false);
  CHECK_FALSE(plain.weight.defined());
  CHECK(plain.named_parameters().empty());
  CHECK(plain.named_buffers().size() == 3);
}

TEST_CASE("LayerNorm, Embedding, Upsample, activations, Flatten", "[nn]") {
  manual_seed(5);
  // LayerNorm over the last dim, with weights set to known values.
  nn::LayerNorm ln({4});
  core::copy_(ln.weight, from_vector<double>({1, 2, 3, 4}, {4}));
  core::copy_(ln.bias, from_vector<double>({0, 1, 0, -1}, {4}));
  Tensor x = randn({3, 4});
  const Vec xv = vals(x);
  Vec want(12);
  for (int n = 0; n < 3; ++n) {
    double mu = 0, var = 0;
    for (int i = 0; i < 4; ++i) mu += xv[n * 4 + i] / 4;
    for (int i = 0; i < 4; ++i) var += (xv[n * 4 + i] - mu) * (xv[n * 4 + i] - mu) / 4;
    for (int i = 0; i < 4; ++i)
      want[n * 4 + i] = (xv[n * 4 + i] - mu) / std::sqrt(var + 1e-5) * (i + 1) + Vec{0, 1, 0, -1}[i];
  }
  check_close(vals(ln.forward(x)), want, 1e-5, "layer_norm");
  CHECK(ln.repr() == "LayerNorm((4,), eps=1e-05, elementwise_affine=True)");

  // Embedding: rows of the table, gradient summed per row.
  nn::Embedding emb(5, 3);
  Tensor idx = from_vector<int64_t>({4, 0, 4, 2}, {2, 2});
  Tensor e = emb.forward(idx);
  REQUIRE(e.shape() == Shape{2, 2, 3});
  const Vec wv = vals(emb.weight), ev = vals(e);
  const int64_t rows[4] = {4, 0, 4, 2};
  for (int k = 0; k < 4; ++k)
    for (int j = 0; j < 3; ++j) CHECK(ev[k * 3 + j] == wv[rows[k] * 3 + j]);
  sum(e).backward();
  CHECK(vals(emb.weight.grad()) == Vec{1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 2, 2, 2});
  CHECK(emb.repr() == "Embedding(5, 3)");
  nn::Embedding big(1000, 100);
  const Vec bw = vals(big.weight);
  CHECK(std::abs(mean_of(bw)) < 0.02);
  CHECK(std::abs(std_of(bw) - 1.0) < 0.02);

  // Upsample (nearest, x2): each pixel becomes a 2x2 block.
  nn::Upsample up(2.0);
  Tensor u = up.forward(from_vector<double>({1, 2, 3, 4}, {1, 1, 2, 2}));
  CHECK(u.shape() == Shape{1, 1, 4, 4});
  CHECK(vals(u) == Vec{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
  CHECK(up.repr() == "Upsample(scale_factor=2.0, mode='nearest')");
  CHECK(nn::Upsample(2.0, true).forward(randn({1, 2, 3, 3})).shape() == Shape{1, 2, 6, 6});

  Tensor a = from_vector<double>({-2, -0.5, 0, 1.5}, {4});
  CHECK(vals(nn::ReLU().forward(a)) == Vec{0, 0, 0, 1.5});
  CHECK(vals(nn::LeakyReLU(0.2).forward(a)) == Vec{-0.4, -0.1, 0, 1.5});
  CHECK(vals(nn::Tanh().forward(a))[3] == Approx(std::tanh(1.5)));
  CHECK(vals(nn::Sigmoid().forward(a))[0] == Approx(1 / (1 + std::exp(2.0))));
  CHECK(nn::Flatten().forward(randn({2, 3, 4})).shape() == Shape{2, 12});
  CHECK(nn::LeakyReLU(0.2).repr() == "LeakyReLU(negative_slope=0.2)");
  CHECK(nn::ReLU().repr() == "ReLU()");
  CHECK(nn::Flatten().repr() == "Flatten(start_dim=1, end_dim=-1)");
}

TEST_CASE("Dropout: statistics and scaling in training, identity in eval", "[nn]") {
  manual_seed(6);
  nn::Dropout drop(0.3);
  Tensor x = ones({200000}).requires_grad_();
  Tensor y = drop.forward(x);
  const Vec yv = vals(y);
  size_t zeros_n = 0;
  for (double v : yv) {
    if (v == 0) {
      ++zeros_n;
    } else {
      REQUIRE(v == Approx(1 / 0.7).epsilon(1e-6));
    }
  }
  const double frac = static_cast<double>(zeros_n) / yv.size();
  CHECK(std::abs(frac - 0.3) < 0.005);  // ~5 standard deviations
  CHECK(std::abs(mean_of(yv) - 1.0) < 0.01);
  // The gradient is the same mask and scale.
  sum(y).backward();
  CHECK(vals(x.grad()) == yv);
  // A second call draws a different mask.
  CHECK(vals(drop.forward(x)) != yv);

  drop.eval();
  Tensor z = randn({10});
  CHECK(vals(drop.forward(z)) == vals(z));
  drop.train();
  CHECK(vals(nn::Dropout(0.0).forward(z)) == vals(z));
  CHECK(vals(nn::Dropout(1.0).forward(z)) == Vec(10, 0.0));
  CHECK(drop.repr() == "Dropout(p=0.3, inplace=False)");
  CHECK_THROWS_WITH(nn::Dropout(1.5), Catch::Contains("1.5"));
}

// --------------------------------------------------------------- Module
TEST_CASE("Sequential: children named 0, 1, ..., run in order, repr", "[nn]") {
  manual_seed(7);
  auto l0 = std::make_shared<nn::Linear>(2, 3);
  auto l2 = std::make_shared<nn::Linear>(3, 1);
  nn::Sequential seq({l0, std::make_shared<nn::ReLU>(), l2});
  CHECK(seq.size() == 3);
  auto np = seq.named_parameters();
  REQUIRE(np.size() == 4);
  CHECK(np[0].first == "0.weight");
  CHECK(np[1].first == "0.bias");
  CHECK(np[2].first == "2.weight");
  CHECK(np[3].first == "2.bias");
  CHECK(np[0].second.is_same(l0->weight));
  auto ch = seq.named_children();
  REQUIRE(ch.size() == 3);
  CHECK(ch[1].first == "1");
  Tensor x = randn({4, 2});
  CHECK(vals(seq.forward(x)) == vals(l2->forward(relu(l0->forward(x)))));
  CHECK(seq.repr() ==
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Linear(in_features=3, out_features=1, bias=True)\n"
        ")");
  nn::Sequential empty_seq;
  CHECK(vals(empty_seq.forward(x)) == vals(x));
  CHECK(empty_seq.repr() == "Sequential()");
}

TEST_CASE("Module: dotted names in registration order, buffers, modes, freezing", "[nn]") {
  manual_seed(8);
  Net net;
  auto np = net.named_parameters();
  std::vector<std::string> names;
  for (auto& p : np) names.push_back(p.first);
  CHECK(names == std::vector<std::string>{"main.0.weight", "main.1.weight", "main.1.bias",
                                          "head.weight", "head.bias"});
  std::vector<std::string> bnames;
  for (auto& b : net.named_buffers()) bnames.push_back(b.first);
  CHECK(bnames == std::vector<std::string>{"main.1.running_mean", "main.1.running_var",
                                           "main.1.num_batches_tracked"});
  std::vector<std::string> snames;
  for (auto& e : net.state_dict()) snames.push_back(e.first);
  CHECK(snames == std::vector<std::string>{"main.0.weight", "main.1.weight", "main.1.bias",
                                           "main.1.running_mean", "main.1.running_var",
                                           "main.1.num_batches_tracked", "head.weight",
                                           "head.bias"});
  CHECK(net.parameters().size() == 5);
  for (auto& p : net.parameters()) CHECK(p.requires_grad());

  // Forward/backward through the tree; zero_grad clears, requires_grad_ freezes.
  Tensor y = net.forward(randn({2, 1, 3, 3}));
  CHECK(y.shape() == Shape{2, 2});
  sum(y).backward();
  for (auto& p : net.parameters()) CHECK(p.grad().defined());
  net.zero_grad();
  for (auto& p : net.parameters()) CHECK_FALSE(p.grad().defined());
  net.requires_grad_(false);
  for (auto& p : net.parameters()) CHECK_FALSE(p.requires_grad());
  CHECK_FALSE(net.forward(randn({2, 1, 3, 3})).requires_grad());
  net.requires_grad_(true);

  // train/eval reach every descendant.
  net.eval();
  CHECK_FALSE(net.main->is_training());
  CHECK_FALSE((*net.main)[1]->is_training());
  net.train();
  CHECK((*net.main)[1]->is_training());
  // EvalGuard: eval mode for a scope, the earlier mode back after it, on an
  // exception too; a module already in eval mode stays there.
  {
    nn::EvalGuard eg(net);
    CHECK_FALSE((*net.main)[1]->is_training());
  }
  CHECK((*net.main)[1]->is_training());
  try {
    nn::EvalGuard eg(net);
    throw std::runtime_error("inside");
  } catch (const std::runtime_error&) {
  }
  CHECK((*net.main)[1]->is_training());
  net.eval();
  { nn::EvalGuard eg(net); }
  CHECK_FALSE(net.is_training());
  net.train();

  // repr of a user module: its class name and children, nested.
  CHECK(net.repr() ==
        "Net(\n"
        "  (main): Sequential(\n"
        "    (0): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)\n"
        "    (1): BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
        "    (2): LeakyReLU(negative_slope=0.2)\n"
        "  )\n"
        "  (head): Linear(in_features=36, out_features=2, bias=True)\n"
        ")");

  // Registration errors name the problem.
  nn::Module m;
  m.register_parameter("w", zeros({2}));
  CHECK_THROWS_WITH(m.register_parameter("w", zeros({2})), Catch::Contains("'w' is already a parameter"));
  CHECK_THROWS_WITH(m.register_buffer("a.b", zeros({2})), Catch::Contains("must not contain '.'"));
  CHECK_THROWS_WITH(m.register_parameter("i", zeros({2}, kInt64)), Catch::Contains("floating"));
  CHECK_THROWS_WITH(m.forward(zeros({1})), Catch::Contains("not implemented"));
  // A parameter shared by two modules is listed (and so optimized) once.
  nn::Sequential shared({net.head, net.head});
  CHECK(shared.named_parameters().size() == 2);
  CHECK(shared.state_dict().size() == 4);
}

TEST_CASE("Module: state_dict round trip copies in place", "[nn]") {
  manual_seed(9);
  Net net;
  net.forward(randn({4, 1, 3, 3}));  // running stats and counter move
  // A snapshot (state_dict() values are live views, so clone them).
  nn::NamedTensors saved;
  for (auto& e : net.state_dict()) saved.emplace_back(e.first, core::clone(e.second));
  for (auto& e : net.state_dict()) CHECK(e.second.storage() != nullptr);
  CHECK_FALSE(net.state_dict()[0].second.requires_grad());  // detached views

  Tensor w = net.head->weight;  // a handle held elsewhere (an optimizer)
  const TensorImpl* impl = w.impl();
  for (auto& p : net.parameters()) nn::init::normal_(p, 5.0, 1.0);
  for (auto& b : net.named_buffers()) core::fill_(b.second, 7);
  CHECK(vals(net.head->weight) != vals(saved[6].second));

  net.load_state_dict(saved);
  auto now = net.state_dict();
  REQUIRE(now.size() == saved.size());
  for (size_t i = 0; i < now.size(); ++i) {
    INFO(now[i].first);
    CHECK(now[i].first == saved[i].first);
    CHECK(vals(now[i].second) == vals(saved[i].second));
    CHECK(now[i].second.dtype() == saved[i].second.dtype());
  }
  CHECK(w.impl() == impl);
  CHECK(w.is_same(net.head->weight));
  CHECK(vals(w) == vals(saved[6].second));
  CHECK(w.requires_grad());

  // Values of another dtype are converted (a float64 checkpoint into float32).
  nn::NamedTensors f64;
  for (auto& e : saved) f64.emplace_back(e.first, core::cast(e.second, kFloat64));
  for (auto& p : net.parameters()) nn::init::zeros_(p);
  net.load_state_dict(f64);
  CHECK(net.head->weight.dtype() == kFloat32);
  check_close(vals(net.head->weight), vals(saved[6].second), 1e-7, "converted");
}

TEST_CASE("Module: strict load errors name every bad entry, non-strict loads what matches",
          "[nn]") {
  manual_seed(10);
  Net net;
  auto sd = net.state_dict();
  auto without = [&](const std::string& name) {
    nn::NamedTensors out;
    for (auto& e : sd)
      if (e.first != name) out.push_back(e);
    return out;
  };
  CHECK_THROWS_WITH(net.load_state_dict(without("main.0.weight")),
                    Catch::Contains("load_state_dict: missing 'main.0.weight'"));
  nn::NamedTensors extra = sd;
  extra.emplace_back("x", zeros({1}));
  CHECK_THROWS_WITH(net.load_state_dict(extra), Catch::Contains("unexpected 'x'"));
  nn::NamedTensors bad = sd;
  for (auto& e : bad)
    if (e.first == "main.1.weight") e.second = zeros({64});
  CHECK_THROWS_WITH(net.load_state_dict(bad),
                    Catch::Contains("'main.1.weight' has shape [64] but the module expects [4]"));
  // Several problems are all reported, and nothing is copied.
  nn::NamedTensors several = without("head.bias");
  several.emplace_back("y", zeros({1}));
  for (auto& e : several)
    if (e.first == "head.weight") e.second = full({2, 36}, 3.0);
  for (auto& e : several)
    if (e.first == "main.1.running_var") e.second = zeros({5});
  const Vec before = vals(net.head->weight);
  CHECK_THROWS_WITH(net.load_state_dict(several),
                    Catch::Contains("missing 'head.bias'") && Catch::Contains("unexpected 'y'") &&
                        Catch::Contains("'main.1.running_var' has shape [5]"));
  CHECK(vals(net.head->weight) == before);
  // Non-strict: the good entries load, the rest is ignored.
  net.load_state_dict(several, /*strict=*/false);
  CHECK(vals(net.head->weight) == Vec(72, 3.0));
  CHECK(vals(net.main->named_buffers()[1].second) == Vec(4, 1.0));  // running_var untouched
  nn::NamedTensors dup = sd;
  dup.push_back(sd[0]);
  CHECK_THROWS_WITH(net.load_state_dict(dup), Catch::Contains("'main.0.weight' appears twice"));
}

TEST_CASE("Module::to: cpu is a no-op, another device moves in place or says why not", "[nn]") {
  manual_seed(11);
  Net net;
  Tensor w = net.head->weight;
  const Vec before = vals(w);
  net.to(kCPU);
  CHECK(w.is_same(net.head->weight));
  CHECK(vals(w) == before);
  bool moved = false;
  try {
    net.to(Device("cuda"));
    moved = true;
  } catch (const Error& e) {
    // No CUDA allocator in this build or on this machine: a clear error naming
    // the move and the tensor, and the module stays whole on the cpu.
    CHECK_THAT(std::string(e.what()), Catch::Contains("Module::to(cuda:0)") &&
                             Catch::Contains("cannot move 'main.0.weight'"));
    for (auto& e2 : net.state_dict()) CHECK(e2.second.device() == kCPU);
  }
  if (moved) {
    CHECK(w.device() == Device("cuda"));
    net.to(kCPU);
    CHECK(w.device() == kCPU);
  }
  CHECK(vals(w) == before);
}

// ------------------------------------------------------------------- init
TEST_CASE("init: PyTorch default bounds for Linear, Conv2d and ConvTranspose2d", "[nn][init]") {
  manual_seed(12);
  // Large tensors: the range is filled and the moments are U(-b, b)'s; small
  // ones (biases): within the bound and spread over most of it.
  auto check_uniform = [](const Tensor& t, double bound, const char* what) {
    INFO(what << " bound " << bound);
    const Vec v = vals(t);
    const bool large = v.size() >= 4000;
    double lo = 1e9, hi = -1e9;
    for (double x : v) {
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
    CHECK(lo >= -bound);
    CHECK(hi <= bound);
    CHECK(hi > (large ? 0.99 : 0.9) * bound);
    CHECK(lo < -(large ? 0.99 : 0.9) * bound);
    if (large) {
      CHECK(std::abs(std_of(v) - bound / std::sqrt(3.0)) < 0.02 * bound);  // std b/sqrt(3)
      CHECK(std::abs(mean_of(v)) < 0.03 * bound);
    }
  };
  nn::Linear lin(400, 300);
  check_uniform(lin.weight, 1 / std::sqrt(400.0), "Linear weight");
  check_uniform(lin.bias, 1 / std::sqrt(400.0), "Linear bias");
  nn::Conv2d conv(8, 256, 4);  // fan_in = 8 * 16
  check_uniform(conv.weight, 1 / std::sqrt(128.0), "Conv2d weight");
  check_uniform(conv.bias, 1 / std::sqrt(128.0), "Conv2d bias");
  nn::ConvTranspose2d ct(256, 8, 4);  // weight [256, 8, 4, 4]: fan_in = 8 * 16, from dim 1
  check_uniform(ct.weight, 1 / std::sqrt(128.0), "ConvTranspose2d weight");
  nn::ConvTranspose2d ct2(16, 32, 3);  // weight [16, 32, 3, 3]: fan_in = 32 * 9
  check_uniform(ct2.weight, 1 / std::sqrt(288.0), "ConvTranspose2d weight 2");
  for (double b : vals(ct2.bias)) CHECK(std::abs(b) <= 1 / std::sqrt(288.0));

  CHECK(nn::init::fans(zeros({6, 5, 3, 2})) == std::pair<int64_t, int64_t>{30, 36});
  CHECK_THROWS_WITH(nn::init::fans(zeros({6})), Catch::Contains("at least 2 dims"));
  // Deterministic in the seed; a generator of its own leaves the global one alone.
  manual_seed(3);
  nn::Linear a(5, 5);
  manual_seed(3);
  nn::Linear b(5, 5);
  CHECK(vals(a.weight) == vals(b.weight));
  RandomState g(42), g2(42);
  Tensor t1 = zeros({100}), t2 = zeros({100});
  nn::init::xavier_uniform_(t1.reshape({10, 10}), 1.0, &g);
  nn::init::xavier_uniform_(t2.reshape({10, 10}), 1.0, &g2);
  CHECK(vals(t1) == vals(t2));
  for (double x : vals(t1)) CHECK(std::abs(x) <= std::sqrt(6.0 / 20));
}

TEST_CASE("init: dcgan_ walks the tree: conv/linear N(0,0.02), batch-norm N(1,0.02), biases 0",
          "[nn][init]") {
  manual_seed(13);
  struct G : nn::Module {
    std::shared_ptr<nn::Sequential> main;
    G() {
      main = register_module("main", std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
                                         std::make_shared<nn::ConvTranspose2d>(64, 128, 4, 1, 0, true),
                                         std::make_shared<nn::BatchNorm2d>(4096),
                                         std::make_shared<nn::ReLU>(),
                                         std::make_shared<nn::Conv2d>(128, 64, 3),
                                         std::make_shared<nn::Linear>(300, 400)}));
    }
  } g;
  nn::init::dcgan_(g);
  auto& s = *g.main;
  auto ct = std::dynamic_pointer_cast<nn::ConvTranspose2d>(s[0]);
  auto bn = std::dynamic_pointer_cast<nn::BatchNorm2d>(s[1]);
  auto cv = std::dynamic_pointer_cast<nn::Conv2d>(s[3]);
  auto ln = std::dynamic_pointer_cast<nn::Linear>(s[4]);
  for (const Tensor& w : {ct->weight, cv->weight, ln->weight}) {
    const Vec v = vals(w);
    CHECK(std::abs(mean_of(v)) < 0.001);
    CHECK(std::abs(std_of(v) - 0.02) < 0.0005);
  }
  const Vec bw = vals(bn->weight);
  CHECK(std::abs(mean_of(bw) - 1.0) < 0.002);
  CHECK(std::abs(std_of(bw) - 0.02) < 0.002);
  for (const Tensor& b : {ct->bias, bn->bias, cv->bias, ln->bias})
    for (double x : vals(b)) CHECK(x == 0);
  // In place: the handles are the registered parameters, still leaves requiring grad.
  CHECK(g.named_parameters()[0].second.is_same(ct->weight));
  CHECK(ct->weight.requires_grad());
  CHECK(ct->weight.is_leaf());
}
