// tests/test_optim.cpp — optim/: SGD (momentum, dampening, Nesterov, weight
// decay) and Adam/AdamW against numbers worked out by hand, the fused
// "adam_step" kernel against a plain float64 loop over many random elements
// (and against the composed update), state_dict round trips that make the
// next step identical, load errors naming the entry, EMA arithmetic, and the
// learning-rate schedules.
#include <catch2/catch.hpp>

#include "tests/test_util.h"

#include <cmath>

#include "core/parallel.h"
#include "core/rng.h"
#include "kernels/registry.h"
#include "nn/layers.h"
#include "optim/adam.h"
#include "optim/ema.h"
#include "optim/schedule.h"
#include "optim/sgd.h"

using namespace gantry;
using testutil::Vec;

namespace {

using testutil::check_close;
using testutil::vals;

// A float64 leaf parameter with given values, and a way to set its gradient.
Tensor param(const Vec& v) { return from_vector<double>(v, {static_cast<int64_t>(v.size())}).requires_grad_(); }
void set_grad(const Tensor& p, const Vec& g) {
  p.set_grad(core::cast(from_vector<double>(g, p.shape()), p.dtype()));
}

// The plain float64 Adam reference: one update of arrays p, m, v with grad g.
void adam_ref(Vec& p, const Vec& g, Vec& m, Vec& v, double lr, double b1, double b2, double eps,
              double wd, int64_t t, bool decoupled) {
  for (size_t i = 0; i < p.size(); ++i) {
    double gi = g[i];
    if (decoupled) {
      p[i] *= 1 - lr * wd;
    } else {
      gi += wd * p[i];
    }
    m[i] = b1 * m[i] + (1 - b1) * gi;
    v[i] = b2 * v[i] + (1 - b2) * gi * gi;
    const double mhat = m[i] / (1 - std::pow(b1, static_cast<double>(t)));
    const double vhat = v[i] / (1 - std::pow(b2, static_cast<double>(t)));
    p[i] -= lr * mhat / (std::sqrt(vhat) + eps);
  }
}

Tensor state_entry(const nn::NamedTensors& sd, const std::string& name) {
  for (auto& e : sd)
    if (e.first == name) return e.second;
  FAIL("no entry " << name);
  return Tensor();
}

}  // namespace

// --------------------------------------------------------------------- SGD
TEST_CASE("SGD: plain, weight decay, momentum, dampening, Nesterov by hand", "[optim]") {
  const std::vector<Vec> grads = {{1, -1}, {0.5, 0.5}, {0, 1}};
  SECTION("plain with weight decay 0.1: g' = g + 0.1 p; p -= 0.1 g'") {
    Tensor p = param({1, 2});
    optim::SGD opt({p}, optim::SGDOptions{0.1, 0, 0, false, 0.1});
    set_grad(p, grads[0]);
    opt.step();
    // g' = [1 + 0.1, -1 + 0.2] = [1.1, -0.8]
    check_close(vals(p), {0.89, 2.08}, 1e-14, "step 1");
    CHECK(opt.state_dict().size() == 2);  // lr, step: no momentum state
  }
  SECTION("momentum 0.9: buf = g, then 0.9 buf + g; p -= 0.1 buf") {
    Tensor p = param({1, 2});
    optim::SGD opt({p}, optim::SGDOptions{0.1, 0.9});
    // buf1 = [1, -1]           p = [0.9, 2.1]
    // buf2 = [1.4, -0.4]       p = [0.76, 2.14]
    // buf3 = [1.26, 0.64]      p = [0.634, 2.076]
    const std::vector<Vec> want = {{0.9, 2.1}, {0.76, 2.14}, {0.634, 2.076}};
    for (int s = 0; s < 3; ++s) {
      set_grad(p, grads[s]);
      opt.step();
      check_close(vals(p), want[s], 1e-14, "momentum");
    }
    check_close(vals(state_entry(opt.state_dict(), "state.0.momentum_buffer")), {1.26, 0.64}, 1e-14,
                "buffer");
  }
  SECTION("momentum 0.9, dampening 0.5: the first buffer is not damped") {
    Tensor p = param({1, 2});
    optim::SGD opt({p}, optim::SGDOptions{0.1, 0.9, 0.5});
    // buf1 = [1, -1]                          p = [0.9, 2.1]
    // buf2 = 0.9 [1,-1] + 0.5 [0.5,0.5] = [1.15, -0.65]   p = [0.785, 2.165]
    set_grad(p, grads[0]);
    opt.step();
    set_grad(p, grads[1]);
    opt.step();
    check_close(vals(p), {0.785, 2.165}, 1e-14, "dampening");
  }
  SECTION("Nesterov 0.9: p -= 0.1 (g + 0.9 buf)") {
    Tensor p = param({1, 2});
    optim::SGD opt({p}, optim::SGDOptions{0.1, 0.9, 0, true});
    // buf1 = [1, -1]; g' = [1.9, -1.9]          p = [0.81, 2.19]
    // buf2 = [1.4, -0.4]; g' = [1.76, 0.14]     p = [0.634, 2.176]
    set_grad(p, grads[0]);
    opt.step();
    check_close(vals(p), {0.81, 2.19}, 1e-14, "nesterov 1");
    set_grad(p, grads[1]);
    opt.step();
    check_close(vals(p), {0.634, 2.176}, 1e-14, "nesterov 2");
  }
  SECTION("option errors") {
    Tensor p = param({1});
    CHECK_THROWS_WITH(optim::SGD({p}, optim::SGDOptions{0.1, 0, 0, true}),
                      Catch::Contains("Nesterov"));
    CHECK_THROWS_WITH(optim::SGD({p}, optim::SGDOptions{0.1, 0.9, 0.1, true}),
                      Catch::Contains("dampening"));
    CHECK_THROWS_WITH(optim::SGD({p, p}, optim::SGDOptions{0.1}),
                      Catch::Contains("parameter 1 appears more than once"));
    CHECK_THROWS_WITH(optim::SGD({zeros({2}, kInt64)}, optim::SGDOptions{0.1}),
                      Catch::Contains("not floating point"));
  }
}

