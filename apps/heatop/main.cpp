// heatop command line: parses arguments and hands over to the libraries. Every error becomes
// one line on stderr and a non-zero exit code.

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/blas_kernels.hpp"
#include "api/parallel.hpp"
#include "api/results.hpp"
#include "import_command.hpp"
#include "optimize_command.hpp"
#include "predict_command.hpp"
#include "report_command.hpp"
#include "solve_command.hpp"
#include "surrogate/solved_predictors.hpp"
#include "surrogate_commands.hpp"
#include "transient_command.hpp"

namespace {

// Whether `dir` holds a solved modal model; false when it cannot be read (the command reports
// that itself).
bool solved_model(const std::string& dir) {
  try {
    return heatop::surrogate::is_solved_model(dir);
  } catch (const std::exception&) {
    return false;
  }
}

#ifdef __GLIBC__
// Page faults are a large part of a short command's time: a hybrid C3 placement at 101 x 101 x 51
// touches about 75 MB in 16,000 faults, and on a virtual machine each one is costly. This grows
// the heap by 1 GiB at once (address space; pages are only used when touched) and asks the
// kernel to back it with 2 MB pages where transparent huge pages are offered on request
// (`madvise` mode); elsewhere the call changes nothing. Growth beyond that uses ordinary pages.
// The trim threshold (main) is above the reserve, so a free does not hand it back.
void heap_in_huge_pages() {
  constexpr std::size_t kReserve = std::size_t{1} << 30, kHuge = std::size_t{2} << 20;
  const auto before = reinterpret_cast<std::uintptr_t>(sbrk(0));
  mallopt(M_TOP_PAD, static_cast<int>(kReserve));
  void* volatile block = malloc(kHuge);  // above the current top: the heap grows by kReserve
  free(block);
  mallopt(M_TOP_PAD, 128 << 10);  // glibc's default again
  const auto end = reinterpret_cast<std::uintptr_t>(sbrk(0));
  if (end - before < kReserve) return;  // not glibc's heap (a sanitizer's allocator, say)
  const auto start = (end - kReserve + kHuge - 1) & ~(kHuge - 1);
  if (end > start) madvise(reinterpret_cast<void*>(start), end - start, MADV_HUGEPAGE);
}
#endif

}  // namespace

