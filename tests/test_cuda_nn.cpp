// tests/test_cuda_nn.cpp — the CUDA II kernels against the CPU, algorithm by
// algorithm: convolution (Gantry's im2col + cuBLAS, cuDNN, and the timed
// "auto" choice) forward and both backward passes on odd shapes (stride,
// padding, dilation, groups, 1x1, full window, sample chunking), second
// derivatives through each, fused batch norm (large means, odd sizes),
// gather / scatter_add (scan and atomic) / max-pool indices, and the errors
// for bad indices; and the DCGAN trainer on cuda against the same run on
// the CPU. The conformance table (test_conformance_cuda) checks the
// same ops through autograd; this file pins each registered algorithm.
//
// Built only with GANTRY_CUDA; exits 77 (skipped) where no GPU is usable.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "tests/test_skip.h"

#include <cmath>
#include <string>

#include "autograd/engine.h"
#include "autograd/ops.h"
#include "autograd/ops_nn.h"
#include "gan/trainer.h"
#include "core/rng.h"
#include "kernels/cuda/runtime.h"
#include "kernels/registry.h"
#include "tests/test_images.h"
#include "tests/test_util.h"

using namespace gantry;
using testutil::check_close;
using testutil::vals;

namespace {

const Device kCuda{DeviceType::CUDA, 0};
Tensor on_cuda(const Tensor& t) { return core::to_device(t, kCuda); }

// Forces `algo` for `op` while alive (forcing is global: CPU references are
// computed outside the scope).
struct Force {
  std::string op;
  Force(std::string o, const std::string& algo) : op(std::move(o)) {
    kernels::Registry::instance().force_algorithm(op, algo);
  }
  ~Force() { kernels::Registry::instance().force_algorithm(op, ""); }
};

Tensor run(kernels::OpId op, const kernels::Tensors& in, const Shape& out_shape,
           const kernels::OpAttrs& a, DType dt = DType::Float32) {
  Tensor out = empty(out_shape, Options().dtype(dt).device(in[0].device()));
  kernels::run(op, in, {out}, a);
  return out;
}

struct ConvCase {
  Shape x, w;
  int64_t sh, sw, ph, pw, dh, dw, groups;
};

// Odd shapes: stride/padding/dilation per axis, groups, depthwise, 1x1, a
// full-window layer and a DCGAN discriminator layer.
const ConvCase kCases[] = {
    {{2, 3, 7, 9}, {4, 3, 3, 3}, 1, 1, 0, 0, 1, 1, 1},
    {{3, 4, 9, 8}, {6, 2, 3, 2}, 2, 1, 1, 2, 1, 2, 2},
    {{2, 6, 11, 10}, {6, 1, 3, 3}, 2, 3, 1, 1, 2, 1, 6},
    {{4, 8, 16, 16}, {16, 8, 4, 4}, 2, 2, 1, 1, 1, 1, 1},
    {{5, 16, 4, 4}, {8, 16, 4, 4}, 1, 1, 0, 0, 1, 1, 1},
    {{2, 5, 6, 6}, {7, 5, 1, 1}, 1, 1, 0, 0, 1, 1, 1},
    {{1, 2, 5, 5}, {3, 2, 5, 5}, 1, 1, 2, 2, 1, 1, 1},
};

Shape out_shape(const ConvCase& c) {
  const int64_t OH = (c.x[2] + 2 * c.ph - c.dh * (c.w[2] - 1) - 1) / c.sh + 1;
  const int64_t OW = (c.x[3] + 2 * c.pw - c.dw * (c.w[3] - 1) - 1) / c.sw + 1;
  return {c.x[0], c.w[0], OH, OW};
}

kernels::ConvAttrs attrs(const ConvCase& c) {
  return {c.sh, c.sw, c.ph, c.pw, c.dh, c.dw, c.groups};
}

// Whether the run expects cuDNN (scripts/gpu-check sets GANTRY_EXPECT_CUDNN=1
// when it found a cuDNN library): then a missing cuDNN fails the tests that
// force it, instead of narrowing or skipping them.
bool cudnn_expected() {
  const char* e = std::getenv("GANTRY_EXPECT_CUDNN");
  return e != nullptr && std::string(e) == "1";
}

std::vector<std::string> conv_algorithms() {
  std::vector<std::string> v = {"im2col_gemm", "auto"};
  if (cuda::cudnn_available()) {
    v.push_back("cudnn");
  } else if (cudnn_expected()) {
    FAIL("GANTRY_EXPECT_CUDNN=1 but cuDNN did not load: " << cuda::cudnn_status());
  }
  return v;
}

// Runs the three convolution ops of case c on the CPU (reference) and on
// cuda with each algorithm, comparing every output.
void check_conv_case(const ConvCase& c, DType dt, double tol) {
  RandomState gen(11);
  const Shape ys = out_shape(c);
  Tensor x = randn(c.x, dt, &gen), w = randn(c.w, dt, &gen), g = randn(ys, dt, &gen);
  const kernels::ConvAttrs a = attrs(c);
  Tensor y_ref = run(kernels::OpId::conv2d, {x, w}, ys, a, dt);
  Tensor dx_ref = run(kernels::OpId::conv2d_input_grad, {g, w}, c.x, a, dt);
  Tensor dw_ref = run(kernels::OpId::conv2d_weight_grad, {x, g}, c.w, a, dt);
  Tensor X = on_cuda(x), W = on_cuda(w), G = on_cuda(g);
  for (const auto& algo : conv_algorithms()) {
    INFO("x" << shape_str(c.x) << " w" << shape_str(c.w) << " dtype " << dtype_name(dt)
             << " algorithm " << algo);
    Force f1("conv2d", algo), f2("conv2d_input_grad", algo), f3("conv2d_weight_grad", algo);
    check_close(vals(run(kernels::OpId::conv2d, {X, W}, ys, a, dt)), vals(y_ref), tol, "conv2d");
    check_close(vals(run(kernels::OpId::conv2d_input_grad, {G, W}, c.x, a, dt)), vals(dx_ref), tol,
                "conv2d_input_grad");
    check_close(vals(run(kernels::OpId::conv2d_weight_grad, {X, G}, c.w, a, dt)), vals(dw_ref), tol,
                "conv2d_weight_grad");
  }
}

}  // namespace