// -------------------------------------------------------------------- Adam
TEST_CASE("Adam: two steps of a 2-element parameter, worked by hand", "[optim]") {
  // lr 0.1, betas (0.9, 0.999), eps 1e-8; p0 = [1, -2]; g1 = [0.5, -1]; g2 = [0.1, 0.2].
  // Step 1: m = 0.1 g1 = [0.05, -0.1]; v = 0.001 g1^2 = [0.00025, 0.001];
  //   m_hat = g1, v_hat = g1^2, so p -= 0.1 * g1 / (|g1| + 1e-8):
  //   p1 = [1 - 0.1 * 0.5/0.50000001, -2 + 0.1 * 1/1.00000001] = [0.900000002, -1.900000001]
  // Step 2: m = 0.9 m + 0.1 g2 = [0.055, -0.07];
  //   v = 0.999 v + 0.001 g2^2 = [0.00025975, 0.001039];
  //   m_hat = m / 0.19 = [0.28947368, -0.36842105];
  //   v_hat = v / 0.001999 = [0.12993997, 0.51975988];
  //   p2 = p1 - 0.1 m_hat / (sqrt(v_hat) + 1e-8) = [0.8196959063846518, -1.8488973939904947]
  for (DType dt : {kFloat64, kFloat32}) {
    for (bool fused : {true, false}) {
      INFO(dtype_name(dt) << (fused ? " fused" : " composed"));
      const double tol = dt == kFloat64 ? 1e-13 : 2e-7;
      Tensor p = core::cast(from_vector<double>({1.0, -2.0}, {2}), dt).requires_grad_();
      optim::Adam opt({p}, optim::AdamOptions{0.1, 0.9, 0.999, 1e-8, 0, false, fused});
      set_grad(p, {0.5, -1.0});
      opt.step();
      check_close(vals(p), {0.900000002, -1.900000001}, tol, "p1");
      auto sd = opt.state_dict();
      check_close(vals(state_entry(sd, "state.0.exp_avg")), {0.05, -0.1}, tol, "m1");
      check_close(vals(state_entry(sd, "state.0.exp_avg_sq")), {0.00025, 0.001}, tol, "v1");
      set_grad(p, {0.1, 0.2});
      opt.step();
      check_close(vals(p), {0.8196959063846518, -1.8488973939904947}, tol, "p2");
      sd = opt.state_dict();
      check_close(vals(state_entry(sd, "state.0.exp_avg")), {0.055, -0.07}, tol, "m2");
      check_close(vals(state_entry(sd, "state.0.exp_avg_sq")), {0.00025975, 0.001039}, tol, "v2");
      CHECK(state_entry(sd, "state.0.step").item<int64_t>() == 2);
      CHECK(state_entry(sd, "step").item<int64_t>() == 2);
      CHECK(state_entry(sd, "lr").item<double>() == 0.1);
    }
  }
}

