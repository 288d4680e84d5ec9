// Unit tests for heatop::io: .npy, VTK, PNG, probes and power-map readers.

#include <cairo.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "field/field.hpp"
#include "io/npy.hpp"
#include "io/power_files.hpp"
#include "io/probes.hpp"
#include "io/vtk.hpp"
#include "plot/plot_util.hpp"
#include "plot/plots.hpp"
#include "plot/png_plot.hpp"

namespace heatop::io {
namespace {

namespace fs = std::filesystem;

// A fresh folder per test, removed afterwards.
class IoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           ("heatop_io_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path(name), std::ios::binary) << text;
    return path(name);
  }

  fs::path dir_;
};

std::string read_all(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Expects `fn` to throw E with a message containing every string in `parts`.
template <typename E, typename Fn>
void expect_throw_with(Fn fn, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "no exception thrown";
  } catch (const E& e) {
    for (const auto& p : parts)
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos)
          << "message '" << e.what() << "' lacks '" << p << "'";
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

// --- npy ------------------------------------------------------------------------------------

// A .npy file with a hand-written header and raw little-endian payload.
std::string npy_bytes(const std::string& dict, const std::string& payload) {
  std::string h = dict;
  const std::size_t total = (10 + h.size() + 1 + 63) / 64 * 64;
  h.append(total - 10 - h.size() - 1, ' ');
  h.push_back('\n');
  std::string out("\x93NUMPY\x01\x00", 8);
  out.push_back(static_cast<char>(h.size() & 0xff));
  out.push_back(static_cast<char>(h.size() >> 8));
  return out + h + payload;
}

template <typename T>
std::string le_payload(const std::vector<T>& v) {
  std::string out(v.size() * sizeof(T), '\0');
  std::memcpy(out.data(), v.data(), out.size());  // the test hosts are little-endian
  return out;
}

TEST_F(IoTest, NpyRoundTrip) {
  std::vector<double> data(2 * 3 * 4);
  for (std::size_t n = 0; n < data.size(); ++n) data[n] = 0.5 * n - 3.25;
  data[5] = 1e-300;
  data[6] = -1.7976931348623157e308;
  write_npy(path("a.npy"), {2, 3, 4}, data);
  const std::string raw = read_all(path("a.npy"));
  ASSERT_GE(raw.size(), 10u);
  EXPECT_EQ(raw.substr(0, 6), "\x93NUMPY");
  const std::size_t header_len =
      static_cast<unsigned char>(raw[8]) | (static_cast<unsigned char>(raw[9]) << 8);
  EXPECT_EQ((10 + header_len) % 64, 0u);
  EXPECT_EQ(raw[10 + header_len - 1], '\n');
  EXPECT_NE(raw.find("'descr': '<f8'"), std::string::npos);
  EXPECT_NE(raw.find("'shape': (2, 3, 4)"), std::string::npos);
  EXPECT_EQ(raw.size(), 10 + header_len + 8 * data.size());

  const NpyArray a = read_npy(path("a.npy"));
  EXPECT_EQ(a.shape, (std::vector<std::size_t>{2, 3, 4}));
  EXPECT_EQ(a.data, data);

  write_npy(path("v.npy"), {3}, {1, 2, 3});
  EXPECT_NE(read_all(path("v.npy")).find("'shape': (3,)"), std::string::npos);
  EXPECT_EQ(read_npy(path("v.npy")).data, (std::vector<double>{1, 2, 3}));
}

TEST_F(IoTest, NpyReadsFortranOrderAndOtherDtypes) {
  // C order [[1, 2, 3], [4, 5, 6]] stored column by column.
  const std::vector<double> f_order = {1, 4, 2, 5, 3, 6};
  write("f.npy", npy_bytes("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }",
                           le_payload(f_order)));
  NpyArray a = read_npy(path("f.npy"));
  EXPECT_EQ(a.shape, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(a.data, (std::vector<double>{1, 2, 3, 4, 5, 6}));

  // 3D Fortran order: value at (i, j, k) = 100 i + 10 j + k, shape (2, 3, 4).
  std::vector<double> f3;
  for (int k = 0; k < 4; ++k)
    for (int j = 0; j < 3; ++j)
      for (int i = 0; i < 2; ++i) f3.push_back(100 * i + 10 * j + k);
  write("f3.npy",
        npy_bytes("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3, 4), }", le_payload(f3)));
  a = read_npy(path("f3.npy"));
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) EXPECT_EQ(a.data[(i * 3 + j) * 4 + k], 100 * i + 10 * j + k);

  write("f4.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
                            le_payload(std::vector<float>{0.5f, -2.25f, 1e10f})));
  a = read_npy(path("f4.npy"));
  EXPECT_EQ(a.data, (std::vector<double>{0.5, -2.25, static_cast<double>(1e10f)}));

  write("i4.npy", npy_bytes("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }",
                            le_payload(std::vector<std::int32_t>{-7, 0, 2147483647, 3})));
  EXPECT_EQ(read_npy(path("i4.npy")).data, (std::vector<double>{-7, 0, 2147483647, 3}));

  write("i8.npy", npy_bytes("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }",
                            le_payload(std::vector<std::int64_t>{-5000000000LL, 42})));
  EXPECT_EQ(read_npy(path("i8.npy")).data, (std::vector<double>{-5e9, 42}));

  // Version 2.0 header (4-byte length).
  std::string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }";
  dict.append((12 + dict.size() + 1 + 63) / 64 * 64 - 12 - dict.size() - 1, ' ');
  dict.push_back('\n');
  std::string v2 = std::string("\x93NUMPY\x02\x00", 8) +
                   std::string(1, static_cast<char>(dict.size())) + std::string(3, '\0') + dict +
                   le_payload(std::vector<double>{7.5});
  write("v2.npy", v2);
  EXPECT_EQ(read_npy(path("v2.npy")).data, (std::vector<double>{7.5}));
}