TEST_CASE("cuda conv: every algorithm matches the CPU on odd shapes", "[cuda][conv]") {
  INFO(cuda::cudnn_status());
  for (const auto& c : kCases) {
    check_conv_case(c, kFloat64, 1e-11);
    check_conv_case(c, kFloat32, 2e-5);
  }
}

TEST_CASE("cuda conv: own kernels and cuDNN agree with each other", "[cuda][conv]") {
  if (!cuda::cudnn_available()) {
    if (cudnn_expected())
      FAIL("GANTRY_EXPECT_CUDNN=1 but cuDNN did not load: " << cuda::cudnn_status());
    GANTRY_SKIP("cuDNN not loaded: " + cuda::cudnn_status());
  }
  RandomState gen(5);
  for (const auto& c : kCases) {
    const Shape ys = out_shape(c);
    Tensor X = on_cuda(randn(c.x, kFloat32, &gen)), W = on_cuda(randn(c.w, kFloat32, &gen));
    Tensor G = on_cuda(randn(ys, kFloat32, &gen));
    const kernels::ConvAttrs a = attrs(c);
    Tensor y[2], dx[2], dw[2];
    int i = 0;
    for (const char* algo : {"im2col_gemm", "cudnn"}) {
      Force f1("conv2d", algo), f2("conv2d_input_grad", algo), f3("conv2d_weight_grad", algo);
      y[i] = run(kernels::OpId::conv2d, {X, W}, ys, a);
      dx[i] = run(kernels::OpId::conv2d_input_grad, {G, W}, c.x, a);
      dw[i] = run(kernels::OpId::conv2d_weight_grad, {X, G}, c.w, a);
      ++i;
    }
    INFO("x" << shape_str(c.x) << " w" << shape_str(c.w));
    check_close(vals(y[0]), vals(y[1]), 2e-5, "forward");
    check_close(vals(dx[0]), vals(dx[1]), 2e-5, "input grad");
    check_close(vals(dw[0]), vals(dw[1]), 2e-5, "weight grad");
  }
}

