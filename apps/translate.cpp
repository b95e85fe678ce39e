// apps/translate.cpp — `gantry translate`: run a trained image-to-image
// model (pix2pix, cyclegan; gan/translation_trainer.h) on images.
//
//   gantry translate --checkpoint C --in IMG_OR_DIR --out OUT [--direction a2b|b2a]
//                    [--make-input] [--side-by-side] [--threads T]
//
// --in is one PNG/JPEG (then --out is a .png file) or a folder of them (then
// --out is a folder, created if needed, each output named as its input with
// .png). Images are converted to the model's input channels and translated
// at their own size. --make-input first applies the training task's input
// transform to each image (pix2pix edges: its Sobel edge map; inpaint: the
// masked square), so a garment photo can be turned back into a garment from
// its edges. --side-by-side writes input | output (CycleGAN: input | output
// | the cycle back) instead of the output alone.
#include <cstdio>
#include <filesystem>

#include "apps/cli.h"
#include "core/parallel.h"
#include "gan/data/image.h"
#include "gan/data/translation_data.h"
#include "gan/translation_trainer.h"

namespace gantry {
namespace cli {

namespace fs = std::filesystem;

int run_translate(int argc, char** argv) {
  Flags f(argc, argv, 2, "gantry translate", "Translate images with a pix2pix or CycleGAN checkpoint.",
          {{"checkpoint", "FILE", "a pix2pix/cyclegan checkpoint (gantry train --model pix2pix|cyclegan)"},
           {"in", "IMAGE|DIR", "one PNG/JPEG, or a folder of them"},
           {"out", "FILE.png|DIR", "the output PNG (for one image) or folder (for a folder)"},
           {"direction", "a2b|b2a", "CycleGAN: A -> B (G) or B -> A (F) [default a2b]"},
           {"make-input", "", "first apply the training task's input transform (pix2pix: edges or the hole)"},
           {"side-by-side", "", "write input | output (CycleGAN: | the cycle back) side by side"},
           {"threads", "N", "CPU threads (0: all cores) [default 0]"}});
  for (const char* k : {"checkpoint", "in", "out"})
    if (!f.has(k)) throw UsageError{std::string("--") + k + " is required"};
  const std::string direction = f.str("direction", "a2b");
  if (direction != "a2b" && direction != "b2a")
    throw UsageError{"--direction must be a2b or b2a, got '" + direction + "'"};
  const long long threads = f.integer("threads", 0);
  if (threads < 0) throw UsageError{"--threads must be >= 0"};
  if (threads > 0) set_num_threads(static_cast<int>(threads));
  const std::string in = f.str("in"), out = f.str("out");
  const bool dir = fs::is_directory(in);
  if (!dir && !is_png_path(out)) throw UsageError{"--out must name a .png file for one input image, got '" + out + "'"};

  const gan::LoadedTranslator t = gan::load_translator(f.str("checkpoint"), direction);
  if (f.has("make-input") && t.model != "pix2pix")
    throw UsageError{"--make-input applies pix2pix's task transform; " + f.str("checkpoint") + " is a " + t.model +
                     " checkpoint"};
  std::vector<std::pair<std::string, std::string>> jobs;  // (input path, output path)
  if (dir) {
    std::error_code ec;
    fs::create_directories(out, ec);
    GANTRY_CHECK(!ec && fs::is_directory(out), "translate: cannot create the output folder '", out, "'");
    for (const std::string& n : gan::image_files(in, "translate"))
      jobs.emplace_back(in + "/" + n, out + "/" + fs::path(n).stem().string() + ".png");
  } else {
    jobs.emplace_back(in, out);
  }
  NoGradGuard ng;
  for (size_t i = 0; i < jobs.size(); ++i) {
    Tensor x = unsqueeze(gan::load_image(jobs[i].first, static_cast<int>(t.in_channels)), 0);  // [1, C, H, W]
    if (f.has("make-input"))
      x = gan::as_channels(gan::task_input(t.task, x, std::min<int64_t>({t.options.hole, x.size(2), x.size(3)}),
                                           static_cast<int64_t>(i)),
                           t.in_channels);
    const Tensor y = clamp(t.net->forward(x), -1.0, 1.0);  // [1, C', H, W]
    Tensor img = y;
    if (f.has("side-by-side")) {
      const int64_t c = std::max(x.size(1), y.size(1));
      std::vector<Tensor> row = {gan::as_channels(x, c), gan::as_channels(y, c)};
      if (t.inverse) row.push_back(gan::as_channels(clamp(t.inverse->forward(y), -1.0, 1.0), c));
      img = cat(row, 3);
    }
    gan::save_png_grid(jobs[i].second, img, 1, 0);
  }
  const std::string what = t.model == "cyclegan" ? t.model + " " + direction : t.model;
  std::fprintf(stderr, "gantry translate: %zu image(s) from %s -> %s, %s (step %lld)\n", jobs.size(), in.c_str(),
               out.c_str(), what.c_str(), static_cast<long long>(t.step));
  return 0;
}

}  // namespace cli
}  // namespace gantry