// Reading a few values of a large field (the report's top plane) gives what read_npy gives, in
// C order also for a Fortran-order file.
TEST_F(IoTest, NpyReadsValuesAtIndices) {
  std::vector<double> v;
  for (int n = 0; n < 24; ++n) v.push_back(n * 1.5 - 3);
  write_npy(path("c.npy"), {2, 3, 4}, v);
  std::vector<std::size_t> shape;
  EXPECT_TRUE(read_npy_at(path("c.npy"), {}, &shape).empty());
  EXPECT_EQ(shape, (std::vector<std::size_t>{2, 3, 4}));
  EXPECT_EQ(read_npy_at(path("c.npy"), {23, 0, 7}), (std::vector<double>{v[23], v[0], v[7]}));
  std::vector<double> f3;  // (i, j, k) = 100 i + 10 j + k, stored in Fortran order
  for (int k = 0; k < 4; ++k)
    for (int j = 0; j < 3; ++j)
      for (int i = 0; i < 2; ++i) f3.push_back(100 * i + 10 * j + k);
  write("f3.npy",
        npy_bytes("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3, 4), }", le_payload(f3)));
  EXPECT_EQ(read_npy_at(path("f3.npy"), {(1 * 3 + 2) * 4 + 3, 5}), (std::vector<double>{123, 11}));
  try {
    read_npy_at(path("c.npy"), {24});
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("index 24 is outside its 24 values"), std::string::npos)
        << e.what();
  }
}

TEST_F(IoTest, NpyErrors) {
  expect_throw_with<std::runtime_error>([&] { read_npy(path("missing.npy")); },
                                        {"missing.npy", "not found"});
  write("bad.npy", "PK\x03\x04 this is a zip file");
  expect_throw_with<std::runtime_error>([&] { read_npy(path("bad.npy")); }, {"bad.npy", "magic"});
  write("u1.npy", npy_bytes("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", "ab"));
  expect_throw_with<std::runtime_error>([&] { read_npy(path("u1.npy")); },
                                        {"u1.npy", "unsupported dtype '|u1'", "<f8"});
  write("be.npy", npy_bytes("{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }",
                            std::string(8, '\0')));
  expect_throw_with<std::runtime_error>([&] { read_npy(path("be.npy")); }, {"'>f8'"});
  write("short.npy", npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }",
                               le_payload(std::vector<double>{1, 2, 3})));
  expect_throw_with<std::runtime_error>([&] { read_npy(path("short.npy")); },
                                        {"short.npy", "truncated", "32", "24"});
  expect_throw_with<std::invalid_argument>(
      [&] {
        write_npy(path("x.npy"), {2, 2}, {1, 2, 3});
      },
      {"x.npy", "4", "3"});
}

// --- VTK ------------------------------------------------------------------------------------

// The start tag of the first <element ...>, or "" if there is none.
std::string start_tag(const std::string& xml, const std::string& element, std::size_t from = 0) {
  const std::size_t a = xml.find("<" + element + " ", from);
  if (a == std::string::npos) return "";
  return xml.substr(a, xml.find('>', a) - a + 1);
}

std::string attribute(const std::string& xml, const std::string& element, const std::string& name) {
  const std::string tag = start_tag(xml, element);
  const std::size_t a = tag.find(" " + name + "=\"");
  if (a == std::string::npos) return "<missing>";
  const std::size_t v = a + name.size() + 3;
  return tag.substr(v, tag.find('"', v) - v);
}

// The Float64 values of the DataArray called `name`: raw appended data at the array's offset
// from the '_' that opens <AppendedData>, a UInt64 byte count, then the values.
std::vector<double> data_array(const std::string& xml, const std::string& name) {
  const std::size_t at = xml.find("Name=\"" + name + "\"");
  const std::size_t open = xml.rfind("<DataArray ", at);
  if (at == std::string::npos || open == std::string::npos) {
    ADD_FAILURE() << "no DataArray " << name;
    return {};
  }
  const std::string tag = start_tag(xml, "DataArray", open);
  EXPECT_NE(tag.find("type=\"Float64\""), std::string::npos) << tag;
  EXPECT_NE(tag.find("format=\"appended\""), std::string::npos) << tag;
  const std::size_t off_at = tag.find("offset=\"");
  if (off_at == std::string::npos) {
    ADD_FAILURE() << "no offset in " << tag;
    return {};
  }
  const std::size_t offset = std::stoull(tag.substr(off_at + 8));
  const std::string section = "<AppendedData encoding=\"raw\">\n_";
  const std::size_t data = xml.find(section);
  if (data == std::string::npos) {
    ADD_FAILURE() << "no raw AppendedData section";
    return {};
  }
  const std::size_t p = data + section.size() + offset;
  EXPECT_LE(p + 8, xml.size());
  if (p + 8 > xml.size()) return {};
  std::uint64_t nbytes = 0;
  for (int b = 7; b >= 0; --b) nbytes = (nbytes << 8) | static_cast<unsigned char>(xml[p + b]);
  EXPECT_EQ(nbytes % 8, 0u);
  EXPECT_LE(p + 8 + nbytes, xml.size());
  if (p + 8 + nbytes > xml.size()) return {};
  std::vector<double> v(nbytes / 8);
  std::memcpy(v.data(), xml.data() + p + 8, nbytes);
  return v;
}

