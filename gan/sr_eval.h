// gan/sr_eval.h — scoring a super-resolution model on held-out pictures:
// what `gantry eval SR_CHECKPOINT` reports (gan/eval.h's super-resolution row).
//
// For each picture, HR is the picture cut to sides divisible by the scale
// (top-left, as BasicSR's mod-crop); LR is HR degraded (bicubic: MATLAB's
// imresize, 8-bit; real: Real-ESRGAN's pipeline seeded by the picture's
// index); the model's output is upscale(G, LR) (tiled, 8-bit) and the
// baseline is LR enlarged by MATLAB-style bicubic interpolation. Both are
// compared with HR by (gan/metrics/image_quality.h), each with a border of
// `scale` pixels cropped:
//   PSNR and SSIM on the BT.601 luma (Y), the usual SR protocol, and on
//   all channels (RGB; equal to Y's for gray pictures);
//   the perceptual distance to HR in the feature net's space
//   (gan/models/sr/features.h), on the central 256x256 of each picture;
//   the high-frequency ratio: the Laplacian variance of the image's Y over
//   HR's (1: as much fine detail as HR; bicubic's is well below 1).
// Scores are means over the pictures.
#pragma once
#include <cstdint>
#include <string>

#include "gan/data/paired.h"
#include "gan/models/sr/upscale.h"
#include "nn/module.h"

namespace gantry {
namespace gan {

struct SRScores {
  double psnr_y = 0, ssim_y = 0, psnr_rgb = 0, ssim_rgb = 0, perceptual = 0, hf_ratio = 0;
};
struct SREvaluation {
  SRScores model, bicubic;
  int64_t pictures = 0;
  double seconds = 0;  // the model's upscaling, all pictures
};

struct SREvalOptions {
  int64_t scale = 4;
  Degradation degradation = Degradation::kBicubic;
  TileOptions tiles{256, 16, 1};
  // When not empty: a PNG of one row per picture, bicubic | model | HR, each
  // the central crop_size x crop_size of HR's frame.
  std::string crops_png;
  int64_t crop_size = 128;
};

SREvaluation evaluate_sr(nn::Module& net, const PictureSet& pictures, const SREvalOptions& o);

}  // namespace gan
}  // namespace gantry
