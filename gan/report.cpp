// gan/report.cpp — the run report: metrics.csv and samples/*.png into one
// self-contained report.html (see report.h). Plots are drawn here as inline
// SVG: a frame, "nice" ticks on both axes, one polyline per series (points
// for series with few values), and a legend.
#include "gan/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.h"
#include "nn/safetensors.h"  // nn::write_file_atomic

namespace gantry {
namespace gan {

namespace fs = std::filesystem;

namespace {

// ------------------------------------------------------------ metrics.csv
struct Table {
  std::vector<std::string> columns;
  // values[c][r]; NaN where a row leaves the cell empty (e.g. no evaluation then).
  std::vector<std::vector<double>> values;
  int rows = 0;
};

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  for (char c : line) {
    if (c == ',') {
      out.push_back(cell);
      cell.clear();
    } else if (c != '\r') {
      cell += c;
    }
  }
  out.push_back(cell);
  return out;
}

Table read_metrics(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  GANTRY_CHECK(in.good(), "report: cannot read ", path);
  Table t;
  std::string line;
  GANTRY_CHECK(static_cast<bool>(std::getline(in, line)) && !line.empty(), "report: ", path,
               ": empty file (no header)");
  t.columns = split(line);
  GANTRY_CHECK(!t.columns.empty() && t.columns[0] == "step", "report: ", path,
               ":1: the first column must be 'step', got '", t.columns[0], "'");
  t.values.assign(t.columns.size(), {});
  int lineno = 1;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line == "\r") continue;
    const std::vector<std::string> cells = split(line);
    GANTRY_CHECK(cells.size() == t.columns.size(), "report: ", path, ":", lineno, ": ",
                 cells.size(), " cells, but the header has ", t.columns.size());
    size_t col = 1;
    for (size_t c = 0; c < cells.size(); ++c) {
      double v = std::nan("");
      if (!cells[c].empty()) {
        char* end = nullptr;
        v = std::strtod(cells[c].c_str(), &end);
        GANTRY_CHECK(end != cells[c].c_str() && *end == '\0', "report: ", path, ":", lineno, ":",
                     col, ": '", cells[c], "' in column '", t.columns[c], "' is not a number");
      }
      GANTRY_CHECK(c != 0 || std::isfinite(v), "report: ", path, ":", lineno,
                   ": the step is missing");
      t.values[c].push_back(v);
      col += cells[c].size() + 1;
    }
    ++t.rows;
  }
  return t;
}

// ------------------------------------------------------------------ plots
struct Series {
  std::string name;
  std::vector<double> x, y;  // finite points only
};

// A step of 1, 2 or 5 times a power of ten giving about `target` ticks.
double nice_step(double span, int target) {
  if (!(span > 0)) return 1;
  const double raw = span / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

std::string fmt(double v) {
  char b[32];
  if (v != 0 && (std::abs(v) >= 1e5 || std::abs(v) < 1e-3)) std::snprintf(b, sizeof b, "%.2g", v);
  else std::snprintf(b, sizeof b, "%.4g", v);
  return b;
}

std::string escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

// A tick label with as many decimals as the tick step needs (0.000195, 2.5, 400).
std::string fmt_tick(double v, double step) {
  char b[32];
  if (std::abs(v) < step * 1e-6) v = 0;  // no "-0" or 1e-17 from accumulated steps
  const int decimals = std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
  if (decimals <= 5 && std::abs(v) < 1e7) std::snprintf(b, sizeof b, "%.*f", decimals, v);
  else std::snprintf(b, sizeof b, "%.3g", v);
  return b;
}

const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};