TEST_CASE("cuda conv: a small workspace splits the batch into chunks", "[cuda][conv]") {
  // 3 samples per chunk at most: the weight gradient accumulates over chunks.
  const ConvCase c{{10, 4, 12, 12}, {6, 4, 3, 3}, 1, 1, 1, 1, 1, 1, 1};
  const size_t saved = cuda::conv_workspace_limit();
  const size_t per_sample = 4 * 9 * 144 * sizeof(double) + 6 * 144 * sizeof(double);
  cuda::set_conv_workspace_limit(3 * per_sample);
  try {
    check_conv_case(c, kFloat64, 1e-11);
  } catch (...) {
    cuda::set_conv_workspace_limit(saved);
    throw;
  }
  cuda::set_conv_workspace_limit(saved);
}

TEST_CASE("cuda conv: the timed choice is recorded per shape and reused", "[cuda][conv]") {
  cuda::clear_conv_algorithm_choices();
  RandomState gen(3);
  Tensor X = on_cuda(randn({8, 3, 32, 32}, kFloat32, &gen));
  Tensor W = on_cuda(randn({16, 3, 4, 4}, kFloat32, &gen));
  Tensor y1 = conv2d(X, W, Tensor(), {2, 2}, {1, 1});
  auto lines = cuda::conv_algorithm_choices();
  REQUIRE(lines.size() == 1);
  INFO(lines[0]);
  CHECK(lines[0].find("conv2d") != std::string::npos);
  CHECK((lines[0].find("im2col_gemm") != std::string::npos ||
         lines[0].find("cudnn") != std::string::npos));
  Tensor y2 = conv2d(X, W, Tensor(), {2, 2}, {1, 1});
  CHECK(cuda::conv_algorithm_choices().size() == 1);  // same shape: no new timing
  CHECK(vals(y1) == vals(y2));                         // and the same algorithm's result
}

TEST_CASE("cuda conv: second derivatives through each algorithm match the CPU",
          "[cuda][conv][autograd]") {
  // f(x, w) = sum((d/dx sum(conv(x, w)^2))^2); d f / d w needs conv's double backward.
  RandomState gen(9);
  Tensor x = randn({2, 3, 6, 6}, kFloat64, &gen), w = randn({4, 3, 3, 3}, kFloat64, &gen);
  auto second = [](const Tensor& xin, const Tensor& win) {
    Tensor xv = xin.detach().requires_grad_(), wv = win.detach().requires_grad_();
    Tensor y = conv2d(xv, wv, Tensor(), {2, 2}, {1, 1});
    Tensor gx = autograd::grad({sum(mul(y, y))}, {xv}, {}, true)[0];
    return autograd::grad({sum(mul(gx, gx))}, {wv})[0];
  };
  Tensor ref = second(x, w);
  for (const auto& algo : conv_algorithms()) {
    INFO("algorithm " << algo);
    Force f1("conv2d", algo), f2("conv2d_input_grad", algo), f3("conv2d_weight_grad", algo);
    check_close(vals(second(on_cuda(x), on_cuda(w))), vals(ref), 1e-10, "d2f/dxdw");
  }
}