int main(int argc, char** argv) {
#ifdef __GLIBC__
  // Solves and predictions allocate and free vectors of a grid's size (megabytes) again and
  // again. glibc would map each one afresh (and fault its pages in) and give the heap's top back
  // at every free; keeping them in the heap up to 32 MB cut the C3 placement's minor page faults
  // from 28,000 to 16,000, and backing the heap with 2 MB pages (heap_in_huge_pages) to about
  // 2,500. The memory is returned when the command ends.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1536 << 20);
  heap_in_huge_pages();
#endif
  // The commands that do many of the operator's matrix products run on OpenBLAS's best kernels
  // for the CPU (api/blas_kernels.hpp): train, optimize --model (hundreds of designs), and
  // predict and eval with a trained model or on a GPU. predict and eval of a solved model on the
  // CPU load no LibTorch and do one design's products (milliseconds on either kernels): not
  // worth a second process start (about 0.05 s). The others start as they are.
  if (argc > 1) {
    const std::string c = argv[1];
    std::string model;  // predict and eval: their first argument
    bool cpu = true, optimize_model = false;
    for (int i = 2; i < argc; ++i) {
      const std::string a = argv[i];
      optimize_model |= a == "--model" || a.rfind("--model=", 0) == 0;
      if ((a == "--device" && i + 1 < argc && std::string(argv[i + 1]) != "cpu") ||
          (a.rfind("--device=", 0) == 0 && a != "--device=cpu"))
        cpu = false;
    }
    if ((c == "predict" || c == "eval") && argc > 2 && argv[2][0] != '-') model = argv[2];
    const bool blas_work =
        c == "train" || (c == "optimize" && optimize_model) ||
        ((c == "predict" || c == "eval") && (model.empty() || !cpu || !solved_model(model)));
    if (blas_work) heatop::api::rerun_with_blas_kernels(argv);
  }
  // `heatop solve`: PETSc's options (-ksp_monitor, -pc_type hypre, -log_view, ...) go to the
  // PETSc backend, not to the argument parser (docs/petsc.md).
  std::vector<std::string> arg_list(argv, argv + argc);
  std::string petsc_options;
  if (argc > 1 && arg_list[1] == "solve") petsc_options = heatop::api::take_petsc_options(arg_list);
  std::vector<char*> args;
  for (auto& a : arg_list) args.push_back(a.data());
  std::string cmd;
  for (int i = 0; i < argc; ++i) cmd += (i ? " " : "") + std::string(argv[i]);
  argc = static_cast<int>(args.size());
  argv = args.data();

  CLI::App app{"heatop: fast, trustworthy thermal simulation of 3D integrated circuits"};
  app.set_version_flag("--version", std::string("heatop ") + HEATOP_VERSION);
  app.require_subcommand(1);

  heatop::app::SolveArgs solve;
  CLI::App* s = app.add_subcommand("solve", "Solve a design file with the finite-volume solver");
  s->add_option("design", solve.design, "design file (YAML, see docs/design-file.md)")->required();
  s->add_option("-o,--output", solve.output, "output folder")->required();
  s->add_option("--set", solve.overrides,
                "override a design key, e.g. --set grid.nx=41 (repeatable)");
  s->add_option("--probe", solve.probe_file, "CSV of points x_mm,y_mm,z_mm; writes probes.csv");
  s->add_option("--flp", solve.hotspot_flp,
                "HotSpot floorplan, when the design is a HotSpot .config");
  s->add_option("--ptrace", solve.hotspot_ptrace,
                "HotSpot power trace (steady: the rows' average)");
  s->add_option("--lcf", solve.hotspot_lcf, "HotSpot layer configuration file");
  s->add_option("--materials", solve.hotspot_materials, "HotSpot materials file");
  s->add_option("--threads", solve.threads, "OpenMP threads (default: all cores)")
      ->check(CLI::NonNegativeNumber);
  s->add_option("--export", solve.export_format,
                "also write another tool's result layout: hotspot or 3d-ice")
      ->check(CLI::IsMember({"hotspot", "3d-ice"}));
  {
    std::string help = "3D field files to write:";
    for (const auto& f : heatop::api::kFieldFilesNames)
      help += std::string(" ") + f.name + " (" + f.description + ");";
    help.pop_back();
    s->add_option("--fields", solve.fields, help)
        ->check(CLI::IsMember(heatop::names(heatop::api::kFieldFilesNames)));
  }
  heatop::app::ImportArgs import_args;
  CLI::App* imp = heatop::app::add_import_command(app, import_args);

  heatop::app::OptimizeArgs opt;
  CLI::App* o = app.add_subcommand("optimize", "Optimize block placement (docs/placement-file.md)");
  o->add_option("problem", opt.problem, "placement problem file (YAML)")->required();
  o->add_option("-o,--output", opt.output, "output folder")->required();
  o->add_option("--model", opt.model_dir, "trained surrogate (hybrid mode)");
  o->add_flag("--fd-only", opt.fd_only, "finite-volume evaluations only (the baseline)");
  o->add_option("--tol", opt.tolerance_K,
                "error tolerance (K) above which surrogate answers are refined by FV");
  std::string checks_help = "hybrid: how the FV solver checks the surrogate:";
  for (const auto& c : heatop::optimize::kChecksNames)
    checks_help += std::string(" '") + c.name + "': " + c.description + ";";
  o->add_option("--checks", opt.checks, checks_help)
      ->check(CLI::IsMember(heatop::names(heatop::optimize::kChecksNames)));
  o->add_option("--shortlist", opt.shortlist,
                "hybrid with --checks final: how many of the surrogate's best distinct placements "
                "are FV-solved at the end (default 5)")
      ->check(CLI::Range(1, 100));
  o->add_option("--set", opt.overrides,
                "override a problem key, e.g. --set optimizer.evaluations=200");

  const auto transient = heatop::app::add_transient_command(app);

  heatop::app::ReportArgs report;
  heatop::app::add_report_command(app, report);

  // train runs in the neural-operator module, loaded only for it (and for trained models in
  // predict, eval and optimize --model), so that the other commands start without LibTorch.
  const heatop::app::SurrogateCommands surrogate = heatop::app::add_surrogate_commands(app);
  const auto predict = heatop::app::add_predict_commands(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  solve.petsc_options = petsc_options;
  // Under mpirun every rank runs this; PETSc starts here so that all ranks take part.
  std::optional<heatop::api::ParallelSession> mpi;
  try {
    if (const int rc = heatop::app::run_surrogate_command(surrogate, argc, argv); rc >= 0)
      return heatop::app::end_command(rc);
    if (*s) {
      mpi.emplace();
      solve.rank = mpi->rank();
      solve.ranks = mpi->size();
      return heatop::app::run_solve(solve, cmd);
    }
    if (const int rc = heatop::app::run_predict_command(*predict, cmd); rc >= 0)
      return heatop::app::end_command(rc);
    if (*transient->command) return heatop::app::run_transient(*transient, cmd);
    if (*imp) return heatop::app::run_import(import_args);
    if (*report.command) return heatop::app::run_report(report);
    const heatop::app::PredictorFactory predictors = heatop::app::surrogate_predictor_factory();
    if (*o) return heatop::app::end_command(heatop::app::run_optimize(opt, cmd, predictors));
  } catch (const std::exception& e) {
    if (mpi && mpi->size() > 1) {
      // Rank 0 reports and ends the run; another rank reports only when it failed alone (if
      // rank 0 failed too, its abort ends this process first).
      if (mpi->rank() != 0) std::this_thread::sleep_for(std::chrono::seconds(1));
      std::cerr << "heatop: error"
                << (mpi->rank() ? " (rank " + std::to_string(mpi->rank()) + ")" : "") << ": "
                << e.what() << std::endl;
      mpi->abort(2);
    }
    std::cerr << "heatop: error: " << e.what() << "\n";
    return 2;
  }
  return 1;
}
