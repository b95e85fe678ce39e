// bench/translation_shapes.h — the translation rows of `gantry bench`: one
// training step (D step + G step, Adam) of configs/pix2pix.toml's and
// configs/cyclegan.toml's models on 28x28 one-channel images. Shared by
// apps/bench.cpp (Gantry's TranslationTrainer::train_step on random images)
// and bench_libtorch (its twin), so both time the same networks and the same
// losses. Plain C++: no Gantry or LibTorch types.
#pragma once
#include <cstdint>

namespace gantry {
namespace bench {

constexpr int64_t kTransSize = 28;  // Fashion-MNIST's side

// pix2pix: U-Net G (depth 5: the input edge-padded to 32, 64 first maps,
// batch norm, dropout in the three inner decoder levels), 2-layer PatchGAN D
// (64 first maps, batch norm) on [a, b], the vanilla loss + 100 L1.
constexpr int64_t kP2PBatch = 64, kP2PWidth = 64, kP2PDepth = 5, kP2PDWidth = 64, kP2PDLayers = 2;

// CycleGAN: two ResNet Gs (32 first maps, 6 blocks, instance norm), two
// 2-layer PatchGAN Ds (64 first maps, instance norm), LSGAN, cycle 10,
// identity 0.5, a 50-image pool per D.
constexpr int64_t kCycBatch = 8, kCycWidth = 32, kCycBlocks = 6, kCycDWidth = 64, kCycDLayers = 2, kCycPool = 50;

}  // namespace bench
}  // namespace gantry
