// gan/report.h — `gantry report RUN_DIR`: one self-contained HTML page that
// shows a training run at a glance.
//
// Reads what a run directory holds — metrics.csv (one row per logged step),
// the sample grids samples/*.png, and the saved config — and writes
// RUN_DIR/report.html (atomically) with:
//   - the losses (d_loss, g_loss, and the penalty when it is logged),
//   - D(x) and D(G(z)),
//   - each evaluation metric the family logs (FID, KID, precision, recall,
//     coverage, ... any further numeric column gets its own plot too),
//   - the learning rates and images/s,
//   - the sample grids over time.
// Plots are inline SVG drawn here (no plotting library); grids are inline PNG
// (base64). The page has no scripts and loads nothing from the network, so it
// can be mailed, archived or opened offline.
//
// Layout is fixed — every plot is a kPlotWidth x kPlotHeight box in a grid of
// kPlotColumns columns below a kHeaderHeight header — so a test can find each
// plot in a screenshot (tests/test_report.cpp, with headless Chromium).
#pragma once
#include <string>
#include <vector>

namespace gantry {
namespace gan {

constexpr int kReportPlotWidth = 560;
constexpr int kReportPlotHeight = 300;
constexpr int kReportPlotColumns = 2;
constexpr int kReportHeaderHeight = 96;
constexpr int kReportGap = 16;  // between plots, and the page margin

struct ReportSummary {
  std::string path;                  // the report.html written
  std::vector<std::string> plots;    // plot titles, in page order
  int sample_grids = 0;              // PNG grids embedded
  int rows = 0;                      // metrics.csv rows read
};

// Writes run_dir/report.html. Throws gantry::Error naming the directory when
// it is not a run (no metrics.csv), and naming the file, line and column for
// a malformed metrics.csv.
ReportSummary write_report(const std::string& run_dir);

}  // namespace gan
}  // namespace gantry
