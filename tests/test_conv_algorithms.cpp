// tests/test_conv_algorithms.cpp — the CPU convolution algorithms agree.
//
// conv2d, conv2d_input_grad and conv2d_weight_grad each have a batched
// algorithm (im2col of many samples, one GEMM per chunk; a plain GEMM when
// the kernel covers the whole input) and the simple per-sample one; the
// weight gradient also a direct kernel for layers with <= 32 taps (the
// default where it applies); all three a per-group one for many groups over
// few samples (modulated convolution, the default there). The conformance table checks the default against float64
// loops on small shapes; here the two algorithms meet on the DCGAN's layer
// shapes, with the batch split into several chunks, and the batched one must
// be bit-identical for 1 and 2 threads.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "core/parallel.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "kernels/cpu/conv.h"
#include "kernels/cpu/gemm.h"
#include "kernels/registry.h"

using namespace gantry;

namespace {

struct Layer {
  const char* name;
  Shape x, w;  // conv x [N,C,H,W], w [O,C/G,KH,KW]
  std::vector<int64_t> ints;  // stride, pad, dilation, groups
};

const Layer kLayers[] = {
    {"D2 k4 s2 p1", {8, 16, 14, 14}, {32, 16, 4, 4}, {2, 2, 1, 1, 1, 1, 1}},
    {"D4 full window", {8, 32, 3, 3}, {1, 32, 3, 3}, {1, 1, 0, 0, 1, 1, 1}},
    {"G2 as conv k3 s2 p1", {8, 8, 7, 7}, {16, 8, 3, 3}, {2, 2, 1, 1, 1, 1, 1}},
    {"groups 2, dilation 2", {5, 8, 9, 9}, {6, 4, 3, 3}, {1, 2, 2, 1, 2, 2, 2}},
    // One input channel: 16 taps, the thin weight gradient split over samples.
    {"D1 thin, 1 channel", {20, 1, 28, 28}, {16, 1, 4, 4}, {2, 2, 1, 1, 1, 1, 1}},
    // A modulated convolution: groups = batch (8) over one sample; the default is per_group.
    {"modulated, groups = batch", {1, 32, 8, 8}, {48, 4, 3, 3}, {1, 1, 1, 1, 1, 1, 8}},
    {"modulated 1x1 (to-RGB), 2 samples", {2, 24, 5, 5}, {8, 3, 1, 1}, {1, 1, 0, 0, 1, 1, 8}},
};

Shape out_shape(const Layer& L) {
  const auto& p = L.ints;
  const int64_t OH = (L.x[2] + 2 * p[2] - p[4] * (L.w[2] - 1) - 1) / p[0] + 1;
  const int64_t OW = (L.x[3] + 2 * p[3] - p[5] * (L.w[3] - 1) - 1) / p[1] + 1;
  return {L.x[0], L.w[0], OH, OW};
}

// Runs the three ops with algorithm `algo` ("" = default) and returns their outputs.
std::vector<std::vector<float>> run_all(const Layer& L, const std::string& algo) {
  RandomState g(42);
  Tensor x = randn(L.x, {}, &g), w = randn(L.w, {}, &g), gy = randn(out_shape(L), {}, &g);
  const auto& p = L.ints;
  const kernels::ConvAttrs a{p[0], p[1], p[2], p[3], p[4], p[5], p[6]};
  auto& reg = kernels::Registry::instance();
  std::vector<std::vector<float>> r;
  using kernels::OpId;
  for (OpId op : {OpId::conv2d, OpId::conv2d_input_grad, OpId::conv2d_weight_grad}) {
    reg.force_algorithm(op, algo);
    const std::string o = kernels::op_name(op);
    Tensor out = o == "conv2d" ? empty(out_shape(L)) : o == "conv2d_input_grad" ? empty(L.x) : empty(L.w);
    kernels::Tensors in = o == "conv2d" ? kernels::Tensors{x, w}
                          : o == "conv2d_input_grad" ? kernels::Tensors{gy, w}
                                                      : kernels::Tensors{x, gy};
    kernels::run(op, in, {out}, a);
    reg.force_algorithm(op, "");
    r.push_back(out.to_vector<float>());
  }
  return r;
}

}  // namespace

TEST_CASE("conv: batched (several chunks) and per-sample algorithms agree") {
  // GEMM backend Auto: float32 convolution uses implicit im2col (packed
  // straight from the image) where the build has AVX-512; Eigen: the explicit
  // im2col matrix, in chunks of samples.
  for (auto backend : {kernels::GemmBackend::Auto, kernels::GemmBackend::Eigen})
  for (const Layer& L : kLayers) {
    INFO(L.name << (backend == kernels::GemmBackend::Auto ? " (auto GEMM)" : " (Eigen GEMM)"));
    kernels::set_gemm_backend(backend);
    const auto ref = run_all(L, "per_sample");
    for (int64_t limit : {int64_t(64) << 20, int64_t(1)})  // one chunk; one sample per chunk
    for (const char* algo : {"batched_gemm", ""}) {  // "": the default (direct_thin where it applies)
      INFO("workspace limit " << limit << ", algorithm '" << algo << "'");
      kernels::set_conv_workspace_limit(limit);
      const auto got = run_all(L, algo);
      for (size_t k = 0; k < ref.size(); ++k) {
        double worst = 0, scale = 1;
        for (size_t i = 0; i < ref[k].size(); ++i) {
          worst = std::max(worst, double(std::abs(got[k][i] - ref[k][i])));
          scale = std::max(scale, double(std::abs(ref[k][i])));
        }
        INFO("output " << k);
        CHECK(worst <= 1e-5 * scale);
      }
    }
  }
  kernels::set_conv_workspace_limit(int64_t(64) << 20);
  kernels::set_gemm_backend(kernels::GemmBackend::Auto);
}

TEST_CASE("conv: the batched algorithm is bit-identical for 1 and 2 threads") {
  const int saved = get_num_threads();
  for (const Layer& L : kLayers) {
    INFO(L.name);
    set_num_threads(1);
    const auto one = run_all(L, "");
    set_num_threads(2);
    const auto two = run_all(L, "");
    CHECK(one == two);
  }
  set_num_threads(saved);
}