TEST_CASE("Adam with L2 decay and AdamW with decoupled decay, by hand", "[optim]") {
  // Same run with weight_decay 0.1.
  // Adam (L2): g' = g + 0.1 p: step 1 g' = [0.6, -1.2], so p1 = p0 - 0.1 * 0.6/(0.6 + 1e-8)
  //   = [0.9000000016666666, -1.9000000008333333]; p2 = [0.8136483454297575, -1.8336169077420748].
  // AdamW: p *= 1 - 0.1 * 0.1 first: p1 = 0.99 p0 - 0.1 g1/(|g1| + 1e-8)
  //   = [0.890000002, -1.880000001]; p2 = [0.8007959063646517, -1.8100973939804947].
  Tensor a = param({1.0, -2.0}), w = param({1.0, -2.0});
  optim::Adam adam({a}, optim::AdamOptions{0.1, 0.9, 0.999, 1e-8, 0.1});
  optim::AdamW adamw({w}, optim::AdamOptions{0.1, 0.9, 0.999, 1e-8, 0.1});
  CHECK(adamw.options().decoupled);
  CHECK_FALSE(adam.options().decoupled);
  set_grad(a, {0.5, -1.0});
  set_grad(w, {0.5, -1.0});
  adam.step();
  adamw.step();
  check_close(vals(a), {0.9000000016666666, -1.9000000008333333}, 1e-13, "adam p1");
  check_close(vals(w), {0.890000002, -1.880000001}, 1e-13, "adamw p1");
  set_grad(a, {0.1, 0.2});
  set_grad(w, {0.1, 0.2});
  adam.step();
  adamw.step();
  check_close(vals(a), {0.8136483454297575, -1.8336169077420748}, 1e-13, "adam p2");
  check_close(vals(w), {0.8007959063646517, -1.8100973939804947}, 1e-13, "adamw p2");
}

TEST_CASE("adam_step kernel: fused pass vs a float64 reference loop on many random elements",
          "[optim][kernel]") {
  // 100003 elements: past the OpenMP grain, and not a multiple of any vector width.
  const int64_t n = 100003;
  struct Cfg {
    double lr, b1, b2, eps, wd;
    bool decoupled;
  };
  const Cfg cfgs[] = {{1e-3, 0.9, 0.999, 1e-8, 0, false},
                      {2e-4, 0.5, 0.999, 1e-8, 0.01, false},
                      {1e-2, 0.0, 0.99, 1e-6, 0.05, true}};
  for (const Cfg& c : cfgs) {
    INFO("lr " << c.lr << " beta1 " << c.b1 << " wd " << c.wd << " decoupled " << c.decoupled);
    auto attrs = [&](int64_t t) {
      return kernels::AdamAttrs{c.lr, c.b1, c.b2, c.eps, c.wd, t, c.decoupled};
    };
    // float64: five steps from zero state, the whole trajectory.
    RandomState gen(77);
    Tensor p = randn({n}, kFloat64, &gen), m = zeros({n}, kFloat64), v = zeros({n}, kFloat64);
    Vec pr = vals(p), mr(n, 0), vr(n, 0);
    for (int64_t t = 1; t <= 5; ++t) {
      Tensor g = mul(randn({n}, kFloat64, &gen), 0.1 * t);
      kernels::run(kernels::OpId::adam_step, {p, g, m, v}, {p, m, v}, attrs(t));
      adam_ref(pr, vals(g), mr, vr, c.lr, c.b1, c.b2, c.eps, c.wd, t, c.decoupled);
    }
    check_close(vals(p), pr, 1e-12, "float64 param");
    check_close(vals(m), mr, 1e-12, "float64 exp_avg");
    check_close(vals(v), vr, 1e-12, "float64 exp_avg_sq");

    // float32: one step (step 7) from a random stored state; the reference
    // starts from the same float32 values and keeps double precision, so the
    // kernel may differ by the final rounding only.
    Tensor p32 = core::cast(randn({n}, kFloat64, &gen), kFloat32);
    Tensor m32 = core::cast(mul(randn({n}, kFloat64, &gen), 0.1), kFloat32);
    Tensor v32 = core::cast(mul(rand({n}, kFloat64, &gen), 0.01), kFloat32);
    Tensor g32 = core::cast(randn({n}, kFloat64, &gen), kFloat32);
    pr = vals(p32);
    mr = vals(m32);
    vr = vals(v32);
    kernels::run(kernels::OpId::adam_step, {p32, g32, m32, v32}, {p32, m32, v32}, attrs(7));
    adam_ref(pr, vals(g32), mr, vr, c.lr, c.b1, c.b2, c.eps, c.wd, 7, c.decoupled);
    check_close(vals(p32), pr, 1.2e-7, "float32 param");
    check_close(vals(m32), mr, 1.2e-7, "float32 exp_avg");
    check_close(vals(v32), vr, 1.2e-7, "float32 exp_avg_sq");
  }

  // Kernel contract errors.
  Tensor p = zeros({4}), g = zeros({4}), m = zeros({4}), v = zeros({4});
  // The wrong attribute struct is refused, naming both.
  CHECK_THROWS_WITH(kernels::run(kernels::OpId::adam_step, {p, g, m, v}, {p, m, v},
                                 kernels::SlopeAttrs{0.2}),
                    Catch::Contains("adam_step") && Catch::Contains("AdamAttrs") &&
                        Catch::Contains("SlopeAttrs"));
  const kernels::AdamAttrs ok{1e-3, 0.9, 0.999, 1e-8, 0, 1, false};
  CHECK_THROWS_WITH(kernels::run(kernels::OpId::adam_step, {p, zeros({3}), m, v}, {p, m, v}, ok),
                    Catch::Contains("grad"));
  CHECK_THROWS_WITH(kernels::run(kernels::OpId::adam_step, {p, zeros({8}).slice(0, 0, 8, 2), m, v}, {p, m, v}, ok),
                    Catch::Contains("contiguous"));
}

