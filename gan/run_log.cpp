// gan/run_log.cpp — metrics.csv (see run_log.h) and format().
#include "gan/run_log.h"

#include <cstdarg>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "nn/safetensors.h"

namespace gantry {
namespace gan {

namespace fs = std::filesystem;

std::string format(const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return buf;
}

MetricsCsv::~MetricsCsv() {
  if (f_) std::fclose(f_);
}

void truncate_metrics_csv(const std::string& path, int64_t last_step) {
  if (!fs::exists(path)) return;
  if (last_step <= 0) {  // a run from the start: a new file (and header) for it
    std::error_code ec;
    fs::remove(path, ec);
    GANTRY_CHECK(!ec, "train: cannot remove the old ", path, ": ", ec.message());
    return;
  }
  std::ifstream in(path, std::ios::binary);
  GANTRY_CHECK(in.good(), "train: cannot read ", path);
  std::string line, kept;
  bool first = true, cut = false;
  while (std::getline(in, line)) {
    if (first) {  // the header
      kept += line + "\n";
      first = false;
      continue;
    }
    char* end = nullptr;
    const long long step = std::strtoll(line.c_str(), &end, 10);
    if (end == line.c_str() || step > last_step) {
      cut = true;
      continue;
    }
    kept += line + "\n";
  }
  if (cut) nn::write_file_atomic(path, {{kept.data(), kept.size()}}, "metrics");
}

void prepare_run_directory(const std::string& out, const std::string& config_toml, bool samples_dir) {
  std::error_code ec;
  fs::create_directories(samples_dir ? out + "/samples" : out, ec);
  GANTRY_CHECK(!ec && fs::is_directory(out), "train: cannot create the output directory '", out, "': ",
               ec ? ec.message() : std::string("a file stands in its place"));
  nn::write_file_atomic(out + "/config.toml", {{config_toml.data(), config_toml.size()}}, "config");
}

void MetricsCsv::truncate_after(int64_t last_step) {
  if (f_) {
    std::fclose(f_);
    f_ = nullptr;
  }
  truncate_metrics_csv(path_, last_step);
}

void MetricsCsv::write(const MetricsRow& r) {
  if (!f_) {
    const bool fresh = !fs::exists(path_);
    f_ = std::fopen(path_.c_str(), "a");
    GANTRY_CHECK(f_ != nullptr, "train: cannot open ", path_, " for writing");
    if (fresh) {
      std::fprintf(f_, "step,epoch,d_loss,g_loss,d_real,d_fake,lr_g,lr_d,images_per_s,penalty");
      for (const auto& c : extra_) std::fprintf(f_, ",%s", c.c_str());
      if (with_eval_) std::fprintf(f_, ",fid_fmnist,kid,precision,recall,class_coverage");
      std::fprintf(f_, "\n");
    }
  }
  std::fprintf(f_, "%lld,%lld,%.6f,%.6f,%.5f,%.5f,%.6g,%.6g,%.1f,%.6f",
               static_cast<long long>(r.step), static_cast<long long>(r.epoch), r.d_loss,
               r.g_loss, r.d_real, r.d_fake, r.lr_g, r.lr_d, r.images_per_s, r.penalty);
  GANTRY_CHECK(r.extra.size() == extra_.size(), "metrics: a row with ", r.extra.size(), " extra values for ",
               extra_.size(), " extra columns");
  for (double v : r.extra) std::fprintf(f_, ",%.6f", v);
  if (with_eval_) {
    if (r.has_eval)
      std::fprintf(f_, ",%.4f,%.6f,%.4f,%.4f,%.4f", r.fid, r.kid, r.precision, r.recall, r.coverage);
    else
      std::fprintf(f_, ",,,,,");
  }
  std::fprintf(f_, "\n");
  std::fflush(f_);
}

}  // namespace gan
}  // namespace gantry
