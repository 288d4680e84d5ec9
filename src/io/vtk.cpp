#include "io/vtk.hpp"

#include <algorithm>
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

// The arrays of one file, written after the XML as VTK's raw appended data: each is a UInt64
// byte count followed by its little-endian Float64 values, and its <DataArray> names its offset
// from the '_' that starts the section. No base64 and no copies beyond the x-fastest reorder:
// a full-chip field of 10^8 nodes is written at disk speed.
// An array is a vector, or `count` values that `planes` hands over one z plane at a time
// (the values of a field spread over MPI ranks, gathered plane by plane).
struct Appended {
  struct Array {
    const std::vector<double>* v = nullptr;
    std::uint64_t count = 0;
    const PlaneSource* planes = nullptr;
    int nplanes = 0;
  };
  std::vector<Array> arrays;
  std::uint64_t offset = 0;
  std::string add(const std::string& name, const std::vector<double>* v) {
    return add(name, {v, v->size(), nullptr, 0});
  }
  std::string add(const std::string& name, Array a) {
    arrays.push_back(a);
    const std::string tag = "<DataArray type=\"Float64\" Name=\"" + name +
                            "\" NumberOfComponents=\"1\" format=\"appended\" offset=\"" +
                            std::to_string(offset) + "\"/>\n";
    offset += sizeof(std::uint64_t) + a.count * sizeof(double);
    return tag;
  }
};

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

// Coordinates must be present, finite and strictly increasing.
void check_axes(const std::string& path, const std::string& field_name,
                const std::vector<double>* const axes[3]) {
  const char* names[3] = {"x", "y", "z"};
  for (int a = 0; a < 3; ++a) {
    const auto& v = *axes[a];
    if (v.empty())
      throw std::invalid_argument("VTK file '" + path + "': field '" + field_name + "' has no " +
                                  names[a] + " coordinates");
    for (std::size_t n = 0; n < v.size(); ++n) {
      if (!std::isfinite(v[n]) || (n > 0 && !(v[n] > v[n - 1])))
        throw std::invalid_argument("VTK file '" + path + "': " + names[a] +
                                    " coordinates of field '" + field_name +
                                    "' must be finite and strictly increasing (entry " +
                                    std::to_string(n) + " is " + fmt(v[n]) + " m)");
    }
  }
}

void check_field(const std::string& path, const Field3D& f) {
  const std::vector<double>* axes[3] = {&f.x, &f.y, &f.z};
  check_axes(path, f.name, axes);
  const std::size_t n = f.nx() * f.ny() * f.nz();
  if (f.values.size() != n)
    throw std::invalid_argument("VTK file '" + path + "': field '" + f.name + "' holds " +
                                std::to_string(f.values.size()) + " values but its grid " +
                                std::to_string(f.nx()) + " x " + std::to_string(f.ny()) + " x " +
                                std::to_string(f.nz()) + " has " + std::to_string(n) + " nodes");
}

std::string extent(std::size_t nx, std::size_t ny, std::size_t nz) {
  return "0 " + std::to_string(nx - 1) + " 0 " + std::to_string(ny - 1) + " 0 " +
         std::to_string(nz - 1);
}

// Field3D stores z fastest; VTK wants x fastest. Blocked over x so that each z column is read
// once as a whole and each output row gets runs of consecutive values.
std::vector<double> x_fastest(const Field3D& f) {
  const std::size_t nx = f.nx(), ny = f.ny(), nz = f.nz();
  std::vector<double> out(f.values.size());
  constexpr std::size_t kBlock = 64;
  const std::ptrdiff_t blocks = static_cast<std::ptrdiff_t>((nx + kBlock - 1) / kBlock);
#pragma omp parallel for if (f.values.size() >= (1u << 20)) schedule(static)
  for (std::ptrdiff_t b = 0; b < blocks; ++b)
    for (std::size_t j = 0; j < ny; ++j)
      for (std::size_t i = b * kBlock; i < std::min(nx, (b + 1) * kBlock); ++i) {
        const double* col = f.values.data() + f.index(i, j, 0);
        for (std::size_t k = 0; k < nz; ++k) out[(k * ny + j) * nx + i] = col[k];
      }
  return out;
}

std::vector<double> to_mm(const std::vector<double>& v) {
  std::vector<double> out(v);
  for (double& d : out) d *= kMmPerM;
  return out;
}

std::string point_data(const std::string& field_name, Appended::Array values, Appended* app) {
  const std::string name = xml_escape(field_name);
  return "<PointData Scalars=\"" + name + "\">\n" + app->add(name, values) + "</PointData>\n";
}

bool little_endian() {
  const std::uint16_t one = 1;
  unsigned char b;
  std::memcpy(&b, &one, 1);
  return b == 1;
}