TEST_CASE("adam_step kernel: the result does not depend on the thread count", "[optim][kernel]") {
  const int64_t n = 300001;
  auto run_with = [&](int threads) {
    set_num_threads(threads);
    RandomState gen(5);
    Tensor p = randn({n}, kFloat32, &gen), g = randn({n}, kFloat32, &gen);
    Tensor m = zeros({n}), v = zeros({n});
    const kernels::AdamAttrs a{1e-3, 0.9, 0.999, 1e-8, 0.01, 1, true};
    kernels::run(kernels::OpId::adam_step, {p, g, m, v}, {p, m, v}, a);
    return vals(p);
  };
  const int saved = get_num_threads();
  const Vec one = run_with(1), many = run_with(std::max(saved, 4));
  set_num_threads(saved);
  CHECK(one == many);
}

TEST_CASE("adam_step kernel: a list of parameters in one call equals one call each",
          "[optim][kernel]") {
  RandomState gen(6);
  Tensor p1 = randn({1000}, kFloat32, &gen), g1 = randn({1000}, kFloat32, &gen);
  Tensor p2 = randn({7, 3}, kFloat32, &gen), g2 = randn({7, 3}, kFloat32, &gen);
  Tensor m1 = rand({1000}, kFloat32, &gen), v1 = rand({1000}, kFloat32, &gen);
  Tensor m2 = rand({7, 3}, kFloat32, &gen), v2 = rand({7, 3}, kFloat32, &gen);
  const kernels::AdamAttrs a{1e-3, 0.9, 0.999, 1e-8, 0.0, 3, false};
  std::vector<Tensor> one = {core::clone(p1), core::clone(m1), core::clone(v1),
                             core::clone(p2), core::clone(m2), core::clone(v2)};
  kernels::run(kernels::OpId::adam_step, {one[0], g1, one[1], one[2]}, {one[0], one[1], one[2]}, a);
  kernels::run(kernels::OpId::adam_step, {one[3], g2, one[4], one[5]}, {one[3], one[4], one[5]}, a);
  std::vector<Tensor> both = {core::clone(p1), core::clone(m1), core::clone(v1),
                              core::clone(p2), core::clone(m2), core::clone(v2)};
  kernels::run(kernels::OpId::adam_step, {both[0], g1, both[1], both[2], both[3], g2, both[4], both[5]},
               {both[0], both[1], both[2], both[3], both[4], both[5]}, a);
  for (size_t i = 0; i < one.size(); ++i) CHECK(vals(one[i]) == vals(both[i]));
  // A list whose lengths do not match is refused, naming the parameter.
  CHECK_THROWS_WITH(kernels::run(kernels::OpId::adam_step, {both[0], g1, both[1], both[2], both[3], g1, both[4], both[5]},
                                 {both[0], both[1], both[2], both[3], both[4], both[5]}, a),
                    Catch::Contains("parameter 1"));
}

