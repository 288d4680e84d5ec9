// `heatop optimize`: placement optimization, FV-only or hybrid (library: api/optimize.hpp).

#include "optimize_command.hpp"

#include <cstdio>

#include "api/optimize.hpp"
#include "io/output_dir.hpp"
#include "io/progress.hpp"

namespace heatop::app {

int run_optimize(const OptimizeArgs& args, const std::string& command_line,
                 const PredictorFactory& make_predictor) {
  api::OptimizeRequest req;
  req.problem = args.problem;
  req.overrides = args.overrides;
  req.fd_only = args.fd_only;
  req.model_dir = args.model_dir;
  req.predictors = make_predictor;
  req.tolerance_K = args.tolerance_K;
  req.checks = parse(optimize::kChecksNames, args.checks, "--checks");
  req.shortlist = args.shortlist;
  io::OutputDir out(args.output);
  std::unique_ptr<io::ProgressBar> bar;
  req.progress = [&](int done, int budget, double best) {
    if (!bar)
      bar = std::make_unique<io::ProgressBar>(
          std::string("optimize (") + (args.fd_only ? "fd-only" : "hybrid") + ")", budget, "eval");
    char info[64];
    std::snprintf(info, sizeof info, "best %.3f K", best);
    bar->update(done, info);
    return true;
  };
  api::OptimizeResult r = api::optimize_placement(req);
  if (bar) {
    char info[64];
    std::snprintf(info, sizeof info, "best %.3f K", r.search.best_value);
    bar->finish(info);
  }
  api::write_optimize_results(out, r, command_line);
  std::printf("%s\n", api::optimize_line(r, args.output).c_str());
  return 0;
}

}  // namespace heatop::app