TEST_CASE("cuda batch norm: fused kernels match the CPU, large means included",
          "[cuda][norm]") {
  RandomState gen(4);
  for (DType dt : {kFloat64, kFloat32}) {
    for (const Shape& s : {Shape{8, 5, 7, 3}, Shape{64, 3, 33}, Shape{3, 2}}) {
      INFO("dtype " << dtype_name(dt) << " x" << shape_str(s));
      const int64_t C = s[1];
      Tensor x = add(mul(randn(s, dt, &gen), 3.0), 1000.0);  // mean 1000: the shift matters
      Tensor w = randn({C}, dt, &gen), b = randn({C}, dt, &gen), g = randn(s, dt, &gen);
      const kernels::BatchNormAttrs a{1e-5};
      Tensor y = empty(s, Options().dtype(dt)), m = empty({C}, Options().dtype(dt)),
             v = empty({C}, Options().dtype(dt));
      kernels::run(kernels::OpId::batch_norm_train, {x, w, b}, {y, m, v}, a);
      Tensor Y = empty(s, Options().dtype(dt).device(kCuda)),
             M = empty({C}, Options().dtype(dt).device(kCuda)),
             V = empty({C}, Options().dtype(dt).device(kCuda));
      kernels::run(kernels::OpId::batch_norm_train, {on_cuda(x), on_cuda(w), on_cuda(b)}, {Y, M, V}, a);
      const double tol = dt == kFloat64 ? 1e-10 : 5e-4;
      check_close(vals(M), vals(m), dt == kFloat64 ? 1e-13 : 1e-6, "mean");
      check_close(vals(V), vals(v), tol, "var");
      check_close(vals(Y), vals(y), tol, "y");
      Tensor dx = empty(s, Options().dtype(dt)), dw = empty({C}, Options().dtype(dt)),
             db = empty({C}, Options().dtype(dt));
      kernels::run(kernels::OpId::batch_norm_train_backward, {x, g, w, m, v}, {dx, dw, db}, a);
      Tensor DX = empty(s, Options().dtype(dt).device(kCuda)),
             DW = empty({C}, Options().dtype(dt).device(kCuda)),
             DB = empty({C}, Options().dtype(dt).device(kCuda));
      kernels::run(kernels::OpId::batch_norm_train_backward,
                   {on_cuda(x), on_cuda(g), on_cuda(w), on_cuda(m), on_cuda(v)}, {DX, DW, DB}, a);
      check_close(vals(DB), vals(db), tol, "dbias");
      check_close(vals(DW), vals(dw), tol, "dweight");
      check_close(vals(DX), vals(dx), tol, "dx");
    }
  }
}

TEST_CASE("cuda index: gather, scatter_add (scan and atomic), max-pool indices",
          "[cuda][index]") {
  RandomState gen(8);
  Tensor x = randn({6, 40}, kFloat64, &gen);
  Tensor idx = randint(0, 40, {6, 25}, kInt64, &gen);
  const kernels::DimAttrs a{1};
  CHECK(vals(run(kernels::OpId::gather, {on_cuda(x), on_cuda(idx)}, {6, 25}, a, kFloat64)) ==
        vals(run(kernels::OpId::gather, {x, idx}, {6, 25}, a, kFloat64)));
  // A transposed (non-contiguous) source and index.
  Tensor xt = randn({40, 6}, kFloat64, &gen).t(), it = randint(0, 40, {25, 6}, kInt64, &gen).t();
  CHECK(vals(run(kernels::OpId::gather, {on_cuda(xt), on_cuda(it)}, {6, 25}, a, kFloat64)) ==
        vals(run(kernels::OpId::gather, {xt, it}, {6, 25}, a, kFloat64)));

  // scatter_add with many collisions: the scan follows the CPU's order exactly;
  // atomics may add in another order (close, not necessarily equal).
  Tensor src = randn({6, 25}, kFloat64, &gen);
  Tensor small = randint(0, 5, {6, 25}, kInt64, &gen);
  Tensor ref = run(kernels::OpId::scatter_add, {x, small, src}, {6, 40}, a, kFloat64);
  {
    Force f("scatter_add", "scan");
    CHECK(vals(run(kernels::OpId::scatter_add, {on_cuda(x), on_cuda(small), on_cuda(src)}, {6, 40}, a,
                   kFloat64)) == vals(ref));
  }
  {
    Force f("scatter_add", "atomic");
    check_close(vals(run(kernels::OpId::scatter_add, {on_cuda(x), on_cuda(small), on_cuda(src)}, {6, 40}, a,
                         kFloat64)),
                vals(ref), 1e-12, "scatter_add atomic");
  }
  // A bad index is named, by both algorithms and by gather: not at the launch
  // (no synchronization per call, so the ops can be captured in a CUDA
  // graph) but at the next synchronization, here reading the result back.
  Tensor bad = full({6, 25}, 40.0, Options().dtype(kInt64));
  for (const char* algo : {"scan", "atomic"}) {
    Force f("scatter_add", algo);
    CHECK_THROWS_WITH(vals(run(kernels::OpId::scatter_add, {on_cuda(x), on_cuda(bad), on_cuda(src)},
                               {6, 40}, a, kFloat64)),
                      Catch::Contains("scatter_add on cuda:0: index 40 is out of range for size 40"));
  }
  Tensor y;
  REQUIRE_NOTHROW(y = run(kernels::OpId::gather, {on_cuda(x), on_cuda(bad)}, {6, 25}, a, kFloat64));
  CHECK_THROWS_WITH(cuda::synchronize(0),
                    Catch::Contains("gather on cuda:0: index 40 is out of range for size 40") &&
                        Catch::Contains("150 bad indices"));
  CHECK_NOTHROW(cuda::synchronize(0));  // reported once
  // GANTRY_CUDA_SYNC=1: found right after the kernel, by the op itself.
  setenv("GANTRY_CUDA_SYNC", "1", 1);
  CHECK_THROWS_WITH(run(kernels::OpId::gather, {on_cuda(x), on_cuda(bad)}, {6, 25}, a, kFloat64),
                    Catch::Contains("gather on cuda:0: index 40"));
  unsetenv("GANTRY_CUDA_SYNC");
  CHECK(vals(run(kernels::OpId::gather, {on_cuda(x), on_cuda(idx)}, {6, 25}, a, kFloat64)) ==
        vals(run(kernels::OpId::gather, {x, idx}, {6, 25}, a, kFloat64)));

  // Max-pool indices: padding, dilation, a NaN, ties (first wins).
  Tensor img = randn({2, 3, 9, 8}, kFloat32, &gen);
  img = where(gt(img, 1.5), full_like(img, 1.5), img);  // ties at 1.5
  Tensor flat = img.reshape({-1}).clone();
  flat.data<float>()[17] = NAN;
  img = flat.reshape({2, 3, 9, 8});
  const kernels::PoolAttrs p{3, 2, 2, 2, 1, 1, 2, 1};
  const Shape os = {2, 3, 4, 5};
  CHECK(vals(run(kernels::OpId::max_pool2d_indices, {on_cuda(img)}, os, p, kInt64)) ==
        vals(run(kernels::OpId::max_pool2d_indices, {img}, os, p, kInt64)));
}

