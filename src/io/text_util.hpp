#pragma once
// Small text helpers shared by the readers of text formats.

#include <string>
#include <vector>

namespace heatop::io::text {

/// s without leading and trailing white space.
std::string trim(const std::string& s);
/// Lower-case copy.
std::string lower(std::string s);
/// The whole of s as a number (strtod: "nan" and "inf" are accepted, validation comes later).
bool parse_double(const std::string& s, double* v);
/// Comma-separated cells, trimmed; a trailing comma gives an empty last cell.
std::vector<std::string> split_csv(const std::string& line);

}  // namespace heatop::io::text
