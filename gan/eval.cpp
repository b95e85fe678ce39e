// gan/eval.cpp — the rows of `gantry eval` (see gan/eval.h): how an input is
// recognised, and each family's evaluation. Today's rows score images with
// the Fashion-MNIST classifier metrics of gan/metrics/.
#include "gan/eval.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "core/error.h"
#include "gan/checkpoint.h"
#include "gan/config.h"
#include "gan/data/image.h"
#include "gan/data/npy.h"
#include "gan/latent.h"
#include "gan/metrics/evaluator.h"
#include "gan/metrics/ppl.h"
#include "gan/sr_eval.h"
#include "gan/sr_trainer.h"
#include "gan/style_control.h"
#include "gan/translation_eval.h"
#include "nn/safetensors.h"

namespace gantry {
namespace gan {

namespace fs = std::filesystem;

Tensor full_resolution(const GeneratorNet& G, const Tensor& images) {
  const int64_t R = G.config.resolution;
  return images.size(2) < R ? upsample_nearest2d(images, {R, R}) : images;
}

Tensor draw_samples(GeneratorNet& G, int64_t n, uint64_t seed, int64_t batch, double truncation,
                    int64_t cls, double psi, int64_t cutoff) {
  StyleNet* style = psi < 1.0 || cutoff >= 0 ? &require_style(G, "", "truncation in W") : nullptr;
  GANTRY_CHECK(n >= 1 && batch >= 1, "draw_samples: n (", n, ") and batch (", batch, ") must be positive");
  const int64_t K = G.config.num_classes, latent = G.config.latent;
  GANTRY_CHECK(cls < K, "draw_samples: class ", cls, " is not below the model's ", K, " classes");
  NoGradGuard ng;
  nn::EvalGuard eg(G);
  RandomState gen(seed);
  std::vector<Tensor> parts;
  for (int64_t done = 0; done < n; done += batch) {
    const int64_t b = std::min(batch, n - done);
    Tensor y;
    if (K > 0) {  // labels of samples [done, done + b)
      std::vector<int64_t> labels(b);
      for (int64_t i = 0; i < b; ++i) labels[i] = cls >= 0 ? cls : (done + i) % K;
      y = from_vector<int64_t>(labels, {b});
    }
    const Tensor z = truncated_normal({b, latent}, truncation, &gen);
    const Tensor img = style ? style->synthesis(style->mapping(z, psi, cutoff), NoiseMode::Const) : G.generate(z, y);
    Tensor x = full_resolution(G, img.to(kCPU));
    parts.push_back(clamp(x, -1.0, 1.0));
  }
  return parts.size() == 1 ? parts[0] : cat(parts, 0);
}

namespace {

Tensor first_n(const Tensor& t, int64_t n) {
  return core::contiguous(core::slice(t, 0, 0, std::min<int64_t>(n, t.size(0)), 1));
}

void add_report(EvalResult& r, const std::string& label, const metrics::Report& m) {
  r.lines.push_back({label, "FID-FMNIST", m.fid, NAN});
  r.lines.push_back({label, "KID", m.kid, m.kid_std});
  r.lines.push_back({label, "precision", m.precision, NAN});
  r.lines.push_back({label, "recall", m.recall, NAN});
  r.lines.push_back({label, "class-coverage", m.coverage, NAN});
}

// Images [N,1,28,28] against N Fashion-MNIST images of req.reference, then N
// real images of the other split against the same reference: the
// calibration floor (what a perfect generator scores with this many samples).
EvalResult score_images(const EvalRequest& req, Tensor images, const std::string& what,
                        const LogSink& log) {
  if (images.dim() != 4 || (images.size(1) != 1 && images.size(1) != 3) || images.size(2) != images.size(3))
    throw Error("eval: " + what + " holds " + shape_str(images.shape()) +
                "; the classifier metrics take square images [N, 1 or 3, S, S] in [-1,1] (docs/metrics.md)");
  GANTRY_CHECK(req.reference == "test" || req.reference == "train", "eval: reference '", req.reference,
               "' must be test or train");
  GANTRY_CHECK(req.n >= 10, "eval: n (", req.n, ") must be at least 10");
  images = to(images, kFloat32);
  auto clf = metrics::load_or_train_classifier(req.classifier, req.data_dir, log);
  const bool train = req.reference == "train", fmnist = clf->data == "fashion-mnist";
  std::string ref_what;
  Tensor reference = metrics::reference_images(*clf, req.data_dir, train, req.n, &ref_what);
  // The calibration floor: the other split against the same reference (Fashion-MNIST only).
  Tensor other = fmnist ? load_fashion_mnist(req.data_dir, !train, req.n).images : Tensor();
  int64_t m = std::min<int64_t>({req.n, images.size(0), reference.size(0)});
  if (other.defined()) m = std::min(m, other.size(0));
  GANTRY_CHECK(m >= 10, "eval: only ", m, " images to compare (at least 10 are needed)");
  metrics::Evaluator ev(clf, first_n(reference, m), req.seed);
  EvalResult r;
  r.header = str(m, " samples from ", what, " vs ", m, " ", ref_what, "; classifier ", req.classifier);
  add_report(r, "samples", ev.evaluate(first_n(images, m)));
  if (other.defined()) add_report(r, train ? "real-test" : "real-train", ev.evaluate(first_n(other, m)));
  return r;
}

// The classifier and the labelled Fashion-MNIST reference split that the
// per-class metrics compare with (`what` names the caller in the error when
// the classifier is not Fashion-MNIST's: its labels are the classes).
struct LabelledReference {
  std::shared_ptr<metrics::FmnistClassifier> clf;
  ImageDataset data;
  std::vector<int64_t> labels;
};
LabelledReference labelled_reference(const EvalRequest& req, const char* what, const LogSink& log) {
  LabelledReference r;
  r.clf = metrics::load_or_train_classifier(req.classifier, req.data_dir, log);
  GANTRY_CHECK(r.clf->data == "fashion-mnist", "eval: ", what, " Fashion-MNIST's labels; the classifier ",
               req.classifier, " was trained on ", r.clf->data);
  r.data = load_fashion_mnist(req.data_dir, req.reference == "train", -1);
  r.labels = core::contiguous(r.data.labels).to_vector<int64_t>();
  return r;
}
// The first `count` (at most) reference images of class k: [m, 1, 28, 28].
Tensor class_images(const LabelledReference& ref, int64_t k, int64_t count) {
  std::vector<int64_t> idx;
  for (size_t i = 0; i < ref.labels.size() && static_cast<int64_t>(idx.size()) < count; ++i)
    if (ref.labels[i] == k) idx.push_back(static_cast<int64_t>(i));
  return index_select(ref.data.images, 0, from_vector<int64_t>(idx, {static_cast<int64_t>(idx.size())}));
}

// Class-conditional generators: the metrics within each class (the samples
// of label k against the reference images of class k, n / K of each) and
// their means, intra-FID and intra-class recall: the diversity within the
// classes, which the overall scores can hide (a generator that draws one
// image per class covers every class and scores a poor intra-recall).
// samples[i] has label i % K, as draw_samples gives them.
void add_intra_class(EvalResult& r, const EvalRequest& req, int64_t K, const Tensor& samples, const LogSink& log) {
  const LabelledReference ref = labelled_reference(req, "per-class metrics need", log);
  const int64_t n = samples.size(0);
  double fid_sum = 0, recall_sum = 0;
  for (int64_t k = 0; k < K; ++k) {
    std::vector<int64_t> si;
    for (int64_t i = k; i < n; i += K) si.push_back(i);
    const Tensor real = class_images(ref, k, static_cast<int64_t>(si.size()));
    const int64_t m = real.size(0);
    GANTRY_CHECK(m >= 10, "eval: class ", k, " has only ", m, " samples to compare (at least 10 are needed: raise --n)");
    si.resize(static_cast<size_t>(m));
    metrics::Evaluator ev(ref.clf, real, req.seed);
    const metrics::Report rep = ev.evaluate(index_select(samples, 0, from_vector<int64_t>(si, {m})));
    r.lines.push_back({str("class ", k), "FID-FMNIST", rep.fid, NAN});
    r.lines.push_back({str("class ", k), "recall", rep.recall, NAN});
    fid_sum += rep.fid;
    recall_sum += rep.recall;
  }
  // The means beside the samples' other metrics, before the real-data floor.
  auto at = std::find_if(r.lines.begin(), r.lines.end(), [](const EvalLine& l) { return l.label != "samples"; });
  at = r.lines.insert(at, {"samples", "intra-FID", fid_sum / static_cast<double>(K), NAN});
  r.lines.insert(at + 1, {"samples", "intra-recall", recall_sum / static_cast<double>(K), NAN});
}

bool accepts_npy(const EvalInput& in) { return in.extension == ".npy"; }
EvalResult run_npy(const EvalRequest& req, const EvalInput& in, const LogSink& log) {
  GANTRY_CHECK(req.cls < 0, "eval: --class ", req.cls, " needs a checkpoint of a class-conditional model; samples (",
               in.path, ") carry no labels");
  return score_images(req, load_npy(in.path), in.path, log);
}

bool accepts_image_checkpoint(const EvalInput& in) {
  if (!in.is_checkpoint) return false;
  const auto& names = model_names();
  return std::find(names.begin(), names.end(), in.model) != names.end();
}
EvalResult run_image_checkpoint(const EvalRequest& req, const EvalInput& in, const LogSink& log) {
  GANTRY_CHECK(req.n >= 10, "eval: n (", req.n, ") must be at least 10");
  // The classifier metrics measure Fashion-MNIST-like images only.
  if (in.metadata.count("config")) {
    const Config cfg = Config::parse(in.metadata.at("config"), in.path + " (config)");
    const std::string data = cfg.get_string("data", "fashion-mnist");
    GANTRY_CHECK(data == "fashion-mnist" || req.classifier != EvalRequest().classifier, "eval: ", in.path,
                 " was trained on '", data, "', not Fashion-MNIST: the Fashion-MNIST classifier's metrics do not "
                 "apply to it (give --classifier FILE, a classifier trained on that data)");
  }
  LoadedGenerator g = load_generator(in.path, req.ema);
  const int64_t K = g.net->config.num_classes;
  GANTRY_CHECK(req.cls < 0 || K > 0, "eval: --class ", req.cls, " needs a class-conditional model; ", in.path,
               " holds '", g.model, "', which is unconditional");
  GANTRY_CHECK(req.cls < K, "eval: --class ", req.cls, " is not below the model's ", K, " classes");
  Tensor samples = draw_samples(*g.net, req.n, req.seed, 500, req.truncation, req.cls);
  const std::string what = str(in.path, " (", g.model, ", step ", g.step, g.ema ? ", EMA" : "",
                               std::isfinite(req.truncation) ? str(", truncation ", req.truncation) : "",
                               req.cls >= 0 ? str(", class ", req.cls) : "", ", seed ", req.seed, ")");
  EvalResult r;
  if (req.cls >= 0) {
    // One class: its samples against the reference images of that class.
    const LabelledReference ref = labelled_reference(req, "--class needs", log);
    const Tensor real = class_images(ref, req.cls, samples.size(0));
    const int64_t m = real.size(0);
    GANTRY_CHECK(m >= 10, "eval: only ", m, " images of class ", req.cls, " to compare (at least 10 are needed)");
    metrics::Evaluator ev(ref.clf, real, req.seed);
    r.header = str(m, " samples from ", what, " vs ", m, " Fashion-MNIST ", req.reference, " images of class ",
                   req.cls, "; classifier ", req.classifier);
    add_report(r, "samples", ev.evaluate(first_n(samples, m)));
    return r;
  }
  r = score_images(req, samples, what, log);
  if (K > 0 && req.n / K >= 10) {
    add_intra_class(r, req, K, first_n(samples, req.n), log);
  } else if (K > 0 && log) {
    log(LogLevel::Warn, str("the per-class metrics need at least 10 samples per class: --n ", 10 * K,
                            " or more (got ", req.n, ")"));
  }
  if (as_style(*g.net)) {  // the path length needs G itself: W space, endpoints, epsilon 1e-4
    auto clf = metrics::load_or_train_classifier(req.classifier, req.data_dir, log);
    metrics::PPLOptions po;
    po.n = req.n;
    po.seed = req.seed;
    // Beside the samples' other metrics, before the real-data floor.
    auto at = std::find_if(r.lines.begin(), r.lines.end(), [](const EvalLine& l) { return l.label != "samples"; });
    r.lines.insert(at, {"samples", "PPL-W", metrics::perceptual_path_length(*g.net, *clf, po), NAN});
  }
  return r;
}

// ------------------------------------------------------ super-resolution
bool accepts_sr_checkpoint(const EvalInput& in) {
  auto f = in.metadata.find("format");
  return f != in.metadata.end() && f->second == "gantry-sr-checkpoint";
}

EvalResult run_sr_checkpoint(const EvalRequest& req, const EvalInput& in, const LogSink& log) {
  const LoadedSR g = load_sr_generator(in.path, true);
  auto cfg = in.metadata.find("config");
  GANTRY_CHECK(cfg != in.metadata.end(), "eval: checkpoint ", in.path, ": metadata has no 'config'");
  TrainOptions o;
  o.apply(Config::parse(cfg->second, in.path + " (config)"));
  // The checkpoint's own data gives its held-out split; other data is used whole.
  const std::string data = req.data.empty() ? o.data : req.data;
  PictureSet pictures;
  std::string what;
  if (data == "fashion-mnist") {
    // The run's Fashion-MNIST files unless --data-dir names others.
    const std::string dir = req.data_dir == EvalRequest().data_dir ? o.data_dir : req.data_dir;
    pictures = pictures_from_dataset(load_fashion_mnist(dir, false, req.n));
    what = str(pictures.pictures.size(), " Fashion-MNIST test images");
  } else if (data == o.data) {
    pictures = split_by_file(shrink_pictures(load_pictures(data, static_cast<int>(g.channels)), o.hr_shrink),
                             o.test_every).test;
    what = str(pictures.pictures.size(), " held-out pictures of ", data, " (every ", o.test_every, "th file",
               o.hr_shrink > 1 ? str(", shrunk 1/", o.hr_shrink) : std::string(), ")");
  } else {
    pictures = shrink_pictures(load_pictures(data, static_cast<int>(g.channels)), o.hr_shrink);
    what = str(pictures.pictures.size(), " pictures of ", data,
               o.hr_shrink > 1 ? str(" (shrunk 1/", o.hr_shrink, ")") : std::string());
  }
  SREvalOptions eo;
  eo.scale = g.scale;
  eo.degradation = sr_pair_config(o).degradation;
  eo.tiles.multiple = g.multiple;
  eo.crops_png = req.crops;
  if (log) log(LogLevel::Info, str("eval: upscaling ", what, " x", g.scale));
  const SREvaluation ev = evaluate_sr(*g.net, pictures, eo);
  EvalResult r;
  r.header = str(what, ", LR by ", o.degradation == "real" ? "the real-world pipeline (seeded)" : "bicubic", " x",
                 g.scale, "; ", in.path, " (", g.model, ", step ", g.step,
                 g.step <= g.stage1_steps ? ", stage 1" : ", stage 2", g.ema ? ", EMA" : "",
                 "); border ", g.scale, " px cropped");
  for (const auto& row : {std::make_pair("model", &ev.model), std::make_pair("bicubic", &ev.bicubic)}) {
    const SRScores& sc = *row.second;
    for (const auto& m : {std::make_pair("PSNR-Y", sc.psnr_y), std::make_pair("SSIM-Y", sc.ssim_y),
                          std::make_pair("PSNR-RGB", sc.psnr_rgb), std::make_pair("SSIM-RGB", sc.ssim_rgb),
                          std::make_pair("perceptual", sc.perceptual), std::make_pair("HF-ratio", sc.hf_ratio)})
      r.lines.push_back({row.first, m.first, m.second, NAN});
  }
  r.lines.push_back({"model", "seconds", ev.seconds, NAN});
  return r;
}

// ------------------------------------------------------------ translation
bool accepts_translation_checkpoint(const EvalInput& in) {
  auto f = in.metadata.find("format");
  return f != in.metadata.end() && f->second == "gantry-translation-checkpoint";
}
EvalResult run_translation_checkpoint(const EvalRequest& req, const EvalInput& in, const LogSink& log) {
  return evaluate_translation(req, in.path, log);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

const std::vector<EvalKind>& eval_kinds() {
  static const std::vector<EvalKind> kinds = {
      {"image-samples", "FILE.npy",
       "images [N,C,S,S] in [-1,1] (gantry sample --out): FID-FMNIST, KID, precision, recall, class "
       "coverage, with the real-data calibration floor",
       false, accepts_npy, run_npy},
      {"image-generator", "CHECKPOINT.safetensors",
       "a training checkpoint of an image generator (DCGAN family, progan, stylegan2): the same metrics on --n samples "
       "from its generator (--ema, --truncation, --seed); style-based models add PPL-W (perceptual path length in W), "
       "class-conditional ones intra-FID and intra-class recall (the means over classes, each class's beside them) "
       "or, with --class C, the metrics of class C alone",
       false, accepts_image_checkpoint, run_image_checkpoint},
      {"super-resolution", "SR-CHECKPOINT.safetensors",
       "an esrgan/realesrgan checkpoint: PSNR and SSIM (Y and RGB), perceptual distance and high-frequency ratio "
       "of the model (its EMA weights when it has them) and of bicubic, on the held-out pictures of its data (or "
       "all of --data DIR; Fashion-MNIST: --n test images); --crops FILE.png writes crops side by side",
       true, accepts_sr_checkpoint, run_sr_checkpoint},
      {"translation", "TRANSLATION-CHECKPOINT.safetensors",
       "a pix2pix/cyclegan checkpoint, on the held-out data of its run (or --data DIR with A/ and B/): pix2pix "
       "L1, PSNR, SSIM against the targets and FID-FMNIST of the outputs; CycleGAN, each direction: the "
       "classifier's target-class rate, the per-class FID-FMNIST against the target class, the cycle L1",
       true, accepts_translation_checkpoint, run_translation_checkpoint},
  };
  return kinds;
}

EvalInput inspect_eval_input(const std::string& path) {
  GANTRY_CHECK(!path.empty(), "eval: no input given");
  std::error_code ec;
  GANTRY_CHECK(fs::is_regular_file(path, ec), "eval: ", path, ": no such file");
  EvalInput in;
  in.path = path;
  in.extension = lower(fs::path(path).extension().string());
  if (in.extension == ".safetensors") {
    nn::SafetensorsFile f = nn::load_safetensors(path);
    in.metadata = f.metadata;
    if (f.metadata.count("format") && f.metadata.at("format").rfind("gantry-checkpoint", 0) == 0) {
      checkpoint_format_version(f.metadata, path);  // an unknown version is an error here
      in.is_checkpoint = true;
      in.model = f.metadata.count("model") ? f.metadata.at("model") : "";
    }
  }
  return in;
}

EvalResult evaluate_input(const EvalRequest& req, const LogSink& log) {
  const EvalInput in = inspect_eval_input(req.input);
  for (const EvalKind& k : eval_kinds()) {
    if (!k.accepts(in)) continue;
    GANTRY_CHECK(req.data.empty() || k.uses_data, "eval: ", req.input, " is scored by ", k.name,
                 ", which takes no data (--data ", req.data, ")");
    GANTRY_CHECK(req.crops.empty() || std::string(k.name) == "super-resolution", "eval: --crops is for "
                 "super-resolution checkpoints; ", req.input, " is scored by ", k.name);
    EvalResult r = k.run(req, in, log);
    r.evaluator = k.name;
    return r;
  }
  std::string what = in.is_checkpoint ? "a checkpoint of model '" + in.model + "'"
                     : in.extension == ".safetensors" ? "a safetensors file that is not a training checkpoint"
                     : in.extension.empty() ? "a file without an extension"
                                            : "a " + in.extension + " file";
  std::string takes;
  for (const EvalKind& k : eval_kinds()) takes += str(takes.empty() ? "" : ", ", k.input, " (", k.name, ")");
  throw Error(str("eval: ", req.input, " is ", what, "; no evaluator in this build takes it (eval takes: ",
                  takes, ")"));
}

}  // namespace gan
}  // namespace gantry