TEST_CASE("Adam: fused and composed updates agree, frozen parameters are skipped", "[optim]") {
  manual_seed(21);
  nn::Linear a(30, 20), b(30, 20);
  b.load_state_dict(a.state_dict());
  optim::Adam fa(a.parameters(), optim::AdamOptions{1e-2, 0.5, 0.999, 1e-8, 0.01});
  optim::AdamOptions co{1e-2, 0.5, 0.999, 1e-8, 0.01};
  co.fused = false;
  optim::Adam ca(b.parameters(), co);
  for (int s = 0; s < 4; ++s) {
    Tensor x = randn({8, 30});
    fa.zero_grad();
    ca.zero_grad();
    sum(square(a.forward(x))).backward();
    sum(square(b.forward(x))).backward();
    fa.step();
    ca.step();
  }
  check_close(vals(a.weight), vals(b.weight), 1e-5, "weight");
  check_close(vals(a.bias), vals(b.bias), 1e-5, "bias");

  // A parameter without a gradient is not touched and gets no state; its own
  // step count starts at its first update (PyTorch's bias correction).
  Tensor p = param({1.0}), q = param({1.0});
  optim::Adam opt({p, q}, optim::AdamOptions{0.1});
  set_grad(p, {1.0});
  opt.step();
  CHECK(vals(q) == Vec{1.0});
  auto sd = opt.state_dict();
  bool has_q = false;
  for (auto& e : sd) has_q = has_q || e.first.rfind("state.1.", 0) == 0;
  CHECK_FALSE(has_q);
  set_grad(q, {1.0});
  opt.step();
  sd = opt.state_dict();
  CHECK(state_entry(sd, "state.0.step").item<int64_t>() == 2);
  CHECK(state_entry(sd, "state.1.step").item<int64_t>() == 1);
  check_close(vals(q), {1.0 - 0.1 / (1 + 1e-8)}, 1e-14, "q after its first step");
  CHECK(opt.steps() == 2);

  // zero_grad and the learning rate.
  opt.zero_grad();
  CHECK_FALSE(p.grad().defined());
  opt.set_lr(0.5);
  CHECK(opt.lr() == 0.5);
  CHECK_THROWS_WITH(opt.set_lr(-1), Catch::Contains("learning rate"));
  CHECK(opt.params().size() == 2);
}

TEST_CASE("Optimizer state_dict round trip: the next step is identical", "[optim]") {
  manual_seed(22);
  auto run = [](bool use_sgd) {
    nn::Linear net(6, 4);
    std::unique_ptr<optim::Optimizer> opt;
    if (use_sgd) {
      opt = std::make_unique<optim::SGD>(net.parameters(), optim::SGDOptions{0.05, 0.9, 0, true, 1e-3});
    } else {
      opt = std::make_unique<optim::AdamW>(net.parameters(),
                                           optim::AdamOptions{1e-2, 0.5, 0.99, 1e-8, 0.1});
    }
    RandomState gen(3);
    auto train_step = [&](optim::Optimizer& o) {
      Tensor x = randn({5, 6}, kFloat32, &gen);
      o.zero_grad();
      sum(square(net.forward(x))).backward();
      o.step();
    };
    for (int s = 0; s < 3; ++s) train_step(*opt);
    // Checkpoint: weights and optimizer state.
    nn::NamedTensors wsd;
    for (auto& e : net.state_dict()) wsd.emplace_back(e.first, core::clone(e.second));
    nn::NamedTensors osd = opt->state_dict();
    const uint64_t offset = gen.offset();
    train_step(*opt);
    const Vec expect_w = vals(net.weight), expect_b = vals(net.bias);
    // Perturb everything, then resume into a fresh optimizer.
    train_step(*opt);
    train_step(*opt);
    net.load_state_dict(wsd);
    std::unique_ptr<optim::Optimizer> fresh;
    if (use_sgd) {
      fresh = std::make_unique<optim::SGD>(net.parameters(), optim::SGDOptions{0.05, 0.9, 0, true, 1e-3});
    } else {
      fresh = std::make_unique<optim::AdamW>(net.parameters(),
                                             optim::AdamOptions{1e-2, 0.5, 0.99, 1e-8, 0.1});
    }
    fresh->set_lr(123.0);  // restored from the state dict
    fresh->load_state_dict(osd);
    CHECK(fresh->lr() == opt->state_dict()[0].second.item<double>());
    gen.set_offset(offset);
    train_step(*fresh);
    CHECK(vals(net.weight) == expect_w);
    CHECK(vals(net.bias) == expect_b);
    CHECK(fresh->steps() == 4);
  };
  SECTION("AdamW") { run(false); }
  SECTION("SGD with Nesterov momentum") { run(true); }
}

