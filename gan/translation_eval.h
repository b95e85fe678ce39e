// gan/translation_eval.h — scoring an image-to-image translator on held-out
// data: what `gantry eval TRANSLATION_CHECKPOINT` reports (gan/eval.h's
// translation row).
//
// pix2pix, on the held-out pairs (a, b) of its data (Fashion-MNIST's test
// split, or every test_every-th pair of a folder):
//   L1           mean |G(a) - b| (images in [-1, 1])
//   PSNR, SSIM   of G(a) against b, 8-bit, all channels (gan/metrics/image_quality.h)
//   FID-FMNIST   of the outputs against as many Fashion-MNIST test images
//                (Fashion-MNIST tasks: the classifier's features), beside
//                the calibration floor of the training images against them
// CycleGAN, each direction on the held-out images of its source domain
// (Fashion-MNIST classes: a -> b turns class A's test images into B's):
//   target-rate  the share of G(a) the Fashion-MNIST classifier calls
//                class B (the translation changed what the garment is)
//   FID-FMNIST   of G(a) against class B's test images: a per-class FID,
//                beside the floor of class B's training images against them
//   cycle-L1     mean |F(G(a)) - a|
// Outputs are clamped to [-1, 1], as saved images would be.
#pragma once
#include <cstdint>
#include <string>

#include "gan/eval.h"
#include "gan/translation_trainer.h"

namespace gantry {
namespace gan {

// The scores of the translator in `path` (a translation checkpoint), on at
// most req.n held-out examples per direction; req.classifier and
// req.data_dir as for the other rows. Lines are labelled by direction
// ("a2b", "b2a"; pix2pix: "model"), and "real" for the floors.
EvalResult evaluate_translation(const EvalRequest& req, const std::string& path, const LogSink& log);

// G applied to images [N, C, H, W] in batches (eval mode, no graph),
// clamped to [-1, 1]: [N, C', H, W].
Tensor translate_batches(nn::Module& G, const Tensor& images, int64_t batch = 250);

}  // namespace gan
}  // namespace gantry
