#pragma once
// Readers for 2D power maps in watts per tile. All three formats share one orientation: row 0 is
// the first row in the file and covers the lowest y (y in [0, Ly/rows]), column c covers x in
// [c, c+1] * Lx / cols (see model::PowerMap). Note that this is the reverse of how an image
// would be read: the top line of the file is the bottom (y = 0) edge of the die.
//
// Formats:
// - tile map (.txt, .map, .pmap), as used by the celsius benchmarks:
//       POWER MAP            <- first non-blank line, case-insensitive
//       2 3                  <- rows cols
//       0.1 0.1 0.2          <- rows lines of cols numbers, tab or space separated
//       0   0.3 0.1
//   Blank lines and lines starting with '#' are skipped.
// - CSV (.csv): one row per line, comma separated, every row the same length; blank lines and
//   '#' comments are skipped.
// - NumPy (.npy): a 2D array of shape (rows, cols); any dtype read_npy accepts.
//
// NaN and Inf parse as values (PowerMap::validate rejects them with a message); text that is
// not a number is an error naming the file and line.

#include <string>

#include "model/design.hpp"

namespace heatop::io {

/// Reads a celsius-style tile map. Throws std::runtime_error naming file and line for a missing
/// header, a bad size line, a non-number, or a row with the wrong count (found vs expected),
/// and std::invalid_argument for a non-positive size.
model::PowerMap read_tile_map(const std::string& path);

/// Reads a CSV grid of watts per tile. Throws std::runtime_error naming file and line for a
/// non-number, an empty field, rows of different lengths or an empty file.
model::PowerMap read_csv_map(const std::string& path);

/// Reads a 2D .npy array [rows, cols] of watts per tile. Throws std::runtime_error for a file
/// read_npy rejects or an array that is not 2D with non-zero dimensions.
model::PowerMap read_npy_map(const std::string& path);

/// Picks the reader by extension (case-insensitive): .txt/.map/.pmap -> tile map, .csv -> CSV,
/// .npy -> NumPy. An unknown extension throws std::invalid_argument listing the supported
/// ones; a missing file throws std::runtime_error("power map file not found: <path>").
model::PowerMap read_power_map(const std::string& path);

}  // namespace heatop::io
