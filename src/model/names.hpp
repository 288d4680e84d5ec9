#pragma once
// Closed sets of option values (solver.method, network.core, ...) are enums with one name table
// each, defined next to the enum. Files, outputs and the command line use the names; parsing,
// error messages, CLI choices and the tables in docs/ all come from the table:
//
//   enum class Core { cp, tucker };
//   inline constexpr NameTable<Core, 2> kCoreNames{
//       {{Core::cp, "cp", "u = sum_r ..."}, {Core::tucker, "tucker", "u = sum_abc ..."}},
//       "unknown core '{got}'; valid: {valid}"};
//   Core c = parse(kCoreNames, "tucker", "network.core");  // or throws std::invalid_argument
//   name(kCoreNames, c) == std::string("tucker");

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace heatop {

template <class E>
struct Name {
  E value;
  const char* name;         // as written in files, on the command line and in outputs
  const char* description;  // for the docs table (markdown allowed)
};

template <class E, std::size_t N>
struct NameTable {
  Name<E> entries[N];
  /// The parse error after "KEY: ". {got}: the text given; {valid}: the names separated by
  /// commas ("a, b, c"); {either}: "a, b or c".
  const char* error = "unknown value '{got}'; valid: {valid}";

  const Name<E>* begin() const { return entries; }
  const Name<E>* end() const { return entries + N; }
  static constexpr std::size_t size() { return N; }
};

/// The names in table order, e.g. for CLI11's IsMember.
template <class E, std::size_t N>
std::vector<std::string> names(const NameTable<E, N>& t) {
  std::vector<std::string> v;
  for (const Name<E>& e : t) v.emplace_back(e.name);
  return v;
}

/// "a, b, c" (last = ", ") or "a, b or c" (last = " or ").
template <class E, std::size_t N>
std::string join_names(const NameTable<E, N>& t, const char* last = ", ") {
  std::string s;
  for (std::size_t i = 0; i < N; ++i)
    s += std::string(i == 0 ? "" : (i + 1 == N ? last : ", ")) + t.entries[i].name;
  return s;
}

/// The name of a value. Throws std::logic_error for a value missing from the table.
template <class E, std::size_t N>
const char* name(const NameTable<E, N>& t, E value) {
  for (const Name<E>& e : t)
    if (e.value == value) return e.name;
  throw std::logic_error("name table: value " + std::to_string(static_cast<long>(value)) +
                         " has no name");
}

/// The entry named `text`, or nullptr.
template <class E, std::size_t N>
const Name<E>* find(const NameTable<E, N>& t, const std::string& text) {
  for (const Name<E>& e : t)
    if (text == e.name) return &e;
  return nullptr;
}

/// The error message for an unknown name, without the key: t.error with its fields filled in.
template <class E, std::size_t N>
std::string unknown_name_message(const NameTable<E, N>& t, const std::string& text) {
  const std::string format = t.error;
  std::string out;
  std::size_t i = 0;
  while (i < format.size()) {
    const std::size_t open = format.find('{', i);
    const std::size_t close = open == std::string::npos ? open : format.find('}', open);
    if (close == std::string::npos) {
      out += format.substr(i);
      break;
    }
    out += format.substr(i, open - i);
    const std::string field = format.substr(open + 1, close - open - 1);
    if (field == "got")
      out += text;
    else if (field == "valid")
      out += join_names(t);
    else if (field == "either")
      out += join_names(t, " or ");
    else
      out += format.substr(open, close - open + 1);
    i = close + 1;
  }
  return out;
}

/// The value named `text`; otherwise throws std::invalid_argument("WHAT: " + the table's
/// message), e.g. "solver.method: unknown value 'lu'; valid: cg, gmres, multigrid".
template <class E, std::size_t N>
E parse(const NameTable<E, N>& t, const std::string& text, const std::string& what) {
  if (const Name<E>* e = find(t, text)) return e->value;
  throw std::invalid_argument(what + ": " + unknown_name_message(t, text));
}

/// A markdown table of the names and their descriptions, as docs/ shows them:
///   | value | meaning |
///   |---|---|
///   | `cg` | conjugate gradients |
template <class E, std::size_t N>
std::string markdown_table(const NameTable<E, N>& t, const std::string& value_header = "value",
                           const std::string& description_header = "meaning") {
  std::string s = "| " + value_header + " | " + description_header + " |\n|---|---|\n";
  for (const Name<E>& e : t) s += "| `" + std::string(e.name) + "` | " + e.description + " |\n";
  return s;
}

}  // namespace heatop