Field3D index_field(std::vector<double> x, std::vector<double> y, std::vector<double> z) {
  Field3D f;
  f.x = std::move(x);
  f.y = std::move(y);
  f.z = std::move(z);
  f.values.resize(f.nx() * f.ny() * f.nz());
  for (std::size_t i = 0; i < f.nx(); ++i)
    for (std::size_t j = 0; j < f.ny(); ++j)
      for (std::size_t k = 0; k < f.nz(); ++k)
        f.values[f.index(i, j, k)] = 100.0 * i + 10.0 * j + k;
  return f;
}

std::vector<double> linspace(double a, double b, int n) {
  std::vector<double> v(n);
  for (int i = 0; i < n; ++i) v[i] = a + (b - a) * i / (n - 1);
  return v;
}

void expect_x_fastest(const std::vector<double>& v, std::size_t nx, std::size_t ny,
                      std::size_t nz) {
  ASSERT_EQ(v.size(), nx * ny * nz);
  std::size_t n = 0;
  for (std::size_t k = 0; k < nz; ++k)
    for (std::size_t j = 0; j < ny; ++j)
      for (std::size_t i = 0; i < nx; ++i) EXPECT_EQ(v[n++], 100.0 * i + 10.0 * j + k);
}

TEST_F(IoTest, IsUniform) {
  EXPECT_TRUE(is_uniform({}));
  EXPECT_TRUE(is_uniform({0.5}));
  EXPECT_TRUE(is_uniform({0, 3}));
  EXPECT_TRUE(is_uniform(linspace(0, 1e-3, 101)));
  EXPECT_FALSE(is_uniform({0, 1, 3}));
  EXPECT_FALSE(is_uniform({0, 1e-3, 2e-3 * (1 + 1e-7)}));
}

TEST_F(IoTest, VtiHeaderAndXFastestOrder) {
  Field3D f = index_field(linspace(0, 1e-3, 4), linspace(0.5e-3, 1.5e-3, 3), linspace(0, 2e-4, 5));
  f.name = "T";
  write_vti(path("f.vti"), f);
  const std::string xml = read_all(path("f.vti"));
  EXPECT_EQ(attribute(xml, "VTKFile", "type"), "ImageData");
  EXPECT_EQ(attribute(xml, "VTKFile", "byte_order"), "LittleEndian");
  EXPECT_EQ(attribute(xml, "VTKFile", "header_type"), "UInt64");
  EXPECT_NE(xml.find("</AppendedData>\n</VTKFile>\n"), std::string::npos);
  EXPECT_EQ(attribute(xml, "ImageData", "WholeExtent"), "0 3 0 2 0 4");
  EXPECT_EQ(attribute(xml, "Piece", "Extent"), "0 3 0 2 0 4");
  EXPECT_EQ(attribute(xml, "PointData", "Scalars"), "T");
  // Origin and spacing in mm.
  double o[3], s[3];
  ASSERT_EQ(std::sscanf(attribute(xml, "ImageData", "Origin").c_str(), "%lf %lf %lf", &o[0], &o[1],
                        &o[2]),
            3);
  ASSERT_EQ(std::sscanf(attribute(xml, "ImageData", "Spacing").c_str(), "%lf %lf %lf", &s[0], &s[1],
                        &s[2]),
            3);
  EXPECT_DOUBLE_EQ(o[0], 0);
  EXPECT_DOUBLE_EQ(o[1], 0.5);
  EXPECT_DOUBLE_EQ(o[2], 0);
  EXPECT_NEAR(s[0], 1.0 / 3, 1e-12);
  EXPECT_NEAR(s[1], 0.5, 1e-12);
  EXPECT_NEAR(s[2], 0.05, 1e-12);
  expect_x_fastest(data_array(xml, "T"), 4, 3, 5);
}

TEST_F(IoTest, VtiRejectsNonUniformAndBadFields) {
  Field3D f = index_field({0, 1e-4, 3e-4}, linspace(0, 1e-3, 3), linspace(0, 1e-4, 2));
  expect_throw_with<std::invalid_argument>([&] { write_vti(path("g.vti"), f); },
                                           {"g.vti", "x spacing", "not uniform", ".vtr"});
  Field3D bad = index_field(linspace(0, 1, 3), linspace(0, 1, 3), linspace(0, 1, 3));
  bad.values.pop_back();
  expect_throw_with<std::invalid_argument>([&] { write_vtr(path("b.vtr"), bad); },
                                           {"b.vtr", "26 values", "27 nodes"});
}

TEST_F(IoTest, VtrCoordinatesAndOrder) {
  Field3D f = index_field({0, 1e-4, 3e-4, 1e-3}, {0, 2e-4, 1e-3}, {0, 5e-5, 1e-4, 4e-4});
  f.name = "error";
  write_vtr(path("f.vtr"), f);
  const std::string xml = read_all(path("f.vtr"));
  EXPECT_EQ(attribute(xml, "VTKFile", "type"), "RectilinearGrid");
  EXPECT_EQ(attribute(xml, "RectilinearGrid", "WholeExtent"), "0 3 0 2 0 3");
  EXPECT_EQ(attribute(xml, "PointData", "Scalars"), "error");
  const std::vector<double> xs = data_array(xml, "x_mm");
  ASSERT_EQ(xs.size(), 4u);
  EXPECT_DOUBLE_EQ(xs[2], 0.3);
  EXPECT_EQ(data_array(xml, "y_mm").size(), 3u);
  const std::vector<double> zs = data_array(xml, "z_mm");
  ASSERT_EQ(zs.size(), 4u);
  EXPECT_DOUBLE_EQ(zs[3], 0.4);
  expect_x_fastest(data_array(xml, "error"), 4, 3, 4);
}

