#include "io/yaml_util.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

namespace heatop::io::yaml {

namespace fs = std::filesystem;

void Ctx::fail(const YAML::Node& n, const std::string& key, const std::string& msg) const {
  std::string where = file;
  if (n && n.Mark().line >= 0) where += ":" + std::to_string(n.Mark().line + 1);
  // Control bytes from the input (a key holding NUL cut what() short: found by
  // fuzz_design_yaml) are written as \xNN.
  std::string text;
  for (const char ch : key + ": " + msg) {
    const auto u = static_cast<unsigned char>(ch);
    if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", u);
      text += buf;
    } else {
      text += ch;
    }
  }
  throw std::invalid_argument(where + ": " + text);
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s;
}

void check_keys(const Ctx& c, const YAML::Node& n, const std::string& where,
                const std::vector<std::string>& valid) {
  if (!n.IsMap()) c.fail(n, where, "expected a mapping of keys (valid keys: " + join(valid) + ")");
  for (const auto& kv : n) {
    if (!kv.first.IsScalar())  // "? {a: 1}" or "{[6, 3]: x}": a list or mapping used as a key
      c.fail(kv.first, where.empty() ? "(top level)" : where,
             std::string("a key must be a plain name, found a ") +
                 (kv.first.IsSequence() ? "list"
                  : kv.first.IsMap()    ? "mapping"
                                        : "null") +
                 " used as a key; valid keys: " + join(valid));
    const std::string key = kv.first.Scalar();
    bool ok = false;
    for (const auto& v : valid) ok = ok || v == key;
    if (!ok)
      c.fail(kv.first, where.empty() ? key : where + "." + key,
             "unknown key '" + key + "'; valid keys" + (where.empty() ? "" : " in " + where) +
                 ": " + join(valid));
  }
}

namespace {
// The finite number at node n (the key `full` in messages).
double node_num(const Ctx& c, const YAML::Node& n, const std::string& full) {
  if (!n.IsScalar()) c.fail(n, full, "expected a number");
  const std::string s = n.Scalar();
  double v;
  try {
    std::size_t used = 0;
    v = std::stod(s, &used);
    if (used != s.size()) throw std::invalid_argument(s);
  } catch (const std::exception&) {
    if (s == ".nan" || s == ".NaN" || s == "nan" || s == "NaN") {
      v = NAN;
    } else if (s == ".inf" || s == "inf" || s == "+.inf") {
      v = INFINITY;
    } else if (s == "-.inf" || s == "-inf") {
      v = -INFINITY;
    } else {
      c.fail(n, full, "expected a number, got '" + s + "'");
    }
  }
  if (!std::isfinite(v)) c.fail(n, full, "must be a finite number, got " + s);
  return v;
}
}  // namespace

double get_num(const Ctx& c, const YAML::Node& parent, const std::string& key,
               const std::string& where, double fallback, bool required) {
  const YAML::Node n = parent[key];
  const std::string full = where.empty() ? key : where + "." + key;
  if (!n) {
    if (required) c.fail(parent, full, "is required");
    return fallback;
  }
  return node_num(c, n, full);
}

int get_int(const Ctx& c, const YAML::Node& parent, const std::string& key,
            const std::string& where, int fallback) {
  const double v = get_num(c, parent, key, where, fallback);
  if (v != std::floor(v) || std::abs(v) > 2e9)
    c.fail(parent[key], where + "." + key, "expected an integer, got " + parent[key].Scalar());
  return static_cast<int>(v);
}

std::vector<double> number_list(const Ctx& c, const YAML::Node& seq, const std::string& where) {
  // Element by element through the iterator: copying each element into a new node (to reuse
  // get_num) merges yaml-cpp's node memory every time, quadratic in the list's length (an
  // imported grid of 10^5 nodes took hours).
  std::vector<double> out;
  std::size_t k = 0;
  for (const YAML::Node& e : seq)
    out.push_back(node_num(c, e, where + "[" + std::to_string(k++) + "]"));
  return out;
}

std::string get_str(const Ctx& c, const YAML::Node& parent, const std::string& key,
                    const std::string& where, const std::string& fallback) {
  const YAML::Node n = parent[key];
  if (!n) return fallback;
  if (!n.IsScalar()) c.fail(n, where.empty() ? key : where + "." + key, "expected a string");
  return n.Scalar();
}

bool get_bool(const Ctx& c, const YAML::Node& parent, const std::string& key,
              const std::string& where, bool fallback) {
  const YAML::Node n = parent[key];
  if (!n) return fallback;
  const std::string s = n.IsScalar() ? n.Scalar() : "";
  if (s == "true" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "no" || s == "off") return false;
  c.fail(n, where.empty() ? key : where + "." + key, "expected true or false, got '" + s + "'");
}

std::string resolve(const Ctx& c, const std::string& key, const std::string& p) {
  fs::path path(p);
  if (path.is_absolute()) return p;
  // Messages name list entries "layers[0].power_map"; overrides record "layers.0.power_map".
  std::string dotted;
  for (char ch : key)
    if (ch == '[')
      dotted += '.';
    else if (ch != ']')
      dotted += ch;
  std::error_code ec;  // non-throwing: a name too long for the file system is not found
  if ((c.cwd_paths.count(key) || c.cwd_paths.count(dotted)) && fs::exists(path, ec))
    return fs::absolute(path).lexically_normal().string();
  return (fs::path(c.base_dir) / path).lexically_normal().string();
}

YAML::Node load_text(const std::string& text, const std::string& name) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw std::runtime_error(name + ":" + std::to_string(e.mark.line + 1) + ":" +
                             std::to_string(e.mark.column + 1) + ": malformed YAML: " + e.msg);
  }
}

}  // namespace heatop::io::yaml
