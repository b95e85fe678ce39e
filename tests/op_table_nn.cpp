// tests/op_table_nn.cpp — Foundation II entries of the conformance table
// (see op_table.h): convolution, normalization, pooling, resampling, padding,
// joining/indexing, softmax and losses, against tests/reference_nn.h.
//
// Shapes are kept small: gradgradcheck differentiates every case's backward
// element by element, so its cost grows with (inputs + outputs)^2.
#include <stdexcept>

#include "autograd/engine.h"
#include "tests/op_table.h"
#include "tests/reference_nn.h"

namespace tbl {

using namespace gantry;
using ref::Ref;
using R = std::vector<Ref>;
namespace rn = ref::nn;

namespace {

OpCase no_grad(OpCase c) {
  c.grad = c.gradgrad = false;
  return c;
}

rn::Red red_of(Reduction r) {
  return r == Reduction::Mean ? rn::Red::Mean : r == Reduction::Sum ? rn::Red::Sum : rn::Red::None;
}
const char* red_name(Reduction r) {
  return r == Reduction::Mean ? "mean" : r == Reduction::Sum ? "sum" : "none";
}

Shape shape4(int64_t a, int64_t b, int64_t c, int64_t d) { return {a, b, c, d}; }

// ------------------------------------------------------------ convolution
struct ConvArgs {
  Pair stride{1, 1}, padding{0, 0}, dilation{1, 1};
  int64_t groups = 1;
};

// conv2d of x [xs] with w [ws] (and bias [O] when `bias`).
OpCase conv_case(const std::string& name, Shape xs, Shape ws, bool bias, ConvArgs a) {
  std::vector<InputSpec> ins = {{xs}, {ws}};
  if (bias) ins.push_back({{ws[0]}});
  return make_case(
      name, "conv2d", Family::Linalg, ins,
      [a, bias](const Tensors& x) {
        return conv2d(x[0], x[1], bias ? x[2] : Tensor(), a.stride, a.padding, a.dilation, a.groups);
      },
      [a, bias](const R& x) {
        return rn::conv2d(x[0], x[1], bias ? &x[2] : nullptr, a.stride, a.padding, a.dilation,
                          a.groups);
      });
}

// conv2d_input_grad: g [N,O,OH,OW] (OH from the conv geometry), w [ws].
OpCase input_grad_case(const std::string& name, Shape xs, Shape ws, ConvArgs a) {
  const int64_t OH = rn::conv_out(xs[2], ws[2], a.stride[0], a.padding[0], a.dilation[0]);
  const int64_t OW = rn::conv_out(xs[3], ws[3], a.stride[1], a.padding[1], a.dilation[1]);
  return make_case(
      name, "conv2d_input_grad", Family::Linalg, {{shape4(xs[0], ws[0], OH, OW)}, {ws}},
      [a, xs](const Tensors& x) {
        return conv2d_input_grad(x[0], x[1], xs, a.stride, a.padding, a.dilation, a.groups);
      },
      [a, xs](const R& x) {
        return rn::conv2d_input_grad(x[0], x[1], xs, a.stride, a.padding, a.dilation, a.groups);
      });
}

// conv2d_weight_grad: x [xs], g [N,O,OH,OW].
OpCase weight_grad_case(const std::string& name, Shape xs, Shape ws, ConvArgs a) {
  const int64_t OH = rn::conv_out(xs[2], ws[2], a.stride[0], a.padding[0], a.dilation[0]);
  const int64_t OW = rn::conv_out(xs[3], ws[3], a.stride[1], a.padding[1], a.dilation[1]);
  return make_case(
      name, "conv2d_weight_grad", Family::Linalg, {{xs}, {shape4(xs[0], ws[0], OH, OW)}},
      [a, ws](const Tensors& x) {
        return conv2d_weight_grad(x[0], x[1], ws, a.stride, a.padding, a.dilation, a.groups);
      },
      [a, ws](const R& x) {
        return rn::conv2d_weight_grad(x[0], x[1], ws, a.stride, a.padding, a.dilation, a.groups);
      });
}

struct ConvTArgs {
  Pair stride{1, 1}, padding{0, 0}, output_padding{0, 0};
  int64_t groups = 1;
  Pair dilation{1, 1};
};

OpCase conv_t_case(const std::string& name, Shape xs, Shape ws, bool bias, ConvTArgs a) {
  std::vector<InputSpec> ins = {{xs}, {ws}};
  if (bias) ins.push_back({{ws[1] * a.groups}});
  return make_case(
      name, "", Family::Linalg, ins,
      [a, bias](const Tensors& x) {
        return conv_transpose2d(x[0], x[1], bias ? x[2] : Tensor(), a.stride, a.padding,
                                a.output_padding, a.groups, a.dilation);
      },
      [a, bias](const R& x) {
        return rn::conv_transpose2d(x[0], x[1], bias ? &x[2] : nullptr, a.stride, a.padding,
                                    a.output_padding, a.groups, a.dilation);
      });
}

void add_convolution(std::vector<OpCase>& v) {
  // Window sums here have at most 27 terms (50 for the weight gradients):
  // float32 accumulation stays well inside the default tolerance.
  v.push_back(conv_case("conv2d/plain", {2, 3, 5, 5}, {4, 3, 3, 3}, false, {}));
  v.push_back(conv_case("conv2d/bias", {2, 3, 5, 5}, {4, 3, 3, 3}, true, {}));
  v.push_back(conv_case("conv2d/stride2_pad1", {2, 2, 7, 7}, {3, 2, 3, 3}, false,
                        {{2, 2}, {1, 1}, {1, 1}, 1}));
  v.push_back(conv_case("conv2d/dilation2", {2, 2, 7, 7}, {3, 2, 3, 3}, false,
                        {{1, 1}, {0, 0}, {2, 2}, 1}));
  v.push_back(conv_case("conv2d/dilation2_pad2", {1, 2, 6, 7}, {2, 2, 3, 3}, true,
                        {{1, 1}, {2, 2}, {2, 2}, 1}));
  v.push_back(conv_case("conv2d/groups2", {2, 4, 5, 5}, {6, 2, 3, 3}, false,
                        {{1, 1}, {0, 0}, {1, 1}, 2}));
  v.push_back(conv_case("conv2d/pointwise_1x1", {2, 3, 5, 6}, {4, 3, 1, 1}, true, {}));
  // The kernel covers the whole input (a DCGAN critic's last layer): plain GEMM path.
  v.push_back(conv_case("conv2d/full_window", {3, 4, 3, 3}, {2, 4, 3, 3}, false, {}));
  v.push_back(conv_case("conv2d/kernel_2x3_stride_2x1", {2, 2, 5, 7}, {3, 2, 2, 3}, false,
                        {{2, 1}, {1, 0}, {1, 1}, 1}));
  v.push_back(conv_case("conv2d/nonsquare_input", {1, 2, 5, 7}, {2, 2, 3, 3}, true,
                        {{1, 2}, {0, 1}, {1, 1}, 1}));
  v.push_back(conv_case("conv2d/stride2_pad2_dil2_groups2", {1, 4, 7, 7}, {4, 2, 3, 3}, true,
                        {{2, 2}, {2, 2}, {2, 2}, 2}));

  v.push_back(input_grad_case("conv2d_input_grad/plain", {2, 2, 5, 5}, {3, 2, 3, 3}, {}));
  // H = W = 6 with k3 s2 p1 gives OH = 3, as H = 5 would: the input size is
  // not recoverable from g and must be taken from input_shape.
  v.push_back(input_grad_case("conv2d_input_grad/stride2_pad1_H6", {2, 2, 6, 6}, {3, 2, 3, 3},
                              {{2, 2}, {1, 1}, {1, 1}, 1}));
  v.push_back(input_grad_case("conv2d_input_grad/groups2_dil2", {1, 4, 7, 7}, {4, 2, 3, 3},
                              {{1, 1}, {1, 1}, {2, 2}, 2}));
  v.push_back(input_grad_case("conv2d_input_grad/nonsquare_stride_2x1", {1, 2, 6, 5},
                              {3, 2, 2, 3}, {{2, 1}, {0, 1}, {1, 1}, 1}));

  v.push_back(weight_grad_case("conv2d_weight_grad/plain", {2, 2, 5, 5}, {3, 2, 3, 3}, {}));
  v.push_back(weight_grad_case("conv2d_weight_grad/groups2_stride2_pad1", {1, 4, 6, 6},
                               {4, 2, 3, 3}, {{2, 2}, {1, 1}, {1, 1}, 2}));
  v.push_back(weight_grad_case("conv2d_weight_grad/dil_2x1_kernel_2x3", {2, 2, 5, 7},
                               {3, 2, 2, 3}, {{1, 1}, {0, 0}, {2, 1}, 1}));

  v.push_back(conv_t_case("conv_transpose2d/plain", {2, 3, 4, 4}, {3, 2, 3, 3}, false, {}));
  // From a 1x1 input (a DCGAN generator's first layer): plain GEMM path.
  v.push_back(conv_t_case("conv_transpose2d/from_1x1", {3, 4, 1, 1}, {4, 2, 3, 3}, false, {}));
  v.push_back(conv_t_case("conv_transpose2d/bias_stride2", {2, 2, 3, 3}, {2, 3, 3, 3}, true,
                          {{2, 2}, {0, 0}, {0, 0}, 1, {1, 1}}));
  v.push_back(conv_t_case("conv_transpose2d/stride2_pad1_outpad1", {2, 2, 3, 3}, {2, 3, 3, 3},
                          false, {{2, 2}, {1, 1}, {1, 1}, 1, {1, 1}}));
  v.push_back(conv_t_case("conv_transpose2d/groups2", {2, 4, 3, 3}, {4, 2, 3, 3}, false,
                          {{1, 1}, {0, 0}, {0, 0}, 2, {1, 1}}));
  v.push_back(conv_t_case("conv_transpose2d/dilation2", {2, 2, 3, 3}, {2, 2, 3, 3}, false,
                          {{1, 1}, {0, 0}, {0, 0}, 1, {2, 2}}));
  v.push_back(conv_t_case("conv_transpose2d/mixed_groups2_bias", {2, 4, 3, 4}, {4, 1, 2, 3},
                          true, {{2, 1}, {1, 0}, {1, 0}, 2, {1, 2}}));
}

// ---------------------------------------------------------- normalization
void add_normalization(std::vector<OpCase>& v) {
  // Training with affine parameters and running stats (created fresh per call:
  // they are updated in place).
  v.push_back(make_case(
      "batch_norm/train_affine_running", "batch_norm_train", Family::Composite, {{{2, 3, 3, 3}}, {{3}}, {{3}}},
      [](const Tensors& x) {
        Options o = Options(x[0].dtype()).device(x[0].device());
        Tensor rm = zeros({3}, o), rv = ones({3}, o);
        return batch_norm(x[0], rm, rv, x[1], x[2], true, 0.1, 1e-5);
      },
      [](const R& x) { return rn::batch_norm_train(x[0], &x[1], &x[2]); }));
  // The fused first-order backward kernel (no graph is built, so autograd
  // uses batch_norm_train_backward); returns [dx, dweight, dbias] flattened.
  // Its own derivative is the forward op's second derivative, which
  // gradgradcheck checks above through the composed formula.
  v.push_back(no_grad(make_case(
      "batch_norm/train_backward_fused", "batch_norm_train_backward", Family::Composite,
      {{{4, 3, 2, 3}}, {{3}}, {{3}}, {{4, 3, 2, 3}}},
      [](const Tensors& x) {
        Tensor in = x[0].detach(), w = x[1].detach(), b = x[2].detach();
        in.requires_grad_(true);
        w.requires_grad_(true);
        b.requires_grad_(true);
        Tensor y = batch_norm(in, Tensor(), Tensor(), w, b, true, 0.1, 1e-5);
        Tensors gr = autograd::grad({y}, {in, w, b}, {x[3]});
        return cat({reshape(gr[0], {-1}), gr[1], gr[2]}, 0);
      },
      [](const R& x) { return rn::batch_norm_train_grads(x[0], x[1], x[3]); })));
  // The running stats after one step: (1-m)*running + m*batch (unbiased var).
  // Not differentiable: the update is a side effect outside the graph.
  v.push_back(no_grad(make_case(
      "batch_norm/running_stats_update", "", Family::Composite, {{{3, 2, 2, 3}}},
      [](const Tensors& x) {
        Options o = Options(x[0].dtype()).device(x[0].device());
        Tensor rm = zeros({2}, o), rv = ones({2}, o);
        batch_norm(x[0], rm, rv, Tensor(), Tensor(), true, 0.2, 1e-5);
        return cat({rm, rv}, 0);
      },
      [](const R& x) { return rn::batch_norm_running_update(x[0], {0, 0}, {1, 1}, 0.2); })));
  v.push_back(make_case("batch_norm/train_2d_no_affine", "batch_norm_train", Family::Composite, {{{5, 3}}},
                 [](const Tensors& x) {
                   return batch_norm(x[0], Tensor(), Tensor(), Tensor(), Tensor(), true);
                 },
                 [](const R& x) { return rn::batch_norm_train(x[0], nullptr, nullptr); }));
  // Eval: running mean/var are fixed inputs (differentiable, as any input).
  v.push_back(make_case(
      "batch_norm/eval", "", Family::Composite,
      {{{2, 3, 3, 2}}, {{3}}, {{3}, Dist::Positive}, {{3}}, {{3}}},
      [](const Tensors& x) { return batch_norm(x[0], x[1], x[2], x[3], x[4], false); },
      [](const R& x) { return rn::batch_norm_eval(x[0], x[1], x[2], &x[3], &x[4]); }));

  v.push_back(make_case("layer_norm/last1_affine", "", Family::Composite, {{{3, 5}}, {{5}}, {{5}}},
                 [](const Tensors& x) { return layer_norm(x[0], {5}, x[1], x[2]); },
                 [](const R& x) { return rn::layer_norm(x[0], 1, &x[1], &x[2]); }));
  v.push_back(make_case("layer_norm/last1_no_affine", "", Family::Composite, {{{2, 3, 5}}},
                 [](const Tensors& x) { return layer_norm(x[0], {5}); },
                 [](const R& x) { return rn::layer_norm(x[0], 1, nullptr, nullptr); }));
  v.push_back(make_case("layer_norm/last2_affine", "", Family::Composite,
                 {{{2, 3, 4}}, {{3, 4}}, {{3, 4}}},
                 [](const Tensors& x) { return layer_norm(x[0], {3, 4}, x[1], x[2]); },
                 [](const R& x) { return rn::layer_norm(x[0], 2, &x[1], &x[2]); }));
  v.push_back(make_case("layer_norm/last2_no_affine", "", Family::Composite, {{{2, 2, 3}}},
                 [](const Tensors& x) { return layer_norm(x[0], {2, 3}); },
                 [](const R& x) { return rn::layer_norm(x[0], 2, nullptr, nullptr); }));

  v.push_back(make_case("group_norm/groups2_affine", "", Family::Composite,
                 {{{2, 4, 3, 3}}, {{4}}, {{4}}},
                 [](const Tensors& x) { return group_norm(x[0], 2, x[1], x[2]); },
                 [](const R& x) { return rn::group_norm(x[0], 2, &x[1], &x[2]); }));
  v.push_back(make_case("group_norm/groups3_3d_no_affine", "", Family::Composite, {{{2, 6, 4}}},
                 [](const Tensors& x) { return group_norm(x[0], 3); },
                 [](const R& x) { return rn::group_norm(x[0], 3, nullptr, nullptr); }));

  // ProGAN's normalizations (autograd/ops_nn.h).
  v.push_back(make_case("pixel_norm/4d", "", Family::Composite, {{{2, 5, 3, 2}}},
                 [](const Tensors& x) { return pixel_norm(x[0]); },
                 [](const R& x) { return rn::pixel_norm(x[0]); }));
  v.push_back(make_case("pixel_norm/2d_latent", "", Family::Composite, {{{3, 6}}},
                 [](const Tensors& x) { return pixel_norm(x[0], 1e-4); },
                 [](const R& x) { return rn::pixel_norm(x[0], 1e-4); }));
  v.push_back(make_case("minibatch_stddev/group2_f1", "", Family::Composite, {{{4, 3, 2, 3}}},
                 [](const Tensors& x) { return minibatch_stddev(x[0], 2, 1); },
                 [](const R& x) { return rn::minibatch_stddev(x[0], 2, 1); }));
  v.push_back(make_case("minibatch_stddev/group_over_batch_f2", "", Family::Composite, {{{3, 4, 2, 2}}},
                 [](const Tensors& x) { return minibatch_stddev(x[0], 4, 2); },
                 [](const R& x) { return rn::minibatch_stddev(x[0], 4, 2); }));
}

// ----------------------------------------------------------------- pooling
void add_pooling(std::vector<OpCase>& v) {
  auto avg = [&](const std::string& name, Shape xs, Pair k, Pair s, Pair p) {
    v.push_back(make_case(name, "", Family::Composite, {{xs}},
                   [=](const Tensors& x) { return avg_pool2d(x[0], k, s, p); },
                   [=](const R& x) { return rn::avg_pool2d(x[0], k, s, p); }));
  };
  avg("avg_pool2d/k2s2", {2, 2, 7, 7}, {2, 2}, {2, 2}, {0, 0});
  avg("avg_pool2d/k2_default_stride", {2, 2, 6, 5}, {2, 2}, {0, 0}, {0, 0});
  avg("avg_pool2d/k3s2p1", {2, 2, 7, 7}, {3, 3}, {2, 2}, {1, 1});
  avg("avg_pool2d/k2x3_s1x2_p1", {1, 2, 5, 7}, {2, 3}, {1, 2}, {1, 1});

  // The indices kernel, seen through max_pool2d's values (it has no API of
  // its own and its result, an index, has no derivative).
  auto maxp = [&](const std::string& name, const std::string& op, Shape xs, Pair k, Pair s,
                  Pair p, Pair d, bool grad) {
    OpCase c = make_case(name, op, op.empty() ? Family::Composite : Family::Reduce, {{xs, Dist::Distinct}},
                  [=](const Tensors& x) { return max_pool2d(x[0], k, s, p, d); },
                  [=](const R& x) { return rn::max_pool2d(x[0], k, s, p, d); });
    v.push_back(grad ? c : no_grad(c));
  };
  const std::string mpi = "max_pool2d_indices";
  // Distinct inputs (half negative) with padding: a window whose in-range
  // values are all negative would pick a zero if padding could win.
  maxp("max_pool2d_indices/k2s2", mpi, {2, 2, 7, 7}, {2, 2}, {0, 0}, {0, 0}, {1, 1}, false);
  maxp("max_pool2d_indices/k3s2p1", mpi, {2, 2, 7, 7}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, false);
  maxp("max_pool2d_indices/k3s1p1_dil2", mpi, {1, 3, 6, 7}, {3, 3}, {1, 1}, {1, 1}, {2, 2}, false);
  maxp("max_pool2d/k2s2", "", {2, 2, 7, 7}, {2, 2}, {0, 0}, {0, 0}, {1, 1}, true);
  maxp("max_pool2d/k3s2p1", "", {2, 2, 7, 7}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, true);
  maxp("max_pool2d/k2x3_s1x2_p1_dil2x1", "", {2, 2, 6, 7}, {2, 3}, {1, 2}, {1, 1}, {2, 1}, true);

  auto adaptive = [&](const std::string& name, Shape xs, Pair out) {
    v.push_back(make_case(name, "", Family::Composite, {{xs}},
                   [=](const Tensors& x) { return adaptive_avg_pool2d(x[0], out); },
                   [=](const R& x) { return rn::adaptive_avg_pool2d(x[0], out); }));
  };
  adaptive("adaptive_avg_pool2d/7x7_to_3x3", {2, 2, 7, 7}, {3, 3});  // overlapping bins
  adaptive("adaptive_avg_pool2d/6x6_to_2x3", {2, 2, 6, 6}, {2, 3});
  adaptive("adaptive_avg_pool2d/5x7_to_5x1", {1, 2, 5, 7}, {5, 1});  // identity rows, global cols
}

// -------------------------------------------------------------- resampling
// pixel_shuffle / pixel_unshuffle against the index map written out:
// large (n, c, h*r + i, w*r + j) = small (n, c*r*r + i*r + j, h, w).
void add_shuffle(std::vector<OpCase>& v) {
  auto small_index = [](const std::vector<int64_t>& L, int64_t r) {  // large index -> small
    return std::vector<int64_t>{L[0], L[1] * r * r + (L[2] % r) * r + L[3] % r, L[2] / r, L[3] / r};
  };
  for (int64_t r : {2, 3}) {
    const Shape small = {2, 2 * r * r, 2, 3}, large = {2, 2, 2 * r, 3 * r};
    v.push_back(make_case(
        "pixel_shuffle/r" + std::to_string(r), "pixel_shuffle", Family::Composite, {{small}},
        [r](const Tensors& x) { return pixel_shuffle(x[0], r); },
        [=](const R& x) {
          Ref y{large, std::vector<double>(ref::numel(large))};
          for (int64_t l = 0; l < ref::numel(large); ++l) {
            const auto s = small_index(ref::unravel(l, large), r);
            y.v[l] = x[0].v[((s[0] * small[1] + s[1]) * small[2] + s[2]) * small[3] + s[3]];
          }
          return y;
        }));
    v.push_back(make_case(
        "pixel_unshuffle/r" + std::to_string(r), "pixel_unshuffle", Family::Composite, {{large}},
        [r](const Tensors& x) { return pixel_unshuffle(x[0], r); },
        [=](const R& x) {
          Ref y{small, std::vector<double>(ref::numel(small))};
          for (int64_t l = 0; l < ref::numel(large); ++l) {
            const auto s = small_index(ref::unravel(l, large), r);
            y.v[((s[0] * small[1] + s[1]) * small[2] + s[2]) * small[3] + s[3]] = x[0].v[l];
          }
          return y;
        }));
  }
}

void add_resampling(std::vector<OpCase>& v) {
  auto nearest = [&](const std::string& name, Shape xs, Pair out) {
    v.push_back(make_case(name, "", Family::Composite, {{xs}},
                   [=](const Tensors& x) { return upsample_nearest2d(x[0], out); },
                   [=](const R& x) { return rn::upsample_nearest2d(x[0], out); }));
  };
  nearest("upsample_nearest2d/3x4_to_6x8", {2, 2, 3, 4}, {6, 8});
  nearest("upsample_nearest2d/5x5_to_7x3", {1, 2, 5, 5}, {7, 3});

  auto bilinear = [&](const std::string& name, Shape xs, Pair out, bool ac) {
    v.push_back(make_case(name, "", Family::Composite, {{xs}},
                   [=](const Tensors& x) { return upsample_bilinear2d(x[0], out, ac); },
                   [=](const R& x) { return rn::upsample_bilinear2d(x[0], out, ac); }));
  };
  bilinear("upsample_bilinear2d/up_3x4_to_5x7", {2, 2, 3, 4}, {5, 7}, false);
  bilinear("upsample_bilinear2d/up_3x4_to_5x7_align_corners", {2, 2, 3, 4}, {5, 7}, true);
  bilinear("upsample_bilinear2d/up_2x2_to_4x4", {1, 2, 2, 2}, {4, 4}, false);
  bilinear("upsample_bilinear2d/down_7x6_to_4x3", {1, 2, 7, 6}, {4, 3}, false);
  bilinear("upsample_bilinear2d/down_7x6_to_4x3_align_corners", {1, 2, 7, 6}, {4, 3}, true);
}


// ------------------------------------------------------- style-based ops
// upfirdn2d against its definition written out step by step
// (rn::upfirdn2d): odd sizes, up and down on different axes, negative pads
// (crops), both filter orientations, a gain, and the separable form (a 1-D
// filter, checked against its outer product). Both inputs are differentiated:
// x through the op's adjoint, f through the grouped weight gradient.
void add_upfirdn(std::vector<OpCase>& v) {
  struct U {
    std::string name;
    Shape xs, fs;
    Pair up, down;
    Pad4 pad;
    bool flip;
    double gain;
  };
  const std::vector<U> cases = {
      {"upfirdn2d/up2_pad2_1_odd", {2, 2, 3, 5}, {4, 4}, {2, 2}, {1, 1}, {2, 1, 2, 1}, false, 4.0},
      {"upfirdn2d/down2_pad1_7x6", {1, 2, 7, 6}, {3, 3}, {1, 1}, {2, 2}, {1, 1, 1, 1}, false, 1.0},
      {"upfirdn2d/mixed_crop_flip", {1, 2, 5, 4}, {2, 3}, {1, 3}, {2, 1}, {-1, 2, 1, -1}, true, 0.5},
      {"upfirdn2d/up3_down2", {1, 1, 4, 3}, {3, 2}, {3, 3}, {2, 2}, {0, 1, 1, 0}, false, 1.0},
      {"upfirdn2d/separable_up2", {2, 1, 3, 3}, {4}, {2, 2}, {1, 1}, {2, 1, 2, 1}, false, 4.0},
      {"upfirdn2d/separable_down2_flip", {1, 2, 6, 5}, {3}, {1, 1}, {2, 2}, {1, 1, 1, 0}, true, 1.0},
  };
  for (const U& c : cases) {
    OpCase oc = make_case(
        c.name, "upfirdn2d", Family::Linalg, {{c.xs}, {c.fs}},
        [c](const Tensors& x) { return upfirdn2d(x[0], x[1], c.up, c.down, c.pad, c.flip, c.gain); },
        [c](const R& x) {
          Ref f = x[1];
          if (f.shape.size() == 1) {  // separable: the outer product, one gain
            const int64_t K = f.shape[0];
            f = Ref{{K, K}, std::vector<double>(K * K)};
            for (int64_t i = 0; i < K; ++i)
              for (int64_t j = 0; j < K; ++j) f.v[i * K + j] = x[1].v[i] * x[1].v[j];
          }
          return rn::upfirdn2d(x[0], f, c.up[0], c.up[1], c.down[0], c.down[1], c.pad[0], c.pad[1],
                               c.pad[2], c.pad[3], c.flip, c.gain);
        });
    // 16-bit: the filter's gradient sums over every pixel of every channel,
    // and the separable form rounds its intermediate once more.
    oc.tol = 4.0;
    v.push_back(oc);
  }
  // The centred helpers StyleGAN uses, with the [1,3,3,1] filter.
  auto helper = [&](const std::string& name, Shape xs, int kind) {
    v.push_back(make_case(
        name, "", Family::Composite, {{xs}},
        [kind](const Tensors& x) {
          const Tensor f = make_resample_filter({1, 3, 3, 1}, x[0]);
          return kind == 0 ? upsample2d(x[0], f) : kind == 1 ? downsample2d(x[0], f) : filter2d(x[0], f);
        },
        [kind](const R& x) {
          Ref f{{4, 4}, std::vector<double>(16)};
          const double t[4] = {1, 3, 3, 1};
          for (int i = 0; i < 4; ++i)
            for (int j = 0; j < 4; ++j) f.v[i * 4 + j] = t[i] * t[j] / 64.0;
          if (kind == 0) return rn::upfirdn2d(x[0], f, 2, 2, 1, 1, 2, 1, 2, 1, false, 4.0);
          if (kind == 1) return rn::upfirdn2d(x[0], f, 1, 1, 2, 2, 1, 1, 1, 1, false, 1.0);
          return rn::upfirdn2d(x[0], f, 1, 1, 1, 1, 2, 1, 2, 1, false, 1.0);
        }));
  };
  helper("upsample2d/1331_3x5", {1, 2, 3, 5}, 0);
  helper("downsample2d/1331_6x4", {1, 2, 6, 4}, 1);
  helper("filter2d/1331_5x5", {1, 1, 5, 5}, 2);
}

// modulated_conv2d, both forms against one reference (rn::modulated_conv2d):
// with and without demodulation, 3x3 padded and 1x1 (StyleGAN's to-RGB).
void add_modulated_conv(std::vector<OpCase>& v) {
  for (ModConvForm form : {ModConvForm::Grouped, ModConvForm::ScaleConvScale}) {
    const std::string f = form == ModConvForm::Grouped ? "grouped" : "scale_conv_scale";
    for (bool demod : {true, false}) {
      const int64_t k = demod ? 3 : 1, pad = demod ? 1 : 0;
      v.push_back(make_case(
          "modulated_conv2d/" + f + (demod ? "_demod_3x3" : "_1x1"), "", Family::Composite,
          {{{2, 3, 4, 3}}, {{2, 3, k, k}}, {{2, 3}, Dist::Positive}},
          [=](const Tensors& x) { return modulated_conv2d(x[0], x[1], x[2], demod, pad, form); },
          [=](const R& x) { return rn::modulated_conv2d(x[0], x[1], x[2], demod, pad); }));
    }
  }
}

// bias_act against the unfused chain (rn::bias_act), each activation, with
// and without a bias and a clamp; bias_act_grad against act' written from
// the output. Leaky relu / relu inputs keep away from the kink at 0.
void add_bias_act(std::vector<OpCase>& v) {
  struct B {
    std::string name;
    Activation act;
    double alpha, gain, clamp;
    bool bias;
    Shape xs;
  };
  const std::vector<B> cases = {
      {"bias_act/linear_bias", Activation::Linear, 0.2, 1.0, -1, true, {2, 3, 2, 3}},
      {"bias_act/lrelu_default_gain", Activation::LeakyRelu, 0.2, -1.0, -1, true, {2, 3, 4}},
      {"bias_act/lrelu_clamp", Activation::LeakyRelu, 0.2, -1.0, 1.5, true, {2, 3, 2, 2}},
      {"bias_act/relu_nobias", Activation::Relu, 0.2, -1.0, -1, false, {3, 4}},
      {"bias_act/tanh_gain2_clamp", Activation::Tanh, 0.2, 2.0, 1.2, true, {2, 3, 3}},
      {"bias_act/sigmoid", Activation::Sigmoid, 0.2, 1.0, -1, true, {4, 5}},
  };
  for (const B& c : cases) {
    const bool kink = c.act == Activation::Relu || c.act == Activation::LeakyRelu;
    std::vector<InputSpec> ins = {{c.xs, kink ? Dist::AwayZero : Dist::Uniform}};
    // (x + b lands within gradcheck's step of the kink only by a measure-zero
    // accident; the seeds are fixed, so such an accident would show at once.)
    if (c.bias) ins.push_back({{c.xs[1]}});
    const int act = static_cast<int>(c.act);
    const double gain = c.gain < 0 ? act_gain(c.act) : c.gain;
    v.push_back(make_case(
        c.name, "bias_act", Family::Composite, ins,
        [c](const Tensors& x) {
          return bias_act(x[0], c.bias ? x[1] : Tensor(), c.act, c.alpha, c.gain, c.clamp);
        },
        [c, act, gain](const R& x) {
          return rn::bias_act(x[0], c.bias ? &x[1] : nullptr, act, c.alpha, gain, c.clamp);
        }));
  }
  struct G {
    std::string name;
    Activation act;
    double gain, clamp;
    Dist y;
  };
  const std::vector<G> grads = {
      {"bias_act_grad/lrelu", Activation::LeakyRelu, std::sqrt(2.0), -1, Dist::AwayZero},
      {"bias_act_grad/tanh", Activation::Tanh, 1.0, -1, Dist::Uniform},
      {"bias_act_grad/sigmoid_gain2_clamp", Activation::Sigmoid, 2.0, 1.5, Dist::Uniform},
  };
  for (const G& c : grads) {
    v.push_back(make_case(
        c.name, "bias_act_grad", Family::Composite, {{{3, 4}}, {{3, 4}, c.y}},
        [c](const Tensors& x) { return bias_act_grad(x[0], x[1], c.act, 0.2, c.gain, c.clamp); },
        [c](const R& x) {
          return rn::bias_act_grad(x[0], x[1], static_cast<int>(c.act), 0.2, c.gain, c.clamp);
        }));
  }
}

// ----------------------------------------------------------------- padding
void add_padding(std::vector<OpCase>& v) {
  auto padc = [&](const std::string& name, Shape xs, std::vector<int64_t> pads, PadMode m,
                  double value) {
    const rn::PadKind k = m == PadMode::Constant  ? rn::PadKind::Constant
                          : m == PadMode::Reflect ? rn::PadKind::Reflect
                                                  : rn::PadKind::Replicate;
    v.push_back(make_case(name, "", Family::Composite, {{xs}},
                   [=](const Tensors& x) { return pad(x[0], pads, m, value); },
                   [=](const R& x) { return rn::pad(x[0], pads, k, value); }));
  };
  padc("pad/constant", {2, 2, 4, 5}, {1, 2, 0, 3}, PadMode::Constant, 0.5);
  padc("pad/constant_last_dim_only", {2, 2, 3, 4}, {2, 1}, PadMode::Constant, 0.0);
  padc("pad/reflect", {2, 2, 4, 5}, {2, 1, 3, 1}, PadMode::Reflect, 0.0);
  padc("pad/replicate", {2, 2, 4, 5}, {3, 0, 1, 2}, PadMode::Replicate, 0.0);
}

// ------------------------------------------------------- joining, indexing
void add_indexing(std::vector<OpCase>& v) {
  auto catc = [&](const std::string& name, std::vector<Shape> shapes, int64_t dim) {
    std::vector<InputSpec> ins;
    for (auto& s : shapes) ins.push_back({s});
    v.push_back(make_case(name, "", Family::Composite, ins,
                   [dim](const Tensors& x) { return cat(x, dim); },
                   [dim](const R& x) { return rn::cat(x, dim); }));
  };
  catc("cat/dim0", {{1, 2, 3}, {3, 2, 3}, {2, 2, 3}}, 0);
  catc("cat/dim1", {{2, 1, 3}, {2, 3, 3}, {2, 2, 3}}, 1);
  catc("cat/dim_neg1", {{2, 3, 1}, {2, 3, 4}, {2, 3, 2}}, -1);

  auto stackc = [&](const std::string& name, int64_t dim) {
    v.push_back(make_case(name, "", Family::Composite, {{{2, 3}}, {{2, 3}}, {{2, 3}}},
                   [dim](const Tensors& x) { return stack(x, dim); },
                   [dim](const R& x) { return rn::stack(x, dim); }));
  };
  stackc("stack/dim0", 0);
  stackc("stack/dim1", 1);
  stackc("stack/dim_neg1", -1);

  v.push_back(make_case("split/uneven", "", Family::Composite, {{{3, 7}}},
                 [](const Tensors& x) {
                   auto p = split(x[0], 3, 1);  // widths 3, 3, 1
                   if (p.size() != 3) throw std::runtime_error("split: expected 3 pieces");
                   return cat({p[2], p[0], p[1] * 2.0}, 1);
                 },
                 [](const R& x) {
                   Ref r{{3, 7}, {}};
                   for (int i = 0; i < 3; ++i) {
                     const double* row = &x[0].v[i * 7];
                     r.v.push_back(row[6]);
                     for (int j = 0; j < 3; ++j) r.v.push_back(row[j]);
                     for (int j = 3; j < 6; ++j) r.v.push_back(2 * row[j]);
                   }
                   return r;
                 }));

  // More indices than rows: repeats are certain (backward must accumulate).
  v.push_back(make_case("index_select/dim0_repeats", "", Family::Composite,
                 {{{4, 3}}, {{6}, Dist::Index, 4}},
                 [](const Tensors& x) { return index_select(x[0], 0, x[1]); },
                 [](const R& x) { return rn::index_select(x[0], 0, x[1]); }));
  v.push_back(make_case("index_select/dim1_repeats", "", Family::Composite,
                 {{{2, 3, 2}}, {{5}, Dist::Index, 3}},
                 [](const Tensors& x) { return index_select(x[0], 1, x[1]); },
                 [](const R& x) { return rn::index_select(x[0], 1, x[1]); }));

  // gather: idx has x's shape except along dim.
  v.push_back(make_case("gather/dim1", "gather", Family::Composite,
                 {{{3, 4}}, {{3, 6}, Dist::Index, 4}},
                 [](const Tensors& x) { return gather(x[0], 1, x[1]); },
                 [](const R& x) { return rn::gather(x[0], 1, x[1]); }));
  v.push_back(make_case("gather/dim0", "gather", Family::Composite,
                 {{{4, 3}}, {{2, 3}, Dist::Index, 4}},
                 [](const Tensors& x) { return gather(x[0], 0, x[1]); },
                 [](const R& x) { return rn::gather(x[0], 0, x[1]); }));
  v.push_back(make_case("gather/3d_dim2", "gather", Family::Composite,
                 {{{2, 3, 4}}, {{2, 3, 5}, Dist::Index, 4}},
                 [](const Tensors& x) { return gather(x[0], 2, x[1]); },
                 [](const R& x) { return rn::gather(x[0], 2, x[1]); }));

  // scatter_add: more sources than targets along dim, so indices repeat.
  v.push_back(make_case("scatter_add/dim1_duplicates", "scatter_add", Family::Composite,
                 {{{3, 4}}, {{3, 7}, Dist::Index, 4}, {{3, 7}}},
                 [](const Tensors& x) { return scatter_add(x[0], 1, x[1], x[2]); },
                 [](const R& x) { return rn::scatter_add(x[0], 1, x[1], x[2]); }));
  v.push_back(make_case("scatter_add/dim0_duplicates", "scatter_add", Family::Composite,
                 {{{3, 4}}, {{5, 4}, Dist::Index, 3}, {{5, 4}}},
                 [](const Tensors& x) { return scatter_add(x[0], 0, x[1], x[2]); },
                 [](const R& x) { return rn::scatter_add(x[0], 0, x[1], x[2]); }));

  v.push_back(make_case("embedding/2d_indices", "", Family::Composite,
                 {{{2, 3}, Dist::Index, 5}, {{5, 4}}},
                 [](const Tensors& x) { return embedding(x[0], x[1]); },
                 [](const R& x) { return rn::embedding(x[0], x[1]); }));
  v.push_back(make_case("embedding/repeats", "", Family::Composite,
                 {{{7}, Dist::Index, 4}, {{4, 3}}},
                 [](const Tensors& x) { return embedding(x[0], x[1]); },
                 [](const R& x) { return rn::embedding(x[0], x[1]); }));

  // num_classes above the index range: trailing columns are all zero.
  v.push_back(no_grad(make_case("one_hot", "", Family::Composite, {{{2, 3}, Dist::Index, 4}},
                         [](const Tensors& x) { return one_hot(x[0], 5); },
                         [](const R& x) { return rn::one_hot(x[0], 5); })));

  v.push_back(make_case("masked_fill/same_shape", "", Family::Composite,
                 {{{3, 4}}, {{3, 4}, Dist::Mask}},
                 [](const Tensors& x) { return masked_fill(x[0], x[1], -1.5); },
                 [](const R& x) { return rn::masked_fill(x[0], x[1], -1.5); }));
  v.push_back(make_case("masked_fill/broadcast_mask", "", Family::Composite,
                 {{{2, 3, 4}}, {{3, 1}, Dist::Mask}},
                 [](const Tensors& x) { return masked_fill(x[0], x[1], 0.25); },
                 [](const R& x) { return rn::masked_fill(x[0], x[1], 0.25); }));
}

// ------------------------------------------------------- softmax and losses
void add_softmax_losses(std::vector<OpCase>& v) {
  auto sm = [&](const std::string& name, Shape xs, int64_t dim, bool is_log, double shift) {
    OpCase c = make_case(name, "", Family::Composite, {{xs}},
                  [=](const Tensors& x) {
                    Tensor in = shift == 0.0 ? x[0] : x[0] + shift;
                    return is_log ? log_softmax(in, dim) : softmax(in, dim);
                  },
                  [=](const R& x) {
                    Ref in = ref::map1(x[0], [shift](double a) { return a + shift; });
                    return is_log ? rn::log_softmax(in, dim) : rn::softmax(in, dim);
                  });
    // Shifted logits (~100): exp overflows float32 for every element unless
    // the maximum is subtracted. (The float32 rounding of the shifted logits,
    // <= 3.8e-6, stays within the default tolerance: measured < 0.25 of it.)
    v.push_back(c);
  };
  sm("softmax/dim1", {3, 5}, 1, false, 0.0);
  sm("softmax/dim_neg1", {2, 3, 4}, -1, false, 0.0);
  sm("softmax/dim1_of_3d", {2, 3, 4}, 1, false, 0.0);
  sm("softmax/shifted_large", {3, 5}, 1, false, 100.0);
  sm("log_softmax/dim1", {3, 5}, 1, true, 0.0);
  sm("log_softmax/dim_neg1", {2, 3, 4}, -1, true, 0.0);
  sm("log_softmax/dim0", {4, 3}, 0, true, 0.0);
  sm("log_softmax/shifted_large", {3, 5}, 1, true, 100.0);

  const Reduction reds[] = {Reduction::Mean, Reduction::Sum, Reduction::None};
  for (Reduction r : reds) {
    const std::string s = red_name(r);
    const rn::Red rr = red_of(r);
    v.push_back(make_case("binary_cross_entropy/" + s, "", Family::Composite,
                   {{{3, 4}, Dist::Prob}, {{3, 4}, Dist::Prob}},
                   [r](const Tensors& x) { return binary_cross_entropy(x[0], x[1], r); },
                   [rr](const R& x) { return rn::binary_cross_entropy(x[0], x[1], rr); }));
    v.push_back(make_case("binary_cross_entropy_with_logits/" + s, "", Family::Composite,
                   {{{3, 4}}, {{3, 4}, Dist::Prob}},
                   [r](const Tensors& x) { return binary_cross_entropy_with_logits(x[0], x[1], r); },
                   [rr](const R& x) {
                     return rn::binary_cross_entropy_with_logits(x[0], x[1], rr);
                   }));
    v.push_back(make_case("mse_loss/" + s, "", Family::Composite, {{{3, 4}}, {{3, 4}}},
                   [r](const Tensors& x) { return mse_loss(x[0], x[1], r); },
                   [rr](const R& x) { return rn::mse_loss(x[0], x[1], rr); }));
    // x = target + d with |d| >= 0.1: away from l1's kink. Inputs are (d, target),
    // so the check covers both derivatives (d/dtarget of the loss is 0 only
    // if the target's derivative is exactly minus the input's).
    v.push_back(make_case("l1_loss/" + s, "", Family::Composite,
                   {{{3, 4}, Dist::AwayZero}, {{3, 4}}},
                   [r](const Tensors& x) { return l1_loss(x[1] + x[0], x[1], r); },
                   [rr](const R& x) {
                     Ref in = ref::map2(x[1], x[0], [](double t, double d) { return t + d; });
                     return rn::l1_loss(in, x[1], rr);
                   }));
    v.push_back(make_case("cross_entropy/" + s, "", Family::Composite,
                   {{{4, 5}}, {{4}, Dist::Index, 5}},
                   [r](const Tensors& x) { return cross_entropy(x[0], x[1], r); },
                   [rr](const R& x) { return rn::cross_entropy(x[0], x[1], rr); }));
    v.push_back(make_case("nll_loss/" + s, "", Family::Composite,
                   {{{4, 5}}, {{4}, Dist::Index, 5}},
                   [r](const Tensors& x) { return nll_loss(x[0], x[1], r); },
                   [rr](const R& x) { return rn::nll_loss(x[0], x[1], rr); }));
  }

  // Probabilities of exactly 0 and 1: the log terms clamp at -100 (finite
  // loss); the derivative is infinite there, so no gradient check.
  v.push_back(no_grad(make_case(
      "binary_cross_entropy/clamped_log", "", Family::Composite,
      {{{3, 4}, Dist::Prob}, {{3, 4}, Dist::Prob}, {{3, 4}, Dist::Mask}, {{3, 4}, Dist::Mask}},
      [](const Tensors& x) {
        Tensor p = masked_fill(masked_fill(x[0], x[2], 1.0), x[3], 0.0);
        return binary_cross_entropy(p, x[1], Reduction::None);
      },
      [](const R& x) {
        Ref p = rn::masked_fill(rn::masked_fill(x[0], x[2], 1.0), x[3], 0.0);
        return rn::binary_cross_entropy(p, x[1], rn::Red::None);
      })));
  // Exactly saturated both ways: p in {0, 1} against targets in {0, 1} (masks
  // pick each element's p and t), so all four corners occur. The forward is
  // checked here; the analytic gradient at the corners (finite: +-1e12 or 0)
  // against hand-computed values, and gradcheck 1e-6 inside (0, 1), in
  // test_autograd_safety.
  v.push_back(no_grad(make_case(
      "binary_cross_entropy/saturated_targets", "", Family::Composite,
      {{{4, 5}, Dist::Prob}, {{4, 5}, Dist::Prob}, {{4, 5}, Dist::Mask}, {{4, 5}, Dist::Mask}},
      [](const Tensors& x) {
        Tensor p = masked_fill(mul(x[0], 0.0), x[2], 1.0);  // the case's dtype, values 0 or 1
        Tensor t = masked_fill(mul(x[1], 0.0), x[3], 1.0);
        return binary_cross_entropy(p, t, Reduction::None);
      },
      [](const R& x) {
        Ref p = ref::map1(x[2], [](double m) { return m != 0 ? 1.0 : 0.0; });
        Ref t = ref::map1(x[3], [](double m) { return m != 0 ? 1.0 : 0.0; });
        return rn::binary_cross_entropy(p, t, rn::Red::None);
      })));
  // Logits up to +-100: softplus must not overflow (saturated: no gradient check).
  v.push_back(no_grad(make_case(
      "binary_cross_entropy_with_logits/large", "", Family::Composite,
      {{{3, 4}}, {{3, 4}, Dist::Prob}},
      [](const Tensors& x) {
        return binary_cross_entropy_with_logits(x[0] * 50.0, x[1], Reduction::None);
      },
      [](const R& x) {
        Ref in = ref::map1(x[0], [](double a) { return 50 * a; });
        return rn::binary_cross_entropy_with_logits(in, x[1], rn::Red::None);
      })));
  v.push_back(no_grad(make_case(
      "cross_entropy/large_logits", "", Family::Composite, {{{4, 5}}, {{4}, Dist::Index, 5}},
      [](const Tensors& x) { return cross_entropy(x[0] * 50.0, x[1], Reduction::None); },
      [](const R& x) {
        Ref in = ref::map1(x[0], [](double a) { return 50 * a; });
        return rn::cross_entropy(in, x[1], rn::Red::None);
      })));
}

}  // namespace

// grid_sample against PyTorch's documented definition (rn::grid_sample): both
// paddings and both corner conventions, points inside, across the border and
// outside (the grid's U(-2, 2) draws, halved for two cases), upsampling and
// downsampling grids; its fused first-order backward (no graph) against the
// reference's dx and dgrid; affine_grid against its definition.
void add_grid_sample(std::vector<OpCase>& v) {
  struct G {
    std::string name;
    Shape xs, gs;
    bool border, align;
    double spread;  // the grid's U(-2, 2) draws times this (0.5 or 1: exact in every dtype)
  };
  const std::vector<G> cases = {
      {"grid_sample/zeros_5x4_to_3x6", {2, 3, 5, 4}, {2, 3, 6, 2}, false, false, 0.5},
      {"grid_sample/border_4x6_to_5x3", {2, 2, 4, 6}, {2, 5, 3, 2}, true, false, 1.0},
      {"grid_sample/zeros_align_3x3_to_4x4", {1, 2, 3, 3}, {1, 4, 4, 2}, false, true, 1.0},
      {"grid_sample/border_align_6x5_to_2x7", {2, 1, 6, 5}, {2, 2, 7, 2}, true, true, 0.5},
  };
  for (const G& c : cases) {
    const double spread = c.spread;
    const GridPadding pad = c.border ? GridPadding::Border : GridPadding::Zeros;
    OpCase oc = make_case(
        c.name, "grid_sample", Family::Linalg, {{c.xs}, {c.gs}},
        [=](const Tensors& x) { return grid_sample(x[0], mul(x[1], spread), pad, c.align); },
        [=](const R& x) {
          Ref g = x[1];
          for (double& e : g.v) e *= spread;
          return rn::grid_sample(x[0], g, c.border, c.align);
        });
    oc.tol = 4.0;  // 16-bit: the coordinates themselves are rounded
    v.push_back(oc);
    // want 1 / 2: dx / dgrid; the fused kernel (no graph), then the
    // composite form create_graph builds (what gradgradcheck differentiates,
    // but never compares with the first derivative itself).
    for (int row = 0; row < 4; ++row) {
      const int want = 1 + row % 2;
      const bool composite = row >= 2;
      OpCase b = make_case(
          std::string(composite ? "grid_sample_grad_composite" : "grid_sample_backward") +
              c.name.substr(c.name.find('/')) + (want == 1 ? "/dx" : "/dgrid"),
          composite ? "" : "grid_sample_backward", Family::Composite,
          {{c.xs}, {c.gs}, {{c.xs[0], c.xs[1], c.gs[1], c.gs[2]}}},
          [=](const Tensors& x) {
            Tensor in = x[0].detach(), grid = mul(x[1], spread).detach();
            in.requires_grad_(true);
            grid.requires_grad_(true);
            Tensor y = grid_sample(in, grid, pad, c.align);
            return autograd::grad({y}, {want == 1 ? in : grid}, {x[2]}, /*create_graph=*/composite)[0].detach();
          },
          [=](const R& x) {
            Ref g = x[1];
            for (double& e : g.v) e *= spread;
            return rn::grid_sample(x[0], g, c.border, c.align, &x[2], want);
          });
      b.grad = b.gradgrad = false;
      b.tol = 8.0;  // 16-bit: dx adds up to four rounded terms per point
      v.push_back(b);
    }
  }
  for (bool align : {false, true}) {
    v.push_back(make_case(align ? "affine_grid/align_3x4" : "affine_grid/3x4", "", Family::Composite,
                          {{{2, 2, 3}}},
                          [=](const Tensors& x) { return affine_grid(x[0], 3, 4, align); },
                          [=](const R& x) { return rn::affine_grid(x[0], 3, 4, align); }));
  }
}

void add_nn_cases(std::vector<OpCase>& v) {
  add_convolution(v);
  add_normalization(v);
  add_pooling(v);
  add_resampling(v);
  add_shuffle(v);
  add_upfirdn(v);
  add_bias_act(v);
  add_grid_sample(v);
  add_modulated_conv(v);
  add_padding(v);
  add_indexing(v);
  add_softmax_losses(v);
}

}  // namespace tbl
