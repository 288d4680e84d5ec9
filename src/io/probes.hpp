#pragma once
// Probe points: reading them from CSV, sampling a field at them, writing the results.
//
// Probe files are CSV with coordinates in mm. Either a header line names the columns x_mm,
// y_mm and z_mm (any order, case-insensitive; other columns are ignored), or there is no header
// and every line holds exactly three numbers x, y, z. Blank lines and lines whose first
// non-blank character is '#' are skipped.
//
//   # probes for C1
//   name,x_mm,y_mm,z_mm
//   centre,0.5,0.5,0.05

#include <array>
#include <string>
#include <vector>

#include "field/field.hpp"

namespace heatop::io {

using field::Field3D;

struct Probe {
  double x_m = 0, y_m = 0, z_m = 0;  // m
};

/// Reads probe points (converted to m). Throws std::runtime_error naming the file for a missing
/// file and a header without x_mm/y_mm/z_mm, and std::invalid_argument naming file and line for
/// non-numeric or non-finite values and wrong column counts.
std::vector<Probe> read_probes_csv(const std::string& path);

/// Trilinear interpolation of `f` at (x, y, z) in m on its rectilinear (possibly graded) grid.
/// Points up to 1e-9 of the axis length outside the domain are clamped onto it; points further
/// out throw std::invalid_argument with the point and the domain in mm. An axis with a single
/// node accepts only that coordinate (within the same slack).
double interpolate_trilinear(const Field3D& f, double x, double y, double z);

/// The lower x and y node of the cell interpolate_trilinear reads for probe `p` on a field with
/// these axes: it reads columns i and i + 1 (if there is one) and j, j + 1. Throws as
/// interpolate_trilinear does when p's x or y lies outside the axes.
std::array<std::size_t, 2> probe_columns(const std::vector<double>& x, const std::vector<double>& y,
                                         const std::vector<double>& z,
                                         const std::string& field_name, const Probe& p);

/// Writes `x_mm,y_mm,z_mm,T_K` rows (%.6f each). Throws std::invalid_argument if the sizes
/// differ and std::runtime_error if the file cannot be written.
void write_probes_csv(const std::string& path, const std::vector<Probe>& probes,
                      const std::vector<double>& t);

}  // namespace heatop::io