// One plot as an <svg> of the fixed report size.
std::string svg_plot(const std::string& title, const std::vector<Series>& series) {
  const int W = kReportPlotWidth, H = kReportPlotHeight;
  const int left = 64, right = 16, top = 34, bottom = 40;
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (const auto& s : series)
    for (size_t i = 0; i < s.x.size(); ++i) {
      x0 = std::min(x0, s.x[i]);
      x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, s.y[i]);
      y1 = std::max(y1, s.y[i]);
    }
  if (x1 <= x0) x1 = x0 + 1;
  if (y1 <= y0) {  // a constant series: a band around it
    const double pad = y0 != 0 ? std::abs(y0) * 0.05 : 1.0;
    y0 -= pad;
    y1 += pad;
  }
  const double ys = nice_step(y1 - y0, 5), xs = nice_step(x1 - x0, 6);
  y0 = std::floor(y0 / ys) * ys;
  y1 = std::ceil(y1 / ys) * ys;
  const double pw = W - left - right, ph = H - top - bottom;
  auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * pw; };
  auto py = [&](double y) { return top + (1 - (y - y0) / (y1 - y0)) * ph; };
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(1);
  o << "<svg class=\"plot\" width=\"" << W << "\" height=\"" << H << "\" viewBox=\"0 0 " << W
    << ' ' << H << "\" role=\"img\" aria-label=\"" << escape(title) << "\">\n";
  o << "<rect x=\"0\" y=\"0\" width=\"" << W << "\" height=\"" << H
    << "\" fill=\"#ffffff\" stroke=\"#bbbbbb\"/>\n";
  o << "<text x=\"" << left << "\" y=\"20\" class=\"title\">" << escape(title) << "</text>\n";
  // Grid lines and tick labels.
  for (double v = y0; v <= y1 + ys * 1e-9; v += ys) {
    o << "<line x1=\"" << left << "\" x2=\"" << W - right << "\" y1=\"" << py(v) << "\" y2=\""
      << py(v) << "\" class=\"grid\"/>"
      << "<text x=\"" << left - 6 << "\" y=\"" << py(v) + 4 << "\" class=\"ytick\">" << fmt_tick(v, ys)
      << "</text>\n";
  }
  for (double v = std::ceil(x0 / xs) * xs; v <= x1 + xs * 1e-9; v += xs)
    o << "<text x=\"" << px(v) << "\" y=\"" << H - bottom + 16 << "\" class=\"xtick\">" << fmt_tick(v, xs)
      << "</text>\n";
  o << "<text x=\"" << left + pw / 2 << "\" y=\"" << H - 6 << "\" class=\"xtick\">step</text>\n";
  o << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << pw << "\" height=\"" << ph
    << "\" fill=\"none\" stroke=\"#444444\"/>\n";
  // Series.
  for (size_t k = 0; k < series.size(); ++k) {
    const Series& s = series[k];
    const char* color = kColors[k % (sizeof kColors / sizeof kColors[0])];
    if (s.x.size() >= 2) {
      o << "<polyline fill=\"none\" stroke=\"" << color << "\" stroke-width=\"2\" points=\"";
      for (size_t i = 0; i < s.x.size(); ++i) o << px(s.x[i]) << ',' << py(s.y[i]) << ' ';
      o << "\"/>\n";
    }
    if (s.x.size() <= 40)
      for (size_t i = 0; i < s.x.size(); ++i)
        o << "<circle cx=\"" << px(s.x[i]) << "\" cy=\"" << py(s.y[i]) << "\" r=\"3\" fill=\""
          << color << "\"/>";
    // Legend, top right.
    const double ly = top + 14 + 16.0 * static_cast<double>(k);
    o << "<line x1=\"" << W - right - 130 << "\" x2=\"" << W - right - 112 << "\" y1=\"" << ly - 4
      << "\" y2=\"" << ly - 4 << "\" stroke=\"" << color << "\" stroke-width=\"3\"/>"
      << "<text x=\"" << W - right - 106 << "\" y=\"" << ly << "\" class=\"legend\">"
      << escape(s.name) << "</text>\n";
  }
  o << "</svg>\n";
  return o.str();
}

