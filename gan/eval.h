// gan/eval.h — one evaluation entry for every model family: what `gantry
// eval INPUT` does, chosen by what INPUT is.
//
//   INPUT                         evaluator           what it reports
//   samples.npy [N,C,S,S]         image-samples       FID-FMNIST, KID, precision, recall, class coverage
//   a training checkpoint         image-generator     the same, on N samples drawn from its generator;
//   (.safetensors) of an image                        style-based ones add PPL-W (gan/metrics/ppl.h)
//   generator (DCGAN family,
//   progan, stylegan2)
//   a super-resolution            super-resolution    PSNR and SSIM (Y and RGB), perceptual distance and
//   checkpoint (esrgan,                               high-frequency ratio of the model and of bicubic, on
//   realesrgan)                                       held-out pictures (gan/sr_eval.h)
//
// A family that needs something else (a checkpoint plus data for
// super-resolution or translation, synthetic rows in a .csv for tabular
// models) adds a row to eval_kinds() in eval.cpp, with its own `accepts` and
// `run`, instead of a new command. An input no row accepts is an error that
// names the input and lists what eval takes.
//
//   gan::EvalRequest req;
//   req.input = "runs/dcgan/checkpoint.safetensors";
//   req.n = 2000;
//   gan::EvalResult r = gan::evaluate_input(req, sink);
//   for (const auto& line : r.lines) ...   // "samples  FID-FMNIST  12.3"
#pragma once
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gan/log.h"
#include "gan/models/model.h"

namespace gantry {
namespace gan {

struct EvalRequest {
  std::string input;              // the file given to `gantry eval`
  std::string data;               // data to evaluate a checkpoint on (families that need it)
  std::string reference = "test"; // Fashion-MNIST split the samples are compared with
  int64_t n = 10000;              // samples (drawn or read) and reference images
  bool ema = false;               // checkpoints: the EMA generator
  double truncation = INFINITY;   // checkpoints: latent truncation threshold
  uint64_t seed = 0;              // latent draws and the metrics' subsampling
  int64_t cls = -1;               // class-conditional checkpoints: score class cls alone (-1: all)
  std::string classifier = "assets/fmnist_classifier.safetensors";
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
  std::string crops;  // super-resolution: a PNG of crops side by side (bicubic | model | HR)
};

// What eval knows about its input before choosing a row.
struct EvalInput {
  std::string path, extension;               // extension lower-case with its dot: ".npy"
  bool is_checkpoint = false;                // a Gantry training checkpoint
  std::string model;                         // its "model" metadata
  std::map<std::string, std::string> metadata;
};

struct EvalLine {
  std::string label;   // "samples", "real-train" (the calibration floor), ...
  std::string metric;  // "FID-FMNIST", "KID", ...
  double value = 0;
  double spread = NAN;  // e.g. KID's standard deviation over subsets
};
struct EvalResult {
  std::string evaluator;  // the row that ran
  std::string header;     // one line: what was compared with what
  std::vector<EvalLine> lines;
};

struct EvalKind {
  const char* name;   // "image-samples"
  const char* input;  // "FILE.npy" (for `gantry eval --list` and errors)
  const char* about;
  bool uses_data;  // takes EvalRequest::data (given to another row, it is an error)
  bool (*accepts)(const EvalInput&);
  EvalResult (*run)(const EvalRequest&, const EvalInput&, const LogSink&);
};

// The rows, in the order they are tried.
const std::vector<EvalKind>& eval_kinds();
// Reads what `path` is (extension; for .safetensors, whether it is a Gantry
// checkpoint and of which model). A missing file is an error naming it.
EvalInput inspect_eval_input(const std::string& path);
// Runs the first row that accepts req.input; an error listing eval_kinds()
// when none does.
EvalResult evaluate_input(const EvalRequest& req, const LogSink& log);

// G's images at its full resolution: a growing generator below
// G.config.resolution has its output enlarged by repeating pixels (nearest);
// other images are returned as they are. [N, C, r, r] -> [N, C, R, R].
Tensor full_resolution(const GeneratorNet& G, const Tensor& images);

// n images from G (eval mode, no graph) in batches of `batch`, latents from
// `seed` truncated at `truncation`; class-conditional generators draw class
// `cls`, or classes 0, 1, ..., K-1, 0, ... in turn when cls < 0.
// [n, C, R, R] float32 on the CPU, clamped to [-1, 1], R = G.config.resolution
// (a growing generator below it is enlarged by repeating pixels). For
// style-based generators psi < 1 truncates in W towards w_avg, for the first
// `cutoff` ws (all if cutoff < 0); other generators refuse psi < 1.
Tensor draw_samples(GeneratorNet& G, int64_t n, uint64_t seed, int64_t batch = 500,
                    double truncation = INFINITY, int64_t cls = -1, double psi = 1.0,
                    int64_t cutoff = -1);

}  // namespace gan
}  // namespace gantry
