// gan/run_log.h — the run's record on disk: metrics.csv, one row per logged
// step (losses, D(x), D(G(z)), learning rates, images/s, penalty, the
// run's extra columns — pl_penalty, ada_p — and the evaluation metrics when
// evaluation is on). A resumed or rolled-back run
// first cuts the file back to the step it continues from, so no step is
// logged twice.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace gantry {
namespace gan {

struct MetricsRow {
  int64_t step = 0, epoch = 0;
  double d_loss = 0, g_loss = 0, d_real = 0, d_fake = 0;
  double lr_g = 0, lr_d = 0, images_per_s = 0, penalty = 0;
  std::vector<double> extra;  // the values of the file's extra columns, in order
  bool has_eval = false;
  double fid = 0, kid = 0, precision = 0, recall = 0, coverage = 0;
};

class MetricsCsv {
 public:
  // `with_eval`: the file has the evaluation columns; `extra`: columns after
  // penalty that only some runs have (pl_penalty for style-based models with
  // path length on, ada_p with adaptive augmentation).
  MetricsCsv(std::string path, bool with_eval, std::vector<std::string> extra = {})
      : path_(std::move(path)), with_eval_(with_eval), extra_(std::move(extra)) {}
  ~MetricsCsv();
  MetricsCsv(const MetricsCsv&) = delete;
  MetricsCsv& operator=(const MetricsCsv&) = delete;

  // truncate_metrics_csv on this file (closed first). Called when a run
  // starts (fresh: 0, resumed: the checkpoint's step) and after a rollback.
  void truncate_after(int64_t last_step);
  // Appends a row (writing the header first into a new file) and flushes.
  void write(const MetricsRow& r);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool with_eval_;
  std::vector<std::string> extra_;
  FILE* f_ = nullptr;
};

// Every trainer's metrics.csv: keeps the header and the rows of steps <=
// last_step (atomically rewritten); a missing file stays missing, and
// last_step 0 removes it (a run from the start writes a new header: its
// columns may differ).
void truncate_metrics_csv(const std::string& path, int64_t last_step);

// Every trainer's start: creates `out` (and out/samples when asked) and
// writes out/config.toml, the run's options as TOML that `--config` reads
// back. Errors name the directory.
void prepare_run_directory(const std::string& out, const std::string& config_toml, bool samples_dir);

// printf-style formatting into a std::string (log messages).
std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace gan
}  // namespace gantry
