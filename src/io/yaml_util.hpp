#pragma once
// Small helpers for reading YAML files with messages that name the file, line and key, and
// unknown-key checks that list the valid keys (shared by the design and problem readers).

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "model/names.hpp"

namespace heatop::io::yaml {

// Context for messages: the file name, the folder relative paths resolve against, and the keys
// whose values came from command-line overrides.
struct Ctx {
  std::string file;
  std::string base_dir;
  std::set<std::string> cwd_paths;

  /// Throws std::invalid_argument("file:line: key: msg").
  [[noreturn]] void fail(const YAML::Node& n, const std::string& key, const std::string& msg) const;
};

std::string join(const std::vector<std::string>& v);
/// n must be a mapping whose keys are all in `valid`.
void check_keys(const Ctx& c, const YAML::Node& n, const std::string& where,
                const std::vector<std::string>& valid);
/// A finite number at parent[key]; `fallback` when absent unless required.
double get_num(const Ctx& c, const YAML::Node& parent, const std::string& key,
               const std::string& where, double fallback, bool required = false);
int get_int(const Ctx& c, const YAML::Node& parent, const std::string& key,
            const std::string& where, int fallback);
std::vector<double> number_list(const Ctx& c, const YAML::Node& seq, const std::string& where);
std::string get_str(const Ctx& c, const YAML::Node& parent, const std::string& key,
                    const std::string& where, const std::string& fallback);
bool get_bool(const Ctx& c, const YAML::Node& parent, const std::string& key,
              const std::string& where, bool fallback);
/// The value named at parent[key] (a name of `table`); `fallback` when absent. An unknown name
/// fails with the table's message ("file:line: solver.method: unknown value 'lu'; valid: ...").
template <class E, std::size_t N>
E get_name(const Ctx& c, const YAML::Node& parent, const std::string& key, const std::string& where,
           const NameTable<E, N>& table, E fallback) {
  if (!parent[key]) return fallback;
  const std::string text = get_str(c, parent, key, where, "");
  if (const Name<E>* e = find(table, text)) return e->value;
  c.fail(parent[key], where.empty() ? key : where + "." + key, unknown_name_message(table, text));
}
/// A file path from the document, resolved (see design_file.hpp for the rule).
std::string resolve(const Ctx& c, const std::string& key, const std::string& p);
/// Parses YAML text; malformed input throws std::runtime_error("name:line:col: malformed YAML").
YAML::Node load_text(const std::string& text, const std::string& name);

}  // namespace heatop::io::yaml
