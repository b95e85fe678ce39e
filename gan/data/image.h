// gan/data/image.h — images in and out: PNG sample grids (like torchvision's
// make_grid + save_image), single images, and folders of PNG/JPEG files as a
// dataset. PNG through stb, JPEG through libjpeg-turbo.
//
// Pixel mapping: a value v in [-1,1] becomes round((clamp(v) + 1) * 127.5) in
// 0..255 on the way out; a byte b becomes b / 127.5 - 1 on the way in.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "gan/data/idx.h"  // ImageDataset

namespace gantry {
namespace gan {

// images: float [N,C,H,W] (C = 1 or 3, any device/layout) in [-1,1]; NaN
// becomes -1. nrow images per row; rows = ceil(N / nrow). Each tile sits after
// `padding` pixels of padding valued 0 (black), plus a border on the right
// and bottom: the PNG is (rows*(H+p)+p) x (min(nrow,N)*(W+p)+p), gray for C=1,
// RGB for C=3. Atomic write (path + ".tmp", fsync, rename).
void save_png_grid(const std::string& path, const Tensor& images, int64_t nrow = 8,
                   int64_t padding = 2);

// One PNG or JPEG file as float32 [channels,H,W] in [-1,1]; channels 1..4
// (gray<->RGB converted, alpha added as opaque). Refused before decoding:
// files over 256 MiB, images over 16384 pixels on a side or over 64 MiB decoded.
Tensor load_image(const std::string& path, int channels);

// The names (not paths) of every *.png / *.jpg / *.jpeg (any case) regular
// file directly in `dir`, sorted; an error naming `who` and `dir` when it is
// not a readable directory or holds no such file.
std::vector<std::string> image_files(const std::string& dir, const std::string& who);

// Every *.png / *.jpg / *.jpeg (any case) directly in `dir`, in sorted file-name
// order, as images [N,channels,H,W]; labels undefined. Images are not resized:
// size > 0 requires every image to be size x size; size <= 0 requires all to
// share the first image's size. Either mismatch is an error naming the file.
// With resize (size > 0), images of any size at least size x size are
// accepted instead: each is center-cropped to a square (its shorter side) and
// shrunk to size x size by resize_square(); a smaller image is an error.
ImageDataset load_image_folder(const std::string& dir, int channels, int64_t size = -1, bool resize = false);

// A labelled folder: each subfolder of `dir` (sorted by name) is a class
// (label = its index, names in *class_names); its PNG/JPEG images are read
// as luminance and center-cropped and shrunk to size x size (images smaller
// than that are an error). images [N,1,size,size] in [-1,1], labels int64 [N],
// in class order, then file-name order. At least 2 classes are needed.
ImageDataset load_labelled_folder(const std::string& dir, int64_t size,
                                  std::vector<std::string>* class_names = nullptr);

// chw: `c` planes of h x w floats. Center-crops to a square of the shorter
// side, then resizes to out x out: the area filter when shrinking (each
// output pixel is the mean of the input area it covers, partial pixels
// weighted by their overlap: no aliasing), bilinear with half-pixel centres
// when enlarging. Returns c planes of out x out.
std::vector<float> resize_square(const std::vector<float>& chw, int64_t c, int64_t h, int64_t w, int64_t out);

// JPEG compression artifacts, as a degradation: `pixels` is h rows of w
// pixels of `channels` (1 or 3) interleaved bytes; it is encoded by libjpeg
// at `quality` (1..100: lower, more blocking and ringing; its standard
// tables, 4:2:0 chroma subsampling for color, as Real-ESRGAN's DiffJPEG) and
// decoded again. Returns the decoded bytes, the same layout and size. (Not
// stb's writer: it keeps full-resolution chroma above quality 90, and
// UBSan reports a left shift of a negative value in its encoder.)
std::vector<unsigned char> jpeg_roundtrip(const std::vector<unsigned char>& pixels, int w, int h,
                                          int channels, int quality);

constexpr int64_t kMaxImageSide = 16384;
constexpr uint64_t kMaxImageDecodedBytes = 64ull << 20;
constexpr uint64_t kMaxImageFileBytes = 256ull << 20;

}  // namespace gan
}  // namespace gantry
