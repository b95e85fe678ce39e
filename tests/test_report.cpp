// tests/test_report.cpp — `gantry report`: the HTML page of a run. A
// synthetic run directory (metrics.csv with evaluation columns filled on some
// rows, two sample grids, the config) becomes report.html; the page must be
// self-contained (no scripts, nothing fetched), carry every plot and grid,
// and — loaded in headless Chromium — show something in every plot box (the
// screenshot's pixel variance inside each box). Bad run directories and
// malformed CSV files are one-line errors naming the file.
#include <catch2/catch.hpp>

#include "tests/test_util.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "autograd/ops.h"
#include "core/rng.h"
#include "gan/data/image.h"
#include "gan/report.h"
#include "tests/test_skip.h"

using namespace gantry;
using testutil::error_of;
namespace fs = std::filesystem;

namespace {

struct RunDir {
  fs::path path;
  RunDir() {
    path = fs::temp_directory_path() / ("gantry_report_" + std::to_string(getpid()));
    fs::remove_all(path);
    fs::create_directories(path / "samples");
  }
  ~RunDir() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

void write_text(const std::string& p, const std::string& s) {
  std::ofstream(p, std::ios::binary) << s;
}
std::string read_text(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// 40 logged steps of a plausible run; evaluation every 10 steps.
std::string synthetic_metrics() {
  std::ostringstream o;
  o << "step,epoch,d_loss,g_loss,d_real,d_fake,lr_g,lr_d,images_per_s,penalty,"
       "fid_fmnist,kid,precision,recall,class_coverage\n";
  for (int i = 1; i <= 40; ++i) {
    const double s = i * 25.0;
    o << s << ',' << i / 20 << ',' << 1.4 - 0.02 * i + 0.1 * std::sin(i) << ','
      << 0.7 + 0.03 * i + 0.1 * std::cos(i) << ',' << 0.5 + 0.01 * i << ',' << 0.5 - 0.01 * i
      << ",0.0002,0.0002," << 1000 + 20 * std::sin(i) << ",0";
    if (i % 10 == 0)
      o << ',' << 200.0 / i << ',' << 0.5 / i << ',' << 0.3 + 0.01 * i << ',' << 0.2 + 0.01 * i
        << ',' << 0.9;
    else
      o << ",,,,,";
    o << '\n';
  }
  return o.str();
}

RunDir make_run() {
  RunDir r;
  write_text(r.file("metrics.csv"), synthetic_metrics());
  manual_seed(1);
  gan::save_png_grid(r.file("samples/step_000200.png"), tanh(randn({16, 1, 28, 28})), 4, 2);
  gan::save_png_grid(r.file("samples/step_001000.png"), tanh(randn({16, 1, 28, 28})), 4, 2);
  write_text(r.file("config.toml"), "model = \"dcgan\"\nbatch = 64 # <b>not markup</b>\n");
  return r;
}


std::string find_chromium() {
  for (const char* c : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"})
    if (fs::exists(c)) return c;
  return "";
}

}  // namespace

TEST_CASE("report: a self-contained page with every plot and sample grid", "[report]") {
  RunDir run = make_run();
  gan::ReportSummary s = gan::write_report(run.path.string());
  CHECK(s.rows == 40);
  CHECK(s.sample_grids == 2);
  const std::vector<std::string> want = {"Losses", "D(x) and D(G(z))", "Gradient penalty",
                                         "Learning rate", "Images per second", "fid_fmnist",
                                         "kid", "precision", "recall", "class_coverage"};
  CHECK(s.plots == want);
  const std::string html = read_text(s.path);
  CHECK(html.find("<!DOCTYPE html>") == 0);
  size_t svgs = 0;
  for (size_t p = html.find("<svg"); p != std::string::npos; p = html.find("<svg", p + 1)) ++svgs;
  CHECK(svgs == want.size());
  CHECK(html.find("data:image/png;base64,") != std::string::npos);
  CHECK(html.find("step_001000") != std::string::npos);
  // Self-contained: no scripts, no external URLs, no web fonts.
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("http") == std::string::npos);
  CHECK(html.find("@import") == std::string::npos);
  CHECK(html.find("@font-face") == std::string::npos);
  // The config is shown escaped.
  CHECK(html.find("&lt;b&gt;not markup&lt;/b&gt;") != std::string::npos);
  // Written atomically: no temporary file is left behind.
  for (const auto& e : fs::directory_iterator(run.path))
    CHECK(e.path().extension() != ".tmp");
}

TEST_CASE("report: a directory that is not a run, and malformed metrics", "[report]") {
  RunDir run;
  CHECK_THAT(error_of([&] { gan::write_report(run.path.string()); }),
             Catch::Contains("is not a training run") && Catch::Contains(run.path.string()));
  CHECK_THAT(error_of([&] { gan::write_report(run.file("nope")); }),
             Catch::Contains("is not a directory"));
  write_text(run.file("metrics.csv"), "step,d_loss\n1,0.5\n2,abc\n");
  CHECK_THAT(error_of([&] { gan::write_report(run.path.string()); }),
             Catch::Contains("metrics.csv:3:3") && Catch::Contains("'abc'") &&
                 Catch::Contains("d_loss"));
  write_text(run.file("metrics.csv"), "step,d_loss\n1,0.5,7\n");
  CHECK_THAT(error_of([&] { gan::write_report(run.path.string()); }),
             Catch::Contains("metrics.csv:2") && Catch::Contains("3 cells"));
  write_text(run.file("metrics.csv"), "loss,step\n");
  CHECK_THAT(error_of([&] { gan::write_report(run.path.string()); }),
             Catch::Contains("first column must be 'step'"));
  CHECK_FALSE(fs::exists(run.file("report.html")));
}

TEST_CASE("report: headless Chromium renders every plot (not blank)", "[report][browser][e2e]") {
  const std::string chromium = find_chromium();
  if (chromium.empty()) GANTRY_SKIP("no Chromium installed (.ci/run installs Debian's chromium)");
  RunDir run = make_run();
  gan::ReportSummary s = gan::write_report(run.path.string());
  const int cols = gan::kReportPlotColumns, gap = gan::kReportGap;
  const int rows = (static_cast<int>(s.plots.size()) + cols - 1) / cols;
  const int width = cols * gan::kReportPlotWidth + (cols + 1) * gap;
  const int height = gan::kReportHeaderHeight + rows * (gan::kReportPlotHeight + gap) + 200;
  const std::string shot = run.file("shot.png");
  const std::string cmd = chromium + " --headless --no-sandbox --disable-gpu --hide-scrollbars" +
                          " --force-device-scale-factor=1 --window-size=" + std::to_string(width) +
                          "," + std::to_string(height) + " --screenshot=" + shot + " file://" +
                          s.path + " >" + run.file("chromium.log") + " 2>&1";
  const int rc = std::system(cmd.c_str());
  INFO(cmd << "\n" << read_text(run.file("chromium.log")));
  REQUIRE(rc == 0);
  REQUIRE(fs::exists(shot));
  Tensor img = gan::load_image(shot, 1);  // [1, H, W] in [-1, 1]
  REQUIRE(img.size(1) >= height - 1);
  REQUIRE(img.size(2) >= width - 1);
  const int64_t W = img.size(2);
  const float* px = img.data<float>();
  // Each plot's box, from the fixed layout in gan/report.h.
  for (size_t k = 0; k < s.plots.size(); ++k) {
    const int r = static_cast<int>(k) / cols, c = static_cast<int>(k) % cols;
    const int x0 = gap + c * (gan::kReportPlotWidth + gap);
    const int y0 = gan::kReportHeaderHeight + r * (gan::kReportPlotHeight + gap);
    double sum = 0, sq = 0, n = 0;
    // The inside of the plot area (past the title and tick labels).
    for (int y = y0 + 40; y < y0 + gan::kReportPlotHeight - 45; ++y)
      for (int x = x0 + 70; x < x0 + gan::kReportPlotWidth - 20; ++x) {
        const double v = px[static_cast<int64_t>(y) * W + x];
        sum += v;
        sq += v * v;
        n += 1;
      }
    const double var = sq / n - (sum / n) * (sum / n);
    INFO("plot " << k << " '" << s.plots[k] << "' at (" << x0 << "," << y0 << "): variance " << var);
    CHECK(var > 1e-3);  // a blank box has 0; a drawn curve on grid lines is far above
  }
  // The control: the empty right part of the header is uniform, so the same
  // measure reads (near) zero where nothing is drawn.
  double sum = 0, sq = 0, n = 0;
  for (int y = 4; y < gan::kReportHeaderHeight - 8; ++y)
    for (int x = width - 260; x < width - 20; ++x) {
      const double v = px[static_cast<int64_t>(y) * W + x];
      sum += v;
      sq += v * v;
      n += 1;
    }
  CHECK(sq / n - (sum / n) * (sum / n) < 1e-6);
}
