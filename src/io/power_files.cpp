#include "io/power_files.hpp"

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "io/npy.hpp"
#include "io/text_util.hpp"

namespace heatop::io {

namespace {

using text::lower;
using text::parse_double;
using text::split_csv;
using text::trim;

constexpr std::size_t kMaxTiles = 100'000'000;

std::string where(const std::string& path, int line) {
  return "power map '" + path + "', line " + std::to_string(line);
}

std::ifstream open_map(const std::string& path) {
  std::error_code ec;  // non-throwing: a name too long for the file system is not found
  if (!std::filesystem::exists(path, ec))
    throw std::runtime_error("power map file not found: " + path);
  std::ifstream in(path);
  if (!in) throw std::runtime_error("power map '" + path + "': cannot open for reading");
  return in;
}

// Reads the next line that is neither blank nor a '#' comment; false at the end of the file.
bool next_content_line(std::istream& in, int* line, std::string* s) {
  std::string raw;
  while (std::getline(in, raw)) {
    ++*line;
    *s = trim(raw);
    if (!s->empty() && (*s)[0] != '#') return true;
  }
  return false;
}

double parse_cell(const std::string& cell, const std::string& path, int line) {
  double v;
  if (cell.empty()) throw std::runtime_error(where(path, line) + ": empty field");
  if (!parse_double(cell, &v))
    throw std::runtime_error(where(path, line) + ": '" + cell + "' is not a number");
  return v;
}

int parse_size(const std::string& tok, const std::string& path, int line) {
  char* end = nullptr;
  const long v = std::strtol(tok.c_str(), &end, 10);
  if (tok.empty() || end != tok.c_str() + tok.size())
    throw std::runtime_error(where(path, line) + ": expected 'rows cols' as two integers, got '" +
                             tok + "'");
  if (v <= 0 || v > 1000000)
    throw std::invalid_argument(where(path, line) + ": map size " + tok +
                                " must be a positive integer of at most 1000000");
  return static_cast<int>(v);
}

}  // namespace

model::PowerMap read_tile_map(const std::string& path) {
  std::ifstream in = open_map(path);
  int line = 0;
  std::string s;
  if (!next_content_line(in, &line, &s) || lower(s) != "power map")
    throw std::runtime_error(
        where(path, line) + ": a tile map must start with the line 'POWER MAP', found '" + s + "'");
  if (!next_content_line(in, &line, &s))
    throw std::runtime_error(where(path, line) + ": the file ends before the 'rows cols' line");
  std::istringstream size_line(s);
  std::string rows_tok, cols_tok, extra;
  size_line >> rows_tok >> cols_tok;
  if (size_line >> extra)
    throw std::runtime_error(where(path, line) + ": expected 'rows cols', got '" + s + "'");
  model::PowerMap map;
  map.source = path;
  map.rows = parse_size(rows_tok, path, line);
  map.cols = parse_size(cols_tok, path, line);
  const std::size_t count = static_cast<std::size_t>(map.rows) * static_cast<std::size_t>(map.cols);
  if (count > kMaxTiles)
    throw std::invalid_argument(where(path, line) + ": " + rows_tok + " x " + cols_tok +
                                " tiles are more than the " + std::to_string(kMaxTiles) +
                                " supported");
  // Each value takes at least two bytes ("0 "): a header that declares more values than the
  // file can hold is refused before anything of that size is allocated.
  const auto file_bytes = static_cast<std::size_t>(std::filesystem::file_size(path));
  if (count > file_bytes / 2 + 1)
    throw std::invalid_argument(where(path, line) + ": " + rows_tok + " x " + cols_tok + " = " +
                                std::to_string(count) + " values declared, but the file holds " +
                                "only " + std::to_string(file_bytes) + " bytes");
  map.tile_watts.reserve(count);
  for (int r = 0; r < map.rows; ++r) {
    if (!next_content_line(in, &line, &s))
      throw std::runtime_error(where(path, line) + ": the file ends after " + std::to_string(r) +
                               " of " + std::to_string(map.rows) + " rows (" +
                               std::to_string(map.tile_watts.size()) + " of " +
                               std::to_string(count) + " values)");
    std::istringstream row(s);
    std::string tok;
    int found = 0;
    while (row >> tok) {
      ++found;
      if (found <= map.cols) map.tile_watts.push_back(parse_cell(tok, path, line));
    }
    if (found != map.cols)
      throw std::runtime_error(where(path, line) + ": row " + std::to_string(r) + " holds " +
                               std::to_string(found) + " values, expected " +
                               std::to_string(map.cols));
  }
  if (next_content_line(in, &line, &s))
    throw std::runtime_error(where(path, line) + ": unexpected content after the " +
                             std::to_string(map.rows) + " x " + std::to_string(map.cols) +
                             " values declared on the size line");
  return map;
}

model::PowerMap read_csv_map(const std::string& path) {
  std::ifstream in = open_map(path);
  model::PowerMap map;
  map.source = path;
  int line = 0;
  std::string s;
  while (next_content_line(in, &line, &s)) {
    std::vector<double> row;
    std::stringstream ss(s);
    std::string cell;
    while (std::getline(ss, cell, ',')) row.push_back(parse_cell(trim(cell), path, line));
    if (s.back() == ',') throw std::runtime_error(where(path, line) + ": empty field at the end");
    if (map.rows == 0) {
      map.cols = static_cast<int>(row.size());
    } else if (static_cast<int>(row.size()) != map.cols) {
      throw std::runtime_error(where(path, line) + ": holds " + std::to_string(row.size()) +
                               " values but the first row holds " + std::to_string(map.cols) +
                               "; all rows must be the same length");
    }
    map.tile_watts.insert(map.tile_watts.end(), row.begin(), row.end());
    ++map.rows;
  }
  if (map.rows == 0) throw std::runtime_error("power map '" + path + "': holds no rows of values");
  return map;
}

model::PowerMap read_npy_map(const std::string& path) {
  std::error_code ec;  // non-throwing: a name too long for the file system is not found
  if (!std::filesystem::exists(path, ec))
    throw std::runtime_error("power map file not found: " + path);
  NpyArray a = read_npy(path);
  if (a.shape.size() != 2 || a.shape[0] == 0 || a.shape[1] == 0) {
    std::string shape;
    for (std::size_t n = 0; n < a.shape.size(); ++n)
      shape += (n ? ", " : "") + std::to_string(a.shape[n]);
    throw std::runtime_error("power map '" + path +
                             "': expected a 2D array (rows, cols), got shape (" + shape + ")");
  }
  if (a.shape[0] > 1000000 || a.shape[1] > 1000000)
    throw std::invalid_argument("power map '" + path + "': shape (" + std::to_string(a.shape[0]) +
                                ", " + std::to_string(a.shape[1]) +
                                ") has more than 1000000 rows or columns");
  model::PowerMap map;
  map.source = path;
  map.rows = static_cast<int>(a.shape[0]);
  map.cols = static_cast<int>(a.shape[1]);
  map.tile_watts = std::move(a.data);
  return map;
}

model::PowerMap read_power_map(const std::string& path) {
  const std::string ext = lower(std::filesystem::path(path).extension().string());
  enum class Kind { kTile, kCsv, kNpy } kind;
  if (ext == ".txt" || ext == ".map" || ext == ".pmap") {
    kind = Kind::kTile;
  } else if (ext == ".csv") {
    kind = Kind::kCsv;
  } else if (ext == ".npy") {
    kind = Kind::kNpy;
  } else {
    throw std::invalid_argument("power map '" + path + "': " +
                                (ext.empty() ? "no extension" : "unknown extension '" + ext + "'") +
                                "; supported: .txt, .map, .pmap (tile map), .csv, .npy");
  }
  std::error_code ec;  // non-throwing: a name too long for the file system is not found
  if (!std::filesystem::exists(path, ec))
    throw std::runtime_error("power map file not found: " + path);
  switch (kind) {
    case Kind::kTile:
      return read_tile_map(path);
    case Kind::kCsv:
      return read_csv_map(path);
    case Kind::kNpy:
      return read_npy_map(path);
  }
  return {};
}

}  // namespace heatop::io