TEST_CASE("Optimizer load_state_dict: errors name the entry, nothing changes on error", "[optim]") {
  Tensor p = param({1, 2, 3}), q = param({4, 5});
  optim::Adam opt({p, q}, optim::AdamOptions{0.1});
  set_grad(p, {1, 1, 1});
  set_grad(q, {1, 1});
  opt.step();
  const nn::NamedTensors sd = opt.state_dict();
  std::vector<std::string> names;
  for (auto& e : sd) names.push_back(e.first);
  CHECK(names == std::vector<std::string>{"lr", "step", "state.0.step", "state.0.exp_avg",
                                          "state.0.exp_avg_sq", "state.1.step", "state.1.exp_avg",
                                          "state.1.exp_avg_sq"});
  CHECK(state_entry(sd, "lr").dtype() == kFloat64);
  CHECK(state_entry(sd, "step").dtype() == kInt64);

  auto edit = [&](const std::string& name, Tensor t) {
    nn::NamedTensors out;
    for (auto& e : sd)
      if (e.first != name) out.push_back(e);
      else if (t.defined()) out.emplace_back(name, t);
    return out;
  };
  CHECK_THROWS_WITH(opt.load_state_dict(edit("state.1.exp_avg", zeros({3}, kFloat64))),
                    Catch::Contains("Adam::load_state_dict: 'state.1.exp_avg' has shape [3] but "
                                    "parameter 1 needs [2]"));
  CHECK_THROWS_WITH(opt.load_state_dict(edit("state.0.exp_avg_sq", Tensor())),
                    Catch::Contains("missing 'state.0.exp_avg_sq'"));
  CHECK_THROWS_WITH(opt.load_state_dict(edit("lr", Tensor())), Catch::Contains("missing 'lr'"));
  nn::NamedTensors extra = sd;
  extra.emplace_back("state.2.exp_avg", zeros({2}, kFloat64));
  CHECK_THROWS_WITH(opt.load_state_dict(extra),
                    Catch::Contains("unexpected 'state.2.exp_avg' (the optimizer has 2 parameters)"));
  extra = sd;
  extra.emplace_back("state.0.momentum_buffer", zeros({3}, kFloat64));
  CHECK_THROWS_WITH(opt.load_state_dict(extra), Catch::Contains("unexpected 'state.0.momentum_buffer'"));
  extra = sd;
  extra.emplace_back("bogus", zeros({1}));
  CHECK_THROWS_WITH(opt.load_state_dict(extra), Catch::Contains("unexpected 'bogus'"));
  // Unchanged after the failed loads: the live state equals the snapshot.
  const nn::NamedTensors now = opt.state_dict();
  REQUIRE(now.size() == sd.size());
  for (size_t i = 0; i < sd.size(); ++i) CHECK(vals(now[i].second) == vals(sd[i].second));
  // A state dict without a parameter's state clears it (a fresh start for it).
  nn::NamedTensors only_p;
  for (auto& e : sd)
    if (e.first.rfind("state.1.", 0) != 0) only_p.push_back(e);
  opt.load_state_dict(only_p);
  CHECK(opt.state_dict().size() == 5);
}