// A field written plane by plane (as the ranks of an MPI run hand it over) is the same file as
// the whole field written at once: ImageData on uniform axes, RectilinearGrid otherwise.
TEST_F(IoTest, VtkFromPlanesEqualsTheWholeField) {
  for (bool uniform : {true, false}) {
    Field3D f = uniform ? index_field({0, 1e-4, 2e-4, 3e-4}, {0, 2e-4, 4e-4}, {0, 5e-5})
                        : index_field({0, 1e-4, 3e-4, 1e-3}, {0, 2e-4, 1e-3}, {0, 5e-5, 1e-4});
    f.name = "T";
    const std::string whole = path(uniform ? "w.vti" : "w.vtr"),
                      planes = path(uniform ? "p.vti" : "p.vtr");
    if (uniform)
      write_vti(whole, f);
    else
      write_vtr(whole, f);
    int calls = 0;
    write_vtk_planes(planes, "T", f.x, f.y, f.z, [&](int k) {
      ++calls;
      std::vector<double> p;
      for (std::size_t j = 0; j < f.ny(); ++j)
        for (std::size_t i = 0; i < f.nx(); ++i) p.push_back(f.at(i, j, k));
      return p;
    });
    EXPECT_EQ(calls, static_cast<int>(f.nz()));
    EXPECT_EQ(read_all(planes), read_all(whole)) << (uniform ? "vti" : "vtr");
  }
  // A plane of the wrong size is an error, not a file with a wrong byte count.
  const Field3D f = index_field({0, 1e-4}, {0, 1e-4}, {0, 1e-4});
  EXPECT_THROW(write_vtk_planes(path("bad.vti"), "T", f.x, f.y, f.z,
                                [](int) { return std::vector<double>(3, 0.0); }),
               std::runtime_error);
}

// --- PNG ------------------------------------------------------------------------------------

struct PngSize {
  std::uint32_t w = 0, h = 0;
};

