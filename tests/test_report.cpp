// report.html (report/report.hpp) and crash-safe output folders (io::OutputDir, io::OutputLock):
// two writers of one folder never interleave, a killed run leaves no half-written folder and no
// stale lock, a report of a folder that is not a results folder is refused by name.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "cli_run.hpp"
#include "io/npy.hpp"
#include "io/output_dir.hpp"
#include "report/report.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace heatop;

namespace {

using heatop_test::CliRun;
using heatop_test::run;

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

class Report : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("heatop_report_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string design(int n) {
    const fs::path p = dir_ / "d.yaml";
    std::ofstream(p) << "name: t\ndie: {size_mm: [1.0, 1.0]}\nlayers:\n  - name: die\n"
                        "    thickness_mm: 0.5\n    k_W_per_mK: 100\n"
                        "top: {type: power, power_W: 1.0}\n"
                        "bottom: {type: convective, h_W_per_m2K: 5.0e5, T_amb_K: 298.15}\n"
                        "grid: {nx: "
                     << n << ", ny: " << n << ", nz: " << n << "}\n";
    return p.string();
  }

  // A complete results folder: summary.json parses and lists files that all exist.
  void expect_complete(const fs::path& out) {
    ASSERT_TRUE(fs::exists(out / "summary.json")) << out;
    const json s = json::parse(slurp(out / "summary.json"));
    for (const auto& f : s["files"]) EXPECT_TRUE(fs::exists(out / f.get<std::string>())) << f;
    EXPECT_TRUE(fs::exists(out / "report.html"));
  }

  // Nothing left beside `out` but `out` itself (no staging folder, no lock file).
  void expect_no_litter(const fs::path& out) {
    for (const auto& e : fs::directory_iterator(out.parent_path())) {
      const std::string n = e.path().filename().string();
      EXPECT_EQ(n.find(".heatop-"), std::string::npos) << n;
    }
  }

  fs::path dir_;
};

TEST_F(Report, SecondWriterOfAFolderIsRefusedByName) {
  const std::string target = (dir_ / "out").string();
  {
    io::OutputDir a(target);
    std::ofstream(a.file("x.txt")) << "a";
    for (const std::string& same : {target, target + "/", (dir_ / "." / "out").string()}) {
      try {
        io::OutputDir b(same);
        FAIL() << "a second writer of '" << same << "' was not refused";
      } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("is being written by another heatop run"),
                  std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find(same), std::string::npos) << e.what();
      }
    }
    EXPECT_THROW(report::regenerate_report(dir_.string() + "/out"), std::runtime_error);
    a.commit();
    EXPECT_EQ(slurp(dir_ / "out" / "x.txt"), "a");
  }
  expect_no_litter(dir_ / "out");
  // Released with the first writer: the next one may write.
  io::OutputDir c(target);
  std::ofstream(c.file("x.txt")) << "c";
  c.commit();
  EXPECT_EQ(slurp(dir_ / "out" / "x.txt"), "c");
}

TEST_F(Report, SolveIntoAFolderAnotherRunWritesFailsCleanly) {
  const std::string d = design(9);
  const fs::path out = dir_ / "res";
  {
    io::OutputDir other(out.string());  // another run (this process) is writing `res`
    const CliRun r = run("solve " + d + " -o " + out.string());
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find("heatop: error: '" + out.string() +
                            "' is being written by another heatop run"),
              std::string::npos)
        << r.output;
    EXPECT_FALSE(fs::exists(out));
  }
  const CliRun r = run("solve " + d + " -o " + out.string());
  ASSERT_EQ(r.code, 0) << r.output;
  expect_complete(out);
  const json s = json::parse(slurp(out / "summary.json"));
  EXPECT_NE(std::find(s["files"].begin(), s["files"].end(), "report.html"), s["files"].end());
  expect_no_litter(out);
}

