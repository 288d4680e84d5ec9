#pragma once
// A scalar field on a rectilinear node grid, the exchange type between the solver, the
// surrogate and the writers. Coordinates in m; value (i, j, k) at index (i * ny + j) * nz + k
// (z fastest, the solver's layout).

#include <cstddef>
#include <string>
#include <vector>

namespace heatop::field {

struct Field3D {
  std::vector<double> x, y, z;  // node coordinates, m
  std::vector<double> values;   // size x.size() * y.size() * z.size()
  std::string name = "T";       // e.g. "T" (K) or "error" (K)
  std::string unit = "K";

  std::size_t nx() const { return x.size(); }
  std::size_t ny() const { return y.size(); }
  std::size_t nz() const { return z.size(); }
  std::size_t index(std::size_t i, std::size_t j, std::size_t k) const {
    return (i * y.size() + j) * z.size() + k;
  }
  double at(std::size_t i, std::size_t j, std::size_t k) const { return values[index(i, j, k)]; }
};

}  // namespace heatop::field
