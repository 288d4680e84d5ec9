#pragma once
// VTK XML writers for 3D fields, for viewing in ParaView or VisIt.
//
// Coordinates are written in millimetres (Origin, Spacing and the rectilinear coordinate arrays),
// because die dimensions in metres make ParaView's axes and picking awkward; the values are
// written unchanged (e.g. K), as one point-data array named Field3D::name. VTK orders points with
// x fastest while Field3D has z fastest; the writers reorder. The arrays follow the XML as raw
// appended data (Float64, little-endian, each after a UInt64 byte count), as ParaView's own
// writer stores them: no 4 GiB limit, and no base64 to encode at full-chip sizes.

#include <functional>
#include <string>
#include <vector>

#include "field/field.hpp"

namespace heatop::io {

using field::Field3D;

/// True if the coordinates are equally spaced within a relative tolerance of 1e-9 of the mean
/// spacing. Vectors with fewer than three entries are uniform.
bool is_uniform(const std::vector<double>& v);

/// Writes `f` as VTK ImageData (.vti). Every axis must be uniform (see is_uniform); otherwise
/// throws std::invalid_argument naming the axis (use write_vtr for graded grids). Throws
/// std::invalid_argument for an inconsistent field and std::runtime_error if the file cannot
/// be written.
void write_vti(const std::string& path, const Field3D& f);

/// Writes `f` as VTK RectilinearGrid (.vtr), which allows any increasing coordinates per axis.
/// Errors as for write_vti.
void write_vtr(const std::string& path, const Field3D& f);

/// Plane k (0 = bottom) of a field, x fastest: value (i, j) at [j * nx + i].
using PlaneSource = std::function<std::vector<double>(int k)>;

/// Writes a field given plane by plane (one plane in memory at a time): ImageData (.vti) when
/// x, y and z are uniform, else RectilinearGrid (.vtr); `path` should end accordingly. The
/// file equals what write_vti / write_vtr write for the same values. Errors as for write_vti;
/// std::runtime_error if a plane has the wrong size.
void write_vtk_planes(const std::string& path, const std::string& field_name,
                      const std::vector<double>& x, const std::vector<double>& y,
                      const std::vector<double>& z, const PlaneSource& planes);

}  // namespace heatop::io
