// gan/data/translation_data.h — the data of image-to-image translation:
// the paired tasks pix2pix ships with, made deterministically from
// Fashion-MNIST, and unpaired domains chosen by class.
//
//   sobel_edges     the edge map of each image: Sobel gradients of its
//                   luminance in [0, 1] (edge pixels replicated at the
//                   border), magnitude / 4 (1 for a full black-to-white step)
//                   above `threshold` -> +1 (an edge), else -1. The same
//                   image always gives the same map (no randomness, no
//                   hysteresis as Canny's: simpler to read and to reproduce).
//   inpaint_masked  each image with a hole x hole square set to 0 (mid-gray),
//                   at a position drawn from Philox(seed, index): image
//                   `index` of a dataset always has the same hole, so the
//                   pairs are fixed, as a paired dataset's are.
//   class_subset    the images of one Fashion-MNIST class (a CycleGAN domain)
//
// Images are float32 [N, C, H, W] in [-1, 1].
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "gan/data/idx.h"  // ImageDataset

namespace gantry {
namespace gan {

// images [N, C, H, W] (C 1 or 3) -> [N, 1, H, W] in {-1, +1}
Tensor sobel_edges(const Tensor& images, double threshold = 0.25);

// images [N, C, H, W] -> the same, with image i's hole placed by
// Philox(seed, first_index + i); 1 <= hole <= min(H, W).
// The inpainting task's holes are part of its dataset, not of a run: one
// fixed seed, Fashion-MNIST's training image i numbered i and test image i
// numbered kInpaintTestBase + i (so no test hole repeats a training one).
constexpr uint64_t kInpaintSeed = 0x1201e5ull;
constexpr int64_t kInpaintTestBase = 60000;
Tensor inpaint_masked(const Tensor& images, int64_t hole, uint64_t seed, int64_t first_index = 0);

// pix2pix's input for `task` on images [N, C, H, W]: "edges" -> sobel_edges
// ([N, 1, H, W]); "inpaint" -> inpaint_masked(images, hole, kInpaintSeed,
// first_index). Training data and `gantry translate --make-input` both
// make their inputs here.
Tensor task_input(const std::string& task, const Tensor& images, int64_t hole, int64_t first_index);

// x [N, 1 or c, H, W] -> [N, c, H, W]: a gray image repeated over c
// channels (a view), so it can sit beside color ones in a grid.
Tensor as_channels(const Tensor& x, int64_t c);

// Fashion-MNIST's classes, 0..9: t-shirt, trouser, pullover, dress, coat,
// sandal, shirt, sneaker, bag, ankle-boot.
const std::vector<std::string>& fashion_mnist_classes();
// A class by its name (any case; "_" or " " for "-"; "tshirt", "t-shirt/top"
// and "boot" accepted) or its number "0".."9"; anything else is an error
// naming the classes.
int64_t fashion_mnist_class(const std::string& name);

// The examples of `ds` whose label is `label` (labels kept); an error when
// the dataset has no labels or no such example.
ImageDataset class_subset(const ImageDataset& ds, int64_t label);

}  // namespace gan
}  // namespace gantry