// --------------------------------------------------------------------- EMA
TEST_CASE("EMA: shadow = decay * shadow + (1 - decay) * param, buffers copied", "[optim]") {
  manual_seed(23);
  nn::Sequential net({std::make_shared<nn::Linear>(3, 2), std::make_shared<nn::BatchNorm2d>(2)});
  optim::EMA ema(net, 0.9);
  CHECK(ema.decay() == 0.9);
  const Vec w0 = vals(net.named_parameters()[0].second);
  // The shadow starts as a copy (not a view): changing the net leaves it.
  auto sd0 = ema.state_dict();
  REQUIRE(sd0.size() == net.state_dict().size());
  for (size_t i = 0; i < sd0.size(); ++i) CHECK(sd0[i].first == net.state_dict()[i].first);

  Tensor w = net.named_parameters()[0].second;
  core::copy_(w, add(core::detach(w), 1.0));  // w1 = w0 + 1
  auto bn = std::dynamic_pointer_cast<nn::BatchNorm2d>(net[1]);
  core::fill_(bn->running_mean, 3.0);
  core::fill_(bn->num_batches_tracked, 5);
  ema.update(net);
  Vec want(w0.size());
  for (size_t i = 0; i < w0.size(); ++i) want[i] = 0.9 * w0[i] + 0.1 * (w0[i] + 1);
  auto sd = ema.state_dict();
  check_close(vals(sd[0].second), want, 1e-6, "shadow weight");
  for (auto& e : sd) {
    if (e.first == "1.running_mean") CHECK(vals(e.second) == Vec{3, 3});
    if (e.first == "1.num_batches_tracked") CHECK(e.second.item<int64_t>() == 5);
  }
  // A second update compounds.
  ema.update(net);
  for (size_t i = 0; i < w0.size(); ++i) want[i] = 0.9 * want[i] + 0.1 * (w0[i] + 1);
  check_close(vals(ema.state_dict()[0].second), want, 1e-6, "shadow weight 2");

  // copy_to writes the shadow into a module of the same architecture, in place.
  nn::Sequential copy({std::make_shared<nn::Linear>(3, 2), std::make_shared<nn::BatchNorm2d>(2)});
  Tensor cw = copy.named_parameters()[0].second;
  ema.copy_to(copy);
  CHECK(cw.is_same(copy.named_parameters()[0].second));
  check_close(vals(cw), want, 1e-6, "copied");
  CHECK(std::dynamic_pointer_cast<nn::BatchNorm2d>(copy[1])->num_batches_tracked.item<int64_t>() == 5);

  // state_dict round trip into another EMA.
  optim::EMA other(copy, 0.5);
  nn::NamedTensors snap;
  for (auto& e : ema.state_dict()) snap.emplace_back(e.first, core::clone(e.second));
  other.load_state_dict(snap);
  for (size_t i = 0; i < snap.size(); ++i)
    CHECK(vals(other.state_dict()[i].second) == vals(snap[i].second));
  // Mismatches are named.
  nn::Sequential wrong({std::make_shared<nn::Linear>(3, 4)});
  CHECK_THROWS_WITH(ema.update(wrong), Catch::Contains("EMA::update"));
  nn::NamedTensors bad = snap;
  bad[0].second = zeros({7});
  CHECK_THROWS_WITH(ema.load_state_dict(bad), Catch::Contains("'0.weight' has shape [7]"));
  bad = snap;
  bad.pop_back();
  CHECK_THROWS_WITH(ema.load_state_dict(bad), Catch::Contains("missing"));
  CHECK_THROWS_WITH(optim::EMA(net, 1.5), Catch::Contains("decay"));
}