void write_file(const std::string& path, const std::string& xml, const Appended& app) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::runtime_error("VTK file '" + path + "': cannot open for writing");
  out << xml << "<AppendedData encoding=\"raw\">\n_";
  const bool le = little_endian();
  std::vector<unsigned char> buf;
  auto put = [&](const double* v, std::size_t n) {
    const std::size_t nbytes = n * sizeof(double);
    if (le) {
      out.write(reinterpret_cast<const char*>(v), static_cast<std::streamsize>(nbytes));
      return;
    }
    buf.resize(nbytes);
    for (std::size_t q = 0; q < n; ++q) {
      std::uint64_t bits;
      std::memcpy(&bits, &v[q], sizeof bits);
      for (int b = 0; b < 8; ++b) buf[8 * q + b] = static_cast<unsigned char>(bits >> (8 * b));
    }
    out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(nbytes));
  };
  for (const auto& a : app.arrays) {
    const std::uint64_t nbytes = a.count * sizeof(double);
    unsigned char head[8];
    for (int b = 0; b < 8; ++b) head[b] = static_cast<unsigned char>(nbytes >> (8 * b));
    out.write(reinterpret_cast<const char*>(head), 8);
    if (a.v) {
      put(a.v->data(), a.v->size());
      continue;
    }
    std::uint64_t written = 0;
    for (int k = 0; k < a.nplanes; ++k) {
      const std::vector<double> p = (*a.planes)(k);
      put(p.data(), p.size());
      written += p.size();
    }
    if (written != a.count)
      throw std::runtime_error("VTK file '" + path + "': the planes held " +
                               std::to_string(written) + " values, not " + std::to_string(a.count));
  }
  out << "\n</AppendedData>\n</VTKFile>\n";
  out.close();
  if (!out) throw std::runtime_error("VTK file '" + path + "': write failed");
}

std::string file_head(const std::string& type) {
  return "<?xml version=\"1.0\"?>\n<!-- heatop field; coordinates in mm -->\n"
         "<VTKFile type=\"" +
         type + "\" version=\"1.0\" byte_order=\"LittleEndian\" header_type=\"UInt64\">\n";
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

namespace {

// The ImageData head of a field on uniform axes: WholeExtent, Origin and Spacing.
std::string image_head(const std::string& path, const std::string& field_name,
                       const std::vector<double>* const axes[3]) {
  const char* names[3] = {"x", "y", "z"};
  std::string origin, spacing;
  for (int a = 0; a < 3; ++a) {
    const auto& v = *axes[a];
    if (!is_uniform(v))
      throw std::invalid_argument("VTK file '" + path + "': " + names[a] + " spacing of field '" +
                                  field_name +
                                  "' is not uniform; ImageData (.vti) needs uniform spacing, "
                                  "write a RectilinearGrid (.vtr) instead");
    // A single node has no spacing; 1 mm keeps the file valid.
    const double h =
        v.size() > 1 ? (v.back() - v.front()) / static_cast<double>(v.size() - 1) : 1.0 / kMmPerM;
    origin += (a ? " " : "") + fmt(v.front() * kMmPerM);
    spacing += (a ? " " : "") + fmt(h * kMmPerM);
  }
  const std::string ext = extent(axes[0]->size(), axes[1]->size(), axes[2]->size());
  return file_head("ImageData") + "<ImageData WholeExtent=\"" + ext + "\" Origin=\"" + origin +
         "\" Spacing=\"" + spacing + "\">\n<Piece Extent=\"" + ext + "\">\n";
}

void write_image(const std::string& path, const std::string& field_name,
                 const std::vector<double>* const axes[3], Appended::Array values) {
  const std::string head = image_head(path, field_name, axes);
  Appended app;
  const std::string xml = head + point_data(field_name, values, &app) +
                          "<CellData>\n</CellData>\n</Piece>\n</ImageData>\n";
  write_file(path, xml, app);
}

void write_rectilinear(const std::string& path, const std::string& field_name,
                       const std::vector<double>* const axes[3], Appended::Array values) {
  const std::string ext = extent(axes[0]->size(), axes[1]->size(), axes[2]->size());
  const std::vector<double> xmm = to_mm(*axes[0]), ymm = to_mm(*axes[1]), zmm = to_mm(*axes[2]);
  Appended app;
  std::string xml = file_head("RectilinearGrid") + "<RectilinearGrid WholeExtent=\"" + ext +
                    "\">\n<Piece Extent=\"" + ext + "\">\n" + point_data(field_name, values, &app) +
                    "<CellData>\n</CellData>\n<Coordinates>\n";
  xml += app.add("x_mm", &xmm) + app.add("y_mm", &ymm) + app.add("z_mm", &zmm);
  xml += "</Coordinates>\n</Piece>\n</RectilinearGrid>\n";
  write_file(path, xml, app);
}

}  // namespace

void write_vti(const std::string& path, const Field3D& f) {
  check_field(path, f);
  const std::vector<double>* axes[3] = {&f.x, &f.y, &f.z};
  const std::vector<double> values = x_fastest(f);
  write_image(path, f.name, axes, {&values, values.size(), nullptr, 0});
}

void write_vtr(const std::string& path, const Field3D& f) {
  check_field(path, f);
  const std::vector<double>* axes[3] = {&f.x, &f.y, &f.z};
  const std::vector<double> values = x_fastest(f);
  write_rectilinear(path, f.name, axes, {&values, values.size(), nullptr, 0});
}

void write_vtk_planes(const std::string& path, const std::string& field_name,
                      const std::vector<double>& x, const std::vector<double>& y,
                      const std::vector<double>& z, const PlaneSource& planes) {
  const std::vector<double>* axes[3] = {&x, &y, &z};
  check_axes(path, field_name, axes);
  const Appended::Array values{nullptr, x.size() * y.size() * z.size(), &planes,
                               static_cast<int>(z.size())};
  if (is_uniform(x) && is_uniform(y) && is_uniform(z))
    write_image(path, field_name, axes, values);
  else
    write_rectilinear(path, field_name, axes, values);
}

}  // namespace heatop::io
