// gan/translation_trainer.cpp — the pix2pix and CycleGAN trainer, its data,
// its checkpoints, and load_translator (see translation_trainer.h).
#include "gan/translation_trainer.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/parallel.h"
#include "core/rng.h"
#include "gan/checkpoint.h"
#include "gan/config.h"
#include "gan/data/image.h"
#include "gan/data/translation_data.h"
#include "gan/health.h"
#include "gan/losses.h"
#include "gan/models/translation/translation.h"
#include "gan/run_log.h"
#include "gan/trainer.h"  // Trainer::stop_requested: one stop flag for every trainer
#include "nn/safetensors.h"

namespace gantry {
namespace gan {

namespace fs = std::filesystem;
using namespace ckpt;

namespace {
constexpr const char* kFormat = "gantry-translation-checkpoint";
constexpr int kFormatVersion = 1;

void check_format(const std::map<std::string, std::string>& m, const std::string& path) {
  auto f = m.find("format");
  GANTRY_CHECK(f != m.end() && f->second == kFormat, "checkpoint ", path, ": not a Gantry translation checkpoint "
               "(format '", f == m.end() ? std::string("none") : f->second, "'; `gantry train --model pix2pix|"
               "cyclegan` writes them)");
  const int64_t v = meta_int(m, "format_version", path);
  GANTRY_CHECK(v >= 1 && v <= kFormatVersion, "checkpoint ", path, ": unknown translation format version ", v,
               " (this gantry reads 1 to ", kFormatVersion, ")");
}

// The nets' architecture as metadata, and its check on resume.
std::map<std::string, std::string> arch_meta(const TrainOptions& o) {
  return {{"model", o.model},
          {"g_net", o.g_net},
          {"g_width", std::to_string(o.g_width)},
          {"g_depth", std::to_string(o.g_depth)},
          {"g_blocks", std::to_string(o.g_blocks)},
          {"norm", o.norm},
          {"dropout", o.dropout ? "1" : "0"},
          {"d_width", std::to_string(o.d_width)},
          {"d_layers", std::to_string(o.d_layers)}};
}

// What D says about a batch: the mean sigmoid(logit) (a probability of
// "real"), or for LSGAN, whose D regresses to 1 and 0, the mean output.
double d_score(LossKind kind, const Tensor& logits) {
  NoGradGuard ng;
  return mean(kind == LossKind::LeastSquares ? logits : sigmoid(logits)).item<double>();
}

// Every k-th example (k-1, 2k-1, ...) to test, the rest to train.
std::pair<ImageDataset, ImageDataset> split_every(const ImageDataset& ds, int64_t k, const std::string& what) {
  const int64_t n = ds.images.size(0);
  std::vector<int64_t> tr, te;
  for (int64_t i = 0; i < n; ++i) ((i + 1) % k == 0 ? te : tr).push_back(i);
  GANTRY_CHECK(!tr.empty() && !te.empty(), "train: ", what, " has ", n, " image(s): too few to hold every ", k,
               "-th out for testing (test_every) and train on the rest");
  auto take = [&](const std::vector<int64_t>& idx) {
    ImageDataset out;
    const Tensor i = from_vector<int64_t>(idx, {static_cast<int64_t>(idx.size())});
    out.images = index_select(ds.images, 0, i).contiguous();
    if (ds.labels.defined()) {  // (index_select has no int64 kernel: copied on the host)
      const Tensor l = ds.labels.to(kCPU).to(kInt64).contiguous();
      std::vector<int64_t> v;
      for (int64_t j : idx) v.push_back(l.data<int64_t>()[j]);
      out.labels = from_vector<int64_t>(v, {static_cast<int64_t>(v.size())});
    }
    return out;
  };
  return {take(tr), take(te)};
}

// One image resized (center crop + area/bilinear) to size x size: [C, s, s].
Tensor resize_image(const Tensor& chw, int64_t size) {
  const Tensor x = chw.contiguous();
  std::vector<float> v(x.data<float>(), x.data<float>() + x.numel());
  std::vector<float> r = resize_square(v, x.size(0), x.size(1), x.size(2), size);
  return from_vector<float>(r, {x.size(0), size, size});
}
}  // namespace

// ------------------------------------------------------------------- data
TranslationData load_translation_data(const TrainOptions& o) {
  TranslationData d;
  const bool cycle = o.model == "cyclegan";
  if (o.data == "fashion-mnist") {
    const ImageDataset train = load_fashion_mnist(o.data_dir, true, o.data_limit);
    const ImageDataset test = load_fashion_mnist(o.data_dir, false);
    if (cycle) {
      const int64_t ka = fashion_mnist_class(o.domain_a), kb = fashion_mnist_class(o.domain_b);
      GANTRY_CHECK(ka != kb, "train: domain_a and domain_b are the same class ('", o.domain_a, "' and '", o.domain_b,
                   "')");
      d.train_a = class_subset(train, ka);
      d.train_b = class_subset(train, kb);
      d.test_a = class_subset(test, ka);
      d.test_b = class_subset(test, kb);
      d.describe = "Fashion-MNIST " + fashion_mnist_classes()[static_cast<size_t>(ka)] + " <-> " +
                   fashion_mnist_classes()[static_cast<size_t>(kb)];
    } else {
      d.train_b = train;
      d.test_b = test;
      d.train_a.images = task_input(o.task, train.images, o.hole, 0);
      d.test_a.images = task_input(o.task, test.images, o.hole, kInpaintTestBase);
      d.describe = o.task == "edges" ? std::string("Fashion-MNIST edges -> garments")
                                     : "Fashion-MNIST inpainting (" + std::to_string(o.hole) + "x" +
                                           std::to_string(o.hole) + " hole)";
      d.train_a.labels = train.labels;
      d.test_a.labels = test.labels;
    }
    return d;
  }
  // A folder with A/ and B/.
  const std::string da = o.data + "/A", db = o.data + "/B";
  GANTRY_CHECK(fs::is_directory(da) && fs::is_directory(db), "train: ", o.model, " reads a folder holding A/ and B/ "
               "(", fs::is_directory(da) ? db : da, " is not a directory)");
  const int ch = static_cast<int>(o.channels);
  image_files(da, "train: " + o.model + " domain A");  // an empty side is an error naming it
  image_files(db, "train: " + o.model + " domain B");
  if (cycle) {
    GANTRY_CHECK(o.resolution > 0, "train: cyclegan on image folders needs resolution (the side every image is "
                 "resized to)");
    std::tie(d.train_a, d.test_a) = split_every(load_image_folder(da, ch, o.resolution, true), o.test_every, da);
    std::tie(d.train_b, d.test_b) = split_every(load_image_folder(db, ch, o.resolution, true), o.test_every, db);
    d.describe = o.data + " A <-> B";
    return d;
  }
  const std::vector<std::string> na = image_files(da, "train"), nb = image_files(db, "train");
  const std::set<std::string> sb(nb.begin(), nb.end());
  for (const std::string& n : na)
    GANTRY_CHECK(sb.count(n), "train: pix2pix pairs files by name: ", da, "/", n, " has no partner in ", db);
  GANTRY_CHECK(na.size() == nb.size(), "train: ", db, " holds ", nb.size(), " images but ", da, " ", na.size(),
               ": pix2pix pairs files by name");
  std::vector<Tensor> as, bs;
  for (const std::string& n : na) {
    Tensor a = load_image(da + "/" + n, ch), b = load_image(db + "/" + n, ch);  // [C, H, W]
    GANTRY_CHECK(a.size(1) == b.size(1) && a.size(2) == b.size(2), "train: pair '", n, "' does not match: ", da, "/",
                 n, " is ", a.size(2), "x", a.size(1), ", ", db, "/", n, " is ", b.size(2), "x", b.size(1));
    if (o.resolution > 0) {
      a = resize_image(a, o.resolution);
      b = resize_image(b, o.resolution);
    } else if (!as.empty()) {
      GANTRY_CHECK(a.size(1) == as[0].size(1) && a.size(2) == as[0].size(2), "train: pair '", n, "' is ", a.size(2),
                   "x", a.size(1), " but the first pair is ", as[0].size(2), "x", as[0].size(1),
                   " (set resolution to resize them all)");
    }
    as.push_back(a);
    bs.push_back(b);
  }
  ImageDataset all_a, all_b;
  all_a.images = stack(as, 0);
  all_b.images = stack(bs, 0);
  std::tie(d.train_a, d.test_a) = split_every(all_a, o.test_every, da);
  std::tie(d.train_b, d.test_b) = split_every(all_b, o.test_every, db);
  d.describe = o.data + " A -> B (" + std::to_string(na.size()) + " pairs)";
  return d;
}

std::shared_ptr<nn::Module> make_translation_generator(const TrainOptions& o, int64_t in, int64_t out) {
  if (o.g_net == "unet") return std::make_shared<UNetGenerator>(in, out, o.g_depth, o.g_width, o.norm, o.dropout);
  GANTRY_CHECK(o.g_net == "resnet", "make_translation_generator: unknown g_net '", o.g_net, "' (unet or resnet)");
  return std::make_shared<ResnetGenerator>(in, out, o.g_width, o.g_blocks, o.norm, o.dropout);
}

std::shared_ptr<nn::Module> make_translation_discriminator(const TrainOptions& o, int64_t in) {
  return std::make_shared<PatchGAN>(in, o.d_width, o.d_layers, o.norm);
}

// ---------------------------------------------------------------- trainer
namespace {
const TrainOptions& checked(const TrainOptions& o) {
  GANTRY_CHECK(is_translation_model(o.model), "TranslationTrainer: '", o.model, "' is not a translation model");
  o.validate();
  GANTRY_CHECK(o.device == "cpu", "train: the translation trainer runs on the CPU for now, not '", o.device, "'");
  return o;
}
}  // namespace

TranslationTrainer::TranslationTrainer(TrainOptions o)
    : TranslationTrainer(o, load_translation_data(checked(o))) {}

TranslationTrainer::TranslationTrainer(TrainOptions o, TranslationData data)
    : opt_(std::move(o)), data_(std::move(data)) {
  checked(opt_);
  if (opt_.threads > 0) set_num_threads(opt_.threads);
  manual_seed(opt_.seed);
  ca_ = data_.train_a.images.size(1);
  cb_ = data_.train_b.images.size(1);
  const auto seed = static_cast<uint64_t>(opt_.seed);
  for (const ImageDataset* s : {&data_.train_a, &data_.train_b})
    GANTRY_CHECK(s->images.size(0) >= opt_.batch, "train: a domain has ", s->images.size(0),
                 " training images, fewer than one batch (", opt_.batch, ")");
  std::vector<Tensor> g_params, d_params;
  auto append = [](std::vector<Tensor>& to, const nn::Module& m) {
    for (const Tensor& p : m.parameters()) to.push_back(p);
  };
  if (cyclegan()) {
    GANTRY_CHECK(opt_.identity_weight == 0 || ca_ == cb_, "train: the identity loss compares G(b) with b: domains "
                 "of ", ca_, " and ", cb_, " channels need identity_weight 0");
    loader_a_ = std::make_unique<DataLoader>(data_.train_a, opt_.batch, seed);
    loader_b_ = std::make_unique<DataLoader>(data_.train_b, opt_.batch, seed + 1);
    G_ = make_translation_generator(opt_, ca_, cb_);
    F_ = make_translation_generator(opt_, cb_, ca_);
    D_ = make_translation_discriminator(opt_, cb_);
    D_A_ = make_translation_discriminator(opt_, ca_);
    pool_a_ = std::make_unique<ImagePool>(opt_.pool_size, seed + 0xa);
    pool_b_ = std::make_unique<ImagePool>(opt_.pool_size, seed + 0xb);
    append(g_params, *G_);
    append(g_params, *F_);
    append(d_params, *D_A_);
    append(d_params, *D_);
  } else {
    ImageDataset pairs;  // [N, ca + cb, H, W]: a and b side by side in the channels
    GANTRY_CHECK(data_.train_a.images.size(2) == data_.train_b.images.size(2) &&
                     data_.train_a.images.size(3) == data_.train_b.images.size(3),
                 "train: pix2pix's two sides differ in size");
    pairs.images = cat({data_.train_a.images, data_.train_b.images}, 1).contiguous();
    loader_a_ = std::make_unique<DataLoader>(pairs, opt_.batch, seed);
    G_ = make_translation_generator(opt_, ca_, cb_);
    D_ = make_translation_discriminator(opt_, ca_ + cb_);
    append(g_params, *G_);
    append(d_params, *D_);
  }
  opt_G_ = std::make_unique<optim::Adam>(g_params, optim::AdamOptions{opt_.lr_g, opt_.beta1, opt_.beta2});
  opt_D_ = std::make_unique<optim::Adam>(d_params, optim::AdamOptions{opt_.lr_d, opt_.beta1, opt_.beta2});
  sched_G_ = optim::make_schedule(opt_.schedule, opt_.lr_g, opt_.steps, {}, opt_.decay_start);
  sched_D_ = optim::make_schedule(opt_.schedule, opt_.lr_d, opt_.steps, {}, opt_.decay_start);
}

TranslationTrainer::~TranslationTrainer() = default;

TranslationStepStats TranslationTrainer::train_step() {
  // Step k's dropout masks: the default generator seeded by (seed, k).
  {
    uint32_t w[4];
    Philox::draw(static_cast<uint64_t>(opt_.seed) ^ 0x7a11e5ull, static_cast<uint64_t>(step_), w);
    manual_seed(static_cast<uint64_t>(w[0]) << 32 | w[1]);
  }
  opt_G_->set_lr(sched_G_->lr_at(step_));
  opt_D_->set_lr(sched_D_->lr_at(step_));
  const LossKind kind = parse_loss(opt_.loss);
  const bool ls = kind == LossKind::LeastSquares;
  // gan/losses.h's LSGAN G loss is 0.5 mean (D - 1)^2; the papers' is mean (D - 1)^2.
  const double g_scale = ls ? 2.0 : 1.0;
  // The papers halve D's loss (pix2pix: "we divide the objective by 2");
  // gan/losses.h's LSGAN D loss has the halves already.
  const double d_scale = ls ? 1.0 : 0.5;
  TranslationStepStats st;
  G_->train();
  D_->train();
  if (!cyclegan()) {
    const DataLoader::Batch batch = loader_a_->next();
    const Tensor a = narrow(batch.images, 1, 0, ca_), b = narrow(batch.images, 1, ca_, cb_);  // [B,ca|cb,H,W]
    const Tensor fake = G_->forward(a);                                                         // [B, cb, H, W]
    {  // D: real pairs [a, b] against [a, G(a)]
      const Tensor real_l = D_->forward(cat({a, b}, 1)), fake_l = D_->forward(cat({a, fake.detach()}, 1));
      const Tensor d = mul(discriminator_loss(kind, real_l, fake_l), d_scale);
      st.d_loss = finite_or_throw(d, step_ + 1, "D");
      st.d_real = d_score(kind, real_l);
      st.d_fake = d_score(kind, fake_l);
      opt_D_->zero_grad();
      d.backward();
      check_gradients(*D_, step_ + 1, "D");
      opt_D_->step();
    }
    {  // G: fool the updated D, and stay near the target
      nn::FreezeGuard frozen(*D_);
      const Tensor adv = mul(generator_loss(kind, D_->forward(cat({a, fake}, 1))), g_scale);
      const Tensor l1 = l1_loss(fake, b);
      st.g_adv = adv.detach().item<double>();
      st.l1 = l1.detach().item<double>();
      const Tensor loss = add(adv, mul(l1, opt_.l1_weight));
      finite_or_throw(loss, step_ + 1, "G");
      opt_G_->zero_grad();
      loss.backward();
      check_gradients(*G_, step_ + 1, "G");
      opt_G_->step();
    }
  } else {
    F_->train();
    D_A_->train();
    const Tensor a = loader_a_->next().images, b = loader_b_->next().images;  // [B, ca, H, W], [B, cb, H, W]
    Tensor fake_b, fake_a;
    {  // G and F, both Ds frozen
      nn::FreezeGuard fa(*D_A_), fb(*D_);
      fake_b = G_->forward(a);
      fake_a = F_->forward(b);
      const Tensor rec_a = F_->forward(fake_b), rec_b = G_->forward(fake_a);
      const Tensor adv = mul(add(generator_loss(kind, D_->forward(fake_b)), generator_loss(kind, D_A_->forward(fake_a))),
                             g_scale);
      const Tensor cyc = add(l1_loss(rec_a, a), l1_loss(rec_b, b));
      Tensor loss = add(adv, mul(cyc, opt_.cycle_weight));
      if (opt_.identity_weight > 0) {
        const Tensor idt = add(l1_loss(G_->forward(b), b), l1_loss(F_->forward(a), a));
        st.identity = idt.detach().item<double>();
        loss = add(loss, mul(idt, opt_.cycle_weight * opt_.identity_weight));
      }
      st.g_adv = adv.detach().item<double>();
      st.cycle = cyc.detach().item<double>();
      finite_or_throw(loss, step_ + 1, "G");
      opt_G_->zero_grad();
      loss.backward();
      check_gradients(*G_, step_ + 1, "G");
      check_gradients(*F_, step_ + 1, "F");
      opt_G_->step();
    }
    {  // D_A and D_B, each on its history of fakes
      const Tensor pa = pool_a_->query(fake_a.detach()), pb = pool_b_->query(fake_b.detach());
      const Tensor ra = D_A_->forward(a), fa = D_A_->forward(pa), rb = D_->forward(b), fb = D_->forward(pb);
      const Tensor d = mul(add(discriminator_loss(kind, ra, fa), discriminator_loss(kind, rb, fb)), d_scale);
      st.d_loss = finite_or_throw(d, step_ + 1, "D");
      st.d_real = 0.5 * (d_score(kind, ra) + d_score(kind, rb));
      st.d_fake = 0.5 * (d_score(kind, fa) + d_score(kind, fb));
      opt_D_->zero_grad();
      d.backward();
      check_gradients(*D_A_, step_ + 1, "D_A");
      check_gradients(*D_, step_ + 1, "D_B");
      opt_D_->step();
    }
  }
  st.step = ++step_;
  return st;
}

void TranslationTrainer::write_samples() const {
  NoGradGuard ng;
  std::vector<Tensor> rows;
  auto run = [](nn::Module& net, const Tensor& x) {
    nn::EvalGuard eg(net);
    return clamp(net.forward(x), -1.0, 1.0);
  };
  const int64_t c = std::max(ca_, cb_);
  if (!cyclegan()) {
    const int64_t n = std::min<int64_t>(8, data_.test_a.images.size(0));
    const Tensor a = narrow(data_.test_a.images, 0, 0, n), b = narrow(data_.test_b.images, 0, 0, n);
    const Tensor y = run(*G_, a);
    for (int64_t i = 0; i < n; ++i)
      for (const Tensor* t : {&a, &y, &b}) rows.push_back(as_channels(narrow(*t, 0, i, 1), c));
  } else {
    const int64_t na = std::min<int64_t>(4, data_.test_a.images.size(0));
    const int64_t nb = std::min<int64_t>(4, data_.test_b.images.size(0));
    const Tensor a = narrow(data_.test_a.images, 0, 0, na), b = narrow(data_.test_b.images, 0, 0, nb);
    const Tensor ga = run(*G_, a), fga = run(*F_, ga), fb = run(*F_, b), gfb = run(*G_, fb);
    for (int64_t i = 0; i < na; ++i)
      for (const Tensor* t : {&a, &ga, &fga}) rows.push_back(as_channels(narrow(*t, 0, i, 1), c));
    for (int64_t i = 0; i < nb; ++i)
      for (const Tensor* t : {&b, &fb, &gfb}) rows.push_back(as_channels(narrow(*t, 0, i, 1), c));
  }
  save_png_grid(opt_.out + "/samples/step_" + std::to_string(step_) + ".png", cat(rows, 0), 3);
}

void TranslationTrainer::run() {
  prepare_run_directory(opt_.out, opt_.to_toml(), /*samples_dir=*/true);
  if (opt_.resume && fs::exists(checkpoint_path())) {
    load_checkpoint(checkpoint_path());
    log(LogLevel::Info, format("resumed from %s at step %lld", checkpoint_path().c_str(),
                               static_cast<long long>(step_)));
  }
  const std::string csv = opt_.out + "/metrics.csv";
  truncate_metrics_csv(csv, step_);
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  auto tw = t0;
  int64_t window_images = 0;
  const int64_t first = step_;
  while (step_ < opt_.steps) {
    if (Trainer::stop_requested()) {
      save_checkpoint(checkpoint_path());
      log(LogLevel::Info, format("stopped on request at step %lld; checkpoint written to %s",
                                 static_cast<long long>(step_), checkpoint_path().c_str()));
      return;
    }
    const TranslationStepStats st = train_step();
    window_images += opt_.batch;
    const bool time_up = opt_.max_minutes > 0 &&
                         std::chrono::duration<double>(clock::now() - t0).count() >= opt_.max_minutes * 60.0;
    const bool last = step_ == opt_.steps || time_up;
    if (step_ % opt_.log_every == 0 || last) {
      const auto now = clock::now();
      const double dt = std::chrono::duration<double>(now - tw).count();
      const double ips = dt > 0 ? window_images / dt : 0;
      tw = now;
      window_images = 0;
      const bool fresh = !fs::exists(csv);
      std::ofstream f(csv, std::ios::app);
      if (fresh) f << "step,g_adv,l1,cycle,identity,d_loss,d_real,d_fake,lr_g,images_per_s\n";
      f << format("%lld,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.2f\n", static_cast<long long>(st.step), st.g_adv,
                  st.l1, st.cycle, st.identity, st.d_loss, st.d_real, st.d_fake, opt_G_->lr(), ips);
      const double per = std::chrono::duration<double>(now - t0).count() / static_cast<double>(step_ - first);
      const long long eta = static_cast<long long>(per * static_cast<double>(opt_.steps - step_));
      log(LogLevel::Progress,
          cyclegan()
              ? format("[step %lld/%lld]  G_adv %.4f  cycle %.4f  idt %.4f  D %.4f  D(x) %.3f  D(G) %.3f  "
                       "%.1f img/s  ETA %lldm%02llds",
                       static_cast<long long>(step_), static_cast<long long>(opt_.steps), st.g_adv, st.cycle,
                       st.identity, st.d_loss, st.d_real, st.d_fake, ips, eta / 60, eta % 60)
              : format("[step %lld/%lld]  G_adv %.4f  L1 %.4f  D %.4f  D(x) %.3f  D(G) %.3f  %.1f img/s  "
                       "ETA %lldm%02llds",
                       static_cast<long long>(step_), static_cast<long long>(opt_.steps), st.g_adv, st.l1,
                       st.d_loss, st.d_real, st.d_fake, ips, eta / 60, eta % 60));
    }
    if (opt_.sample_every > 0 && (step_ % opt_.sample_every == 0 || last)) write_samples();
    if (opt_.checkpoint_every > 0 && (step_ % opt_.checkpoint_every == 0 || last))
      save_checkpoint(checkpoint_path());
    if (time_up && step_ < opt_.steps) {
      log(LogLevel::Info, format("stopped at step %lld of %lld: the %g-minute budget (max_minutes) is spent",
                                 static_cast<long long>(step_), static_cast<long long>(opt_.steps), opt_.max_minutes));
      return;
    }
  }
}

// ------------------------------------------------------------ checkpoints
void TranslationTrainer::save_checkpoint(const std::string& path) const {
  std::vector<std::pair<std::string, const nn::Module*>> nets = {{"G.", G_.get()}, {"D.", D_.get()}};
  if (cyclegan()) {
    nets.emplace_back("F.", F_.get());
    nets.emplace_back("D_A.", D_A_.get());
  }
  nn::NamedTensors all;
  {
    NoGradGuard ng;
    for (const auto& net : nets)
      for (const auto& kv : net.second->state_dict()) {
        if (is_floating(kv.second.dtype()))
          GANTRY_CHECK(std::isfinite(sum(kv.second).item<double>()), "checkpoint ", path, ": refusing to save: '",
                       net.first, kv.first, "' holds non-finite values (step ", step_,
                       "); the previous checkpoint is kept");
      }
  }
  for (const auto& net : nets) add_prefixed(all, net.first, net.second->state_dict());
  add_prefixed(all, "opt_G.", opt_G_->state_dict());
  add_prefixed(all, "opt_D.", opt_D_->state_dict());
  if (pool_a_) {
    add_prefixed(all, "pool_a.", pool_a_->state_dict());
    add_prefixed(all, "pool_b.", pool_b_->state_dict());
  }
  std::map<std::string, std::string> m = arch_meta(opt_);
  m["format"] = kFormat;
  m["format_version"] = std::to_string(kFormatVersion);
  m["step"] = std::to_string(step_);
  m["channels_a"] = std::to_string(ca_);
  m["channels_b"] = std::to_string(cb_);
  m["loader_a"] = std::to_string(loader_a_->epoch()) + "," + std::to_string(loader_a_->position());
  if (loader_b_) m["loader_b"] = std::to_string(loader_b_->epoch()) + "," + std::to_string(loader_b_->position());
  m["config"] = opt_.to_toml();
  nn::save_safetensors(path, all, m);
}

namespace {
void seek_loader(DataLoader& dl, const std::string& text, const std::string& path) {
  const size_t comma = text.find(',');
  long long e = -1, p = -1;
  try {
    e = std::stoll(text.substr(0, comma));
    p = comma == std::string::npos ? -1 : std::stoll(text.substr(comma + 1));
  } catch (const std::exception&) {
  }
  GANTRY_CHECK(e >= 0 && p >= 0, "checkpoint ", path, ": malformed loader position '", text, "'");
  dl.seek(e, p);
}
}  // namespace

void TranslationTrainer::load_checkpoint(const std::string& path) {
  nn::SafetensorsFile f = nn::load_safetensors(path);
  const auto& m = f.metadata;
  check_format(m, path);
  GANTRY_CHECK(meta(m, "model", path) == opt_.model, "checkpoint ", path, " holds model '", meta(m, "model", path),
               "' but the run is for '", opt_.model, "'");
  for (const auto& kv : arch_meta(opt_)) {
    const std::string theirs = meta(m, kv.first, path);
    GANTRY_CHECK(theirs == kv.second, "checkpoint ", path, " has ", kv.first, " = ", theirs, " but this run has ",
                 kv.first, " = ", kv.second);
  }
  GANTRY_CHECK(meta_int(m, "channels_a", path) == ca_ && meta_int(m, "channels_b", path) == cb_, "checkpoint ", path,
               " was trained on ", meta(m, "channels_a", path), "- and ", meta(m, "channels_b", path),
               "-channel images, this run's data has ", ca_, " and ", cb_);
  G_->load_state_dict(take_prefixed(f.tensors, "G."));
  D_->load_state_dict(take_prefixed(f.tensors, "D."));
  if (cyclegan()) {
    F_->load_state_dict(take_prefixed(f.tensors, "F."));
    D_A_->load_state_dict(take_prefixed(f.tensors, "D_A."));
    pool_a_->load_state_dict(take_prefixed(f.tensors, "pool_a."));
    pool_b_->load_state_dict(take_prefixed(f.tensors, "pool_b."));
    seek_loader(*loader_b_, meta(m, "loader_b", path), path);
  }
  opt_G_->load_state_dict(take_prefixed(f.tensors, "opt_G."));
  opt_D_->load_state_dict(take_prefixed(f.tensors, "opt_D."));
  seek_loader(*loader_a_, meta(m, "loader_a", path), path);
  step_ = meta_int(m, "step", path);
}

// ---------------------------------------------------------- for inference
bool is_translation_checkpoint(const std::string& path) {
  const nn::SafetensorsFile f = nn::load_safetensors(path);
  auto it = f.metadata.find("format");
  return it != f.metadata.end() && it->second == kFormat;
}

LoadedTranslator load_translator(const std::string& path, const std::string& direction) {
  nn::SafetensorsFile f = nn::load_safetensors(path);
  const auto& m = f.metadata;
  check_format(m, path);
  GANTRY_CHECK(direction == "a2b" || direction == "b2a", "translate: direction must be a2b or b2a, not '",
               direction, "'");
  LoadedTranslator out;
  out.options.apply(Config::parse(meta(m, "config", path), path + " (config)"));
  out.model = meta(m, "model", path);
  out.b2a = direction == "b2a";
  GANTRY_CHECK(!out.b2a || out.model == "cyclegan", "translate: ", path, " is a ", out.model,
               " checkpoint, which translates one way only (a2b); b2a needs a cyclegan checkpoint");
  const int64_t ca = meta_int(m, "channels_a", path), cb = meta_int(m, "channels_b", path);
  out.in_channels = out.b2a ? cb : ca;
  out.out_channels = out.b2a ? ca : cb;
  out.step = meta_int(m, "step", path);
  out.task = out.options.task;
  out.domain_a = out.options.domain_a;
  out.domain_b = out.options.domain_b;
  out.data = out.options.data;
  out.resolution = out.options.resolution;
  out.net = make_translation_generator(out.options, out.in_channels, out.out_channels);
  out.net->load_state_dict(take_prefixed(f.tensors, out.b2a ? "F." : "G."));
  out.net->eval();
  if (out.model == "cyclegan") {
    out.inverse = make_translation_generator(out.options, out.out_channels, out.in_channels);
    out.inverse->load_state_dict(take_prefixed(f.tensors, out.b2a ? "G." : "F."));
    out.inverse->eval();
  }
  return out;
}

}  // namespace gan
}  // namespace gantry
