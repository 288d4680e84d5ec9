#include "io/output_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
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

// `dir/name` without a trailing separator, so that "out/" and "out" name the same folder.
fs::path normalized(const std::string& path) {
  fs::path t = fs::absolute(path).lexically_normal();
  if (t.filename().empty()) t = t.parent_path();
  return t;
}
}  // namespace

OutputLock::OutputLock(const std::string& path) {
  const fs::path t = normalized(path);
  lock_path_ = (t.parent_path() / ("." + t.filename().string() + ".heatop-lock")).string();
  // Lock, then check that the lock file is still the one at lock_path_: a holder that released
  // it in between has unlinked it, and a lock on an unlinked file protects nothing.
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      throw std::runtime_error("'" + path + "' cannot be locked: cannot create '" + lock_path_ +
                               "': " + std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK)
        throw std::runtime_error("'" + path +
                                 "' is being written by another heatop run (lock file '" +
                                 lock_path_ + "'); wait for it to finish or choose another output");
      throw std::runtime_error("'" + path + "' cannot be locked: " + std::strerror(err));
    }
    struct stat held {
    }, now{};
    if (::fstat(fd, &held) == 0 && ::stat(lock_path_.c_str(), &now) == 0 &&
        held.st_dev == now.st_dev && held.st_ino == now.st_ino) {
      fd_ = fd;
      return;
    }
    ::close(fd);
  }
  throw std::runtime_error("'" + path + "' cannot be locked: the lock file '" + lock_path_ +
                           "' keeps changing");
}

OutputLock::~OutputLock() {
  if (fd_ >= 0) {
    ::unlink(lock_path_.c_str());  // while still holding the lock (see the constructor)
    ::close(fd_);
  }
}

OutputDir::OutputDir(const std::string& target) : target_(target) {
  if (target.empty()) throw std::runtime_error("output folder: an empty path was given");
  const fs::path t = normalized(target);
  std::error_code ec;
  if (fs::exists(t, ec) && !fs::is_directory(t, ec))
    throw std::runtime_error("output folder '" + target + "' exists and is not a folder");
  const fs::path anc = existing_ancestor(t);
  if (!fs::is_directory(anc, ec) || access(anc.c_str(), W_OK | X_OK) != 0)
    throw std::runtime_error("output folder '" + target + "' cannot be written: '" + anc.string() +
                             "' is not a writable folder");
  // Stage next to the target (same file system, so the final moves are renames).
  fs::path parent = t.parent_path();
  fs::create_directories(parent, ec);
  if (ec)
    throw std::runtime_error("output folder '" + target + "' cannot be created: " + ec.message());
  lock_ = std::make_unique<OutputLock>(target);
  // The lock makes the staging name unique: only its holder uses it.
  staging_ = (parent / ("." + t.filename().string() + ".heatop-tmp")).string();
  fs::remove_all(staging_, ec);  // left behind by a run that was killed
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

std::string OutputDir::staged(const std::string& name) const {
  return (fs::path(staging_) / name).string();
}

void OutputDir::commit() {
  std::error_code ec;
  const fs::path t = normalized(target_);
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

void write_file_atomically(const std::string& path, const std::string& content) {
  const fs::path target(path);
  const fs::path tmp = target.parent_path() / ("." + target.filename().string() + ".heatop-tmp" +
                                               std::to_string(::getpid()));
  std::error_code ec;
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(content.data(), static_cast<std::streamsize>(content.size()));
    f.close();
    if (!f) {
      fs::remove(tmp, ec);
      throw std::runtime_error("cannot write '" + path + "'");
    }
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw std::runtime_error("cannot write '" + path + "': " + ec.message());
  }
}

}  // namespace heatop::io
