#include "io/vtk.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace heatop::io {

namespace {

constexpr double kMmPerM = 1e3;
constexpr double kUniformRelTol = 1e-9;

std::string fmt(double v) {
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}

std::string base64(const std::vector<unsigned char>& in) {
  static const char kTable[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t n = 0;
  for (; n + 2 < in.size(); n += 3) {
    const std::uint32_t v = (in[n] << 16) | (in[n + 1] << 8) | in[n + 2];
    out += kTable[(v >> 18) & 63];
    out += kTable[(v >> 12) & 63];
    out += kTable[(v >> 6) & 63];
    out += kTable[v & 63];
  }
  if (n + 1 == in.size()) {
    const std::uint32_t v = in[n] << 16;
    out += kTable[(v >> 18) & 63];
    out += kTable[(v >> 12) & 63];
    out += "==";
  } else if (n + 2 == in.size()) {
    const std::uint32_t v = (in[n] << 16) | (in[n + 1] << 8);
    out += kTable[(v >> 18) & 63];
    out += kTable[(v >> 12) & 63];
    out += kTable[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

void put_le(std::vector<unsigned char>& out, std::uint64_t bits, int bytes) {
  for (int b = 0; b < bytes; ++b) out.push_back(static_cast<unsigned char>(bits >> (8 * b)));
}

// One <DataArray> with format="binary": base64 of a UInt32 byte count followed by the
// little-endian Float64 values.
std::string data_array(const std::string& name, const std::vector<double>& v,
                       const std::string& path) {
  const std::size_t nbytes = v.size() * sizeof(double);
  if (nbytes > std::numeric_limits<std::uint32_t>::max())
    throw std::invalid_argument("VTK file '" + path + "': array '" + name + "' of " +
                                std::to_string(v.size()) +
                                " values exceeds the 4 GiB limit of a UInt32 header");
  std::vector<unsigned char> raw;
  raw.reserve(4 + nbytes);
  put_le(raw, nbytes, 4);
  for (double d : v) {
    std::uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    put_le(raw, bits, 8);
  }
  return "<DataArray type=\"Float64\" Name=\"" + name +
         "\" NumberOfComponents=\"1\" format=\"binary\">\n" + base64(raw) + "\n</DataArray>\n";
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

void check_field(const std::string& path, const Field3D& f) {
  const char* names[3] = {"x", "y", "z"};
  const std::vector<double>* axes[3] = {&f.x, &f.y, &f.z};
  for (int a = 0; a < 3; ++a) {
    const auto& v = *axes[a];
    if (v.empty())
      throw std::invalid_argument("VTK file '" + path + "': field '" + f.name + "' has no " +
                                  names[a] + " coordinates");
    for (std::size_t n = 0; n < v.size(); ++n) {
      if (!std::isfinite(v[n]) || (n > 0 && !(v[n] > v[n - 1])))
        throw std::invalid_argument("VTK file '" + path + "': " + names[a] +
                                    " coordinates of field '" + f.name +
                                    "' must be finite and strictly increasing (entry " +
                                    std::to_string(n) + " is " + fmt(v[n]) + " m)");
    }
  }
  const std::size_t n = f.nx() * f.ny() * f.nz();
  if (f.values.size() != n)
    throw std::invalid_argument("VTK file '" + path + "': field '" + f.name + "' holds " +
                                std::to_string(f.values.size()) + " values but its grid " +
                                std::to_string(f.nx()) + " x " + std::to_string(f.ny()) + " x " +
                                std::to_string(f.nz()) + " has " + std::to_string(n) + " nodes");
}

std::string extent(const Field3D& f) {
  return "0 " + std::to_string(f.nx() - 1) + " 0 " + std::to_string(f.ny() - 1) + " 0 " +
         std::to_string(f.nz() - 1);
}

// Field3D stores z fastest; VTK wants x fastest.
std::vector<double> x_fastest(const Field3D& f) {
  std::vector<double> out(f.values.size());
  std::size_t n = 0;
  for (std::size_t k = 0; k < f.nz(); ++k)
    for (std::size_t j = 0; j < f.ny(); ++j)
      for (std::size_t i = 0; i < f.nx(); ++i) out[n++] = f.at(i, j, k);
  return out;
}

std::vector<double> to_mm(const std::vector<double>& v) {
  std::vector<double> out(v);
  for (double& d : out) d *= kMmPerM;
  return out;
}

std::string point_data(const std::string& path, const Field3D& f) {
  const std::string name = xml_escape(f.name);
  return "<PointData Scalars=\"" + name + "\">\n" + data_array(name, x_fastest(f), path) +
         "</PointData>\n";
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::runtime_error("VTK file '" + path + "': cannot open for writing");
  out << text;
  out.close();
  if (!out) throw std::runtime_error("VTK file '" + path + "': write failed");
}

std::string file_head(const std::string& type) {
  return "<?xml version=\"1.0\"?>\n<!-- heatop field; coordinates in mm -->\n"
         "<VTKFile type=\"" +
         type + "\" version=\"1.0\" byte_order=\"LittleEndian\" header_type=\"UInt32\">\n";
}

}  // namespace

bool is_uniform(const std::vector<double>& v) {
  if (v.size() < 3) return true;
  const double h = (v.back() - v.front()) / static_cast<double>(v.size() - 1);
  const double tol = kUniformRelTol * std::abs(h);
  for (std::size_t n = 1; n < v.size(); ++n) {
    if (!(std::abs(v[n] - v[n - 1] - h) <= tol)) return false;
  }
  return true;
}

void write_vti(const std::string& path, const Field3D& f) {
  check_field(path, f);
  const char* names[3] = {"x", "y", "z"};
  const std::vector<double>* axes[3] = {&f.x, &f.y, &f.z};
  std::string origin, spacing;
  for (int a = 0; a < 3; ++a) {
    const auto& v = *axes[a];
    if (!is_uniform(v))
      throw std::invalid_argument("VTK file '" + path + "': " + names[a] + " spacing of field '" +
                                  f.name +
                                  "' is not uniform; ImageData (.vti) needs uniform spacing, "
                                  "write a RectilinearGrid (.vtr) instead");
    // A single node has no spacing; 1 mm keeps the file valid.
    const double h =
        v.size() > 1 ? (v.back() - v.front()) / static_cast<double>(v.size() - 1) : 1.0 / kMmPerM;
    origin += (a ? " " : "") + fmt(v.front() * kMmPerM);
    spacing += (a ? " " : "") + fmt(h * kMmPerM);
  }
  const std::string ext = extent(f);
  write_text(path, file_head("ImageData") + "<ImageData WholeExtent=\"" + ext + "\" Origin=\"" +
                       origin + "\" Spacing=\"" + spacing + "\">\n<Piece Extent=\"" + ext +
                       "\">\n" + point_data(path, f) +
                       "<CellData>\n</CellData>\n</Piece>\n</ImageData>\n</VTKFile>\n");
}

void write_vtr(const std::string& path, const Field3D& f) {
  check_field(path, f);
  const std::string ext = extent(f);
  write_text(path, file_head("RectilinearGrid") + "<RectilinearGrid WholeExtent=\"" + ext +
                       "\">\n<Piece Extent=\"" + ext + "\">\n" + point_data(path, f) +
                       "<CellData>\n</CellData>\n<Coordinates>\n" +
                       data_array("x_mm", to_mm(f.x), path) + data_array("y_mm", to_mm(f.y), path) +
                       data_array("z_mm", to_mm(f.z), path) +
                       "</Coordinates>\n</Piece>\n</RectilinearGrid>\n</VTKFile>\n");
}

}  // namespace heatop::io