TEST_CASE("cuda train: the DCGAN trains on cuda and tracks the CPU run", "[cuda][gan]") {
  // Same seed, same data, same initial weights (initialized on the CPU, then
  // moved), same noise (drawn on the CPU): the two runs differ only by the
  // kernels' rounding, so after 3 steps the losses agree closely (compared
  // before step 4; the weights after it).
  const std::string data = testutil::synthetic_image_folder("gantry_cuda_train_images", 32, 5);
  gan::StepStats last[2];
  std::vector<float> w[2];
  for (int run_i = 0; run_i < 2; ++run_i) {
    gan::TrainOptions o;
    o.data = data;
    o.batch = 16;
    o.steps = 4;
    o.seed = 2;
    o.device = run_i == 0 ? "cpu" : "cuda";
    o.out = (std::filesystem::temp_directory_path() / ("gantry_cuda_train_" + o.device)).string();
    o.quiet = true;
    o.sample_every = 4;
    o.checkpoint_every = 4;
    std::filesystem::remove_all(o.out);
    gan::Trainer t(o);
    for (int s = 0; s < 3; ++s) {
      last[run_i] = t.train_step();
      CHECK(std::isfinite(last[run_i].d_loss));
      CHECK(std::isfinite(last[run_i].g_loss));
    }
    CHECK(t.generator().parameters()[0].device() == (run_i == 0 ? kCPU : kCuda));
    t.run();  // step 4: writes the samples and the checkpoint (from the device)
    CHECK(std::filesystem::exists(o.out + "/checkpoint.safetensors"));
    CHECK(std::filesystem::exists(o.out + "/samples/step_000004.png"));
    w[run_i] = t.generator().parameters()[0].to(kCPU).to_vector<float>();
  }
  CHECK(last[1].d_loss == Approx(last[0].d_loss).epsilon(2e-3));
  CHECK(last[1].g_loss == Approx(last[0].g_loss).epsilon(2e-3));
  std::vector<double> a(w[0].begin(), w[0].end()), b(w[1].begin(), w[1].end());
  check_close(b, a, 1e-3, "generator weights after 4 steps");
}