// ---------------------------------------------------------------- base64
std::string base64(const std::string& bytes) {
  static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16 |
                       static_cast<unsigned char>(bytes[i + 1]) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += tbl[v >> 18];
    out += tbl[(v >> 12) & 63];
    out += tbl[(v >> 6) & 63];
    out += tbl[v & 63];
  }
  if (i < bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += tbl[v >> 18];
    out += tbl[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? tbl[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  GANTRY_CHECK(in.good(), "report: cannot read ", path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The plots, in page order: the known groups first, then any other column.
struct PlotSpec {
  std::string title;
  std::vector<std::string> columns;
};

std::vector<PlotSpec> plan_plots(const Table& t) {
  auto has = [&](const std::string& c) {
    return std::find(t.columns.begin(), t.columns.end(), c) != t.columns.end();
  };
  std::vector<PlotSpec> plan;
  std::vector<std::string> used = {"step", "epoch"};
  auto group = [&](const std::string& title, std::vector<std::string> cols) {
    std::vector<std::string> present;
    for (auto& c : cols)
      if (has(c)) present.push_back(c), used.push_back(c);
    if (!present.empty()) plan.push_back({title, present});
  };
  group("Losses", {"d_loss", "g_loss"});
  group("D(x) and D(G(z))", {"d_real", "d_fake"});
  group("Gradient penalty", {"penalty"});
  group("Path-length penalty", {"pl_penalty"});
  group("Learning rate", {"lr_g", "lr_d"});
  group("Images per second", {"images_per_s"});
  for (const auto& c : t.columns)  // each remaining metric on its own scale
    if (std::find(used.begin(), used.end(), c) == used.end()) plan.push_back({c, {c}});
  return plan;
}

}  // namespace

ReportSummary write_report(const std::string& run_dir) {
  const std::string csv = run_dir + "/metrics.csv";
  GANTRY_CHECK(fs::is_directory(run_dir), "report: '", run_dir, "' is not a directory");
  GANTRY_CHECK(fs::is_regular_file(csv), "report: '", run_dir, "' is not a training run (no ",
               "metrics.csv; point it at the --out directory of `gantry train`)");
  const Table t = read_metrics(csv);
  ReportSummary summary;
  summary.rows = t.rows;
  summary.path = run_dir + "/report.html";

  std::ostringstream body;
  int plots = 0;
  for (const PlotSpec& p : plan_plots(t)) {
    std::vector<Series> series;
    for (const auto& name : p.columns) {
      const size_t c = static_cast<size_t>(
          std::find(t.columns.begin(), t.columns.end(), name) - t.columns.begin());
      Series s;
      s.name = name;
      for (int r = 0; r < t.rows; ++r)
        if (std::isfinite(t.values[c][r])) {
          s.x.push_back(t.values[0][r]);
          s.y.push_back(t.values[c][r]);
        }
      if (!s.x.empty()) series.push_back(std::move(s));
    }
    if (series.empty()) continue;  // a column that was never filled in
    body << svg_plot(p.title, series);
    summary.plots.push_back(p.title);
    ++plots;
  }

  // Sample grids over time, in file-name (= step) order.
  std::vector<std::string> grids;
  const std::string sdir = run_dir + "/samples";
  if (fs::is_directory(sdir))
    for (const auto& e : fs::directory_iterator(sdir))
      if (e.is_regular_file() && e.path().extension() == ".png") grids.push_back(e.path().string());
  std::sort(grids.begin(), grids.end());
  std::ostringstream gallery;
  for (const auto& g : grids) {
    gallery << "<figure><img alt=\"" << escape(fs::path(g).filename().string())
            << "\" src=\"data:image/png;base64," << base64(read_all(g)) << "\"><figcaption>"
            << escape(fs::path(g).stem().string()) << "</figcaption></figure>\n";
    ++summary.sample_grids;
  }

  std::string config;
  if (fs::is_regular_file(run_dir + "/config.toml")) config = read_all(run_dir + "/config.toml");

  const int page_w = kReportPlotColumns * kReportPlotWidth + (kReportPlotColumns + 1) * kReportGap;
  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
       << "<title>Gantry run: " << escape(fs::path(run_dir).filename().string()) << "</title>\n"
       << "<style>\n"
       << "body{margin:0;padding:0 " << kReportGap << "px;width:" << page_w - 2 * kReportGap
       << "px;font-family:sans-serif;background:#f4f4f4;color:#222}\n"
       << "header{height:" << kReportHeaderHeight << "px;overflow:hidden}\n"
       << "h1{margin:0;padding-top:16px;font-size:22px}\n"
       << ".meta{font-size:13px;color:#555;margin-top:6px}\n"
       << ".plots{display:grid;grid-template-columns:repeat(" << kReportPlotColumns << ","
       << kReportPlotWidth << "px);gap:" << kReportGap << "px}\n"
       << ".plot{display:block}\n"
       << ".title{font-size:15px;font-weight:bold;fill:#222}\n"
       << ".ytick{font-size:11px;text-anchor:end;fill:#444}\n"
       << ".xtick{font-size:11px;text-anchor:middle;fill:#444}\n"
       << ".legend{font-size:12px;fill:#222}\n"
       << ".grid{stroke:#e3e3e3;stroke-width:1}\n"
       << "h2{font-size:18px;margin:24px 0 8px}\n"
       << "figure{display:inline-block;margin:0 12px 12px 0;text-align:center}\n"
       << "figure img{image-rendering:pixelated;border:1px solid #bbb;max-width:"
       << kReportPlotWidth << "px}\n"
       << "figcaption{font-size:12px;color:#555}\n"
       << "pre{background:#fff;border:1px solid #ddd;padding:8px;font-size:12px;overflow:auto}\n"
       << "</style></head><body>\n"
       << "<header><h1>Training run " << escape(fs::path(run_dir).filename().string())
       << "</h1><div class=\"meta\">" << t.rows << " logged steps";
  if (t.rows > 0)
    html << ", steps " << fmt(t.values[0].front()) << " to " << fmt(t.values[0].back());
  html << "; " << plots << " plots; " << summary.sample_grids << " sample grids</div></header>\n"
       << "<div class=\"plots\">\n" << body.str() << "</div>\n";
  if (!grids.empty()) html << "<h2>Samples over time</h2>\n" << gallery.str();
  if (!config.empty()) html << "<h2>Configuration</h2>\n<pre>" << escape(config) << "</pre>\n";
  html << "</body></html>\n";
  const std::string page = html.str();
  nn::write_file_atomic(summary.path, {{page.data(), page.size()}}, "report");
  return summary;
}

}  // namespace gan
}  // namespace gantry
