// gan/options.cpp — the option table of gan/options.h made into data (one
// OptionSpec per row) and what walks it: TrainOptions::apply (type, range and
// choice checks, unknown keys with the nearest valid key), validate (checks
// between options), set_model_defaults and to_toml.
#include "gan/options.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>

#include "core/error.h"
#include "gan/augment.h"
#include "gan/losses.h"
#include "gan/models/model.h"
#include "gan/models/sr/sr.h"
#include "gan/models/translation/translation.h"

namespace gantry {
namespace gan {

namespace {

// Field <-> Config::Value for each C++ type of the table.
Config::Value to_value(const std::string& x) {
  Config::Value v;
  v.type = Config::Type::String;
  v.s = x;
  return v;
}
Config::Value to_value(int64_t x) {
  Config::Value v;
  v.type = Config::Type::Int;
  v.i = x;
  return v;
}
Config::Value to_value(double x) {
  Config::Value v;
  v.type = Config::Type::Float;
  v.d = x;
  return v;
}
Config::Value to_value(bool x) {
  Config::Value v;
  v.type = Config::Type::Bool;
  v.b = x;
  return v;
}
[[maybe_unused]] Config::Value to_value(const std::vector<double>& x) {
  Config::Value v;
  v.type = Config::Type::Array;
  v.arr = x;
  return v;
}
// check_option has already converted the value to the field's type.
void from_value(std::string& f, const Config::Value& v) { f = v.s; }
void from_value(int64_t& f, const Config::Value& v) { f = v.i; }
void from_value(double& f, const Config::Value& v) { f = v.d; }
void from_value(bool& f, const Config::Value& v) { f = v.b; }
[[maybe_unused]] void from_value(std::vector<double>& f, const Config::Value& v) { f = v.arr; }

// The row's accessors, chosen by the field's type: scalars use get/set,
// tables (OptionMap) entries/set_entry. The other pair is never called for
// that row (option_table() leaves it null).
using Entries = std::vector<std::pair<std::string, Config::Value>>;
template <class T>
Config::Value field_get(const T& f) { return to_value(f); }
template <class T>
Config::Value field_get(const OptionMap<T>&) { return Config::Value(); }
template <class T>
void field_set(T& f, const Config::Value& v) { from_value(f, v); }
template <class T>
void field_set(OptionMap<T>&, const Config::Value&) {}
template <class T>
Entries field_entries(const T&) { return {}; }
template <class T>
Entries field_entries(const OptionMap<T>& m) {
  Entries out;
  for (const auto& e : m.entries) out.emplace_back(e.first, to_value(e.second));
  return out;
}
template <class T>
void field_set_entry(T&, const std::string&, const Config::Value&) {}
template <class T>
void field_set_entry(OptionMap<T>& m, const std::string& key, const Config::Value& v) {
  T x;
  from_value(x, v);
  m.set(key, std::move(x));
}

#define GANTRY_OPT_SPECTYPE_STR OptionSpec::Type::String
#define GANTRY_OPT_SPECTYPE_INT OptionSpec::Type::Int
#define GANTRY_OPT_SPECTYPE_FLOAT OptionSpec::Type::Float
#define GANTRY_OPT_SPECTYPE_BOOL OptionSpec::Type::Bool
#define GANTRY_OPT_SPECTYPE_FLOATS OptionSpec::Type::Floats
#define GANTRY_OPT_SPECTYPE_INT_MAP OptionSpec::Type::IntMap
#define GANTRY_OPT_SPECTYPE_FLOAT_MAP OptionSpec::Type::FloatMap
#define GANTRY_OPT_SPECTYPE_STR_MAP OptionSpec::Type::StringMap

std::vector<OptionSpec> build_table() {
  std::vector<OptionSpec> t;
#define GANTRY_OPT_ROW(TYPE, name, def, flag, check, group, help)                           \
  t.push_back(OptionSpec{                                                                    \
      #name, flag, GANTRY_OPT_SPECTYPE_##TYPE, #def, check, group, help,                     \
      [](const TrainOptions& o) { return field_get(o.name); },                               \
      [](TrainOptions& o, const Config::Value& v) { field_set(o.name, v); },                 \
      [](const TrainOptions& o) { return field_entries(o.name); },                           \
      [](TrainOptions& o, const std::string& k, const Config::Value& v) {                    \
        field_set_entry(o.name, k, v);                                                       \
      }});
  GANTRY_TRAIN_OPTIONS(GANTRY_OPT_ROW)
#undef GANTRY_OPT_ROW
  for (OptionSpec& o : t) {
    if (o.is_table()) o.get = nullptr, o.set = nullptr;
    else o.entries = nullptr, o.set_entry = nullptr;
  }
  return t;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

struct Interval {
  double lo, hi;
  bool lo_open, hi_open;
};

// "[2, inf)" -> {2, inf, false, true}. The table's strings are fixed, so a
// malformed one is a programming error caught by the option-table test.
bool parse_interval(const std::string& s, Interval* out) {
  if (s.size() < 5 || (s.front() != '[' && s.front() != '(') ||
      (s.back() != ']' && s.back() != ')'))
    return false;
  const size_t comma = s.find(',');
  if (comma == std::string::npos) return false;
  auto num = [](std::string t, double* v) {
    t.erase(0, t.find_first_not_of(' '));
    t.erase(t.find_last_not_of(' ') + 1);
    if (t == "inf") *v = std::numeric_limits<double>::infinity();
    else if (t == "-inf") *v = -std::numeric_limits<double>::infinity();
    else {
      char* end = nullptr;
      *v = std::strtod(t.c_str(), &end);
      if (t.empty() || *end != '\0') return false;
    }
    return true;
  };
  out->lo_open = s.front() == '(';
  out->hi_open = s.back() == ')';
  return num(s.substr(1, comma - 1), &out->lo) &&
         num(s.substr(comma + 1, s.size() - comma - 2), &out->hi);
}

bool in_interval(const Interval& r, double x) {
  const bool lo_ok = r.lo_open ? x > r.lo : x >= r.lo;
  const bool hi_ok = r.hi_open ? x < r.hi : x <= r.hi;
  return lo_ok && hi_ok;  // false for NaN
}

std::string number_text(double x) {
  std::ostringstream os;
  os.precision(17);
  os << x;
  return os.str();
}

}  // namespace

const std::vector<OptionSpec>& option_table() {
  static const std::vector<OptionSpec> table = build_table();
  return table;
}

const OptionSpec* find_option(const std::string& key) {
  for (const OptionSpec& o : option_table())
    if (key == o.key) return &o;
  return nullptr;
}

const OptionSpec* find_option_for_key(const std::string& key, std::string* sub) {
  sub->clear();
  if (const OptionSpec* o = find_option(key)) return o;
  const size_t dot = key.find('.');
  if (dot == std::string::npos || dot + 1 == key.size()) return nullptr;
  const OptionSpec* o = find_option(key.substr(0, dot));
  if (!o || !o->is_table()) return nullptr;
  *sub = key.substr(dot + 1);
  return o;
}

OptionSpec::Type OptionSpec::value_type() const {
  switch (type) {
    case Type::IntMap: return Type::Int;
    case Type::FloatMap: return Type::Float;
    case Type::StringMap: return Type::String;
    default: return type;
  }
}

std::string nearest_option(const std::string& key) {
  // Compared as written, with '-' read as '_', and by its last dotted part
  // (the options are top-level keys: "optim.beta" is likely "beta1").
  std::string k = key;
  std::replace(k.begin(), k.end(), '-', '_');
  const std::string last = k.substr(k.rfind('.') == std::string::npos ? 0 : k.rfind('.') + 1);
  std::string best;
  size_t best_d = std::numeric_limits<size_t>::max();
  for (const OptionSpec& o : option_table()) {
    const size_t d = std::min({edit_distance(k, o.key), edit_distance(key, o.flag),
                               edit_distance(last, o.key) + 1});
    if (d < best_d) {
      best_d = d;
      best = o.key;
    }
  }
  return best;
}

const char* option_type_name(OptionSpec::Type t) {
  switch (t) {
    case OptionSpec::Type::String: return "a string";
    case OptionSpec::Type::Int: return "an integer";
    case OptionSpec::Type::Float: return "a number";
    case OptionSpec::Type::Bool: return "a boolean";
    case OptionSpec::Type::Floats: return "an array of numbers";
    case OptionSpec::Type::IntMap: return "a table of integers";
    case OptionSpec::Type::FloatMap: return "a table of numbers";
    case OptionSpec::Type::StringMap: return "a table of strings";
  }
  return "?";
}

Config::Value check_option(const OptionSpec& o, Config::Value v, const std::string& where) {
  using T = Config::Type;
  bool ok = false;
  switch (o.value_type()) {
    case OptionSpec::Type::String: ok = v.type == T::String; break;
    case OptionSpec::Type::Int: ok = v.type == T::Int; break;
    case OptionSpec::Type::Float:
      if (v.type == T::Int) {
        v.type = T::Float;
        v.d = static_cast<double>(v.i);
      }
      ok = v.type == T::Float;
      break;
    case OptionSpec::Type::Bool: ok = v.type == T::Bool; break;
    case OptionSpec::Type::Floats: ok = v.type == T::Array; break;
    default: break;
  }
  if (!ok)
    throw Error(str(where, ": expected ", option_type_name(o.value_type()), ", got ",
                    config_type_name(v.type)));
  const std::string check = o.check;
  if (check.empty()) return v;
  Interval r;
  if (parse_interval(check, &r)) {
    std::vector<double> xs;
    if (v.type == T::Int) xs.push_back(static_cast<double>(v.i));
    else if (v.type == T::Float) xs.push_back(v.d);
    else if (v.type == T::Array) xs = v.arr;
    for (double x : xs)
      if (!in_interval(r, x))
        throw Error(str(where, ": must be in ", check, ", got ",
                        v.type == T::Int ? std::to_string(v.i) : number_text(x)));
    return v;
  }
  // Choices "a|b|c".
  std::string choice;
  std::istringstream is(check);
  while (std::getline(is, choice, '|'))
    if (v.type == T::String && v.s == choice) return v;
  std::string list = check;
  std::replace(list.begin(), list.end(), '|', ',');
  throw Error(str(where, ": must be one of ", list, ", got ", toml_value_text(v)));
}

Config::Value parse_option_text(const OptionSpec& o, const std::string& text,
                                const std::string& where) {
  Config::Value v;
  switch (o.value_type()) {
    case OptionSpec::Type::String:
      v.type = Config::Type::String;
      v.s = text;
      break;
    case OptionSpec::Type::Int: {
      errno = 0;
      char* end = nullptr;
      const long long x = std::strtoll(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || errno != 0)
        throw Error(str(where, ": '", text, "' is not an integer"));
      v.type = Config::Type::Int;
      v.i = x;
      break;
    }
    case OptionSpec::Type::Float: {
      errno = 0;
      char* end = nullptr;
      const double x = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || errno != 0)
        throw Error(str(where, ": '", text, "' is not a number"));
      v.type = Config::Type::Float;
      v.d = x;
      break;
    }
    case OptionSpec::Type::Bool:
      if (text != "true" && text != "false")
        throw Error(str(where, ": '", text, "' is not true or false"));
      v.type = Config::Type::Bool;
      v.b = text == "true";
      break;
    case OptionSpec::Type::Floats: {
      Config c;
      c.set("v", text);
      if (c.type("v") != Config::Type::Array)
        throw Error(str(where, ": '", text, "' is not an array of numbers such as [0.5, 0.9]"));
      v = c.value("v");
      break;
    }
    default: break;
  }
  v.origin = where;
  return check_option(o, v, where);
}

Entries parse_option_entries(const OptionSpec& o, const std::string& text, const std::string& where) {
  Entries out;
  std::istringstream is(text);
  std::string item;
  while (std::getline(is, item, ',')) {
    const size_t eq = item.find('=');
    auto trim = [](std::string t) {
      t.erase(0, t.find_first_not_of(' '));
      t.erase(t.find_last_not_of(' ') + 1);
      return t;
    };
    const std::string key = eq == std::string::npos ? "" : trim(item.substr(0, eq));
    if (key.empty())
      throw Error(str(where, ": '", item, "' is not KEY=VALUE (e.g. ", o.flag, " 5000=0.5,8000=0.1)"));
    out.emplace_back(key, parse_option_text(o, trim(item.substr(eq + 1)), str(where, " (key '", key, "')")));
  }
  if (out.empty()) throw Error(str(where, ": expected KEY=VALUE[,KEY=VALUE...], got '", text, "'"));
  return out;
}

// ------------------------------------------------------------ TrainOptions
void TrainOptions::set_model_defaults(const std::string& m) {
  if (out == "runs/" + model) out = "runs/" + m;  // the default output follows the model
  model = m;
  // Start from the DCGAN objective, then change what the model's paper changes.
  const TrainOptions base;
  loss = base.loss;
  n_critic = base.n_critic;
  lr_g = base.lr_g;
  lr_d = base.lr_d;
  beta1 = base.beta1;
  beta2 = base.beta2;
  real_label_min = base.real_label_min;
  real_label_max = base.real_label_max;
  penalty = base.penalty;
  drift = base.drift;
  init = base.init;
  ema_decay = base.ema_decay;
  ema_rampup = base.ema_rampup;
  lazy_adam = base.lazy_adam;
  r1_gamma = base.r1_gamma;
  r1_every = base.r1_every;
  eval_phases = base.eval_phases;
  degradation = base.degradation;
  sr_d = base.sr_d;
  l1_weight = base.l1_weight;
  perceptual_weight = base.perceptual_weight;
  gan_weight = base.gan_weight;
  schedule = base.schedule;
  g_net = base.g_net;
  norm = base.norm;
  dropout = base.dropout;
  if (steps == 0 && epochs == 0) steps = base.steps;  // leaving progan's "schedule length"
  if (m == "wgan-gp") {  // Gulrajani et al.: lambda 10, n_critic 5, Adam(1e-4, 0.0, 0.9)
    loss = "wasserstein";
    n_critic = 5;
    lr_g = lr_d = 1e-4;
    beta1 = 0.0;
    beta2 = 0.9;
    penalty = "gp";
  } else if (m == "sngan" || m == "cdcgan") {
    // Miyato et al. / Miyato & Koyama: the hinge loss, n_dis 1, Adam(·, 0,
    // 0.9) (the betas of their reference code; the SNGAN paper's setting C,
    // (0.5, 0.999), learns several times more slowly: docs/results.md);
    // sngan at 4e-4, which its 5-epoch runs preferred to 2e-4.
    loss = "hinge";
    beta1 = 0.0;
    beta2 = 0.9;
    if (m == "sngan") lr_g = lr_d = 4e-4;
  } else if (m == "sagan") {
    // Zhang et al. 2019: spectral norm in G and D, self-attention at the
    // middle feature maps, the hinge loss, and the two time-scale update
    // rule: D at 4e-4, G at 1e-4, Adam(0, 0.9), one D step per G step.
    loss = "hinge";
    lr_g = 1e-4;
    lr_d = 4e-4;
    beta1 = 0.0;
    beta2 = 0.9;
  } else if (m == "r1") {  // Mescheder et al.: non-saturating + R1 on reals
    penalty = "r1";
  } else if (m == "progan") {
    // Karras et al. 2018: WGAN-GP (lambda 10, one critic step) + drift 0.001,
    // Adam(1e-3, 0, 0.99); the equalized layers initialize themselves;
    // trained by its schedule. G's weights are averaged with beta 0.995, not
    // the paper's 0.999: its phases last ~50,000 steps, ours ~600, and a
    // 0.999 average (a ~700-step half-life) still holds the fade-in's
    // weights at the end of a stable stretch (docs/progan.md).
    loss = "wasserstein";
    penalty = "gp";
    lr_g = lr_d = 1e-3;
    beta1 = 0.0;
    beta2 = 0.99;
    drift = 0.001;
    ema_decay = 0.995;
    init = "default";
    eval_phases = true;
    steps = 0;
    epochs = 0;
  } else if (m == "esrgan" || m == "realesrgan") {
    // Super-resolution (gan/sr_trainer.h). Both papers: Adam(1e-4, 0.9,
    // 0.99) for G and D in the adversarial stage (stage 1: stage1_lr 2e-4),
    // an EMA generator (BasicSR's 0.999). ESRGAN (Wang et al. 2018): the
    // relativistic average loss, L1 0.01 + perceptual 1 + GAN 0.005, the
    // VGG-style D, bicubic LR. Real-ESRGAN (Wang et al. 2021): the vanilla
    // (non-saturating) loss with a U-Net D, L1 1 + perceptual 1 + GAN 0.1,
    // the second-order degradations.
    lr_g = lr_d = 1e-4;
    beta1 = 0.9;
    beta2 = 0.99;
    ema_decay = 0.999;
    init = "default";
    if (m == "esrgan") {
      loss = "relativistic";
      l1_weight = 0.01;
      perceptual_weight = 1.0;
      gan_weight = 0.005;
    } else {
      sr_d = "unet";
      degradation = "real";
      l1_weight = perceptual_weight = 1.0;
      gan_weight = 0.1;
    }
  } else if (m == "pix2pix" || m == "cyclegan") {
    // Image-to-image translation (gan/translation_trainer.h). Both papers:
    // Adam(2e-4, 0.5), the rates decaying linearly to 0 (from decay_start),
    // the "normal" init (init::dcgan_), a PatchGAN D. pix2pix (Isola et al.
    // 2017): U-Net G, batch norm, the vanilla loss, L1 lambda 100. CycleGAN
    // (Zhu et al. 2017): ResNet G, instance norm, LSGAN, cycle lambda 10,
    // identity 0.5, a 50-image pool, no dropout.
    schedule = "linear";
    if (m == "pix2pix") {
      l1_weight = 100.0;
    } else {
      loss = "lsgan";
      g_net = "resnet";
      norm = "instance";
      dropout = false;
    }
  } else if (m == "stylegan2") {
    // Karras et al. 2020 (and StyleGAN2-ADA's 32x32 CIFAR-10 settings):
    // the non-saturating logistic loss, lazy R1 every 16 D steps (gamma
    // 0.01), path length every 4 G steps (pl_* rows), Adam(0.0025, 0, 0.99)
    // adjusted for the lazy steps, style mixing 0.9, and an EMA generator
    // whose half-life ramps up with the images seen (docs/stylegan2.md).
    penalty = "r1";
    r1_gamma = 0.01;
    r1_every = 16;
    lr_g = lr_d = 0.0025;
    beta1 = 0.0;
    beta2 = 0.99;
    lazy_adam = true;
    ema_decay = 0.999;
    ema_rampup = 0.05;
    init = "default";
  }
  if (m != "dcgan") real_label_min = real_label_max = 1.0;
}

namespace {
std::string model_list() {
  std::string have;
  for (const auto& n : model_names()) have += (have.empty() ? "" : ", ") + n;
  for (const auto& n : sr_model_names()) have += ", " + n;
  for (const auto& n : translation_model_names()) have += ", " + n;
  return have;
}
bool known_model(const std::string& m) {
  const auto& names = model_names();
  return std::find(names.begin(), names.end(), m) != names.end() || is_sr_model(m) || is_translation_model(m);
}
// The SR models' adversarial loss may also be ESRGAN's relativistic one.
void check_loss(const std::string& model, const std::string& loss) {
  if (is_sr_model(model) && loss == "relativistic") return;
  parse_loss(loss);
}
}  // namespace

void TrainOptions::apply(const Config& c) {
  // Unknown keys first: a typo is the likeliest mistake, and it may be the
  // reason another key looks wrong.
  std::string sub;
  for (const std::string& k : c.keys()) {
    const OptionSpec* o = find_option_for_key(k, &sub);
    if (!o)
      throw Error(str(c.position(k), ": unknown key '", k, "' (did you mean '", nearest_option(k),
                      "'?)"));
    if (o->is_table() && sub.empty())
      throw Error(str(c.where(k), ": expected ", option_type_name(o->type), " such as ", o->key,
                      " = { KEY = VALUE }, got ", config_type_name(c.value(k).type)));
  }
  if (c.has("model")) {
    const Config::Value v = check_option(*find_option("model"), c.value("model"), c.where("model"));
    GANTRY_CHECK(known_model(v.s), c.where("model"), ": model '", v.s, "' is not available (have: ",
                 model_list(), ")");
    set_model_defaults(v.s);
  }
  for (const std::string& k : c.keys()) {
    const OptionSpec& o = *find_option_for_key(k, &sub);
    const Config::Value v = check_option(o, c.value(k), c.where(k));
    if (o.is_table()) {
      o.set_entry(*this, sub, v);
      continue;
    }
    if (k == "loss") {
      try {
        check_loss(model, v.s);
      } catch (const Error& e) {
        throw Error(str(c.where(k), ": ", e.what()));
      }
    } else if (k == "augment") {
      try {
        check_augment_policy(v.s);
      } catch (const Error& e) {
        throw Error(str(c.where(k), ": ", e.what()));
      }
    }
    o.set(*this, v);
  }
  validate();
}

void TrainOptions::validate() const {
  GANTRY_CHECK(known_model(model), "options: model '", model, "' is not available (have: ",
               model_list(), ")");
  // Every option's own range and choices (for options set from C++).
  for (const OptionSpec& o : option_table()) {
    if (!o.is_table()) {
      check_option(o, o.get(*this), str("options: '", o.key, "'"));
      continue;
    }
    for (const auto& e : o.entries(*this)) {
      GANTRY_CHECK(!e.first.empty(), "options: '", o.key, "' has an empty key");
      check_option(o, e.second, str("options: '", o.key, ".", e.first, "'"));
    }
  }
  milestones();                                           // its keys are steps
  const std::map<int64_t, int64_t> batches = phase_batches();  // its keys are resolutions
  GANTRY_CHECK((schedule == "milestones") == !lr_milestones.empty(),
               schedule == "milestones"
                   ? "options: schedule = \"milestones\" needs lr_milestones (e.g. { 5000 = 0.5 })"
                   : "options: lr_milestones is set but schedule is not \"milestones\"");
  GANTRY_CHECK(decay_start == 0 || schedule == "linear", "options: decay_start is for schedule \"linear\", not \"",
               schedule, "\"");
  GANTRY_CHECK(decay_start == 0 || steps == 0 || decay_start < steps, "options: decay_start (", decay_start,
               ") must come before the last step (steps ", steps, ")");
  check_loss(model, loss);
  check_augment_policy(augment);
  GANTRY_CHECK(data_limit != 0, "options: data_limit 0 leaves no images to train on (-1: all of them)");
  GANTRY_CHECK(channels == 1 || channels == 3, "options: channels must be 1 (luminance) or 3 (RGB), not ", channels);
  GANTRY_CHECK(data != "fashion-mnist" || channels == 1, "options: Fashion-MNIST has 1 channel, not ", channels);
  if (is_growing_model(model)) {
    GANTRY_CHECK(epochs == 0, "options: ", model, " trains by its growth schedule: set steps (0: the "
                 "schedule's length), not epochs");
    GANTRY_CHECK(init == "default", "options: ", model, "'s equalized layers initialize themselves: "
                 "init must be \"default\", not \"", init, "\"");
    const int64_t r = image_resolution();
    GANTRY_CHECK(r >= 8 && is_power_of_two(r), "options: ", model, " grows to a power of two; resolution ",
                 r, " is not one (8, 16, 32, 64, ...)");
    GANTRY_CHECK(is_power_of_two(start_resolution) && start_resolution < r,
                 "options: start_resolution ", start_resolution, " must be a power of two below the resolution ",
                 r, " (the schedule cannot reach ", r, " from it)");
    for (const auto& kv : batches) {
      GANTRY_CHECK(kv.first >= start_resolution && kv.first <= r && is_power_of_two(kv.first),
                   "options: phase_batch gives a batch for ", kv.first, "x", kv.first, ", which the schedule ",
                   start_resolution, " -> ", r, " never reaches");
    }
    for (int64_t res = start_resolution; res <= r; res *= 2) {
      const int64_t b = batches.count(res) ? batches.at(res) : batch;
      const int64_t g = std::min(mbstd_group, b);
      GANTRY_CHECK(b % g == 0, "options: the batch at ", res, "x", res, " (", b,
                   ") is not a multiple of the minibatch-stddev group (mbstd_group ", mbstd_group, ")");
    }
  } else if (model == "stylegan2") {
    GANTRY_CHECK(steps > 0 || epochs > 0, "options: set steps or epochs to a positive number");
    GANTRY_CHECK(phase_batch.empty(), "options: phase_batch is for growing models (progan), not ", model);
    GANTRY_CHECK(init == "default", "options: stylegan2's equalized layers initialize themselves: "
                 "init must be \"default\", not \"", init, "\"");
    const int64_t r = image_resolution();
    GANTRY_CHECK(r >= 4 && is_power_of_two(r), "options: stylegan2 works at a power of two >= 4; resolution ", r,
                 " is not one");
    const int64_t g = std::min(mbstd_group, batch);
    GANTRY_CHECK(batch % g == 0, "options: batch ", batch, " is not a multiple of the minibatch-stddev group ",
                 "(mbstd_group ", mbstd_group, ")");
    GANTRY_CHECK(pl_weight == 0 || batch / pl_batch_shrink >= 1, "options: pl_batch_shrink ", pl_batch_shrink,
                 " leaves no sample of the batch of ", batch, " for the path-length penalty");
  } else if (is_sr_model(model)) {
    validate_sr();
  } else if (is_translation_model(model)) {
    validate_translation();
  } else {
    GANTRY_CHECK(steps > 0 || epochs > 0, "options: set steps or epochs to a positive number");
    GANTRY_CHECK(phase_batch.empty(), "options: phase_batch is for growing models (progan), not ", model);
    const int64_t r = image_resolution();
    GANTRY_CHECK(r == 28 || r == 32, "options: the DCGAN family works at resolution 28 or 32, not ", r,
                 " (progan grows to any power of two)");
  }
  GANTRY_CHECK(d_layout == "dcgan" || model == "wgan-gp" || model == "r1" || model == "sngan" || model == "sagan",
               "options: d_layout '", d_layout, "' is for the BatchNorm-free critic of wgan-gp, r1, sngan and sagan; ",
               model, "'s discriminator has one layout (dcgan)");
  GANTRY_CHECK(real_label_min <= real_label_max, "options: real_label_min (", real_label_min,
               ") > real_label_max (", real_label_max, ")");
  GANTRY_CHECK(device == "cpu" || device.rfind("cuda", 0) == 0, "options: unknown device '",
               device, "' (expected cpu or cuda[:N])");
}

void TrainOptions::validate_sr() const {
  GANTRY_CHECK(epochs == 0 && steps > 0, "options: ", model, " trains by steps (both stages together): set steps, "
               "not epochs");
  GANTRY_CHECK(stage1_steps <= steps, "options: stage1_steps (", stage1_steps, ") exceeds steps (", steps,
               "), the length of both stages together");
  GANTRY_CHECK(sr_net == "compact" || scale == 1 || scale == 2 || scale == 4, "options: sr_net rrdb upscales by 1, "
               "2 or 4, not ", scale, " (the compact net takes any scale)");
  GANTRY_CHECK(!sr_skip || sr_net == "rrdb", "options: sr_skip is for sr_net rrdb (the compact net always adds "
               "its nearest-neighbour enlargement)");
  GANTRY_CHECK(patch % scale == 0, "options: patch (", patch, ") must be a multiple of scale (", scale, ")");
  GANTRY_CHECK(sr_net == "compact" || (patch / scale) % (4 / scale) == 0, "options: rrdb at scale ", scale,
               " pixel-unshuffles its input by ", 4 / scale, ": patch / scale (", patch / scale,
               ") must be a multiple of it");
  if (sr_d == "vgg")
    GANTRY_CHECK(patch >= 8 && is_power_of_two(patch), "options: sr_d vgg judges power-of-two crops >= 8; patch ",
                 patch, " is not one (or use sr_d unet)");
  else
    GANTRY_CHECK(patch % 8 == 0, "options: sr_d unet needs a patch divisible by 8, not ", patch);
  GANTRY_CHECK(data != "fashion-mnist" || patch <= 28, "options: Fashion-MNIST images are 28x28; patch ", patch,
               " does not fit in them");
  GANTRY_CHECK(eval_every == 0, "options: ", model, " runs are scored by gantry eval (PSNR, SSIM, ...), not "
               "eval_every");
  GANTRY_CHECK(augment == "none" && penalty == "none", "options: ", model, " takes no augment or penalty");
  GANTRY_CHECK(phase_batch.empty(), "options: phase_batch is for growing models (progan), not ", model);
  GANTRY_CHECK(on_divergence == "stop", "options: ", model, " runs stop on divergence (on_divergence rollback is "
               "for the GAN trainer)");
  // What the GAN trainer has and the SR trainer does not: refused, not ignored.
  GANTRY_CHECK(schedule == "constant" && lr_milestones.empty(), "options: ", model,
               " trains at constant rates (schedule \"", schedule, "\" is for the GAN trainer)");
  GANTRY_CHECK(n_critic == 1 && drift == 0 && !lazy_adam && ema_rampup == 0 && clip_grad_norm == 0 &&
                   attention_at == 0,
               "options: ", model, " takes none of n_critic, drift, lazy_adam, ema_rampup, clip_grad_norm, "
               "attention_at (they are the GAN trainer's)");
}

void TrainOptions::validate_translation() const {
  GANTRY_CHECK(epochs == 0 && steps > 0, "options: ", model, " trains by steps: set steps, not epochs");
  GANTRY_CHECK(model == "cyclegan" || data != "fashion-mnist" || task != "inpaint" || hole <= 28,
               "options: the inpainting hole (", hole, ") does not fit in 28x28 Fashion-MNIST images");
  GANTRY_CHECK(eval_every == 0, "options: ", model, " runs are scored by gantry eval, not eval_every");
  GANTRY_CHECK(init == "dcgan", "options: ", model, "'s nets take the papers' N(0, 0.02) init: init must be "
               "\"dcgan\", not \"", init, "\"");
  GANTRY_CHECK(data != "fashion-mnist" || resolution == 0 || resolution == 28, "options: ", model,
               " works on Fashion-MNIST at its own 28x28 (resolution 0), not ", resolution);
  GANTRY_CHECK(augment == "none" && penalty == "none", "options: ", model, " takes no augment or penalty");
  GANTRY_CHECK(phase_batch.empty(), "options: phase_batch is for growing models (progan), not ", model);
  GANTRY_CHECK(on_divergence == "stop", "options: ", model, " runs stop on divergence (on_divergence rollback is "
               "for the GAN trainer)");
  GANTRY_CHECK(loss != "wasserstein" && loss != "hinge" && loss != "minimax", "options: ", model, " trains with ",
               "the nonsaturating (vanilla) or lsgan loss, not ", loss);
  // What the GAN trainer has and this one does not: refused, not ignored.
  GANTRY_CHECK(schedule == "constant" || schedule == "linear", "options: ", model,
               " takes schedule constant or linear, not \"", schedule, "\"");
  GANTRY_CHECK(n_critic == 1 && drift == 0 && !lazy_adam && ema_decay == 0 && ema_rampup == 0 &&
                   clip_grad_norm == 0 && attention_at == 0,
               "options: ", model, " takes none of n_critic, drift, lazy_adam, ema, ema_rampup, clip_grad_norm, "
               "attention_at (they are the GAN trainer's)");
}

int64_t TrainOptions::image_resolution() const {
  if (resolution > 0) return resolution;
  return is_growing_model(model) || model == "stylegan2" ? 32 : 28;
}

std::map<int64_t, int64_t> TrainOptions::phase_batches() const {
  std::map<int64_t, int64_t> out;
  for (const auto& e : phase_batch.entries) {
    errno = 0;
    char* end = nullptr;
    const long long r = std::strtoll(e.first.c_str(), &end, 10);
    GANTRY_CHECK(!e.first.empty() && *end == '\0' && errno == 0 && r > 0, "options: phase_batch key '", e.first,
                 "' is not a resolution (e.g. 32 = 16)");
    GANTRY_CHECK(!out.count(r), "options: phase_batch gives resolution ", r, " twice");
    out[static_cast<int64_t>(r)] = e.second;
  }
  return out;
}

std::vector<std::pair<int64_t, double>> TrainOptions::milestones() const {
  std::vector<std::pair<int64_t, double>> out;
  for (const auto& e : lr_milestones.entries) {
    errno = 0;
    char* end = nullptr;
    const long long step = std::strtoll(e.first.c_str(), &end, 10);
    GANTRY_CHECK(!e.first.empty() && *end == '\0' && errno == 0 && step >= 0, "options: lr_milestones key '",
                 e.first, "' is not a step number (an integer >= 0)");
    for (const auto& m : out)
      GANTRY_CHECK(m.first != step, "options: lr_milestones gives step ", step, " twice");
    out.emplace_back(static_cast<int64_t>(step), e.second);
  }
  return out;
}

std::string TrainOptions::to_toml() const {
  std::string out = "# gantry train: every option of this run (gan/options.h)\n";
  for (const OptionSpec& o : option_table()) {
    out += std::string(o.key) + " = ";
    if (!o.is_table()) {
      out += toml_value_text(o.get(*this)) + "\n";
      continue;
    }
    // An inline table, keys quoted: { "5000" = 0.5, "8000" = 0.1 }.
    const auto entries = o.entries(*this);
    std::string t;
    for (const auto& e : entries) t += (t.empty() ? "" : ", ") + toml_quote(e.first) + " = " + toml_value_text(e.second);
    out += entries.empty() ? "{}\n" : "{ " + t + " }\n";
  }
  return out;
}

}  // namespace gan
}  // namespace gantry