TEST_F(Report, TwoRunsAtOnceNeverInterleave) {
  // Two solves of different power into one folder, started together: each either wins the
  // folder or is refused; the folder is one run's complete output, never a mix.
  const std::string d = design(41);
  const fs::path out = dir_ / "res";
  CliRun a, b;
  std::thread ta([&] { a = run("solve " + d + " --set top.power_W=1 -o " + out.string()); });
  std::thread tb([&] { b = run("solve " + d + " --set top.power_W=3 -o " + out.string()); });
  ta.join();
  tb.join();
  for (const CliRun* r : {&a, &b}) {
    EXPECT_TRUE(r->code == 0 || r->code == 2) << r->output;
    if (r->code == 2) {
      EXPECT_NE(r->output.find("is being written by another heatop run"), std::string::npos)
          << r->output;
    }
  }
  EXPECT_TRUE(a.code == 0 || b.code == 0);
  expect_complete(out);
  const json s = json::parse(slurp(out / "summary.json"));
  const io::NpyArray t = io::read_npy((out / "T.npy").string());
  double tmax = -1e300;
  for (double v : t.data) tmax = std::max(tmax, v);
  EXPECT_DOUBLE_EQ(tmax, s["T_max_K"].get<double>());  // T.npy and summary from the same run
  EXPECT_NE(slurp(out / "report.html").find(s["design"].get<std::string>()), std::string::npos);
  expect_no_litter(out);
}

TEST_F(Report, KilledRunLeavesNoHalfFolderAndNoStaleLock) {
  const std::string d = design(61);
  const fs::path out = dir_ / "res";
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string o = out.string();
    execl(HEATOP_BIN, HEATOP_BIN, "solve", d.c_str(), "-o", o.c_str(), (char*)nullptr);
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  kill(pid, SIGKILL);
  int st = 0;
  waitpid(pid, &st, 0);
  // Killed before the end: no folder; otherwise a complete one.
  if (fs::exists(out)) expect_complete(out);
  const CliRun r = run("solve " + d + " -o " + out.string());
  ASSERT_EQ(r.code, 0) << r.output;
  expect_complete(out);
  expect_no_litter(out);
}

TEST_F(Report, RegeneratesTheRunsPageAndRefusesOtherFolders) {
  const fs::path out = dir_ / "res";
  const CliRun r = run("solve " + design(9) + " -o " + out.string());
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string page = slurp(out / "report.html");
  EXPECT_NE(page.find("data-key=\"/T_max_K\""), std::string::npos);
  EXPECT_NE(page.find("id=\"top-data\""), std::string::npos);
  EXPECT_NE(page.find("data:image/png;base64,"), std::string::npos);
  EXPECT_EQ(page.find("http"), std::string::npos);  // nothing from the network
  fs::remove(out / "report.html");
  const CliRun g = run("report " + out.string());
  ASSERT_EQ(g.code, 0) << g.output;
  EXPECT_EQ(slurp(out / "report.html"), page);
  expect_no_litter(out);

  // Not a results folder, a broken summary, a truncated field: refused by name.
  const CliRun none = run("report " + dir_.string());
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.output.find("has no summary.json"), std::string::npos) << none.output;
  const CliRun missing = run("report " + (dir_ / "nope").string());
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.output.find("is not a folder"), std::string::npos) << missing.output;
  const std::string summary = slurp(out / "summary.json");
  std::ofstream(out / "summary.json") << summary.substr(0, summary.size() / 2);
  EXPECT_THROW(
      {
        try {
          report::render_report(out.string());
        } catch (const std::runtime_error& e) {
          EXPECT_NE(std::string(e.what()).find("summary.json' is not valid JSON"),
                    std::string::npos)
              << e.what();
          throw;
        }
      },
      std::runtime_error);
  std::ofstream(out / "summary.json") << summary;
  const std::string npy = slurp(out / "T.npy");
  std::ofstream(out / "T.npy", std::ios::binary) << npy.substr(0, npy.size() - 100);
  const CliRun trunc = run("report " + out.string());
  EXPECT_EQ(trunc.code, 2);
  EXPECT_NE(trunc.output.find("T.npy"), std::string::npos) << trunc.output;
  EXPECT_EQ(slurp(out / "report.html"), page);  // the old page is still whole
  expect_no_litter(out);
}

}  // namespace
