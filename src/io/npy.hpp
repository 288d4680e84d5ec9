#pragma once
// NumPy .npy files (format versions 1.0, 2.0 and 3.0), the exchange format for arrays that go to
// and come from Python. Spec:
// https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
//
// Writing always produces version 1.0 (2.0 if the header would not fit), little-endian float64
// ('<f8'), C order, with the header padded with spaces so the data starts at a multiple of 64
// bytes. Reading accepts '<f8', '<f4', '<i4' and '<i8', C or Fortran order, and returns the
// values converted to double in C order (last index fastest).

#include <cstddef>
#include <string>
#include <vector>

namespace heatop::io {

struct NpyArray {
  std::vector<std::size_t> shape;  // empty for a 0-d (scalar) array, which holds one value
  std::vector<double> data;        // C order, size = product of shape
};

/// Writes `data` (C order) with the given shape to `path` as '<f8'.
/// Throws std::invalid_argument if data.size() differs from the product of `shape`, and
/// std::runtime_error if the file cannot be written.
void write_npy(const std::string& path, const std::vector<std::size_t>& shape,
               const std::vector<double>& data);

/// Reads a .npy file. Throws std::runtime_error naming the file for a missing or unreadable
/// file, a bad magic string or header, an unsupported dtype (the message lists the supported
/// ones) and truncated data.
NpyArray read_npy(const std::string& path);

/// Reads only the values at the C-order flat indices `at` of a .npy file (e.g. a sampled plane
/// of a large field), and its shape into `shape` if given. Errors as for read_npy, and an index
/// outside the array.
std::vector<double> read_npy_at(const std::string& path, const std::vector<std::size_t>& at,
                                std::vector<std::size_t>* shape = nullptr);

/// The header write_npy writes for a '<f8' C-order array of `shape` (the values follow it).
std::string npy_header(const std::vector<std::size_t>& shape);

}  // namespace heatop::io
