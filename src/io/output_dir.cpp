#include "io/output_dir.hpp"

#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace heatop::io {

namespace fs = std::filesystem;

namespace {
// The deepest existing folder on the way to p.
fs::path existing_ancestor(fs::path p) {
  p = fs::absolute(p);
  while (!p.empty() && !fs::exists(p)) {
    if (p == p.parent_path()) break;
    p = p.parent_path();
  }
  return p;
}
}  // namespace

OutputDir::OutputDir(const std::string& target) : target_(target) {
  if (target.empty()) throw std::runtime_error("output folder: an empty path was given");
  const fs::path t = fs::absolute(target);
  std::error_code ec;
  if (fs::exists(t, ec) && !fs::is_directory(t, ec))
    throw std::runtime_error("output folder '" + target + "' exists and is not a folder");
  const fs::path anc = existing_ancestor(t);
  if (!fs::is_directory(anc, ec) || access(anc.c_str(), W_OK | X_OK) != 0)
    throw std::runtime_error("output folder '" + target + "' cannot be written: '" + anc.string() +
                             "' is not a writable folder");
  // Stage next to the target (same file system, so the final moves are renames). When the
  // parent does not exist yet it is created now and removed again on failure... only the parts
  // that commit() needs are kept.
  fs::path parent = t.parent_path();
  fs::create_directories(parent, ec);
  if (ec)
    throw std::runtime_error("output folder '" + target + "' cannot be created: " + ec.message());
  staging_ =
      (parent / ("." + t.filename().string() + ".heatop-tmp-" + std::to_string(getpid()))).string();
  fs::remove_all(staging_, ec);
  if (!fs::create_directory(staging_, ec) || ec)
    throw std::runtime_error("output folder '" + target + "' cannot be written: " +
                             (ec ? ec.message() : std::string("staging folder not created")));
}

OutputDir::~OutputDir() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(staging_, ec);
  }
}

std::string OutputDir::file(const std::string& name) {
  files_.push_back(name);
  return (fs::path(staging_) / name).string();
}

void OutputDir::commit() {
  std::error_code ec;
  const fs::path t = fs::absolute(target_);
  if (!fs::exists(t)) {
    fs::rename(staging_, t, ec);
    if (!ec) {
      committed_ = true;
      return;
    }
    fs::create_directories(t, ec);
    if (ec)
      throw std::runtime_error("cannot create output folder '" + target_ + "': " + ec.message());
  }
  for (const auto& f : files_) {
    fs::rename(fs::path(staging_) / f, t / f, ec);
    if (ec)
      throw std::runtime_error("cannot move '" + f + "' into '" + target_ + "': " + ec.message());
  }
  fs::remove_all(staging_, ec);
  committed_ = true;
}

}  // namespace heatop::io
