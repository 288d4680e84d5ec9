#pragma once
// Command-line reading shared by the benchmarks: `--key value` and `--key=value`, a value
// missing at the end goes to the program's usage(2), and comma lists.

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

namespace heatop::bench {

/// Non-empty items of a separated list ("64,128,,256" -> 64, 128, 256).
inline std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep))
    if (!item.empty()) out.push_back(item);
  return out;
}

/// Walks argv: while (c.next()) { if (c.arg() == "--out") a.out = c.value(); ... }.
class ArgCursor {
 public:
  ArgCursor(int argc, char** argv, const char* program, void (*usage)(int))
      : argc_(argc), argv_(argv), program_(program), usage_(usage) {}
  bool next() {
    if (++i_ >= argc_) return false;
    arg_ = argv_[i_];
    raw_ = arg_;
    const auto eq = arg_.find('=');
    has_eq_ = arg_.rfind("--", 0) == 0 && eq != std::string::npos;
    if (has_eq_) {
      value_ = arg_.substr(eq + 1);
      arg_ = arg_.substr(0, eq);
    }
    return true;
  }
  const std::string& arg() const { return arg_; }
  const std::string& raw() const { return raw_; }
  /// The option's value (after '=' or the next argument).
  std::string value() {
    if (has_eq_) return value_;
    if (i_ + 1 >= argc_) {
      std::fprintf(stderr, "%s: %s needs a value\n", program_, arg_.c_str());
      usage_(2);
    }
    return argv_[++i_];
  }

 private:
  int argc_, i_ = 0;
  char** argv_;
  const char* program_;
  void (*usage_)(int);
  std::string arg_, raw_, value_;
  bool has_eq_ = false;
};

}  // namespace heatop::bench
