// bench/dcgan_shapes.h — the convolution layers of the DCGAN at batch 64, one
// table shared by bench_ops (Gantry) and bench_libtorch (its twin), so both
// programs time exactly the same shapes. Plain C++: no Gantry or LibTorch types.
//
// A conv layer maps x [N,Cin,H,W] with w [Cout,Cin,K,K] to [N,Cout,OH,OW];
// a transposed one maps x [N,Cin,H,W] with w [Cin,Cout,K,K] to
// [N,Cout,(H-1)*s-2p+K, ...]. Passes: 0 forward, 1 backward-input, 2 backward-weight.
#pragma once
#include <cstdint>

namespace gantry {
namespace bench {

struct ConvLayer {
  const char* name;
  bool transposed;
  int64_t N, Cin, H, W, Cout, K, stride, pad;
  int64_t OH() const { return transposed ? (H - 1) * stride - 2 * pad + K : (H + 2 * pad - K) / stride + 1; }
  int64_t OW() const { return transposed ? (W - 1) * stride - 2 * pad + K : (W + 2 * pad - K) / stride + 1; }
  // Multiply-adds x 2 of one pass (all three passes cost the same).
  double flops() const {
    return transposed ? 2.0 * N * Cin * H * W * Cout * K * K : 2.0 * N * Cout * OH() * OW() * Cin * K * K;
  }
};

constexpr int kNumConvLayers = 8;
constexpr ConvLayer kConvLayers[kNumConvLayers] = {
    {"G1_convT_100x1x1_256x4x4", true, 64, 100, 1, 1, 256, 4, 1, 0},
    {"G2_convT_256x4x4_128x7x7", true, 64, 256, 4, 4, 128, 3, 2, 1},
    {"G3_convT_128x7x7_64x14x14", true, 64, 128, 7, 7, 64, 4, 2, 1},
    {"G4_convT_64x14x14_1x28x28", true, 64, 64, 14, 14, 1, 4, 2, 1},
    {"D1_conv_1x28x28_64x14x14", false, 64, 1, 28, 28, 64, 4, 2, 1},
    {"D2_conv_64x14x14_128x7x7", false, 64, 64, 14, 14, 128, 4, 2, 1},
    {"D3_conv_128x7x7_256x3x3", false, 64, 128, 7, 7, 256, 4, 2, 1},
    {"D4_conv_256x3x3_1x1x1", false, 64, 256, 3, 3, 1, 3, 1, 0},
};
constexpr const char* kPassNames[3] = {"fwd", "bwd_input", "bwd_weight"};

// GEMMs at the im2col shapes of the batched convolution (kernels/cpu/conv.cpp):
// C [M,N] = op(A) @ op(B), op = transpose when the flag is set.
struct GemmShape {
  const char* name;
  int64_t M, K, N;
  bool a_trans, b_trans;
};
constexpr int kNumGemmShapes = 6;
constexpr GemmShape kGemmShapes[kNumGemmShapes] = {
    {"D2_fwd_W@cols", 128, 1024, 3136, false, false},
    {"D2_bwd_weight_G@colsT", 128, 3136, 1024, false, true},
    {"G3_fwd_WT@G", 1024, 128, 3136, true, false},
    {"D3_fwd_W@cols", 256, 2048, 576, false, false},
    {"D3_bwd_input_WT@G", 2048, 256, 576, true, false},
    {"G2_fwd_WT@G", 2304, 256, 1024, true, false},
};

}  // namespace bench
}  // namespace gantry