PngSize png_size(const std::string& p) {
  const std::string raw = read_all(p);
  EXPECT_GE(raw.size(), 24u);
  EXPECT_EQ(raw.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(raw.substr(12, 4), "IHDR");
  auto be32 = [&](std::size_t o) {
    return (std::uint32_t(static_cast<unsigned char>(raw[o])) << 24) |
           (std::uint32_t(static_cast<unsigned char>(raw[o + 1])) << 16) |
           (std::uint32_t(static_cast<unsigned char>(raw[o + 2])) << 8) |
           std::uint32_t(static_cast<unsigned char>(raw[o + 3]));
  };
  return {be32(16), be32(20)};
}

TEST_F(IoTest, HeatmapPng) {
  const std::vector<double> x = linspace(0, 1e-3, 101), y = linspace(0, 1e-3, 101);
  std::vector<double> v(x.size() * y.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    for (std::size_t j = 0; j < y.size(); ++j) {
      const double dx = x[i] - 0.52e-3, dy = y[j] - 0.48e-3;
      v[i * y.size() + j] = 300 + 20 * std::exp(-(dx * dx + dy * dy) / (2 * 0.15e-3 * 0.15e-3));
    }
  plot::HeatmapOptions opt;
  opt.title = "C1 top surface temperature";
  plot::write_heatmap_png(path("c1.png"), x, y, v, opt);
  PngSize s = png_size(path("c1.png"));
  EXPECT_EQ(s.w, 760u);
  EXPECT_EQ(s.h, 620u);

  // Wide die, other size, fixed colour range, no marker.
  opt.width_px = 500;
  opt.height_px = 300;
  opt.vmin = 290;
  opt.vmax = 330;
  opt.mark_hotspot = false;
  plot::write_heatmap_png(path("wide.png"), linspace(0, 10e-3, 11), linspace(0, 2e-3, 3),
                          std::vector<double>(33, 301.0), opt);
  s = png_size(path("wide.png"));
  EXPECT_EQ(s.w, 500u);
  EXPECT_EQ(s.h, 300u);
}

// The pixels (x, y) where two PNGs of the same size differ.
std::vector<std::pair<int, int>> png_diff(const std::string& a, const std::string& b) {
  cairo_surface_t* sa = cairo_image_surface_create_from_png(a.c_str());
  cairo_surface_t* sb = cairo_image_surface_create_from_png(b.c_str());
  std::vector<std::pair<int, int>> d;
  EXPECT_EQ(cairo_surface_status(sa), CAIRO_STATUS_SUCCESS);
  EXPECT_EQ(cairo_surface_status(sb), CAIRO_STATUS_SUCCESS);
  const int w = cairo_image_surface_get_width(sa), h = cairo_image_surface_get_height(sa);
  EXPECT_EQ(w, cairo_image_surface_get_width(sb));
  EXPECT_EQ(h, cairo_image_surface_get_height(sb));
  const unsigned char* pa = cairo_image_surface_get_data(sa);
  const unsigned char* pb = cairo_image_surface_get_data(sb);
  const int stride = cairo_image_surface_get_stride(sa);
  for (int y = 0; y < h; ++y)
    if (std::memcmp(pa + y * stride, pb + y * stride, 4 * w) != 0)
      for (int x = 0; x < w; ++x)
        if (std::memcmp(pa + y * stride + 4 * x, pb + y * stride + 4 * x, 4) != 0)
          d.push_back({x, y});
  cairo_surface_destroy(sa);
  cairo_surface_destroy(sb);
  return d;
}

TEST_F(IoTest, LinePlotMarksVerticalLinesOrTopTicks) {
  plot::Panel pan;
  pan.title = "marks";
  pan.series.push_back({"T", {0, 1}, {300, 310}});
  plot::write_line_plot_png(path("plain.png"), {pan});
  // Few marks: dashed lines across the panel, evenly spaced marks on evenly spaced columns.
  pan.x_marks = {0.2, 0.4, 0.6};
  plot::write_line_plot_png(path("few.png"), {pan});
  auto d = png_diff(path("plain.png"), path("few.png"));
  ASSERT_FALSE(d.empty());
  std::vector<int> cols;
  int ylo = 1 << 30, yhi = -1;
  for (const auto& [x, y] : d) {
    if (std::find(cols.begin(), cols.end(), x) == cols.end()) cols.push_back(x);
    ylo = std::min(ylo, y);
    yhi = std::max(yhi, y);
  }
  std::sort(cols.begin(), cols.end());
  ASSERT_EQ(cols.size(), 3u);
  EXPECT_NEAR(cols[1] - cols[0], cols[2] - cols[1], 1);
  EXPECT_GT(yhi - ylo, 300);  // across the 360-pixel plot area
  // A mark outside the data range draws nothing.
  pan.x_marks = {5.0};
  plot::write_line_plot_png(path("outside.png"), {pan});
  EXPECT_TRUE(png_diff(path("plain.png"), path("outside.png")).empty());
  // Many marks: short ticks along the top edge only.
  pan.x_marks.clear();
  for (int k = 1; k <= 150; ++k) pan.x_marks.push_back(k / 151.0);
  plot::write_line_plot_png(path("many.png"), {pan});
  d = png_diff(path("plain.png"), path("many.png"));
  ASSERT_FALSE(d.empty());
  ylo = 1 << 30, yhi = -1;
  for (const auto& [x, y] : d) ylo = std::min(ylo, y), yhi = std::max(yhi, y);
  EXPECT_LT(yhi - ylo, 10);
}

// Pictures drawn together (plot::draw_all, on OpenMP's threads) are the pictures drawn one by
// one; every job runs even when some fail, and the first failing job in job order is reported.
TEST_F(IoTest, DrawAllEqualsOneByOneAndReportsTheFirstFailure) {
  const std::vector<double> x = linspace(0, 1e-3, 41), y = linspace(0, 2e-3, 31);
  auto field = [&](double cx) {
    std::vector<double> v(x.size() * y.size());
    for (std::size_t i = 0; i < x.size(); ++i)
      for (std::size_t j = 0; j < y.size(); ++j)
        v[i * y.size() + j] = 300 + 10 * std::exp(-std::pow((x[i] - cx) / 0.2e-3, 2)) + y[j];
    return v;
  };
  const plot::HeatmapOptions opt;
  plot::Panel pan;
  pan.title = "line";
  pan.series.push_back({"T", {0, 1, 2}, {300, 305, 303}});
  std::vector<std::function<void()>> jobs;
  for (int k = 0; k < 4; ++k)
    jobs.push_back([&, k] {
      plot::write_heatmap_png(path("together" + std::to_string(k) + ".png"), x, y,
                              field(0.2e-3 * (k + 1)), opt);
    });
  jobs.push_back([&] { plot::write_line_plot_png(path("together4.png"), {pan}); });
  plot::draw_all(jobs);
  for (int k = 0; k < 4; ++k)
    plot::write_heatmap_png(path("alone" + std::to_string(k) + ".png"), x, y,
                            field(0.2e-3 * (k + 1)), opt);
  plot::write_line_plot_png(path("alone4.png"), {pan});
  for (int k = 0; k < 5; ++k)
    EXPECT_TRUE(png_diff(path("alone" + std::to_string(k) + ".png"),
                         path("together" + std::to_string(k) + ".png"))
                    .empty())
        << k;
  EXPECT_FALSE(png_diff(path("alone0.png"), path("alone1.png")).empty());  // the check can fail

  std::vector<int> ran(4, 0);
  std::vector<std::function<void()>> failing;
  failing.push_back([&] { ran[0] = 1; });
  failing.push_back([&] {
    ran[1] = 1;
    plot::write_heatmap_png(path("bad1.png"), {0, 1e-3}, {0, 1e-3}, {1, 2, 3}, opt);
  });
  failing.push_back([&] {
    ran[2] = 1;
    throw std::runtime_error("job 2 failed");
  });
  failing.push_back([&] { ran[3] = 1; });
  expect_throw_with<std::invalid_argument>([&] { plot::draw_all(failing); }, {"bad1.png"});
  EXPECT_EQ(ran, std::vector<int>({1, 1, 1, 1}));
  plot::draw_all({});  // nothing to draw
}

// The pictures' text comes from DejaVu Sans' files through FreeType (fonts-dejavu-core, which
// the setup installs), not from fontconfig's "sans": a face of FreeType's type, with glyphs,
// whose bold differs from its regular weight; each call sets the size it is given.
TEST_F(IoTest, PicturesDrawTextWithTheFontFilesFace) {
  ASSERT_TRUE(fs::exists("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"));
  auto draw = [](bool bold, double size, double* width) {
    cairo_surface_t* s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 200, 40);
    cairo_t* cr = cairo_create(s);
    plot::set_font(cr, size, bold);
    EXPECT_EQ(cairo_font_face_get_type(cairo_get_font_face(cr)), CAIRO_FONT_TYPE_FT);
    cairo_matrix_t m;
    cairo_get_font_matrix(cr, &m);
    EXPECT_DOUBLE_EQ(m.xx, size);
    *width = plot::text_width(cr, "Peak 317.215 K");
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_move_to(cr, 5, 30);
    cairo_show_text(cr, "Peak 317.215 K");
    cairo_surface_flush(s);
    const unsigned char* d = cairo_image_surface_get_data(s);
    std::vector<unsigned char> px(d, d + cairo_image_surface_get_stride(s) * 40);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    return px;
  };
  double w_regular = 0, w_bold = 0, w_small = 0;
  const auto regular = draw(false, 14, &w_regular), bold = draw(true, 14, &w_bold);
  draw(false, 7, &w_small);
  EXPECT_GT(std::count_if(regular.begin(), regular.end(), [](unsigned char c) { return c; }), 100);
  EXPECT_NE(regular, bold);
  EXPECT_GT(w_bold, w_regular);
  EXPECT_GT(w_regular, 60);  // 14 characters at 14 px
  EXPECT_LT(w_small, 0.6 * w_regular);
}

TEST_F(IoTest, HeatmapConstantAndBadInput) {
  plot::HeatmapOptions opt;
  plot::write_heatmap_png(path("const.png"), {0, 1e-3}, {0, 1e-3}, {300, 300, 300, 300}, opt);
  EXPECT_EQ(png_size(path("const.png")).w, 760u);
  plot::write_heatmap_png(path("nan.png"), {0, 1e-3}, {0, 1e-3}, {NAN, NAN, NAN, NAN}, opt);
  EXPECT_TRUE(fs::exists(path("nan.png")));
  expect_throw_with<std::invalid_argument>(
      [&] {
        plot::write_heatmap_png(path("n.png"), {0, 1e-3}, {0, 1e-3}, {1, 2, 3}, opt);
      },
      {"n.png", "3 values", "2 x 2"});
  expect_throw_with<std::invalid_argument>(
      [&] {
        plot::write_heatmap_png(path("d.png"), {0, 0}, {0, 1e-3}, {1, 2, 3, 4}, opt);
      },
      {"d.png", "increasing"});
  opt.vmin = 5;
  opt.vmax = 1;
  expect_throw_with<std::invalid_argument>(
      [&] {
        plot::write_heatmap_png(path("r.png"), {0, 1e-3}, {0, 1e-3}, {1, 2, 3, 4}, opt);
      },
      {"r.png", "vmin"});
  expect_throw_with<std::runtime_error>(
      [&] {
        plot::write_heatmap_png(path("no/such/dir/p.png"), {0, 1e-3}, {0, 1e-3}, {1, 2, 3, 4},
                                plot::HeatmapOptions{});
      },
      {"p.png"});
}

// --- probes ---------------------------------------------------------------------------------

TEST_F(IoTest, TrilinearExactOnNonUniformGrid) {
  Field3D f;
  f.x = {0, 1e-4, 4e-4, 1e-3};
  f.y = {0, 3e-4, 5e-4, 6e-4, 2e-3};
  f.z = {0, 1e-5, 1.5e-4};
  auto g = [](double x, double y, double z) {
    return 300 + 1e3 * x - 2e3 * y + 5e4 * z + 1e6 * x * y - 3e7 * x * z + 2e7 * y * z +
           4e10 * x * y * z;
  };
  f.values.resize(f.nx() * f.ny() * f.nz());
  for (std::size_t i = 0; i < f.nx(); ++i)
    for (std::size_t j = 0; j < f.ny(); ++j)
      for (std::size_t k = 0; k < f.nz(); ++k)
        f.values[f.index(i, j, k)] = g(f.x[i], f.y[j], f.z[k]);
  const double pts[][3] = {
      {0, 0, 0},          {1e-3, 2e-3, 1.5e-4},    {0.37e-3, 0.55e-3, 0.7e-4}, {2e-4, 1.1e-3, 3e-6},
      {1e-4, 3e-4, 1e-5}, {0.9e-3, 0.1e-3, 1.2e-4}};
  for (const auto& p : pts)
    EXPECT_NEAR(interpolate_trilinear(f, p[0], p[1], p[2]), g(p[0], p[1], p[2]), 1e-9)
        << p[0] << " " << p[1] << " " << p[2];
  // Slack: a hair outside is clamped onto the boundary.
  EXPECT_NEAR(interpolate_trilinear(f, 1e-3 * (1 + 1e-12), -1e-16, 1.5e-4), g(1e-3, 0, 1.5e-4),
              1e-9);
}

TEST_F(IoTest, TrilinearOutsideThrows) {
  Field3D f = index_field(linspace(0, 1e-3, 3), linspace(0, 1e-3, 3), linspace(0, 1e-4, 2));
  expect_throw_with<std::invalid_argument>([&] { interpolate_trilinear(f, 1.01e-3, 0.5e-3, 0); },
                                           {"outside", "x", "1.01"});
  expect_throw_with<std::invalid_argument>([&] { interpolate_trilinear(f, 0.5e-3, 0.5e-3, -1e-6); },
                                           {"outside", "z"});
  EXPECT_THROW(interpolate_trilinear(f, NAN, 0, 0), std::invalid_argument);
  // A single z node is a 2D field: only that z is inside.
  Field3D flat = index_field(linspace(0, 1e-3, 3), linspace(0, 1e-3, 3), {2e-4});
  EXPECT_DOUBLE_EQ(interpolate_trilinear(flat, 0.25e-3, 1e-3, 2e-4), 50 + 20);
  EXPECT_THROW(interpolate_trilinear(flat, 0.25e-3, 1e-3, 1e-4), std::invalid_argument);
}

TEST_F(IoTest, ProbesCsv) {
  write("h.csv",
        "# probes\nname,Z_MM, x_mm ,y_mm,note\n\ncentre,0.05,0.5,0.25,hot\n"
        "# corner\ncorner,0,1,1,\n");
  std::vector<Probe> p = read_probes_csv(path("h.csv"));
  ASSERT_EQ(p.size(), 2u);
  EXPECT_DOUBLE_EQ(p[0].x_m, 0.5e-3);
  EXPECT_DOUBLE_EQ(p[0].y_m, 0.25e-3);
  EXPECT_DOUBLE_EQ(p[0].z_m, 0.05e-3);
  EXPECT_DOUBLE_EQ(p[1].x_m, 1e-3);

  write("n.csv", "0.1, 0.2, 0.3\r\n1,2,3\n");
  p = read_probes_csv(path("n.csv"));
  ASSERT_EQ(p.size(), 2u);
  EXPECT_DOUBLE_EQ(p[0].z_m, 0.3e-3);
  EXPECT_DOUBLE_EQ(p[1].y_m, 2e-3);

  write("bad1.csv", "x_mm,y_mm,z_mm\n1,2,3\n1,abc,3\n");
  expect_throw_with<std::invalid_argument>([&] { read_probes_csv(path("bad1.csv")); },
                                           {"bad1.csv", "line 3", "'abc'", "not a number"});
  write("bad2.csv", "1,2,3\n\n1,2\n");
  expect_throw_with<std::invalid_argument>([&] { read_probes_csv(path("bad2.csv")); },
                                           {"bad2.csv", "line 3", "expected 3 columns, found 2"});
  write("bad3.csv", "1,2,nan\n");
  expect_throw_with<std::invalid_argument>([&] { read_probes_csv(path("bad3.csv")); },
                                           {"bad3.csv", "line 1", "finite"});
  write("bad4.csv", "a,b,c\n1,2,3\n");
  expect_throw_with<std::runtime_error>([&] { read_probes_csv(path("bad4.csv")); },
                                        {"bad4.csv", "line 1", "x_mm"});
  expect_throw_with<std::runtime_error>([&] { read_probes_csv(path("none.csv")); }, {"none.csv"});
}

TEST_F(IoTest, WriteProbesCsv) {
  write_probes_csv(path("out.csv"), {{0.5e-3, 0.25e-3, 0}, {1e-3, 1e-3, 1e-4}}, {315.654321, 300});
  EXPECT_EQ(read_all(path("out.csv")),
            "x_mm,y_mm,z_mm,T_K\n0.500000,0.250000,0.000000,315.654321\n"
            "1.000000,1.000000,0.100000,300.000000\n");
  // Round trip through the reader.
  const std::vector<Probe> back = read_probes_csv(path("out.csv"));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_NEAR(back[1].z_m, 1e-4, 1e-15);
  EXPECT_THROW(write_probes_csv(path("x.csv"), {{0, 0, 0}}, {}), std::invalid_argument);
}

// --- power maps -----------------------------------------------------------------------------

TEST_F(IoTest, TileMap) {
  write("m.txt", "\npower map\n2 3\n0.1\t0.2 0.3\n\n1e-3 0 nan\n");
  const model::PowerMap m = read_tile_map(path("m.txt"));
  EXPECT_EQ(m.rows, 2);
  EXPECT_EQ(m.cols, 3);
  EXPECT_EQ(m.source, path("m.txt"));
  ASSERT_EQ(m.tile_watts.size(), 6u);
  EXPECT_DOUBLE_EQ(m.tile_watts[0], 0.1);  // row 0 = first line = lowest y
  EXPECT_DOUBLE_EQ(m.tile_watts[3], 1e-3);
  EXPECT_TRUE(std::isnan(m.tile_watts[5]));  // parsed; PowerMap::validate rejects it
  EXPECT_THROW(m.validate(1e-3, 1e-3), std::invalid_argument);
}

TEST_F(IoTest, TileMapCelsiusFormat) {
  // The layout of the celsius benchmark maps: tab separated, upper-case header.
  write("c3.txt",
        "POWER MAP\n3 4\n0\t0\t0.00625\t0.00625\n0\t0\t0\t0\n"
        "0.0125\t0\t0.003125\t0.003125\n");
  const model::PowerMap m = read_power_map(path("c3.txt"));
  EXPECT_EQ(m.rows, 3);
  EXPECT_EQ(m.cols, 4);
  EXPECT_DOUBLE_EQ(m.tile_watts[2], 0.00625);
  EXPECT_DOUBLE_EQ(m.tile_watts[8], 0.0125);
  EXPECT_DOUBLE_EQ(m.total(), 0.03125);
  EXPECT_NO_THROW(m.validate(1e-3, 1e-3));
}

TEST_F(IoTest, TileMapErrors) {
  write("short.txt", "POWER MAP\n2 3\n1 2 3\n4 5\n");
  expect_throw_with<std::runtime_error>([&] { read_tile_map(path("short.txt")); },
                                        {"short.txt", "line 4", "holds 2 values, expected 3"});
  write("few.txt", "POWER MAP\n3 2\n1 2\n3 4\n");
  expect_throw_with<std::runtime_error>([&] { read_tile_map(path("few.txt")); },
                                        {"few.txt", "2 of 3 rows", "4 of 6 values"});
  write("long.txt", "POWER MAP\n1 2\n1 2\n3 4\n");
  expect_throw_with<std::runtime_error>([&] { read_tile_map(path("long.txt")); },
                                        {"long.txt", "line 4", "unexpected"});
  write("abc.txt", "POWER MAP\n1 2\n1 abc\n");
  expect_throw_with<std::runtime_error>([&] { read_tile_map(path("abc.txt")); },
                                        {"abc.txt", "line 3", "'abc' is not a number"});
  write("nohead.txt", "2 2\n1 2\n3 4\n");
  expect_throw_with<std::runtime_error>([&] { read_tile_map(path("nohead.txt")); },
                                        {"nohead.txt", "line 1", "POWER MAP"});
  // A header that declares more values than the file can hold is refused before allocating.
  write("huge.txt", "POWER MAP\n1000000 100\n1 2\n");
  expect_throw_with<std::invalid_argument>(
      [&] { read_tile_map(path("huge.txt")); },
      {"huge.txt", "line 2",
       "1000000 x 100 = 100000000 values declared, but the file holds only 26 bytes"});
  write("size.txt", "POWER MAP\n0 2\n");
  expect_throw_with<std::invalid_argument>([&] { read_tile_map(path("size.txt")); },
                                           {"size.txt", "line 2", "positive"});
  expect_throw_with<std::runtime_error>([&] { read_tile_map(path("gone.txt")); },
                                        {"power map file not found: ", "gone.txt"});
}

TEST_F(IoTest, CsvMap) {
  write("m.csv", "# watts per tile, row 0 = y lowest\n1, 2,3\n\n4,5,inf\n");
  const model::PowerMap m = read_csv_map(path("m.csv"));
  EXPECT_EQ(m.rows, 2);
  EXPECT_EQ(m.cols, 3);
  EXPECT_EQ(m.source, path("m.csv"));
  EXPECT_DOUBLE_EQ(m.tile_watts[4], 5);
  EXPECT_TRUE(std::isinf(m.tile_watts[5]));

  write("ragged.csv", "1,2,3\n4,5\n");
  expect_throw_with<std::runtime_error>([&] { read_csv_map(path("ragged.csv")); },
                                        {"ragged.csv", "line 2", "holds 2", "first row holds 3"});
  write("abc.csv", "1,2\nx,3\n");
  expect_throw_with<std::runtime_error>([&] { read_csv_map(path("abc.csv")); },
                                        {"abc.csv", "line 2", "'x' is not a number"});
  write("empty.csv", "# nothing\n\n");
  expect_throw_with<std::runtime_error>([&] { read_csv_map(path("empty.csv")); },
                                        {"empty.csv", "no rows"});
}

TEST_F(IoTest, NpyMap) {
  write_npy(path("m.npy"), {2, 3}, {1, 2, 3, 4, 5, 6});
  const model::PowerMap m = read_npy_map(path("m.npy"));
  EXPECT_EQ(m.rows, 2);
  EXPECT_EQ(m.cols, 3);
  EXPECT_EQ(m.tile_watts, (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(m.source, path("m.npy"));
  write_npy(path("v.npy"), {6}, {1, 2, 3, 4, 5, 6});
  expect_throw_with<std::runtime_error>([&] { read_npy_map(path("v.npy")); },
                                        {"v.npy", "2D", "(6)"});
}

TEST_F(IoTest, ReadPowerMapDispatch) {
  write("a.MAP", "POWER MAP\n1 1\n2.5\n");
  EXPECT_DOUBLE_EQ(read_power_map(path("a.MAP")).total(), 2.5);
  write("b.pmap", "POWER MAP\n1 2\n2.5 1\n");
  EXPECT_DOUBLE_EQ(read_power_map(path("b.pmap")).total(), 3.5);
  write("c.csv", "1,2\n3,4\n");
  EXPECT_EQ(read_power_map(path("c.csv")).rows, 2);
  write_npy(path("d.npy"), {1, 2}, {0.5, 0.25});
  EXPECT_DOUBLE_EQ(read_power_map(path("d.npy")).total(), 0.75);

  write("e.xlsx", "whatever");
  expect_throw_with<std::invalid_argument>([&] { read_power_map(path("e.xlsx")); },
                                           {"e.xlsx", "'.xlsx'", ".txt", ".csv", ".npy"});
  expect_throw_with<std::runtime_error>([&] { read_power_map(path("missing.csv")); },
                                        {"power map file not found: " + path("missing.csv")});
  expect_throw_with<std::runtime_error>([&] { read_power_map(path("missing.npy")); },
                                        {"power map file not found: " + path("missing.npy")});
}

}  // namespace
}  // namespace heatop::io

// fontconfig, which cairo's text uses, keeps caches for the life of the process; LeakSanitizer
// would report them in sanitizer builds (-DHEATOP_SANITIZE=ON).
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig\n"; }
