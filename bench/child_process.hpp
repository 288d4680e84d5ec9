#pragma once
// Runs one benchmark case in a forked child, so that the peak memory reported is that child's
// own ru_maxrss (from wait4), not the whole benchmark's. The child reports a JSON object through
// a pipe. Same approach as bench/solver_bench.cpp. Header-only, used by bench/interop_bench.cpp.
//
// No OpenMP parallel region may have run in the parent before fork() (libgomp's thread pool does
// not survive a fork): keep all OpenMP work inside the children.

#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>

namespace heatop::bench {

/// ru_maxrss is in KiB on Linux.
inline double maxrss_mib(const struct rusage& ru) { return ru.ru_maxrss / 1024.0; }

inline void write_fd(int fd, const std::string& s) {
  const char* p = s.data();
  std::size_t left = s.size();
  while (left > 0) {
    const ssize_t w = ::write(fd, p, left);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;
    }
    p += w;
    left -= static_cast<std::size_t>(w);
  }
}

inline std::string read_fd(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    out.append(buf, static_cast<std::size_t>(r));
  }
  return out;
}

/// Runs fn() (returning nlohmann::json) in a forked child. Returns its object plus
/// "child_peak_mib" (the child's ru_maxrss from wait4) and, on failure, "error".
template <class Fn>
nlohmann::json run_in_child(Fn fn) {
  using nlohmann::json;
  int fds[2];
  if (::pipe(fds) != 0) return json{{"error", std::string("pipe: ") + std::strerror(errno)}};
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return json{{"error", std::string("fork: ") + std::strerror(errno)}};
  }
  if (pid == 0) {
    ::close(fds[0]);
    int code = 0;
    json r;
    try {
      r = fn();
    } catch (const std::exception& e) {
      r = json{{"error", e.what()}};
      code = 1;
    }
    write_fd(fds[1], r.dump());
    ::close(fds[1]);
    std::fflush(stdout);
    ::_exit(code);
  }
  ::close(fds[1]);
  const std::string text = read_fd(fds[0]);
  ::close(fds[0]);
  int status = 0;
  struct rusage ru {};
  while (::wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
  }
  json r;
  try {
    r = text.empty() ? json::object() : json::parse(text);
  } catch (const std::exception&) {
    r = json::object();
  }
  r["child_peak_mib"] = maxrss_mib(ru);
  if (WIFSIGNALED(status)) {
    r["error"] = std::string("child killed by signal ") + std::to_string(WTERMSIG(status)) +
                 (WTERMSIG(status) == SIGKILL ? " (out of memory?)" : "");
  } else if (!r.contains("error") && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
    r["error"] = "child exited with status " + std::to_string(WEXITSTATUS(status));
  }
  return r;
}

}  // namespace heatop::bench
