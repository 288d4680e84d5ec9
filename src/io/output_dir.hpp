#pragma once
// All-or-nothing output folders: files are written into a staging folder beside the target and
// moved into place only when every file has been written, so a failed run leaves nothing
// half-written behind. The target is locked for the object's lifetime, so two runs that write
// the same folder at the same time cannot interleave: the second one fails at once, naming the
// folder.

#include <memory>
#include <string>
#include <vector>

namespace heatop::io {

/// An exclusive lock on an output path (a folder or a file that is about to be written), held
/// until destruction: a lock file `.NAME.heatop-lock` beside the path, locked with flock(2) (the
/// kernel releases it when the process ends, even by SIGKILL) and removed on release. Throws
/// std::runtime_error naming the path when another run (in this or another process) holds it.
class OutputLock {
 public:
  explicit OutputLock(const std::string& path);
  ~OutputLock();
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

 private:
  std::string lock_path_;
  int fd_ = -1;
};

class OutputDir {
 public:
  /// Checks that `target` can be created or written, locks it (OutputLock) and creates the
  /// staging folder. Throws std::runtime_error naming the folder when it cannot be written or
  /// another run is writing it.
  explicit OutputDir(const std::string& target);
  /// Removes the staging folder (and its files) unless commit() succeeded.
  ~OutputDir();
  OutputDir(const OutputDir&) = delete;
  OutputDir& operator=(const OutputDir&) = delete;

  /// Path of a file inside the staging folder; the file is recorded for commit().
  std::string file(const std::string& name);
  /// Path of an already staged file, for reading it back (not recorded again).
  std::string staged(const std::string& name) const;
  /// Moves every staged file into the target folder (created if needed).
  void commit();
  const std::string& target() const { return target_; }
  const std::vector<std::string>& files() const { return files_; }

 private:
  std::string target_, staging_;
  std::vector<std::string> files_;
  bool committed_ = false;
  std::unique_ptr<OutputLock> lock_;
};

/// Writes `content` to `path` whole or not at all: into a temporary file beside it (same file
/// system), then renamed over `path`, so a reader (or a run killed meanwhile) never sees a
/// partly written file. Throws std::runtime_error naming the path when it cannot be written.
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace heatop::io
