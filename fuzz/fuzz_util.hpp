#pragma once
// Shared pieces of the libFuzzer harnesses (fuzz/README.md): each harness writes the input to a
// file in a private scratch folder, calls one reader, and accepts either a result or a
// std::exception whose message names the file (readers must say which file, line or key is
// wrong). A vague message, or any other kind of failure, aborts: libFuzzer reports it as a crash.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>

namespace heatop::fuzz {

/// A scratch folder of this process (libFuzzer's -jobs run several processes side by side),
/// removed at exit.
inline const std::string& scratch_dir() {
  // Never destroyed: the atexit handler below runs after static destructors registered later.
  static const std::string* dir = [] {
    const std::filesystem::path base = std::filesystem::is_directory("/dev/shm")
                                           ? "/dev/shm"
                                           : std::filesystem::temp_directory_path();
    const auto d = base / ("heatop-fuzz-" + std::to_string(static_cast<long>(getpid())));
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch_dir(), ec);
    });
    return new std::string(d.string());
  }();
  return *dir;
}

/// Writes `text` to scratch_dir()/name and returns the path.
inline std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = scratch_dir() + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
  return path;
}

inline std::string as_text(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

/// Checks a rejection: its message must name `must_name` (the file; or `or_name`, another file
/// the input refers to) and say more than that. HEATOP_FUZZ_PRINT=1 prints every message (to
/// review what the fuzzers produce).
inline void check_rejection(const std::exception& e, const std::string& must_name,
                            const std::string& or_name = "") {
  const std::string m = e.what();
  static const bool print = std::getenv("HEATOP_FUZZ_PRINT") != nullptr;
  if (print) std::fprintf(stderr, "rejected: %s\n", m.c_str());
  const auto names = [&](const std::string& n) {
    return !n.empty() && m.find(n) != std::string::npos && m.size() >= n.size() + 10;
  };
  if (!names(must_name) && !names(or_name)) {
    std::fprintf(stderr, "fuzz: vague error message (does not name '%s'): %s\n", must_name.c_str(),
                 m.c_str());
    std::abort();
  }
}

/// Runs `read` on the input written to a file named `name`; rejections must name the file.
template <class F>
void read_file_input(const std::uint8_t* data, std::size_t size, const std::string& name, F read,
                     const std::string& or_name = "") {
  const std::string path = write_file(name, as_text(data, size));
  try {
    read(path);
  } catch (const std::exception& e) {
    check_rejection(e, name, or_name);
  }
}

}  // namespace heatop::fuzz