// --------------------------------------------------------------- schedules
TEST_CASE("Schedules: constant, linear decay, cosine, step, the factory", "[optim]") {
  optim::ConstantLR c(0.1);
  CHECK(c.lr_at(0) == 0.1);
  CHECK(c.lr_at(1000000) == 0.1);

  optim::LinearDecayLR lin(1.0, 0.2, 100);
  CHECK(lin.lr_at(0) == Approx(1.0));
  CHECK(lin.lr_at(25) == Approx(0.8));
  CHECK(lin.lr_at(100) == Approx(0.2));
  CHECK(lin.lr_at(150) == Approx(0.2));

  optim::CosineLR cos(1.0, 100, 0.1);
  CHECK(cos.lr_at(0) == Approx(1.0));
  CHECK(cos.lr_at(50) == Approx(0.55));  // halfway: (base + min) / 2
  CHECK(cos.lr_at(25) == Approx(0.1 + 0.9 * 0.5 * (1 + std::cos(3.14159265358979323846 / 4))));
  CHECK(cos.lr_at(100) == Approx(0.1));
  CHECK(cos.lr_at(1000) == Approx(0.1));

  optim::StepLR st(1.0, 10, 0.5);
  CHECK(st.lr_at(0) == 1.0);
  CHECK(st.lr_at(9) == 1.0);
  CHECK(st.lr_at(10) == 0.5);
  CHECK(st.lr_at(35) == 0.125);

  // Milestones in any order; factors are absolute, not cumulative.
  optim::MilestoneLR ms(2.0, {{80, 0.1}, {50, 0.5}});
  CHECK(ms.lr_at(0) == 2.0);
  CHECK(ms.lr_at(49) == 2.0);
  CHECK(ms.lr_at(50) == 1.0);
  CHECK(ms.lr_at(79) == 1.0);
  CHECK(ms.lr_at(80) == Approx(0.2));
  CHECK(ms.lr_at(100000) == Approx(0.2));
  CHECK(optim::MilestoneLR(1.0, {{0, 0.25}}).lr_at(0) == 0.25);
  CHECK_THROWS_WITH(optim::MilestoneLR(1.0, {{5, 0.5}, {5, 0.1}}), Catch::Contains("step 5 is given twice"));
  CHECK_THROWS_WITH(optim::MilestoneLR(1.0, {{-1, 0.5}}), Catch::Contains("negative"));
  CHECK_THROWS_WITH(optim::MilestoneLR(1.0, {{3, -0.5}}), Catch::Contains("factor"));
  CHECK(optim::make_schedule("milestones", 1.0, 10, {{4, 0.5}})->lr_at(4) == 0.5);
  CHECK_THROWS_WITH(optim::make_schedule("milestones", 1.0, 10), Catch::Contains("at least one milestone"));
  // CycleGAN's schedule: constant for `hold` steps, then a line to 0.
  const optim::LinearDecayLR held(2.0, 0.0, 10, 4);
  CHECK(held.lr_at(0) == 2.0);
  CHECK(held.lr_at(4) == 2.0);
  CHECK(held.lr_at(5) == Approx(2.0 * 5.0 / 6.0));
  CHECK(held.lr_at(7) == Approx(1.0));
  CHECK(held.lr_at(10) == 0.0);
  CHECK(held.lr_at(20) == 0.0);
  CHECK(optim::make_schedule("linear", 2.0, 10, {}, 4)->lr_at(7) == Approx(1.0));
  CHECK_THROWS_WITH(optim::LinearDecayLR(1.0, 0.0, 10, 10), Catch::Contains("hold 10"));

  auto a = optim::make_schedule("constant", 2e-4, 10);
  auto b = optim::make_schedule("linear", 2e-4, 10);
  auto d = optim::make_schedule("cosine", 2e-4, 10);
  CHECK(a->lr_at(7) == 2e-4);
  CHECK(b->lr_at(5) == Approx(1e-4));
  CHECK(b->lr_at(10) == Approx(0.0).margin(1e-18));
  CHECK(d->lr_at(0) == Approx(2e-4));
  CHECK(d->lr_at(10) == Approx(0.0).margin(1e-18));
  CHECK_THROWS_WITH(optim::make_schedule("warmup", 1, 10),
                    Catch::Contains("unknown schedule 'warmup'") && Catch::Contains("milestones"));
  CHECK_THROWS_WITH(optim::make_schedule("linear", 1, 0), Catch::Contains("total_steps"));
  CHECK_THROWS_WITH(c.lr_at(-1), Catch::Contains("negative"));

  // Driving an optimizer.
  Tensor p = param({1});
  optim::SGD opt({p}, optim::SGDOptions{1.0});
  for (int64_t s = 0; s < 10; ++s) {
    opt.set_lr(b->lr_at(s));
    CHECK(opt.lr() == b->lr_at(s));
  }
}

// -------------------------------------------------------------- training
TEST_CASE("Adam trains a small regression", "[optim]") {
  manual_seed(24);
  nn::Sequential net({std::make_shared<nn::Linear>(1, 32), std::make_shared<nn::Tanh>(),
                      std::make_shared<nn::Linear>(32, 1)});
  optim::Adam opt(net.parameters(), optim::AdamOptions{1e-2});
  Tensor x = linspace(-1, 1, 64).reshape({64, 1});
  Tensor y = mul(x, x);
  double first = 0, last = 0;
  for (int s = 0; s < 300; ++s) {
    opt.zero_grad();
    Tensor loss = mse_loss(net.forward(x), y);
    loss.backward();
    opt.step();
    if (s == 0) first = loss.item<double>();
    last = loss.item<double>();
  }
  CHECK(last < first / 20);
  CHECK(last < 2e-3);
}

TEST_CASE("Optimizer::reset_state: the next step is a first step again", "[optim]") {
  Tensor a = param({1, 2, 3});
  optim::AdamOptions o;
  o.lr = 0.1;
  optim::Adam used({a}, o);
  for (int i = 0; i < 3; ++i) {  // history for `used`
    used.zero_grad();
    sum(mul(a, a)).backward();
    used.step();
  }
  used.reset_state();
  CHECK(used.state_dict().size() == 2);  // lr and step only
  Tensor b = param(a.to_vector<double>());
  optim::Adam fresh({b}, o);
  used.zero_grad();
  sum(mul(a, a)).backward();
  sum(mul(b, b)).backward();
  used.step();
  fresh.step();
  CHECK(a.to_vector<double>() == b.to_vector<double>());
}
