// apps/report.cpp — `gantry report RUN_DIR`: writes RUN_DIR/report.html, one
// self-contained page with the run's loss, D-output, metric, learning-rate
// and speed curves and its sample grids over time (gan/report.h).
#include <cstdio>

#include "apps/cli.h"
#include "gan/report.h"

namespace gantry {
namespace cli {

int run_report(int argc, char** argv) {
  std::string dir;
  int first = 2;
  if (argc > 2 && argv[2][0] != '-') {  // the run directory as the first argument
    dir = argv[2];
    first = 3;
  }
  Flags f(argc, argv, first, "gantry report RUN_DIR",
          "Write RUN_DIR/report.html: loss, D(x)/D(G(z)), metric, learning-rate and images/s "
          "curves and the sample grids of a training run, in one self-contained page.",
          {{"run", "DIR", "the run directory (the --out of gantry train), if not given first"}});
  if (dir.empty()) dir = f.str("run");
  if (dir.empty()) throw UsageError{"report needs a run directory: gantry report RUN_DIR"};
  const gan::ReportSummary s = gan::write_report(dir);
  std::printf("report: wrote %s (%zu plots, %d sample grids, %d logged steps)\n", s.path.c_str(),
              s.plots.size(), s.sample_grids, s.rows);
  return 0;
}

}  // namespace cli
}  // namespace gantry
