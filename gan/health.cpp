// gan/health.cpp — the health monitors of gan/health.h.
#include "gan/health.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "autograd/ops.h"

namespace gantry {
namespace gan {

double finite_or_throw(const Tensor& loss, int64_t step, const char* net) {
  const double v = loss.item<double>();
  if (!std::isfinite(v))
    throw DivergenceError(str("train: step ", step, ": the ", net, " loss is ",
                              std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf"),
                              "; stopping (the last checkpoint, if any, is intact)"));
  return v;
}

void check_gradients(const nn::Module& m, int64_t step, const char* net) {
  NoGradGuard ng;
  // One read-back for the whole network (a device synchronization on cuda):
  // NaN and +-inf survive the sums. Only when it is not finite, find the culprit.
  std::vector<Tensor> sums;
  for (const auto& kv : m.named_parameters())
    if (kv.second.grad().defined()) sums.push_back(sum(kv.second.grad()).reshape({1}));
  if (sums.empty() || std::isfinite(sum(cat(sums, 0)).item<double>())) return;
  for (const auto& kv : m.named_parameters()) {
    const Tensor g = kv.second.grad();
    if (g.defined() && !std::isfinite(sum(g).item<double>()))
      throw DivergenceError(str("train: step ", step, ": the ", net, " gradient of '", kv.first,
                                "' is not finite; stopping before the update"));
  }
  // Finite one by one, but their total overflowed: not a divergence.
}

std::string LossTrend::update(int64_t step, double d_loss, double g_loss) {
  const double x[2] = {d_loss, g_loss};
  const char* name[2] = {"D", "G"};
  const double a = 0.02;
  std::string out;
  for (int i = 0; i < 2; ++i) {
    if (seen_ == 0) {
      mean_[i] = x[i];
      continue;
    }
    const double d = x[i] - mean_[i];
    if (seen_ >= 100 && step - last_report_ >= 200 && std::abs(d) > 8 * std::sqrt(var_[i]) + 1e-6) {
      char buf[256];
      std::snprintf(buf, sizeof buf,
                    "train: step %lld: %s loss %.4f is far off its trend (%.4f +- %.4f): "
                    "divergence suspected", static_cast<long long>(step), name[i], x[i], mean_[i],
                    std::sqrt(var_[i]));
      out += out.empty() ? buf : std::string("\n") + buf;
      last_report_ = step;
    }
    mean_[i] += a * d;
    var_[i] = (1 - a) * (var_[i] + a * d * d);
  }
  ++seen_;
  return out;
}

std::string MetricTrend::update(int64_t step, double fid, double kid, double precision,
                                double recall, double coverage) {
  char buf[256];
  const bool finite = std::isfinite(fid) && std::isfinite(kid) && std::isfinite(precision) &&
                      std::isfinite(recall) && std::isfinite(coverage);
  if (!finite) {
    std::snprintf(buf, sizeof buf, "train: step %lld: a metric is not finite (FID %g, KID %g): divergence",
                  static_cast<long long>(step), fid, kid);
    return buf;
  }
  std::string out;
  if (have_best_) {
    if (fid > 2 * best_fid_ + 1.0) {
      std::snprintf(buf, sizeof buf, "train: step %lld: FID-FMNIST %.3f is more than twice the best "
                    "so far (%.3f): divergence suspected", static_cast<long long>(step), fid, best_fid_);
      out += buf;
    }
    if (coverage < 0.75 * best_coverage_) {
      std::snprintf(buf, sizeof buf, "train: step %lld: class coverage %.3f fell from %.3f: mode "
                    "collapse suspected", static_cast<long long>(step), coverage, best_coverage_);
      out += out.empty() ? buf : std::string("\n") + buf;
    }
  }
  best_fid_ = have_best_ ? std::min(best_fid_, fid) : fid;
  best_coverage_ = have_best_ ? std::max(best_coverage_, coverage) : coverage;
  have_best_ = true;
  return out;
}

}  // namespace gan
}  // namespace gantry
