// apps/upscale.cpp — `gantry upscale`: enlarge one image with a trained
// super-resolution model (esrgan, realesrgan; gan/sr_trainer.h).
//
//   gantry upscale --checkpoint C --in photo.png --out big.png [--scale 4]
//                  [--tile 256 --tile-overlap 16] [--no-ema] [--threads T]
//
// Any image size: with --tile T the image is processed in T x T tiles (LR
// pixels) that overlap by --tile-overlap and cross-fade (gan/models/sr/
// upscale.h), so a large photo fits in memory; --tile 0 runs it whole. PNG
// or JPEG in (gray or color: converted to the model's channels), PNG out.
// The EMA generator is used when the checkpoint has one (--no-ema: G's own
// weights). --scale, when given, must be the checkpoint's.
#include <chrono>
#include <cstdio>

#include "apps/cli.h"
#include "core/parallel.h"
#include "gan/data/image.h"
#include "gan/models/sr/upscale.h"
#include "gan/sr_trainer.h"

namespace gantry {
namespace cli {

int run_upscale(int argc, char** argv) {
  Flags f(argc, argv, 2, "gantry upscale", "Enlarge an image with a super-resolution checkpoint.",
          {{"checkpoint", "FILE", "an esrgan/realesrgan checkpoint (gantry train --model esrgan)"},
           {"in", "IMAGE", "the input image (PNG or JPEG, gray or color)"},
           {"out", "FILE.png", "where to write the enlarged image (PNG)"},
           {"scale", "S", "the factor; must be the checkpoint's (default: the checkpoint's)"},
           {"tile", "T", "LR tile side (0: the whole image at once) [default 256]"},
           {"tile-overlap", "K", "LR pixels shared by neighbouring tiles, < T [default 16]"},
           {"no-ema", "", "use G's own weights even when the checkpoint has an EMA generator"},
           {"threads", "N", "CPU threads (0: all cores) [default 0]"}});
  for (const char* k : {"checkpoint", "in", "out"})
    if (!f.has(k)) throw UsageError{std::string("--") + k + " is required"};
  const std::string out = f.str("out");
  if (!is_png_path(out)) throw UsageError{"--out must name a .png file, got '" + out + "'"};
  const long long tile = f.integer("tile", 256), overlap = f.integer("tile-overlap", 16);
  if (tile < 0) throw UsageError{"--tile must be >= 0 (0: no tiling), got " + std::to_string(tile)};
  if (overlap < 0) throw UsageError{"--tile-overlap must be >= 0, got " + std::to_string(overlap)};
  if (tile > 0 && overlap >= tile)
    throw UsageError{"--tile-overlap (" + std::to_string(overlap) + ") must be smaller than --tile (" +
                     std::to_string(tile) + ")"};
  const long long threads = f.integer("threads", 0);
  if (threads < 0) throw UsageError{"--threads must be >= 0"};
  if (threads > 0) set_num_threads(static_cast<int>(threads));

  gan::LoadedSR sr = gan::load_sr_generator(f.str("checkpoint"), !f.has("no-ema"));
  if (f.has("scale") && f.integer("scale", 0) != sr.scale)
    throw Error("checkpoint " + f.str("checkpoint") + " was trained for x" + std::to_string(sr.scale) +
                ", not x" + std::to_string(f.integer("scale", 0)));
  const Tensor img = gan::load_image(f.str("in"), static_cast<int>(sr.channels));  // [C, H, W] in [-1, 1]
  const int64_t H = img.size(1), W = img.size(2);
  GANTRY_CHECK(H * sr.scale <= gan::kMaxImageSide && W * sr.scale <= gan::kMaxImageSide,
               f.str("in"), " (", W, "x", H, ") would be ", W * sr.scale, "x", H * sr.scale,
               " at x", sr.scale, ", over the ", gan::kMaxImageSide, "-pixel side limit");
  gan::TileOptions t;
  t.tile = tile;
  t.overlap = overlap;
  t.multiple = sr.multiple;
  const auto t0 = std::chrono::steady_clock::now();
  const Tensor big = clamp(gan::upscale(*sr.net, unsqueeze(img, 0), sr.scale, t), -1.0, 1.0);  // [1, C, sH, sW]
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  gan::save_png_grid(out, big, 1, 0);
  std::fprintf(stderr, "gantry upscale: %s (%lldx%lld) -> %s (%lldx%lld), x%lld, %s, %s weights, %.0f ms\n",
               f.str("in").c_str(), static_cast<long long>(W), static_cast<long long>(H), out.c_str(),
               static_cast<long long>(W * sr.scale), static_cast<long long>(H * sr.scale),
               static_cast<long long>(sr.scale),
               tile > 0 ? ("tiles of " + std::to_string(tile) + " overlapping " + std::to_string(overlap)).c_str()
                        : "untiled",
               sr.ema ? "EMA" : "G's", ms);
  return 0;
}

}  // namespace cli
}  // namespace gantry
