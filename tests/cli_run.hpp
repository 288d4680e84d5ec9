#pragma once
// Runs the heatop executable of the build (HEATOP_BIN, set per test target) from CLI tests and
// returns its exit code and everything it printed.

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace heatop_test {

struct CliRun {
  int code = -1;
  std::string output;  // stdout and stderr together
};

/// `heatop ARGS` through the shell (ARGS may hold redirections and quotes).
inline CliRun run(const std::string& args) {
  const std::string cmd = std::string(HEATOP_BIN) + " " + args + " 2>&1";
  CliRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  while (std::fgets(buf, sizeof(buf), p)) r.output += buf;
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace heatop_test
