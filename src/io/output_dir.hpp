#pragma once
// All-or-nothing output folders: files are written into a staging folder beside the target and
// moved into place only when every file has been written, so a failed run leaves nothing
// half-written behind.

#include <string>
#include <vector>

namespace heatop::io {

class OutputDir {
 public:
  /// Checks that `target` can be created or written, and creates the staging folder. Throws
  /// std::runtime_error naming the folder when it cannot be written.
  explicit OutputDir(const std::string& target);
  /// Removes the staging folder (and its files) unless commit() succeeded.
  ~OutputDir();
  OutputDir(const OutputDir&) = delete;
  OutputDir& operator=(const OutputDir&) = delete;

  /// Path of a file inside the staging folder; the file is recorded for commit().
  std::string file(const std::string& name);
  /// Moves every staged file into the target folder (created if needed).
  void commit();
  const std::string& target() const { return target_; }
  const std::vector<std::string>& files() const { return files_; }

 private:
  std::string target_, staging_;
  std::vector<std::string> files_;
  bool committed_ = false;
};

}  // namespace heatop::io
